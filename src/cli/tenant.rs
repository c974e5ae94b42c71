//! `breakglass tenant …`: the tenant side of the emergency accounts. `tenant audit` reads a
//! Microsoft Graph export folder (FORMAT.md §13) and judges it with the core's eight rules; this
//! module only reads the folder and prints, the judgement is `breakglass_core::tenant::audit`.
//! `export-script` and `setup-script` print scripts to review (`tenant_scripts`). Nothing here
//! touches the network.

use super::tenant_scripts;
use crate::plumbing::drill_log::{self, Record};
use crate::plumbing::{CliResult, Failure, files, json, report, visible};
use breakglass_core::entra::is_guid;
use breakglass_core::plan::Plan;
use breakglass_core::tenant::graph::{
    ArmDocument, AuthMethod, Collection, DirectoryObject, Group, MAX_ACCOUNTS,
    MAX_EXPORT_FILE_BYTES, Policy, RoleInstance, Single, User,
};
use breakglass_core::tenant::{
    Account, AuditReport, ChosenGroup, ExpectedKey, Export, ExportError, ExportFile, GroupSource,
    Inputs, LogEvent, Severity, audit, most_excluded_group, resolve_accounts,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand, Debug)]
pub enum TenantCommand {
    /// Audit an export of the tenant (Graph responses in one folder) offline: 8 rules, each
    /// finding with its fix; exit 8 when anything is found.
    ///
    /// Checks the accounts (exist, enabled, cloud-only, *.onmicrosoft.com), Global
    /// Administrator (active and permanent), every Conditional Access policy (excludes them),
    /// the exclusion group (exactly the accounts, role-assignable), password expiry,
    /// authentication methods (the vault's FIDO2 keys, no personal method, MFA possible), the
    /// last sign-ins against the drill log, and the alert rule when exported.
    #[command(after_help = "Examples:
  breakglass tenant audit export/ --plan plan.toml
  breakglass tenant audit export/ --plan plan.toml --log drills.jsonl --json
  breakglass tenant audit export/ --upn bg1@contoso.onmicrosoft.com \\
      --upn bg2@contoso.onmicrosoft.com --group 00000000-0000-0000-0000-000000000000

Exit codes: 0 nothing found, 8 findings, 3 the export cannot be read, 2 usage.")]
    Audit(AuditArgs),
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

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// The export folder (FORMAT.md §13.1), as `tenant export-script` makes it.
    #[arg(value_name = "EXPORT_DIR")]
    export: PathBuf,
    #[command(flatten)]
    targets: crate::plumbing::args::AccountTargets,
    /// The drill log: the last sign-ins are checked against its drills (rule 7).
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    #[command(flatten)]
    report: report::Report,
}

pub fn run(cmd: TenantCommand) -> CliResult {
    match cmd {
        TenantCommand::Audit(a) => run_audit(a),
        TenantCommand::ExportScript(a) => tenant_scripts::run_export(a),
        TenantCommand::SetupScript(a) => tenant_scripts::run_setup(a),
    }
}

fn run_audit(args: AuditArgs) -> CliResult {
    let mut accounts = Vec::new();
    let mut group = None;
    if let Some(p) = &args.targets.plan {
        let text = files::read_text(p)?;
        let plan = Plan::parse(&text).map_err(|e| Failure::about(p.display(), e))?;
        plan.validate()
            .map_err(|e| Failure::about(p.display(), e))?;
        for a in &plan.accounts {
            accounts.push(Account {
                upn: Some(plan.upn(a)?),
                object_id: a.object_id.clone(),
                fido2: a
                    .fido2
                    .iter()
                    .map(|k| ExpectedKey {
                        label: k.label.clone(),
                        serial: k.serial.clone(),
                    })
                    .collect(),
            });
        }
        group = plan.exclusion_group.map(|id| (id, GroupSource::Plan));
    }
    for u in &args.targets.upns {
        if !u.contains('@') {
            return Err(Failure::Usage.because(format!(
                "--upn {u:?} is not a user principal name: give USER@DOMAIN"
            )));
        }
        accounts.push(Account {
            upn: Some(u.clone()),
            ..Account::default()
        });
    }
    for id in &args.targets.object_ids {
        if !is_guid(id) {
            return Err(Failure::Usage.because(format!(
                "--object-id {id:?} is not an object id: give the GUID Entra ID shows"
            )));
        }
        accounts.push(Account {
            object_id: Some(id.clone()),
            ..Account::default()
        });
    }
    if let Some(g) = &args.targets.group {
        if !is_guid(g) {
            return Err(Failure::Usage.because(format!(
                "--group {g:?} is not an object id: give the exclusion group's GUID"
            )));
        }
        group = Some((g.clone(), GroupSource::Option));
    }
    if accounts.is_empty() {
        return Err(Failure::Usage.because(
            "name the accounts: --plan PLAN.toml, or --upn UPN / --object-id ID (repeatable)",
        ));
    }
    let log = match &args.log {
        Some(l) => Some(drill_log::read(l)?),
        None => None,
    };
    let done = audit_folder(&args.export, accounts, group, log.as_deref())?;
    if args.report.verbose {
        for f in &done.read {
            eprintln!("read: {}", visible(f));
        }
    }
    if args.report.json {
        print_json(&done)?;
    } else if args.report.text() {
        print_text(&done)?;
    }
    done.verdict()
}

