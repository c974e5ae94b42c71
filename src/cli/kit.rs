//! `breakglass kit --out DIR`: writes the recovery kit, `recover.py` (a decoder that needs only
//! Python's standard library) and `recovery-kit.pdf` (the booklet that explains the sheets and
//! lists `recover.py`). Neither is secret: they are meant to be copied next to every sheet and
//! into the documentation, so the files are readable by all (0644), unlike sheets.

use super::files::{self, OutFile};
use super::{Classify, CliResult, Failure, sheets};
use breakglass_paper::kit;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder for recover.py and recovery-kit.pdf (created if missing).
    #[arg(long)]
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
    let out = [
        OutFile {
            name: kit::RECOVER_PY_NAME.into(),
            bytes: zeroize::Zeroizing::new(kit::RECOVER_PY.as_bytes().to_vec()),
        },
        OutFile {
            name: kit::BOOKLET_NAME.into(),
            bytes: zeroize::Zeroizing::new(pdf),
        },
    ];
    if args.out.exists() && !args.out.is_dir() {
        return Err(Failure::Output.because(format!(
            "{} exists and is not a folder: choose a folder for the kit",
            super::shown_path(&args.out)
        )));
    }
    if !args.force {
        let existing: Vec<&str> = out
            .iter()
            .filter(|f| args.out.join(&f.name).symlink_metadata().is_ok())
            .map(|f| f.name.as_str())
            .collect();
        if !existing.is_empty() {
            return Err(Failure::Output.because(format!(
                "{} already holds {}: choose another folder, or pass --force to replace it",
                super::shown_path(&args.out),
                existing.join(" and ")
            )));
        }
    }
    for p in files::write_all_atomically(&args.out, &out, args.force)? {
        readable_by_all(&p).fails_as(Failure::Output)?;
        println!("{}", super::shown_path(&p));
    }
    println!(
        "SHA-256 of {}: {}",
        kit::RECOVER_PY_NAME,
        kit::recover_py_sha256()
    );
    Ok(())
}

/// Not secret: 0644, so the kit can be copied and read by anyone who may need it.
fn readable_by_all(path: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use anyhow::Context;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot make {} readable", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
