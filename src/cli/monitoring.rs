//! `breakglass monitoring`: the two alerts on the emergency accounts (any sign-in, any change
//! to them or to their exclusion group), as KQL, ARM templates or JSON, on standard output or
//! into one file (`-o FILE`).
//!
//! [`judge`] decides from the flags and the plan which accounts and group are watched and what
//! to warn about; [`render`] lays that out in the format asked for. Neither prints: `run` shows
//! the warnings and writes the bytes, never over an existing file without `--force`, and never
//! half a file (FORMAT.md §12.7 for the JSON).

use super::alerts;
use crate::plumbing::{CliResult, Failure, files, json, remedy, shown_path, visible, visible_text};
use breakglass_core::entra;
use breakglass_core::plan::Plan;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What `monitoring` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MonitoringFormat {
    /// The KQL query, then the checklist as KQL comments.
    #[default]
    Kql,
    /// A Microsoft Sentinel scheduled analytics rule (ARM template).
    SentinelArm,
    /// An Azure Monitor log search alert rule, Microsoft.Insights/scheduledQueryRules (ARM template).
    AzureMonitorArm,
    /// The query, accounts, schedule and checklist as one JSON document (FORMAT.md §12.7).
    Json,
}

#[derive(clap::Args, Debug)]
pub struct MonitoringArgs {
    #[command(flatten)]
    targets: crate::plumbing::args::AccountTargets,
    /// Resource id of an action group the Azure Monitor rules notify (required for
    /// azure-monitor-arm). Repeatable.
    #[arg(long = "action-group", value_name = "RESOURCE_ID")]
    action_groups: Vec<String>,
    /// What to write: the queries (kql), an ARM template to deploy (sentinel-arm,
    /// azure-monitor-arm), or JSON.
    #[arg(long, value_enum, default_value_t)]
    format: MonitoringFormat,
    /// Write to this file (created 0600, never over an existing one without --force) instead
    /// of standard output; `-` is standard output.
    #[arg(long, short = 'o', value_name = "FILE", value_parser = out_arg)]
    out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long, requires = "out")]
    force: bool,
}

/// Clap value parser for `--out`: one file, `-` for standard output, never an empty name.
fn out_arg(s: &str) -> Result<PathBuf, String> {
    match s {
        "" => Err("the file name is empty: give a file name, e.g. -o alerts.json".into()),
        _ => Ok(s.into()),
    }
}

/// `monitoring --format json` (FORMAT.md §12.7).
#[derive(serde::Serialize)]
struct MonitoringJson<'a> {
    #[serde(flatten)]
    header: json::Header,
    upns: &'a [String],
    object_ids: &'a [String],
    query: &'a str,
    schedule: Schedule,
    checklist: Vec<String>,
    exclusion_group: Option<&'a str>,
    audit_query: &'a str,
    warnings: &'a [String],
}

#[derive(serde::Serialize)]
struct Schedule {
    frequency: String,
    window: String,
    ingestion_delay: String,
    operator: &'static str,
    threshold: u32,
    azure_monitor_severity: u8,
    sentinel_severity: &'static str,
}

/// Checks a `--upn` by the rules the plan applies to its accounts (user part and domain).
fn check_upn(upn: &str) -> CliResult {
    let valid = upn
        .rsplit_once('@')
        .is_some_and(|(user, domain)| entra::upn(user, domain).is_ok());
    if valid {
        Ok(())
    } else {
        Err(Failure::Usage.because(format!(
            "--upn {upn:?} is not a user principal name: give USER@DOMAIN (letters, digits and ' . - _ ! # ^ ~ before the @, a DNS name after it)"
        )))
    }
}

