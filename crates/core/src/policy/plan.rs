//! The ceremony plan (`plan.toml`): who, what and where, written down before the ceremony.
//!
//! Parsing (FORMAT.md §11) and the rules a plan must follow; the CLI reads the file and runs
//! the ceremony. Errors name the line and the field. Unknown fields are refused, so a typo
//! never silently drops a share. The plan is policy, not a sealed format: it uses the Entra
//! rules, the password policy and the placement beside it, and the vault format below it.

use crate::contents::{ContentsError, VaultContents};
use crate::credentials::{self, AccountCredentials, Fido2Key};
use crate::entra::{self, NameError, is_guid};
use crate::password::{self, PasswordPolicy, PolicyError};
use crate::placement::Placement;
use crate::untrusted::{FieldError, check_field};
use crate::vault::{MAX_VAULT_BYTES, ShareLabel, VaultError, check_label, envelope_bytes};
use serde::Deserialize;

/// A commented template, written by `breakglass plan new`.
pub const TEMPLATE: &str = r#"# breakglass ceremony plan. Check it with `breakglass plan check plan.toml`,
# run it with `breakglass ceremony --plan plan.toml --out sheets/`.
version = 1

# The tenant: contoso for contoso.onmicrosoft.com. Microsoft advises cloud-only
# emergency accounts on the *.onmicrosoft.com domain (set `domain` only if you must).
tenant = "contoso"
# domain = "contoso.onmicrosoft.com"

# Shares needed to recover (k). Every location below must hold fewer than k shares,
# and losing any one location should still leave k.
threshold = 2

# Paper for the PDF sheets: "a4" or "letter".
paper = "a4"

# Days between drills; each sheet prints the date the next drill is due.
drill_interval_days = 90

# Also protect the vault with a passphrase (asked twice at the ceremony; never stored).
passphrase = false

# Password length for the accounts (30 to 256).
password_length = 32

# Two or more emergency accounts, generated independently of each other.
[[account]]
user = "breakglass1"                # or a full UPN on the tenant's domain
display_name = "Emergency access 1"
role = "Global Administrator"       # assign it active and permanent, not through PIM
# object_id = "00000000-0000-0000-0000-000000000000"   # for the sign-in alert, once known
password = true
# A FIDO2 security key for this account: a PIN is generated and stored.
[[account.fido2]]
label = "YubiKey 5 NFC"
serial = "12345678"
location = "Safe A (HQ)"
pin_length = 8

[[account]]
user = "breakglass2"
display_name = "Emergency access 2"
role = "Global Administrator"
password = true
# totp_uri_file = "breakglass2-totp.txt"   # an otpauth:// URI to store (the file is read at the ceremony)

# One entry per share sheet: where it is kept and who is responsible for it.
[[share]]
location = "Safe A (HQ)"
custodian = "Alice Example"

[[share]]
location = "Safe B (DR site)"
custodian = "Bob Example"

[[share]]
location = "CISO home safe"
custodian = "Carol Example"
"#;

/// A FIDO2 key named in the plan.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PlanFido2 {
    pub label: String,
    #[serde(default)]
    pub serial: String,
    #[serde(default)]
    pub location: String,
    #[serde(default = "default_pin_length")]
    pub pin_length: usize,
    #[serde(default)]
    pub alphanumeric_pin: bool,
}

/// Plan format version written by `plan new` and the newest this build reads.
pub const PLAN_VERSION: u32 = 1;

fn plan_v1() -> u32 {
    1
}

fn default_pin_length() -> usize {
    8
}
fn yes() -> bool {
    true
}
fn default_drill() -> u16 {
    90
}
fn default_role() -> String {
    "Global Administrator".into()
}

/// An emergency account.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PlanAccount {
    pub user: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default = "default_role")]
    pub role: String,
    #[serde(default)]
    pub object_id: Option<String>,
    #[serde(default = "yes")]
    pub password: bool,
    #[serde(default)]
    pub fido2: Vec<PlanFido2>,
    #[serde(default)]
    pub totp_uri_file: Option<String>,
}

/// A share sheet.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PlanShare {
    pub location: String,
    #[serde(default)]
    pub custodian: String,
}

