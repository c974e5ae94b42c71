//! The command line: clap's definitions, one module per subcommand, and the top-level error
//! report. What the subcommands share lives in `crate::plumbing`.

mod alerts;
mod ceremony;
mod completions;
mod drill;
mod inspect;
mod kit;
mod monitoring;
mod plan;
mod preflight;
mod print;
mod recover;
mod rekey;
mod status;
mod tenant;
mod tenant_scripts;
mod verify;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

use crate::plumbing::{Failure, exit, failure, harden, remedy, visible_text};

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
6 output refused (files exist or cannot be written), 7 a drill is overdue,
8 the tenant audit found something to fix.";

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
    Status(status::StatusArgs),
    /// Ceremony plans: `plan new FILE` writes a template, `plan check FILE` validates it.
    #[command(
        subcommand,
        after_help = "Examples:
  breakglass plan new plan.toml
  breakglass plan check plan.toml"
    )]
    Plan(plan::PlanCommand),
    /// Print the sign-in alert for the emergency accounts: KQL and a checklist, or ARM templates
    /// (`-o FILE` writes them to a file).
    #[command(after_help = "Examples:
  breakglass monitoring --plan plan.toml
  breakglass monitoring --plan plan.toml --format sentinel-arm -o sentinel-rules.json
  breakglass monitoring --upn breakglass1@contoso.onmicrosoft.com \\
      --object-id 00000000-0000-0000-0000-000000000000")]
    Monitoring(monitoring::MonitoringArgs),
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
    /// Write the recovery kit (recover.py, recovery-kit.pdf and recover.html): recovery without
    /// breakglass.
    Kit(kit::Args),
    /// The tenant side: `tenant audit EXPORT_DIR` checks a Graph export of it offline;
    /// `export-script` and `setup-script` print scripts to review and run online.
    #[command(
        subcommand,
        after_help = "Examples:
  breakglass tenant audit export/ --plan plan.toml --log drills.jsonl
  breakglass tenant export-script --plan plan.toml > export-tenant.ps1
  breakglass tenant setup-script --plan plan.toml > setup-tenant.ps1"
    )]
    Tenant(tenant::TenantCommand),
}

/// Runs the command line and maps failures to exit codes.
pub fn main() -> ExitCode {
    let hardening = harden::harden();
    // The screen and the prompt's terminal modes first, then temporary files holding shares.
    crate::plumbing::signals::install(&[
        crate::plumbing::terminal::on_fatal_signal,
        crate::plumbing::files::on_fatal_signal,
    ]);
    let mut definition = Cli::command();
    let parsed = definition
        .try_get_matches_from_mut(std::env::args_os())
        .and_then(|matches| {
            let cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut Cli::command()))?;
            Ok((cli, matches))
        });
    let cli = match parsed {
        Ok((c, matches)) => {
            remedy::set_command_flags(flags_of(&definition, &matches));
            c
        }
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
        Command::Status(a) => status::run(a),
        Command::Plan(c) => plan::run(c),
        Command::Monitoring(a) => monitoring::run(a),
        Command::Tenant(c) => tenant::run(c),
        Command::Preflight(a) => preflight::run(a, &hardening),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
        Command::Kit(a) => kit::run(a),
    };
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => {
            if failure::is_broken_pipe(&e) {
                return ExitCode::from(exit::OK);
            }
            // Errors quote file names, labels and parser messages: shown through the filter.
            eprintln!("error: {}", visible_text(&failure::message(e.as_ref())));
            for cause in e.chain().skip(1) {
                eprintln!("  because: {}", visible_text(&failure::message(cause)));
            }
            ExitCode::from(Failure::of(&e).code())
        }
    }
}

/// The long flags of the (sub)command the command line chose, from clap's definition: the only
/// flags a remedy may name (`plumbing::remedy`).
fn flags_of(definition: &clap::Command, matches: &clap::ArgMatches) -> remedy::Flags {
    let (mut command, mut matches) = (definition, matches);
    while let Some((name, sub)) = matches.subcommand() {
        let Some(c) = command.find_subcommand(name) else {
            break;
        };
        (command, matches) = (c, sub);
    }
    remedy::Flags::new(command.get_arguments().filter_map(|a| a.get_long()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(args: &[&str]) -> remedy::Flags {
        let mut definition = Cli::command();
        let matches = definition
            .try_get_matches_from_mut(std::iter::once("breakglass").chain(args.iter().copied()))
            .unwrap();
        flags_of(&definition, &matches)
    }

    /// A remedy is given the flags of the command that runs, a nested one's included.
    #[test]
    fn the_flags_are_those_of_the_command_chosen() {
        let recover = flags(&["recover", "share-1.txt"]);
        assert!(recover.has("generation") && recover.has("passphrase-file"));
        assert!(!recover.has("passphrase") && !recover.has("allow-short-passwords"));
        let verify = flags(&["verify-print", "scan.png"]);
        assert!(verify.has("passphrase") && !verify.has("generation"));
        let audit = flags(&["tenant", "audit", "export/"]);
        assert!(audit.has("log") && audit.has("group") && audit.has("plan"));
        assert!(!audit.has("generation"));
        let check = flags(&["plan", "check", "plan.toml"]);
        assert!(!check.has("allow-short-passwords") && !check.has("plan"));
    }
}
