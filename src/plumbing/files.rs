//! Reading inputs and writing sheets safely: bounded reads, no overwrite without `--force`,
//! temporary name + fsync + rename, folders 0700 and files 0600 (0644 for what is not secret:
//! the recovery kit, manual pages). What goes wrong reading is bad input and what goes wrong
//! writing is refused output, whichever command reads or writes.

use super::{Classify, Failure};
use anyhow::{Context, Result, bail};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Largest input file read (a 600-dpi scan is tens of MB; text is tiny).
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a whole file, refusing anything larger than [`MAX_INPUT_BYTES`].
fn read_bounded(path: &Path) -> Result<Vec<u8>> {
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
    Ok(buf)
}

/// The UTF-8 byte order mark some editors put at the start of a text file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a named file, or standard input for `-`, bounded like `read_bounded`. A leading
/// UTF-8 byte order mark is dropped (no image starts with one).
pub fn read_input(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let v = input(path).fails_as(Failure::BadInput)?;
    if v.is_empty() {
        return Err(Failure::BadInput.because(if path.as_os_str() == "-" {
            "standard input is empty".to_string()
        } else {
            format!("{} is empty", path.display())
        }));
    }
    Ok(v)
}

fn input(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let mut v = if path.as_os_str() != "-" {
        zeroize::Zeroizing::new(read_bounded(path)?)
    } else {
        read_stdin(&mut std::io::stdin())?
    };
    if v.starts_with(UTF8_BOM) {
        // In place: the bytes move down, no copy is left behind in a freed buffer.
        v.drain(..UTF8_BOM.len());
    }
    Ok(v)
}

/// Reads all of standard input, refusing more than [`MAX_INPUT_BYTES`] rather than cutting it.
fn read_stdin(input: &mut impl Read) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let mut v = zeroize::Zeroizing::new(Vec::new());
    input
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut v)
        .context("cannot read standard input")?;
    if v.len() as u64 > MAX_INPUT_BYTES {
        bail!(
            "standard input is larger than {} MiB: that is not a sheet, scan or share file; give the file by name",
            MAX_INPUT_BYTES >> 20
        );
    }
    Ok(v)
}

/// Reads a text input (`-` for standard input) as UTF-8.
pub fn read_text(path: &Path) -> Result<zeroize::Zeroizing<String>> {
    utf8(path, &read_input(path)?)
}

fn utf8(path: &Path, bytes: &[u8]) -> Result<zeroize::Zeroizing<String>> {
    let s = std::str::from_utf8(bytes)
        .with_context(|| format!("{} is not UTF-8 text", path.display()))
        .fails_as(Failure::BadInput)?;
    Ok(zeroize::Zeroizing::new(s.to_string()))
}

/// Reads a secret file (passphrase), dropping one trailing newline. An empty file is not
/// refused here: an empty passphrase is the caller's to refuse, the same for `""` and `"\n"`
/// (FORMAT.md §4 rule 1).
pub fn read_secret_line(path: &Path) -> Result<zeroize::Zeroizing<String>> {
    let text = utf8(path, &input(path).fails_as(Failure::BadInput)?)?;
    let s = text.as_str();
    let s = s.strip_suffix('\n').unwrap_or(s);
    let s = s.strip_suffix('\r').unwrap_or(s);
    Ok(zeroize::Zeroizing::new(s.to_string()))
}

/// The paths in a folder given as input (unreadable entries left out).
pub fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))
        .fails_as(Failure::BadInput)?;
    Ok(entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
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
    check_out_dir(dir, names, force).fails_as(Failure::Output)
}

fn check_out_dir(dir: &Path, names: &[&str], force: bool) -> Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a folder", dir.display());
        }
        make_private(dir)?;
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