/// The whole plan as written.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Plan format version (FORMAT.md §11); absent means 1.
    #[serde(default = "plan_v1")]
    pub version: u32,
    pub tenant: String,
    #[serde(default)]
    pub domain: Option<String>,
    pub threshold: u8,
    #[serde(default)]
    pub paper: Option<String>,
    #[serde(default = "default_drill")]
    pub drill_interval_days: u16,
    #[serde(default)]
    pub passphrase: bool,
    #[serde(default)]
    pub password_length: Option<usize>,
    /// Accept a location or custodian that can recover alone (not advised).
    #[serde(default)]
    pub allow_single_location_recovery: bool,
    /// Accept a plan with one account (not advised: `ceremony --allow-single-account`).
    #[serde(default)]
    pub allow_single_account: bool,
    /// Object id of the group that Conditional Access policies exclude (the accounts' only
    /// members); for the audit alert, the tenant scripts and the tenant audit.
    #[serde(default)]
    pub exclusion_group: Option<String>,
    #[serde(rename = "account", default)]
    pub accounts: Vec<PlanAccount>,
    #[serde(rename = "share", default)]
    pub shares: Vec<PlanShare>,
}

/// Why a plan was refused: one variant per rule, so a caller (and a test) can tell them apart.
/// Their [kinds](crate::ErrorKind::kind) are three frozen classes: `Syntax`, `Invalid`, `Placement`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error("this plan is format {version}, written for a newer breakglass: upgrade to use it")]
    NewerVersion { version: u32 },
    /// A text value with a control, bidirectional or line-separator character.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A tenant, domain or user name Entra ID refuses.
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("account {user}: its domain is not the plan's domain {domain}")]
    ForeignDomain { user: String, domain: String },
    #[error("exclusion_group {0:?} is not a GUID: give the group's object id as Entra ID shows it")]
    ExclusionGroupNotAGuid(String),
    #[error("account {upn}: object_id {id:?} is not a GUID")]
    ObjectIdNotAGuid { upn: String, id: String },
    #[error("the plan has no [[account]]: add at least one (Microsoft advises two)")]
    NoAccount,
    #[error(
        "the plan has one [[account]]: Microsoft advises two or more emergency accounts, so one locked-out, expired or misconfigured account does not end emergency access. Add a second [[account]], or set allow_single_account = true if one is really meant"
    )]
    SingleAccount,
    #[error("account {0} appears twice")]
    DuplicateAccount(String),
    #[error("account {0} has no credential: set password = true, or add a FIDO2 key")]
    NoCredential(String),
    #[error("account {0}: a FIDO2 key has no label")]
    Fido2WithoutLabel(String),
    #[error("account {upn}, key {label}: pin_length must be 4 to 63")]
    PinLength { upn: String, label: String },
    /// `password_length` outside the policy's range.
    #[error(transparent)]
    Password(#[from] PolicyError),
    #[error("the plan has {0} [[share]] entries: 2 to 255 are possible")]
    ShareCount(usize),
    #[error(
        "threshold {threshold} is impossible with {shares} shares (need 2 ≤ threshold ≤ shares)"
    )]
    Threshold { threshold: u8, shares: usize },
    #[error("a [[share]] has no location")]
    NoLocation,
    /// A location or custodian the vault format refuses (FORMAT.md §3).
    #[error(transparent)]
    Label(#[from] VaultError),
    #[error("paper {0:?}: use \"a4\" or \"letter\"")]
    Paper(String),
    /// Contents that cannot be encoded (a field too long).
    #[error(transparent)]
    Contents(#[from] ContentsError),
    #[error(
        "the vault would be at least {size} bytes, above the format's limit of {max} bytes: use fewer shares or shorter location and custodian names"
    )]
    VaultTooLarge { size: usize, max: usize },
    #[error(
        "the placement lets one place or person recover alone: {0}. Move shares, or set allow_single_location_recovery = true if you really mean it"
    )]
    Placement(String),
}

