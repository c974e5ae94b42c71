//! The Microsoft Graph responses a tenant export holds (FORMAT.md §13), as typed values, and
//! the checks every saved body must pass before it is audited: the right `@odata.context` for
//! its file name, no error body, no unfollowed page. It decodes nothing itself (the binary
//! hands it values its JSON reader produced) and reads no file.
//!
//! Shapes follow the Graph v1.0 resource pages on Microsoft Learn: conditionalAccessPolicy,
//! user (signInActivity), unifiedRoleAssignmentScheduleInstance,
//! unifiedRoleEligibilityScheduleInstance, group, directoryObject, authenticationMethod and
//! fido2AuthenticationMethod. Unknown fields are ignored; every field the rules do not need is
//! left out.

use serde::Deserialize;

/// The Global Administrator role's template id: a policy that includes it applies to the
/// emergency accounts, and the export's role files are filtered to it.
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

/// Largest export file read: a 10,000-member group with every property is a few MiB; a file
/// above this is refused by name before it is read.
pub const MAX_EXPORT_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Most accounts one audit takes (each brings two files).
pub const MAX_ACCOUNTS: usize = 64;

/// One file of the export folder (FORMAT.md §13.1): its frozen name and the request that
/// makes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportFile {
    Policies,
    Users,
    RoleAssignments,
    RoleEligibilities,
    ExclusionGroup,
    ExclusionGroupMembers,
    Methods(String),
    MemberOf(String),
    AlertRule,
}

impl ExportFile {
    /// The file name in the export folder.
    pub fn name(&self) -> String {
        match self {
            Self::Policies => "conditional-access-policies.json".into(),
            Self::Users => "users.json".into(),
            Self::RoleAssignments => "role-assignments.json".into(),
            Self::RoleEligibilities => "role-eligibilities.json".into(),
            Self::ExclusionGroup => "exclusion-group.json".into(),
            Self::ExclusionGroupMembers => "exclusion-group-members.json".into(),
            Self::Methods(id) => format!("methods-{id}.json"),
            Self::MemberOf(id) => format!("member-of-{id}.json"),
            Self::AlertRule => "alert-rule.json".into(),
        }
    }

    /// The Graph request whose response body the file holds (for messages).
    pub fn request(&self) -> String {
        match self {
            Self::Policies => "GET /identity/conditionalAccess/policies".into(),
            Self::Users => "GET /users?$filter=id in (...)&$select=id,userPrincipalName,displayName,accountEnabled,onPremisesSyncEnabled,passwordPolicies,signInActivity".into(),
            Self::RoleAssignments => format!("GET /roleManagement/directory/roleAssignmentScheduleInstances?$filter=roleDefinitionId eq '{GLOBAL_ADMINISTRATOR}'"),
            Self::RoleEligibilities => format!("GET /roleManagement/directory/roleEligibilityScheduleInstances?$filter=roleDefinitionId eq '{GLOBAL_ADMINISTRATOR}'"),
            Self::ExclusionGroup => "GET /groups/{id}".into(),
            Self::ExclusionGroupMembers => "GET /groups/{id}/members".into(),
            Self::Methods(id) => format!("GET /users/{id}/authentication/methods"),
            Self::MemberOf(id) => format!("GET /users/{id}/transitiveMemberOf"),
            Self::AlertRule => "an ARM export of the alert rule (Sentinel or Azure Monitor)".into(),
        }
    }

    /// True when `context` (the body's `@odata.context`) is the one this file's request
    /// returns: the part after `$metadata#`, any API version.
    pub fn context_matches(&self, context: &str) -> bool {
        let Some((_, frag)) = context.split_once("$metadata#") else {
            return false;
        };
        let resource = |prefix: &str| {
            frag == prefix
                || frag
                    .strip_prefix(prefix)
                    .is_some_and(|r| r.starts_with('(') || r.starts_with('/'))
        };
        match self {
            Self::Policies => resource("identity/conditionalAccess/policies"),
            Self::Users => resource("users") && !frag.contains("/authentication"),
            Self::RoleAssignments => {
                resource("roleManagement/directory/roleAssignmentScheduleInstances")
            }
            Self::RoleEligibilities => {
                resource("roleManagement/directory/roleEligibilityScheduleInstances")
            }
            Self::ExclusionGroup => resource("groups"),
            Self::ExclusionGroupMembers | Self::MemberOf(_) => resource("directoryObjects"),
            Self::Methods(id) => frag
                .strip_prefix("users('")
                .and_then(|r| r.split_once("')/authentication/methods"))
                .is_some_and(|(who, _)| !is_guid(who) || who.eq_ignore_ascii_case(id)),
            Self::AlertRule => true,
        }
    }
}