/// An audit that ran: its inputs as judged and the report.
pub struct Audited {
    pub export: PathBuf,
    pub inputs: Inputs,
    pub group_name: Option<String>,
    pub group_role_assignable: Option<bool>,
    pub report: AuditReport,
    /// The files read, in order.
    pub read: Vec<String>,
}

impl Audited {
    /// Exit 0 when nothing was found, 8 otherwise.
    pub fn verdict(&self) -> CliResult {
        if self.report.findings.is_empty() {
            Ok(())
        } else {
            Err(Failure::Findings.because(format!(
                "the tenant audit found {} thing(s) to fix",
                self.report.findings.len()
            )))
        }
    }

    /// The drill log's summary of it.
    pub fn record(&self) -> drill_log::AuditRecord {
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        drill_log::AuditRecord {
            export: self.export.display().to_string(),
            result: if self.report.findings.is_empty() {
                "clean".into()
            } else {
                "findings".into()
            },
            findings: n(self.report.findings.len()),
            high: n(self.report.count(Severity::High)),
        }
    }
}

/// The drill log as rule 7 reads it.
pub fn log_events(log: &[Record]) -> Vec<LogEvent> {
    log.iter()
        .map(|r| LogEvent {
            unix: r.unix,
            purpose: r.purpose.clone(),
            opened: drill_log::opened(r),
            drill_interval_days: r.drill_interval_days,
        })
        .collect()
}

/// Reads the export folder and runs the audit (`tenant audit`, `drill --tenant-export`).
pub fn audit_folder(
    dir: &Path,
    accounts: Vec<Account>,
    group: Option<(String, GroupSource)>,
    log: Option<&[Record]>,
) -> CliResult<Audited> {
    if accounts.len() > MAX_ACCOUNTS {
        return Err(ExportError::TooManyAccounts {
            count: accounts.len(),
            max: MAX_ACCOUNTS,
        }
        .into());
    }
    if !dir.is_dir() {
        return Err(Failure::BadInput.because(format!(
            "{} is not a folder: give the export folder (`breakglass tenant export-script` makes it)",
            dir.display()
        )));
    }
    let mut reader = Reader {
        dir,
        read: Vec::new(),
    };
    let mut export = Export {
        policies: reader.items::<Policy>(&ExportFile::Policies)?,
        users: reader.items::<User>(&ExportFile::Users)?,
        role_assignments: reader.items::<RoleInstance>(&ExportFile::RoleAssignments)?,
        role_eligibilities: reader.items::<RoleInstance>(&ExportFile::RoleEligibilities)?,
        ..Export::default()
    };
    let (resolved, unresolved) = resolve_accounts(&accounts, &export.users);
    for a in &resolved {
        let m = reader.items::<AuthMethod>(&ExportFile::Methods(a.id.clone()))?;
        export.methods.insert(a.id.clone(), m);
        let g = reader.items::<DirectoryObject>(&ExportFile::MemberOf(a.id.clone()))?;
        export.member_of.insert(a.id.clone(), g);
    }
    let chosen = match group {
        Some((id, chosen_by)) => Some(ChosenGroup {
            id: id.to_lowercase(),
            chosen_by,
            excluded_by_policies: 0,
        }),
        None => most_excluded_group(&export.policies),
    };
    if let Some(g) = &chosen {
        read_exclusion_group(&mut reader, g, &mut export)?;
    }
    read_alert_rule(&mut reader, &mut export)?;
    let inputs = Inputs {
        accounts: resolved,
        unresolved,
        group: chosen,
        log: log.map(log_events),
        now: crate::plumbing::unix_now(),
    };
    let mut report = audit(&export, &inputs);
    // Where this command takes what a rule went without (`--log`, `--group`), every printer and
    // the drill record say so.
    for s in &mut report.skipped {
        s.reason = crate::plumbing::remedy::skipped(s, crate::plumbing::remedy::Flags::current());
    }
    Ok(Audited {
        export: dir.to_path_buf(),
        group_name: export
            .exclusion_group
            .as_ref()
            .and_then(|g| g.display_name.clone()),
        group_role_assignable: export
            .exclusion_group
            .as_ref()
            .map(|g| g.is_assignable_to_role == Some(true)),
        inputs,
        report,
        read: reader.read,
    })
}

