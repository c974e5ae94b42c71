//! `breakglass verify-print`: read back printed-and-scanned sheets at the end of a ceremony and
//! certify each one before the originals go into envelopes.
//!
//! A sheet is certified only when its share and its vault text were both read back from one
//! scan and are, byte for byte, those of the ceremony's own sheet files (`--sheets DIR`) or,
//! without them, those every other scanned sheet carries; shares also pass the commitment check
//! recovery uses. Success means every sheet was read back: a sheet not scanned is listed, never
//! assumed. It shows no secret.

use crate::plumbing::{CliResult, Failure, files, inputs, json, prompt, report};
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
    report: report::Report,
}

/// `verify-print --json` (FORMAT.md §12.4).
#[derive(Serialize)]
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
fn read_inputs(paths: &[PathBuf], report: &report::Report) -> Vec<Input> {
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
                crate::plumbing::shown_path(p)
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
        crate::plumbing::shown_path(dir),
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

/// Where an expected sheet stands (`verify-print --json`'s `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Read back whole (share and vault text) and matching.
    Ok,
    /// Something read for it does not match.
    Mismatch,
    /// Its share was read, not its vault text.
    ShareOnly,
    /// Nothing was read for it.
    NotRead,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Mismatch => "mismatch",
            Status::ShareOnly => "share-only",
            Status::NotRead => "not-read",
        }
    }
}

/// The verdict on one expected sheet.
struct SheetVerdict {
    index: u8,
    location: String,
    status: Status,
    /// The inputs it was read from (whole, else share only).
    read_from: Vec<String>,
    problems: Vec<String>,
}

/// What `verify-print` decided from the inputs and the ceremony's files, before anything is
/// printed: every mode (text, `--json`, `-q`) reports this and exits by it.
struct Judgement {
    /// The vault the sheets are of (the folder's, else the copy most scans carry).
    main: Vault,
    /// Without `--sheets`: how many different vault texts were read when none is carried by
    /// most (a warning).
    disagree: Option<usize>,
    /// Vault texts not tied to one sheet that differ from the expected one.
    stray: Vec<String>,
    /// Sheets read back that are not expected here (and with nothing else wrong).
    unexpected: Vec<u8>,
    /// One verdict per expected sheet, by index.
    sheets: Vec<SheetVerdict>,
    /// Problems of sheets not expected here: (sheet, problem).
    unexpected_problems: Vec<(u8, String)>,
    /// Shares that check, one per index, for proving the vault opens.
    verified_shares: Vec<Sourced<Share>>,
}

impl Judgement {
    /// Every sheet matches, and nothing read belongs elsewhere.
    fn matches(&self) -> bool {
        self.stray.is_empty()
            && self.unexpected.is_empty()
            && self.unexpected_problems.is_empty()
            && self.sheets.iter().all(|s| s.status != Status::Mismatch)
    }

    /// The expected sheets not read back whole.
    fn missing(&self) -> Vec<u8> {
        self.sheets
            .iter()
            .filter(|s| matches!(s.status, Status::ShareOnly | Status::NotRead))
            .map(|s| s.index)
            .collect()
    }

    /// The exit, once the opening was tried: 3 when anything does not match (or the vault did
    /// not open), else 4 when a sheet was not read back.
    fn verdict(&self, opens: &str) -> CliResult {
        if !self.matches() || opens == "not-opened" {
            return Err(Failure::BadInput.because(
                "some sheets do not match: do not seal them; reprint them from the ceremony's files and verify again",
            ));
        }
        let missing = self.missing();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(u8::to_string).collect();
            return Err(Failure::Shares.because(format!(
                "not every sheet was read back: sheet(s) {} missing; scan page 1 of each and run verify-print again",
                list.join(", ")
            )));
        }
        Ok(())
    }
}