/// Tightens an existing output folder that others may read or write to 0700, and says so,
/// naming the folder whose mode changed (where a symbolic link given as `--out` points).
/// Refuses a shared folder (sticky and writable by others, such as /tmp: closing it would
/// break every other user of it) and a folder that cannot be changed (another user's).
fn make_private(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(dir)
            .with_context(|| format!("cannot read the permissions of {}", dir.display()))?;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 == 0 {
            return Ok(());
        }
        // The folder itself, not the link to it: that is what the note and the refusal name.
        let real = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let shown = if real == dir {
            super::shown_path(dir)
        } else {
            format!(
                "{} (where {} points)",
                super::shown_path(&real),
                super::shown_path(dir)
            )
        };
        if is_shared(mode) {
            bail!(
                "{shown} is a shared folder (mode {mode:04o}, like /tmp): others can create files in it and it cannot be made private without breaking it for them. Give a new folder inside it, e.g. --out {}",
                super::shown_path(&real.join("sheets"))
            );
        }
        fs::set_permissions(&real, fs::Permissions::from_mode(0o700)).with_context(|| {
            format!(
                "{shown} is open to other users (mode {mode:04o}) and cannot be made private: choose a folder of your own"
            )
        })?;
        eprintln!("note: {shown} was open to other users (mode {mode:04o}); it is now 0700");
    }
    Ok(())
}

/// A folder shared between users: sticky (only owners delete their files) and writable by
/// group or others, as /tmp (1777) is.
#[cfg(unix)]
fn is_shared(mode: u32) -> bool {
    mode & 0o1000 != 0 && mode & 0o022 != 0
}

/// Who may read what is written: sheets and credentials are the owner's alone; the recovery
/// kit and the manual pages are for anyone who may need them.
#[derive(Clone, Copy)]
enum Access {
    Private,
    Public,
}

fn create_dir(dir: &Path, access: Access) -> Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    if let Access::Private = access {
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    }
    b.create(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))
}

/// Writes every file under a temporary name, fsyncs, then renames them into place, so a crash
/// never leaves a half-written sheet under its final name. On failure the temporaries go.
/// Folders made are 0700 and files 0600.
pub fn write_all_atomically(dir: &Path, files: &[OutFile], force: bool) -> Result<Vec<PathBuf>> {
    write_all(dir, files, force, Access::Private).fails_as(Failure::Output)
}

/// Writes files that are not secret (the recovery kit, manual pages) as
/// [`write_all_atomically`] does, but readable by all (0644, whatever the umask), and refuses
/// to replace any of them without `force`.
pub fn write_public(dir: &Path, files: &[OutFile], force: bool) -> Result<Vec<PathBuf>> {
    refuse_to_replace(dir, files, force)
        .and_then(|()| write_all(dir, files, force, Access::Public))
        .fails_as(Failure::Output)
}

fn refuse_to_replace(dir: &Path, files: &[OutFile], force: bool) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!(
            "{} exists and is not a folder: choose a folder",
            dir.display()
        );
    }
    if force {
        return Ok(());
    }
    let existing: Vec<&str> = files
        .iter()
        .filter(|f| dir.join(&f.name).symlink_metadata().is_ok())
        .map(|f| f.name.as_str())
        .collect();
    if let Some((last, rest)) = existing.split_last() {
        let names = match rest {
            [] => last.to_string(),
            _ => format!("{} and {last}", rest.join(", ")),
        };
        bail!(
            "{} already holds {names}: choose another folder, or pass --force to replace {}",
            dir.display(),
            if rest.is_empty() { "it" } else { "them" }
        );
    }
    Ok(())
}

fn write_all(dir: &Path, files: &[OutFile], force: bool, access: Access) -> Result<Vec<PathBuf>> {
    let mut set = Staged::begin(dir, force, access)?;
    for f in files {
        set.add(&f.name, &f.bytes)?;
    }
    set.commit()
}

/// A set of files written one at a time, each as soon as it is made, under temporary names,
/// and put in place together by [`StagedSet::commit`]: a set of 255 sheets never has to be
/// held in memory, and still nothing is in place until every file is written and synced.
/// Dropped without a commit (an error, or a panic), it removes its temporary files; a fatal
/// signal removes them too. Folders made are 0700 and files 0600.
pub struct StagedSet(Staged);

