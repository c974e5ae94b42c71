//! `breakglass drill` and `breakglass status`: prove the quorum still works without showing any
//! secret, keep a log of it, and say when the next drill is due.

use super::drill_log::{self, Record};
use super::harden::Hardening;
use super::tenant;
use super::{CliResult, Failure, inputs, json, opening, output, visible};
use breakglass_core::Entry;
use breakglass_core::document::{SECONDS_PER_DAY, iso_date, next_drill_date, next_drill_due};
use breakglass_core::tenant::{Account, ExpectedKey, GroupSource};
use breakglass_core::vault::VaultHeader;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct DrillArgs {
    /// Sheets of k custodians: share files, scans or photos. With none, typed.
    files: Vec<PathBuf>,
    /// Read the vault passphrase from this file (`-` for standard input) instead of asking.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Open this generation when the sheets given open more than one (after a rekey, or when
    /// a set was forged); by default the newest that opens.
    #[arg(long, value_name = "N")]
    generation: Option<u32>,
    /// Append the drill record to this JSON-lines log (created 0600).
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Who took part, for the record (e.g. "Alice, Bob").
    #[arg(long)]
    people: Option<String>,
    /// Also audit this tenant export (as `tenant audit` does) for the vault's accounts and
    /// FIDO2 keys, and record the result in the log; exit 8 when it finds anything.
    #[arg(long, value_name = "EXPORT_DIR")]
    tenant_export: Option<PathBuf>,
    /// With --tenant-export: the exclusion group's object id (default: the group most
    /// policies exclude).
    #[arg(long, value_name = "ID", requires = "tenant_export")]
    group: Option<String>,
    #[command(flatten)]
    report: output::Report,
}

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Sheets (share files, scans) whose vault to report on; no other share is needed.
    files: Vec<PathBuf>,
    /// The drill log written by `breakglass drill --log`.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    #[command(flatten)]
    report: output::Report,
}

/// `drill --json` (FORMAT.md §12.3): the record the log receives, and where it went.
#[derive(Serialize)]
struct DrillJson<'a> {
    #[serde(flatten)]
    header: json::Header,
    passed: bool,
    record: &'a Record,
    logged_to: Option<String>,
}

/// `status --json` (FORMAT.md §12.2).
#[derive(Serialize)]
struct StatusJson {
    #[serde(flatten)]
    header: json::Header,
    today: String,
    overdue: bool,
    vaults: Vec<StatusVault>,
}

#[derive(Serialize)]
struct StatusVault {
    vault_id: String,
    tenant: String,
    generation: u32,
    last_date: String,
    last_what: String,
    drill_interval_days: u16,
    /// Null when no drill is scheduled (interval 0).
    next_due: Option<String>,
    overdue: bool,
    /// Days until due (positive) or since it fell due (negative); null when not scheduled.
    days_left: Option<i64>,
    /// The last tenant audit a drill recorded; absent when the log holds none.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_audit: Option<LastAudit>,
}

/// `status --json`'s `last_audit` (FORMAT.md §12.2).
#[derive(Serialize)]
struct LastAudit {
    date: String,
    result: String,
    findings: u32,
    high: u32,
    export: String,
}

/// The vault header the given sheets claim (the copy most of them carry), for the record of a
/// failed drill. Standard input cannot be read twice, so typed or piped sheets give none.
fn claimed_header(files: &[PathBuf]) -> Option<VaultHeader> {
    if files.is_empty() || files.iter().any(|f| f.as_os_str() == "-") {
        return None;
    }
    let g = inputs::from_files(files);
    let mut copies: Vec<(&VaultHeader, usize)> = Vec::new();
    for v in &g.vaults {
        match copies.iter_mut().find(|(h, _)| **h == v.item.header) {
            Some((_, n)) => *n += 1,
            None => copies.push((&v.item.header, 1)),
        }
    }
    copies.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    copies.first().map(|(h, _)| (*h).clone())
}

/// Fills a failed record with what the header says (it did not authenticate: the result says
/// FAILED), so the log still names the vault and generation that were drilled.
fn describe_vault(rec: &mut Record, h: &VaultHeader) {
    rec.vault_id = h.vault_id.to_string();
    rec.tenant = h.tenant.clone();
    rec.generation = h.generation;
    rec.drill_interval_days = h.drill_interval_days;
}