/// Refuses flags that cannot make an alert, before the plan is read.
fn check_flags(args: &MonitoringArgs) -> CliResult {
    for u in &args.targets.upns {
        check_upn(u)?;
    }
    for id in args.targets.object_ids.iter().chain(&args.targets.group) {
        if !entra::is_guid(id) {
            let flag = if Some(id) == args.targets.group.as_ref() {
                "--group"
            } else {
                "--object-id"
            };
            return Err(Failure::Usage.because(format!(
                "{flag} {id:?} is not an object id: give the GUID Entra ID shows (00000000-0000-0000-0000-000000000000)"
            )));
        }
    }
    for g in &args.action_groups {
        alerts::check_action_group(g).map_err(|e| Failure::Usage.because(e))?;
    }
    if args.format == MonitoringFormat::AzureMonitorArm && args.action_groups.is_empty() {
        return Err(Failure::Usage.because(
            "the Azure Monitor rules must notify someone: give --action-group RESOURCE_ID (repeatable), the action group that emails, texts and calls the security team (Azure portal: Monitor > Alerts > Action groups)",
        ));
    }
    Ok(())
}

/// What the alerts watch, as the flags and the plan decide it.
#[derive(Debug, PartialEq)]
struct Watch {
    upns: Vec<String>,
    object_ids: Vec<String>,
    group: Option<String>,
    drill_interval_days: u16,
    /// Accounts the alert can match by UPN only, and a missing group: said on standard error
    /// and in the output.
    warnings: Vec<String>,
}

/// The judgement of `monitoring`: the accounts and group to watch, from the flags and the plan
/// (`plan`, read from `plan_path`); the flags' group comes before the plan's.
fn judge(args: &MonitoringArgs, plan: Option<(&Path, &Plan)>) -> CliResult<Watch> {
    let t = &args.targets;
    let mut upns = t.upns.clone();
    let mut object_ids = t.object_ids.clone();
    let mut group = t.group.clone();
    let mut without_id = Vec::new();
    if t.object_ids.len() < t.upns.len() {
        without_id.extend(t.upns.iter().cloned());
    }
    let mut drill_interval_days = 90;
    if let Some((path, plan)) = plan {
        for a in &plan.accounts {
            let upn = plan.upn(a)?;
            if a.object_id.is_none() {
                without_id.push(upn.clone());
            }
            upns.push(upn);
            object_ids.extend(a.object_id.clone());
        }
        if let Some(g) = &plan.exclusion_group {
            if !entra::is_guid(g) {
                return Err(Failure::Usage.because(format!(
                    "{}: exclusion_group {g:?} is not a GUID: give the group's object id as Entra ID shows it",
                    path.display()
                )));
            }
            group.get_or_insert_with(|| g.clone());
        }
        drill_interval_days = plan.drill_interval_days;
    }
    if upns.is_empty() && object_ids.is_empty() {
        return Err(Failure::Usage
            .because("name the accounts: --plan PLAN.toml, or --upn UPN (repeatable)"));
    }
    let warnings = remedy::object_id_warning(&without_id, remedy::Flags::current())
        .into_iter()
        .chain(group.is_none().then(|| {
            "no exclusion group is known: the audit alert watches the accounts but not who is added to the group Conditional Access policies exclude; give --group GROUP_ID or exclusion_group = \"GUID\" in the plan".to_string()
        }))
        .collect();
    Ok(Watch {
        upns,
        object_ids,
        group,
        drill_interval_days,
        warnings,
    })
}

