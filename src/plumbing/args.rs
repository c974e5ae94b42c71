//! Arguments checked at the edge, before anything is generated: share labels, key labels and
//! output names, as clap value parsers shared by the subcommands that take them; and the
//! account options the tenant-side commands share.

use super::{CliResult, Failure};

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

/// Refuses `--share` labels the format cannot hold before anything is made: terminal controls
/// (they would reach every sheet and every terminal that shows one) and labels above the
/// format's length limit. The one check of `ceremony`, `rekey`, `rotate` and `expand`; a plan's
/// labels are held to the same [`check_label`](breakglass_core::vault::check_label) rule.
pub fn check_share_labels(labels: &[breakglass_core::vault::ShareLabel]) -> CliResult {
    use breakglass_core::untrusted::check_field;
    use breakglass_core::vault::check_label;
    for (i, l) in (1..).zip(labels) {
        check_field(&l.location, || format!("--share {i} (its location)"))?;
        check_field(&l.custodian, || format!("--share {i} (its custodian)"))?;
        for (text, field) in [(&l.location, "location"), (&l.custodian, "custodian")] {
            check_label(text, field).map_err(|e| {
                Failure::Usage.because(format!(
                    "--share {i}: {e}: give a shorter {field}. Nothing was generated."
                ))
            })?;
        }
    }
    Ok(())
}

/// The emergency accounts a tenant-side command is about (`monitoring`, `tenant audit`,
/// `tenant export-script`): from a plan, or named one by one, and the exclusion group.
#[derive(clap::Args, Debug)]
pub struct AccountTargets {
    /// Take the accounts (their object ids, FIDO2 keys and the exclusion group) from a
    /// ceremony plan.
    #[arg(long, value_name = "PLAN.toml")]
    pub plan: Option<std::path::PathBuf>,
    /// An emergency account's UPN. Repeatable.
    #[arg(long = "upn")]
    pub upns: Vec<String>,
    /// An emergency account's object id (more robust than the UPN). Repeatable.
    #[arg(long = "object-id")]
    pub object_ids: Vec<String>,
    /// The object id of the group Conditional Access policies exclude (overrides the plan's
    /// `exclusion_group`). Without either, `tenant audit` and `export-script` use the group
    /// most policies exclude and say which; `monitoring` watches the accounts only.
    #[arg(long, value_name = "GROUP_ID")]
    pub group: Option<String>,
}