/// Refuses inputs (and sheet files) of more than one vault: named, and nothing else judged.
fn one_vault(inputs: &[Input], reference: Option<&BTreeMap<u8, RefSheet>>) -> CliResult {
    let mut groups: BTreeMap<breakglass_core::VaultId, Vec<String>> = BTreeMap::new();
    for r in reference.iter().flat_map(|r| r.values()) {
        groups
            .entry(r.vault.header.vault_id)
            .or_default()
            .push(r.file.clone());
    }
    for i in inputs {
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
    Ok(())
}

/// What each sheet is checked against: the ceremony's files, else the scans' majority copy.
struct Against<'a> {
    reference: Option<&'a BTreeMap<u8, RefSheet>>,
    majority: Option<Vault>,
}

impl Against<'_> {
    /// The vault copy sheet `i` must carry (`None`: an input of no one sheet).
    fn vault(&self, i: Option<u8>) -> Option<Vault> {
        match (self.reference, i) {
            (Some(r), Some(i)) => r.get(&i).map(|s| s.vault.clone()),
            (Some(r), None) => {
                let first = r.values().next().map(|s| &s.vault);
                r.values()
                    .all(|s| Some(&s.vault) == first)
                    .then(|| first.cloned())
                    .flatten()
            }
            (None, _) => self.majority.clone(),
        }
    }

    /// Why share `s` read from `src` does not check, if it does not.
    fn share_problem(&self, src: &str, s: &Share) -> Option<String> {
        let i = s.index();
        match self.reference.map(|r| r.get(&i)) {
            Some(Some(rs)) if !same_share(s, &rs.share) => Some(format!(
                "{src}: its share differs from {}: it may have been altered or misprinted",
                rs.file
            )),
            Some(Some(rs)) if !rs.vault.header.commits_to(s) => Some(format!(
                "{src}: its share does not check against the vault in {}",
                rs.file
            )),
            Some(Some(_)) => None,
            Some(None) => Some(format!(
                "{src}: share {i} is not one of the sheets in the ceremony's folder"
            )),
            None => match self.vault(Some(i)) {
                Some(v) if v.header.commits_to(s) => None,
                Some(_) => Some(format!(
                    "{src}: share {i} does not match this vault (recovery would leave it out)"
                )),
                None => Some(format!(
                    "{src}: share {i} cannot be checked: the vault texts read disagree"
                )),
            },
        }
    }

    /// What a vault text read for `sheet` is compared with, in words.
    fn vault_source(&self, sheet: Option<u8>) -> String {
        match (self.reference, sheet) {
            (Some(r), Some(i)) => r
                .get(&i)
                .map(|s| s.file.clone())
                .unwrap_or_else(|| "the ceremony's sheet files".into()),
            (Some(_), None) => "the ceremony's sheet files".into(),
            (None, _) => "the other sheets".into(),
        }
    }
}