impl StagedSet {
    /// Starts a set in `dir`, creating the folder if it is missing.
    pub fn begin(dir: &Path, force: bool) -> Result<Self> {
        Staged::begin(dir, force, Access::Private)
            .map(Self)
            .fails_as(Failure::Output)
    }

    /// Writes one file under a temporary name and syncs it.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.0.add(name, bytes).fails_as(Failure::Output)
    }

    /// Renames every file into place; the final paths, in the order added.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        self.0.commit().fails_as(Failure::Output)
    }
}

/// The files of one set written so far: (temporary path, final path).
struct Staged {
    dir: PathBuf,
    force: bool,
    access: Access,
    temps: Vec<(PathBuf, PathBuf)>,
    committed: bool,
    /// Removes the temporary files on a fatal signal until the set is dropped.
    cleanup: interrupt::Guard,
}

impl Staged {
    fn begin(dir: &Path, force: bool, access: Access) -> Result<Self> {
        if !dir.exists() {
            create_dir(dir, access)?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            force,
            access,
            temps: Vec::new(),
            committed: false,
            cleanup: interrupt::Guard::install(),
        })
    }

    fn add(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let final_path = self.dir.join(name);
        let tmp = self.dir.join(format!(".{name}.tmp-{}", std::process::id()));
        // Registered before it exists, so a signal at any point removes it.
        self.cleanup.register(&tmp);
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut out = opts
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        self.temps.push((tmp.clone(), final_path));
        #[cfg(unix)]
        if let Access::Public = self.access {
            use std::os::unix::fs::PermissionsExt;
            // Set, not asked for at open: the umask would take bits away.
            out.set_permissions(fs::Permissions::from_mode(0o644))
                .with_context(|| format!("cannot make {} readable", tmp.display()))?;
        }
        out.write_all(bytes)
            .and_then(|_| out.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))
    }

    fn commit(mut self) -> Result<Vec<PathBuf>> {
        for (_, final_path) in &self.temps {
            if !self.force && final_path.exists() {
                bail!(
                    "{} appeared while writing: not replacing it",
                    final_path.display()
                );
            }
        }
        let mut placed: Vec<&PathBuf> = Vec::new();
        for (tmp, final_path) in &self.temps {
            let existed = final_path.exists();
            if let Err(e) = place(tmp, final_path, self.force) {
                // All or nothing: take back the sheets of this set already put in place.
                for p in &placed {
                    let _ = fs::remove_file(p);
                }
                return Err(e);
            }
            if !existed {
                placed.push(final_path);
            }
        }
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        self.committed = true;
        Ok(std::mem::take(&mut self.temps)
            .into_iter()
            .map(|(_, p)| p)
            .collect())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            for (tmp, _) in &self.temps {
                let _ = fs::remove_file(tmp);
            }
        }
    }
}

/// Moves a written temporary file to its final name. Without `force` the rename itself refuses
/// to replace a file (renameat2 with RENAME_NOREPLACE), so a file that appears after the checks
/// is never overwritten; a filesystem that cannot rename that way (some network and FUSE
/// filesystems) is an error that says so rather than a silent replace.
fn place(tmp: &Path, final_path: &Path, force: bool) -> Result<()> {
    if force {
        return fs::rename(tmp, final_path)
            .with_context(|| format!("cannot move {} into place", final_path.display()));
    }
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, tmp, CWD, final_path, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::EXIST) => bail!(
            "{} appeared while writing: not replacing it",
            final_path.display()
        ),
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::OPNOTSUPP) => {
            bail!(
                "the filesystem holding {} cannot rename a file without replacing one of the same name (no RENAME_NOREPLACE): write to a folder on a local filesystem, or pass --force to allow replacing",
                final_path.parent().unwrap_or(final_path).display()
            )
        }
        Err(e) => Err(std::io::Error::from(e))
            .with_context(|| format!("cannot move {} into place", final_path.display())),
    }
}

/// What a fatal signal does to the files being written (`signals`): removes the temporary files
/// (complete shares). Async-signal-safe.
pub fn on_fatal_signal() {
    interrupt::remove_registered();
}