/// What each plan key takes, with an example: a TOML error names the key it is about.
const KEY_HELP: &[(&str, &str, &str)] = &[
    ("version", "a whole number", "version = 1"),
    ("tenant", "a name in quotes", "tenant = \"contoso\""),
    (
        "domain",
        "a domain name in quotes",
        "domain = \"contoso.onmicrosoft.com\"",
    ),
    (
        "threshold",
        "a whole number from 2 to 255, without quotes",
        "threshold = 2",
    ),
    ("paper", "\"a4\" or \"letter\", in quotes", "paper = \"a4\""),
    (
        "drill_interval_days",
        "a whole number of days, 0 for none",
        "drill_interval_days = 90",
    ),
    ("passphrase", "true or false", "passphrase = true"),
    (
        "password_length",
        "a whole number from 30 to 256",
        "password_length = 40",
    ),
    (
        "allow_single_location_recovery",
        "true or false",
        "allow_single_location_recovery = false",
    ),
    (
        "allow_single_account",
        "true or false",
        "allow_single_account = false",
    ),
    (
        "exclusion_group",
        "a GUID in quotes",
        "exclusion_group = \"00000000-0000-0000-0000-000000000000\"",
    ),
    ("user", "a user name in quotes", "user = \"breakglass1\""),
    (
        "display_name",
        "text in quotes",
        "display_name = \"Emergency access 1\"",
    ),
    (
        "role",
        "a role name in quotes",
        "role = \"Global Administrator\"",
    ),
    (
        "object_id",
        "a GUID in quotes",
        "object_id = \"00000000-0000-0000-0000-000000000000\"",
    ),
    ("password", "true or false", "password = true"),
    (
        "totp_uri_file",
        "a file name in quotes",
        "totp_uri_file = \"totp.txt\"",
    ),
    ("location", "text in quotes", "location = \"Safe A (HQ)\""),
    (
        "custodian",
        "a name in quotes",
        "custodian = \"Alice Example\"",
    ),
    ("label", "text in quotes", "label = \"YubiKey 5 NFC\""),
    ("serial", "text in quotes", "serial = \"12345678\""),
    (
        "pin_length",
        "a whole number from 4 to 63",
        "pin_length = 8",
    ),
    (
        "alphanumeric_pin",
        "true or false",
        "alphanumeric_pin = false",
    ),
];

/// A TOML parser message in the user's words: which key on that line, what it takes, and an
/// example. The parser's own words follow in brackets (they name the TOML detail).
fn in_plain_words(text: &str, line: usize, parser: &str) -> String {
    let key = text
        .lines()
        .nth(line.wrapping_sub(1))
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim().trim_matches('"'));
    match key.and_then(|k| KEY_HELP.iter().find(|(name, _, _)| *name == k)) {
        Some((name, takes, example)) => format!(
            "`{name}` takes {takes}, e.g. `{example}` (TOML: {})",
            parser.trim()
        ),
        None => parser.to_string(),
    }
}

