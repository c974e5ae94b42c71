//! Microsoft Entra ID naming rules for emergency accounts (UPNs and tenant domains).
//!
//! Rules from "Password policies and account restrictions in Microsoft Entra ID": the user part
//! of a UPN allows `A–Z a–z 0–9 ' . - _ ! # ^ ~`, at most 64 characters before `@`, 48 after,
//! 113 in all, and no `.` right before `@`. This module validates; it never prints.

/// Why a tenant or UPN was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    #[error(
        "tenant name {0:?} is not valid: use the part before .onmicrosoft.com (letters and digits, at most 27)"
    )]
    BadTenant(String),
    #[error("domain {0:?} is not a valid DNS name of at most 48 characters")]
    BadDomain(String),
    #[error(
        "user name {0:?} is not valid for Entra ID: use letters, digits and ' . - _ ! # ^ ~, at most 64 characters, not ending in '.'"
    )]
    BadUserPart(String),
}

/// The tenant's initial domain for a tenant name: `contoso` → `contoso.onmicrosoft.com`.
///
/// # Errors
/// [`NameError::BadTenant`] for anything but 1–27 ASCII letters and digits.
pub fn onmicrosoft_domain(tenant: &str) -> Result<String, NameError> {
    let t = tenant.trim().to_ascii_lowercase();
    let t = t.strip_suffix(".onmicrosoft.com").unwrap_or(&t);
    if t.is_empty() || t.len() > 27 || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(NameError::BadTenant(tenant.to_string()));
    }
    Ok(format!("{t}.onmicrosoft.com"))
}

/// True when the domain is a tenant's `*.onmicrosoft.com` domain, as Microsoft advises for
/// emergency accounts (cloud-only, not federated).
pub fn is_onmicrosoft(domain: &str) -> bool {
    domain.to_ascii_lowercase().ends_with(".onmicrosoft.com")
}

/// Checks a custom domain's shape.
///
/// # Errors
/// [`NameError::BadDomain`] when it is not a DNS name of at most 48 characters.
pub fn validate_domain(domain: &str) -> Result<(), NameError> {
    let ok = !domain.is_empty()
        && domain.len() <= 48
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(NameError::BadDomain(domain.to_string()))
    }
}

/// Builds and validates a UPN from a user part and a domain.
///
/// # Errors
/// [`NameError`] naming the part that breaks Entra ID's rules.
pub fn upn(user: &str, domain: &str) -> Result<String, NameError> {
    validate_domain(domain)?;
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"'.-_!#^~".contains(&b);
    if user.is_empty()
        || user.len() > 64
        || !user.bytes().all(allowed)
        || user.ends_with('.')
        || user.len() + 1 + domain.len() > 113
    {
        return Err(NameError::BadUserPart(user.to_string()));
    }
    Ok(format!("{user}@{domain}"))
}

/// How often the alert rules run, in minutes, and how far back each run looks by *ingestion*
/// time (`ingestion_time()`): equal to the frequency, so each record is caught by exactly one
/// run (Microsoft Learn, "Handle ingestion delay in scheduled analytics rules").
pub const ALERT_FREQUENCY_MINUTES: u16 = 5;
/// How late a record may reach the workspace and still be caught: the look-back on
/// `TimeGenerated` is widened by this much. Entra ID's sign-in and audit logs routinely reach
/// Log Analytics minutes after the event; a 5-minute look-back on `TimeGenerated` alone misses
/// any record ingested after the run that would have covered it.
pub const ALERT_INGESTION_DELAY_MINUTES: u16 = 25;
/// How far back each run looks by `TimeGenerated`, in minutes: the rule's query period
/// (Sentinel `queryPeriod`, Azure Monitor `windowSize`), the ingestion delay plus the frequency.
pub const ALERT_WINDOW_MINUTES: u16 = ALERT_FREQUENCY_MINUTES + ALERT_INGESTION_DELAY_MINUTES;
/// Azure Monitor severity of the alert: 0 is Critical (Sentinel's highest is "High").
pub const ALERT_SEVERITY: u8 = 0;

/// Role template id of Global Administrator (the same in every tenant).
pub const GLOBAL_ADMINISTRATOR_ROLE_ID: &str = "62e90394-69f5-4237-9190-012177145e10";

/// The two `let` lines and `where` lines of Microsoft's ingestion-delay pattern, for `table`.
fn ingestion_window(table: &str) -> String {
    format!(
        "{table}\n\
         \x20   | where TimeGenerated >= ago(ingestion_delay + rule_look_back)\n\
         \x20   | where ingestion_time() > ago(rule_look_back)"
    )
}

