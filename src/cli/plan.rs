//! `breakglass plan new|check` and `breakglass monitoring`.

use super::{CliResult, WithCode, exit, fail, files, shown_path, visible, visible_text};
use breakglass_core::entra;
use breakglass_core::plan::{Plan, TEMPLATE};
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand, Debug)]
pub enum PlanCommand {
    /// Write a commented plan template to FILE (never over an existing file).
    New { file: PathBuf },
    /// Validate a plan: names, threshold, placement of the shares.
    Check { file: PathBuf },
}

#[derive(clap::Args, Debug)]
pub struct MonitoringArgs {
    /// Take the accounts (and object ids) from a ceremony plan.
    #[arg(long, value_name = "PLAN.toml")]
    plan: Option<PathBuf>,
    /// An emergency account's UPN. Repeatable.
    #[arg(long = "upn")]
    upns: Vec<String>,
    /// An emergency account's object id (more robust than the UPN). Repeatable.
    #[arg(long = "object-id")]
    object_ids: Vec<String>,
}

fn load(path: &Path) -> CliResult<Plan> {
    let text = files::read_text(path).code(exit::BAD_INPUT)?;
    Plan::parse(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        .code(exit::USAGE)
}

pub fn run(cmd: PlanCommand) -> CliResult {
    match cmd {
        PlanCommand::New { file } => {
            if file.exists() {
                return fail(
                    exit::OUTPUT,
                    format!("{} exists: not replacing it", file.display()),
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
            )
            .code(exit::OUTPUT)?;
            println!(
                "Wrote {}: edit it, then `breakglass plan check {}`.",
                shown_path(&file),
                shown_path(&file)
            );
            Ok(())
        }
        PlanCommand::Check { file } => {
            let plan = load(&file)?;
            let placement = plan.placement();
            println!(
                "Plan {}: {} account(s) on {}, {} of {} shares recover.",
                shown_path(&file),
                plan.accounts.len(),
                visible(&plan.domain().unwrap_or_else(|_| "(invalid domain)".into())),
                plan.threshold,
                plan.shares.len()
            );
            for line in placement.report() {
                println!("  {}", visible(&line));
            }
            let warnings = plan
                .validate()
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
                .code(exit::USAGE)?;
            for w in &warnings {
                println!("  warning: {}", visible(w));
            }
            println!("The plan is valid.");
            Ok(())
        }
    }
}

/// Checks a `--upn` by the rules the plan applies to its accounts (user part and domain).
fn check_upn(upn: &str) -> CliResult {
    let valid = upn
        .rsplit_once('@')
        .is_some_and(|(user, domain)| entra::upn(user, domain).is_ok());
    if valid {
        Ok(())
    } else {
        fail(
            exit::USAGE,
            format!(
                "--upn {upn:?} is not a user principal name: give USER@DOMAIN (letters, digits and ' . - _ ! # ^ ~ before the @, a DNS name after it)"
            ),
        )
    }
}

pub fn monitoring(args: MonitoringArgs) -> CliResult {
    for u in &args.upns {
        check_upn(u)?;
    }
    for id in &args.object_ids {
        if !breakglass_core::plan::is_guid(id) {
            return fail(
                exit::USAGE,
                format!(
                    "--object-id {id:?} is not an object id: give the GUID Entra ID shows (00000000-0000-0000-0000-000000000000)"
                ),
            );
        }
    }
    let mut upns = args.upns.clone();
    let mut ids = args.object_ids.clone();
    let mut drill = 90;
    if let Some(p) = &args.plan {
        let plan = load(p)?;
        for a in &plan.accounts {
            upns.push(plan.upn(a).code(exit::USAGE)?);
            ids.extend(a.object_id.clone());
        }
        drill = plan.drill_interval_days;
    }
    if upns.is_empty() && ids.is_empty() {
        return fail(
            exit::USAGE,
            "name the accounts: --plan PLAN.toml, or --upn UPN (repeatable)",
        );
    }
    print!("{}", visible_text(&entra::sentinel_query(&upns, &ids)));
    println!();
    println!("// Checklist:");
    for (i, item) in entra::ceremony_checklist(drill).iter().enumerate() {
        println!("//  {}. {item}", i + 1);
    }
    Ok(())
}
