//! `breakglass verify-print`: read back printed-and-scanned sheets at the end of a ceremony and
//! confirm each decodes and belongs to this vault, before the originals go into envelopes.

use super::{CliResult, WithCode, exit, fail, inputs};
use breakglass_core::recover::{self, display_vault_id};
use std::collections::BTreeSet;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scans or photos of the printed sheets (images or PDFs), one or more per sheet; text files work too.
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

pub fn run(args: Args) -> CliResult {
    let g = inputs::from_files(&args.images);
    inputs::report(&g);
    let mut ok = g.problems.is_empty() && g.incomplete.is_empty();
    let ids: BTreeSet<[u8; 16]> = g
        .shares
        .iter()
        .map(|s| s.item.vault_id)
        .chain(g.vaults.iter().map(|v| v.item.header.vault_id))
        .collect();
    if ids.len() > 1
        && let Err(e) = recover::check(g.shares.clone(), g.vaults.clone())
    {
        return Err(e).code(exit::SHARES);
    }
    let Some(vault) = g.vaults.first().map(|v| v.item.clone()) else {
        return fail(
            exit::BAD_INPUT,
            "no vault code could be read from these scans",
        );
    };
    let h = &vault.header;
    println!(
        "Vault {} of {} (generation {}): {} of {} shares recover it.",
        display_vault_id(&h.vault_id),
        h.tenant,
        h.generation,
        h.threshold,
        h.share_count()
    );
    let mut seen = BTreeSet::new();
    for s in &g.shares {
        let i = s.item.index();
        let committed = h
            .commitments
            .get(usize::from(i) - 1)
            .is_some_and(|c| *c == s.item.commitment());
        let label = h
            .labels
            .get(usize::from(i) - 1)
            .map(|l| l.location.as_str())
            .unwrap_or("?");
        if committed && s.item.generation == h.generation {
            println!(
                "  {}: share {i} of {} ({label}): OK",
                s.source,
                h.share_count()
            );
            seen.insert(i);
        } else {
            println!("  {}: share {i}: DOES NOT MATCH this vault", s.source);
            ok = false;
        }
    }
    let missing: Vec<String> = (1..=h.share_count())
        .filter(|i| !seen.contains(i))
        .map(|i| i.to_string())
        .collect();
    if missing.is_empty() {
        println!(
            "All {} sheets read back and match the vault.",
            h.share_count()
        );
    } else {
        println!("Not verified yet: share(s) {}.", missing.join(", "));
    }
    // With k good shares and no passphrase, prove the set opens, without showing anything.
    if seen.len() >= usize::from(h.threshold) && h.passphrase.is_none() {
        match recover::check(g.shares.clone(), g.vaults.clone()).and_then(|s| s.open(None)) {
            Ok(r) => println!(
                "The vault opens with shares {} ({} entries); nothing was shown.",
                r.indices
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                r.contents.entries.len()
            ),
            Err(e) => {
                println!("The vault does NOT open with these shares: {e}");
                ok = false;
            }
        }
    }
    if ok {
        Ok(())
    } else {
        fail(
            exit::BAD_INPUT,
            "some sheets did not verify: reprint them from the ceremony files before sealing",
        )
    }
}
