//! Command-line definitions, exit codes and error reporting. One module per subcommand.

mod ceremony;
mod drill;
mod enroll;
mod files;
mod harden;
mod inputs;
mod inspect;
mod json;
mod plan;
mod preflight;
mod print;
mod prompt;
mod recover;
mod rekey;
mod sheets;
mod terminal;
mod verify;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::process::ExitCode;

pub use breakglass_core::untrusted::{visible, visible_text};

/// A path as shown on a terminal: file names are untrusted text too.
pub fn shown_path(p: &std::path::Path) -> String {
    visible(&p.display().to_string()).into_owned()
}

/// Documented exit codes (README "Exit codes").
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const BAD_INPUT: u8 = 3;
    pub const SHARES: u8 = 4;
    pub const NOT_OPENED: u8 = 5;
    pub const OUTPUT: u8 = 6;
    pub const OVERDUE: u8 = 7;
}

/// An error with the exit code it maps to.
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

pub type CliResult<T = ()> = Result<T, Failure>;

/// Attaches an exit code to any error.
pub trait WithCode<T> {
    fn code(self, code: u8) -> CliResult<T>;
}

impl<T, E: Into<anyhow::Error>> WithCode<T> for Result<T, E> {
    fn code(self, code: u8) -> CliResult<T> {
        self.map_err(|e| Failure {
            code,
            error: e.into(),
        })
    }
}

pub fn fail<T>(code: u8, msg: impl Into<String>) -> CliResult<T> {
    Err(Failure {
        code,
        error: anyhow::anyhow!(msg.into()),
    })
}

const AFTER_HELP: &str = "\
Examples:
  breakglass ceremony --tenant contoso --threshold 2 \\
      --share \"Safe A (HQ)\" --share \"Safe B (DR site)=Jane Doe\" --share \"CISO home safe\" \\
      --out sheets/
  breakglass inspect sheets/share-2.txt
  breakglass recover sheets/share-1.txt sheets/share-3.txt
  breakglass recover            # type the shares by hand, line by line

Exit codes: 0 ok, 1 other failure, 2 usage, 3 unreadable or invalid input,
4 shares missing or mismatched, 5 vault did not open (passphrase or tampering),
6 output refused (files exist or cannot be written), 7 a drill is overdue.";

/// breakglass: an air-gapped vault for emergency-access credentials, split onto paper.
#[derive(Parser, Debug)]
#[command(name = "breakglass", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate the emergency credentials, seal them and write one share sheet per custodian.
    #[command(after_help = "Examples:
  breakglass ceremony --plan plan.toml --out sheets/
  breakglass ceremony --tenant contoso --threshold 2 --share \"Safe A (HQ)=Alice\" \\
      --share \"Safe B (DR site)=Bob\" --share \"CISO home safe\" --fido2 \"YubiKey #1234\" --out sheets/")]
    Ceremony(ceremony::Args),
    /// Recombine shares from sheets (scans, photos, share files, or typed) and show the credentials.
    #[command(after_help = "Examples:
  breakglass recover scan-1.png photo-3.jpg
  breakglass recover sheets/share-1.txt sheets/share-3.txt --purpose emergency --log drills.jsonl
  breakglass recover            # type the blocks from the paper, line by line")]
    Recover(recover::Args),
    /// Show what a sheet is (vault, generation, share i of n, location) without any other share.
    Inspect(inspect::Args),
    /// Lay out a sheet's PDF again from its share file (other paper, a spoiled print).
    Print(print::Args),
    /// With k sheets: new shares and a new generation, same credentials; old sheets retire.
    Rekey(rekey::Args),
    /// With k sheets: new passwords and PINs, new shares, new generation (after use or a departure).
    Rotate(rekey::Args),
    /// With k sheets: one more share of the same key, for a new custodian or a lost sheet.
    Expand(rekey::Args),
    /// Read back printed-and-scanned sheets and confirm each belongs to this vault.
    VerifyPrint(verify::Args),
    /// Prove k sheets still open the vault, showing no secret; log the drill.
    Drill(drill::DrillArgs),
    /// Say when the next drill is due (from a sheet, or the drill log); exit 7 when overdue.
    Status(drill::StatusArgs),
    /// Ceremony plans: `plan new FILE` writes a template, `plan check FILE` validates it.
    #[command(subcommand)]
    Plan(plan::PlanCommand),
    /// Print the Sentinel / Log Analytics alert query for the emergency accounts, and a checklist.
    Monitoring(plan::MonitoringArgs),
    /// Check that this machine is fit for a ceremony: offline, no swap, no core dumps, clock, RNG.
    Preflight,
}

/// Runs the command line and maps failures to exit codes.
pub fn main() -> ExitCode {
    let hardening = harden::harden();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let result = match cli.command {
        Command::Ceremony(a) => ceremony::run(a, &hardening),
        Command::Recover(a) => recover::run(a, &hardening),
        Command::Inspect(a) => inspect::run(a),
        Command::Print(a) => print::run(a),
        Command::Rekey(a) => rekey::run(a, rekey::Mode::Rekey, &hardening),
        Command::Rotate(a) => rekey::run(a, rekey::Mode::Rotate, &hardening),
        Command::Expand(a) => rekey::run(a, rekey::Mode::Expand, &hardening),
        Command::VerifyPrint(a) => verify::run(a),
        Command::Drill(a) => drill::run_drill(a, &hardening),
        Command::Status(a) => drill::run_status(a),
        Command::Plan(c) => plan::run(c),
        Command::Monitoring(a) => plan::monitoring(a),
        Command::Preflight => preflight::run(&hardening),
    };
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(f) => {
            if is_broken_pipe(&f.error) {
                return ExitCode::from(exit::OK);
            }
            // Errors quote file names, labels and parser messages: shown through the filter.
            eprintln!("error: {}", visible_text(&f.error.to_string()));
            for cause in f.error.chain().skip(1) {
                eprintln!("  because: {}", visible_text(&cause.to_string()));
            }
            ExitCode::from(f.code)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The system clock in Unix seconds (UTC); 0 if it is before 1970.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `LOCATION` or `LOCATION=CUSTODIAN`, as given to `--share`.
pub fn parse_share(s: &str) -> breakglass_core::vault::ShareLabel {
    let (l, c) = s.split_once('=').unwrap_or((s, ""));
    breakglass_core::vault::ShareLabel {
        location: l.trim().to_string(),
        custodian: c.trim().to_string(),
    }
}

/// Refuses terminal controls in `--share` labels before anything is made: they would reach
/// every sheet and every terminal that shows one.
pub fn check_share_labels(labels: &[breakglass_core::vault::ShareLabel]) -> CliResult {
    use breakglass_core::untrusted::check_field;
    for (i, l) in (1..).zip(labels) {
        check_field(&l.location, || format!("--share {i} (its location)")).code(exit::USAGE)?;
        check_field(&l.custodian, || format!("--share {i} (its custodian)")).code(exit::USAGE)?;
    }
    Ok(())
}

/// True when a person is at the keyboard (prompts allowed).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Warns once when memory could not be locked.
pub fn warn_unlocked(h: &harden::Hardening) {
    if let (false, Some(note)) = (h.memory_locked, &h.lock_note) {
        eprintln!("note: secrets are not memory-locked: {}.", visible(note));
    }
}
