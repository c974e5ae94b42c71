//! `breakglass print`: lay out the PDF of a sheet again from its share file, e.g. on other
//! paper or after a spoiled print. The same sheet always gives the same PDF bytes.

use super::files::{self, OutFile};
use super::{CliResult, WithCode, exit, fail, inputs, sheets};
use breakglass_core::document::SheetText;
use breakglass_paper::sheet::{self, ShareSheet};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Share files (share-N.txt) or scans of sheets.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Folder for the PDFs.
    #[arg(long)]
    out: PathBuf,
    /// Replace PDFs already there.
    #[arg(long)]
    force: bool,
    /// Paper size (default: from the locale, else A4).
    #[arg(long, value_enum)]
    paper: Option<sheets::PaperArg>,
}

pub fn run(args: Args) -> CliResult {
    let g = inputs::from_files(&args.files);
    inputs::report(&g);
    let paper = sheets::paper(args.paper, None);
    let mut out = Vec::new();
    for s in &g.shares {
        let Some(v) = g
            .vaults
            .iter()
            .find(|v| v.source == s.source && v.item.header.vault_id == s.item.vault_id)
        else {
            eprintln!(
                "warning: {}: no vault copy beside the share; cannot print it",
                super::visible(&s.source)
            );
            continue;
        };
        let doc = SheetText::new(&s.item, &v.item).code(exit::BAD_INPUT)?;
        let location = doc.facts.location.clone();
        let (_, name) = sheets::names(s.item.index(), &location);
        let pdf = sheet::render_share_sheet(&ShareSheet::from_document(&doc), paper)
            .map_err(|e| anyhow::anyhow!("cannot lay out {name}: {e}"))
            .code(exit::USAGE)?;
        out.push(OutFile {
            name,
            bytes: zeroize::Zeroizing::new(pdf),
        });
    }
    if out.is_empty() {
        return fail(
            exit::BAD_INPUT,
            "nothing to print: no share with its vault copy was read",
        );
    }
    let names: Vec<&str> = out.iter().map(|f| f.name.as_str()).collect();
    files::prepare_out_dir(&args.out, &names, args.force).code(exit::OUTPUT)?;
    for p in files::write_all_atomically(&args.out, &out, args.force).code(exit::OUTPUT)? {
        println!("{}", super::shown_path(&p));
    }
    Ok(())
}
