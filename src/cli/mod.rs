//! Command-line definitions, exit codes and error reporting. One module per subcommand.

mod alerts;
mod ceremony;
mod completions;
mod drill;
mod drill_log;
mod enroll;
mod files;
mod harden;
mod inputs;
mod inspect;
mod json;
mod kit;
mod opening;
mod output;
mod placement;
mod plan;
mod preflight;
mod print;
mod prompt;
mod recover;
mod rekey;
mod rng;
mod sheets;
mod signals;
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
      -o sheets/
  breakglass inspect sheets/share-2.txt
  breakglass recover sheets/share-1.txt sheets/share-3.txt
  breakglass recover            # type the shares by hand, line by line

Exit codes: 0 ok, 1 other failure, 2 usage, 3 unreadable or invalid input,
4 shares missing or mismatched, 5 vault did not open (passphrase or tampering),
6 output refused (files exist or cannot be written), 7 a drill is overdue.";

/// The version and the source commit it was built from (build.rs; "unknown" without git).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BREAKGLASS_COMMIT"),
    ")"
);

/// breakglass: an air-gapped vault for emergency-access credentials, split onto paper.
#[derive(Parser, Debug)]
#[command(name = "breakglass", version = VERSION, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate the emergency credentials, seal them and write one share sheet per custodian.
    #[command(after_help = "Examples:
  breakglass ceremony --plan plan.toml -o sheets/
  breakglass ceremony --tenant contoso --threshold 2 --share \"Safe A (HQ)=Alice\" \\
      --share \"Safe B (DR site)=Bob\" --share \"CISO home safe\" --fido2 \"YubiKey #1234\" -o sheets/")]
    Ceremony(ceremony::Args),
    /// Recombine shares from sheets (scans, photos, share files, or typed) and show the credentials.
    #[command(after_help = "Examples:
  breakglass recover scan-1.png photo-3.jpg
  breakglass recover sheets/share-1.txt sheets/share-3.txt --purpose emergency --log drills.jsonl
  breakglass recover            # type the blocks from the paper, line by line")]
    Recover(recover::Args),
    /// Show what a sheet is (vault, generation, share i of n, location) without any other share.
    #[command(after_help = "Examples:
  breakglass inspect sheets/share-2.txt
  breakglass inspect scan-of-sheet-3.png")]
    Inspect(inspect::Args),
    /// Lay out a sheet's PDF again from its share file (other paper, a spoiled print).
    #[command(after_help = "Examples:
  breakglass print sheets/share-2.txt -o reprint/
  breakglass print --paper letter sheets/share-*.txt -o letter/")]
    Print(print::Args),
    /// With k sheets: new shares and a new generation, same credentials; old sheets retire.
    #[command(after_help = "Examples:
  breakglass rekey sheets/share-1.txt sheets/share-3.txt -o new-sheets/
  breakglass rekey scan-1.png scan-2.png --threshold 3 --share \"Safe A=Alice\" \\
      --share \"Safe B=Bob\" --share \"Safe C=Carol\" --share \"Safe D=Dan\" -o new-sheets/")]
    Rekey(rekey::RekeyArgs),
    /// With k sheets: new passwords and PINs, new shares, new generation (after use or a departure).
    #[command(after_help = "Examples:
  breakglass rotate sheets/share-1.txt sheets/share-2.txt -o new-sheets/
  breakglass rotate scan-1.png scan-3.png --password-length 40 -o new-sheets/")]
    Rotate(rekey::RotateArgs),
    /// With k sheets: one more share of the same key, for a new custodian or a lost sheet.
    #[command(after_help = "Examples:
  breakglass expand sheets/share-1.txt sheets/share-2.txt --share \"Branch safe=Dana\" -o extra/")]
    Expand(rekey::ExpandArgs),
    /// Read back printed-and-scanned sheets and confirm each belongs to this vault.
    #[command(after_help = "Examples:
  breakglass verify-print --sheets sheets/ scan-1.png scan-2.png scan-3.png
  breakglass verify-print scan-1.png scan-2.png --passphrase")]
    VerifyPrint(verify::Args),
    /// Prove k sheets still open the vault, showing no secret; log the drill.
    #[command(after_help = "Examples:
  breakglass drill scan-1.png scan-3.png --people \"Alice, Bob\" --log drills.jsonl
  breakglass drill            # type the blocks from the paper")]
    Drill(drill::DrillArgs),
    /// Say when the next drill is due (from a sheet, or the drill log); exit 7 when overdue.
    #[command(after_help = "Examples:
  breakglass status --log drills.jsonl
  breakglass status sheets/share-1.txt --log drills.jsonl")]
    Status(drill::StatusArgs),
    /// Ceremony plans: `plan new FILE` writes a template, `plan check FILE` validates it.
    #[command(
        subcommand,
        after_help = "Examples:
  breakglass plan new plan.toml
  breakglass plan check plan.toml"
    )]
    Plan(plan::PlanCommand),
    /// Print the sign-in alert for the emergency accounts: KQL and a checklist, or ARM templates.
    #[command(after_help = "Examples:
  breakglass monitoring --plan plan.toml
  breakglass monitoring --plan plan.toml --format sentinel-arm > sentinel-rule.json
  breakglass monitoring --upn breakglass1@contoso.onmicrosoft.com \\
      --object-id 00000000-0000-0000-0000-000000000000")]
    Monitoring(plan::MonitoringArgs),
    /// Check that this machine is fit for a ceremony: offline, no swap, no core dumps, clock, RNG.
    #[command(after_help = "Examples:
  breakglass preflight && breakglass ceremony --plan plan.toml -o sheets/")]
    Preflight(preflight::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to standard output.
    #[command(after_help = completions::COMPLETIONS_HELP)]
    Completions(completions::CompletionsArgs),
    /// Write the manual pages (breakglass.1 and one per subcommand) into a folder.
    #[command(after_help = completions::MAN_HELP)]
    Man(completions::ManArgs),
    /// Write the recovery kit (recover.py and recovery-kit.pdf): recovery without breakglass.
    Kit(kit::Args),
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
        Command::Rekey(a) => rekey::run(a.into(), rekey::Mode::Rekey, &hardening),
        Command::Rotate(a) => rekey::run(a.into(), rekey::Mode::Rotate, &hardening),
        Command::Expand(a) => rekey::run(a.into(), rekey::Mode::Expand, &hardening),
        Command::VerifyPrint(a) => verify::run(a),
        Command::Drill(a) => drill::run_drill(a, &hardening),
        Command::Status(a) => drill::run_status(a),
        Command::Plan(c) => plan::run(c),
        Command::Monitoring(a) => plan::monitoring(a),
        Command::Preflight(a) => preflight::run(a, &hardening),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
        Command::Kit(a) => kit::run(a),
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

/// Clap value parser for `--share`: refuses a share without a location (`""`, `"=Bob"`) at the
/// edge, before anything is generated; the sheet and its file name are made from the location.
pub fn share_arg(s: &str) -> Result<String, String> {
    if parse_share(s).location.is_empty() {
        return Err(
            "a share needs a location: give LOCATION or LOCATION=CUSTODIAN, e.g. --share \"Safe A (HQ)=Alice\""
                .into(),
        );
    }
    Ok(s.to_string())
}

/// Clap value parser for a label that must say something (`--fido2`).
pub fn label_arg(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err(
            "the label is empty: name the key so it can be told apart, e.g. --fido2 \"YubiKey 5 #1234\""
                .into(),
        );
    }
    Ok(s.to_string())
}

/// Clap value parser for an output folder: `-` (standard output) cannot hold several files.
pub fn out_dir_arg(s: &str) -> Result<std::path::PathBuf, String> {
    match s {
        "-" => Err("this command writes several files, so it cannot write to standard output (-): give a folder, e.g. -o sheets/".into()),
        "" => Err("the folder name is empty: give a folder, e.g. -o sheets/".into()),
        _ => Ok(s.into()),
    }
}

/// Clap value parser for a named output file that cannot be standard output (a PDF).
pub fn out_file_arg(s: &str) -> Result<std::path::PathBuf, String> {
    match s {
        "-" => Err(
            "this file cannot go to standard output (-): give a file name, e.g. enrollment.pdf"
                .into(),
        ),
        "" => Err("the file name is empty: give a file name, e.g. enrollment.pdf".into()),
        _ => Ok(s.into()),
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
