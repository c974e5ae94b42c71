//! The tenant audit's rules (FORMAT.md §13): pure functions from a parsed export to findings,
//! each with its severity, its evidence (object ids and names), why it matters and the exact
//! fix. It reads no file and no clock: the binary gathers the export and passes "now".

use super::graph::{
    ArmDocument, ArmResource, ArmValue, AuthMethod, DirectoryObject, GLOBAL_ADMINISTRATOR, Group,
    Policy, RoleInstance, User, is_azure_monitor_rule, is_sentinel_rule, parse_timestamp,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Emergency access can fail, or someone has a way around it.
    High,
    /// A weakness that will bite later (report-only policy, expiring password, personal method).
    Medium,
    /// Worth knowing, nothing breaks.
    Low,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

/// One object a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// `user`, `policy`, `group`, `member`, `role-assignment`, `role-eligibility`, `method`,
    /// `alert-rule`, `sign-in`, `fido2-key`.
    pub kind: &'static str,
    pub id: String,
    pub name: String,
}

/// What to do about a finding: where in the portal, and the Graph PowerShell line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub portal: String,
    pub powershell: String,
}

/// One thing the audit found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule (1–8, FORMAT.md §13.3).
    pub rule: u8,
    /// Its frozen name (`ca-not-excluded`).
    pub code: &'static str,
    pub severity: Severity,
    /// The account it is about (its UPN), if any.
    pub account: Option<String>,
    pub what: String,
    pub evidence: Vec<Evidence>,
    pub why: &'static str,
    pub fix: Fix,
}

/// An emergency account as the plan, the options or the vault name it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    pub upn: Option<String>,
    pub object_id: Option<String>,
    /// FIDO2 keys the vault lists for it.
    pub fido2: Vec<ExpectedKey>,
}

/// A FIDO2 key the vault lists: its label and serial.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpectedKey {
    pub label: String,
    pub serial: String,
}

impl ExpectedKey {
    /// Splits a vault entry's label (`LABEL #SERIAL (LOCATION) for UPN`, as the ceremony writes
    /// it) back into label and serial; the account it names is returned too.
    pub fn from_vault_label(text: &str) -> (Self, Option<String>) {
        let (key, upn) = match text.rsplit_once(" for ") {
            Some((k, u)) if u.contains('@') => (k, Some(u.to_string())),
            _ => (text, None),
        };
        let (label, serial) = match key.rsplit_once(" #") {
            Some((l, rest)) => (l, rest.split(' ').next().unwrap_or_default()),
            None => (
                key.rsplit_once(" (")
                    .filter(|_| key.ends_with(')'))
                    .map_or(key, |(l, _)| l),
                "",
            ),
        };
        (
            Self {
                label: label.trim().to_string(),
                serial: serial.to_string(),
            },
            upn,
        )
    }

    /// True when a registered key is this one: same name, or a name holding the serial.
    fn matches(&self, registered: &AuthMethod) -> bool {
        let name = registered
            .display_name
            .as_deref()
            .unwrap_or_default()
            .trim();
        let norm = |s: &str| s.trim().to_lowercase();
        !name.is_empty()
            && (norm(name) == norm(&self.label)
                || (!self.serial.is_empty() && name.contains(&self.serial))
                || norm(name) == norm(&format!("{} #{}", self.label, self.serial)))
    }
}

/// An account found in `users.json`: its id is what every other file is keyed by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub fido2: Vec<ExpectedKey>,
}

/// Where the exclusion group came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupSource {
    /// `exclusion_group` in the plan.
    Plan,
    /// `--group`.
    Option,
    /// The group most policies exclude (as Maester chooses).
    MostExcluded,
}

/// The exclusion group the audit judges by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChosenGroup {
    pub id: String,
    pub chosen_by: GroupSource,
    /// For `most-excluded`: how many policies exclude it.
    pub excluded_by_policies: usize,
}

/// The group most policies exclude (ties: the smallest id), as Maester's
/// `Test-MtCaEmergencyAccessExists` chooses it; `None` when no policy excludes a group.
pub fn most_excluded_group(policies: &[Policy]) -> Option<ChosenGroup> {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for p in policies {
        let Some(u) = p.conditions.as_ref().and_then(|c| c.users.as_ref()) else {
            continue;
        };
        let unique: HashSet<String> = u.exclude_groups.iter().map(|g| g.to_lowercase()).collect();
        for g in unique {
            *count.entry(g).or_default() += 1;
        }
    }
    let best = count.values().copied().max()?;
    count
        .into_iter()
        .find(|(_, n)| *n == best)
        .map(|(id, n)| ChosenGroup {
            id,
            chosen_by: GroupSource::MostExcluded,
            excluded_by_policies: n,
        })
}

/// An account that is not in `users.json` (a finding, not an error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    pub named: String,
}

/// Finds each account in `users.json` by object id, else by UPN (case-insensitive).
pub fn resolve_accounts(accounts: &[Account], users: &[User]) -> (Vec<Resolved>, Vec<Unresolved>) {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for a in accounts {
        let user = users.iter().find(|u| {
            a.object_id
                .as_deref()
                .is_some_and(|id| u.id.eq_ignore_ascii_case(id))
                || (a.object_id.is_none()
                    && a.upn.as_deref().is_some_and(|upn| {
                        u.user_principal_name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(upn))
                    }))
        });
        match user {
            Some(u) if !found.iter().any(|r: &Resolved| r.id == u.id.to_lowercase()) => {
                found.push(Resolved {
                    id: u.id.to_lowercase(),
                    upn: u
                        .user_principal_name
                        .clone()
                        .or_else(|| a.upn.clone())
                        .unwrap_or_default(),
                    display_name: u.display_name.clone().unwrap_or_default(),
                    fido2: a.fido2.clone(),
                })
            }
            Some(_) => {}
            None => missing.push(Unresolved {
                named: a
                    .upn
                    .clone()
                    .or_else(|| a.object_id.clone())
                    .unwrap_or_default(),
            }),
        }
    }
    (found, missing)
}

/// One drill log record, as rule 7 needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvent {
    pub unix: u64,
    /// `drill`, `real emergency`, …
    pub purpose: String,
    /// The vault opened (a `PASSED` or `opened` result).
    pub opened: bool,
    pub drill_interval_days: u16,
}

