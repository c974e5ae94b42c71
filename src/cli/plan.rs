//! `breakglass plan new|check`: write a commented plan template, and check a plan as the
//! ceremony would before generating anything.

use crate::plumbing::{CliResult, Failure, files, json, report, shown_path, visible};
use breakglass_core::plan::{Plan, TEMPLATE};
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand, Debug)]
pub enum PlanCommand {
    /// Write a commented plan template to FILE (never over an existing file).
    ///
    /// The template names every key a plan takes (tenant, threshold, accounts, FIDO2 keys,
    /// shares and where they are kept), with comments. Edit it, check it with `plan check`,
    /// then run `breakglass ceremony --plan FILE`.
    #[command(after_help = "Examples:
  breakglass plan new plan.toml
  breakglass plan new - | less      # read the template without writing a file")]
    New {
        /// Where to write the template; `-` for standard output.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Validate a plan: names, threshold, placement of the shares, TOTP files, vault size.
    ///
    /// Checks everything `breakglass ceremony --plan FILE` would check before generating
    /// anything, and prints the placement of the shares. Nothing is generated or written.
    #[command(after_help = "Examples:
  breakglass plan check plan.toml && breakglass ceremony --plan plan.toml -o sheets/")]
    Check {
        /// The plan to check (`-` for standard input).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        report: report::Report,
    },
}

/// `plan check --json` (FORMAT.md §12.6).
#[derive(serde::Serialize)]
struct CheckJson {
    #[serde(flatten)]
    header: json::Header,
    file: String,
    valid: bool,
    accounts: Vec<String>,
    threshold: u8,
    shares: usize,
    placement: Vec<String>,
    warnings: Vec<String>,
    errors: Vec<String>,
}

/// Reads and parses a plan file (its own rules are checked by `Plan::validate`).
pub(super) fn load(path: &Path) -> CliResult<Plan> {
    let text = files::read_text(path)?;
    Plan::parse(&text).map_err(|e| Failure::about(path.display(), e))
}

pub fn run(cmd: PlanCommand) -> CliResult {
    match cmd {
        PlanCommand::New { file } => {
            if file.as_os_str() == "-" {
                return crate::plumbing::stdout::write_all(TEMPLATE.as_bytes());
            }
            if file.exists() {
                return Err(
                    Failure::Output.because(format!("{} exists: not replacing it", file.display()))
                );
            }
            let dir = file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "plan.toml".into());
            files::write_all_atomically(
                dir,
                &[files::OutFile {
                    name,
                    bytes: zeroize::Zeroizing::new(TEMPLATE.as_bytes().to_vec()),
                }],
                false,
            )?;
            outln!(
                "Wrote {}: edit it, then `breakglass plan check {}`.",
                shown_path(&file),
                shown_path(&file)
            )?;
            Ok(())
        }
        PlanCommand::Check { file, report } => {
            let plan = load(&file)?;
            report.note_read(&file, "ceremony plan");
            if report.json {
                return check_json(&file, &plan);
            }
            if report.quiet {
                plan.validate()
                    .map_err(|e| Failure::about(file.display(), e))?;
                return Ok(());
            }
            let placement = plan.placement();
            outln!(
                "Plan {}: {} account(s) on {}, {} of {} shares recover.",
                shown_path(&file),
                plan.accounts.len(),
                visible(&plan.domain().unwrap_or_else(|_| "(invalid domain)".into())),
                plan.threshold,
                plan.shares.len()
            )?;
            for line in placement.report() {
                outln!("  {}", visible(&line))?;
            }
            let warnings = plan
                .validate()
                .map_err(|e| Failure::about(file.display(), e))?;
            for w in &warnings {
                outln!("  warning: {}", visible(w))?;
            }
            // What the ceremony reads and refuses after the plan's own rules.
            let base = file.parent().unwrap_or(Path::new("."));
            super::ceremony::check_plan(&plan, base)?;
            outln!("The plan is valid.")?;
            Ok(())
        }
    }
}

fn check_json(file: &Path, plan: &Plan) -> CliResult {
    let validated = plan.validate();
    let accounts = plan
        .accounts
        .iter()
        .map(|a| plan.upn(a).unwrap_or_else(|e| format!("(invalid: {e})")))
        .collect();
    let (warnings, errors) = match &validated {
        Ok(w) => (w.clone(), Vec::new()),
        Err(e) => (Vec::new(), vec![e.to_string()]),
    };
    json::print(&CheckJson {
        header: json::Header::v1("breakglass-plan-check"),
        file: file.display().to_string(),
        valid: validated.is_ok(),
        accounts,
        threshold: plan.threshold,
        shares: plan.shares.len(),
        placement: plan.placement().report(),
        warnings,
        errors,
    })?;
    match validated {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::Usage.because(format!("{}: {e}", file.display()))),
    }
}