/// What was read back for each sheet, the vault texts of no one sheet that differ, and the
/// shares that check (one per index; a second, different one is a problem of its sheet).
fn read_back(
    inputs: &[Input],
    against: &Against,
) -> (BTreeMap<u8, SheetState>, Vec<String>, Vec<Sourced<Share>>) {
    let mut sheets: BTreeMap<u8, SheetState> = BTreeMap::new();
    let mut stray: Vec<String> = Vec::new();
    let mut verified: Vec<Sourced<Share>> = Vec::new();
    for input in inputs {
        let sheet = input.sheet();
        let src = &input.source;
        for s in &input.shares {
            let i = s.index();
            let state = sheets.entry(i).or_default();
            if let Some(p) = against.share_problem(src, s) {
                state.problems.push(p);
            } else if let Some(first) = verified.iter().find(|v| v.item.index() == i) {
                if !same_share(&first.item, s) {
                    state.problems.push(format!(
                        "{src}: share {i} differs from the one read from {}",
                        first.source
                    ));
                }
            } else {
                verified.push(Sourced::new(src.clone(), s.clone()));
            }
        }
        let expected = against.vault(sheet);
        let mut vault_ok = !input.vaults.is_empty();
        for v in &input.vaults {
            if expected
                .as_ref()
                .is_some_and(|e| e.to_bytes() == v.to_bytes())
            {
                continue;
            }
            vault_ok = false;
            let msg = format!(
                "{src}: its vault text differs from {}: it may have been altered or misprinted",
                against.vault_source(sheet)
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
    (sheets, stray, verified)
}

/// The judgement of `verify-print`: every input against the ceremony's sheet files (`reference`,
/// read from its folder) or, without them, against the copy most scans carry.
fn judge(
    inputs: &[Input],
    reference: Option<(&Path, &BTreeMap<u8, RefSheet>)>,
) -> CliResult<Judgement> {
    let files = reference.map(|(_, r)| r);
    one_vault(inputs, files)?;
    if let Some((dir, r)) = reference {
        generations_agree(r, inputs, dir)?;
    }
    let (majority, distinct) = majority(inputs);
    let Some(main) = files
        .and_then(|r| r.values().next().map(|s| s.vault.clone()))
        .or_else(|| majority.clone())
        .or_else(|| inputs.iter().flat_map(|i| &i.vaults).next().cloned())
    else {
        return Err(Failure::BadInput
            .because("no vault code could be read from these scans: scan page 1 of each sheet"));
    };
    let expected: BTreeSet<u8> = match files {
        Some(r) => r.keys().copied().collect(),
        None => (1..=main.header.share_count()).collect(),
    };
    let disagree = (files.is_none() && distinct > 1 && majority.is_none()).then_some(distinct);
    let against = Against {
        reference: files,
        majority,
    };
    let (mut states, stray, verified_shares) = read_back(inputs, &against);
    let unexpected = states
        .iter()
        .filter(|(i, s)| !expected.contains(i) && s.problems.is_empty())
        .map(|(&i, _)| i)
        .collect();
    let location = |i: u8| {
        main.header
            .label(i)
            .map(|l| l.location.clone())
            .unwrap_or_else(|| "?".into())
    };
    let sheets = expected
        .iter()
        .map(|&i| verdict_of(i, location(i), states.remove(&i).unwrap_or_default()))
        .collect();
    let unexpected_problems = states
        .into_iter()
        .flat_map(|(i, s)| s.problems.into_iter().map(move |p| (i, p)))
        .collect();
    Ok(Judgement {
        main,
        disagree,
        stray,
        unexpected,
        sheets,
        unexpected_problems,
        verified_shares,
    })
}

/// The verdict on expected sheet `index` from what was read for it.
fn verdict_of(index: u8, location: String, state: SheetState) -> SheetVerdict {
    let status = if !state.problems.is_empty() {
        Status::Mismatch
    } else if !state.read_whole.is_empty() {
        Status::Ok
    } else if !state.share_only.is_empty() {
        Status::ShareOnly
    } else {
        Status::NotRead
    };
    SheetVerdict {
        index,
        location,
        status,
        read_from: if state.read_whole.is_empty() {
            state.share_only
        } else {
            state.read_whole
        },
        problems: state.problems,
    }
}

/// The human report of a judgement (not with `--json` or `-q`), up to the opening.
fn print_text(j: &Judgement, sheets_dir: Option<&Path>) -> CliResult {
    let h = &j.main.header;
    let n = h.share_count();
    for msg in &j.stray {
        outln!("  {}", crate::plumbing::visible(msg))?;
    }
    for i in &j.unexpected {
        outln!("  sheet {i}: not one of the sheets expected here")?;
    }
    for s in &j.sheets {
        let (i, shown) = (s.index, crate::plumbing::visible(&s.location));
        let from = crate::plumbing::visible(&s.read_from.join(", ")).into_owned();
        match s.status {
            Status::Mismatch => {
                outln!("  sheet {i} of {n} ({shown}): DOES NOT MATCH")?;
                for p in &s.problems {
                    outln!("    {}", crate::plumbing::visible(p))?;
                }
            }
            Status::Ok => outln!("  sheet {i} of {n} ({shown}): OK (read from {from})")?,
            Status::ShareOnly => outln!(
                "  sheet {i} of {n} ({shown}): share read, but not its vault text (from {from}): scan page 1 again"
            )?,
            Status::NotRead => outln!("  sheet {i} of {n} ({shown}): NOT READ BACK")?,
        }
    }
    for (i, p) in &j.unexpected_problems {
        outln!("  sheet {i}: {}", crate::plumbing::visible(p))?;
    }
    if j.matches() && j.missing().is_empty() {
        match sheets_dir {
            Some(d) => outln!(
                "All {} sheets read back and match the vault and the sheet files in {}.",
                j.sheets.len(),
                crate::plumbing::shown_path(d)
            )?,
            None => outln!(
                "All {} sheets read back and match the vault.",
                j.sheets.len()
            )?,
        }
    }
    Ok(())
}

/// `verify-print --json` of a judgement and the opening's outcome.
fn print_json(j: &Judgement, sheets_dir: Option<&Path>, opens: &'static str) -> CliResult {
    let h = &j.main.header;
    let other_problems = j
        .stray
        .iter()
        .cloned()
        .chain(
            j.unexpected
                .iter()
                .map(|i| format!("sheet {i}: not one of the sheets expected here")),
        )
        .chain(
            j.unexpected_problems
                .iter()
                .map(|(i, p)| format!("sheet {i}: {p}")),
        )
        .collect();
    json::print(&Json {
        header: Some(json::Header::v1("breakglass-verify-print")),
        vault_id: h.vault_id.to_string(),
        tenant: h.tenant.clone(),
        generation: h.generation,
        threshold: h.threshold,
        share_count: h.share_count(),
        sheets_folder: sheets_dir.map(|d| d.display().to_string()),
        sheets: j
            .sheets
            .iter()
            .map(|s| JsonSheet {
                index: s.index,
                location: s.location.clone(),
                status: s.status.name(),
                read_from: s.read_from.clone(),
                problems: s.problems.clone(),
            })
            .collect(),
        other_problems,
        opens,
        verified: j.matches() && opens != "not-opened" && j.missing().is_empty(),
    })
}

pub fn run(args: Args) -> CliResult {
    let reference = match &args.sheets {
        Some(dir) => Some(read_reference(dir)?),
        None => None,
    };
    let inputs = read_inputs(&args.images, &args.report);
    let j = judge(&inputs, args.sheets.as_deref().zip(reference.as_ref()))?;
    let h = &j.main.header;
    if args.report.text() {
        outln!(
            "Vault {} of {} (generation {}): {} of {} shares recover it.",
            h.vault_id,
            crate::plumbing::visible(&h.tenant),
            h.generation,
            h.threshold,
            h.share_count()
        )?;
    }
    if let Some(distinct) = j.disagree {
        eprintln!(
            "warning: the scanned sheets carry {distinct} different vault texts and none is carried by most: each is named below; compare them with the ceremony's files (--sheets DIR)"
        );
    }
    if args.report.text() {
        print_text(&j, args.sheets.as_deref())?;
    }
    let opens = prove_opens(&args, &j.main, &j.verified_shares)?;
    if args.report.json {
        print_json(&j, args.sheets.as_deref(), opens)?;
    }
    j.verdict(opens)
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
                crate::plumbing::visible(&e.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;
    use breakglass_core::seal::{self, SealParams, Sealed};
    use breakglass_core::testkit;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    /// A 2-of-3 sample ceremony; `like`: another sealing of the same vault id (a forgery or a
    /// misprint that keeps the id), at `generation`.
    fn sealed(seed: u64, like: Option<&Sealed>, generation: u32) -> Sealed {
        let params = SealParams {
            vault_id: like.map(|s| s.vault.header.vault_id),
            generation,
            ..testkit::params(2, 3)
        };
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        seal::seal(&params, &testkit::contents(), &mut rng).expect("the sample seals")
    }

    /// The ceremony's folder: share-N.txt of every sheet.
    fn folder(s: &Sealed) -> BTreeMap<u8, RefSheet> {
        s.shares
            .iter()
            .map(|share| {
                let file = format!("sheets/share-{}.txt", share.index());
                let sheet = RefSheet {
                    file,
                    share: share.clone(),
                    vault: s.vault.clone(),
                };
                (share.index(), sheet)
            })
            .collect()
    }

    /// A scan of sheet `i` of `s`: its share and its vault text.
    fn scan(s: &Sealed, i: u8, source: &str) -> Input {
        Input {
            source: source.into(),
            shares: vec![s.shares[usize::from(i - 1)].clone()],
            vaults: vec![s.vault.clone()],
        }
    }

    fn with_folder(inputs: &[Input], s: &Sealed) -> CliResult<Judgement> {
        judge(inputs, Some((Path::new("sheets"), &folder(s))))
    }

    fn statuses(j: &Judgement) -> Vec<&'static str> {
        j.sheets.iter().map(|s| s.status.name()).collect()
    }

    fn exit(r: CliResult) -> u8 {
        r.map_or_else(|e| Failure::of(&e).code(), |()| 0)
    }

    #[test]
    fn matching_sheets_are_ok_with_and_without_the_folder() {
        let s = sealed(1, None, 1);
        let inputs: Vec<Input> = (1..=3).map(|i| scan(&s, i, &format!("scan{i}"))).collect();
        for j in [
            with_folder(&inputs, &s).unwrap(),
            judge(&inputs, None).unwrap(),
        ] {
            assert_eq!(statuses(&j), ["ok", "ok", "ok"]);
            assert_eq!(j.sheets[1].read_from, ["scan2"]);
            assert_eq!(j.sheets[0].location, "Safe A (HQ)");
            assert_eq!(j.verified_shares.len(), 3);
            assert_eq!(exit(j.verdict("opened")), 0);
            assert_eq!(exit(j.verdict("not-opened")), 3);
        }
    }

    #[test]
    fn an_altered_share_or_vault_text_is_a_mismatch_named_by_file() {
        let s = sealed(1, None, 1);
        let other = sealed(2, Some(&s), 1);
        let mut altered = scan(&s, 2, "scan2");
        altered.shares = vec![other.shares[1].clone()];
        let mut reprinted = scan(&s, 3, "scan3");
        reprinted.vaults = vec![other.vault.clone()];
        let inputs = [scan(&s, 1, "scan1"), altered, reprinted];
        let j = with_folder(&inputs, &s).unwrap();
        assert_eq!(statuses(&j), ["ok", "mismatch", "mismatch"]);
        assert_eq!(
            j.sheets[1].problems,
            [
                "scan2: its share differs from sheets/share-2.txt: it may have been altered or misprinted"
            ]
        );
        assert_eq!(
            j.sheets[2].problems,
            [
                "scan3: its vault text differs from sheets/share-3.txt: it may have been altered or misprinted"
            ]
        );
        assert_eq!(exit(j.verdict("not-tried")), 3);
        // Without the folder, the altered share does not check against the vault most carry.
        let j = judge(&inputs, None).unwrap();
        assert_eq!(statuses(&j), ["ok", "mismatch", "mismatch"]);
        assert!(j.sheets[1].problems[0].contains("does not match this vault"));
    }

    #[test]
    fn sheets_of_another_generation_are_refused_as_such() {
        let s = sealed(1, None, 1);
        let next = sealed(2, Some(&s), 2);
        let inputs: Vec<Input> = (1..=3).map(|i| scan(&s, i, "old")).collect();
        let e = with_folder(&inputs, &next).err().expect("refused");
        assert_eq!(Failure::of(&e).code(), 3);
        assert!(e.to_string().contains("the generations differ"), "{e}");
        assert!(e.to_string().contains("Old printouts were retired"), "{e}");
    }

    #[test]
    fn a_sheet_of_another_vault_is_named_and_nothing_judged() {
        let s = sealed(1, None, 1);
        let stranger = sealed(2, None, 1);
        let inputs = [scan(&s, 1, "scan1"), scan(&stranger, 2, "stranger")];
        let e = judge(&inputs, None).err().expect("refused");
        assert_eq!(Failure::of(&e).code(), 4);
        assert!(e.to_string().contains("stranger") || format!("{e:?}").contains("stranger"));
    }

    #[test]
    fn a_missing_sheet_or_a_missing_vault_text_is_not_verified() {
        let s = sealed(1, None, 1);
        let mut share_only = scan(&s, 2, "scan2");
        share_only.vaults.clear();
        let j = with_folder(&[scan(&s, 1, "scan1"), share_only], &s).unwrap();
        assert_eq!(statuses(&j), ["ok", "share-only", "not-read"]);
        assert_eq!(j.missing(), [2, 3]);
        assert!(j.matches());
        let e = j.verdict("opened").expect_err("not verified");
        assert_eq!(Failure::of(&e).code(), 4);
        assert!(e.to_string().contains("sheet(s) 2, 3 missing"), "{e}");
    }

    #[test]
    fn a_duplicate_scan_counts_once_and_a_different_duplicate_is_a_mismatch() {
        let s = sealed(1, None, 1);
        let inputs = [
            scan(&s, 1, "a"),
            scan(&s, 1, "b"),
            scan(&s, 2, "c"),
            scan(&s, 3, "d"),
        ];
        let j = with_folder(&inputs, &s).unwrap();
        assert_eq!(statuses(&j), ["ok", "ok", "ok"]);
        assert_eq!(j.sheets[0].read_from, ["a", "b"]);
        assert_eq!(j.verified_shares.len(), 3, "one share per index");
        // Without the folder, a second sheet 1 whose share still checks but differs from the
        // first (two sealings share no points, so this one comes from a forged copy).
        let other = sealed(2, Some(&s), 1);
        let mut forged = scan(&s, 1, "e");
        forged.shares = vec![other.shares[0].clone()];
        let j = judge(&[scan(&s, 1, "a"), forged, scan(&s, 2, "c")], None).unwrap();
        assert_eq!(j.sheets[0].status, Status::Mismatch);
    }

    #[test]
    fn a_sheet_not_in_the_folder_is_not_expected_here() {
        let s = sealed(1, None, 1);
        let mut two = folder(&s);
        two.remove(&3);
        let inputs: Vec<Input> = (1..=3).map(|i| scan(&s, i, &format!("scan{i}"))).collect();
        let j = judge(&inputs, Some((Path::new("sheets"), &two))).unwrap();
        assert_eq!(statuses(&j), ["ok", "ok"]);
        assert!(!j.matches());
        // Its share is not the folder's, nor is its vault copy one the folder holds for it.
        let problems: Vec<&str> = j
            .unexpected_problems
            .iter()
            .map(|(i, p)| {
                assert_eq!(*i, 3);
                p.as_str()
            })
            .collect();
        assert_eq!(
            problems,
            [
                "scan3: share 3 is not one of the sheets in the ceremony's folder",
                "scan3: its vault text differs from the ceremony's sheet files: it may have been altered or misprinted"
            ]
        );
    }

    #[test]
    fn without_a_majority_copy_the_warning_is_due() {
        let s = sealed(1, None, 1);
        let other = sealed(2, Some(&s), 1);
        let mut b = scan(&s, 2, "b");
        b.vaults = vec![other.vault.clone()];
        let j = judge(&[scan(&s, 1, "a"), b], None).unwrap();
        assert_eq!(j.disagree, Some(2));
        let j = judge(&[scan(&s, 1, "a"), scan(&s, 2, "b")], None).unwrap();
        assert_eq!(j.disagree, None);
        assert_eq!(
            exit(judge(&[], None).map(|_| ())),
            3,
            "no vault code read at all"
        );
    }
}