/// True for an object id in the form Graph writes it (8-4-4-4-12 hex digits).
pub fn is_guid(s: &str) -> bool {
    crate::entra::is_guid(s)
}

/// Why an export file is refused. Each names the file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExportError {
    #[error(
        "{file} is missing from the export folder: save the response of {request} there (`breakglass tenant export-script` prints the commands)"
    )]
    Missing { file: String, request: String },
    #[error(
        "{file} is {bytes} bytes, more than the {max} bytes an export file may hold: it is not a Graph response of the export; it was not read"
    )]
    TooLarge { file: String, bytes: u64, max: u64 },
    #[error(
        "{file} is not the JSON body Graph returns ({detail}): save the response of {request} as it is"
    )]
    NotJson {
        file: String,
        detail: String,
        request: String,
    },
    #[error(
        "{file} holds a Graph error instead of data ({code}: {message}): the request failed when the export ran; fix the permission or request and export again"
    )]
    GraphError {
        file: String,
        code: String,
        message: String,
    },
    #[error(
        "{file} is one page of a longer answer (it still has an @odata.nextLink): follow every nextLink and save all pages' `value` together in one body, or the audit would judge half the tenant"
    )]
    NextLink { file: String },
    #[error("{file} has no @odata.context: save the body Graph returned for {request}, unchanged")]
    NoContext { file: String, request: String },
    #[error(
        "{file} holds the answer to another request (@odata.context {found}): it must hold the response of {request}"
    )]
    WrongContext {
        file: String,
        found: String,
        request: String,
    },
    #[error("{file} has no `value` list: it must hold the collection returned by {request}")]
    NoValue { file: String, request: String },
    #[error(
        "{file} describes group {found}, but the exclusion group is {expected}: export the right group"
    )]
    OtherGroup {
        file: String,
        found: String,
        expected: String,
    },
    #[error(
        "{file} holds no Sentinel analytics rule (Microsoft.SecurityInsights/alertRules) and no Azure Monitor log alert (Microsoft.Insights/scheduledQueryRules)"
    )]
    NoAlertRule { file: String },
    #[error("{count} accounts given, more than the {max} one audit takes")]
    TooManyAccounts { count: usize, max: usize },
}

crate::error_kinds! { ExportError {
    Missing => "Export/Missing",
    TooLarge => "Export/TooLarge",
    NotJson => "Export/NotJson",
    GraphError => "Export/GraphError",
    NextLink => "Export/NextLink",
    NoContext => "Export/NoContext",
    WrongContext => "Export/WrongContext",
    NoValue => "Export/NoValue",
    OtherGroup => "Export/OtherGroup",
    NoAlertRule => "Export/NoAlertRule",
    TooManyAccounts => "Export/TooManyAccounts",
} }

/// The `error` object of a failed Graph request.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct GraphErrorBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// A collection body (`{"@odata.context": …, "value": [...]}`), or the error saved instead.
#[derive(Clone, Debug, Deserialize)]
pub struct Collection<T> {
    #[serde(rename = "@odata.context", default)]
    pub context: Option<String>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    #[serde(default)]
    pub error: Option<GraphErrorBody>,
    #[serde(default = "none")]
    pub value: Option<Vec<T>>,
}

/// A single entity's body (`GET /groups/{id}`), or the error saved instead.
#[derive(Clone, Debug, Deserialize)]
pub struct Single<T> {
    #[serde(rename = "@odata.context", default)]
    pub context: Option<String>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    #[serde(default)]
    pub error: Option<GraphErrorBody>,
    #[serde(flatten)]
    pub entity: T,
}

fn none<T>() -> Option<T> {
    None
}

/// The checks every body passes: not an error, not one page of several, the right context.
fn check_envelope(
    file: &ExportFile,
    context: Option<&String>,
    next_link: Option<&String>,
    error: Option<&GraphErrorBody>,
) -> Result<(), ExportError> {
    if let Some(e) = error {
        return Err(ExportError::GraphError {
            file: file.name(),
            code: e.code.clone().unwrap_or_default(),
            message: e.message.clone().unwrap_or_default(),
        });
    }
    if next_link.is_some() {
        return Err(ExportError::NextLink { file: file.name() });
    }
    match context {
        None => Err(ExportError::NoContext {
            file: file.name(),
            request: file.request(),
        }),
        Some(c) if !file.context_matches(c) => Err(ExportError::WrongContext {
            file: file.name(),
            found: c.clone(),
            request: file.request(),
        }),
        Some(_) => Ok(()),
    }
}