/// Removal of the temporary files (complete shares) when the process is ended by a signal while
/// sheets are written. Each name is published through the signal handler's lock-free list
/// ([`super::signals::Armed`]) before the file exists; the handler calls only `unlink`.
mod interrupt {
    use super::super::signals::{Armed, Handle};
    use std::ffi::CString;
    use std::path::Path;

    /// Paths are not secret.
    static TEMPORARIES: Armed<CString> = Armed::new();

    /// Removes every armed temporary file (what the handler does). Async-signal-safe.
    pub fn remove_registered() {
        TEMPORARIES.fire(|c| {
            let _ = rustix::fs::unlink(c.as_c_str());
        });
    }

    /// The temporary files of one write, removed on a signal for as long as it lives; they are
    /// forgotten after (they were renamed into place or removed).
    pub struct Guard(Vec<Handle<CString>>);

    impl Guard {
        pub fn install() -> Self {
            Self(Vec::new())
        }

        /// Adds a temporary file to remove on a signal; call it before the file is created.
        pub fn register(&mut self, path: &Path) {
            use std::os::unix::ffi::OsStrExt;
            if let Ok(c) = CString::new(path.as_os_str().as_bytes()) {
                self.0.push(TEMPORARIES.arm(c));
            }
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            for h in &self.0 {
                h.disarm();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(name: &str, text: &str) -> OutFile {
        OutFile {
            name: name.into(),
            bytes: zeroize::Zeroizing::new(text.as_bytes().to_vec()),
        }
    }

    #[test]
    fn public_files_are_readable_by_all_and_never_replaced_unasked() {
        let dir = tempfile::tempdir().unwrap();
        let kit = dir.path().join("kit");
        let files = [out("recover.py", "new"), out("booklet.pdf", "new")];
        let written = write_public(&kit, &files, false).unwrap();
        assert_eq!(written.len(), 2);
        #[cfg(unix)]
        for p in &written {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644, "{}", p.display());
        }
        fs::write(kit.join("recover.py"), "a local copy").unwrap();
        let one = write_public(&kit, &files[..1], false).unwrap_err();
        assert_eq!(Failure::of(&one), Failure::Output);
        assert!(one.to_string().contains("holds recover.py: "), "{one}");
        assert!(one.to_string().ends_with("--force to replace it"), "{one}");
        let both = write_public(&kit, &files, false).unwrap_err().to_string();
        assert!(
            both.contains("holds recover.py and booklet.pdf: "),
            "{both}"
        );
        assert!(both.ends_with("--force to replace them"), "{both}");
        assert_eq!(fs::read(kit.join("recover.py")).unwrap(), b"a local copy");
        write_public(&kit, &files, true).unwrap();
        assert_eq!(fs::read(kit.join("recover.py")).unwrap(), b"new");
        let not_a_folder = write_public(&kit.join("booklet.pdf"), &files, true).unwrap_err();
        assert!(not_a_folder.to_string().contains("is not a folder"));
        assert_eq!(Failure::of(&not_a_folder), Failure::Output);
    }

    #[test]
    fn a_staged_set_puts_nothing_in_place_until_committed_and_cleans_up_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let listing = || -> Vec<String> {
            let mut v: Vec<String> = fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        {
            let mut set = StagedSet::begin(&out, false).unwrap();
            set.add("share-1.txt", b"one").unwrap();
            set.add("share-1-a.pdf", b"%PDF").unwrap();
            // Written as they are made, under temporary names only.
            assert!(
                listing().iter().all(|n| n.contains(".tmp-")),
                "{:?}",
                listing()
            );
            assert_eq!(listing().len(), 2);
        }
        assert!(listing().is_empty(), "dropped unfinished: {:?}", listing());
        let mut set = StagedSet::begin(&out, false).unwrap();
        set.add("share-1.txt", b"one").unwrap();
        set.add("share-2.txt", b"two").unwrap();
        let placed = set.commit().unwrap();
        assert_eq!(placed, [out.join("share-1.txt"), out.join("share-2.txt")]);
        assert_eq!(listing(), ["share-1.txt", "share-2.txt"]);
        assert_eq!(fs::read(out.join("share-2.txt")).unwrap(), b"two");
    }

    #[test]
    fn reading_fails_as_bad_input_and_writing_as_refused_output() {
        let dir = tempfile::tempdir().unwrap();
        let missing = read_text(&dir.path().join("absent.txt")).unwrap_err();
        assert_eq!(Failure::of(&missing), Failure::BadInput);
        let not_text = dir.path().join("binary");
        fs::write(&not_text, b"\xff\xfe").unwrap();
        assert_eq!(
            Failure::of(&read_secret_line(&not_text).unwrap_err()),
            Failure::BadInput
        );
        fs::write(dir.path().join("share-1.txt"), "old").unwrap();
        let held = prepare_out_dir(dir.path(), &["share-1.txt"], false).unwrap_err();
        assert_eq!(Failure::of(&held), Failure::Output);
        let under_a_file = dir.path().join("share-1.txt").join("sheets");
        let blocked = write_all_atomically(&under_a_file, &[], false).unwrap_err();
        assert_eq!(Failure::of(&blocked), Failure::Output);
    }

    #[test]
    fn the_signal_cleanup_removes_every_registered_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join(".share-1.txt.tmp-1");
        let b = dir.path().join(".share-1-a.pdf.tmp-1");
        let keep = dir.path().join("share-1.txt");
        for f in [&a, &b, &keep] {
            fs::write(f, "x").unwrap();
        }
        {
            let mut g = interrupt::Guard::install();
            g.register(&a);
            g.register(&b);
            interrupt::remove_registered();
        }
        assert!(!a.exists() && !b.exists(), "a temporary share survived");
        assert!(keep.exists(), "a file that was not registered went");

        // Once the guard is gone nothing is registered any more.
        fs::write(&a, "x").unwrap();
        interrupt::remove_registered();
        assert!(a.exists());
    }

