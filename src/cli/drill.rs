//! `breakglass drill`: prove the quorum still works without showing any secret, keep a log of
//! it (which `breakglass status` reads), and optionally audit the tenant export alongside.

use super::tenant;
use crate::plumbing::drill_log::{self, Record};
use crate::plumbing::harden::Hardening;
use crate::plumbing::{CliResult, Failure, inputs, json, open_vault, report, visible};
use breakglass_core::Entry;
use breakglass_core::tenant::{Account, ExpectedKey, GroupSource};
use breakglass_core::vault::VaultHeader;
use serde::Serialize;
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
    report: report::Report,
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

/// The record of a drill that opened the vault, and the tenant audit it ran (if asked).
fn passed_record(
    args: &DrillArgs,
    r: breakglass_core::Recovered,
) -> (Record, Option<CliResult<tenant::Audited>>) {
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
        .map(|dir| drill_audit(args, dir, accounts));
    if let Some(a) = &audited {
        rec.tenant_audit = Some(match a {
            Ok(done) => done.record(),
            Err(e) => drill_log::AuditRecord {
                export: args
                    .tenant_export
                    .as_deref()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
                result: format!("FAILED: {}", crate::plumbing::failure::message(e.as_ref())),
                findings: 0,
                high: 0,
            },
        });
    }
    (rec, audited)
}

/// Shows the record (text or `--json`) and appends it to the log.
fn report_record(args: &DrillArgs, rec: &Record, passed: bool) -> CliResult {
    if args.report.text() {
        print_record(rec)?;
    }
    if let Some(log) = &args.log {
        drill_log::append(log, rec)?;
        if passed && args.report.text() {
            outln!("  logged to:   {}", crate::plumbing::shown_path(log))?;
        }
    }
    if args.report.json {
        drill_json(rec, passed, args.log.as_deref())?;
    }
    Ok(())
}

pub fn run_drill(args: DrillArgs, hardening: &Hardening) -> CliResult {
    crate::plumbing::warn_unlocked(hardening);
    match open_vault::open_sheets(
        &args.files,
        args.passphrase_file.as_deref(),
        args.generation,
    ) {
        Ok((r, _)) => {
            let (rec, audited) = passed_record(&args, r);
            if args.report.verbose {
                for s in &rec.shares {
                    eprintln!("read: {}: share {} (used)", visible(&s.source), s.index);
                }
            }
            report_record(&args, &rec, true)?;
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
            report_record(&args, &rec, false)?;
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
