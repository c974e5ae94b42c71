//! `breakglass verify-print`: read back printed-and-scanned sheets at the end of a ceremony and
//! certify each one before the originals go into envelopes.
//!
//! A sheet is certified only when its share and its vault text were both read back from one
//! scan and are, byte for byte, those of the ceremony's own sheet files (`--sheets DIR`) or,
//! without them, those every other scanned sheet carries; shares also pass the commitment check
//! recovery uses. Success means every sheet was read back: a sheet not scanned is listed, never
//! assumed. It shows no secret.

use super::{CliResult, Failure, files, inputs, json, output, prompt};
use breakglass_core::document;
use breakglass_core::recover::{self, RecoverError, Sourced};
use breakglass_core::share::Share;
use breakglass_core::vault::Vault;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scans or photos of page 1 of the printed sheets (images or PDFs); text files work too.
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// The folder the ceremony wrote (share-N.txt): each scan must match its sheet file exactly.
    #[arg(long, value_name = "DIR")]
    sheets: Option<PathBuf>,
    /// Also prove a vault with a passphrase opens: ask for the passphrase.
    #[arg(long)]
    passphrase: bool,
    /// Read the passphrase from this file (`-` for standard input) to prove the vault opens.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    report: output::Report,
}

/// `verify-print --json` (FORMAT.md §12.4).
#[derive(Serialize, Default)]
struct Json {
    #[serde(flatten)]
    header: Option<json::Header>,
    vault_id: String,
    tenant: String,
    generation: u32,
    threshold: u8,
    share_count: u8,
    sheets_folder: Option<String>,
    sheets: Vec<JsonSheet>,
    /// Problems not tied to an expected sheet (stray vault texts, sheets not expected here).
    other_problems: Vec<String>,
    /// `opened`, `not-opened`, `passphrase-not-given`, or `not-tried` (fewer than k shares).
    opens: &'static str,
    /// True exactly when the exit code is 0: every sheet read back and matching.
    verified: bool,
}

#[derive(Serialize)]
struct JsonSheet {
    index: u8,
    location: String,
    /// `ok`, `mismatch`, `share-only` (vault text not read), or `not-read`.
    status: &'static str,
    read_from: Vec<String>,
    problems: Vec<String>,
}

/// What one input (scan, photo or text file) gave.
struct Input {
    source: String,
    shares: Vec<Share>,
    vaults: Vec<Vault>,
}

impl Input {
    /// The sheet this input is, when it carries exactly one share.
    fn sheet(&self) -> Option<u8> {
        match self.shares.as_slice() {
            [s] => Some(s.index()),
            _ => None,
        }
    }
}

/// One sheet file the ceremony wrote.
struct RefSheet {
    file: String,
    share: Share,
    vault: Vault,
}

/// Reads the ceremony's sheet files (`share-N.txt`) from `dir`, by share index.
fn read_reference(dir: &Path) -> CliResult<BTreeMap<u8, RefSheet>> {
    let mut paths: Vec<PathBuf> = files::list_dir(dir)?
        .into_iter()
        .filter(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy())
                .is_some_and(|n| n.starts_with("share-") && n.ends_with(".txt"))
        })
        .collect();
    paths.sort();
    let mut out = BTreeMap::new();
    for p in paths {
        let file = p.display().to_string();
        let text = files::read_text(&p)?;
        let d = document::decode_text(&text).map_err(|e| Failure::about(p.display(), e))?;
        let (Some(share), Some(vault)) = (d.shares.first(), d.vaults.first()) else {
            return Err(Failure::BadInput.because(format!(
                "{file}: not a sheet file (it needs a share and the vault text)"
            )));
        };
        let index = share.index();
        if let Some(other) = out.insert(
            index,
            RefSheet {
                file: file.clone(),
                share: share.clone(),
                vault: vault.clone(),
            },
        ) {
            return Err(Failure::BadInput.because(format!(
                "{file} and {} are both sheet {index}: give the folder of one ceremony",
                other.file
            )));
        }
    }
    if out.is_empty() {
        return Err(Failure::BadInput.because(format!(
            "{} holds no sheet files (share-N.txt): give the folder the ceremony wrote",
            dir.display()
        )));
    }
    Ok(out)
}