    #[test]
    fn a_file_that_appears_before_the_rename_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join(".share-1.txt.tmp-1");
        let target = dir.path().join("share-1.txt");
        fs::write(&tmp, "new").unwrap();
        fs::write(&target, "someone else's").unwrap();
        let e = place(&tmp, &target, false).unwrap_err().to_string();
        assert!(
            e.contains("appeared while writing: not replacing it")
                || e.contains("no RENAME_NOREPLACE"),
            "{e}"
        );
        assert_eq!(fs::read(&target).unwrap(), b"someone else's");
        place(&tmp, &target, true).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn a_byte_order_mark_is_dropped_and_oversized_stdin_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("share.txt");
        fs::write(&f, b"\xEF\xBB\xBFBG1").unwrap();
        assert_eq!(&read_input(&f).unwrap()[..], b"BG1");
        let big = vec![b'A'; MAX_INPUT_BYTES as usize + 1];
        let e = read_stdin(&mut &big[..]).unwrap_err().to_string();
        assert!(e.contains("larger than 64 MiB"), "{e}");
        let fits = [b'A'; 10];
        assert_eq!(read_stdin(&mut &fits[..]).unwrap().len(), 10);
    }

    #[cfg(unix)]
    #[test]
    fn an_open_output_folder_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::set_permissions(&out, fs::Permissions::from_mode(0o777)).unwrap();
        prepare_out_dir(&out, &["share-1.txt"], false).unwrap();
        let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[cfg(unix)]
    #[test]
    fn a_shared_sticky_folder_is_refused_and_left_as_it_is() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("tmp");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&shared, &link).unwrap();
        for given in [&shared, &link] {
            let e = prepare_out_dir(given, &["share-1.txt"], false).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains("is a shared folder (mode 1777"), "{msg}");
            assert!(msg.contains("sheets"), "{msg}");
            assert_eq!(super::super::Failure::of(&e), super::super::Failure::Output);
            let mode = fs::metadata(&shared).unwrap().permissions().mode() & 0o7777;
            assert_eq!(mode, 0o1777, "left as it was");
        }
        assert!(is_shared(0o1777) && is_shared(0o1770) && !is_shared(0o1700));
        assert!(!is_shared(0o777));
    }
}
