//! `breakglass tenant export-script` and `breakglass tenant setup-script`: the scripts an admin
//! reviews and runs once on an online workstation, printed as text.
//!
//! The builders are pure functions from validated values to a `String`; only `run_export` and
//! `run_setup` read a plan and print. Every value that comes from a plan or an option enters a
//! script in one block of variable assignments at its top, and only as a single-quoted literal
//! ([`ps_quote`], [`sh_quote`]): the code below that block is constant text, so a hostile display
//! name can change a value but never the code. Nothing here talks to a tenant.
//!
//! Graph resources (Microsoft Graph v1.0, Microsoft Learn): conditionalAccessPolicy, user,
//! group, unifiedRoleAssignmentScheduleInstance / …Request, unifiedRoleEligibilityScheduleInstance,
//! authentication methods. The export folder's layout is FORMAT.md's "tenant export folder".

use crate::plumbing::{CliResult, Failure, files, visible};
use breakglass_core::entra::GLOBAL_ADMINISTRATOR_ROLE_ID;
use breakglass_core::entra::is_guid;
use breakglass_core::plan::Plan;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The `$select` of `users.json` (FORMAT.md, tenant export folder).
pub const USERS_SELECT: &str = "id,userPrincipalName,displayName,accountEnabled,onPremisesSyncEnabled,passwordPolicies,signInActivity";

/// The delegated Microsoft Graph permissions the export needs: each the least privileged read
/// permission for its requests.
pub const EXPORT_PERMISSIONS: [&str; 5] = [
    "Policy.Read.All",
    "Directory.Read.All",
    "RoleManagement.Read.Directory",
    "UserAuthenticationMethod.Read.All",
    "AuditLog.Read.All",
];

/// The characters PowerShell takes as a single quote: `'` and U+2018, U+2019, U+201A, U+201B.
pub fn is_ps_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

/// A PowerShell single-quoted string literal holding exactly `s`. Inside single quotes
/// PowerShell expands nothing (no `$`, no backtick escapes); a quote character is written twice,
/// and PowerShell takes every one of [`is_ps_single_quote`]'s characters as a quote, so each is
/// doubled (the tokenizer keeps the second of a pair: `’’` reads as `’`).
pub fn ps_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if is_ps_single_quote(c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A POSIX shell single-quoted word holding exactly `s`: `'` ends the quote, so it is written
/// as `'\''` (close, an escaped quote, reopen). Nothing else is special inside single quotes.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Which script sections `export-script` prints.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shell {
    /// Microsoft Graph PowerShell (Invoke-MgGraphRequest).
    Powershell,
    /// Azure CLI (`az rest`) in a POSIX shell, with jq.
    Az,
    /// Both sections, PowerShell first.
    #[default]
    Both,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    targets: crate::plumbing::args::AccountTargets,
    /// Which script to print: powershell, az, or both sections.
    #[arg(long, value_enum, default_value_t)]
    shell: Shell,
}

#[derive(clap::Args, Debug)]
pub struct SetupArgs {
    /// The ceremony plan whose accounts (and `exclusion_group`) the script sets up.
    #[arg(long, value_name = "PLAN.toml")]
    plan: PathBuf,
}

/// The accounts and group an export covers, validated.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ExportTarget {
    /// Accounts known by UPN only: the script looks their object ids up.
    pub upns: Vec<String>,
    /// Object ids of the accounts.
    pub object_ids: Vec<String>,
    /// The exclusion group, when known.
    pub group: Option<String>,
}

/// One account the setup script creates or checks.
#[derive(Debug, PartialEq, Eq)]
pub struct SetupAccount {
    pub upn: String,
    pub display_name: String,
    pub mail_nickname: String,
}

/// What the setup script works on, validated.
#[derive(Debug, PartialEq, Eq)]
pub struct SetupTarget {
    pub domain: String,
    pub accounts: Vec<SetupAccount>,
    pub group: Option<String>,
}

/// The display name the setup script gives a new exclusion group (and looks for).
pub const EXCLUSION_GROUP_NAME: &str =
    "breakglass: emergency access accounts (Conditional Access exclusion)";

fn ps_list(values: &[String]) -> String {
    if values.is_empty() {
        return "@()".into();
    }
    let items: Vec<String> = values.iter().map(|v| ps_quote(v)).collect();
    format!("@({})", items.join(", "))
}

fn ps_opt(value: Option<&str>) -> String {
    value.map_or_else(|| "$null".into(), ps_quote)
}

/// The comment every script opens with: what it is, that it is for review.
fn ps_banner(out: &mut String, what: &str) {
    let _ = writeln!(out, "# {what}");
    let _ = writeln!(
        out,
        "# Written by breakglass {}; review every line before running it.",
        env!("CARGO_PKG_VERSION")
    );
}

const READ_ONLY_NOTE: &str = "Read-only: every request below is a GET; nothing is written to the tenant, only files into the folder.";

fn permissions_note() -> String {
    format!(
        "Delegated Microsoft Graph permissions (least privileged, all read): {}.\n\
         # AuditLog.Read.All is for sign-in activity (needs Microsoft Entra ID P1). The signed-in\n\
         # account needs a role that can read all of it: Global Reader is enough.",
        EXPORT_PERMISSIONS.join(", ")
    )
}