/// The exclusion group's own file, which must be the group chosen, and its members.
fn read_exclusion_group(reader: &mut Reader, g: &ChosenGroup, export: &mut Export) -> CliResult {
    let file = ExportFile::ExclusionGroup;
    let group: Group = reader.single(&file)?;
    if !group
        .id
        .as_deref()
        .is_some_and(|id| id.eq_ignore_ascii_case(&g.id))
    {
        return Err(ExportError::OtherGroup {
            file: file.name(),
            found: group.id.unwrap_or_default(),
            expected: g.id.clone(),
        }
        .into());
    }
    export.exclusion_group = Some(group);
    export.exclusion_group_members =
        reader.items::<DirectoryObject>(&ExportFile::ExclusionGroupMembers)?;
    Ok(())
}

/// The alert rule's ARM export, when the folder holds one: it must hold the rule.
fn read_alert_rule(reader: &mut Reader, export: &mut Export) -> CliResult {
    let file = ExportFile::AlertRule;
    if reader.dir.join(file.name()).exists() {
        let doc: ArmDocument = reader.parse(&file)?;
        if !breakglass_core::tenant::audit::has_alert_rule(&doc) {
            return Err(ExportError::NoAlertRule { file: file.name() }.into());
        }
        export.alert_rule = Some(doc);
    }
    Ok(())
}

/// Reads the export's files: bounded, by name, each checked before it is used.
struct Reader<'a> {
    dir: &'a Path,
    read: Vec<String>,
}

impl Reader<'_> {
    /// The bytes of one file, refused unread when too large.
    fn bytes(&mut self, file: &ExportFile) -> CliResult<Vec<u8>> {
        let path = self.dir.join(file.name());
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ExportError::Missing {
                    file: file.name(),
                    request: file.request(),
                }
                .into());
            }
            Err(e) => {
                return Err(Failure::BadInput.class(
                    anyhow::Error::new(e).context(format!("cannot read {}", path.display())),
                ));
            }
        };
        if meta.len() > MAX_EXPORT_FILE_BYTES {
            return Err(ExportError::TooLarge {
                file: file.name(),
                bytes: meta.len(),
                max: MAX_EXPORT_FILE_BYTES,
            }
            .into());
        }
        let bytes = files::read_input(&path)?;
        self.read.push(path.display().to_string());
        Ok(bytes.to_vec())
    }

    fn parse<T: DeserializeOwned>(&mut self, file: &ExportFile) -> CliResult<T> {
        let bytes = self.bytes(file)?;
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        serde_json::from_slice(bytes).map_err(|e| {
            ExportError::NotJson {
                file: file.name(),
                detail: e.to_string(),
                request: file.request(),
            }
            .into()
        })
    }

    fn items<T: DeserializeOwned>(&mut self, file: &ExportFile) -> CliResult<Vec<T>> {
        Ok(self.parse::<Collection<T>>(file)?.into_items(file)?)
    }

    fn single<T: DeserializeOwned>(&mut self, file: &ExportFile) -> CliResult<T> {
        Ok(self.parse::<Single<T>>(file)?.into_entity(file)?)
    }
}

fn source_words(g: &ChosenGroup) -> String {
    match g.chosen_by {
        GroupSource::Plan => "named by the plan's exclusion_group".into(),
        GroupSource::Option => "named by --group".into(),
        GroupSource::MostExcluded => format!(
            "the group most policies exclude ({} of them), as Maester chooses; name it with --group or the plan's exclusion_group",
            g.excluded_by_policies
        ),
    }
}