fn print_record(rec: &Record) -> CliResult {
    outln!("DRILL RECORD")?;
    outln!("  date:        {}", visible(&rec.date))?;
    outln!(
        "  vault:       {} ({})",
        visible(&rec.vault_id),
        visible(&rec.tenant)
    )?;
    outln!("  generation:  {}", rec.generation)?;
    for s in &rec.shares {
        let who = if s.custodian.is_empty() {
            String::new()
        } else {
            format!(", {}", visible(&s.custodian))
        };
        outln!(
            "  share {}:     {}{who} (from {})",
            s.index,
            visible(&s.location),
            visible(&s.source)
        )?;
    }
    if !rec.people.is_empty() {
        outln!("  present:     {}", visible(&rec.people))?;
    }
    outln!("  result:      {}", visible(&rec.result))?;
    for r in &rec.rejected {
        outln!("  left out:    {}", visible(r))?;
    }
    outln!("  next drill:  {}", visible(&rec.next_due))?;
    Ok(())
}

fn drill_json(rec: &Record, passed: bool, log: Option<&Path>) -> CliResult {
    json::print(&DrillJson {
        header: json::Header::v1("breakglass-drill"),
        passed,
        record: rec,
        logged_to: log.map(|l| l.display().to_string()),
    })
}

pub fn run_drill(args: DrillArgs, hardening: &Hardening) -> CliResult {
    super::warn_unlocked(hardening);
    match opening::open_sheets(
        &args.files,
        args.passphrase_file.as_deref(),
        args.generation,
    ) {
        Ok((r, _)) => {
            let mut rec = drill_log::record(
                &r,
                "drill",
                "PASSED: the shares recombined and the vault authenticated; no secret was shown",
            );
            rec.people = args.people.clone().unwrap_or_default();
            if !rec.rejected.is_empty() {
                // The quorum works, but a sheet in the drawer does not say what it should.
                rec.result.push_str(&format!(
                    "; but {} input(s) were left out (altered, duplicated or of another generation, each named in the record): replace or re-check those sheets",
                    rec.rejected.len()
                ));
            }
            let accounts = vault_accounts(&r.contents);
            drop(r);
            let audited = args
                .tenant_export
                .as_ref()
                .map(|dir| drill_audit(&args, dir, accounts));
            if let Some(a) = &audited {
                rec.tenant_audit = Some(match a {
                    Ok(done) => done.record(),
                    Err(e) => drill_log::AuditRecord {
                        export: args
                            .tenant_export
                            .as_deref()
                            .map(|d| d.display().to_string())
                            .unwrap_or_default(),
                        result: format!("FAILED: {}", super::failure::message(e.as_ref())),
                        findings: 0,
                        high: 0,
                    },
                });
            }
            if args.report.verbose {
                for s in &rec.shares {
                    eprintln!("read: {}: share {} (used)", visible(&s.source), s.index);
                }
            }
            if args.report.text() {
                print_record(&rec)?;
            }
            if let Some(log) = &args.log {
                drill_log::append(log, &rec)?;
                if args.report.text() {
                    outln!("  logged to:   {}", super::shown_path(log))?;
                }
            }
            if args.report.json {
                drill_json(&rec, true, args.log.as_deref())?;
            }
            match audited {
                Some(Ok(done)) => {
                    if args.report.text() {
                        outln!()?;
                        tenant::print_report(&done)?;
                    }
                    done.verdict()
                }
                Some(Err(e)) => Err(e),
                None => Ok(()),
            }
        }
        Err(f) => {
            let mut rec = drill_log::failed_record("drill", &f);
            if let Some(h) = claimed_header(&args.files) {
                describe_vault(&mut rec, &h);
            }
            rec.people = args.people.clone().unwrap_or_default();
            if args.report.text() {
                print_record(&rec)?;
            }
            if let Some(log) = &args.log {
                drill_log::append(log, &rec)?;
            }
            if args.report.json {
                drill_json(&rec, false, args.log.as_deref())?;
            }
            Err(f)
        }
    }
}

