//! `breakglass plan new|check` and `breakglass monitoring`.

use super::{
    CliResult, Failure, alerts, files, json, output, remedy, shown_path, visible, visible_text,
};
use breakglass_core::entra;
use breakglass_core::plan::{Plan, TEMPLATE};
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand, Debug)]
pub enum PlanCommand {
    /// Write a commented plan template to FILE (never over an existing file).
    ///
    /// The template names every key a plan takes (tenant, threshold, accounts, FIDO2 keys,
    /// shares and where they are kept), with comments. Edit it, check it with `plan check`,
    /// then run `breakglass ceremony --plan FILE`.
    #[command(after_help = "Examples:
  breakglass plan new plan.toml
  breakglass plan new - | less      # read the template without writing a file")]
    New {
        /// Where to write the template; `-` for standard output.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Validate a plan: names, threshold, placement of the shares, TOTP files, vault size.
    ///
    /// Checks everything `breakglass ceremony --plan FILE` would check before generating
    /// anything, and prints the placement of the shares. Nothing is generated or written.
    #[command(after_help = "Examples:
  breakglass plan check plan.toml && breakglass ceremony --plan plan.toml -o sheets/")]
    Check {
        /// The plan to check (`-` for standard input).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        report: output::Report,
    },
}

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
    targets: super::args::AccountTargets,
    /// Resource id of an action group the Azure Monitor rules notify (required for
    /// azure-monitor-arm). Repeatable.
    #[arg(long = "action-group", value_name = "RESOURCE_ID")]
    action_groups: Vec<String>,
    /// What to write: the queries (kql), an ARM template to deploy (sentinel-arm,
    /// azure-monitor-arm), or JSON.
    #[arg(long, value_enum, default_value_t)]
    format: MonitoringFormat,
}

/// `plan check --json` (FORMAT.md §12.6).
#[derive(serde::Serialize)]
struct CheckJson {
    #[serde(flatten)]
    header: json::Header,
    file: String,
    valid: bool,
    accounts: Vec<String>,
    threshold: u8,
    shares: usize,
    placement: Vec<String>,
    warnings: Vec<String>,
    errors: Vec<String>,
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

fn load(path: &Path) -> CliResult<Plan> {
    let text = files::read_text(path)?;
    Plan::parse(&text).map_err(|e| Failure::about(path.display(), e))
}

pub fn run(cmd: PlanCommand) -> CliResult {
    match cmd {
        PlanCommand::New { file } => {
            if file.as_os_str() == "-" {
                return super::stdout::write_all(TEMPLATE.as_bytes());
            }
            if file.exists() {
                return Err(
                    Failure::Output.because(format!("{} exists: not replacing it", file.display()))
                );
            }
            let dir = file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "plan.toml".into());
            files::write_all_atomically(
                dir,
                &[files::OutFile {
                    name,
                    bytes: zeroize::Zeroizing::new(TEMPLATE.as_bytes().to_vec()),
                }],
                false,
            )?;
            outln!(
                "Wrote {}: edit it, then `breakglass plan check {}`.",
                shown_path(&file),
                shown_path(&file)
            )?;
            Ok(())
        }
        PlanCommand::Check { file, report } => {
            let plan = load(&file)?;
            report.note_read(&file, "ceremony plan");
            if report.json {
                return check_json(&file, &plan);
            }
            if report.quiet {
                plan.validate()
                    .map_err(|e| Failure::about(file.display(), e))?;
                return Ok(());
            }
            let placement = plan.placement();
            outln!(
                "Plan {}: {} account(s) on {}, {} of {} shares recover.",
                shown_path(&file),
                plan.accounts.len(),
                visible(&plan.domain().unwrap_or_else(|_| "(invalid domain)".into())),
                plan.threshold,
                plan.shares.len()
            )?;
            for line in placement.report() {
                outln!("  {}", visible(&line))?;
            }
            let warnings = plan
                .validate()
                .map_err(|e| Failure::about(file.display(), e))?;
            for w in &warnings {
                outln!("  warning: {}", visible(w))?;
            }
            // What the ceremony reads and refuses after the plan's own rules.
            let base = file.parent().unwrap_or(Path::new("."));
            super::ceremony::check_plan(&plan, base)?;
            outln!("The plan is valid.")?;
            Ok(())
        }
    }
}