impl Plan {
    /// Parses plan text.
    ///
    /// # Errors
    /// [`PlanError::Syntax`] with the line of the problem.
    pub fn parse(text: &str) -> Result<Self, PlanError> {
        let plan: Self = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            PlanError::Syntax {
                line,
                message: in_plain_words(text, line, e.message()),
            }
        })?;
        if plan.version > PLAN_VERSION {
            return Err(PlanError::NewerVersion {
                version: plan.version,
            });
        }
        Ok(plan)
    }

    /// The accounts' domain.
    ///
    /// # Errors
    /// [`PlanError::Name`] for a bad tenant or domain.
    pub fn domain(&self) -> Result<String, PlanError> {
        match &self.domain {
            Some(d) => {
                entra::validate_domain(d)?;
                Ok(d.to_ascii_lowercase())
            }
            None => Ok(entra::onmicrosoft_domain(&self.tenant)?),
        }
    }

    /// The UPN of an account (a bare user name gets the plan's domain).
    ///
    /// # Errors
    /// [`PlanError::Name`] when it breaks Entra ID's rules, [`PlanError::ForeignDomain`] when
    /// it names another domain.
    pub fn upn(&self, a: &PlanAccount) -> Result<String, PlanError> {
        let domain = self.domain()?;
        let (user, dom) = match a.user.split_once('@') {
            Some((u, d)) => (u, d.to_ascii_lowercase()),
            None => (a.user.as_str(), domain.clone()),
        };
        if dom != domain {
            return Err(PlanError::ForeignDomain {
                user: a.user.clone(),
                domain,
            });
        }
        Ok(entra::upn(user, &dom)?)
    }

    pub fn labels(&self) -> Vec<ShareLabel> {
        self.shares
            .iter()
            .map(|s| ShareLabel {
                location: s.location.trim().to_string(),
                custodian: s.custodian.trim().to_string(),
            })
            .collect()
    }

    pub fn password_policy(&self) -> PasswordPolicy {
        PasswordPolicy {
            length: self
                .password_length
                .unwrap_or(password::DEFAULT_PASSWORD_LEN),
            ..PasswordPolicy::default()
        }
    }

    pub fn placement(&self) -> Placement {
        Placement::new(self.threshold, &self.labels())
    }

    /// Checks everything that can be checked before the ceremony. Returns warnings.
    ///
    /// # Errors
    /// [`PlanError`] for the first rule broken.
    pub fn validate(&self) -> Result<Vec<String>, PlanError> {
        self.check_fields()?;
        let mut warnings = Vec::new();
        let domain = self.domain()?;
        if !entra::is_onmicrosoft(&domain) {
            warnings.push(format!(
                "{domain} is not an onmicrosoft.com domain: Microsoft advises cloud-only emergency accounts on the tenant's *.onmicrosoft.com domain"
            ));
        }
        if let Some(g) = &self.exclusion_group
            && !is_guid(g)
        {
            return Err(PlanError::ExclusionGroupNotAGuid(g.clone()));
        }
        if self.accounts.is_empty() {
            return Err(PlanError::NoAccount);
        }
        if self.accounts.len() < 2 {
            if !self.allow_single_account {
                return Err(PlanError::SingleAccount);
            }
            warnings.push("only one emergency account: Microsoft advises two or more".into());
        }
        let mut upns = Vec::new();
        for a in &self.accounts {
            let upn = self.upn(a)?;
            if upns.contains(&upn) {
                return Err(PlanError::DuplicateAccount(upn));
            }
            if !a.password && a.fido2.is_empty() && a.totp_uri_file.is_none() {
                return Err(PlanError::NoCredential(upn));
            }
            for k in &a.fido2 {
                if k.label.trim().is_empty() {
                    return Err(PlanError::Fido2WithoutLabel(upn));
                }
                if !(4..=63).contains(&k.pin_length) {
                    return Err(PlanError::PinLength {
                        upn,
                        label: k.label.clone(),
                    });
                }
            }
            if let Some(id) = &a.object_id
                && !is_guid(id)
            {
                return Err(PlanError::ObjectIdNotAGuid {
                    upn,
                    id: id.clone(),
                });
            }
            if !a.role.eq_ignore_ascii_case("Global Administrator") {
                warnings.push(format!(
                    "account {upn} has role {:?}: emergency accounts are usually Global Administrators",
                    a.role
                ));
            }
            upns.push(upn);
        }
        self.password_policy().validate()?;
        let n = self.shares.len();
        if !(2..=255).contains(&n) {
            return Err(PlanError::ShareCount(n));
        }
        if self.threshold < 2 || usize::from(self.threshold) > n {
            return Err(PlanError::Threshold {
                threshold: self.threshold,
                shares: n,
            });
        }
        for s in &self.shares {
            if s.location.trim().is_empty() {
                return Err(PlanError::NoLocation);
            }
            check_label(&s.location, "location")?;
            check_label(&s.custodian, "custodian")?;
        }
        match self
            .paper
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("a4") | Some("letter") => {}
            Some(other) => return Err(PlanError::Paper(other.to_string())),
        }
        self.check_envelope_size(&domain, &upns)?;
        let placement = self.placement();
        if placement.refused() && !self.allow_single_location_recovery {
            let alone: Vec<String> = placement
                .report()
                .into_iter()
                .filter(|l| l.contains("ALONE") || l.contains("CAN RECOVER ALONE"))
                .collect();
            return Err(PlanError::Placement(alone.join(" ")));
        }
        warnings.extend(
            placement
                .report()
                .into_iter()
                .filter(|l| l.contains("LOSING") || l.starts_with("All shares")),
        );
        Ok(warnings)
    }
}