/// How long after a logged opening a sign-in is explained by it (seconds): the sign-in part
/// of a drill, or the emergency itself, follows the opening within two days.
pub const SIGN_IN_AFTER_OPENING_SECONDS: i64 = 2 * 86_400;
/// How long before a logged opening a sign-in is still explained by it (clocks differ).
pub const SIGN_IN_BEFORE_OPENING_SECONDS: i64 = 3_600;

/// The parsed export folder (FORMAT.md §13.1).
#[derive(Clone, Debug, Default)]
pub struct Export {
    pub policies: Vec<Policy>,
    pub users: Vec<User>,
    pub role_assignments: Vec<RoleInstance>,
    pub role_eligibilities: Vec<RoleInstance>,
    pub exclusion_group: Option<Group>,
    pub exclusion_group_members: Vec<DirectoryObject>,
    /// `methods-<id>.json` by lowercase object id.
    pub methods: HashMap<String, Vec<AuthMethod>>,
    /// `member-of-<id>.json` by lowercase object id.
    pub member_of: HashMap<String, Vec<DirectoryObject>>,
    pub alert_rule: Option<ArmDocument>,
}

/// What the audit judges against besides the export.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub accounts: Vec<Resolved>,
    pub unresolved: Vec<Unresolved>,
    pub group: Option<ChosenGroup>,
    /// The drill log, when given (rule 7).
    pub log: Option<Vec<LogEvent>>,
    /// Unix seconds, for rule 7.
    pub now: u64,
}

/// A policy the audit leaves out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotApplicable {
    pub id: String,
    pub display_name: String,
    pub reason: &'static str,
}

/// A rule that could not be checked, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub rule: u8,
    pub reason: String,
    /// The input that was not given and would let the rule run, when that is why: the caller
    /// says how its users give it (a flag, a plan key).
    #[serde(skip)]
    pub missing: Option<AuditInput>,
}

/// An input of the audit beside the export that a caller may not have been given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditInput {
    /// The exclusion group (rule 4).
    ExclusionGroup,
    /// The drill log (rule 7).
    DrillLog,
}

/// The audit's judgement: what every printer formats.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub policies_checked: usize,
    pub not_applicable: Vec<NotApplicable>,
    pub skipped: Vec<Skipped>,
    pub findings: Vec<Finding>,
}

impl AuditReport {
    /// Findings of this severity.
    pub fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }
}

/// Runs the eight rules.
pub fn audit(export: &Export, inputs: &Inputs) -> AuditReport {
    let mut r = AuditReport::default();
    let groups = account_groups(export, inputs);
    rule1_accounts(export, inputs, &mut r);
    rule2_roles(export, inputs, &groups, &mut r);
    rule3_policies(export, inputs, &groups, &mut r);
    rule4_group(export, inputs, &mut r);
    rule5_passwords(export, inputs, &mut r);
    rule6_methods(export, inputs, &mut r);
    rule7_sign_ins(export, inputs, &mut r);
    rule8_alert(export, inputs, &mut r);
    r.findings.sort_by_key(|f| (f.severity, f.rule));
    r
}

/// PowerShell's single-quoted string: nothing inside is expanded, and a quote (any of the four
/// PowerShell accepts) is doubled, so no value from the export can end the string.
pub fn ps_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        if !c.is_control() {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Each account's groups, direct and nested (`member-of-<id>.json`), and the exclusion group
/// when its member list holds the account.
fn account_groups(export: &Export, inputs: &Inputs) -> HashMap<String, HashSet<String>> {
    let members: HashSet<String> = export
        .exclusion_group_members
        .iter()
        .map(|m| m.id.to_lowercase())
        .collect();
    inputs
        .accounts
        .iter()
        .map(|a| {
            let mut set: HashSet<String> = export
                .member_of
                .get(&a.id)
                .map(|l| l.iter().map(|g| g.id.to_lowercase()).collect())
                .unwrap_or_default();
            if let Some(g) = &inputs.group
                && members.contains(&a.id)
            {
                set.insert(g.id.clone());
            }
            (a.id.clone(), set)
        })
        .collect()
}

fn user_evidence(a: &Resolved) -> Evidence {
    Evidence {
        kind: "user",
        id: a.id.clone(),
        name: a.upn.clone(),
    }
}

fn user_of<'a>(export: &'a Export, a: &Resolved) -> Option<&'a User> {
    export
        .users
        .iter()
        .find(|u| u.id.eq_ignore_ascii_case(&a.id))
}

const USERS_PORTAL: &str = "Microsoft Entra admin center > Identity > Users > All users";