impl<T> Collection<T> {
    /// The items, once the body is proved whole and the right one (FORMAT.md §13.1).
    ///
    /// # Errors
    /// [`ExportError`] naming the file: an error body, a next page, a wrong or absent context,
    /// no `value`.
    pub fn into_items(self, file: &ExportFile) -> Result<Vec<T>, ExportError> {
        check_envelope(
            file,
            self.context.as_ref(),
            self.next_link.as_ref(),
            self.error.as_ref(),
        )?;
        self.value.ok_or_else(|| ExportError::NoValue {
            file: file.name(),
            request: file.request(),
        })
    }
}

impl<T> Single<T> {
    /// The entity, once the body is proved the right one.
    ///
    /// # Errors
    /// As [`Collection::into_items`].
    pub fn into_entity(self, file: &ExportFile) -> Result<T, ExportError> {
        check_envelope(
            file,
            self.context.as_ref(),
            self.next_link.as_ref(),
            self.error.as_ref(),
        )?;
        Ok(self.entity)
    }
}

/// `conditionalAccessPolicy` (the fields the audit reads).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `enabled`, `disabled` or `enabledForReportingButNotEnforced`.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub conditions: Option<Conditions>,
}

/// `conditionalAccessConditionSet`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Conditions {
    #[serde(default)]
    pub users: Option<UsersCondition>,
    #[serde(default)]
    pub applications: Option<ApplicationsCondition>,
    #[serde(default)]
    pub client_applications: Option<ClientApplicationsCondition>,
}

/// `conditionalAccessUsers`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UsersCondition {
    #[serde(default, deserialize_with = "strings")]
    pub include_users: Vec<String>,
    #[serde(default, deserialize_with = "strings")]
    pub exclude_users: Vec<String>,
    #[serde(default, deserialize_with = "strings")]
    pub include_groups: Vec<String>,
    #[serde(default, deserialize_with = "strings")]
    pub exclude_groups: Vec<String>,
    #[serde(default, deserialize_with = "strings")]
    pub include_roles: Vec<String>,
    #[serde(default, deserialize_with = "strings")]
    pub exclude_roles: Vec<String>,
}

/// `conditionalAccessApplications` (authentication context only).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationsCondition {
    #[serde(default, deserialize_with = "strings")]
    pub include_authentication_context_class_references: Vec<String>,
}

/// `conditionalAccessClientApplications` (workload identities).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClientApplicationsCondition {
    #[serde(default, deserialize_with = "strings")]
    pub include_service_principals: Vec<String>,
}

/// A string collection that Graph may write as `null`.
fn strings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// `user` with the export's `$select`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
    #[serde(default)]
    pub password_policies: Option<String>,
    #[serde(default)]
    pub sign_in_activity: Option<SignInActivity>,
}

/// `signInActivity` (ISO 8601 timestamps, UTC).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SignInActivity {
    #[serde(default)]
    pub last_sign_in_date_time: Option<String>,
    #[serde(default)]
    pub last_non_interactive_sign_in_date_time: Option<String>,
    #[serde(default)]
    pub last_successful_sign_in_date_time: Option<String>,
}

/// `unifiedRoleAssignmentScheduleInstance` and `unifiedRoleEligibilityScheduleInstance`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RoleInstance {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub principal_id: String,
    #[serde(default)]
    pub role_definition_id: String,
    #[serde(default)]
    pub directory_scope_id: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<String>,
    /// Null means permanent.
    #[serde(default)]
    pub end_date_time: Option<String>,
    /// `Assigned` or `Activated` (assignments only).
    #[serde(default)]
    pub assignment_type: Option<String>,
}

/// `group` (`GET /groups/{id}`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub is_assignable_to_role: Option<bool>,
}

/// A `directoryObject` as members and transitiveMemberOf list it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryObject {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
}

/// An `authenticationMethod` of any kind (`@odata.type` says which).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AuthMethod {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: String,
    #[serde(default)]
    pub id: String,
    /// fido2 (the key's name as registered), microsoftAuthenticator (the device).
    #[serde(default)]
    pub display_name: Option<String>,
    /// fido2: the manufacturer's model.
    #[serde(default)]
    pub model: Option<String>,
    /// phone: `mobile`, `alternateMobile` or `office`.
    #[serde(default)]
    pub phone_type: Option<String>,
}

impl AuthMethod {
    /// The kind without the namespace: `fido2AuthenticationMethod`, `passwordAuthenticationMethod`.
    pub fn kind(&self) -> &str {
        self.odata_type
            .trim_start_matches('#')
            .trim_start_matches("microsoft.graph.")
    }
}

/// An ARM document holding alert rules: a deployment template (`resources`), a list
/// (`value`), or one resource as `GET` on it returns.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ArmDocument {
    #[serde(default)]
    pub resources: Option<Vec<ArmResource>>,
    #[serde(default)]
    pub value: Option<Vec<ArmResource>>,
    #[serde(default)]
    pub parameters: Option<std::collections::BTreeMap<String, ArmParameter>>,
    #[serde(flatten)]
    pub itself: Option<ArmResource>,
}

