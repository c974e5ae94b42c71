//! A private tmux server for terminal tests: the real binary in a pane of a chosen size and
//! TERM, keys sent as a person types them, the screen (and scrollback) captured afterwards.

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

/// A pane script: `before` (a marker to find afterwards), then `command`, then its exit status
/// as `EXIT=n`; the shell survives Ctrl-C and SIGTERM and stays, so the screen can be read and
/// typed into afterwards.
pub fn script(before: &str, command: &str) -> String {
    format!("trap : INT TERM; echo {before}; {command}; echo EXIT=$?; exec sleep 3600")
}

/// One tmux server (its own socket in the test's folder) with one pane running `script` under
/// sh with `TERM=term`; killed when dropped.
pub struct Tmux {
    sock: PathBuf,
    conf: PathBuf,
}

impl Tmux {
    pub fn start(dir: &Path, cols: u16, rows: u16, term: &str, script: &str) -> Tmux {
        // A long history, so the whole session can be read back from the scrollback.
        let conf = dir.join("tmux.conf");
        std::fs::write(&conf, "set -g history-limit 50000\n").unwrap();
        let t = Tmux {
            sock: dir.join("tmux.sock"),
            conf,
        };
        let (c, r) = (cols.to_string(), rows.to_string());
        // Several arguments: tmux runs them as they are, with no shell of its own in between.
        let term = format!("TERM={term}");
        let o = t.cmd(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &c,
            "-y",
            &r,
            "env",
            &term,
            "sh",
            "-c",
            script,
        ]);
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
            .arg("-f")
            .arg(&self.conf)
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn capture(&self, extra: &[&str]) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "t"];
        args.extend_from_slice(extra);
        String::from_utf8_lossy(&self.cmd(&args).stdout).into_owned()
    }

    /// The visible screen, line by line as the terminal shows it.
    pub fn screen(&self) -> String {
        self.capture(&[])
    }

    /// The scrollback and the screen, wrapped lines joined.
    pub fn everything(&self) -> String {
        self.capture(&["-J", "-S", "-50000"])
    }

    /// Sends tmux key names (`Enter`, `C-c`) or text.
    pub fn keys(&self, keys: &str) {
        assert!(self.cmd(&["send-keys", "-t", "t", keys]).status.success());
    }

    /// Types `text` literally, without Enter.
    pub fn type_text(&self, text: &str) {
        if !text.is_empty() {
            assert!(
                self.cmd(&["send-keys", "-t", "t", "-l", text])
                    .status
                    .success()
            );
        }
    }

    /// Types a line and presses Enter.
    pub fn line(&self, text: &str) {
        self.type_text(text);
        self.keys("Enter");
    }

    /// Waits until `found` holds for what `capture` returns; returns that capture.
    fn wait(
        &self,
        what: &str,
        capture: impl Fn() -> String,
        found: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let s = capture();
            if found(&s) {
                return s;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "timed out waiting for {what}; screen:\n{}\nscrollback:\n{}",
                self.screen(),
                self.everything()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the visible screen contains `needle` (also across a wrapped line); returns
    /// the screen.
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait(
            &format!("{needle:?}"),
            || self.capture(&["-J"]),
            |s| s.contains(needle),
        );
        self.screen()
    }

    /// Waits until `needle` has appeared `times` times since the pane started; returns
    /// [`everything`](Self::everything).
    pub fn wait_for_times(&self, needle: &str, times: usize) -> String {
        self.wait(
            &format!("{needle:?} x{times}"),
            || self.everything(),
            |s| s.matches(needle).count() >= times,
        )
    }

    /// The exit status the pane's script printed as `EXIT=n`.
    pub fn exit_status(&self) -> i32 {
        let s = self.wait_for("EXIT=");
        let at = s.find("EXIT=").unwrap() + 5;
        s[at..].split_whitespace().next().unwrap().parse().unwrap()
    }

    /// The program the pane's shell is running (its child).
    pub fn program_pid(&self) -> String {
        let o = self.cmd(&["display-message", "-p", "-t", "t", "#{pane_pid}"]);
        let pane = String::from_utf8_lossy(&o.stdout).trim().to_string();
        // The pane runs `env TERM=… sh -c script`: env execs sh, so the pane's process is the
        // shell, and the program is its child.
        let children = std::fs::read_to_string(format!("/proc/{pane}/task/{pane}/children"))
            .unwrap_or_default();
        children
            .split_whitespace()
            .next()
            .unwrap_or_else(|| panic!("no child of the pane's shell {pane}"))
            .to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}