impl Plan {
    /// Every text value of the plan, checked before any other rule (whose messages quote
    /// values): no control, bidirectional-formatting or line-separator characters, so nothing
    /// in a plan can drive the terminal at the ceremony or disguise itself on a sheet.
    ///
    /// # Errors
    /// [`FieldError`] naming the plan key and its table.
    pub fn check_fields(&self) -> Result<(), FieldError> {
        let key = |name: &'static str| move || format!("plan key `{name}`");
        check_field(&self.tenant, key("tenant"))?;
        if let Some(d) = &self.domain {
            check_field(d, key("domain"))?;
        }
        if let Some(p) = &self.paper {
            check_field(p, key("paper"))?;
        }
        if let Some(g) = &self.exclusion_group {
            check_field(g, key("exclusion_group"))?;
        }
        for (i, a) in (1..).zip(&self.accounts) {
            let at = |name: &'static str| move || format!("plan key `{name}` of [[account]] {i}");
            check_field(&a.user, at("user"))?;
            check_field(&a.display_name, at("display_name"))?;
            check_field(&a.role, at("role"))?;
            if let Some(id) = &a.object_id {
                check_field(id, at("object_id"))?;
            }
            if let Some(f) = &a.totp_uri_file {
                check_field(f, at("totp_uri_file"))?;
            }
            for (j, k) in (1..).zip(&a.fido2) {
                let at = |name: &'static str| {
                    move || format!("plan key `{name}` of [[account.fido2]] {j} of [[account]] {i}")
                };
                check_field(&k.label, at("label"))?;
                check_field(&k.serial, at("serial"))?;
                check_field(&k.location, at("location"))?;
            }
        }
        for (i, sh) in (1..).zip(&self.shares) {
            let at = |name: &'static str| move || format!("plan key `{name}` of [[share]] {i}");
            check_field(&sh.location, at("location"))?;
            check_field(&sh.custodian, at("custodian"))?;
        }
        Ok(())
    }

    /// The FIDO2 entry's label as the ceremony stores it: label, `#serial`, `(location)`.
    pub fn fido2_label(k: &PlanFido2) -> String {
        let mut label = k.label.clone();
        if !k.serial.is_empty() {
            label.push_str(&format!(" #{}", k.serial));
        }
        if !k.location.is_empty() {
            label.push_str(&format!(" ({})", k.location));
        }
        label
    }

    /// Refuses a plan whose vault cannot fit the format's envelope cap (FORMAT.md §3). TOTP
    /// files are read only at the ceremony, which checks the full size again before
    /// generating anything.
    fn check_envelope_size(&self, domain: &str, upns: &[String]) -> Result<(), PlanError> {
        let size = self.least_envelope_bytes(domain, upns)?;
        if size > MAX_VAULT_BYTES {
            return Err(PlanError::VaultTooLarge {
                size,
                max: MAX_VAULT_BYTES,
            });
        }
        Ok(())
    }

    /// The vault's envelope size before TOTP seeds: header, passwords and PINs are known by
    /// their length alone.
    fn least_envelope_bytes(&self, domain: &str, upns: &[String]) -> Result<usize, PlanError> {
        let policy = self.password_policy();
        let entries = self
            .accounts
            .iter()
            .zip(upns)
            .flat_map(|(a, upn)| {
                credentials::placeholder_entries(&Plan::credentials(a, upn.clone()), &policy)
            })
            .collect();
        let contents = VaultContents { entries };
        Ok(envelope_bytes(
            domain,
            &self.labels(),
            self.passphrase,
            &contents,
        )?)
    }

    /// What the ceremony generates for an account whose UPN is `upn`: the display name is the
    /// user name when the plan gives none.
    pub fn credentials(a: &PlanAccount, upn: String) -> AccountCredentials {
        AccountCredentials {
            upn,
            display_name: if a.display_name.is_empty() {
                a.user.clone()
            } else {
                a.display_name.clone()
            },
            password: a.password,
            fido2: a
                .fido2
                .iter()
                .map(|k| Fido2Key {
                    label: Plan::fido2_label(k),
                    pin_length: k.pin_length,
                    alphanumeric: k.alphanumeric_pin,
                })
                .collect(),
        }
    }
}

