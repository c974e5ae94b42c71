//! The sample ceremony tests and fuzz targets share: seal parameters, contents, a small KDF and
//! a sealed sample vault, so a test spells out only what it changes
//! (`SealParams { threshold: 3, ..testkit::params(3, 5) }`).
//!
//! Compiled for this crate's unit tests and with the `testkit` feature, which only
//! dev-dependencies and the fuzz build turn on: the release binary never has it. Nothing here
//! draws randomness of its own; the caller passes the RNG, so nothing deterministic can reach a
//! real ceremony. The golden vectors in `tests/vectors/` are sealed from these values: changing
//! one breaks `positive_vectors_are_reproduced`, which is the point.

use crate::contents::{Entry, VaultContents};
use crate::kdf::{KdfParams, MIN_ITERATIONS, MIN_MEMORY_KIB, MIN_PARALLELISM};
use crate::seal::{self, SealParams, Sealed};
use crate::secret::{Passphrase, SecretString};
use crate::vault::ShareLabel;

/// The sample tenant.
pub const TENANT: &str = "contoso.onmicrosoft.com";
/// 2025-11-25 00:00 UTC, in Unix seconds.
pub const CREATED: u64 = 1_764_028_800;
/// The sample drill interval: the first drill is due 2026-02-23.
pub const DRILL_INTERVAL_DAYS: u16 = 90;
/// The passphrase of the sample vaults that have one.
pub const PASSPHRASE: &str = "correct horse battery staple";
/// The cheapest Argon2id the format accepts: a passphrase costs milliseconds in tests.
pub const SMALL_KDF: KdfParams = KdfParams {
    memory_kib: MIN_MEMORY_KIB,
    iterations: MIN_ITERATIONS,
    parallelism: MIN_PARALLELISM,
};
/// Where the first five sample sheets are kept; later ones are "Safe 6", "Safe 7", ….
pub const LOCATIONS: [&str; 5] = [
    "Safe A (HQ)",
    "Safe B (DR site)",
    "CISO home safe",
    "Bank box",
    "Auditor",
];

/// `n` share labels: the sample locations, no custodians.
pub fn labels(n: usize) -> Vec<ShareLabel> {
    (0..n)
        .map(|i| ShareLabel {
            location: LOCATIONS
                .get(i)
                .map_or_else(|| format!("Safe {}", i + 1), |l| (*l).to_string()),
            custodian: String::new(),
        })
        .collect()
}

/// A new `threshold`-of-`n` vault of the sample tenant, generation 1, without a passphrase.
pub fn params(threshold: u8, n: usize) -> SealParams {
    SealParams {
        vault_id: None,
        generation: 1,
        tenant: TENANT.into(),
        created: CREATED,
        drill_interval_days: DRILL_INTERVAL_DAYS,
        threshold,
        labels: labels(n),
        passphrase: None,
    }
}

/// The sample passphrase.
pub fn passphrase() -> Passphrase {
    Passphrase::new(PASSPHRASE.into())
}

/// `params` protected by the sample passphrase, stretched with [`SMALL_KDF`].
pub fn with_passphrase(params: SealParams) -> SealParams {
    SealParams {
        passphrase: Some((passphrase(), SMALL_KDF)),
        ..params
    }
}

/// One entry of every kind, as an Entra ID ceremony stores them.
pub fn contents() -> VaultContents {
    VaultContents {
        entries: vec![
            Entry::Account {
                upn: "breakglass1@contoso.onmicrosoft.com".into(),
                display_name: "Emergency access 1".into(),
                password: SecretString::new("7hQ#nX2m$Kp9@Wz4&Rb8*Tc3+Vd6=Yf5".into()),
            },
            Entry::Account {
                upn: "breakglass2@contoso.onmicrosoft.com".into(),
                display_name: "Emergency access 2".into(),
                password: SecretString::new("Jk4!Lm7?Np2_Qr9-St3#Uv8%Wx5&Yz6*".into()),
            },
            Entry::Fido2 {
                label: "YubiKey 5 NFC #18273645 (Safe A)".into(),
                pin: SecretString::new("40718293".into()),
            },
            Entry::Totp {
                label: "Contoso:breakglass1".into(),
                uri: SecretString::new(
                    "otpauth://totp/Contoso:breakglass1?secret=JBSWY3DPEHPK3PXP&issuer=Contoso"
                        .into(),
                ),
            },
            Entry::Note {
                label: "recovery codes".into(),
                text: SecretString::new("1111-2222-3333\n4444-5555-6666".into()),
            },
        ],
    }
}

/// The sample ceremony: [`contents`] sealed 2 of 3 under [`params`].
pub fn ceremony<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Sealed {
    seal::seal(&params(2, 3), &contents(), rng).expect("the sample parameters seal")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recover::{self, Sourced};
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    #[test]
    fn the_sample_ceremony_opens_with_two_sheets() {
        let s = ceremony(&mut ChaCha20Rng::seed_from_u64(1));
        assert_eq!(s.shares.len(), 3);
        assert_eq!(s.vault.header.labels, labels(3));
        let r = recover::match_shares(
            vec![
                Sourced::new("3", s.shares[2].clone()),
                Sourced::new("1", s.shares[0].clone()),
            ],
            vec![Sourced::new("v", s.vault)],
        )
        .unwrap()
        .open(None)
        .unwrap();
        assert_eq!(r.contents, contents());
    }

    #[test]
    fn labels_past_the_named_locations_are_numbered() {
        let l = labels(7);
        assert_eq!(l[4].location, "Auditor");
        assert_eq!(l[5].location, "Safe 6");
        assert_eq!(l[6].location, "Safe 7");
        assert!(l.iter().all(|l| l.custodian.is_empty()));
        assert!(SMALL_KDF.check().is_ok());
        assert!(with_passphrase(params(2, 3)).passphrase.is_some());
    }
}