/// Where a vault stands against its drill schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    /// Interval 0: no drill is scheduled.
    NotScheduled,
    /// Falls due on a later day.
    In { days: u64 },
    /// Falls due today: not overdue yet.
    Today,
    /// Fell due this many days ago (at least 1).
    Overdue { days: u64 },
}

impl Due {
    /// `days_left` of `status --json`: positive until due, 0 on the day, negative when overdue.
    fn days_left(self) -> Option<i64> {
        let signed = |d: u64| i64::try_from(d).unwrap_or(i64::MAX);
        match self {
            Due::NotScheduled => None,
            Due::In { days } => Some(signed(days)),
            Due::Today => Some(0),
            Due::Overdue { days } => Some(-signed(days)),
        }
    }
}

/// The one schedule every mode of `status` reports (text, `--json`, `-q` and the exit code):
/// counted in calendar days (UTC), as the dates are printed, so a sheet made this morning and
/// a drill logged this afternoon both fall due on the same printed date, that whole day, and
/// are overdue from the next. `last` and `now` are Unix seconds.
fn due(last: u64, interval_days: u16, now: u64) -> Due {
    let Some(due_at) = next_drill_due(last, interval_days) else {
        return Due::NotScheduled;
    };
    let (due_day, today) = (due_at / SECONDS_PER_DAY, now / SECONDS_PER_DAY);
    match today.cmp(&due_day) {
        std::cmp::Ordering::Less => Due::In {
            days: due_day - today,
        },
        std::cmp::Ordering::Equal => Due::Today,
        std::cmp::Ordering::Greater => Due::Overdue {
            days: today - due_day,
        },
    }
}

/// A vault's schedule as its copies on the sheets say it, and what they disagree on.
struct FromCopies {
    schedule: Schedule,
    /// The copies of the newest generation differ in drill interval or creation date.
    disagree: Option<String>,
}

/// Per vault id, the schedule of its newest generation's copies. The copies are not
/// authenticated here (no shares are combined): when copies of that generation differ in
/// drill interval or creation date, at least one was altered, and the earliest due date they
/// give is the one reported (a forged copy cannot push a drill back), with a warning naming
/// the inputs on each side.
fn schedules_from_copies(
    copies: &[breakglass_core::recover::Sourced<breakglass_core::vault::Vault>],
) -> BTreeMap<String, FromCopies> {
    let mut by_vault: BTreeMap<String, Vec<(&VaultHeader, &str)>> = BTreeMap::new();
    for v in copies {
        by_vault
            .entry(v.item.header.vault_id.to_string())
            .or_default()
            .push((&v.item.header, v.source.as_str()));
    }
    by_vault
        .into_iter()
        .filter_map(|(id, copies)| {
            let newest = copies.iter().map(|(h, _)| h.generation).max()?;
            let current: Vec<&(&VaultHeader, &str)> =
                copies.iter().filter(|(h, _)| h.generation == newest).collect();
            // One group per (created, interval) the copies claim, with their sources.
            let mut claims: Vec<((u64, u16), Vec<&str>)> = Vec::new();
            for (h, source) in &current {
                let claim = (h.created, h.drill_interval_days);
                match claims.iter_mut().find(|(c, _)| *c == claim) {
                    Some((_, sources)) => sources.push(source),
                    None => claims.push((claim, vec![source])),
                }
            }
            let (created, interval) = claims
                .iter()
                .map(|(c, _)| *c)
                .min_by_key(|&(created, interval)| {
                    // No drill scheduled is the latest possible due date.
                    next_drill_due(created, interval).unwrap_or(u64::MAX)
                })?;
            let disagree = (claims.len() > 1).then(|| {
                let sides: Vec<String> = claims
                    .iter()
                    .map(|((created, interval), sources)| {
                        let every = match interval {
                            0 => "no drill scheduled".to_string(),
                            d => format!("a drill every {d} days"),
                        };
                        format!(
                            "{} say created {}, {every}",
                            sources.join(", "),
                            iso_date(*created)
                        )
                    })
                    .collect();
                format!(
                    "the vault copies of {id} (generation {newest}) disagree: {}. At least one was altered; the earliest due date is shown. Run `breakglass drill` with k sheets to find which copy authenticates",
                    sides.join("; ")
                )
            });
            let h = current[0].0;
            Some((
                id,
                FromCopies {
                    schedule: Schedule {
                        tenant: h.tenant.clone(),
                        generation: newest,
                        interval,
                        last: created,
                        last_what: "created".into(),
                        last_audit: None,
                    },
                    disagree,
                },
            ))
        })
        .collect()
}

