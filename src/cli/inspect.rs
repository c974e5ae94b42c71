//! `breakglass inspect`: what a sheet is, from that sheet alone.

use super::{CliResult, exit, fail, inputs, visible};
use breakglass_core::document::SheetFacts;
use breakglass_core::recover::display_vault_id;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Share files (share-N.txt) to describe; no other share is needed.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn run(args: Args) -> CliResult {
    let g = inputs::from_files(&args.files);
    for p in &g.problems {
        eprintln!("error: {}", visible(p));
    }
    if g.shares.is_empty() && g.vaults.is_empty() {
        return fail(
            exit::BAD_INPUT,
            "nothing to inspect: no readable share or vault text",
        );
    }
    for s in &g.shares {
        let share = &s.item;
        let copy = g
            .vaults
            .iter()
            .find(|v| v.source == s.source && v.item.header.vault_id == share.vault_id);
        println!(
            "{}: share {} of {}; any {} recover",
            visible(&s.source),
            share.index(),
            share.count,
            share.threshold
        );
        match copy {
            Some(v) => {
                let h = &v.item.header;
                let f = SheetFacts::new(h, share.index());
                println!(
                    "  vault:       {}  (fingerprint {})",
                    f.vault_id, f.fingerprint
                );
                println!("  tenant:      {}", visible(&h.tenant));
                println!("  generation:  {}", share.generation);
                println!("  location:    {}", visible(&f.location));
                println!(
                    "  custodian:   {}",
                    if f.custodian.is_empty() {
                        "-".into()
                    } else {
                        visible(&f.custodian)
                    }
                );
                println!("  created:     {}", f.created);
                println!("  next drill:  {}", f.next_drill_due);
                println!(
                    "  passphrase:  {}",
                    if f.passphrase {
                        "required as well"
                    } else {
                        "not used"
                    }
                );
                let ok = h
                    .commitments
                    .get(usize::from(share.index()) - 1)
                    .is_some_and(|c| *c == share.commitment());
                println!(
                    "  integrity:   {}",
                    if ok {
                        "the share matches the vault copy on this sheet"
                    } else {
                        "MISMATCH: the share does not match the vault copy on this sheet (altered or mixed up)"
                    }
                );
            }
            None => {
                println!("  vault:       {}", display_vault_id(&share.vault_id));
                println!("  generation:  {}", share.generation);
                println!("  (no vault copy on this sheet: location and dates are not known)");
            }
        }
    }
    for v in &g.vaults {
        if g.shares.iter().any(|s| s.source == v.source) {
            continue;
        }
        let h = &v.item.header;
        println!(
            "{}: vault text only (no share); vault {}, generation {}, {} of {} for {}",
            visible(&v.source),
            display_vault_id(&h.vault_id),
            h.generation,
            h.threshold,
            h.share_count(),
            visible(&h.tenant)
        );
    }
    if g.problems.is_empty() {
        Ok(())
    } else {
        fail(exit::BAD_INPUT, "some files could not be read (see above)")
    }
}
