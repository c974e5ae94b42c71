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

/// How often the sign-in alert runs, in minutes (Microsoft: alert on every sign-in, at once).
pub const ALERT_FREQUENCY_MINUTES: u16 = 5;
/// How far back each run looks, in minutes: equal to the frequency, so no sign-in falls
/// between two runs.
pub const ALERT_WINDOW_MINUTES: u16 = 5;
/// Azure Monitor severity of the alert: 0 is Critical (Sentinel's highest is "High").
pub const ALERT_SEVERITY: u8 = 0;

/// The Microsoft Sentinel / Log Analytics query for an alert on any sign-in of the
/// emergency accounts (by UPN, and by object id where known), ready for a scheduled rule.
/// The text output and both alert templates carry this one string.
pub fn sentinel_query(upns: &[String], object_ids: &[String]) -> String {
    let quote = |v: &[String]| {
        v.iter()
            .map(|s| kql_string(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut filter = format!("UserPrincipalName in~ ({})", quote(upns));
    if !object_ids.is_empty() {
        filter = format!("{filter}\n    or UserId in ({})", quote(object_ids));
    }
    format!(
        "// breakglass: alert on ANY sign-in of the emergency accounts.\n\
         // Scheduled analytics rule: run every {ALERT_FREQUENCY_MINUTES} minutes over the last {ALERT_WINDOW_MINUTES} minutes,\n\
         // alert when the number of results is greater than 0, severity High/Critical (Sev {ALERT_SEVERITY}),\n\
         // with an action group that emails, texts and calls the security team.\n\
         SigninLogs\n\
         | where {filter}\n\
         | project TimeGenerated, UserPrincipalName, UserId, IPAddress, Location,\n\
         \x20         AppDisplayName, ResultType, ConditionalAccessStatus\n"
    )
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
        "Create the sign-in alert (`breakglass monitoring`), sign in once with each account, and check that the alert fires and reaches people.".into(),
        "Put each sheet in a tamper-evident bag, record the bag serial on the sheet and in your records, and take it to its location.".into(),
        format!("Drill at least every {drill_interval_days} days, after staff changes and when subscriptions change (`breakglass drill`)."),
    ]
}

impl NameError {
    /// This error's name in FORMAT.md §9 (`Kdf/TooExpensive`): frozen, like the format itself,
    /// so tests, vectors and other decoders can match on it. Never rename one.
    pub fn kind(&self) -> String {
        match self {
            Self::BadTenant { .. } => "BadTenant".into(),
            Self::BadDomain { .. } => "BadDomain".into(),
            Self::BadUserPart { .. } => "BadUserPart".into(),
        }
    }
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

    use super::*;

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