/// A template parameter (only its default counts offline).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmParameter {
    #[serde(default)]
    pub default_value: Option<ArmValue>,
}

/// A value an ARM template may give literally or as an expression (`[parameters('x')]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum ArmValue {
    Bool(bool),
    Text(String),
    List(Vec<String>),
    Other(serde::de::IgnoredAny),
}

/// An ARM resource; only alert rules are read.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ArmResource {
    #[serde(rename = "type", default)]
    pub kind_type: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub properties: Option<AlertProperties>,
}

/// The properties of a Sentinel scheduled rule or an Azure Monitor log alert.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertProperties {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub enabled: Option<ArmValue>,
    /// Sentinel.
    #[serde(default)]
    pub query: Option<ArmValue>,
    /// Sentinel.
    #[serde(default)]
    pub incident_configuration: Option<IncidentConfiguration>,
    /// Azure Monitor.
    #[serde(default)]
    pub criteria: Option<Criteria>,
    /// Azure Monitor.
    #[serde(default)]
    pub actions: Option<Actions>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentConfiguration {
    #[serde(default)]
    pub create_incident: Option<ArmValue>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Criteria {
    #[serde(default)]
    pub all_of: Vec<Condition>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Condition {
    #[serde(default)]
    pub query: Option<ArmValue>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actions {
    #[serde(default)]
    pub action_groups: Option<ArmValue>,
}

/// Sentinel's rule type (as a template or an export writes it).
pub fn is_sentinel_rule(t: &str) -> bool {
    t.eq_ignore_ascii_case("Microsoft.SecurityInsights/alertRules")
        || t.to_ascii_lowercase().ends_with("/providers/alertrules")
}

/// Azure Monitor's log alert type.
pub fn is_azure_monitor_rule(t: &str) -> bool {
    t.eq_ignore_ascii_case("Microsoft.Insights/scheduledQueryRules")
}

/// Unix seconds of a Graph timestamp (`2024-05-01T10:00:00Z`, fractions and `+hh:mm` allowed),
/// or `None` when it is not one.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        rest = &r[digits..];
    }
    let offset: i64 = match rest {
        "" | "Z" | "z" => 0,
        r if r.len() == 6 && (r.starts_with('+') || r.starts_with('-')) && &r[3..4] == ":" => {
            let oh = i64::from(r[1..3].parse::<u32>().ok()?);
            let om = i64::from(r[4..6].parse::<u32>().ok()?);
            let sign = if r.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    let month = time::Month::try_from(u8::try_from(mo).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?)
        .ok()?;
    let t = time::Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(mi).ok()?,
        u8::try_from(se).ok()?,
    )
    .ok()?;
    Some(
        time::PrimitiveDateTime::new(date, t)
            .assume_utc()
            .unix_timestamp()
            - offset,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_by_file() {
        let v1 = "https://graph.microsoft.com/v1.0/$metadata#";
        let ok = |f: ExportFile, frag: &str| f.context_matches(&format!("{v1}{frag}"));
        assert!(ok(
            ExportFile::Policies,
            "identity/conditionalAccess/policies"
        ));
        assert!(ok(
            ExportFile::Users,
            "users(id,userPrincipalName,signInActivity)"
        ));
        assert!(!ok(
            ExportFile::Users,
            "identity/conditionalAccess/policies"
        ));
        assert!(ok(ExportFile::ExclusionGroup, "groups/$entity"));
        assert!(!ok(ExportFile::ExclusionGroup, "groupsX"));
        assert!(ok(ExportFile::ExclusionGroupMembers, "directoryObjects"));
        let id = "11111111-1111-1111-1111-111111111111";
        assert!(ok(
            ExportFile::Methods(id.into()),
            &format!("users('{id}')/authentication/methods")
        ));
        assert!(!ok(
            ExportFile::Methods(id.into()),
            "users('22222222-2222-2222-2222-222222222222')/authentication/methods"
        ));
        assert!(!ExportFile::Policies.context_matches("identity/conditionalAccess/policies"));
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_timestamp("2024-05-01T10:00:00.1234567Z"),
            Some(1_714_557_600)
        );
        assert_eq!(
            parse_timestamp("2024-05-01T12:00:00+02:00"),
            Some(1_714_557_600)
        );
        assert_eq!(parse_timestamp("2024-05-01"), None);
        assert_eq!(parse_timestamp("2024-13-01T10:00:00Z"), None);
        assert_eq!(parse_timestamp("2024-05-01T10:00:00Q"), None);
    }
}
