//! `breakglass tenant …`: the tenant side of the emergency accounts, as scripts to review.

use super::{CliResult, tenant_scripts};

#[derive(clap::Subcommand, Debug)]
pub enum TenantCommand {
    /// Print a read-only script that saves the Graph responses the tenant audit reads into one folder.
    #[command(after_help = "Examples:
  breakglass tenant export-script --plan plan.toml --shell powershell > export-tenant.ps1
  breakglass tenant export-script --upn breakglass1@contoso.onmicrosoft.com \\
      --group 00000000-0000-0000-0000-000000000000 --shell az > export-tenant.sh")]
    ExportScript(tenant_scripts::ExportArgs),
    /// Print a Graph PowerShell script that creates the accounts, group, role and exclusions (with -DryRun).
    #[command(after_help = "Examples:
  breakglass tenant setup-script --plan plan.toml > setup-tenant.ps1
  pwsh ./setup-tenant.ps1 -DryRun")]
    SetupScript(tenant_scripts::SetupArgs),
}

pub fn run(cmd: TenantCommand) -> CliResult {
    match cmd {
        TenantCommand::ExportScript(a) => tenant_scripts::run_export(a),
        TenantCommand::SetupScript(a) => tenant_scripts::run_setup(a),
    }
}
