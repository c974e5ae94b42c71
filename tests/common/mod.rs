//! Helpers shared by the end-to-end tests: run the real binary, craft altered sheets.
#![allow(dead_code)]

pub mod tmux;
pub mod tools;

use breakglass_core::document::{ShareDocument, decode_text};
use breakglass_core::share::Share;
use breakglass_core::text::{Kind, TextForm};
use breakglass_core::vault::Vault;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_breakglass"));
    c.stdin(Stdio::null());
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

pub fn run(args: &[&str]) -> Run {
    to_run(bin().args(args).output().expect("run breakglass"))
}

pub fn run_stdin(args: &[&str], input: &str) -> Run {
    use std::io::Write;
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    to_run(child.wait_with_output().unwrap())
}

fn to_run(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The arguments of a `ceremony`, with the flags the tests usually give: spelled once here,
/// each test changes only what it is about.
#[derive(Clone, Debug)]
pub struct CeremonyArgs {
    tenant: String,
    threshold: u8,
    shares: Vec<String>,
    print_credentials: bool,
    out: PathBuf,
    extra: Vec<String>,
}

impl CeremonyArgs {
    /// 2 of 3 shares ("Safe A (HQ)", "Safe B (DR site)=Jane Doe", "CISO home safe") for
    /// contoso, credentials printed, into `out`.
    pub fn new(out: &Path) -> CeremonyArgs {
        CeremonyArgs {
            tenant: "contoso".into(),
            threshold: 2,
            shares: ["Safe A (HQ)", "Safe B (DR site)=Jane Doe", "CISO home safe"]
                .map(String::from)
                .to_vec(),
            print_credentials: true,
            out: out.to_path_buf(),
            extra: Vec::new(),
        }
    }

    /// The smallest: tenant c, 2 of 2 shares `a` and `b`.
    pub fn small(out: &Path) -> CeremonyArgs {
        CeremonyArgs {
            tenant: "c".into(),
            shares: vec!["a".into(), "b".into()],
            ..CeremonyArgs::new(out)
        }
    }

    /// The `--share` values, `LOCATION` or `LOCATION=CUSTODIAN`.
    pub fn shares(mut self, shares: &[&str]) -> Self {
        self.shares = shares.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Another tenant name.
    pub fn tenant(mut self, tenant: &str) -> Self {
        self.tenant = tenant.into();
        self
    }

    /// Without `--print-credentials`: the credentials go to the enrollment display.
    pub fn on_terminal(mut self) -> Self {
        self.print_credentials = false;
        self
    }

    /// More arguments, after the usual ones.
    pub fn args(mut self, extra: &[&str]) -> Self {
        self.extra.extend(extra.iter().map(|a| a.to_string()));
        self
    }

    /// The command line, `ceremony` first.
    pub fn to_vec(&self) -> Vec<String> {
        let mut v: Vec<String> = vec!["ceremony".into(), "--allow-online".into()];
        if self.print_credentials {
            v.push("--print-credentials".into());
        }
        v.extend([
            "--tenant".into(),
            self.tenant.clone(),
            "--threshold".into(),
            self.threshold.to_string(),
        ]);
        for s in &self.shares {
            v.extend(["--share".into(), s.clone()]);
        }
        v.extend(["--out".into(), self.out.to_str().unwrap().into()]);
        v.extend(self.extra.iter().cloned());
        v
    }

    /// Runs the ceremony (whatever its outcome).
    pub fn run(&self) -> Run {
        let args = self.to_vec();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args)
    }

    /// Runs the ceremony with `input` on standard input (whatever its outcome).
    pub fn run_stdin(&self, input: &str) -> Run {
        let args = self.to_vec();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_stdin(&args, input)
    }

    /// Runs the ceremony, which must succeed; the paths of the share documents and the output.
    pub fn sheets(&self) -> (Vec<PathBuf>, Run) {
        let r = self.run();
        assert_eq!(r.code, 0, "ceremony failed: {}", r.all());
        let paths = (1..=self.shares.len())
            .map(|i| self.out.join(format!("share-{i}.txt")))
            .collect();
        (paths, r)
    }
}

/// A 2-of-3 ceremony into `dir/sheets`; returns the sheet paths and the ceremony output.
pub fn ceremony(dir: &Path, extra: &[&str]) -> (Vec<PathBuf>, Run) {
    CeremonyArgs::new(&dir.join("sheets")).args(extra).sheets()
}

/// The smallest ceremony (tenant c, 2 of 2 shares a and b) into `out`, with `extra` arguments.
pub fn quick_ceremony(out: &str, extra: &[&str]) -> Run {
    CeremonyArgs::small(Path::new(out)).args(extra).run()
}

/// Passwords printed by a ceremony, in order.
pub fn passwords(ceremony_out: &str) -> Vec<String> {
    ceremony_out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("password:"))
        .map(|v| v.trim().to_string())
        .collect()
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Reads a sheet's share and vault through the library.
pub fn read_sheet(path: &Path) -> (Share, Vault) {
    let d = decode_text(&std::fs::read_to_string(path).unwrap()).unwrap();
    (d.shares[0].clone(), d.vaults[0].clone())
}

/// Writes a share document from raw share bytes and vault bytes, with valid text checksums.
pub fn write_raw(path: &Path, share: &[u8], vault: &[u8]) {
    let s = TextForm::encode(Kind::Share, share).unwrap();
    let v = TextForm::encode(Kind::Vault, vault).unwrap();
    let mut text = String::new();
    for l in s.display_lines().iter().chain(v.display_lines().iter()) {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

pub fn write_sheet(path: &Path, share: &Share, vault: &Vault) {
    std::fs::write(
        path,
        ShareDocument::new(share, vault)
            .unwrap()
            .to_file()
            .as_bytes(),
    )
    .unwrap();
}

/// A folder for a fixture that a test module's tests share through a static (never dropped, so
/// never cleaned up): kept under the target folder, and folders with the same prefix left by
/// earlier runs (more than an hour old) are removed first.
pub fn kept_fixture_dir(prefix: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 3600);
        if old && e.file_name().to_string_lossy().starts_with(prefix) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(root)
        .unwrap()
        .keep()
}