/// The Microsoft Graph PowerShell export script: saves the export folder's files with
/// `Invoke-MgGraphRequest -OutputFilePath`, following every `@odata.nextLink` so each file holds
/// the whole collection.
pub fn export_powershell(t: &ExportTarget) -> String {
    let mut s = String::new();
    ps_banner(
        &mut s,
        "breakglass tenant export (Microsoft Graph PowerShell): the files `breakglass tenant audit` reads.",
    );
    let _ = writeln!(s, "# {READ_ONLY_NOTE}");
    let _ = writeln!(s, "# {}", permissions_note());
    s.push_str(EXPORT_PS_PRELUDE);
    let _ = writeln!(s, "$AccountUpns = {}", ps_list(&t.upns));
    let _ = writeln!(s, "$AccountIds = {}", ps_list(&t.object_ids));
    let _ = writeln!(s, "$ExclusionGroup = {}", ps_opt(t.group.as_deref()));
    s.push_str(
        &EXPORT_PS_BODY
            .replace("{GA}", GLOBAL_ADMINISTRATOR_ROLE_ID)
            .replace("{USERS_SELECT}", USERS_SELECT)
            .replace("{SCOPES}", &EXPORT_PERMISSIONS.map(ps_quote).join(", ")),
    );
    s
}

/// The same export with `az rest` in a POSIX shell (jq merges the pages).
pub fn export_az(t: &ExportTarget) -> String {
    let mut s = String::new();
    s.push_str("#!/bin/sh\n");
    let _ = writeln!(
        s,
        "# breakglass tenant export (Azure CLI, az rest): the files `breakglass tenant audit` reads."
    );
    let _ = writeln!(
        s,
        "# Written by breakglass {}; review every line before running it.",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(s, "# {READ_ONLY_NOTE}");
    let _ = writeln!(s, "# {}", permissions_note());
    let _ = writeln!(
        s,
        "# az rest uses the Azure CLI's own Microsoft Graph consent: sign in with `az login` as that account."
    );
    s.push_str("# Usage: sh export-tenant.sh [FOLDER]   (default: breakglass-export; it must not exist or be empty)\n");
    s.push_str("set -eu\nset -f\n");
    let join = |v: &[String]| v.join(" ");
    let _ = writeln!(s, "ACCOUNT_UPNS={}", sh_quote(&join(&t.upns)));
    let _ = writeln!(s, "ACCOUNT_IDS={}", sh_quote(&join(&t.object_ids)));
    let _ = writeln!(
        s,
        "EXCLUSION_GROUP={}",
        sh_quote(t.group.as_deref().unwrap_or(""))
    );
    s.push_str(
        &EXPORT_AZ_BODY
            .replace("{GA}", GLOBAL_ADMINISTRATOR_ROLE_ID)
            .replace("{USERS_SELECT}", USERS_SELECT),
    );
    s
}

/// The setup script (Microsoft Graph PowerShell): creates what is missing, idempotently, and
/// with `-DryRun` only lists what it would change.
pub fn setup_powershell(t: &SetupTarget) -> String {
    let mut s = String::new();
    ps_banner(
        &mut s,
        "breakglass tenant setup (Microsoft Graph PowerShell): the tenant side of the emergency accounts.",
    );
    s.push_str(&SETUP_PS_PRELUDE.replace("{GA}", GLOBAL_ADMINISTRATOR_ROLE_ID));
    let _ = writeln!(s, "$TenantDomain = {}", ps_quote(&t.domain));
    let _ = writeln!(s, "$ExclusionGroupId = {}", ps_opt(t.group.as_deref()));
    let _ = writeln!(
        s,
        "$ExclusionGroupName = {}",
        ps_quote(EXCLUSION_GROUP_NAME)
    );
    s.push_str("$Accounts = @(\n");
    for a in &t.accounts {
        let _ = writeln!(
            s,
            "    [pscustomobject]@{{ UserPrincipalName = {}; DisplayName = {}; MailNickname = {} }}",
            ps_quote(&a.upn),
            ps_quote(&a.display_name),
            ps_quote(&a.mail_nickname)
        );
    }
    s.push_str(")\n");
    s.push_str(SETUP_PS_BODY);
    s
}

/// Accounts and group for an export, from the options and the plan, validated.
pub fn export_target(
    plan: Option<&Plan>,
    upns: &[String],
    object_ids: &[String],
    group: Option<&str>,
) -> Result<ExportTarget, String> {
    let mut t = ExportTarget::default();
    for u in upns {
        check_upn(u)?;
        t.upns.push(u.clone());
    }
    for id in object_ids {
        check_guid("--object-id", id)?;
        t.object_ids.push(id.to_ascii_lowercase());
    }
    if let Some(g) = group {
        check_guid("--group", g)?;
        t.group = Some(g.to_ascii_lowercase());
    }
    if let Some(plan) = plan {
        for a in &plan.accounts {
            match &a.object_id {
                Some(id) => {
                    check_guid("object_id", id)?;
                    t.object_ids.push(id.to_ascii_lowercase());
                }
                None => t.upns.push(plan.upn(a).map_err(|e| e.to_string())?),
            }
        }
        if t.group.is_none()
            && let Some(g) = &plan.exclusion_group
        {
            check_guid("exclusion_group", g)?;
            t.group = Some(g.to_ascii_lowercase());
        }
    }
    t.upns.sort();
    t.upns.dedup();
    t.object_ids.sort();
    t.object_ids.dedup();
    if t.upns.is_empty() && t.object_ids.is_empty() {
        return Err(
            "name the accounts: --plan PLAN.toml, or --upn UPN / --object-id ID (repeatable)"
                .into(),
        );
    }
    Ok(t)
}

/// What the setup script works on, from a validated plan.
pub fn setup_target(plan: &Plan) -> Result<SetupTarget, String> {
    let mut accounts = Vec::new();
    for a in &plan.accounts {
        let upn = plan.upn(a).map_err(|e| e.to_string())?;
        let user = upn
            .split_once('@')
            .map_or(upn.as_str(), |(u, _)| u)
            .to_string();
        accounts.push(SetupAccount {
            display_name: if a.display_name.trim().is_empty() {
                user.clone()
            } else {
                a.display_name.clone()
            },
            mail_nickname: user,
            upn,
        });
    }
    if let Some(g) = &plan.exclusion_group {
        check_guid("exclusion_group", g)?;
    }
    Ok(SetupTarget {
        domain: plan.domain().map_err(|e| e.to_string())?,
        accounts,
        group: plan
            .exclusion_group
            .as_ref()
            .map(|g| g.to_ascii_lowercase()),
    })
}

fn check_guid(what: &str, id: &str) -> Result<(), String> {
    if is_guid(id) {
        Ok(())
    } else {
        Err(format!(
            "{what} {id:?} is not an object id: give the GUID Entra ID shows (00000000-0000-0000-0000-000000000000)"
        ))
    }
}

fn check_upn(upn: &str) -> Result<(), String> {
    let valid = upn
        .rsplit_once('@')
        .is_some_and(|(user, domain)| breakglass_core::entra::upn(user, domain).is_ok());
    if valid {
        Ok(())
    } else {
        Err(format!(
            "--upn {upn:?} is not a user principal name: give USER@DOMAIN (letters, digits and ' . - _ ! # ^ ~ before the @, a DNS name after it)"
        ))
    }
}

fn load_plan(path: &Path) -> CliResult<Plan> {
    let text = files::read_text(path)?;
    let plan = Plan::parse(&text).map_err(|e| Failure::about(path.display(), e))?;
    plan.validate()
        .map_err(|e| Failure::about(path.display(), e))?;
    Ok(plan)
}

/// `breakglass tenant export-script`.
pub fn run_export(args: ExportArgs) -> CliResult {
    let plan = args.targets.plan.as_deref().map(load_plan).transpose()?;
    let target = export_target(
        plan.as_ref(),
        &args.targets.upns,
        &args.targets.object_ids,
        args.targets.group.as_deref(),
    )
    .map_err(|e| Failure::Usage.because(e))?;
    let mut out = String::new();
    if matches!(args.shell, Shell::Powershell | Shell::Both) {
        if args.shell == Shell::Both {
            out.push_str("# ===== Microsoft Graph PowerShell: save as export-tenant.ps1, run with pwsh =====\n");
        }
        out.push_str(&export_powershell(&target));
    }
    if matches!(args.shell, Shell::Az | Shell::Both) {
        if args.shell == Shell::Both {
            out.push_str("\n# ===== Azure CLI: save as export-tenant.sh, run with sh (needs az and jq) =====\n");
        }
        out.push_str(&export_az(&target));
    }
    print_script(&out)
}

/// `breakglass tenant setup-script`.
pub fn run_setup(args: SetupArgs) -> CliResult {
    let plan = load_plan(&args.plan)?;
    let target = setup_target(&plan)
        .map_err(|e| Failure::Usage.because(format!("{}: {e}", args.plan.display())))?;
    if target.group.is_none() {
        eprintln!(
            "warning: {} has no exclusion_group: the script looks for a group named {} and creates it when there is none; put the id it prints in the plan",
            visible(&args.plan.display().to_string()),
            EXCLUSION_GROUP_NAME
        );
    }
    print_script(&setup_powershell(&target))
}

fn print_script(text: &str) -> CliResult {
    crate::plumbing::stdout::write_all(text.as_bytes())
}

const EXPORT_PS_PRELUDE: &str = r#"# Usage: pwsh ./export-tenant.ps1 [-OutDir FOLDER]   (default: breakglass-export; it must not exist or be empty)
#Requires -Version 7.0
#Requires -Modules Microsoft.Graph.Authentication
[CmdletBinding()]
param([string]$OutDir = 'breakglass-export')
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$Graph = 'https://graph.microsoft.com/v1.0'
"#;

const EXPORT_PS_BODY: &str = r#"$GlobalAdministrator = '{GA}'

if ((Test-Path -LiteralPath $OutDir) -and (Get-ChildItem -LiteralPath $OutDir -Force)) {
    throw "$OutDir is not empty: give a new folder with -OutDir, so no file of an older export is mixed in"
}
$OutDir = (New-Item -ItemType Directory -Path $OutDir -Force).FullName

# Saves one Graph response body into the folder, as Graph returns it. A collection that comes
# in pages is followed through every @odata.nextLink and saved as one body holding every item
# (no nextLink is left in the file: the audit refuses a file that still has one).
function Save-Graph([string]$Uri, [string]$Name) {
    $path = Join-Path $OutDir $Name
    Invoke-MgGraphRequest -Method GET -Uri $Uri -OutputFilePath $path
    $body = Get-Content -Raw -LiteralPath $path | ConvertFrom-Json -AsHashtable
    $next = $body['@odata.nextLink']
    if (-not $next) { return }
    $items = [System.Collections.Generic.List[object]]::new()
    $items.AddRange([object[]]@($body['value']))
    while ($next) {
        $page = "$path.page"
        Invoke-MgGraphRequest -Method GET -Uri $next -OutputFilePath $page
        $more = Get-Content -Raw -LiteralPath $page | ConvertFrom-Json -AsHashtable
        Remove-Item -LiteralPath $page
        $items.AddRange([object[]]@($more['value']))
        $next = $more['@odata.nextLink']
    }
    $body.Remove('@odata.nextLink')
    $body['value'] = $items.ToArray()
    $body | ConvertTo-Json -Depth 100 | Set-Content -LiteralPath $path -Encoding utf8NoBOM
}

Connect-MgGraph -Scopes {SCOPES} -NoWelcome

# The accounts' object ids (an account known by UPN only is looked up).
$Ids = [System.Collections.Generic.List[string]]::new()
foreach ($id in $AccountIds) { $Ids.Add($id) }
foreach ($upn in $AccountUpns) {
    $user = Invoke-MgGraphRequest -Method GET -Uri "$Graph/users/$([uri]::EscapeDataString($upn))?`$select=id"
    $Ids.Add($user['id'])
}
$Ids = @($Ids | Select-Object -Unique)

Save-Graph "$Graph/identity/conditionalAccess/policies" 'conditional-access-policies.json'
$inIds = ($Ids | ForEach-Object { "'$_'" }) -join ','
Save-Graph ("$Graph/users?`$filter=" + [uri]::EscapeDataString("id in ($inIds)") + '&$select={USERS_SELECT}') 'users.json'
$isGlobalAdministrator = [uri]::EscapeDataString("roleDefinitionId eq '$GlobalAdministrator'")
Save-Graph "$Graph/roleManagement/directory/roleAssignmentScheduleInstances?`$filter=$isGlobalAdministrator" 'role-assignments.json'
Save-Graph "$Graph/roleManagement/directory/roleEligibilityScheduleInstances?`$filter=$isGlobalAdministrator" 'role-eligibilities.json'

if (-not $ExclusionGroup) {
    # As Maester does: the group most Conditional Access policies exclude.
    $policies = Get-Content -Raw -LiteralPath (Join-Path $OutDir 'conditional-access-policies.json') | ConvertFrom-Json -AsHashtable
    $ExclusionGroup = @($policies['value']) | ForEach-Object { $_['conditions']['users']['excludeGroups'] } |
        Where-Object { $_ } | Group-Object | Sort-Object Count -Descending | Select-Object -First 1 -ExpandProperty Name
    if (-not $ExclusionGroup) {
        throw 'No Conditional Access policy excludes a group: create the exclusion group (breakglass tenant setup-script), or give its id (--group)'
    }
    Write-Host "Exclusion group: $ExclusionGroup (the group most Conditional Access policies exclude)"
}
Save-Graph "$Graph/groups/$ExclusionGroup" 'exclusion-group.json'
Save-Graph "$Graph/groups/$ExclusionGroup/members?`$top=999" 'exclusion-group-members.json'

foreach ($id in $Ids) {
    Save-Graph "$Graph/users/$id/authentication/methods" "methods-$id.json"
    Save-Graph "$Graph/users/$id/transitiveMemberOf?`$top=999" "member-of-$id.json"
}
Write-Host "Saved the export in $OutDir. Carry it to the offline machine: breakglass tenant audit $OutDir"
"#;

const EXPORT_AZ_BODY: &str = r#"OUT_DIR=${1:-breakglass-export}
GRAPH=https://graph.microsoft.com/v1.0
GLOBAL_ADMINISTRATOR={GA}
command -v az >/dev/null || { echo "az (Azure CLI) is needed" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is needed (it joins paged responses)" >&2; exit 1; }
if [ -d "$OUT_DIR" ] && [ -n "$(ls -A "$OUT_DIR")" ]; then
    echo "$OUT_DIR is not empty: give a new folder, so no file of an older export is mixed in" >&2
    exit 1
fi
mkdir -p "$OUT_DIR"

# graph_get URL NAME: saves one Graph response body as NAME in the folder. A collection that
# comes in pages is followed through every @odata.nextLink and saved as one body holding every
# item (no nextLink is left in the file: the audit refuses a file that still has one).
graph_get() {
    out="$OUT_DIR/$2"
    az rest --method get --url "$1" --output json > "$out"
    next=$(jq -r '."@odata.nextLink" // empty' "$out")
    [ -n "$next" ] || return 0
    jq -c '.value' "$out" > "$out.pages"
    while [ -n "$next" ]; do
        az rest --method get --url "$next" --output json > "$out.page"
        jq -c '.value' "$out.page" >> "$out.pages"
        next=$(jq -r '."@odata.nextLink" // empty' "$out.page")
    done
    jq --slurpfile pages "$out.pages" 'del(."@odata.nextLink") | .value = ($pages | add)' "$out" > "$out.all"
    mv "$out.all" "$out"
    rm -f "$out.page" "$out.pages"
}

# The accounts' object ids (an account known by UPN only is looked up).
IDS=$ACCOUNT_IDS
for upn in $ACCOUNT_UPNS; do
    encoded=$(jq -rn --arg v "$upn" '$v | @uri')
    IDS="$IDS $(az rest --method get --url "$GRAPH/users/$encoded?\$select=id" --query id --output tsv)"
done
IDS=$(printf '%s\n' $IDS | sort -u)

graph_get "$GRAPH/identity/conditionalAccess/policies" conditional-access-policies.json
in_ids=$(printf "%%27%s%%27," $IDS)
graph_get "$GRAPH/users?\$filter=id%20in%20(${in_ids%,})&\$select={USERS_SELECT}" users.json
is_ga="roleDefinitionId%20eq%20%27$GLOBAL_ADMINISTRATOR%27"
graph_get "$GRAPH/roleManagement/directory/roleAssignmentScheduleInstances?\$filter=$is_ga" role-assignments.json
graph_get "$GRAPH/roleManagement/directory/roleEligibilityScheduleInstances?\$filter=$is_ga" role-eligibilities.json

if [ -z "$EXCLUSION_GROUP" ]; then
    # As Maester does: the group most Conditional Access policies exclude.
    EXCLUSION_GROUP=$(jq -r '[.value[].conditions.users.excludeGroups[]?] | group_by(.) | max_by(length) | .[0] // empty' "$OUT_DIR/conditional-access-policies.json")
    if [ -z "$EXCLUSION_GROUP" ]; then
        echo "No Conditional Access policy excludes a group: create the exclusion group (breakglass tenant setup-script), or give its id (--group)" >&2
        exit 1
    fi
    echo "Exclusion group: $EXCLUSION_GROUP (the group most Conditional Access policies exclude)"
fi
graph_get "$GRAPH/groups/$EXCLUSION_GROUP" exclusion-group.json
graph_get "$GRAPH/groups/$EXCLUSION_GROUP/members?\$top=999" exclusion-group-members.json

for id in $IDS; do
    graph_get "$GRAPH/users/$id/authentication/methods" "methods-$id.json"
    graph_get "$GRAPH/users/$id/transitiveMemberOf?\$top=999" "member-of-$id.json"
done
echo "Saved the export in $OUT_DIR. Carry it to the offline machine: breakglass tenant audit $OUT_DIR"
"#;

const SETUP_PS_PRELUDE: &str = r#"# Creates the emergency accounts (the password is typed when the script runs, never written in
# it), sets DisablePasswordExpiration, creates the role-assignable exclusion group with exactly
# these accounts as members, assigns Global Administrator active and permanent, and adds the
# group to every Conditional Access policy's excluded groups. Each step checks first and changes
# only what is missing, so running it again changes nothing. -DryRun only lists what it would
# change (it reads the tenant, with read permissions).
# Usage: pwsh ./setup-tenant.ps1 -DryRun    then    pwsh ./setup-tenant.ps1
# Needs a Privileged Role Administrator (role-assignable group, role assignment) who may also
# create users and edit Conditional Access policies: a Global Administrator.
#Requires -Version 7.0
#Requires -Modules Microsoft.Graph.Authentication
[CmdletBinding()]
param([switch]$DryRun)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$Graph = 'https://graph.microsoft.com/v1.0'
$GlobalAdministrator = '{GA}'
# The values from the plan (each a single-quoted literal: nothing in them is code).
"#;

const SETUP_PS_BODY: &str = r#"
# Runs $Action, or with -DryRun only says what it would change.
function Invoke-Change([string]$What, [scriptblock]$Action) {
    if ($DryRun) { Write-Host "  WOULD CHANGE: $What"; return $null }
    Write-Host "  CHANGING: $What"
    & $Action
}
# Every item of a collection, following @odata.nextLink.
function Get-GraphAll([string]$Uri) {
    $items = [System.Collections.Generic.List[object]]::new()
    while ($Uri) {
        $page = Invoke-MgGraphRequest -Method GET -Uri $Uri
        $items.AddRange([object[]]@($page['value'] | Where-Object { $null -ne $_ }))
        $Uri = $page['@odata.nextLink']
    }
    return ,$items.ToArray()
}
function ConvertTo-ODataString([string]$Value) { "'" + $Value.Replace("'", "''") + "'" }
function ConvertTo-GraphBody($Value) { $Value | ConvertTo-Json -Depth 20 -Compress }

$Scopes = if ($DryRun) {
    'User.Read.All', 'Group.Read.All', 'RoleManagement.Read.Directory', 'Policy.Read.All'
} else {
    'User.ReadWrite.All', 'Group.ReadWrite.All', 'RoleManagement.ReadWrite.Directory',
    'Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess', 'Application.Read.All'
}
Connect-MgGraph -Scopes $Scopes -NoWelcome

Write-Host '1. Accounts, cloud-only; 2. passwords that never expire (DisablePasswordExpiration)'
$Ids = [ordered]@{}
foreach ($a in $Accounts) {
    $filter = [uri]::EscapeDataString('userPrincipalName eq ' + (ConvertTo-ODataString $a.UserPrincipalName))
    $found = Get-GraphAll "$Graph/users?`$filter=$filter&`$select=id,userPrincipalName,passwordPolicies,onPremisesSyncEnabled"
    if ($found.Count -gt 0) {
        $u = $found[0]
        $Ids[$a.UserPrincipalName] = $u['id']
        Write-Host "  exists: $($a.UserPrincipalName) ($($u['id']))"
        if ($u['onPremisesSyncEnabled']) {
            Write-Warning "$($a.UserPrincipalName) is synchronised from on-premises: Microsoft advises cloud-only emergency accounts."
        }
        $policies = [string]$u['passwordPolicies']
        if ($policies -notmatch 'DisablePasswordExpiration') {
            $newPolicies = if ($policies) { "$policies, DisablePasswordExpiration" } else { 'DisablePasswordExpiration' }
            Invoke-Change "set passwordPolicies of $($a.UserPrincipalName) to $newPolicies" {
                Invoke-MgGraphRequest -Method PATCH -Uri "$Graph/users/$($u['id'])" -ContentType 'application/json' `
                    -Body (ConvertTo-GraphBody @{ passwordPolicies = $newPolicies })
            } | Out-Null
        }
        continue
    }
    $created = Invoke-Change "create $($a.UserPrincipalName) ($($a.DisplayName)), enabled, cloud-only, password never expires" {
        $secure = Read-Host -AsSecureString "Password for $($a.UserPrincipalName) (from the vault: breakglass recover)"
        $body = ConvertTo-GraphBody @{
            accountEnabled    = $true
            displayName       = $a.DisplayName
            mailNickname      = $a.MailNickname
            userPrincipalName = $a.UserPrincipalName
            passwordPolicies  = 'DisablePasswordExpiration'
            passwordProfile   = @{
                password                      = (ConvertFrom-SecureString -SecureString $secure -AsPlainText)
                forceChangePasswordNextSignIn = $false
            }
        }
        try { Invoke-MgGraphRequest -Method POST -Uri "$Graph/users" -ContentType 'application/json' -Body $body }
        finally { $body = $null }
    }
    $Ids[$a.UserPrincipalName] = if ($created) { $created['id'] } else { $null }
}

Write-Host '3. The exclusion group: role-assignable, exactly the emergency accounts as members'
$group = $null
if ($ExclusionGroupId) {
    $group = Invoke-MgGraphRequest -Method GET -Uri "$Graph/groups/${ExclusionGroupId}?`$select=id,displayName,isAssignableToRole"
} else {
    $filter = [uri]::EscapeDataString('displayName eq ' + (ConvertTo-ODataString $ExclusionGroupName))
    $found = Get-GraphAll "$Graph/groups?`$filter=$filter&`$select=id,displayName,isAssignableToRole"
    if ($found.Count -gt 1) { throw "more than one group is named $($ExclusionGroupName): write the right one's id in the plan as exclusion_group" }
    if ($found.Count -eq 1) { $group = $found[0] }
}
if (-not $group) {
    $group = Invoke-Change "create the role-assignable security group $ExclusionGroupName" {
        Invoke-MgGraphRequest -Method POST -Uri "$Graph/groups" -ContentType 'application/json' -Body (ConvertTo-GraphBody @{
            displayName        = $ExclusionGroupName
            description        = 'Emergency access (break-glass) accounts, excluded from every Conditional Access policy. Members: the emergency accounts only.'
            mailEnabled        = $false
            mailNickname       = 'breakglass-exclusion'
            securityEnabled    = $true
            isAssignableToRole = $true
        })
    }
    if ($group) { Write-Host "  created group $($group['id']): write exclusion_group = `"$($group['id'])`" in the plan" }
} elseif (-not $group['isAssignableToRole']) {
    Write-Warning "group $($group['id']) is not role-assignable: anyone with rights on groups can add themselves to it. Role-assignability is set only when a group is created: create a new group and use its id."
}
$GroupId = if ($group) { $group['id'] } else { $null }
if ($GroupId) {
    $members = Get-GraphAll "$Graph/groups/$GroupId/members?`$select=id,userPrincipalName"
    foreach ($upn in $Ids.Keys) {
        $id = $Ids[$upn]
        if (-not $id) { Invoke-Change "add the new account $upn to the group" { } | Out-Null; continue }
        if (-not ($members | Where-Object { $_['id'] -eq $id })) {
            Invoke-Change "add $upn ($id) to the group $GroupId" {
                Invoke-MgGraphRequest -Method POST -Uri "$Graph/groups/$GroupId/members/`$ref" -ContentType 'application/json' `
                    -Body (ConvertTo-GraphBody @{ '@odata.id' = "$Graph/directoryObjects/$id" })
            } | Out-Null
        }
    }
    foreach ($m in $members) {
        if (@($Ids.Values) -notcontains $m['id']) {
            Invoke-Change "remove $($m['id']) $($m['userPrincipalName']) from the group $GroupId (not an emergency account)" {
                Invoke-MgGraphRequest -Method DELETE -Uri "$Graph/groups/$GroupId/members/$($m['id'])/`$ref"
            } | Out-Null
        }
    }
} else {
    Invoke-Change 'add every emergency account to the new group' { } | Out-Null
}

Write-Host '4. Global Administrator, active and permanent (not eligible, no end date)'
foreach ($upn in $Ids.Keys) {
    $id = $Ids[$upn]
    if (-not $id) { Invoke-Change "assign Global Administrator to the new account $upn, active and permanent" { } | Out-Null; continue }
    $filter = [uri]::EscapeDataString("principalId eq '$id' and roleDefinitionId eq '$GlobalAdministrator'")
    $pim = $true
    try {
        $active = @(Get-GraphAll "$Graph/roleManagement/directory/roleAssignmentScheduleInstances?`$filter=$filter" |
            Where-Object { $_['assignmentType'] -eq 'Assigned' })
        $permanent = @($active | Where-Object { -not $_['endDateTime'] }).Count -gt 0
    } catch {
        # No Privileged Identity Management (Microsoft Entra ID P2): a direct assignment has no end.
        $pim = $false
        $active = @()
        $permanent = (Get-GraphAll "$Graph/roleManagement/directory/roleAssignments?`$filter=$filter").Count -gt 0
    }
    if ($permanent) { Write-Host "  $upn holds Global Administrator, active and permanent"; continue }
    Invoke-Change "assign Global Administrator to $upn ($id), active and permanent" {
        if ($pim) {
            Invoke-MgGraphRequest -Method POST -Uri "$Graph/roleManagement/directory/roleAssignmentScheduleRequests" -ContentType 'application/json' -Body (ConvertTo-GraphBody @{
                action           = if ($active.Count -gt 0) { 'adminUpdate' } else { 'adminAssign' }
                justification    = 'Emergency access (break-glass) account: Global Administrator, active and permanent'
                roleDefinitionId = $GlobalAdministrator
                directoryScopeId = '/'
                principalId      = $id
                scheduleInfo     = @{ startDateTime = (Get-Date).ToUniversalTime().ToString('o'); expiration = @{ type = 'noExpiration' } }
            })
        } else {
            Invoke-MgGraphRequest -Method POST -Uri "$Graph/roleManagement/directory/roleAssignments" -ContentType 'application/json' -Body (ConvertTo-GraphBody @{
                '@odata.type'    = '#microsoft.graph.unifiedRoleAssignment'
                roleDefinitionId = $GlobalAdministrator
                principalId      = $id
                directoryScopeId = '/'
            })
        }
    } | Out-Null
}

Write-Host '5. The group excluded from every Conditional Access policy'
if (-not $GroupId) {
    Invoke-Change "add the new group to the excluded groups of every Conditional Access policy" { } | Out-Null
} else {
    foreach ($p in (Get-GraphAll "$Graph/identity/conditionalAccess/policies")) {
        $apps = $p['conditions']['clientApplications']
        if ($apps -and $apps['includeServicePrincipals']) {
            Write-Host "  not applicable (workload identities): $($p['displayName'])"
            continue
        }
        $users = $p['conditions']['users']
        $excluded = @($users['excludeGroups'] | Where-Object { $_ })
        if ($excluded -contains $GroupId) { Write-Host "  excludes the group: $($p['displayName'])"; continue }
        $users['excludeGroups'] = @($excluded + $GroupId)
        Invoke-Change "exclude the group from policy $($p['displayName']) ($($p['id']), $($p['state']))" {
            Invoke-MgGraphRequest -Method PATCH -Uri "$Graph/identity/conditionalAccess/policies/$($p['id'])" -ContentType 'application/json' `
                -Body (ConvertTo-GraphBody @{ conditions = @{ users = $users } })
        } | Out-Null
    }
}
if ($DryRun) { Write-Host 'Dry run: nothing was changed.' } else { Write-Host 'Done. Check it offline: breakglass tenant export-script, then breakglass tenant audit.' }
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The files of an export folder, as `tenant audit` reads them (FORMAT.md, tenant export folder). The two per-account
    /// files are `methods-<object id>.json` and `member-of-<object id>.json`.
    const EXPORT_FILES: [&str; 6] = [
        "conditional-access-policies.json",
        "users.json",
        "role-assignments.json",
        "role-eligibilities.json",
        "exclusion-group.json",
        "exclusion-group-members.json",
    ];

    /// Reads a PowerShell single-quoted string literal at the start of `s` by PowerShell's own
    /// tokenizer rule (any of the five quote characters opens and closes it; two in a row stand
    /// for the second one). Returns the value and how many bytes the literal took.
    fn read_ps_literal(s: &str) -> Option<(String, usize)> {
        let mut it = s.char_indices().peekable();
        let (_, open) = it.next()?;
        if !is_ps_single_quote(open) {
            return None;
        }
        let mut value = String::new();
        while let Some((i, c)) = it.next() {
            if is_ps_single_quote(c) {
                match it.peek() {
                    Some(&(_, d)) if is_ps_single_quote(d) => {
                        value.push(d);
                        it.next();
                    }
                    _ => return Some((value, i + c.len_utf8())),
                }
            } else {
                value.push(c);
            }
        }
        None
    }

    /// Reads a POSIX shell word made of single-quoted parts and `\'`, up to the first
    /// unquoted character that is neither.
    fn read_sh_word(s: &str) -> (String, usize) {
        let b: Vec<char> = s.chars().collect();
        let (mut i, mut v) = (0, String::new());
        loop {
            match b.get(i) {
                Some('\'') => {
                    i += 1;
                    while b[i] != '\'' {
                        v.push(b[i]);
                        i += 1;
                    }
                    i += 1;
                }
                Some('\\') => {
                    v.push(b[i + 1]);
                    i += 2;
                }
                _ => return (v, i),
            }
        }
    }

    fn hostile_chars() -> impl Strategy<Value = String> {
        let pick = prop::sample::select(vec![
            '\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}', '"', '\u{201C}', '\u{201D}', '`',
            '$', '(', ')', ';', '#', '<', '>', '@', '{', '}', '|', '&', '\\', ' ', '\n', 'a', 'Z',
            '0', 'é',
        ]);
        prop::collection::vec(prop_oneof![pick, any::<char>()], 0..40)
            .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn a_powershell_literal_holds_exactly_its_value(s in hostile_chars()) {
            let q = ps_quote(&s);
            prop_assert_eq!(read_ps_literal(&q), Some((s.clone(), q.len())));
            // Followed by code, the literal still ends where it should.
            let code = format!("{q}; Remove-Item x");
            prop_assert_eq!(read_ps_literal(&code), Some((s, q.len())));
        }

        #[test]
        fn a_shell_word_holds_exactly_its_value(s in hostile_chars()) {
            let q = sh_quote(&s);
            let (v, used) = read_sh_word(&format!("{q} rm -rf x"));
            prop_assert_eq!(v, s);
            prop_assert_eq!(used, q.chars().count());
        }
    }

    /// The real shell agrees (no pwsh here, so PowerShell's rule is checked by the reader above).
    #[test]
    fn sh_reads_back_what_sh_quote_wrote() {
        for s in [
            "plain",
            "o'brien",
            "''",
            "a'\\''b",
            "$(touch x) `id` \"q\" \n; #",
            "’‘‛‚",
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", sh_quote(s)))
                .output()
                .expect("sh runs");
            assert_eq!(String::from_utf8(out.stdout).unwrap(), s);
        }
    }

    #[test]
    fn powershell_quoting_doubles_every_quote_variant() {
        assert_eq!(ps_quote("a"), "'a'");
        assert_eq!(ps_quote("o'k"), "'o''k'");
        assert_eq!(ps_quote("x\u{2019}y"), "'x\u{2019}\u{2019}y'");
        assert_eq!(
            ps_quote("\u{2018}\u{201A}\u{201B}"),
            "'\u{2018}\u{2018}\u{201A}\u{201A}\u{201B}\u{201B}'"
        );
        assert_eq!(ps_quote("$(x) `n \""), "'$(x) `n \"'");
    }

    fn plan(display_name: &str, group: Option<&str>) -> Plan {
        let mut p = Plan::parse(breakglass_core::plan::TEMPLATE).unwrap();
        p.accounts[0].display_name = display_name.into();
        p.accounts[1].object_id = Some("11111111-2222-3333-4444-555555555555".into());
        p.exclusion_group = group.map(str::to_string);
        p.validate().unwrap();
        p
    }

    const HOSTILE: &str =
        "Evil\u{2019}; Remove-MgUser -UserId admin@contoso.com; \u{2018}' $(Get-Secret) `\"";

    #[test]
    fn a_hostile_display_name_stays_inside_its_literal() {
        let t = setup_target(&plan(HOSTILE, None)).unwrap();
        let script = setup_powershell(&t);
        let line = script
            .lines()
            .find(|l| l.contains("UserPrincipalName = 'breakglass1@"))
            .unwrap();
        let at = line.find("DisplayName = ").unwrap() + "DisplayName = ".len();
        let (value, used) = read_ps_literal(&line[at..]).unwrap();
        assert_eq!(value, HOSTILE);
        assert!(line[at + used..].starts_with("; MailNickname = 'breakglass1' }"));
        // Outside the literal the hostile text appears nowhere.
        let without = script.replacen(&line[at..at + used], "''", 1);
        assert!(!without.contains("Remove-MgUser"), "{without}");
    }

    #[test]
    fn the_setup_script_has_every_step_and_no_secret() {
        let g = "99999999-2222-3333-4444-555555555555";
        let s = setup_powershell(&setup_target(&plan("Emergency access 1", Some(g))).unwrap());
        for want in [
            "param([switch]$DryRun)",
            "Read-Host -AsSecureString",
            "passwordPolicies  = 'DisablePasswordExpiration'",
            "isAssignableToRole = $true",
            "roleAssignmentScheduleRequests",
            "expiration = @{ type = 'noExpiration' }",
            "roleManagement/directory/roleAssignments",
            "excludeGroups",
            "members/`$ref",
            "WOULD CHANGE",
            &format!("$ExclusionGroupId = '{g}'"),
            "$TenantDomain = 'contoso.onmicrosoft.com'",
            "UserPrincipalName = 'breakglass2@contoso.onmicrosoft.com'; DisplayName = 'Emergency access 2'; MailNickname = 'breakglass2'",
        ] {
            assert!(s.contains(want), "missing {want:?}");
        }
        // Each write is inside Invoke-Change, so -DryRun stops every one of them.
        let writes = ["-Method POST", "-Method PATCH", "-Method DELETE"];
        for w in writes {
            for (i, _) in s.match_indices(w) {
                let before = &s[..i];
                let change = before.rfind("Invoke-Change ").unwrap();
                assert!(
                    !before[change..].contains("\n}\n"),
                    "{w} outside Invoke-Change"
                );
            }
        }
        // The only password is the one typed at run time.
        let assigned = s
            .match_indices("password ")
            .filter(|(i, m)| s[i + m.len()..].trim_start().starts_with('='))
            .count();
        assert_eq!(assigned, 1);
        assert!(s.contains("password                      = (ConvertFrom-SecureString -SecureString $secure -AsPlainText)"));
        // The plan's values appear only in the block at the top.
        let body = s
            .split_once("$Accounts = @(")
            .unwrap()
            .1
            .split_once("\n)\n")
            .unwrap()
            .1;
        assert!(!body.contains("breakglass1@"));
    }

    #[test]
    fn the_export_scripts_write_the_frozen_file_names_and_only_read() {
        let t = export_target(Some(&plan("Emergency access 1", None)), &[], &[], None).unwrap();
        assert_eq!(t.upns, ["breakglass1@contoso.onmicrosoft.com"]);
        assert_eq!(t.object_ids, ["11111111-2222-3333-4444-555555555555"]);
        let ps = export_powershell(&t);
        let az = export_az(&t);
        for s in [&ps, &az] {
            for f in EXPORT_FILES {
                assert!(
                    s.contains(&format!("{f}'")) || s.contains(&format!(" {f}\n")),
                    "{f}"
                );
            }
            assert!(s.contains("methods-$id.json") && s.contains("member-of-$id.json"));
            assert!(s.contains(USERS_SELECT));
            assert!(s.contains(GLOBAL_ADMINISTRATOR_ROLE_ID));
            for p in EXPORT_PERMISSIONS {
                assert!(s.contains(p), "{p}");
            }
            assert!(s.contains("@odata.nextLink"));
            assert!(s.contains("transitiveMemberOf") && s.contains("authentication/methods"));
        }
        assert!(ps.contains("-OutputFilePath"));
        assert!(az.contains("az rest --method get"));
        for method in ["POST", "PATCH", "DELETE", "PUT"] {
            assert!(!ps.contains(&format!("-Method {method}")), "{method}");
            assert!(
                !az.to_lowercase()
                    .contains(&format!("--method {}", method.to_lowercase())),
                "{method}"
            );
        }
        assert!(ps.contains("$AccountIds = @('11111111-2222-3333-4444-555555555555')"));
        assert!(ps.contains("$AccountUpns = @('breakglass1@contoso.onmicrosoft.com')"));
        assert!(ps.contains("$ExclusionGroup = $null"));
        assert!(az.contains("ACCOUNT_UPNS='breakglass1@contoso.onmicrosoft.com'"));
    }

    #[test]
    fn export_targets_are_validated() {
        assert!(export_target(None, &[], &[], None).is_err());
        assert!(export_target(None, &["x\"@c.com".into()], &[], None).is_err());
        assert!(export_target(None, &[], &["nope".into()], None).is_err());
        assert!(export_target(None, &["a@c.com".into()], &[], Some("nope")).is_err());
        let t = export_target(
            None,
            &["o'k@c.com".into()],
            &[],
            Some("99999999-2222-3333-4444-555555555555"),
        )
        .unwrap();
        assert!(export_powershell(&t).contains("$AccountUpns = @('o''k@c.com')"));
        assert!(export_az(&t).contains(r"ACCOUNT_UPNS='o'\''k@c.com'"));
        assert!(export_az(&t).contains("EXCLUSION_GROUP='99999999-2222-3333-4444-555555555555'"));
    }
}