/// True when `input` is a PNG or JPEG file (so "nothing read" may be page 2 of a sheet).
fn is_image(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && (head.starts_with(b"\x89PNG\r\n\x1a\n") || head.starts_with(&[0xFF, 0xD8, 0xFF]))
}

/// Reads every input on its own, so each vault copy stays tied to the sheet it came from: a
/// file of several sheets (a copier batch) is one input per sheet, as FORMAT.md §7.1 cuts it.
fn read_inputs(paths: &[PathBuf], report: &output::Report) -> Vec<Input> {
    let mut out = Vec::new();
    for p in paths {
        let mut g = inputs::from_files(std::slice::from_ref(p));
        let nothing = g.shares.is_empty() && g.vaults.is_empty() && g.incomplete.is_empty();
        inputs::report(&mut g);
        report.read_from(&g);
        // Said from the first scan's outcome: scanning the page again to tell a blank page 2
        // from a bad page 1 would double the time and still guess.
        if nothing && p.as_os_str() != "-" && is_image(p) {
            eprintln!(
                "note: nothing usable was read from {}. Page 2 of a sheet has no codes and needs no scan; if this is page 1, see the warning above and scan it again (flat, well lit, 150 dpi or more).",
                super::shown_path(p)
            );
        }
        let mut file: Vec<Input> = Vec::new();
        for s in g.shares {
            input_named(&mut file, s.source).shares.push(s.item);
        }
        for v in g.vaults {
            input_named(&mut file, v.source).vaults.push(v.item);
        }
        if file.is_empty() {
            input_named(&mut file, p.display().to_string());
        }
        out.extend(file);
    }
    out
}

/// The input of `file` named `source`, added when there is none yet.
fn input_named(file: &mut Vec<Input>, source: String) -> &mut Input {
    let at = match file.iter().position(|i| i.source == source) {
        Some(at) => at,
        None => {
            file.push(Input {
                source,
                shares: Vec::new(),
                vaults: Vec::new(),
            });
            file.len() - 1
        }
    };
    &mut file[at]
}

/// The vault copy carried by most inputs, if one is carried by strictly more than any other.
fn majority(inputs: &[Input]) -> (Option<Vault>, usize) {
    let mut copies: Vec<(Vault, usize)> = Vec::new();
    for v in inputs.iter().flat_map(|i| &i.vaults) {
        match copies
            .iter_mut()
            .find(|(c, _)| c.to_bytes() == v.to_bytes())
        {
            Some((_, n)) => *n += 1,
            None => copies.push((v.clone(), 1)),
        }
    }
    let distinct = copies.len();
    copies.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    match copies.as_slice() {
        [(v, _)] => (Some(v.clone()), distinct),
        [(v, a), (_, b), ..] if a > b => (Some(v.clone()), distinct),
        _ => (None, distinct),
    }
}

/// Byte for byte, in constant time (`SecretBytes`'s equality).
fn same_share(a: &Share, b: &Share) -> bool {
    a.to_bytes() == b.to_bytes()
}

/// Printouts of one generation checked against the folder of another (old sheets against the
/// files of a rekey or rotation) differ on every sheet; say that, not "altered or misprinted".
fn generations_agree(
    reference: &BTreeMap<u8, RefSheet>,
    inputs: &[Input],
    dir: &Path,
) -> CliResult {
    let folder: BTreeSet<u32> = reference
        .values()
        .map(|s| s.vault.header.generation)
        .collect();
    let scanned: BTreeSet<u32> = inputs
        .iter()
        .flat_map(|i| {
            i.shares
                .iter()
                .map(|s| s.generation)
                .chain(i.vaults.iter().map(|v| v.header.generation))
        })
        .collect();
    let other: Vec<String> = scanned.difference(&folder).map(u32::to_string).collect();
    if other.is_empty() {
        return Ok(());
    }
    let folder: Vec<String> = folder.iter().map(u32::to_string).collect();
    let newer = scanned.iter().max() > reference.values().map(|s| &s.vault.header.generation).max();
    Err(Failure::BadInput.because(format!(
        "the generations differ: the scans are generation {} of this vault and {} holds generation {}. {}",
        other.join(" and "),
        super::shown_path(dir),
        folder.join(" and "),
        if newer {
            "Verify these printouts against the folder their generation was written to."
        } else {
            "Old printouts were retired when the newer generation was made: destroy them, and verify the new printouts against this folder."
        }
    )))
}

