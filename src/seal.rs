//! Making a vault: draw the secret, split it, commit to the shares, seal the contents.
//!
//! The RNG is a parameter: the CLI passes the OS source, tests pass a seeded one. Nothing here
//! touches files or prompts.

use crate::VAULT_ID_BYTES;
use crate::aead::{self, NONCE_BYTES};
use crate::contents::{ContentsError, VaultContents};
use crate::kdf::{KdfError, KdfParams, SALT_BYTES};
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
}

/// Seals `contents` under a fresh secret split `threshold`-of-`labels.len()`.
///
/// # Errors
/// [`SealError`] for an impossible threshold or share count, bad labels, KDF parameters out of
/// range, empty or oversized contents.
pub fn seal<R: rand::CryptoRng + ?Sized>(
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
pub fn seal_with_secret<R: rand::CryptoRng + ?Sized>(
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
    header.validate()?;
    let plaintext = contents.to_bytes()?;
    let stretched = match (&plan.passphrase, &header.passphrase) {
        (Some((pass, _)), Some(kdf)) => Some(kdf.params.stretch(pass, &kdf.salt)?),
        _ => None,
    };
    let key = aead::derive_key(secret, &vault_id, stretched.as_deref());
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
    Ok(Sealed { vault, shares })
}