fn rule1_accounts(export: &Export, inputs: &Inputs, r: &mut AuditReport) {
    for u in &inputs.unresolved {
        r.findings.push(Finding {
            rule: 1,
            code: "account-missing",
            severity: Severity::High,
            account: Some(u.named.clone()),
            what: format!("{} is not in users.json: the account does not exist (or was not exported)", u.named),
            evidence: vec![Evidence { kind: "user", id: String::new(), name: u.named.clone() }],
            why: "an emergency account that does not exist cannot be signed in to when every other admin is locked out",
            fix: Fix {
                portal: format!("{USERS_PORTAL} > New user > Create new user (on the *.onmicrosoft.com domain), then export again"),
                powershell: format!("New-MgUser -UserPrincipalName {} -DisplayName 'Emergency access' -MailNickname {} -AccountEnabled -PasswordProfile @{{ Password = (Read-Host 'Password' -MaskInput); ForceChangePasswordNextSignIn = $false }}", ps_quote(&u.named), ps_quote(u.named.split('@').next().unwrap_or_default())),
            },
        });
    }
    for a in &inputs.accounts {
        let Some(u) = user_of(export, a) else {
            continue;
        };
        if u.account_enabled != Some(true) {
            r.findings.push(Finding {
                rule: 1,
                code: "account-disabled",
                severity: Severity::High,
                account: Some(a.upn.clone()),
                what: format!("{} ({}) is disabled (accountEnabled is {})", a.upn, a.id, u.account_enabled.map_or("not set".into(), |b| b.to_string())),
                evidence: vec![user_evidence(a)],
                why: "a disabled account cannot sign in: the emergency access it exists for is gone",
                fix: Fix {
                    portal: format!("{USERS_PORTAL} > {} > Edit properties > Settings > Account enabled", a.upn),
                    powershell: format!("Update-MgUser -UserId {} -AccountEnabled:$true", ps_quote(&a.id)),
                },
            });
        }
        if u.on_premises_sync_enabled == Some(true) {
            r.findings.push(Finding {
                rule: 1,
                code: "account-synchronised",
                severity: Severity::High,
                account: Some(a.upn.clone()),
                what: format!("{} ({}) is synchronised from on-premises (onPremisesSyncEnabled is true)", a.upn, a.id),
                evidence: vec![user_evidence(a)],
                why: "an account that depends on on-premises Active Directory fails with it; Microsoft requires cloud-only emergency accounts",
                fix: Fix {
                    portal: format!("{USERS_PORTAL} > New user > Create new user on the *.onmicrosoft.com domain (cloud-only), move the vault to it, then remove {} from emergency use", a.upn),
                    powershell: "New-MgUser -UserPrincipalName 'NAME@TENANT.onmicrosoft.com' -DisplayName 'Emergency access' -MailNickname 'NAME' -AccountEnabled -PasswordProfile @{ Password = (Read-Host 'Password' -MaskInput); ForceChangePasswordNextSignIn = $false }".into(),
                },
            });
        }
        let domain = a
            .upn
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default();
        if !crate::entra::is_onmicrosoft(&domain) {
            r.findings.push(Finding {
                rule: 1,
                code: "account-not-onmicrosoft",
                severity: Severity::High,
                account: Some(a.upn.clone()),
                what: format!("{} ({}) is not on the tenant's *.onmicrosoft.com domain", a.upn, a.id),
                evidence: vec![user_evidence(a)],
                why: "a custom domain can be federated or lost (DNS, an identity provider outage); the *.onmicrosoft.com domain is always managed by Entra ID",
                fix: Fix {
                    portal: format!("{USERS_PORTAL} > {} > Edit properties > Identity > User principal name: choose the *.onmicrosoft.com domain", a.upn),
                    powershell: format!("Update-MgUser -UserId {} -UserPrincipalName 'NAME@TENANT.onmicrosoft.com'", ps_quote(&a.id)),
                },
            });
        }
    }
}

/// True when `principal` is the account or one of its groups.
fn held_by(i: &RoleInstance, a: &Resolved, groups: &HashSet<String>) -> bool {
    let p = i.principal_id.to_lowercase();
    i.role_definition_id
        .eq_ignore_ascii_case(GLOBAL_ADMINISTRATOR)
        && i.directory_scope_id.as_deref().is_none_or(|s| s == "/")
        && (p == a.id || groups.contains(&p))
}

fn assign_ga_fix(a: &Resolved) -> Fix {
    Fix {
        portal: format!(
            "Microsoft Entra admin center > Identity governance > Privileged Identity Management > Microsoft Entra roles > Roles > Global Administrator > Add assignments > {} > Assignment type: Active, Permanently assigned",
            a.upn
        ),
        powershell: format!(
            "New-MgRoleManagementDirectoryRoleAssignmentScheduleRequest -Action 'adminAssign' -PrincipalId {} -RoleDefinitionId '{GLOBAL_ADMINISTRATOR}' -DirectoryScopeId '/' -Justification 'Emergency access account' -ScheduleInfo @{{ StartDateTime = (Get-Date).ToUniversalTime(); Expiration = @{{ Type = 'noExpiration' }} }}",
            ps_quote(&a.id)
        ),
    }
}

fn rule2_roles(
    export: &Export,
    inputs: &Inputs,
    groups: &HashMap<String, HashSet<String>>,
    r: &mut AuditReport,
) {
    let empty = HashSet::new();
    for a in &inputs.accounts {
        let g = groups.get(&a.id).unwrap_or(&empty);
        let active: Vec<&RoleInstance> = export
            .role_assignments
            .iter()
            .filter(|i| held_by(i, a, g))
            .collect();
        if active.iter().any(|i| i.end_date_time.is_none()) {
            continue;
        }
        let eligible: Vec<&RoleInstance> = export
            .role_eligibilities
            .iter()
            .filter(|i| held_by(i, a, g))
            .collect();
        let ev = |kind, i: &RoleInstance| Evidence {
            kind,
            id: i.id.clone(),
            name: format!(
                "Global Administrator for {}{}",
                i.principal_id,
                i.end_date_time
                    .as_deref()
                    .map(|e| format!(", ends {e}"))
                    .unwrap_or_default()
            ),
        };
        let (code, what, why) = if let Some(first) = active.first() {
            (
                "ga-expiring",
                format!(
                    "{} holds Global Administrator only until {} (an active assignment with an end date{})",
                    a.upn,
                    first.end_date_time.as_deref().unwrap_or_default(),
                    if first.assignment_type.as_deref() == Some("Activated") {
                        ": a PIM activation"
                    } else {
                        ""
                    }
                ),
                "an assignment that ends leaves the emergency account without the role on the day it is needed",
            )
        } else if !eligible.is_empty() {
            (
                "ga-eligible-only",
                format!(
                    "{} is only eligible for Global Administrator through PIM, not assigned it",
                    a.upn
                ),
                "activating an eligible role needs PIM, MFA and often an approver, which is what fails in an emergency; Microsoft requires an active, permanent assignment",
            )
        } else {
            (
                "ga-missing",
                format!(
                    "{} holds no Global Administrator assignment (none in role-assignments.json or role-eligibilities.json)",
                    a.upn
                ),
                "an emergency account without Global Administrator cannot repair the tenant",
            )
        };
        let mut evidence = vec![user_evidence(a)];
        evidence.extend(active.iter().map(|i| ev("role-assignment", i)));
        evidence.extend(eligible.iter().map(|i| ev("role-eligibility", i)));
        r.findings.push(Finding {
            rule: 2,
            code,
            severity: Severity::High,
            account: Some(a.upn.clone()),
            what,
            evidence,
            why,
            fix: assign_ga_fix(a),
        });
    }
}

fn contains_id(list: &[String], id: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(id))
}

fn policy_name(p: &Policy) -> String {
    p.display_name.clone().unwrap_or_default()
}

