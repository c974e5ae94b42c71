//! `breakglass print`: lay out the PDF of a sheet again from its share file, e.g. on other
//! paper or after a spoiled print. The same sheet always gives the same PDF bytes.

use crate::plumbing::files::{self, OutFile};
use crate::plumbing::{CliResult, Failure, inputs, sheets};
use breakglass_core::document::ShareDocument;
use breakglass_paper::sheet::{self, ShareSheet};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Share files (share-N.txt) or scans of sheets.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Folder for the PDFs.
    #[arg(long, short = 'o', value_name = "DIR", value_parser = crate::plumbing::args::out_dir_arg)]
    out: PathBuf,
    /// Replace PDFs already there.
    #[arg(long)]
    force: bool,
    /// Paper size (default: from the locale, else A4).
    #[arg(long, value_enum, ignore_case = true)]
    paper: Option<sheets::PaperArg>,
}

pub fn run(args: Args) -> CliResult {
    let mut g = inputs::from_files(&args.files);
    inputs::report(&mut g);
    // README "Exit codes": an input that cannot be read (or a share without its vault copy,
    // which cannot be laid out) makes the exit 3 once the others are written, as in `inspect`.
    let mut unreadable = !g.problems.is_empty();
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
                crate::plumbing::visible(&s.source)
            );
            unreadable = true;
            continue;
        };
        let doc = ShareDocument::new(&s.item, &v.item)?;
        let location = doc.facts.location.clone();
        let (_, name) = sheets::names(s.item.index(), &location);
        let pdf = sheet::render_share_sheet(&ShareSheet::from_document(&doc), paper)
            .map_err(|e| Failure::about(format_args!("cannot lay out {name}"), e))?;
        out.push(OutFile {
            name,
            bytes: zeroize::Zeroizing::new(pdf),
        });
    }
    if out.is_empty() {
        return Err(
            Failure::BadInput.because("nothing to print: no share with its vault copy was read")
        );
    }
    let names: Vec<&str> = out.iter().map(|f| f.name.as_str()).collect();
    // A reprint makes no new vault: say what replacing the file would do, not what a
    // ceremony's overwrite would (the shared check's wording), and leave other sheets alone.
    let existing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| args.out.join(n).exists())
        .collect();
    if !existing.is_empty() && !args.force {
        return Err(Failure::Output.because(format!(
            "{} already holds {}: choose another folder, or pass --force to replace it with this reprint (the same share, laid out again; sheets already printed stay valid)",
            crate::plumbing::shown_path(&args.out),
            existing.join(", ")
        )));
    }
    files::prepare_out_dir(&args.out, &names, true)?;
    for p in files::write_all_atomically(&args.out, &out, args.force)? {
        outln!("{}", crate::plumbing::shown_path(&p))?;
    }
    if unreadable {
        return Err(Failure::BadInput
            .because("some files could not be printed (see above): the others were written"));
    }
    Ok(())
}
