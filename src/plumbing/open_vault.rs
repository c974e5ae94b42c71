//! Opening the vault from sheets: gather the inputs, match shares to vault copies, ask for the
//! passphrase only when a copy needs one, and say why it did not open. The one path
//! `recover`, `drill`, `rekey`, `rotate`, `expand` and `verify-print` share.

use super::{CliResult, Failure, inputs, prompt};
use breakglass_core::kdf::KdfParams;
use breakglass_core::recover::{self, RecoverError, Recovered};
use breakglass_core::secret::Passphrase;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Reads sheets (or typed blocks), checks them and opens the vault: the one path every
/// command that needs the key takes. Prints warnings about skipped inputs and shares.
/// With `generation`, only that generation's copies are tried (`--generation N`, to open the
/// other one when two generations open).
pub fn open_sheets(
    files: &[PathBuf],
    passphrase_file: Option<&std::path::Path>,
    generation: Option<u32>,
) -> CliResult<(Recovered, Option<Passphrase>)> {
    open_sheets_reporting(
        files,
        passphrase_file,
        generation,
        &super::report::Report::default(),
    )
}

/// As [`open_sheets`], saying with `-v` what was read from where.
pub fn open_sheets_reporting(
    files: &[PathBuf],
    passphrase_file: Option<&std::path::Path>,
    generation: Option<u32>,
    report: &super::report::Report,
) -> CliResult<(Recovered, Option<Passphrase>)> {
    let mut g = if files.is_empty() {
        inputs::typed()?
    } else {
        inputs::from_files(files)
    };
    inputs::fill_gaps(&mut g)?;
    report.read_from(&g);
    inputs::report(&mut g);
    if g.vaults.is_empty()
        && let Some(Err(e)) = g.incomplete.first().map(|b| b.decode())
    {
        return Err(Failure::BadInput.because(format!(
            "{e}: the vault's QR parts were not all read; scan the missing part from any sheet, or type its lines"
        )));
    }
    let given: std::collections::BTreeSet<u32> = g
        .shares
        .iter()
        .map(|s| s.item.generation)
        .chain(g.vaults.iter().map(|v| v.item.header.generation))
        .collect();
    // FORMAT.md §7.3: the exit code follows the error's kind alone (`Failure::of`).
    let set =
        recover::match_shares(g.shares, g.vaults).map_err(|e| generations_advice(e, &given))?;
    let set = match generation {
        Some(g) => set.only_generation(g),
        None => set,
    };
    if passphrase_file.is_some() && !set.needs_passphrase() {
        return Err(RecoverError::PassphraseNotUsed.into());
    }
    let differing = set.differing_copies();
    let mut unlock = CliUnlock {
        file: passphrase_file,
        passphrase: None,
        asked: false,
        failure: None,
        cost: None,
    };
    if passphrase_file.is_some() {
        recover::Unlock::passphrase(&mut unlock, "");
    }
    if let Some(f) = unlock.failure.take() {
        return Err(f);
    }
    let r = set.open_asking(&mut unlock).map_err(|e| {
        if differing.len() > 1 {
            let groups: Vec<String> = differing.iter().map(|g| g.join(", ")).collect();
            eprintln!(
                "warning: the vault text differs between these inputs: {}; all but one may have been altered",
                super::visible(&groups.join(" | "))
            );
        }
        match (&e, unlock.failure.take()) {
            (RecoverError::PassphraseRequired, Some(f)) => f,
            _ => generations_advice(e, &given),
        }
    })?;
    for rej in super::remedy::all_rejected(&r.rejected) {
        eprintln!("warning: {}", super::visible(&rej));
    }
    if let Some(n) = generations_notice(&r) {
        eprintln!("warning: {}", super::visible(&n));
    }
    Ok((r, unlock.passphrase))
}

/// Too few shares from sheets of more than one generation: which generation is the newest
/// given and what to bring. Which generation is current cannot be proved from sheets that did
/// not open (FORMAT.md §7.2), so the advice says how the user can tell.
fn generations_advice(e: RecoverError, given: &std::collections::BTreeSet<u32>) -> anyhow::Error {
    let (RecoverError::NotEnoughShares { needed, .. }, Some(&newest)) = (&e, given.last()) else {
        return e.into();
    };
    if given.len() < 2 {
        return e.into();
    }
    let needed = *needed;
    let list: Vec<String> = given.iter().map(u32::to_string).collect();
    let message = format!(
        "{e}. The sheets given are of generations {}: each rekey or rotation makes a new generation and retires the sheets of the older ones, so generation {newest} is the current one unless a newer one was made since. Bring {needed} sheets of generation {newest} (`breakglass inspect SHEET` shows a sheet's generation); sheets of older generations cannot be combined with it",
        list.join(" and ")
    );
    let class = Failure::of(&anyhow::Error::from(e));
    class.because(message)
}