fn rule3_policies(
    export: &Export,
    inputs: &Inputs,
    groups: &HashMap<String, HashSet<String>>,
    r: &mut AuditReport,
) {
    let empty = HashSet::new();
    for p in &export.policies {
        let state = p.state.as_deref().unwrap_or("enabled");
        let cond = p.conditions.clone().unwrap_or_default();
        let reason = if state.eq_ignore_ascii_case("disabled") {
            Some("disabled")
        } else if cond
            .client_applications
            .as_ref()
            .is_some_and(|c| !c.include_service_principals.is_empty())
        {
            Some("scoped to service principals (workload identities)")
        } else if cond
            .applications
            .as_ref()
            .is_some_and(|a| !a.include_authentication_context_class_references.is_empty())
        {
            Some("scoped to an authentication context")
        } else {
            None
        };
        if let Some(reason) = reason {
            r.not_applicable.push(NotApplicable {
                id: p.id.clone(),
                display_name: policy_name(p),
                reason,
            });
            continue;
        }
        r.policies_checked += 1;
        let report_only = state.eq_ignore_ascii_case("enabledForReportingButNotEnforced");
        let users = cond.users.unwrap_or_default();
        for a in &inputs.accounts {
            let g = groups.get(&a.id).unwrap_or(&empty);
            let through = if contains_id(&users.include_users, "All") {
                Some("All users".to_string())
            } else if contains_id(&users.include_users, &a.id) {
                Some("the account itself".to_string())
            } else if contains_id(&users.include_roles, GLOBAL_ADMINISTRATOR) {
                Some("the Global Administrator role".to_string())
            } else {
                users
                    .include_groups
                    .iter()
                    .find(|x| g.contains(&x.to_lowercase()))
                    .map(|x| format!("group {x}, which it is in"))
            };
            let Some(through) = through else { continue };
            let excluded = contains_id(&users.exclude_users, &a.id)
                || users
                    .exclude_groups
                    .iter()
                    .any(|x| g.contains(&x.to_lowercase()))
                || contains_id(&users.exclude_roles, GLOBAL_ADMINISTRATOR);
            if excluded {
                continue;
            }
            let (add, ps) = match &inputs.group {
                Some(grp) => (
                    format!(
                        "Exclude > Users and groups: add the exclusion group {}",
                        grp.id
                    ),
                    format!(
                        "$p = Get-MgIdentityConditionalAccessPolicy -ConditionalAccessPolicyId {pid}; $u = $p.Conditions.Users; Update-MgIdentityConditionalAccessPolicy -ConditionalAccessPolicyId {pid} -Conditions @{{ Users = @{{ IncludeUsers = $u.IncludeUsers; ExcludeUsers = $u.ExcludeUsers; IncludeGroups = $u.IncludeGroups; ExcludeGroups = @($u.ExcludeGroups) + {gid}; IncludeRoles = $u.IncludeRoles; ExcludeRoles = $u.ExcludeRoles }} }}",
                        pid = ps_quote(&p.id),
                        gid = ps_quote(&grp.id)
                    ),
                ),
                None => (
                    format!("Exclude > Users and groups: add {}", a.upn),
                    format!(
                        "$p = Get-MgIdentityConditionalAccessPolicy -ConditionalAccessPolicyId {pid}; $u = $p.Conditions.Users; Update-MgIdentityConditionalAccessPolicy -ConditionalAccessPolicyId {pid} -Conditions @{{ Users = @{{ IncludeUsers = $u.IncludeUsers; ExcludeUsers = @($u.ExcludeUsers) + {uid}; IncludeGroups = $u.IncludeGroups; ExcludeGroups = $u.ExcludeGroups; IncludeRoles = $u.IncludeRoles; ExcludeRoles = $u.ExcludeRoles }} }}",
                        pid = ps_quote(&p.id),
                        uid = ps_quote(&a.id)
                    ),
                ),
            };
            r.findings.push(Finding {
                rule: 3,
                code: "ca-not-excluded",
                severity: if report_only { Severity::Medium } else { Severity::High },
                account: Some(a.upn.clone()),
                what: format!(
                    "{} policy \"{}\" ({}) applies to {} through {through} and does not exclude it",
                    if report_only { "report-only" } else { "enabled" },
                    policy_name(p),
                    p.id,
                    a.upn
                ),
                evidence: vec![
                    Evidence { kind: "policy", id: p.id.clone(), name: policy_name(p) },
                    user_evidence(a),
                ],
                why: if report_only {
                    "a report-only policy is one click from enforced: once turned on it can lock the emergency account out like every other admin"
                } else {
                    "a policy that applies to the emergency account can lock it out (a broken MFA method, a device or location rule), which is the failure the account exists to survive"
                },
                fix: Fix {
                    portal: format!(
                        "Microsoft Entra admin center > Protection > Conditional Access > Policies > {} > Users > {add}",
                        policy_name(p)
                    ),
                    powershell: ps,
                },
            });
        }
    }
}

fn group_portal(name: &str) -> String {
    format!("Microsoft Entra admin center > Identity > Groups > All groups > {name} > Members")
}

