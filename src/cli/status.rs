//! `breakglass status`: say when each vault's next drill is due, from its sheets (no other
//! share is needed) and the drill log, and exit 7 when one is overdue.
//!
//! [`judge`] decides, from values only, where every vault stands and what the exit is; the
//! printers (text, `--json`, `-q`) only format that judgement. It reads no secret and combines
//! no shares: a schedule read from one sheet is what that sheet claims.

use crate::plumbing::drill_log::{self, Record};
use crate::plumbing::{CliResult, Failure, inputs, json, report, visible};
use breakglass_core::document::{SECONDS_PER_DAY, iso_date, next_drill_date, next_drill_due};
use breakglass_core::recover::Sourced;
use breakglass_core::vault::{Vault, VaultHeader};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Sheets (share files, scans) whose vault to report on; no other share is needed.
    files: Vec<PathBuf>,
    /// The drill log written by `breakglass drill --log`.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    #[command(flatten)]
    report: report::Report,
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
fn schedules_from_copies(copies: &[Sourced<Vault>]) -> BTreeMap<String, FromCopies> {
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

/// Adds the drill log to the schedules: each vault's last opening (a passed drill or a
/// recovery) and last tenant audit. With sheets given (`only_known`), records of other vaults
/// are left out; failed attempts never count.
fn add_log(vaults: &mut BTreeMap<String, Schedule>, records: Vec<Record>, only_known: bool) {
    for rec in records {
        if !drill_log::opened(&rec) || (only_known && !vaults.contains_key(&rec.vault_id)) {
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

/// What `status` decided: where each vault stands today, and the exit code every mode gives.
struct Judgement {
    /// Unix seconds: "today" of every due date.
    now: u64,
    /// By vault id.
    vaults: Vec<(String, Schedule, Due)>,
    /// Some drill is overdue.
    overdue: bool,
    /// Some input could not be read.
    unreadable: bool,
}

/// The judgement of `status`: every schedule against today (`now`, Unix seconds).
fn judge(vaults: BTreeMap<String, Schedule>, now: u64, unreadable: bool) -> Judgement {
    let vaults: Vec<(String, Schedule, Due)> = vaults
        .into_iter()
        .map(|(id, s)| {
            let d = due(s.last, s.interval, now);
            (id, s, d)
        })
        .collect();
    Judgement {
        now,
        overdue: vaults
            .iter()
            .any(|(_, _, d)| matches!(d, Due::Overdue { .. })),
        vaults,
        unreadable,
    }
}

impl Judgement {
    /// The exit: 7 when a drill is overdue, else 3 when an input could not be read (README
    /// "Exit codes": the others are reported first, as in `inspect`).
    fn verdict(&self) -> CliResult {
        if self.overdue {
            return Err(Failure::Overdue.because("a drill is overdue"));
        }
        if self.unreadable {
            return Err(Failure::BadInput.because(
                "some files could not be read (see above): the status covers the others",
            ));
        }
        Ok(())
    }
}

/// The schedules the sheets claim, the warnings about their copies printed as they are read.
fn from_sheets(args: &StatusArgs) -> CliResult<(BTreeMap<String, Schedule>, bool)> {
    let mut vaults = BTreeMap::new();
    if args.files.is_empty() {
        return Ok((vaults, false));
    }
    let mut g = inputs::from_files(&args.files);
    inputs::report(&mut g);
    let unreadable = !g.problems.is_empty();
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
    Ok((vaults, unreadable))
}

pub fn run(args: StatusArgs) -> CliResult {
    if args.files.is_empty() && args.log.is_none() {
        return Err(Failure::Usage.because("give a sheet, or --log with the drill log"));
    }
    let (mut vaults, unreadable) = from_sheets(&args)?;
    if let Some(log) = &args.log {
        let records = drill_log::read(log)?;
        args.report
            .note_read(log, &format!("drill log, {} line(s)", records.len()));
        add_log(&mut vaults, records, !args.files.is_empty());
    }
    let j = judge(vaults, crate::plumbing::unix_now(), unreadable);
    if args.report.json {
        print_json(&j)?;
    } else if args.report.text() {
        print_text(&j)?;
    }
    j.verdict()
}

/// `status --json` (FORMAT.md §12.2).
fn print_json(j: &Judgement) -> CliResult {
    let vaults = j
        .vaults
        .iter()
        .map(|(id, s, d)| StatusVault {
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
        })
        .collect();
    json::print(&StatusJson {
        header: json::Header::v1("breakglass-status"),
        today: iso_date(j.now),
        overdue: j.overdue,
        vaults,
    })
}

fn print_text(j: &Judgement) -> CliResult {
    for (id, s, d) in &j.vaults {
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
        match d {
            Due::NotScheduled => outln!("  next drill:  not scheduled")?,
            Due::Overdue { days } => outln!(
                "  next drill:  OVERDUE since {due_date} ({days} days): run `breakglass drill` with k sheets"
            )?,
            Due::Today => outln!("  next drill:  {due_date} (today)")?,
            Due::In { days } => outln!("  next drill:  {due_date} (in {days} days)")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use breakglass_core::testkit::{self, CREATED, DRILL_INTERVAL_DAYS};
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    const DAY: u64 = SECONDS_PER_DAY;

    /// The sample vault's copy (created [`CREATED`], a drill every 90 days), read from `source`.
    fn copy(seed: u64, source: &str) -> Sourced<Vault> {
        let vault = testkit::ceremony(&mut ChaCha20Rng::seed_from_u64(seed)).vault;
        Sourced::new(source, vault)
    }

    /// A log line for `vault`, `days` after the sample's creation.
    fn logged(vault: &Vault, days: u64, result: &str) -> Record {
        let unix = CREATED + days * DAY;
        serde_json::from_value(serde_json::json!({
            "date": iso_date(unix), "unix": unix, "purpose": "drill", "result": result,
            "vault_id": vault.header.vault_id.to_string(), "tenant": vault.header.tenant,
            "generation": vault.header.generation,
            "drill_interval_days": vault.header.drill_interval_days,
        }))
        .expect("a drill record")
    }

    /// The judgement of sheets `copies` and the log `records` on day `today` after creation.
    fn status(copies: &[Sourced<Vault>], records: Vec<Record>, today: u64) -> Judgement {
        let mut vaults: BTreeMap<String, Schedule> = schedules_from_copies(copies)
            .into_iter()
            .map(|(id, s)| (id, s.schedule))
            .collect();
        add_log(&mut vaults, records, !copies.is_empty());
        judge(vaults, CREATED + today * DAY, false)
    }

    fn exit(j: &Judgement) -> u8 {
        j.verdict().map_or_else(|e| Failure::of(&e).code(), |()| 0)
    }

    #[test]
    fn a_vault_never_drilled_falls_due_from_its_creation() {
        let sheet = copy(1, "share-1.txt");
        let j = status(std::slice::from_ref(&sheet), Vec::new(), 30);
        let [(_, s, d)] = j.vaults.as_slice() else {
            panic!("one vault")
        };
        assert_eq!((s.last, s.last_what.as_str()), (CREATED, "created"));
        assert_eq!(*d, Due::In { days: 60 });
        assert_eq!(exit(&j), 0);
        // The day after the due date, never drilled: overdue, exit 7.
        let j = status(&[sheet], Vec::new(), u64::from(DRILL_INTERVAL_DAYS) + 1);
        assert_eq!(j.vaults[0].2, Due::Overdue { days: 1 });
        assert!(j.overdue);
        assert_eq!(exit(&j), 7);
    }

    #[test]
    fn a_passed_drill_in_the_log_moves_the_due_date_and_a_failed_one_does_not() {
        let sheet = copy(1, "share-1.txt");
        let passed = logged(&sheet.item, 80, "PASSED: the shares recombined");
        let failed = logged(&sheet.item, 100, "FAILED: too few shares");
        // Due soon: drilled on day 80, so due on day 170; on day 165, in 5 days.
        let j = status(std::slice::from_ref(&sheet), vec![passed, failed], 165);
        let (_, s, d) = &j.vaults[0];
        assert_eq!(
            (s.last, s.last_what.as_str()),
            (CREATED + 80 * DAY, "drill")
        );
        assert_eq!(*d, Due::In { days: 5 });
        assert_eq!(exit(&j), 0);
        assert_eq!(
            exit(&status(&[sheet], Vec::new(), 165)),
            7,
            "without the log"
        );
    }

    #[test]
    fn the_log_alone_reports_every_vault_and_with_sheets_only_theirs() {
        let (a, b) = (copy(1, "a.txt"), copy(2, "b.txt"));
        let records = vec![
            logged(&a.item, 10, "PASSED"),
            logged(&b.item, 20, "opened with shares 1, 2"),
        ];
        assert_eq!(status(&[], records.clone(), 30).vaults.len(), 2);
        let j = status(std::slice::from_ref(&a), records, 30);
        assert_eq!(j.vaults.len(), 1);
        assert_eq!(j.vaults[0].0, a.item.header.vault_id.to_string());
        assert_eq!(j.vaults[0].1.last, CREATED + 10 * DAY);
    }

    #[test]
    fn an_unreadable_input_exits_3_unless_a_drill_is_overdue() {
        let sheet = copy(1, "share-1.txt");
        let schedules = || -> BTreeMap<String, Schedule> {
            schedules_from_copies(std::slice::from_ref(&sheet))
                .into_iter()
                .map(|(id, s)| (id, s.schedule))
                .collect()
        };
        let fresh = judge(schedules(), CREATED + DAY, true);
        assert_eq!(exit(&fresh), 3);
        assert_eq!(
            fresh.vaults.len(),
            1,
            "the readable sheet is still reported"
        );
        assert_eq!(exit(&judge(schedules(), CREATED + 365 * DAY, true)), 7);
        assert_eq!(exit(&judge(schedules(), CREATED + DAY, false)), 0);
    }

    #[test]
    fn copies_that_disagree_give_the_earliest_due_date_and_say_so() {
        let honest = copy(1, "share-1.txt");
        let mut forged = honest.clone();
        forged.source = "share-2.txt".into();
        forged.item.header.drill_interval_days = 365;
        let from = schedules_from_copies(&[forged, honest]);
        let s = from.values().next().expect("one vault");
        assert_eq!(s.schedule.interval, DRILL_INTERVAL_DAYS);
        let warning = s.disagree.as_deref().expect("a warning");
        assert!(warning.contains("share-1.txt say created 2025-11-25, a drill every 90 days"));
        assert!(warning.contains("share-2.txt say created 2025-11-25, a drill every 365 days"));
    }

    #[test]
    fn the_newest_generation_of_the_copies_is_reported() {
        let old = copy(1, "old.txt");
        let mut new = old.clone();
        new.source = "new.txt".into();
        new.item.header.generation = 2;
        new.item.header.created = CREATED + 200 * DAY;
        let from = schedules_from_copies(&[old, new]);
        let s = &from.values().next().expect("one vault").schedule;
        assert_eq!((s.generation, s.last), (2, CREATED + 200 * DAY));
    }

    #[test]
    fn the_last_audit_is_the_latest_a_drill_recorded() {
        let sheet = copy(1, "share-1.txt");
        let audited = |days, result: &str| {
            let mut r = logged(&sheet.item, days, "PASSED");
            r.tenant_audit = Some(drill_log::AuditRecord {
                export: "export".into(),
                result: result.into(),
                findings: 0,
                high: 0,
            });
            r
        };
        let j = status(
            std::slice::from_ref(&sheet),
            vec![audited(20, "findings"), audited(10, "clean")],
            30,
        );
        let (at, a) = j.vaults[0].1.last_audit.as_ref().expect("an audit");
        assert_eq!((*at, a.result.as_str()), (CREATED + 20 * DAY, "findings"));
    }

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