/// What was found for one sheet.
#[derive(Default)]
struct SheetState {
    /// Inputs that gave both this sheet's share and a vault copy, all matching.
    read_whole: Vec<String>,
    /// Inputs that gave only the share.
    share_only: Vec<String>,
    problems: Vec<String>,
}

pub fn run(args: Args) -> CliResult {
    let reference = match &args.sheets {
        Some(dir) => Some(read_reference(dir)?),
        None => None,
    };
    let inputs = read_inputs(&args.images, &args.report);
    let text = args.report.text();
    // Prints a line of the human report (not with --json or -q).
    macro_rules! say {
        ($($t:tt)*) => { if text { outln!($($t)*)?; } };
    }
    let mut j = Json {
        header: Some(json::Header::v1("breakglass-verify-print")),
        sheets_folder: args.sheets.as_ref().map(|d| d.display().to_string()),
        ..Json::default()
    };

    // Sheets of another vault: named, and nothing else is judged.
    let mut groups: BTreeMap<breakglass_core::VaultId, Vec<String>> = BTreeMap::new();
    for r in reference.iter().flat_map(|r| r.values()) {
        groups
            .entry(r.vault.header.vault_id)
            .or_default()
            .push(r.file.clone());
    }
    for i in &inputs {
        let ids: BTreeSet<breakglass_core::VaultId> = i
            .shares
            .iter()
            .map(|s| s.vault_id)
            .chain(i.vaults.iter().map(|v| v.header.vault_id))
            .collect();
        for id in ids {
            groups.entry(id).or_default().push(i.source.clone());
        }
    }
    if groups.len() > 1 {
        let g = groups
            .into_iter()
            .map(|(id, s)| (id.to_string(), s))
            .collect();
        return Err(RecoverError::MixedVaults(g).into());
    }

    if let (Some(r), Some(dir)) = (&reference, &args.sheets) {
        generations_agree(r, &inputs, dir)?;
    }

    let (scanned_majority, distinct) = majority(&inputs);
    // The vault copy sheet `i` must carry.
    let expected_vault = |i: Option<u8>| -> Option<Vault> {
        match (&reference, i) {
            (Some(r), Some(i)) => r.get(&i).map(|s| s.vault.clone()),
            (Some(r), None)
                if r.values()
                    .all(|s| s.vault == r.values().next().unwrap().vault) =>
            {
                r.values().next().map(|s| s.vault.clone())
            }
            (Some(_), None) => None,
            (None, _) => scanned_majority.clone(),
        }
    };
    let Some(main) = reference
        .as_ref()
        .and_then(|r| r.values().next().map(|s| s.vault.clone()))
        .or_else(|| scanned_majority.clone())
        .or_else(|| inputs.iter().flat_map(|i| &i.vaults).next().cloned())
    else {
        return Err(Failure::BadInput
            .because("no vault code could be read from these scans: scan page 1 of each sheet"));
    };
    let h = &main.header;
    let n = h.share_count();
    j.vault_id = h.vault_id.to_string();
    j.tenant = h.tenant.clone();
    j.generation = h.generation;
    j.threshold = h.threshold;
    j.share_count = n;
    say!(
        "Vault {} of {} (generation {}): {} of {} shares recover it.",
        h.vault_id,
        super::visible(&h.tenant),
        h.generation,
        h.threshold,
        n
    );
    let expected: BTreeSet<u8> = match &reference {
        Some(r) => r.keys().copied().collect(),
        None => (1..=n).collect(),
    };
    if reference.is_none() && distinct > 1 && scanned_majority.is_none() {
        eprintln!(
            "warning: the scanned sheets carry {distinct} different vault texts and none is carried by most: each is named below; compare them with the ceremony's files (--sheets DIR)"
        );
    }

    let mut sheets: BTreeMap<u8, SheetState> = BTreeMap::new();
    let mut stray: Vec<String> = Vec::new();
    let mut verified_shares: Vec<Sourced<Share>> = Vec::new();
    for input in &inputs {
        let sheet = input.sheet();
        let src = &input.source;
        for s in &input.shares {
            let i = s.index();
            let state = sheets.entry(i).or_default();
            let matches = match &reference {
                Some(r) => match r.get(&i) {
                    Some(rs) => {
                        if !same_share(s, &rs.share) {
                            state.problems.push(format!(
                                "{src}: its share differs from {}: it may have been altered or misprinted",
                                rs.file
                            ));
                            false
                        } else if !rs.vault.header.commits_to(s) {
                            state.problems.push(format!(
                                "{src}: its share does not check against the vault in {}",
                                rs.file
                            ));
                            false
                        } else {
                            true
                        }
                    }
                    None => {
                        state.problems.push(format!(
                            "{src}: share {i} is not one of the sheets in the ceremony's folder"
                        ));
                        false
                    }
                },
                None => match expected_vault(Some(i)) {
                    Some(v) if v.header.commits_to(s) => true,
                    Some(_) => {
                        state.problems.push(format!(
                            "{src}: share {i} does not match this vault (recovery would leave it out)"
                        ));
                        false
                    }
                    None => {
                        state.problems.push(format!(
                            "{src}: share {i} cannot be checked: the vault texts read disagree"
                        ));
                        false
                    }
                },
            };
            if matches {
                if let Some(first) = verified_shares.iter().find(|v| v.item.index() == i) {
                    if !same_share(&first.item, s) {
                        state.problems.push(format!(
                            "{src}: share {i} differs from the one read from {}",
                            first.source
                        ));
                    }
                } else {
                    verified_shares.push(Sourced::new(src.clone(), s.clone()));
                }
            }
        }
        let mut vault_ok = !input.vaults.is_empty();
        for v in &input.vaults {
            let good = expected_vault(sheet).is_some_and(|e| e.to_bytes() == v.to_bytes());
            if good {
                continue;
            }
            vault_ok = false;
            let against = match (&reference, sheet) {
                (Some(r), Some(i)) => r
                    .get(&i)
                    .map(|s| s.file.clone())
                    .unwrap_or_else(|| "the ceremony's sheet files".into()),
                (Some(_), None) => "the ceremony's sheet files".into(),
                (None, _) => "the other sheets".into(),
            };
            let msg = format!(
                "{src}: its vault text differs from {against}: it may have been altered or misprinted"
            );
            match sheet {
                Some(i) => sheets.entry(i).or_default().problems.push(msg),
                None => stray.push(msg),
            }
        }
        if let Some(i) = sheet {
            let state = sheets.entry(i).or_default();
            if vault_ok {
                state.read_whole.push(src.clone());
            } else if input.vaults.is_empty() {
                state.share_only.push(src.clone());
            }
        }
    }

    let mut ok = stray.is_empty();
    let mut missing = Vec::new();
    for msg in &stray {
        say!("  {}", super::visible(msg));
    }
    j.other_problems.extend(stray.iter().cloned());
    let label = |i: u8| {
        main.header
            .label(i)
            .map(|l| l.location.clone())
            .unwrap_or_else(|| "?".into())
    };
    for (&i, state) in &sheets {
        if !expected.contains(&i) && state.problems.is_empty() {
            say!("  sheet {i}: not one of the sheets expected here");
            j.other_problems
                .push(format!("sheet {i}: not one of the sheets expected here"));
            ok = false;
        }
    }
    for &i in &expected {
        let state = sheets.remove(&i).unwrap_or_default();
        let shown = super::visible(&label(i)).into_owned();
        let status = if !state.problems.is_empty() {
            say!("  sheet {i} of {n} ({shown}): DOES NOT MATCH");
            for p in &state.problems {
                say!("    {}", super::visible(p));
            }
            ok = false;
            "mismatch"
        } else if !state.read_whole.is_empty() {
            say!(
                "  sheet {i} of {n} ({shown}): OK (read from {})",
                super::visible(&state.read_whole.join(", "))
            );
            "ok"
        } else if !state.share_only.is_empty() {
            say!(
                "  sheet {i} of {n} ({shown}): share read, but not its vault text (from {}): scan page 1 again",
                super::visible(&state.share_only.join(", "))
            );
            missing.push(i);
            "share-only"
        } else {
            say!("  sheet {i} of {n} ({shown}): NOT READ BACK");
            missing.push(i);
            "not-read"
        };
        j.sheets.push(JsonSheet {
            index: i,
            location: label(i),
            status,
            read_from: if state.read_whole.is_empty() {
                state.share_only
            } else {
                state.read_whole
            },
            problems: state.problems,
        });
    }
    for (i, state) in sheets {
        for p in state.problems {
            say!("  sheet {i}: {}", super::visible(&p));
            j.other_problems.push(format!("sheet {i}: {p}"));
            ok = false;
        }
    }
    if ok && missing.is_empty() {
        match &args.sheets {
            Some(d) => say!(
                "All {} sheets read back and match the vault and the sheet files in {}.",
                expected.len(),
                super::shown_path(d)
            ),
            None => say!(
                "All {} sheets read back and match the vault.",
                expected.len()
            ),
        }
    }
    let opens = prove_opens(&args, &main, &verified_shares)?;
    ok &= opens != "not-opened";
    if args.report.json {
        j.opens = opens;
        j.verified = ok && missing.is_empty();
        json::print(&j)?;
    }
    if !ok {
        return Err(Failure::BadInput.because(
            "some sheets do not match: do not seal them; reprint them from the ceremony's files and verify again",
        ));
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(u8::to_string).collect();
        return Err(Failure::Shares.because(format!(
            "not every sheet was read back: sheet(s) {} missing; scan page 1 of each and run verify-print again",
            list.join(", ")
        )));
    }
    Ok(())
}