fn rule4_group(export: &Export, inputs: &Inputs, r: &mut AuditReport) {
    let Some(chosen) = &inputs.group else {
        r.skipped.push(Skipped {
            rule: 4,
            reason: "no exclusion group: no policy excludes a group and none was named".into(),
            missing: Some(AuditInput::ExclusionGroup),
        });
        return;
    };
    let group = export.exclusion_group.clone().unwrap_or_default();
    let gname = group
        .display_name
        .clone()
        .unwrap_or_else(|| chosen.id.clone());
    let gev = Evidence {
        kind: "group",
        id: chosen.id.clone(),
        name: gname.clone(),
    };
    let accounts: HashSet<&str> = inputs.accounts.iter().map(|a| a.id.as_str()).collect();
    let mut in_group = HashSet::new();
    for m in &export.exclusion_group_members {
        let id = m.id.to_lowercase();
        if accounts.contains(id.as_str()) {
            in_group.insert(id);
            continue;
        }
        let name = m
            .user_principal_name
            .clone()
            .or_else(|| m.display_name.clone())
            .unwrap_or_default();
        let kind = m
            .odata_type
            .as_deref()
            .unwrap_or("#microsoft.graph.directoryObject")
            .trim_start_matches("#microsoft.graph.");
        r.findings.push(Finding {
            rule: 4,
            code: "exclusion-group-extra-member",
            severity: Severity::High,
            account: None,
            what: format!("the exclusion group \"{gname}\" ({}) holds {kind} {name} ({}), which is not an emergency account", chosen.id, m.id),
            evidence: vec![gev.clone(), Evidence { kind: "member", id: m.id.clone(), name }],
            why: "every member of the exclusion group escapes every Conditional Access policy that excludes it: a way around MFA and every other control",
            fix: Fix {
                portal: format!("{} > select the member > Remove", group_portal(&gname)),
                powershell: format!("Remove-MgGroupMemberDirectoryObjectByRef -GroupId {} -DirectoryObjectId {}", ps_quote(&chosen.id), ps_quote(&m.id)),
            },
        });
    }
    for a in &inputs.accounts {
        if in_group.contains(&a.id) {
            continue;
        }
        r.findings.push(Finding {
            rule: 4,
            code: "exclusion-group-missing-account",
            severity: Severity::Medium,
            account: Some(a.upn.clone()),
            what: format!("{} ({}) is not a member of the exclusion group \"{gname}\" ({})", a.upn, a.id, chosen.id),
            evidence: vec![gev.clone(), user_evidence(a)],
            why: "an emergency account outside the exclusion group is caught by every policy that excludes only the group",
            fix: Fix {
                portal: format!("{} > Add members > {}", group_portal(&gname), a.upn),
                powershell: format!("New-MgGroupMember -GroupId {} -DirectoryObjectId {}", ps_quote(&chosen.id), ps_quote(&a.id)),
            },
        });
    }
    if group.is_assignable_to_role != Some(true) {
        r.findings.push(Finding {
            rule: 4,
            code: "exclusion-group-not-role-assignable",
            severity: Severity::Medium,
            account: None,
            what: format!("the exclusion group \"{gname}\" ({}) is not role-assignable (isAssignableToRole is not true)", chosen.id),
            evidence: vec![gev.clone()],
            why: "anyone who may manage groups (Groups Administrator, User Administrator, an owner) can add themselves to it and escape every policy; only privileged role admins can change a role-assignable group",
            fix: Fix {
                portal: "Microsoft Entra admin center > Identity > Groups > All groups > New group > Security, Microsoft Entra roles can be assigned to the group: Yes; add the emergency accounts, put it in every policy's exclusions, then delete the old group".into(),
                powershell: "New-MgGroup -DisplayName 'Emergency access exclusion' -MailEnabled:$false -MailNickname 'emergency-access-exclusion' -SecurityEnabled -IsAssignableToRole".into(),
            },
        });
    }
}

fn rule5_passwords(export: &Export, inputs: &Inputs, r: &mut AuditReport) {
    for a in &inputs.accounts {
        let Some(u) = user_of(export, a) else {
            continue;
        };
        let set = u.password_policies.as_deref().unwrap_or_default();
        if set
            .split(',')
            .any(|p| p.trim().eq_ignore_ascii_case("DisablePasswordExpiration"))
        {
            continue;
        }
        r.findings.push(Finding {
            rule: 5,
            code: "password-expires",
            severity: Severity::Medium,
            account: Some(a.upn.clone()),
            what: format!("{} ({}) does not have DisablePasswordExpiration (passwordPolicies: {})", a.upn, a.id, if set.is_empty() { "none" } else { set }),
            evidence: vec![user_evidence(a)],
            why: "its password then follows the tenant's expiry (90 days in tenants created before 2021): the vault's password stops working, unnoticed, until the emergency",
            fix: Fix {
                portal: "no portal setting: use the PowerShell line (Microsoft Graph PowerShell, User.ReadWrite.All)".into(),
                powershell: format!("Update-MgUser -UserId {} -PasswordPolicies 'DisablePasswordExpiration'", ps_quote(&a.id)),
            },
        });
    }
}

/// Methods that pass multifactor authentication by themselves or as the second factor.
const MFA_KINDS: &[&str] = &[
    "fido2AuthenticationMethod",
    "x509CertificateAuthenticationMethod",
    "windowsHelloForBusinessAuthenticationMethod",
    "platformCredentialAuthenticationMethod",
    "softwareOathAuthenticationMethod",
    "hardwareOathAuthenticationMethod",
    "microsoftAuthenticatorAuthenticationMethod",
    "phoneAuthenticationMethod",
];