/// When more than one generation opened from the inputs given (FORMAT.md §7.2 rule 7): which
/// one is used, which others opened and from which sheets, and how to tell a rekey from a
/// forgery. Nothing links generations, so this cannot be decided for the user; it must be said.
/// Unfiltered: callers pass it through the display filter.
pub fn generations_notice(r: &Recovered) -> Option<String> {
    if r.also_opened.is_empty() {
        return None;
    }
    let one = |generation: u32, created: u64, used: &[String]| {
        format!(
            "generation {generation} (made {}, opened by {})",
            breakglass_core::document::iso_date(created),
            used.join(", ")
        )
    };
    let others: Vec<String> = r
        .also_opened
        .iter()
        .map(|o| one(o.generation, o.created, &o.used))
        .collect();
    let example = r
        .also_opened
        .iter()
        .map(|o| o.generation)
        .max()
        .unwrap_or(0);
    Some(format!(
        "{} generations of this vault opened: {} is the one used here; {} opened too. A rekey makes a newer generation from the older one's sheets: if nobody remembers the rekey that made the newer one, its sheets are forged and its credentials are not yours. To open another generation instead, add --generation N (for example --generation {example}).",
        r.also_opened.len() + 1,
        one(r.header.generation, r.header.created, &r.used),
        others.join("; "),
    ))
}

/// Asks for the passphrase only when a copy being tried needs one, and for consent before an
/// Argon2id cost above the default (stated on stderr when there is no terminal to ask on).
struct CliUnlock<'a> {
    file: Option<&'a std::path::Path>,
    passphrase: Option<Passphrase>,
    asked: bool,
    /// Why the passphrase could not be had, reported if no copy opens.
    failure: Option<anyhow::Error>,
    /// The Argon2id cost just approved, announced when the derivation starts.
    cost: Option<KdfParams>,
}

/// The line shown while Argon2id runs, so a wait of seconds is not taken for a hang. The time is
/// scaled from about 0.6 s for 256 MiB and 3 passes on a two-core laptop (release build).
fn deriving_line(params: &KdfParams) -> String {
    let mib = u64::from(params.memory_kib) / 1024;
    let work = mib * u64::from(params.iterations);
    let seconds = (work * 6).div_ceil(256 * 3 * 10).max(1);
    format!(
        "deriving the key from the passphrase (Argon2id, {mib} MiB, {} passes), about {seconds} s",
        params.iterations
    )
}

impl recover::Unlock for CliUnlock<'_> {
    fn passphrase(&mut self, _source: &str) -> Option<&Passphrase> {
        if !self.asked {
            self.asked = true;
            match prompt::passphrase(self.file, false) {
                Ok(p) => self.passphrase = Some(p),
                Err(f) => self.failure = Some(f),
            }
        }
        if let (Some(params), Some(_)) = (self.cost.take(), &self.passphrase)
            && std::io::stderr().is_terminal()
        {
            eprintln!("{}", deriving_line(&params));
        }
        self.passphrase.as_ref()
    }

    fn given(&self) -> bool {
        self.file.is_some()
    }

    fn approve(&mut self, source: &str, params: &KdfParams, another_opened: bool) -> bool {
        self.cost = Some(*params);
        if params.within_default() {
            return true;
        }
        let d = KdfParams::default();
        let what = format!(
            "the vault copy in {} asks for Argon2id with {} MiB of memory and {} passes, more than the default ({} MiB, {} passes): it may take minutes and that much memory (the copy is not yet authenticated)",
            super::visible(source),
            params.memory_kib / 1024,
            params.iterations,
            d.memory_kib / 1024,
            d.iterations
        );
        if super::interactive() {
            let why = if another_opened {
                "; another generation has already opened, so this only checks whether this one opens too"
            } else {
                ""
            };
            prompt::yes_no(&format!("{what}{why}. Run it? [y/N] "))
        } else if another_opened {
            eprintln!("note: {what}; another generation has already opened, so it is not run");
            false
        } else {
            eprintln!("note: {what}; running it");
            true
        }
    }
}