/// The accounts and FIDO2 keys the vault lists, for the tenant audit.
fn vault_accounts(contents: &breakglass_core::VaultContents) -> Vec<Account> {
    let mut accounts: Vec<Account> = Vec::new();
    for e in &contents.entries {
        if let Entry::Account { upn, .. } = e {
            accounts.push(Account {
                upn: Some(upn.clone()),
                ..Account::default()
            });
        }
    }
    for e in &contents.entries {
        if let Entry::Fido2 { label, .. } = e {
            let (key, upn) = ExpectedKey::from_vault_label(label);
            if let Some(a) = accounts.iter_mut().find(|a| {
                upn.as_deref()
                    .is_some_and(|u| a.upn.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(u)))
            }) {
                a.fido2.push(key);
            }
        }
    }
    accounts
}

/// `drill --tenant-export`: the audit of the export for the vault's accounts, judged against
/// the drill log as it stood before this drill.
fn drill_audit(args: &DrillArgs, dir: &Path, accounts: Vec<Account>) -> CliResult<tenant::Audited> {
    let group = match &args.group {
        Some(g) if !breakglass_core::entra::is_guid(g) => {
            return Err(Failure::Usage.because(format!(
                "--group {g:?} is not an object id: give the exclusion group's GUID"
            )));
        }
        Some(g) => Some((g.clone(), GroupSource::Option)),
        None => None,
    };
    let log = match &args.log {
        Some(l) if l.exists() => Some(drill_log::read(l)?),
        _ => None,
    };
    tenant::audit_folder(dir, accounts, group, log.as_deref())
}

/// What is known of a vault's drill schedule.
struct Schedule {
    tenant: String,
    generation: u32,
    interval: u16,
    last: u64,
    last_what: String,
    /// The last tenant audit a drill recorded: when, and its summary.
    last_audit: Option<(u64, drill_log::AuditRecord)>,
}