/// The bytes of `format` for what `w` watches: exactly what standard output receives.
fn render(w: &Watch, format: MonitoringFormat, action_groups: &[String]) -> CliResult<Vec<u8>> {
    // The queries every format carries.
    let query = entra::sentinel_query(&w.upns, &w.object_ids);
    let audit = entra::audit_query(&w.upns, &w.object_ids, w.group.as_deref());
    match format {
        MonitoringFormat::Kql => {
            let mut s = String::new();
            let _ = write!(s, "{}\n{}\n", visible_text(&query), visible_text(&audit));
            for warning in &w.warnings {
                let _ = writeln!(s, "// warning: {}", visible(warning));
            }
            s.push_str("// Checklist:\n");
            for (i, item) in entra::ceremony_checklist(w.drill_interval_days)
                .iter()
                .enumerate()
            {
                let _ = writeln!(s, "//  {}. {item}", i + 1);
            }
            Ok(s.into_bytes())
        }
        MonitoringFormat::SentinelArm => json_doc(&alerts::sentinel_arm(&query, &audit)),
        MonitoringFormat::AzureMonitorArm => {
            json_doc(&alerts::azure_monitor_arm(&query, &audit, action_groups))
        }
        MonitoringFormat::Json => json_doc(&MonitoringJson {
            header: json::Header::v1("breakglass-monitoring"),
            upns: &w.upns,
            object_ids: &w.object_ids,
            query: &query,
            schedule: Schedule {
                frequency: alerts::iso_minutes(entra::ALERT_FREQUENCY_MINUTES),
                window: alerts::iso_minutes(entra::ALERT_WINDOW_MINUTES),
                ingestion_delay: alerts::iso_minutes(entra::ALERT_INGESTION_DELAY_MINUTES),
                operator: "GreaterThan",
                threshold: 0,
                azure_monitor_severity: entra::ALERT_SEVERITY,
                sentinel_severity: alerts::sentinel_severity(),
            },
            checklist: entra::ceremony_checklist(w.drill_interval_days),
            exclusion_group: w.group.as_deref(),
            audit_query: &audit,
            warnings: &w.warnings,
        }),
    }
}

/// One pretty JSON document and a newline, as `json::print` writes it.
fn json_doc<T: serde::Serialize>(value: &T) -> CliResult<Vec<u8>> {
    let mut out = Vec::new();
    json::to_writer_pretty(&mut out, value)?;
    out.push(b'\n');
    Ok(out)
}

/// Writes `bytes` to `path` whole or not at all, refusing to replace a file without `force`.
fn write_file(path: &Path, bytes: Vec<u8>, force: bool) -> CliResult {
    if path.is_dir() {
        return Err(Failure::Output.because(format!(
            "{} is a folder: give a file name, e.g. -o alerts.json",
            path.display()
        )));
    }
    if !force && path.symlink_metadata().is_ok() {
        return Err(Failure::Output.because(format!(
            "{} exists: not replacing it (pass --force to replace it)",
            path.display()
        )));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            Failure::Usage.because(format!(
                "{}: not a file name: give one, e.g. -o alerts.json",
                path.display()
            ))
        })?;
    files::write_all_atomically(
        dir,
        &[files::OutFile {
            name,
            bytes: zeroize::Zeroizing::new(bytes),
        }],
        force,
    )?;
    Ok(())
}

