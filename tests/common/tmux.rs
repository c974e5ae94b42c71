//! A private tmux server for terminal tests: the real binary in a pane of a chosen size, keys
//! sent as a person types them, the screen (and scrollback) captured afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long a step may take on a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(180);

/// True when tmux is installed; otherwise says so (and fails under CI).
pub fn tmux_or_skip() -> bool {
    if Command::new("tmux").arg("-V").output().is_ok() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("missing tmux: apt-get install tmux");
    }
    eprintln!("SKIPPED: missing tmux (apt-get install tmux)");
    false
}

pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// One tmux server with one pane running `script` under sh; killed when dropped.
pub struct Tmux {
    sock: PathBuf,
}

impl Tmux {
    pub fn start(dir: &Path, cols: u16, rows: u16, script: &str) -> Tmux {
        let t = Tmux {
            sock: dir.join("tmux.sock"),
        };
        let (c, r) = (cols.to_string(), rows.to_string());
        let o = t.cmd(&["new-session", "-d", "-s", "t", "-x", &c, "-y", &r, script]);
        assert!(
            o.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        t
    }

    pub fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.sock)
            .args(["-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// The visible screen.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    /// The scrollback and the screen.
    pub fn everything(&self) -> String {
        let o = self.cmd(&["capture-pane", "-p", "-t", "t", "-S", "-3000"]);
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    pub fn keys(&self, keys: &str) {
        assert!(self.cmd(&["send-keys", "-t", "t", keys]).status.success());
    }

    /// Waits until the visible screen contains `needle`; returns the screen.
    pub fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "timed out waiting for {needle:?}; screen:\n{s}\nscrollback:\n{}",
                self.everything()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The exit status the pane's script printed as `EXIT=n`.
    pub fn exit_status(&self) -> i32 {
        let s = self.wait_for("EXIT=");
        let at = s.find("EXIT=").unwrap() + 5;
        s[at..].split_whitespace().next().unwrap().parse().unwrap()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}