fn print_text(d: &Audited) -> CliResult {
    let r = &d.report;
    outln!("TENANT AUDIT of {}", crate::plumbing::shown_path(&d.export))?;
    for a in &d.inputs.accounts {
        outln!(
            "  account:          {} ({})",
            visible(&a.upn),
            visible(&a.id)
        )?;
    }
    for u in &d.inputs.unresolved {
        outln!(
            "  account:          {} (not in users.json)",
            visible(&u.named)
        )?;
    }
    match &d.inputs.group {
        Some(g) => outln!(
            "  exclusion group:  {} ({}): {}",
            visible(d.group_name.as_deref().unwrap_or("?")),
            visible(&g.id),
            source_words(g)
        )?,
        None => outln!("  exclusion group:  none (no policy excludes a group)")?,
    }
    outln!(
        "  policies:         {} checked, {} not applicable",
        r.policies_checked,
        r.not_applicable.len()
    )?;
    for n in &r.not_applicable {
        outln!(
            "    not applicable: \"{}\" ({}): {}",
            visible(&n.display_name),
            visible(&n.id),
            n.reason
        )?;
    }
    for s in &r.skipped {
        outln!(
            "  not checked:      rule {}: {}",
            s.rule,
            visible(&s.reason)
        )?;
    }
    for f in &r.findings {
        outln!()?;
        outln!(
            "{:<6} rule {}  {}",
            f.severity.name().to_uppercase(),
            f.rule,
            f.code
        )?;
        outln!("  found: {}", visible(&f.what))?;
        outln!("  why:   {}", f.why)?;
        outln!("  fix:   {}", visible(&f.fix.portal))?;
        outln!("         {}", visible(&f.fix.powershell))?;
    }
    outln!()?;
    if r.findings.is_empty() {
        outln!("RESULT: nothing found: every rule that could be checked passed")?;
    } else {
        outln!(
            "RESULT: {} finding(s): {} high, {} medium, {} low",
            r.findings.len(),
            r.count(Severity::High),
            r.count(Severity::Medium),
            r.count(Severity::Low)
        )?;
    }
    Ok(())
}

/// `tenant audit --json` (FORMAT.md §12.9).
#[derive(Serialize)]
struct AuditJson<'a> {
    #[serde(flatten)]
    header: json::Header,
    export: String,
    accounts: Vec<JsonAccount<'a>>,
    not_found: Vec<&'a str>,
    exclusion_group: Option<JsonGroup<'a>>,
    policies_checked: usize,
    not_applicable: &'a [breakglass_core::tenant::NotApplicable],
    not_checked: &'a [breakglass_core::tenant::Skipped],
    findings: &'a [breakglass_core::tenant::Finding],
    counts: Counts,
    clean: bool,
}

#[derive(Serialize)]
struct JsonAccount<'a> {
    upn: &'a str,
    object_id: &'a str,
    display_name: &'a str,
}

#[derive(Serialize)]
struct JsonGroup<'a> {
    id: &'a str,
    display_name: Option<&'a str>,
    chosen_by: GroupSource,
    role_assignable: Option<bool>,
}

#[derive(Serialize)]
struct Counts {
    high: usize,
    medium: usize,
    low: usize,
}

fn print_json(d: &Audited) -> CliResult {
    let r = &d.report;
    json::print(&AuditJson {
        header: json::Header::v1("breakglass-tenant-audit"),
        export: d.export.display().to_string(),
        accounts: d
            .inputs
            .accounts
            .iter()
            .map(|a| JsonAccount {
                upn: &a.upn,
                object_id: &a.id,
                display_name: &a.display_name,
            })
            .collect(),
        not_found: d
            .inputs
            .unresolved
            .iter()
            .map(|u| u.named.as_str())
            .collect(),
        exclusion_group: d.inputs.group.as_ref().map(|g| JsonGroup {
            id: &g.id,
            display_name: d.group_name.as_deref(),
            chosen_by: g.chosen_by,
            role_assignable: d.group_role_assignable,
        }),
        policies_checked: r.policies_checked,
        not_applicable: &r.not_applicable,
        not_checked: &r.skipped,
        findings: &r.findings,
        counts: Counts {
            high: r.count(Severity::High),
            medium: r.count(Severity::Medium),
            low: r.count(Severity::Low),
        },
        clean: r.findings.is_empty(),
    })
}

/// Prints an audit the way `tenant audit` does (for `drill --tenant-export`).
pub fn print_report(d: &Audited) -> CliResult {
    print_text(d)
}