fn check_json(file: &Path, plan: &Plan) -> CliResult {
    let validated = plan.validate();
    let accounts = plan
        .accounts
        .iter()
        .map(|a| plan.upn(a).unwrap_or_else(|e| format!("(invalid: {e})")))
        .collect();
    let (warnings, errors) = match &validated {
        Ok(w) => (w.clone(), Vec::new()),
        Err(e) => (Vec::new(), vec![e.to_string()]),
    };
    json::print(&CheckJson {
        header: json::Header::v1("breakglass-plan-check"),
        file: file.display().to_string(),
        valid: validated.is_ok(),
        accounts,
        threshold: plan.threshold,
        shares: plan.shares.len(),
        placement: plan.placement().report(),
        warnings,
        errors,
    })?;
    match validated {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::Usage.because(format!("{}: {e}", file.display()))),
    }
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

pub fn monitoring(args: MonitoringArgs) -> CliResult {
    for u in &args.targets.upns {
        check_upn(u)?;
    }
    for id in args.targets.object_ids.iter().chain(&args.targets.group) {
        if !breakglass_core::entra::is_guid(id) {
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
    let mut upns = args.targets.upns.clone();
    let mut ids = args.targets.object_ids.clone();
    let mut group = args.targets.group.clone();
    let mut without_id = Vec::new();
    if args.targets.object_ids.len() < args.targets.upns.len() {
        without_id.extend(args.targets.upns.iter().cloned());
    }
    let mut drill = 90;
    if let Some(p) = &args.targets.plan {
        let plan = load(p)?;
        for a in &plan.accounts {
            let upn = plan.upn(a)?;
            if a.object_id.is_none() {
                without_id.push(upn.clone());
            }
            upns.push(upn);
            ids.extend(a.object_id.clone());
        }
        if let Some(g) = &plan.exclusion_group {
            if !breakglass_core::entra::is_guid(g) {
                return Err(Failure::Usage.because(format!(
                    "{}: exclusion_group {g:?} is not a GUID: give the group's object id as Entra ID shows it",
                    p.display()
                )));
            }
            group.get_or_insert_with(|| g.clone());
        }
        drill = plan.drill_interval_days;
    }
    if upns.is_empty() && ids.is_empty() {
        return Err(Failure::Usage
            .because("name the accounts: --plan PLAN.toml, or --upn UPN (repeatable)"));
    }
    let warnings: Vec<String> = remedy::object_id_warning(&without_id, remedy::Flags::current())
        .into_iter()
        .chain(group.is_none().then(|| {
            "no exclusion group is known: the audit alert watches the accounts but not who is added to the group Conditional Access policies exclude; give --group GROUP_ID or exclusion_group = \"GUID\" in the plan".to_string()
        }))
        .collect();
    for w in &warnings {
        eprintln!("warning: {}", visible(w));
    }
    // The queries every format carries.
    let query = entra::sentinel_query(&upns, &ids);
    let audit = entra::audit_query(&upns, &ids, group.as_deref());
    match args.format {
        MonitoringFormat::Kql => {
            out!("{}", visible_text(&query))?;
            outln!()?;
            out!("{}", visible_text(&audit))?;
            outln!()?;
            for w in &warnings {
                outln!("// warning: {}", visible(w))?;
            }
            outln!("// Checklist:")?;
            for (i, item) in entra::ceremony_checklist(drill).iter().enumerate() {
                outln!("//  {}. {item}", i + 1)?;
            }
            Ok(())
        }
        MonitoringFormat::SentinelArm => json::print(&alerts::sentinel_arm(&query, &audit)),
        MonitoringFormat::AzureMonitorArm => json::print(&alerts::azure_monitor_arm(
            &query,
            &audit,
            &args.action_groups,
        )),
        MonitoringFormat::Json => json::print(&MonitoringJson {
            header: json::Header::v1("breakglass-monitoring"),
            upns: &upns,
            object_ids: &ids,
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
            checklist: entra::ceremony_checklist(drill),
            exclusion_group: group.as_deref(),
            audit_query: &audit,
            warnings: &warnings,
        }),
    }
}