fn rule6_methods(export: &Export, inputs: &Inputs, r: &mut AuditReport) {
    for a in &inputs.accounts {
        let methods = export
            .methods
            .get(&a.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let methods_portal = format!("{USERS_PORTAL} > {} > Authentication methods", a.upn);
        let fido2: Vec<&AuthMethod> = methods
            .iter()
            .filter(|m| m.kind() == "fido2AuthenticationMethod")
            .collect();
        for k in &a.fido2 {
            if fido2.iter().any(|m| k.matches(m)) {
                continue;
            }
            let registered: Vec<String> = fido2
                .iter()
                .map(|m| m.display_name.clone().unwrap_or_default())
                .collect();
            r.findings.push(Finding {
                rule: 6,
                code: "fido2-key-missing",
                severity: Severity::High,
                account: Some(a.upn.clone()),
                what: format!(
                    "the vault's FIDO2 key \"{}\"{} is not registered on {} (registered keys: {})",
                    k.label,
                    if k.serial.is_empty() { String::new() } else { format!(" (serial {})", k.serial) },
                    a.upn,
                    if registered.is_empty() { "none".into() } else { registered.join(", ") }
                ),
                evidence: vec![user_evidence(a), Evidence { kind: "fido2-key", id: k.serial.clone(), name: k.label.clone() }],
                why: "a PIN in the safe for a key the account does not know signs no one in: the passkey is the account's phishing-resistant MFA",
                fix: Fix {
                    portal: format!("sign in as {} at https://mysignins.microsoft.com/security-info > Add sign-in method > Passkey, and name it \"{}\"; then check {methods_portal}", a.upn, k.label),
                    powershell: format!("Get-MgUserAuthenticationFido2Method -UserId {} | Format-Table Id, DisplayName, Model, AaGuid", ps_quote(&a.id)),
                },
            });
        }
        for m in methods {
            let (remove, label) = match m.kind() {
                "phoneAuthenticationMethod" => (
                    "Remove-MgUserAuthenticationPhoneMethod -UserId {u} -PhoneAuthenticationMethodId {m}",
                    format!("phone ({})", m.phone_type.as_deref().unwrap_or("phone")),
                ),
                "microsoftAuthenticatorAuthenticationMethod" => (
                    "Remove-MgUserAuthenticationMicrosoftAuthenticatorMethod -UserId {u} -MicrosoftAuthenticatorAuthenticationMethodId {m}",
                    format!(
                        "Microsoft Authenticator on {}",
                        m.display_name.as_deref().unwrap_or("a device")
                    ),
                ),
                "emailAuthenticationMethod" => (
                    "Remove-MgUserAuthenticationEmailMethod -UserId {u} -EmailAuthenticationMethodId {m}",
                    "email address".to_string(),
                ),
                _ => continue,
            };
            r.findings.push(Finding {
                rule: 6,
                code: "personal-method",
                severity: Severity::Medium,
                account: Some(a.upn.clone()),
                what: format!("{} has a method tied to a person: {label} ({})", a.upn, m.id),
                evidence: vec![user_evidence(a), Evidence { kind: "method", id: m.id.clone(), name: m.kind().to_string() }],
                why: "an emergency account must not depend on one person's phone or mailbox (they leave, lose it, or can sign in alone); it uses the keys in the safes",
                fix: Fix {
                    portal: format!("{methods_portal} > the method's menu > Delete"),
                    powershell: remove.replace("{u}", &ps_quote(&a.id)).replace("{m}", &ps_quote(&m.id)),
                },
            });
        }
        if !methods.iter().any(|m| MFA_KINDS.contains(&m.kind())) {
            r.findings.push(Finding {
                rule: 6,
                code: "no-mfa-method",
                severity: Severity::High,
                account: Some(a.upn.clone()),
                what: format!(
                    "{} has no method that passes MFA (registered: {})",
                    a.upn,
                    if methods.is_empty() { "none".into() } else { methods.iter().map(|m| m.kind().trim_end_matches("AuthenticationMethod").to_string()).collect::<Vec<_>>().join(", ") }
                ),
                evidence: vec![user_evidence(a)],
                why: "the Azure portal, Entra and Intune admin centers, and since October 2025 the CLIs, require MFA of every account, emergency ones included: a password alone no longer gets in",
                fix: Fix {
                    portal: format!("sign in as {} at https://mysignins.microsoft.com/security-info > Add sign-in method > Passkey (a FIDO2 key kept in the safe), then check {methods_portal}", a.upn),
                    powershell: format!("Get-MgUserAuthenticationMethod -UserId {} | Format-Table Id, @{{ n = 'Kind'; e = {{ $_.AdditionalProperties['@odata.type'] }} }}", ps_quote(&a.id)),
                },
            });
        }
    }
}

fn rule7_sign_ins(export: &Export, inputs: &Inputs, r: &mut AuditReport) {
    let Some(log) = &inputs.log else {
        r.skipped.push(Skipped {
            rule: 7,
            reason: "no drill log given".into(),
            missing: Some(AuditInput::DrillLog),
        });
        return;
    };
    let opened: Vec<&LogEvent> = log.iter().filter(|e| e.opened).collect();
    let interval = log
        .iter()
        .rev()
        .map(|e| e.drill_interval_days)
        .find(|d| *d != 0)
        .unwrap_or(90);
    let now = i64::try_from(inputs.now).unwrap_or(i64::MAX);
    for a in &inputs.accounts {
        let Some(u) = user_of(export, a) else {
            continue;
        };
        let Some(act) = &u.sign_in_activity else {
            r.skipped.push(Skipped {
                rule: 7,
                reason: format!("{}: users.json has no signInActivity (it needs AuditLog.Read.All and Entra ID P1)", a.upn),
                missing: None,
            });
            continue;
        };
        let last = [
            &act.last_successful_sign_in_date_time,
            &act.last_sign_in_date_time,
            &act.last_non_interactive_sign_in_date_time,
        ]
        .into_iter()
        .flatten()
        .filter_map(|t| parse_timestamp(t).map(|u| (u, t.clone())))
        .max_by_key(|(u, _)| *u);
        let signin_portal = format!(
            "Microsoft Entra admin center > Identity > Monitoring & health > Sign-in logs > filter User: {}",
            a.upn
        );
        let signin_ps = format!(
            "Get-MgAuditLogSignIn -Filter (\"userId eq '{{0}}'\" -f {}) -Top 20 | Format-Table CreatedDateTime, IPAddress, AppDisplayName, Status",
            ps_quote(&a.id)
        );
        match &last {
            Some((t, text)) => {
                let explained = opened.iter().any(|e| {
                    let o = i64::try_from(e.unix).unwrap_or(i64::MAX);
                    *t >= o - SIGN_IN_BEFORE_OPENING_SECONDS && *t <= o + SIGN_IN_AFTER_OPENING_SECONDS
                });
                if !explained {
                    r.findings.push(Finding {
                        rule: 7,
                        code: "sign-in-unexplained",
                        severity: Severity::High,
                        account: Some(a.upn.clone()),
                        what: format!("{} signed in at {text}, and no drill or emergency in the log opened the vault within two days before", a.upn),
                        evidence: vec![user_evidence(a), Evidence { kind: "sign-in", id: String::new(), name: text.clone() }],
                        why: "a sign-in no opening of the vault explains means someone holds the credentials outside the safes: treat it as misuse until a review says otherwise",
                        fix: Fix {
                            portal: format!("{signin_portal}; then record the review (breakglass drill --purpose) and rotate the credentials (breakglass rotate)"),
                            powershell: signin_ps.clone(),
                        },
                    });
                }
                if *t + i64::from(interval) * 86_400 < now {
                    r.findings.push(Finding {
                        rule: 7,
                        code: "sign-in-drill-skipped",
                        severity: Severity::Medium,
                        account: Some(a.upn.clone()),
                        what: format!("{} last signed in at {text}, more than the {interval}-day drill interval ago", a.upn),
                        evidence: vec![user_evidence(a), Evidence { kind: "sign-in", id: String::new(), name: text.clone() }],
                        why: "a drill that opens the vault but never signs in proves the paper, not that the account still works or that the alert fires",
                        fix: Fix {
                            portal: format!("at the next drill, recover the credentials and sign in as {} at https://entra.microsoft.com; confirm the alert fired", a.upn),
                            powershell: signin_ps,
                        },
                    });
                }
            }
            None => r.findings.push(Finding {
                rule: 7,
                code: "sign-in-drill-skipped",
                severity: Severity::Medium,
                account: Some(a.upn.clone()),
                what: format!("{} has never signed in (signInActivity holds no date)", a.upn),
                evidence: vec![user_evidence(a)],
                why: "a drill that opens the vault but never signs in proves the paper, not that the account still works or that the alert fires",
                fix: Fix {
                    portal: format!("at the next drill, recover the credentials and sign in as {} at https://entra.microsoft.com; confirm the alert fired", a.upn),
                    powershell: signin_ps,
                },
            }),
        }
    }
}

/// The value of an ARM field, with `[parameters('x')]` resolved to the parameter's default.
fn resolve<'a>(doc: &'a ArmDocument, v: Option<&'a ArmValue>) -> Option<&'a ArmValue> {
    match v? {
        ArmValue::Text(s) if s.starts_with("[parameters('") && s.ends_with("')]") => {
            let name = &s["[parameters('".len()..s.len() - "')]".len()];
            doc.parameters.as_ref()?.get(name)?.default_value.as_ref()
        }
        other => Some(other),
    }
}

fn rule_resources(doc: &ArmDocument) -> Vec<&ArmResource> {
    doc.resources
        .iter()
        .flatten()
        .chain(doc.value.iter().flatten())
        .chain(doc.itself.iter())
        .filter(|r| {
            r.kind_type
                .as_deref()
                .is_some_and(|t| is_sentinel_rule(t) || is_azure_monitor_rule(t))
        })
        .collect()
}

/// True when the ARM document holds at least one alert rule rule 8 can read.
pub fn has_alert_rule(doc: &ArmDocument) -> bool {
    !rule_resources(doc).is_empty()
}

fn rule8_alert(export: &Export, inputs: &Inputs, r: &mut AuditReport) {
    let Some(doc) = &export.alert_rule else {
        r.skipped.push(Skipped {
            rule: 8,
            reason: "no alert-rule.json in the export".into(),
            missing: None,
        });
        return;
    };
    for res in rule_resources(doc) {
        let t = res.kind_type.as_deref().unwrap_or_default();
        let sentinel = is_sentinel_rule(t);
        let props = res.properties.clone().unwrap_or_default();
        let name = props
            .display_name
            .clone()
            .or_else(|| res.name.clone())
            .unwrap_or_default();
        let ev = Evidence {
            kind: "alert-rule",
            id: res
                .id
                .clone()
                .or_else(|| res.name.clone())
                .unwrap_or_default(),
            name: name.clone(),
        };
        let portal = if sentinel {
            format!("Microsoft Sentinel > Configuration > Analytics > {name}")
        } else {
            format!("Azure portal > Monitor > Alerts > Alert rules > {name}")
        };
        let redeploy = if sentinel {
            "breakglass monitoring --plan plan.toml --format sentinel-arm > rule.json; New-AzResourceGroupDeployment -ResourceGroupName 'RG' -TemplateFile rule.json -workspaceName 'WORKSPACE'"
        } else {
            "breakglass monitoring --plan plan.toml --format azure-monitor-arm > rule.json; New-AzResourceGroupDeployment -ResourceGroupName 'RG' -TemplateFile rule.json -workspaceName 'WORKSPACE' -actionGroupIds @('ACTION GROUP ID')"
        };
        let enabled = matches!(
            resolve(doc, props.enabled.as_ref()),
            Some(ArmValue::Bool(true))
        );
        if !enabled {
            r.findings.push(Finding {
                rule: 8,
                code: "alert-rule-disabled",
                severity: Severity::High,
                account: None,
                what: format!("the alert rule \"{name}\" is not enabled"),
                evidence: vec![ev.clone()],
                why: "a disabled rule raises no alert: a misuse of an emergency account goes unseen",
                fix: Fix { portal: format!("{portal} > Enable"), powershell: redeploy.into() },
            });
        }
        let queries: Vec<String> = if sentinel {
            resolve(doc, props.query.as_ref())
                .into_iter()
                .filter_map(text_of)
                .collect()
        } else {
            props
                .criteria
                .iter()
                .flat_map(|c| c.all_of.iter())
                .filter_map(|c| resolve(doc, c.query.as_ref()).and_then(text_of))
                .collect()
        };
        let query = queries.join("\n").to_lowercase();
        for a in &inputs.accounts {
            let mut missing = Vec::new();
            if !query.contains(&a.id) {
                missing.push(format!("object id {}", a.id));
            }
            if !query.contains(&a.upn.to_lowercase()) {
                missing.push(format!("UPN {}", a.upn));
            }
            if missing.is_empty() {
                continue;
            }
            r.findings.push(Finding {
                rule: 8,
                code: "alert-rule-misses-account",
                severity: Severity::High,
                account: Some(a.upn.clone()),
                what: format!("the alert rule \"{name}\"'s query does not name {} by {}", a.upn, missing.join(" or ")),
                evidence: vec![ev.clone(), user_evidence(a)],
                why: "a query that names an account by UPN only misses it once renamed, and one that leaves it out misses every sign-in of it",
                fix: Fix { portal: format!("{portal} > Edit > Set rule logic: use the query of `breakglass monitoring`"), powershell: redeploy.into() },
            });
        }
        let notifies = if sentinel {
            matches!(
                resolve(
                    doc,
                    props
                        .incident_configuration
                        .as_ref()
                        .and_then(|i| i.create_incident.as_ref())
                ),
                Some(ArmValue::Bool(true))
            )
        } else {
            match resolve(
                doc,
                props
                    .actions
                    .as_ref()
                    .and_then(|a| a.action_groups.as_ref()),
            ) {
                Some(ArmValue::List(l)) => !l.is_empty(),
                Some(ArmValue::Text(s)) => !s.is_empty(),
                _ => false,
            }
        };
        if !notifies {
            r.findings.push(Finding {
                rule: 8,
                code: "alert-rule-notifies-nobody",
                severity: Severity::High,
                account: None,
                what: format!(
                    "the alert rule \"{name}\" {}",
                    if sentinel { "creates no incident (incidentConfiguration.createIncident is not true)" } else { "has no action group (actions.actionGroups is empty)" }
                ),
                evidence: vec![ev.clone()],
                why: "an alert that reaches no one is no alert: Microsoft asks for an action group that emails, texts and calls people",
                fix: Fix {
                    portal: if sentinel { format!("{portal} > Edit > Incident settings > Create incidents: Enabled; and an automation rule that notifies the team") } else { format!("{portal} > Edit > Actions > Select action groups") },
                    powershell: redeploy.into(),
                },
            });
        }
    }
}

fn text_of(v: &ArmValue) -> Option<String> {
    match v {
        ArmValue::Text(s) => Some(s.clone()),
        ArmValue::List(l) => Some(l.join("\n")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::graph::{Conditions, SignInActivity, UsersCondition};

    const ID: &str = "11111111-1111-1111-1111-111111111111";

    fn account() -> Resolved {
        Resolved {
            id: ID.into(),
            upn: "bg1@contoso.onmicrosoft.com".into(),
            display_name: String::new(),
            fido2: Vec::new(),
        }
    }

    fn codes(r: &AuditReport) -> Vec<&'static str> {
        r.findings.iter().map(|f| f.code).collect()
    }

    fn policy(users: UsersCondition) -> Policy {
        Policy {
            id: "p1".into(),
            display_name: Some("P".into()),
            state: Some("enabled".into()),
            conditions: Some(Conditions {
                users: Some(users),
                ..Conditions::default()
            }),
        }
    }

    #[test]
    fn powershell_strings_cannot_be_ended_by_a_value() {
        assert_eq!(ps_quote("plain"), "'plain'");
        assert_eq!(ps_quote("a'b\u{2019}c\n$x"), "'a''b\u{2019}\u{2019}c$x'");
    }

    #[test]
    fn vault_fido2_labels_split_back_into_label_serial_and_account() {
        let (k, upn) = ExpectedKey::from_vault_label(
            "YubiKey 5 NFC #12345678 (Safe A (HQ)) for bg1@contoso.onmicrosoft.com",
        );
        assert_eq!(k.label, "YubiKey 5 NFC");
        assert_eq!(k.serial, "12345678");
        assert_eq!(upn.as_deref(), Some("bg1@contoso.onmicrosoft.com"));
        let (k, upn) = ExpectedKey::from_vault_label("Spare key (Safe B)");
        assert_eq!(
            (k.label.as_str(), k.serial.as_str(), upn),
            ("Spare key", "", None)
        );
    }

    #[test]
    fn the_most_excluded_group_wins_and_ties_go_to_the_smallest_id() {
        let excl = |g: &[&str]| {
            policy(UsersCondition {
                exclude_groups: g.iter().map(|s| s.to_string()).collect(),
                ..UsersCondition::default()
            })
        };
        let ps = [excl(&["B", "A"]), excl(&["b"]), excl(&["a", "c"])];
        let g = most_excluded_group(&ps).unwrap();
        assert_eq!((g.id.as_str(), g.excluded_by_policies), ("a", 2));
        assert_eq!(most_excluded_group(&[excl(&[])]), None);
    }

    fn judge(users: UsersCondition) -> Vec<&'static str> {
        let export = Export {
            policies: vec![policy(users)],
            ..Export::default()
        };
        let inputs = Inputs {
            accounts: vec![account()],
            ..Inputs::default()
        };
        let mut r = AuditReport::default();
        rule3_policies(&export, &inputs, &account_groups(&export, &inputs), &mut r);
        codes(&r)
    }

    #[test]
    fn rule_3_scopes() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let all = UsersCondition {
            include_users: s(&["All"]),
            ..UsersCondition::default()
        };
        assert_eq!(judge(all.clone()), ["ca-not-excluded"]);
        // Excluded by id (any case), or by excluding the role it holds.
        let by_id = UsersCondition {
            exclude_users: s(&[&ID.to_uppercase()]),
            ..all.clone()
        };
        assert!(judge(by_id).is_empty());
        let by_role = UsersCondition {
            exclude_roles: s(&[GLOBAL_ADMINISTRATOR]),
            ..all.clone()
        };
        assert!(judge(by_role).is_empty());
        // Guests only, or nobody: not the account.
        for scope in ["GuestsOrExternalUsers", "None"] {
            let other = UsersCondition {
                include_users: s(&[scope]),
                ..UsersCondition::default()
            };
            assert!(judge(other).is_empty(), "{scope}");
        }
    }

    fn sign_in_at(t: &str, log: Vec<LogEvent>, now: u64) -> Vec<&'static str> {
        let export = Export {
            users: vec![User {
                id: ID.into(),
                sign_in_activity: Some(SignInActivity {
                    last_sign_in_date_time: Some(t.into()),
                    ..SignInActivity::default()
                }),
                ..User::default()
            }],
            ..Export::default()
        };
        let inputs = Inputs {
            accounts: vec![account()],
            log: Some(log),
            now,
            ..Inputs::default()
        };
        let mut r = AuditReport::default();
        rule7_sign_ins(&export, &inputs, &mut r);
        codes(&r)
    }

    #[test]
    fn rule_7_windows() {
        // 2026-01-10T10:00:00Z.
        let t0 = 1_768_039_200u64;
        let drill = |unix, opened| LogEvent {
            unix,
            purpose: "drill".into(),
            opened,
            drill_interval_days: 90,
        };
        let day = 86_400;
        let sign_in = "2026-01-10T10:00:00Z";
        // Explained: from an hour before to two days after an opening.
        assert!(sign_in_at(sign_in, vec![drill(t0 + 3_600, true)], t0 + day).is_empty());
        assert!(sign_in_at(sign_in, vec![drill(t0 - 2 * day, true)], t0 + day).is_empty());
        assert_eq!(
            sign_in_at(sign_in, vec![drill(t0 + 3_601, true)], t0 + day),
            ["sign-in-unexplained"]
        );
        assert_eq!(
            sign_in_at(sign_in, vec![drill(t0 - 2 * day - 1, true)], t0 + day),
            ["sign-in-unexplained"]
        );
        // A failed drill explains nothing.
        assert_eq!(
            sign_in_at(sign_in, vec![drill(t0, false)], t0 + day),
            ["sign-in-unexplained"]
        );
        // Older than the drill interval: the sign-in part of the drills was skipped.
        assert_eq!(
            sign_in_at(sign_in, vec![drill(t0, true)], t0 + 91 * day),
            ["sign-in-drill-skipped"]
        );
    }
}
