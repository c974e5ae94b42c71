//! `breakglass inspect`: what a sheet is, from that sheet alone.

use crate::plumbing::{CliResult, Failure, inputs, json, report, visible};
use breakglass_core::document::SheetFacts;
use breakglass_core::vault::VaultHeader;
use serde::Serialize;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Share files (share-N.txt) to describe; no other share is needed.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    report: report::Report,
}

/// `inspect --json` (FORMAT.md §12.1): one entry per share read, then vault texts read alone.
#[derive(Serialize)]
struct Json {
    #[serde(flatten)]
    header: json::Header,
    sheets: Vec<JsonSheet>,
    problems: Vec<String>,
}

#[derive(Serialize)]
struct JsonSheet {
    source: String,
    /// `share` (a share, perhaps with its vault copy) or `vault` (vault text without a share).
    kind: &'static str,
    vault_id: String,
    generation: u32,
    share: Option<JsonShare>,
    vault: Option<JsonVault>,
    /// `match`, `mismatch`, or null when the sheet carries no vault copy or no share.
    integrity: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonShare {
    index: u8,
    count: u8,
    threshold: u8,
}

#[derive(Serialize)]
struct JsonVault {
    fingerprint: String,
    tenant: String,
    threshold: u8,
    share_count: u8,
    location: Option<String>,
    custodian: Option<String>,
    created: String,
    next_drill_due: String,
    passphrase: bool,
}

fn json_vault(h: &VaultHeader, index: Option<u8>) -> JsonVault {
    let f = SheetFacts::new(h, index.unwrap_or(1));
    JsonVault {
        fingerprint: f.fingerprint.clone(),
        tenant: h.tenant.clone(),
        threshold: h.threshold,
        share_count: h.share_count(),
        location: index.map(|_| f.location.clone()),
        custodian: index.map(|_| f.custodian.clone()),
        created: f.created.clone(),
        next_drill_due: f.next_drill_due.clone(),
        passphrase: f.passphrase,
    }
}

fn run_json(g: &inputs::Gathered) -> CliResult {
    let mut sheets = Vec::new();
    for s in &g.shares {
        let share = &s.item;
        let copy = g
            .vaults
            .iter()
            .find(|v| v.source == s.source && v.item.header.vault_id == share.vault_id);
        let integrity = copy.map(|v| {
            let ok = v.item.header.commits_to(share);
            if ok { "match" } else { "mismatch" }
        });
        sheets.push(JsonSheet {
            source: s.source.clone(),
            kind: "share",
            vault_id: share.vault_id.to_string(),
            generation: share.generation,
            share: Some(JsonShare {
                index: share.index(),
                count: share.count,
                threshold: share.threshold,
            }),
            vault: copy.map(|v| json_vault(&v.item.header, Some(share.index()))),
            integrity,
        });
    }
    for v in &g.vaults {
        if g.shares.iter().any(|s| s.source == v.source) {
            continue;
        }
        let h = &v.item.header;
        sheets.push(JsonSheet {
            source: v.source.clone(),
            kind: "vault",
            vault_id: h.vault_id.to_string(),
            generation: h.generation,
            share: None,
            vault: Some(json_vault(h, None)),
            integrity: None,
        });
    }
    json::print(&Json {
        header: json::Header::v1("breakglass-inspect"),
        sheets,
        problems: g.problems.clone(),
    })
}

pub fn run(args: Args) -> CliResult {
    let g = inputs::from_files(&args.files);
    for p in &g.problems {
        eprintln!("error: {}", visible(p));
    }
    args.report.read_from(&g);
    if g.shares.is_empty() && g.vaults.is_empty() {
        return Err(
            Failure::BadInput.because("nothing to inspect: no readable share or vault text")
        );
    }
    if args.report.json {
        run_json(&g)?;
    } else if args.report.text() {
        print_text(&g)?;
    }
    if g.problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::BadInput.because("some files could not be read (see above)"))
    }
}

fn print_text(g: &inputs::Gathered) -> CliResult {
    for s in &g.shares {
        let share = &s.item;
        let copy = g
            .vaults
            .iter()
            .find(|v| v.source == s.source && v.item.header.vault_id == share.vault_id);
        outln!(
            "{}: share {} of {}; any {} recover",
            visible(&s.source),
            share.index(),
            share.count,
            share.threshold
        )?;
        match copy {
            Some(v) => {
                let h = &v.item.header;
                let f = SheetFacts::new(h, share.index());
                outln!(
                    "  vault:       {}  (fingerprint {})",
                    f.vault_id,
                    f.fingerprint
                )?;
                outln!("  tenant:      {}", visible(&h.tenant))?;
                outln!("  generation:  {}", share.generation)?;
                outln!("  location:    {}", visible(&f.location))?;
                outln!(
                    "  custodian:   {}",
                    if f.custodian.is_empty() {
                        "-".into()
                    } else {
                        visible(&f.custodian)
                    }
                )?;
                outln!("  created:     {}", f.created)?;
                outln!("  next drill:  {}", f.next_drill_due)?;
                outln!(
                    "  passphrase:  {}",
                    if f.passphrase {
                        "required as well"
                    } else {
                        "not used"
                    }
                )?;
                let ok = h.commits_to(share);
                outln!(
                    "  integrity:   {}",
                    if ok {
                        "the share matches the vault copy on this sheet"
                    } else {
                        "MISMATCH: the share does not match the vault copy on this sheet (altered or mixed up)"
                    }
                )?;
            }
            None => {
                outln!("  vault:       {}", share.vault_id)?;
                outln!("  generation:  {}", share.generation)?;
                outln!("  (no vault copy on this sheet: location and dates are not known)")?;
            }
        }
    }
    for v in &g.vaults {
        if g.shares.iter().any(|s| s.source == v.source) {
            continue;
        }
        let h = &v.item.header;
        outln!(
            "{}: vault text only (no share); vault {}, generation {}, {} of {} for {}",
            visible(&v.source),
            h.vault_id,
            h.generation,
            h.threshold,
            h.share_count(),
            visible(&h.tenant)
        )?;
    }
    Ok(())
}