pub fn run_status(args: StatusArgs) -> CliResult {
    if args.files.is_empty() && args.log.is_none() {
        return Err(Failure::Usage.because("give a sheet, or --log with the drill log"));
    }
    let mut vaults: BTreeMap<String, Schedule> = BTreeMap::new();
    // README "Exit codes": an input that cannot be read makes the exit 3 once the others are
    // reported, as in `inspect`; an overdue drill (7) comes first.
    let mut unreadable = false;
    if !args.files.is_empty() {
        let mut g = inputs::from_files(&args.files);
        inputs::report(&mut g);
        unreadable = !g.problems.is_empty();
        args.report.read_from(&g);
        for (id, s) in schedules_from_copies(&g.vaults) {
            if let Some(disagree) = &s.disagree
                && !args.report.quiet
            {
                eprintln!("warning: {}", visible(disagree));
            }
            vaults.insert(id, s.schedule);
        }
        if vaults.is_empty() {
            return Err(Failure::BadInput.because("no vault could be read from these sheets"));
        }
    }
    if let Some(log) = &args.log {
        let records = drill_log::read(log)?;
        args.report
            .note_read(log, &format!("drill log, {} line(s)", records.len()));
        for rec in records {
            if !drill_log::opened(&rec) {
                continue;
            }
            let known = args.files.is_empty() || vaults.contains_key(&rec.vault_id);
            if !known {
                continue;
            }
            let s = vaults.entry(rec.vault_id.clone()).or_insert(Schedule {
                tenant: rec.tenant.clone(),
                generation: rec.generation,
                interval: rec.drill_interval_days,
                last: 0,
                last_what: String::new(),
                last_audit: None,
            });
            if let Some(a) = &rec.tenant_audit
                && s.last_audit.as_ref().is_none_or(|(t, _)| rec.unix >= *t)
            {
                s.last_audit = Some((rec.unix, a.clone()));
            }
            if rec.unix >= s.last {
                s.last = rec.unix;
                s.last_what = rec.purpose.clone();
                s.generation = s.generation.max(rec.generation);
            }
        }
    }
    let t = super::unix_now();
    let overdue = vaults
        .values()
        .any(|s| matches!(due(s.last, s.interval, t), Due::Overdue { .. }));
    if !args.report.text() {
        let list: Vec<StatusVault> = vaults
            .iter()
            .map(|(id, s)| {
                let d = due(s.last, s.interval, t);
                StatusVault {
                    vault_id: id.clone(),
                    tenant: s.tenant.clone(),
                    generation: s.generation,
                    last_date: iso_date(s.last),
                    last_what: s.last_what.clone(),
                    drill_interval_days: s.interval,
                    next_due: next_drill_due(s.last, s.interval).map(iso_date),
                    overdue: matches!(d, Due::Overdue { .. }),
                    days_left: d.days_left(),
                    last_audit: s.last_audit.as_ref().map(|(at, a)| LastAudit {
                        date: iso_date(*at),
                        result: a.result.clone(),
                        findings: a.findings,
                        high: a.high,
                        export: a.export.clone(),
                    }),
                }
            })
            .collect();
        if args.report.json {
            json::print(&StatusJson {
                header: json::Header::v1("breakglass-status"),
                today: iso_date(t),
                overdue,
                vaults: list,
            })?;
        }
        return status_result(overdue, unreadable);
    }
    for (id, s) in &vaults {
        outln!(
            "vault {} ({}), generation {}",
            visible(id),
            visible(&s.tenant),
            s.generation
        )?;
        outln!(
            "  last:        {} ({})",
            iso_date(s.last),
            visible(&s.last_what)
        )?;
        if let Some((at, a)) = &s.last_audit {
            outln!(
                "  last audit:  {}: {} ({} finding(s), {} high) of {}",
                iso_date(*at),
                visible(&a.result),
                a.findings,
                a.high,
                visible(&a.export)
            )?;
        }
        let due_date = next_drill_date(s.last, s.interval);
        match due(s.last, s.interval, t) {
            Due::NotScheduled => outln!("  next drill:  not scheduled")?,
            Due::Overdue { days } => outln!(
                "  next drill:  OVERDUE since {due_date} ({days} days): run `breakglass drill` with k sheets"
            )?,
            Due::Today => outln!("  next drill:  {due_date} (today)")?,
            Due::In { days } => outln!("  next drill:  {due_date} (in {days} days)")?,
        }
    }
    status_result(overdue, unreadable)
}

/// `status`'s exit: 7 when a drill is overdue, else 3 when an input could not be read.
fn status_result(overdue: bool, unreadable: bool) -> CliResult {
    if overdue {
        return Err(Failure::Overdue.because("a drill is overdue"));
    }
    if unreadable {
        return Err(Failure::BadInput
            .because("some files could not be read (see above): the status covers the others"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = SECONDS_PER_DAY;

    #[test]
    fn a_drill_is_due_all_day_and_overdue_from_the_next_day() {
        // Made at 15:00 on day 100, every 90 days: due on day 190.
        let last = 100 * DAY + 15 * 3600;
        assert_eq!(due(last, 90, 189 * DAY + 23 * 3600), Due::In { days: 1 });
        // The whole due day, before and after the hour it was made: due, not overdue.
        for hour in [0, 14, 15, 16, 23] {
            assert_eq!(
                due(last, 90, 190 * DAY + hour * 3600),
                Due::Today,
                "{hour}:00"
            );
        }
        assert_eq!(due(last, 90, 191 * DAY), Due::Overdue { days: 1 });
        assert_eq!(due(last, 90, 200 * DAY + 1), Due::Overdue { days: 10 });
        assert_eq!(due(last, 0, 1000 * DAY), Due::NotScheduled);
    }

    #[test]
    fn days_left_is_the_same_decision() {
        assert_eq!(Due::In { days: 1 }.days_left(), Some(1));
        assert_eq!(Due::Today.days_left(), Some(0));
        assert_eq!(Due::Overdue { days: 1 }.days_left(), Some(-1));
        assert_eq!(Due::NotScheduled.days_left(), None);
    }
}