/// With k verified shares, proves the vault copy opens without showing anything. A vault with
/// a passphrase is opened only when the passphrase was asked for. Returns what happened, as
/// the JSON report names it: `not-opened` when it did not open.
fn prove_opens(args: &Args, vault: &Vault, shares: &[Sourced<Share>]) -> CliResult<&'static str> {
    let h = &vault.header;
    let text = args.report.text();
    if shares.len() < usize::from(h.threshold) {
        return Ok("not-tried");
    }
    let asked = args.passphrase || args.passphrase_file.is_some();
    let passphrase = match (&h.passphrase, asked) {
        (None, true) => {
            eprintln!("note: this vault has no passphrase; none is needed to open it");
            None
        }
        (None, false) => None,
        (Some(_), true) => Some(prompt::passphrase(args.passphrase_file.as_deref(), false)?),
        (Some(_), false) => {
            if text {
                outln!(
                    "The vault also needs its passphrase: pass --passphrase to prove it opens as well."
                )?;
            }
            return Ok("passphrase-not-given");
        }
    };
    match recover::match_shares(shares.to_vec(), vec![Sourced::new("vault", vault.clone())])
        .and_then(|s| s.open(passphrase.as_ref()))
    {
        Ok(r) => {
            if text {
                outln!(
                    "The vault opens with shares {} ({} entries); nothing was shown.",
                    r.indices
                        .iter()
                        .map(u8::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    r.contents.entries.len()
                )?;
            }
            Ok("opened")
        }
        Err(e) => {
            // An error, so shown even with -q or --json (on standard error then).
            let msg = format!(
                "The vault does NOT open with these shares: {}",
                super::visible(&e.to_string())
            );
            if text {
                outln!("{msg}")?;
            } else {
                eprintln!("{msg}");
            }
            Ok("not-opened")
        }
    }
}
