//! `breakglass kit --out DIR`: writes the recovery kit, `recover.py` (a decoder that needs only
//! Python's standard library), the short decoder and line checker for typing from paper,
//! `recovery-kit.pdf` (the booklet that explains the sheets and lists the short decoder) and
//! `recover.html` (the same recovery as an offline page for any browser). None is secret: they
//! are meant to be copied next to every sheet and into the documentation, so the files are
//! readable by all (0644), unlike sheets.

use crate::plumbing::files::{self, OutFile};
use crate::plumbing::{CliResult, sheets};
use breakglass_paper::{kit, page};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder for recover.py, recover.html, the paper decoder and recovery-kit.pdf (created if
    /// missing).
    #[arg(long, short = 'o', value_name = "DIR", value_parser = crate::plumbing::args::out_dir_arg)]
    out: PathBuf,
    /// Replace a kit already in the folder.
    #[arg(long)]
    force: bool,
    /// Paper size of the booklet (default: from the locale, else A4).
    #[arg(long, value_enum)]
    paper: Option<sheets::PaperArg>,
}

pub fn run(args: Args) -> CliResult {
    let paper = sheets::paper(args.paper, None);
    let pdf = kit::render_kit(paper)
        .map_err(|e| anyhow::anyhow!("cannot lay out {}: {e}", kit::BOOKLET_NAME))?;
    let mut out: Vec<OutFile> = kit::TEXT_FILES
        .iter()
        .map(|(name, text)| OutFile {
            name: (*name).into(),
            bytes: zeroize::Zeroizing::new(text.as_bytes().to_vec()),
        })
        .collect();
    out.push(OutFile {
        name: kit::BOOKLET_NAME.into(),
        bytes: zeroize::Zeroizing::new(pdf),
    });
    out.push(OutFile {
        name: page::RECOVER_HTML_NAME.into(),
        bytes: zeroize::Zeroizing::new(page::RECOVER_HTML.as_bytes().to_vec()),
    });
    for p in files::write_public(&args.out, &out, args.force)? {
        outln!("{}", crate::plumbing::shown_path(&p))?;
    }
    outln!(
        "SHA-256 of {}: {}",
        kit::RECOVER_PY_NAME,
        kit::recover_py_sha256()
    )?;
    outln!(
        "SHA-256 of {}: {}",
        page::RECOVER_HTML_NAME,
        page::recover_html_sha256()
    )?;
    Ok(())
}
