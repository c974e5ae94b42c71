//! Making a vault: draw the secret, split it, commit to the shares, seal the contents.
//!
//! The RNG is a parameter: the CLI passes the OS source, tests pass a seeded one. Nothing here
//! touches files or prompts.

use crate::VAULT_ID_BYTES;
use crate::aead::{self, NONCE_BYTES};
use crate::contents::{ContentsError, VaultContents};
use crate::kdf::{KdfError, KdfParams, SALT_BYTES};
use crate::recover::Recovered;
use crate::secret::{Passphrase, VaultSecret};
use crate::shamir::{self, ShamirError};
use crate::share::Share;
use crate::vault::{MAX_VAULT_BYTES, PassphraseKdf, ShareLabel, Vault, VaultError, VaultHeader};

/// Everything needed to seal a vault, except the contents and the randomness.
#[derive(Clone, Debug)]
pub struct SealPlan {
    /// `None` for a new vault; the old id when rekeying.
    pub vault_id: Option<[u8; VAULT_ID_BYTES]>,
    pub generation: u32,
    pub tenant: String,
    /// Unix seconds, UTC.
    pub created: u64,
    pub drill_interval_days: u16,
    pub threshold: u8,
    /// One label per share: n = `labels.len()`.
    pub labels: Vec<ShareLabel>,
    pub passphrase: Option<(Passphrase, KdfParams)>,
}

/// A sealed vault and its shares (index 1 first).
#[derive(Debug)]
pub struct Sealed {
    pub vault: Vault,
    pub shares: Vec<Share>,
}

/// Why a vault could not be sealed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    #[error("{n} shares were asked for: between 2 and 255 are possible")]
    BadShareCount { n: usize },
    #[error(transparent)]
    Shamir(#[from] ShamirError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Kdf(#[from] KdfError),
    #[error(transparent)]
    Contents(#[from] ContentsError),
    #[error(
        "the vault would be {size} bytes, above the {MAX_VAULT_BYTES}-byte limit that still prints: store less text"
    )]
    TooLarge { size: usize },
    #[error("this vault is protected by a passphrase: give it to reseal the vault")]
    PassphraseNeeded,
    #[error("this vault has no passphrase, but one was given")]
    PassphraseUnused,
}

/// Seals `contents` under a fresh secret split `threshold`-of-`labels.len()`.
///
/// # Errors
/// [`SealError`] for an impossible threshold or share count, bad labels, KDF parameters out of
/// range, empty or oversized contents.
pub fn seal<R: rand_core::CryptoRng + ?Sized>(
    plan: &SealPlan,
    contents: &VaultContents,
    rng: &mut R,
) -> Result<Sealed, SealError> {
    let secret = VaultSecret::generate(rng);
    seal_with_secret(plan, contents, &secret, rng)
}

/// As [`seal`], with a given secret (tests and known-answer vectors).
///
/// # Errors
/// As [`seal`].
pub fn seal_with_secret<R: rand_core::CryptoRng + ?Sized>(
    plan: &SealPlan,
    contents: &VaultContents,
    secret: &VaultSecret,
    rng: &mut R,
) -> Result<Sealed, SealError> {
    let n = plan.labels.len();
    if !(2..=255).contains(&n) {
        return Err(SealError::BadShareCount { n });
    }
    let n = n as u8;
    let vault_id = match plan.vault_id {
        Some(id) => id,
        None => {
            let mut id = [0u8; VAULT_ID_BYTES];
            rng.fill_bytes(&mut id);
            id
        }
    };
    let points = shamir::split(secret, plan.threshold, n, rng)?;
    let shares: Vec<Share> = points
        .into_iter()
        .map(|p| Share::new(vault_id, plan.generation, plan.threshold, n, p))
        .collect();
    let passphrase = match &plan.passphrase {
        None => None,
        Some((_, params)) => {
            params.check()?;
            let mut salt = [0u8; SALT_BYTES];
            rng.fill_bytes(&mut salt);
            Some(PassphraseKdf {
                params: *params,
                salt,
            })
        }
    };
    let header = VaultHeader {
        vault_id,
        generation: plan.generation,
        created: plan.created,
        drill_interval_days: plan.drill_interval_days,
        threshold: plan.threshold,
        passphrase,
        commitments: shares.iter().map(Share::commitment).collect(),
        tenant: plan.tenant.clone(),
        labels: plan.labels.clone(),
    };
    let vault = encrypt(
        header,
        contents,
        secret,
        plan.passphrase.as_ref().map(|(p, _)| p),
        rng,
    )?;
    Ok(Sealed { vault, shares })
}

/// Seals `contents` under a complete header (commitments and labels already in it).
fn encrypt<R: rand_core::CryptoRng + ?Sized>(
    header: VaultHeader,
    contents: &VaultContents,
    secret: &VaultSecret,
    passphrase: Option<&Passphrase>,
    rng: &mut R,
) -> Result<Vault, SealError> {
    header.validate()?;
    let plaintext = contents.to_bytes()?;
    let stretched = match (&header.passphrase, passphrase) {
        (Some(kdf), Some(pass)) => Some(kdf.params.stretch(pass, &kdf.salt)?),
        (None, None) => None,
        (Some(_), None) => return Err(SealError::PassphraseNeeded),
        (None, Some(_)) => return Err(SealError::PassphraseUnused),
    };
    let key = aead::derive_key(secret, &header.vault_id, stretched.as_deref());
    let mut nonce = [0u8; NONCE_BYTES];
    rng.fill_bytes(&mut nonce);
    let ciphertext = aead::seal(&key, &nonce, &header.to_bytes(), &plaintext);
    let vault = Vault {
        header,
        nonce,
        ciphertext,
    };
    let size = vault.to_bytes().len();
    if size > MAX_VAULT_BYTES || vault.ciphertext.len() > usize::from(u16::MAX) {
        return Err(SealError::TooLarge { size });
    }
    Ok(vault)
}

