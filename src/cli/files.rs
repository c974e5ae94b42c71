//! Reading inputs and writing sheets safely: bounded reads, no overwrite without `--force`,
//! temporary name + fsync + rename, folders 0700 and files 0600.

use anyhow::{Context, Result, bail};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Largest input file read (a 600-dpi scan is tens of MB; text is tiny).
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a whole file, refusing anything larger than [`MAX_INPUT_BYTES`].
pub fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut buf = Vec::new();
    f.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        bail!(
            "{} is larger than {} MiB: that is not a sheet, scan or share file",
            path.display(),
            MAX_INPUT_BYTES >> 20
        );
    }
    if buf.is_empty() {
        bail!("{} is empty", path.display());
    }
    Ok(buf)
}

/// Reads a named file, or standard input for `-`, bounded like [`read_bounded`].
pub fn read_input(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    if path.as_os_str() != "-" {
        return Ok(zeroize::Zeroizing::new(read_bounded(path)?));
    }
    let mut v = zeroize::Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_INPUT_BYTES)
        .read_to_end(&mut v)
        .context("cannot read standard input")?;
    if v.is_empty() {
        bail!("standard input is empty");
    }
    Ok(v)
}

/// Reads a text input (`-` for standard input) as UTF-8.
pub fn read_text(path: &Path) -> Result<zeroize::Zeroizing<String>> {
    let bytes = read_input(path)?;
    let s = std::str::from_utf8(&bytes)
        .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    Ok(zeroize::Zeroizing::new(s.to_string()))
}

/// Reads a secret file (passphrase), dropping one trailing newline.
pub fn read_secret_line(path: &Path) -> Result<zeroize::Zeroizing<String>> {
    let text = read_text(path)?;
    let s = text.as_str();
    let s = s.strip_suffix('\n').unwrap_or(s);
    let s = s.strip_suffix('\r').unwrap_or(s);
    Ok(zeroize::Zeroizing::new(s.to_string()))
}

/// One file to write into the output folder.
pub struct OutFile {
    pub name: String,
    pub bytes: zeroize::Zeroizing<Vec<u8>>,
}

/// Checks the output folder before anything is made: refused if it already holds any of the
/// files about to be written (or any sheet) unless `force`. Creates nothing, but removes the
/// temporary files an interrupted run left behind (they may hold shares).
pub fn prepare_out_dir(dir: &Path, names: &[&str], force: bool) -> Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a folder", dir.display());
        }
        for e in fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(|e| e.ok())
        {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(".share-") && n.contains(".tmp-") {
                let _ = fs::remove_file(e.path());
                eprintln!(
                    "note: removed {}, left by an interrupted run",
                    super::visible(&n)
                );
            }
        }
        if !force {
            let existing: Vec<String> = fs::read_dir(dir)
                .with_context(|| format!("cannot list {}", dir.display()))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| names.contains(&n.as_str()) || n.starts_with("share-"))
                .collect();
            if !existing.is_empty() {
                bail!(
                    "{} already holds sheets ({}): choose an empty folder, or pass --force to replace them (the old sheets stop matching the new vault)",
                    dir.display(),
                    existing.join(", ")
                );
            }
        }
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))
}

/// Writes every file under a temporary name, fsyncs, then renames them into place, so a crash
/// never leaves a half-written sheet under its final name. On failure the temporaries go.
pub fn write_all_atomically(dir: &Path, files: &[OutFile], force: bool) -> Result<Vec<PathBuf>> {
    if !dir.exists() {
        create_private_dir(dir)?;
    }
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| -> Result<()> {
        for f in files {
            let final_path = dir.join(&f.name);
            let tmp = dir.join(format!(".{}.tmp-{}", f.name, std::process::id()));
            let mut opts = OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut out = opts
                .open(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            temps.push((tmp.clone(), final_path));
            out.write_all(&f.bytes)
                .and_then(|_| out.sync_all())
                .with_context(|| format!("cannot write {}", tmp.display()))?;
        }
        for (_, final_path) in &temps {
            if !force && final_path.exists() {
                bail!(
                    "{} appeared while writing: not replacing it",
                    final_path.display()
                );
            }
        }
        let mut placed: Vec<&PathBuf> = Vec::new();
        for (tmp, final_path) in &temps {
            let existed = final_path.exists();
            if let Err(e) = fs::rename(tmp, final_path) {
                // All or nothing: take back the sheets of this set already put in place.
                for p in &placed {
                    let _ = fs::remove_file(p);
                }
                return Err(e)
                    .with_context(|| format!("cannot move {} into place", final_path.display()));
            }
            if !existed {
                placed.push(final_path);
            }
        }
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (tmp, _) in &temps {
            let _ = fs::remove_file(tmp);
        }
        return Err(e);
    }
    Ok(temps.into_iter().map(|(_, p)| p).collect())
}