pub fn run(args: MonitoringArgs) -> CliResult {
    check_flags(&args)?;
    let plan = match &args.targets.plan {
        Some(p) => Some((p.as_path(), super::plan::load(p)?)),
        None => None,
    };
    let watch = judge(&args, plan.as_ref().map(|(p, plan)| (*p, plan)))?;
    for w in &watch.warnings {
        eprintln!("warning: {}", visible(w));
    }
    let bytes = render(&watch, args.format, &args.action_groups)?;
    match args.out.as_deref() {
        Some(path) if path.as_os_str() != "-" => {
            write_file(path, bytes, args.force)?;
            outln!("Wrote {}.", shown_path(path))?;
            Ok(())
        }
        _ => crate::plumbing::stdout::write_all(&bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use breakglass_core::plan::TEMPLATE;
    use clap::Parser;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        args: MonitoringArgs,
    }

    fn args(flags: &[&str]) -> MonitoringArgs {
        Cmd::try_parse_from(std::iter::once("monitoring").chain(flags.iter().copied()))
            .expect("flags parse")
            .args
    }

    fn exit<T>(r: CliResult<T>) -> u8 {
        r.map_or_else(|e| Failure::of(&e).code(), |_| 0)
    }

    const ID: &str = "11111111-2222-3333-4444-555555555555";
    const GROUP: &str = "99999999-2222-3333-4444-555555555555";

    /// The template with the first account's object id, and the exclusion group when `group` is given.
    fn plan(group: Option<&str>) -> Plan {
        let mut text = TEMPLATE.replace("# object_id = \"00000000", "object_id = \"00000000");
        if let Some(g) = group {
            text = text.replacen(
                "[[account]]",
                &format!("exclusion_group = \"{g}\"\n\n[[account]]"),
                1,
            );
        }
        Plan::parse(&text).expect("the template parses")
    }

    #[test]
    fn accounts_by_upn_only_and_no_group_are_watched_with_both_warnings() {
        let w = judge(&args(&["--upn", "bg1@c.onmicrosoft.com"]), None).unwrap();
        assert_eq!(w.upns, ["bg1@c.onmicrosoft.com"]);
        assert!(w.object_ids.is_empty() && w.group.is_none());
        assert_eq!(w.drill_interval_days, 90);
        assert_eq!(w.warnings.len(), 2, "{:?}", w.warnings);
        assert!(w.warnings[0].contains("bg1@c.onmicrosoft.com"));
        assert!(w.warnings[1].starts_with("no exclusion group is known"));
    }

    #[test]
    fn ids_and_a_group_leave_nothing_to_warn_about() {
        let a = args(&[
            "--upn",
            "bg1@c.onmicrosoft.com",
            "--object-id",
            ID,
            "--group",
            GROUP,
        ]);
        let w = judge(&a, None).unwrap();
        assert_eq!(
            (w.object_ids.as_slice(), w.group.as_deref()),
            (&[ID.to_string()][..], Some(GROUP))
        );
        assert!(w.warnings.is_empty(), "{:?}", w.warnings);
    }

    #[test]
    fn the_plan_adds_its_accounts_and_its_group_gives_way_to_the_flag() {
        let path = Path::new("plan.toml");
        let p = plan(Some(ID));
        let w = judge(&args(&[]), Some((path, &p))).unwrap();
        assert_eq!(w.upns.len(), 2);
        assert_eq!(w.group.as_deref(), Some(ID));
        // The template's second account has no object id: said, the first is not named.
        let [missing] = w.warnings.as_slice() else {
            panic!("{:?}", w.warnings)
        };
        assert!(missing.contains("breakglass2@") && !missing.contains("breakglass1@"));
        let w = judge(&args(&["--group", GROUP]), Some((path, &p))).unwrap();
        assert_eq!(w.group.as_deref(), Some(GROUP));
        // A plan without the group: watched, with the warning.
        let w = judge(&args(&[]), Some((path, &plan(None)))).unwrap();
        assert_eq!(w.warnings.len(), 2, "{:?}", w.warnings);
    }

    #[test]
    fn nothing_to_watch_or_a_bad_id_is_a_usage_error() {
        assert_eq!(exit(judge(&args(&[]), None)), 2);
        assert_eq!(exit(check_flags(&args(&["--object-id", "not-a-guid"]))), 2);
        assert_eq!(
            exit(check_flags(&args(&["--group", "x", "--upn", "a@b.c"]))),
            2
        );
        assert_eq!(exit(check_flags(&args(&["--upn", "no-at-sign"]))), 2);
        assert_eq!(
            exit(check_flags(&args(&[
                "--upn",
                "a@b.c",
                "--format",
                "azure-monitor-arm"
            ]))),
            2,
            "an Azure Monitor rule that notifies nobody"
        );
        assert_eq!(exit(check_flags(&args(&["--upn", "a@b.c"]))), 0);
    }

    #[test]
    fn every_format_renders_the_watch_and_the_json_ones_parse() {
        let w = judge(
            &args(&["--upn", "bg1@c.onmicrosoft.com", "--object-id", ID]),
            None,
        )
        .unwrap();
        let kql = String::from_utf8(render(&w, MonitoringFormat::Kql, &[]).unwrap()).unwrap();
        assert!(kql.contains(ID) && kql.contains("// Checklist:"), "{kql}");
        assert!(kql.contains("// warning: no exclusion group"), "{kql}");
        for f in [MonitoringFormat::SentinelArm, MonitoringFormat::Json] {
            let bytes = render(&w, f, &[]).unwrap();
            assert_eq!(bytes.last(), Some(&b'\n'));
            let v: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
            assert!(v.to_string().contains(ID), "{f:?}");
        }
    }
}
