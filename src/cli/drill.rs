//! `breakglass drill` and `breakglass status`: prove the quorum still works without showing any
//! secret, keep a log of it, and say when the next drill is due.

use super::drill_log::{self, Record};
use super::harden::Hardening;
use super::tenant;
use super::{CliResult, Failure, inputs, json, opening, output, visible};
use breakglass_core::Entry;
use breakglass_core::document::{SECONDS_PER_DAY, iso_date, next_drill_due};
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

fn print_record(rec: &Record) {
    println!("DRILL RECORD");
    println!("  date:        {}", visible(&rec.date));
    println!(
        "  vault:       {} ({})",
        visible(&rec.vault_id),
        visible(&rec.tenant)
    );
    println!("  generation:  {}", rec.generation);
    for s in &rec.shares {
        let who = if s.custodian.is_empty() {
            String::new()
        } else {
            format!(", {}", visible(&s.custodian))
        };
        println!(
            "  share {}:     {}{who} (from {})",
            s.index,
            visible(&s.location),
            visible(&s.source)
        );
    }
    if !rec.people.is_empty() {
        println!("  present:     {}", visible(&rec.people));
    }
    println!("  result:      {}", visible(&rec.result));
    println!("  next drill:  {}", visible(&rec.next_due));
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
    match opening::open_sheets(&args.files, args.passphrase_file.as_deref()) {
        Ok((r, _)) => {
            let mut rec = drill_log::record(
                &r,
                "drill",
                "PASSED: the shares recombined and the vault authenticated; no secret was shown",
            );
            rec.people = args.people.clone().unwrap_or_default();
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
                        result: format!("FAILED: {e}"),
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
                print_record(&rec);
            }
            if let Some(log) = &args.log {
                drill_log::append(log, &rec)?;
                if args.report.text() {
                    println!("  logged to:   {}", super::shown_path(log));
                }
            }
            if args.report.json {
                drill_json(&rec, true, args.log.as_deref())?;
            }
            match audited {
                Some(Ok(done)) => {
                    if args.report.text() {
                        println!();
                        tenant::print_report(&done);
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
                print_record(&rec);
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
        Some(g) if !breakglass_core::plan::is_guid(g) => {
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
    if !args.files.is_empty() {
        let g = inputs::from_files(&args.files);
        inputs::report(&g);
        args.report.read_from(&g);
        for v in &g.vaults {
            let h = &v.item.header;
            vaults.entry(h.vault_id.to_string()).or_insert(Schedule {
                tenant: h.tenant.clone(),
                generation: h.generation,
                interval: h.drill_interval_days,
                last: h.created,
                last_what: "created".into(),
                last_audit: None,
            });
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
    if !args.report.text() {
        let list: Vec<StatusVault> = vaults
            .iter()
            .map(|(id, s)| {
                let due_at = next_drill_due(s.last, s.interval);
                let days = |a: u64, b: u64| {
                    i64::try_from(a.saturating_sub(b) / SECONDS_PER_DAY).unwrap_or(i64::MAX)
                };
                StatusVault {
                    vault_id: id.clone(),
                    tenant: s.tenant.clone(),
                    generation: s.generation,
                    last_date: iso_date(s.last),
                    last_what: s.last_what.clone(),
                    drill_interval_days: s.interval,
                    next_due: due_at.map(iso_date),
                    overdue: due_at.is_some_and(|d| t > d),
                    days_left: due_at.map(|d| if t > d { -days(t, d) } else { days(d, t) }),
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
        let overdue = list.iter().any(|v| v.overdue);
        if args.report.json {
            json::print(&StatusJson {
                header: json::Header::v1("breakglass-status"),
                today: iso_date(t),
                overdue,
                vaults: list,
            })?;
        }
        if overdue {
            return Err(Failure::Overdue.because("a drill is overdue"));
        }
        return Ok(());
    }
    let mut overdue = false;
    for (id, s) in &vaults {
        println!(
            "vault {} ({}), generation {}",
            visible(id),
            visible(&s.tenant),
            s.generation
        );
        println!(
            "  last:        {} ({})",
            iso_date(s.last),
            visible(&s.last_what)
        );
        if let Some((at, a)) = &s.last_audit {
            println!(
                "  last audit:  {}: {} ({} finding(s), {} high) of {}",
                iso_date(*at),
                visible(&a.result),
                a.findings,
                a.high,
                visible(&a.export)
            );
        }
        let Some(due_at) = next_drill_due(s.last, s.interval) else {
            println!("  next drill:  not scheduled");
            continue;
        };
        // Counted in calendar days (UTC), as the dates are printed: a sheet made this morning
        // and a drill logged this afternoon both say "in 90 days" for the same due date.
        let (due_day, today) = (due_at / SECONDS_PER_DAY, t / SECONDS_PER_DAY);
        if today > due_day {
            overdue = true;
            println!(
                "  next drill:  OVERDUE since {} ({} days): run `breakglass drill` with k sheets",
                iso_date(due_at),
                today - due_day
            );
        } else {
            println!(
                "  next drill:  {} (in {} days)",
                iso_date(due_at),
                due_day - today
            );
        }
    }
    if overdue {
        return Err(Failure::Overdue.because("a drill is overdue"));
    }
    Ok(())
}
