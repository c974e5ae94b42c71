//! The credentials a ceremony generates for each emergency account, in the order the vault
//! stores them: the account's password, then one PIN per FIDO2 key.
//!
//! One function builds them for both uses: with placeholders of the generated lengths (a
//! plan's size check and the ceremony's, before any secret exists) and with fresh secrets (the
//! vault itself), so the size checked is the size sealed. It generates nothing by itself: the
//! caller says how each secret is made.

use crate::contents::Entry;
use crate::password::PasswordPolicy;
use crate::secret::SecretString;
use std::convert::Infallible;

/// An emergency account as the ceremony will create it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountCredentials {
    pub upn: String,
    pub display_name: String,
    /// Generate a password for it.
    pub password: bool,
    pub fido2: Vec<Fido2Key>,
}

/// A FIDO2 key whose PIN the ceremony generates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fido2Key {
    /// The key's label as the vault stores it before " for UPN" (label, `#serial`, `(place)`).
    pub label: String,
    pub pin_length: usize,
    pub alphanumeric: bool,
}

/// The secret the caller is asked to make.
#[derive(Clone, Copy, Debug)]
pub enum Wanted<'a> {
    /// The account's password.
    Password,
    /// A PIN for this key.
    Pin(&'a Fido2Key),
}

/// The vault entries of one account, each secret made by `make`.
///
/// # Errors
/// The first error `make` returns.
pub fn account_entries<E>(
    account: &AccountCredentials,
    mut make: impl FnMut(Wanted<'_>) -> Result<SecretString, E>,
) -> Result<Vec<Entry>, E> {
    let mut entries = Vec::new();
    if account.password {
        entries.push(Entry::Account {
            upn: account.upn.clone(),
            display_name: account.display_name.clone(),
            password: make(Wanted::Password)?,
        });
    }
    for key in &account.fido2 {
        entries.push(Entry::Fido2 {
            label: format!("{} for {}", key.label, account.upn),
            pin: make(Wanted::Pin(key))?,
        });
    }
    Ok(entries)
}

/// [`account_entries`] with placeholders as long as the secrets `policy` and the keys' PIN
/// lengths will generate: the exact size of the entries before any secret exists.
pub fn placeholder_entries(account: &AccountCredentials, policy: &PasswordPolicy) -> Vec<Entry> {
    let result: Result<_, Infallible> = account_entries(account, |wanted| {
        Ok(SecretString::new(match wanted {
            Wanted::Password => "x".repeat(policy.length),
            Wanted::Pin(key) => "0".repeat(key.pin_length),
        }))
    });
    match result {
        Ok(entries) => entries,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> AccountCredentials {
        AccountCredentials {
            upn: "bg1@contoso.onmicrosoft.com".into(),
            display_name: "Emergency access 1".into(),
            password: true,
            fido2: vec![
                Fido2Key {
                    label: "YubiKey #1".into(),
                    pin_length: 8,
                    alphanumeric: false,
                },
                Fido2Key {
                    label: "YubiKey #2".into(),
                    pin_length: 12,
                    alphanumeric: true,
                },
            ],
        }
    }

    /// Placeholders and generated secrets give entries of the same kinds, labels and lengths,
    /// so the size check sees the vault that is sealed.
    #[test]
    fn placeholders_have_the_shape_of_the_generated_entries() {
        let policy = PasswordPolicy {
            length: 40,
            ..PasswordPolicy::default()
        };
        use rand::SeedableRng;
        let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(7);
        let generated = account_entries(&account(), |wanted| match wanted {
            Wanted::Password => policy.generate(&mut rng).map_err(|e| e.to_string()),
            Wanted::Pin(k) => crate::password::generate_pin(&mut rng, k.pin_length, k.alphanumeric)
                .map_err(|e| e.to_string()),
        })
        .unwrap();
        let placeholders = placeholder_entries(&account(), &policy);
        let shape = |entries: &[Entry]| -> Vec<(String, usize)> {
            entries
                .iter()
                .map(|e| match e {
                    Entry::Account { upn, password, .. } => {
                        (upn.clone(), password.expose_secret().len())
                    }
                    Entry::Fido2 { label, pin } => (label.clone(), pin.expose_secret().len()),
                    _ => panic!("an entry that is neither a password nor a PIN"),
                })
                .collect()
        };
        assert_eq!(shape(&generated), shape(&placeholders));
        assert_eq!(
            shape(&placeholders),
            [
                ("bg1@contoso.onmicrosoft.com".to_string(), 40),
                ("YubiKey #1 for bg1@contoso.onmicrosoft.com".to_string(), 8),
                ("YubiKey #2 for bg1@contoso.onmicrosoft.com".to_string(), 12),
            ]
        );
    }

    /// An account without a password gets only its PINs; the first error stops the build.
    #[test]
    fn only_what_the_account_asks_for_is_made() {
        let mut a = account();
        a.password = false;
        let mut asked = Vec::new();
        let entries = account_entries(&a, |w| {
            asked.push(matches!(w, Wanted::Password));
            Ok::<_, ()>(SecretString::new("1234".into()))
        })
        .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(asked, [false, false]);
        assert!(matches!(
            account_entries(&account(), |_| Err("no")),
            Err("no")
        ));
    }
}