/// Issues one more share of an opened vault, on the same polynomial (the key does not change),
/// for a new custodian or to replace a lost sheet. The returned vault copy commits to every
/// share, old and new; old sheets stay valid.
///
/// # Errors
/// [`SealError`] when 255 shares exist already, or the passphrase is missing.
pub fn expand<R: rand_core::CryptoRng + ?Sized>(
    recovered: &Recovered,
    label: ShareLabel,
    passphrase: Option<&Passphrase>,
    rng: &mut R,
) -> Result<Sealed, SealError> {
    let old = &recovered.header;
    let n = old.commitments.len();
    if n >= 255 {
        return Err(SealError::BadShareCount { n: n + 1 });
    }
    let x = (n + 1) as u8;
    let points: Vec<&crate::shamir::SharePoint> = recovered.points().iter().collect();
    let point = shamir::evaluate_at(&points, old.threshold, x)?;
    let share = Share::new(old.vault_id, old.generation, old.threshold, x, point);
    let mut header = old.clone();
    header.commitments.push(share.commitment());
    header.labels.push(label);
    let vault = encrypt(
        header,
        &recovered.contents,
        recovered.secret(),
        passphrase,
        rng,
    )?;
    Ok(Sealed {
        vault,
        shares: vec![share],
    })
}

impl SealError {
    /// This error's name in FORMAT.md §9 (`Kdf/TooExpensive`): frozen, like the format itself,
    /// so tests, vectors and other decoders can match on it. Never rename one.
    pub fn kind(&self) -> String {
        match self {
            Self::BadShareCount { .. } => "BadShareCount".into(),
            Self::Shamir(e) => format!("Shamir/{}", e.kind()),
            Self::Vault(e) => format!("Vault/{}", e.kind()),
            Self::Kdf(e) => format!("Kdf/{}", e.kind()),
            Self::Contents(e) => format!("Contents/{}", e.kind()),
            Self::TooLarge { .. } => "TooLarge".into(),
            Self::PassphraseNeeded { .. } => "PassphraseNeeded".into(),
            Self::PassphraseUnused { .. } => "PassphraseUnused".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contents::Entry;
    use crate::recover::{self, Sourced};
    use crate::secret::SecretString;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    fn plan(pass: bool) -> SealPlan {
        SealPlan {
            vault_id: None,
            generation: 1,
            tenant: "contoso.onmicrosoft.com".into(),
            created: 0,
            drill_interval_days: 90,
            threshold: 2,
            labels: ["A", "B", "C"]
                .iter()
                .map(|l| ShareLabel {
                    location: l.to_string(),
                    custodian: String::new(),
                })
                .collect(),
            passphrase: pass.then(|| {
                (
                    Passphrase::new("pw".into()),
                    KdfParams {
                        memory_kib: 8192,
                        iterations: 1,
                        parallelism: 1,
                    },
                )
            }),
        }
    }

    fn contents() -> VaultContents {
        VaultContents {
            entries: vec![Entry::Note {
                label: "n".into(),
                text: SecretString::new("secret text".into()),
            }],
        }
    }

    fn open(
        shares: Vec<&Share>,
        vaults: Vec<&Vault>,
        pass: Option<&Passphrase>,
    ) -> Result<Recovered, recover::RecoverError> {
        recover::check(
            shares
                .into_iter()
                .map(|s| Sourced::new(format!("s{}", s.index()), s.clone()))
                .collect(),
            vaults
                .into_iter()
                .map(|v| Sourced::new("v", v.clone()))
                .collect(),
        )?
        .open(pass)
    }

    #[test]
    fn expand_issues_a_share_on_the_same_polynomial() {
        for pass in [false, true] {
            let mut rng = ChaCha20Rng::seed_from_u64(9);
            let p = Passphrase::new("pw".into());
            let pp = pass.then_some(&p);
            let s = seal(&plan(pass), &contents(), &mut rng).unwrap();
            let r = open(vec![&s.shares[0], &s.shares[2]], vec![&s.vault], pp).unwrap();
            let label = ShareLabel {
                location: "D".into(),
                custodian: "Dana".into(),
            };
            let e = expand(&r, label, pp, &mut rng).unwrap();
            let new = &e.shares[0];
            assert_eq!(new.index(), 4);
            assert_eq!(e.vault.header.share_count(), 4);
            assert_eq!(e.vault.header.labels[3].custodian, "Dana");
            // The new share recovers with an old one, whichever vault copies are presented.
            let r2 = open(vec![&s.shares[1], new], vec![&s.vault, &e.vault], pp).unwrap();
            assert_eq!(r2.contents, contents());
            assert_eq!(r2.secret(), r.secret());
            // Old sheets alone still work.
            assert!(open(vec![&s.shares[0], &s.shares[1]], vec![&s.vault], pp).is_ok());
            // Only the old vault copy: the new share is not committed there.
            assert!(matches!(
                open(vec![&s.shares[1], new], vec![&s.vault], pp),
                Err(recover::RecoverError::NotEnoughShares { given: 1, .. })
            ));
            if pass {
                assert_eq!(
                    expand(&r, ShareLabel::default(), None, &mut rng).unwrap_err(),
                    SealError::PassphraseNeeded
                );
            }
        }
    }
}