crate::error_kinds! { PlanError {
    Syntax => "Syntax",
    Placement => "Placement",
    // Every other refusal of a plan's content is one kind: the message says which.
    NewerVersion | Field | Name | ForeignDomain | ExclusionGroupNotAGuid | ObjectIdNotAGuid
        | NoAccount | SingleAccount | DuplicateAccount | NoCredential | Fido2WithoutLabel
        | PinLength | Password | ShareCount | Threshold | NoLocation | Label | Paper | Contents
        | VaultTooLarge => "Invalid",
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn template_is_a_valid_plan() {
        let p = Plan::parse(TEMPLATE).unwrap();
        assert_eq!(p.accounts.len(), 2);
        assert_eq!(p.shares.len(), 3);
        assert_eq!(p.threshold, 2);
        assert_eq!(p.accounts[0].fido2[0].serial, "12345678");
        assert_eq!(
            p.upn(&p.accounts[1]).unwrap(),
            "breakglass2@contoso.onmicrosoft.com"
        );
        assert_eq!(p.validate().unwrap(), Vec::<String>::new());
    }

    /// The smallest plan FORMAT.md §11 allows, with every default it states; a newer version
    /// and an impossible threshold are refused.
    #[test]
    fn a_minimal_plan_takes_the_documented_defaults() {
        let minimal = "tenant = \"contoso\"\nthreshold = 2\n\
            [[account]]\nuser = \"bg1\"\n[[account.fido2]]\nlabel = \"key\"\n\
            [[account]]\nuser = \"bg2\"\n\
            [[share]]\nlocation = \"A\"\n[[share]]\nlocation = \"B\"\n[[share]]\nlocation = \"C\"\n";
        let p = Plan::parse(minimal).unwrap();
        assert_eq!(p.version, 1);
        assert_eq!(p.drill_interval_days, 90);
        assert!(!p.passphrase);
        let a = &p.accounts[0];
        assert_eq!(a.role, "Global Administrator");
        assert!(a.password);
        assert_eq!(a.fido2[0].pin_length, 8);
        assert!(!a.fido2[0].alphanumeric_pin);
        assert_eq!(p.password_policy().length, password::DEFAULT_PASSWORD_LEN);
        assert_eq!(p.validate().unwrap(), Vec::<String>::new());

        let longer = Plan::parse(&format!("password_length = 40\n{minimal}")).unwrap();
        assert_eq!(longer.password_policy().length, 40);

        let one = Plan::parse(&format!("version = 1\n{minimal}")).unwrap();
        assert_eq!(one, p);
        let e = Plan::parse(&format!("version = 2\n{minimal}")).unwrap_err();
        assert!(e.to_string().contains("newer breakglass"), "{e}");

        let low = Plan::parse(&minimal.replace("threshold = 2", "threshold = 1")).unwrap();
        let e = low.validate().unwrap_err();
        assert!(e.to_string().contains("threshold 1 is impossible"), "{e}");
    }

    /// A plan whose vault could not print is refused before anything is generated, naming the
    /// limit; one just like it with short names passes.
    #[test]
    fn a_plan_too_large_to_print_is_refused() {
        let mut plan = Plan::parse(TEMPLATE).unwrap();
        assert_eq!(plan.validate().unwrap(), Vec::<String>::new());
        let long = "L".repeat(200);
        plan.shares = (0..60)
            .map(|i| PlanShare {
                location: format!("Safe {i}"),
                custodian: long.clone(),
            })
            .collect();
        let e = plan.validate().unwrap_err();
        assert!(e.to_string().contains("above the format's limit"), "{e}");
        // Exactly at the limit it still prints; one byte more does not.
        let domain = plan.domain().unwrap();
        let upns: Vec<String> = plan.accounts.iter().map(|a| plan.upn(a).unwrap()).collect();
        let size = |p: &Plan| p.least_envelope_bytes(&domain, &upns).unwrap();
        let mut over = size(&plan) - MAX_VAULT_BYTES;
        for share in &mut plan.shares {
            let cut = over.min(share.custodian.len());
            share.custodian.truncate(share.custodian.len() - cut);
            over -= cut;
        }
        assert_eq!(size(&plan), MAX_VAULT_BYTES);
        assert_eq!(plan.check_envelope_size(&domain, &upns), Ok(()));
        plan.shares[0].custodian.push('L');
        assert!(plan.check_envelope_size(&domain, &upns).is_err());
    }

    #[test]
    fn a_fido2_label_carries_its_serial_and_location_when_given() {
        let key = |serial: &str, location: &str| PlanFido2 {
            label: "YubiKey 5".into(),
            serial: serial.into(),
            location: location.into(),
            pin_length: 8,
            alphanumeric_pin: false,
        };
        assert_eq!(Plan::fido2_label(&key("", "")), "YubiKey 5");
        assert_eq!(Plan::fido2_label(&key("123", "")), "YubiKey 5 #123");
        assert_eq!(Plan::fido2_label(&key("", "Safe A")), "YubiKey 5 (Safe A)");
        assert_eq!(
            Plan::fido2_label(&key("123", "Safe A")),
            "YubiKey 5 #123 (Safe A)"
        );
    }

    #[test]
    fn exclusion_group_is_optional_and_a_guid() {
        let with = |line: &str| format!("{line}\n{TEMPLATE}");
        assert_eq!(Plan::parse(TEMPLATE).unwrap().exclusion_group, None);
        let p = Plan::parse(&with(
            "exclusion_group = \"11111111-2222-3333-4444-555555555555\"",
        ))
        .unwrap();
        assert_eq!(
            p.exclusion_group.as_deref(),
            Some("11111111-2222-3333-4444-555555555555")
        );
        p.validate().unwrap();
        let bad = Plan::parse(&with("exclusion_group = \"not-a-guid\"")).unwrap();
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("exclusion_group")
        );
    }

    /// Threshold equal to the number of shares is possible (with its warnings); one location
    /// holding enough shares is refused by name.
    #[test]
    fn the_threshold_and_the_placement_are_checked() {
        let mut all = Plan::parse(TEMPLATE).unwrap();
        all.threshold = all.shares.len() as u8;
        assert!(!all.validate().unwrap().is_empty());
        all.threshold += 1;
        assert!(
            all.validate()
                .unwrap_err()
                .to_string()
                .contains("impossible")
        );
        let mut alone = Plan::parse(TEMPLATE).unwrap();
        alone.shares[1].location = alone.shares[0].location.clone();
        alone.shares[1].custodian = alone.shares[0].custodian.clone();
        let e = alone.validate().unwrap_err();
        assert_eq!(e.kind(), "Placement");
        let place = &alone.shares[0].location;
        assert!(
            e.to_string()
                .contains(&format!("{place} ALONE CAN RECOVER")),
            "{e}"
        );
    }

    /// One account is refused as `ceremony --accounts 1` is, and accepted only when the plan
    /// says so, with the warning kept.
    #[test]
    fn one_account_needs_the_override() {
        let mut one = Plan::parse(TEMPLATE).unwrap();
        one.accounts.truncate(1);
        let e = one.validate().unwrap_err();
        assert_eq!(e.kind(), "Invalid");
        assert!(e.to_string().contains("allow_single_account = true"), "{e}");
        let text = format!("allow_single_account = true\n{TEMPLATE}");
        let mut allowed = Plan::parse(&text).unwrap();
        assert!(allowed.allow_single_account);
        allowed.accounts.truncate(1);
        let warnings = allowed.validate().unwrap();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("only one emergency account"))
        );
        let typo = format!("allow_single_account = \"yes\"\n{TEMPLATE}");
        let e = Plan::parse(&typo).unwrap_err().to_string();
        assert!(
            e.contains("`allow_single_account` takes true or false"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_line_and_rule() {
        let typo = TEMPLATE.replace("threshold = 2", "treshold = 2");
        match Plan::parse(&typo).unwrap_err() {
            PlanError::Syntax { line, message } => {
                assert_eq!(line, 12, "{message}");
                assert!(message.contains("treshold"), "{message}");
            }
            e => panic!("{e:?}"),
        }
        let one_place =
            TEMPLATE.replace("Safe B (DR site)\"\ncustodian", "Safe A (HQ)\"\ncustodian");
        assert!(matches!(
            Plan::parse(&one_place).unwrap().validate(),
            Err(PlanError::Placement(_))
        ));
        let mut override_ok = Plan::parse(&one_place).unwrap();
        override_ok.allow_single_location_recovery = true;
        let warnings = override_ok.validate().unwrap();
        assert!(warnings.iter().any(|w| w.contains("LOSING Safe A")));
        let k4 = TEMPLATE.replace("threshold = 2", "threshold = 4");
        assert!(
            Plan::parse(&k4)
                .unwrap()
                .validate()
                .unwrap_err()
                .to_string()
                .contains("threshold 4 is impossible")
        );
        let bad_id = TEMPLATE.replace(
            "# object_id = \"00000000-0000-0000-0000-000000000000\"",
            "object_id = \"nope\"",
        );
        assert!(
            Plan::parse(&bad_id)
                .unwrap()
                .validate()
                .unwrap_err()
                .to_string()
                .contains("not a GUID")
        );
        let other_domain =
            TEMPLATE.replace("user = \"breakglass2\"", "user = \"bg2@fabrikam.com\"");
        assert!(Plan::parse(&other_domain).unwrap().validate().is_err());
    }

    #[test]
    fn every_text_value_is_checked_and_named() {
        let cases = [
            (
                "tenant = \"contoso\"",
                "tenant = \"contoso\\u001b\"",
                "plan key `tenant`",
            ),
            (
                "# domain = \"contoso.onmicrosoft.com\"",
                "domain = \"contoso.onmicrosoft.com\\u0007\"",
                "plan key `domain`",
            ),
            (
                "paper = \"a4\"",
                "paper = \"a4\\u0000\"",
                "plan key `paper`",
            ),
            (
                "user = \"breakglass2\"",
                "user = \"breakglass2\\u202e\"",
                "plan key `user` of [[account]] 2",
            ),
            (
                "display_name = \"Emergency access 1\"",
                "display_name = \"\\u001b]0;pwned\\u0007\"",
                "plan key `display_name` of [[account]] 1",
            ),
            (
                "role = \"Global Administrator\"       #",
                "role = \"Global Administrator\\u2028\"       #",
                "plan key `role` of [[account]] 1",
            ),
            (
                "# object_id = \"00000000-0000-0000-0000-000000000000\"",
                "object_id = \"\\u009b2J\"",
                "plan key `object_id` of [[account]] 1",
            ),
            (
                "# totp_uri_file = \"breakglass2-totp.txt\"",
                "totp_uri_file = \"t\\u001b.txt\"",
                "plan key `totp_uri_file` of [[account]] 2",
            ),
            (
                "label = \"YubiKey 5 NFC\"",
                "label = \"YubiKey\\u202e\"",
                "plan key `label` of [[account.fido2]] 1 of [[account]] 1",
            ),
            (
                "serial = \"12345678\"",
                "serial = \"1\\n2\"",
                "plan key `serial` of [[account.fido2]] 1 of [[account]] 1",
            ),
            (
                "location = \"Safe A (HQ)\"\npin_length",
                "location = \"Safe\\u0000\"\npin_length",
                "plan key `location` of [[account.fido2]] 1 of [[account]] 1",
            ),
            (
                "location = \"CISO home safe\"",
                "location = \"CISO\\u001b[2J\"",
                "plan key `location` of [[share]] 3",
            ),
            (
                "custodian = \"Bob Example\"",
                "custodian = \"Bob\\u2029\"",
                "plan key `custodian` of [[share]] 2",
            ),
        ];
        for (from, to, field) in cases {
            assert!(TEMPLATE.contains(from), "{from}");
            let plan = Plan::parse(&TEMPLATE.replacen(from, to, 1)).unwrap();
            assert_eq!(plan.check_fields().unwrap_err().field, field);
            let m = plan.validate().unwrap_err().to_string();
            assert!(m.starts_with(&format!("{field} holds ")), "{m}");
            assert!(!m.chars().any(|c| c.is_control()), "{m:?}");
        }
    }

    #[test]
    fn toml_errors_name_the_key_what_it_takes_and_an_example() {
        let base = "tenant = \"contoso\"\nthreshold = 2\n";
        for (text, want) in [
            (
                format!("{base}passphrase = no\n"),
                "line 3: `passphrase` takes true or false, e.g. `passphrase = true`",
            ),
            (
                "tenant = \"contoso\"\nthreshold = \"2\"\n".to_string(),
                "line 2: `threshold` takes a whole number from 2 to 255, without quotes, e.g. `threshold = 2`",
            ),
        ] {
            let e = Plan::parse(&text).unwrap_err().to_string();
            assert!(e.starts_with(want), "{e}");
        }
    }
}