/// The header every alert query shares: what fires, the schedule and the ingestion-delay lets.
fn alert_header(what: &str) -> String {
    format!(
        "// breakglass: alert on ANY {what}.\n\
         // Scheduled analytics rule: run every {ALERT_FREQUENCY_MINUTES} minutes over the last {ALERT_WINDOW_MINUTES} minutes,\n\
         // keeping only the records ingested in the last {ALERT_FREQUENCY_MINUTES} minutes: a record that reaches the\n\
         // workspace up to {ALERT_INGESTION_DELAY_MINUTES} minutes late is caught once and only once (Microsoft Learn,\n\
         // \"Handle ingestion delay in scheduled analytics rules\").\n\
         // Alert when the number of results is greater than 0, severity High/Critical (Sev {ALERT_SEVERITY}),\n\
         // with an action group that emails, texts and calls the security team.\n\
         let ingestion_delay = {ALERT_INGESTION_DELAY_MINUTES}min;\n\
         let rule_look_back = {ALERT_FREQUENCY_MINUTES}min;\n"
    )
}

fn quote_list(v: &[String]) -> String {
    v.iter()
        .map(|s| kql_string(s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Microsoft Sentinel / Log Analytics query for an alert on any sign-in of the
/// emergency accounts, interactive (`SigninLogs`) or not (`AADNonInteractiveUserSignInLogs`:
/// a token replayed from an emergency session), by UPN and by object id where known, with
/// Microsoft's ingestion-delay pattern. The text output and both alert templates carry this
/// one string. It projects `AccountName` and `AccountUPNSuffix` for Sentinel's entity mapping.
pub fn sentinel_query(upns: &[String], object_ids: &[String]) -> String {
    let mut filters = Vec::new();
    if !upns.is_empty() {
        filters.push(format!("UserPrincipalName in~ ({})", quote_list(upns)));
    }
    if !object_ids.is_empty() {
        filters.push(format!("UserId in ({})", quote_list(object_ids)));
    }
    format!(
        "{}union isfuzzy=true\n\
         \x20   ({}),\n\
         \x20   ({})\n\
         | where {}\n\
         | extend AccountName = tostring(split(UserPrincipalName, \"@\")[0]),\n\
         \x20        AccountUPNSuffix = tostring(split(UserPrincipalName, \"@\")[1])\n\
         | project TimeGenerated, Type, UserPrincipalName, UserId, AccountName, AccountUPNSuffix,\n\
         \x20         IPAddress, Location, AppDisplayName, ResultType, ConditionalAccessStatus\n",
        alert_header("sign-in of the emergency accounts, interactive or not"),
        ingestion_window("SigninLogs"),
        ingestion_window("AADNonInteractiveUserSignInLogs"),
        filters.join("\n    or "),
    )
}

/// The query for an alert on any directory change to the emergency accounts or to their
/// exclusion group (`AuditLogs`): a password reset or change, security info (an
/// authentication method) registered or deleted, a member added to or removed from the
/// exclusion group, a role assignment removed, and every other change whose target is one of
/// them. Same schedule and ingestion-delay handling as [`sentinel_query`].
pub fn audit_query(upns: &[String], object_ids: &[String], group: Option<&str>) -> String {
    let mut ids: Vec<String> = object_ids.to_vec();
    ids.extend(group.map(str::to_string));
    let mut filters = Vec::new();
    if !ids.is_empty() {
        filters.push(format!("tostring(Target.id) in ({})", quote_list(&ids)));
    }
    if !upns.is_empty() {
        filters.push(format!(
            "tostring(Target.userPrincipalName) in~ ({})",
            quote_list(upns)
        ));
    }
    if let Some(g) = group {
        // "Add member to group" also names the group in the member's modified properties.
        filters.push(format!(
            "tostring(Target.modifiedProperties) contains {}",
            kql_string(g)
        ));
    }
    format!(
        "{}{}\n\
         | mv-apply Target = TargetResources on (\n\
         \x20   where {}\n\
         \x20   | take 1)\n\
         | extend TargetId = tostring(Target.id), TargetUPN = tostring(Target.userPrincipalName),\n\
         \x20        ActorUPN = tostring(InitiatedBy.user.userPrincipalName),\n\
         \x20        ActorIPAddress = tostring(InitiatedBy.user.ipAddress),\n\
         \x20        ActorApp = tostring(InitiatedBy.app.displayName)\n\
         | project TimeGenerated, OperationName, Result, TargetId, TargetUPN, ActorUPN,\n\
         \x20         ActorIPAddress, ActorApp, CorrelationId\n",
        alert_header(
            "change to the emergency accounts or their exclusion group\n\
             // (password reset, security info registered or deleted, group member added or removed,\n\
             // role assignment removed, and any other change that targets them)"
        ),
        ingestion_window("AuditLogs").replacen("\n    |", "\n|", 2),
        filters.join("\n        or "),
    )
}

/// Where to find an account's object id, and where to put it: said whenever the alert has to
/// match by UPN alone (a renamed account would escape it).
pub const OBJECT_ID_HELP: &str = "find it in the Microsoft Entra admin center (Identity > Users > All users > the account > Overview > Object ID) or with Microsoft Graph PowerShell: (Get-MgUser -UserId 'UPN').Id; write it in the plan as object_id = \"GUID\" under that [[account]]";

/// The warning for accounts whose object id is not known (`None` when every one is known).
pub fn missing_object_id_warning(upns_without_id: &[String]) -> Option<String> {
    if upns_without_id.is_empty() {
        return None;
    }
    Some(format!(
        "no object id is known for {}: the alert matches the UPN only, and a renamed account escapes it; {OBJECT_ID_HELP}",
        upns_without_id.join(", ")
    ))
}

/// A KQL string literal holding exactly `s`: double-quoted, with backslash, quote and line
/// breaks escaped as KQL's own escapes, so no value can end the literal or the line. Other
/// control characters (never valid in a UPN or GUID) become U+FFFD.
pub fn kql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The checklist that follows a ceremony (Microsoft's guidance for emergency access).
pub fn ceremony_checklist(drill_interval_days: u16) -> Vec<String> {
    vec![
        "Create the accounts cloud-only on the *.onmicrosoft.com domain; assign Global Administrator active and permanent (not eligible through PIM).".into(),
        "Register the FIDO2 keys (passkeys) with the PINs shown; use a different method from the normal admins'.".into(),
        "Exclude the accounts (through one group) from Conditional Access policies that could lock them out; keep MFA: it cannot be bypassed for the portals.".into(),
        "Set the passwords to never expire (DisablePasswordExpiration; tenants created before 2021 default to 90 days).".into(),
        "Send the SignInLogs, NonInteractiveUserSignInLogs and AuditLogs categories to the workspace (Entra ID diagnostic settings), create the sign-in and audit alerts (`breakglass monitoring`), sign in once with each account, and check that the alert fires and reaches people.".into(),
        "Put each sheet in a tamper-evident bag, record the bag serial on the sheet and in your records, and take it to its location.".into(),
        format!("Drill at least every {drill_interval_days} days, after staff changes and when subscriptions change (`breakglass drill`)."),
    ]
}

crate::error_kinds! { NameError {
    BadTenant => "BadTenant",
    BadDomain => "BadDomain",
    BadUserPart => "BadUserPart",
} }

/// True for an object id in the form Entra ID shows it (8-4-4-4-12 hex digits).
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn kql_strings_cannot_be_broken_out_of() {
        assert_eq!(super::kql_string("a@b.com"), r#""a@b.com""#);
        assert_eq!(super::kql_string(r"x\"), r#""x\\""#);
        assert_eq!(super::kql_string("x\"y"), r#""x\"y""#);
        assert_eq!(super::kql_string("x\ny"), r#""x\ny""#);
        assert_eq!(super::kql_string("x\u{1b}y"), "\"x\u{FFFD}y\"");
    }

    #[test]
    fn sentinel_query_filters_every_account() {
        let q = super::sentinel_query(
            &[
                "bg1@c.onmicrosoft.com".into(),
                "bg2@c.onmicrosoft.com".into(),
            ],
            &["11111111-2222-3333-4444-555555555555".into()],
        );
        assert!(q.contains("SigninLogs"));
        assert!(q.contains(
            "UserPrincipalName in~ (\"bg1@c.onmicrosoft.com\", \"bg2@c.onmicrosoft.com\")"
        ));
        assert!(q.contains("or UserId in (\"11111111-2222-3333-4444-555555555555\")"));
        assert!(q.contains("greater than 0"));
        assert!(q.contains("ConditionalAccessStatus"));
        let no_ids = super::sentinel_query(&["a@b.c".into()], &[]);
        assert!(!no_ids.contains("UserId in"));
    }

    #[test]
    fn alert_queries_follow_microsofts_ingestion_delay_pattern() {
        // Look-back on TimeGenerated widened by the delay, one run's worth on ingestion time.
        let upns = ["bg1@c.onmicrosoft.com".to_string()];
        let ids = ["11111111-2222-3333-4444-555555555555".to_string()];
        for q in [
            sentinel_query(&upns, &ids),
            audit_query(&upns, &ids, Some("99999999-2222-3333-4444-555555555555")),
        ] {
            assert!(q.contains("let ingestion_delay = 25min;\nlet rule_look_back = 5min;\n"));
            assert!(q.contains("where TimeGenerated >= ago(ingestion_delay + rule_look_back)"));
            assert!(q.contains("where ingestion_time() > ago(rule_look_back)"));
            assert!(q.contains("run every 5 minutes over the last 30 minutes"));
        }
    }

    #[test]
    fn the_sign_in_query_covers_non_interactive_sign_ins() {
        let q = sentinel_query(&["a@b.c".into()], &[]);
        assert!(q.contains("(SigninLogs\n"));
        assert!(q.contains("(AADNonInteractiveUserSignInLogs\n"));
        // Each table gets the ingestion-time filter inside its own leg of the union.
        assert_eq!(
            q.matches("where ingestion_time() > ago(rule_look_back)")
                .count(),
            2
        );
        // The entity-mapping columns are projected.
        for col in ["AccountName", "AccountUPNSuffix", "UserId", "IPAddress"] {
            assert!(q.contains(col), "{col}");
        }
        // Object ids alone: no empty UPN list (a KQL syntax error).
        let only_ids = sentinel_query(&[], &["11111111-2222-3333-4444-555555555555".into()]);
        assert!(!only_ids.contains("in~ ()"));
        assert!(only_ids.contains("| where UserId in (\"11111111-2222-3333-4444-555555555555\")"));
    }

    #[test]
    fn the_audit_query_watches_the_accounts_and_the_group() {
        let g = "99999999-2222-3333-4444-555555555555";
        let q = audit_query(
            &["bg1@c.onmicrosoft.com".into()],
            &["11111111-2222-3333-4444-555555555555".into()],
            Some(g),
        );
        assert!(q.contains("\nAuditLogs\n| where TimeGenerated"));
        assert!(q.contains(&format!(
            "tostring(Target.id) in (\"11111111-2222-3333-4444-555555555555\", \"{g}\")"
        )));
        assert!(q.contains("tostring(Target.userPrincipalName) in~ (\"bg1@c.onmicrosoft.com\")"));
        assert!(q.contains(&format!(
            "tostring(Target.modifiedProperties) contains \"{g}\""
        )));
        let no_group = audit_query(&["bg1@c.onmicrosoft.com".into()], &[], None);
        assert!(!no_group.contains("Target.id) in"));
        assert!(!no_group.contains("modifiedProperties"));
        assert!(q.starts_with("// breakglass: alert on ANY change"));
    }

    #[test]
    fn a_missing_object_id_is_a_warning_that_says_where_to_find_it() {
        assert_eq!(missing_object_id_warning(&[]), None);
        let w = missing_object_id_warning(&["bg1@c.onmicrosoft.com".into()]).unwrap();
        assert!(w.contains("bg1@c.onmicrosoft.com"));
        assert!(w.contains("Overview > Object ID"));
        assert!(w.contains("Get-MgUser"));
        assert!(w.contains("object_id = "));
    }

    use super::*;

    #[test]
    fn an_object_id_is_a_guid_as_entra_shows_it() {
        assert!(is_guid("00000000-0000-0000-0000-000000000000"));
        assert!(is_guid("1a2B3c4D-5e6F-7a8B-9c0D-1e2F3a4B5c6D"));
        for not in [
            "",
            "00000000-0000-0000-0000-00000000000",
            "00000000-0000-0000-0000-0000000000000",
            "000000000000-0000-0000-00000000-0000",
            "0000000g-0000-0000-0000-000000000000",
            "00000000_0000_0000_0000_000000000000",
        ] {
            assert!(!is_guid(not), "{not:?}");
        }
    }

    #[test]
    fn tenant_domains() {
        assert_eq!(
            onmicrosoft_domain("contoso").unwrap(),
            "contoso.onmicrosoft.com"
        );
        assert_eq!(
            onmicrosoft_domain("Contoso.onmicrosoft.com").unwrap(),
            "contoso.onmicrosoft.com"
        );
        assert!(onmicrosoft_domain("con toso").is_err());
        assert!(onmicrosoft_domain("").is_err());
        assert!(onmicrosoft_domain(&"a".repeat(28)).is_err());
        assert!(is_onmicrosoft("x.onmicrosoft.com"));
        assert!(!is_onmicrosoft("contoso.com"));
    }

    #[test]
    fn upn_rules() {
        assert_eq!(
            upn("breakglass1", "contoso.onmicrosoft.com").unwrap(),
            "breakglass1@contoso.onmicrosoft.com"
        );
        assert!(upn("bg.", "contoso.com").is_err());
        assert!(upn("b g", "contoso.com").is_err());
        assert!(upn(&"a".repeat(65), "contoso.com").is_err());
        assert!(upn("ok", &format!("{}.com", "a".repeat(45))).is_err());
        assert!(upn("ok", "nodot").is_err());
        assert!(upn("o'k_#~^!-", "contoso.com").is_ok());
    }
}
