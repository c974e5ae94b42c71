//! Making a vault: draw the secret, split it, commit to the shares, seal the contents.
//!
//! The RNG is a parameter: the CLI passes the OS source, tests pass a seeded one. Nothing here
//! touches files or prompts.

use crate::aead::{self, NONCE_BYTES};
use crate::contents::{ContentsError, VaultContents};
use crate::kdf::{KdfError, KdfParams, SALT_BYTES};
use crate::recover::Recovered;
use crate::secret::{Passphrase, VaultSecret};
use crate::shamir::{self, MAX_SHARES, ShamirError};
use crate::share::Share;
use crate::vault::{MAX_VAULT_BYTES, PassphraseKdf, ShareLabel, Vault, VaultError, VaultHeader};
use crate::vault_id::VaultId;

/// Everything needed to seal a vault, except the contents and the randomness. (Not the user's
/// plan file, [`crate::plan::Plan`]: the CLI turns a plan or its flags into these.)
#[derive(Clone, Debug)]
pub struct SealParams {
    /// `None` for a new vault; the old id when rekeying.
    pub vault_id: Option<VaultId>,
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
pub enum SealError {
    #[error("{n} shares were asked for: between 2 and {MAX_SHARES} are possible")]
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
    params: &SealParams,
    contents: &VaultContents,
    rng: &mut R,
) -> Result<Sealed, SealError> {
    let secret = VaultSecret::generate(rng);
    seal_with_secret(params, contents, &secret, rng)
}

/// As [`seal`], with a given secret (tests and known-answer vectors).
///
/// # Errors
/// As [`seal`].
pub fn seal_with_secret<R: rand_core::CryptoRng + ?Sized>(
    params: &SealParams,
    contents: &VaultContents,
    secret: &VaultSecret,
    rng: &mut R,
) -> Result<Sealed, SealError> {
    let n = params.labels.len();
    if !(2..=MAX_SHARES).contains(&n) {
        return Err(SealError::BadShareCount { n });
    }
    let n = u8::try_from(n).map_err(|_| SealError::BadShareCount { n })?;
    let vault_id = match params.vault_id {
        Some(id) => id,
        None => VaultId::generate(rng),
    };
    let points = shamir::split(secret, params.threshold, n, rng)?;
    let shares: Vec<Share> = points
        .into_iter()
        .map(|p| Share::new(vault_id, params.generation, params.threshold, n, p))
        .collect();
    let passphrase = match &params.passphrase {
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
        generation: params.generation,
        created: params.created,
        drill_interval_days: params.drill_interval_days,
        threshold: params.threshold,
        passphrase,
        commitments: shares.iter().map(Share::commitment).collect(),
        tenant: params.tenant.clone(),
        labels: params.labels.clone(),
    };
    let vault = encrypt(
        header,
        contents,
        secret,
        params.passphrase.as_ref().map(|(p, _)| p),
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
    let key = aead::derive_key(secret, header.vault_id.as_bytes(), stretched.as_deref());
    let mut nonce = [0u8; NONCE_BYTES];
    rng.fill_bytes(&mut nonce);
    let ciphertext = aead::encrypt(&key, &nonce, &header.to_bytes(), &plaintext);
    let vault = Vault {
        header,
        nonce,
        ciphertext,
    };
    let size = vault.to_bytes().len();
    // The envelope cap is below the 2-byte ciphertext length field's limit, so this one check
    // also keeps the length encodable.
    const _: () = assert!(MAX_VAULT_BYTES < u16::MAX as usize);
    if size > MAX_VAULT_BYTES {
        return Err(SealError::TooLarge { size });
    }
    Ok(vault)
}

/// Issues one more share of an opened vault, on the same polynomial (the key does not change),
/// for a new custodian or to replace a lost sheet. The returned vault copy commits to every
/// share, old and new; old sheets stay valid.
///
/// # Errors
/// [`SealError`] when [`MAX_SHARES`] shares exist already, or the passphrase is missing.
pub fn expand<R: rand_core::CryptoRng + ?Sized>(
    recovered: &Recovered,
    label: ShareLabel,
    passphrase: Option<&Passphrase>,
    rng: &mut R,
) -> Result<Sealed, SealError> {
    let old = &recovered.header;
    let n = old.commitments.len();
    if n >= MAX_SHARES {
        return Err(SealError::BadShareCount { n: n + 1 });
    }
    let x = u8::try_from(n + 1).map_err(|_| SealError::BadShareCount { n: n + 1 })?;
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

crate::error_kinds! { SealError {
    BadShareCount => "BadShareCount",
    Shamir(inner) => "Shamir" / inner,
    Vault(inner) => "Vault" / inner,
    Kdf(inner) => "Kdf" / inner,
    Contents(inner) => "Contents" / inner,
    TooLarge => "TooLarge",
    PassphraseNeeded => "PassphraseNeeded",
    PassphraseUnused => "PassphraseUnused",
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::contents::Entry;
    use crate::recover::{self, Sourced};
    use crate::secret::SecretString;
    use crate::testkit::{self, contents};
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    fn params(pass: bool) -> SealParams {
        let p = testkit::params(2, 3);
        if pass { testkit::with_passphrase(p) } else { p }
    }

    fn open(
        shares: Vec<&Share>,
        vaults: Vec<&Vault>,
        pass: Option<&Passphrase>,
    ) -> Result<Recovered, recover::RecoverError> {
        recover::match_shares(
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
            let p = testkit::passphrase();
            let pp = pass.then_some(&p);
            let s = seal(&params(pass), &contents(), &mut rng).unwrap();
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

    #[test]
    fn the_header_carries_the_params() {
        let mut rng = ChaCha20Rng::seed_from_u64(10);
        let p = SealParams {
            vault_id: Some(VaultId::from([7; 16])),
            generation: 5,
            created: 1_764_028_800,
            drill_interval_days: 30,
            ..params(false)
        };
        let s = seal(&p, &contents(), &mut rng).unwrap();
        let h = &s.vault.header;
        assert_eq!(h.vault_id, VaultId::from([7; 16]));
        assert_eq!(
            (h.generation, h.created, h.drill_interval_days),
            (5, 1_764_028_800, 30)
        );
        assert_eq!((h.threshold, h.share_count()), (2, 3));
        assert_eq!(h.tenant, testkit::TENANT);
        assert_eq!(h.labels, p.labels);
        assert!(h.passphrase.is_none());
        assert_eq!(s.shares.len(), 3);
        for (i, sh) in s.shares.iter().enumerate() {
            assert_eq!(sh.index() as usize, i + 1);
            assert_eq!(sh.vault_id, VaultId::from([7; 16]));
            assert_eq!(h.commitments[i], sh.commitment());
        }
        // A fresh vault gets a random id, different each time.
        let a = seal(&params(false), &contents(), &mut rng).unwrap();
        let b = seal(&params(false), &contents(), &mut rng).unwrap();
        assert_ne!(a.vault.header.vault_id, b.vault.header.vault_id);
        assert_ne!(a.vault.header.vault_id, VaultId::from([0; 16]));
        // With a passphrase: the KDF and a random salt are recorded, and it opens only with it.
        let s = seal(&params(true), &contents(), &mut rng).unwrap();
        let kdf = s.vault.header.passphrase.expect("recorded");
        assert_eq!(kdf.params, testkit::SMALL_KDF);
        assert_ne!(kdf.salt, [0; SALT_BYTES]);
        let p = testkit::passphrase();
        let shares = vec![&s.shares[0], &s.shares[1]];
        assert_eq!(
            open(shares.clone(), vec![&s.vault], Some(&p))
                .unwrap()
                .contents,
            contents()
        );
        assert!(open(shares.clone(), vec![&s.vault], None).is_err());
        assert!(
            open(
                shares,
                vec![&s.vault],
                Some(&Passphrase::new("Correct horse battery staple".into()))
            )
            .is_err()
        );
    }

    #[test]
    fn share_counts_at_the_edges() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        for n in [0, 1, 256] {
            assert_eq!(
                seal(&testkit::params(2, n), &contents(), &mut rng).unwrap_err(),
                SealError::BadShareCount { n }
            );
        }
        let two = seal(&testkit::params(2, 2), &contents(), &mut rng).unwrap();
        assert_eq!(two.shares.len(), 2);
        let all = seal(&testkit::params(2, 255), &contents(), &mut rng).unwrap();
        assert_eq!(all.shares.len(), 255);
        assert_eq!(all.shares[254].index(), 255);
        // 255 shares exist: no 256th.
        let r = open(
            vec![&all.shares[3], &all.shares[200]],
            vec![&all.vault],
            None,
        )
        .unwrap();
        assert_eq!(
            expand(&r, ShareLabel::default(), None, &mut rng).unwrap_err(),
            SealError::BadShareCount { n: 256 }
        );
        // 254 shares: one more is possible, and it is share 255.
        let most = seal(&testkit::params(2, 254), &contents(), &mut rng).unwrap();
        let r = open(
            vec![&most.shares[0], &most.shares[1]],
            vec![&most.vault],
            None,
        )
        .unwrap();
        let e = expand(&r, ShareLabel::default(), None, &mut rng).unwrap();
        assert_eq!(e.shares[0].index(), 255);
        assert_eq!(e.vault.header.share_count(), 255);
    }

    /// A note of `len` bytes, in two entries (one field holds at most 8 KiB).
    fn big(len: usize) -> VaultContents {
        let half = len / 2;
        let note = |n: usize| Entry::Note {
            label: "n".into(),
            text: SecretString::new("x".repeat(n)),
        };
        VaultContents {
            entries: vec![note(half), note(len - half)],
        }
    }

    #[test]
    fn size_limit_is_exact() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let base = seal(&params(false), &big(1000), &mut rng).unwrap();
        let fits = 1000 + MAX_VAULT_BYTES - base.vault.to_bytes().len();
        let s = seal(&params(false), &big(fits), &mut rng).unwrap();
        assert_eq!(s.vault.to_bytes().len(), MAX_VAULT_BYTES);
        assert_eq!(
            seal(&params(false), &big(fits + 1), &mut rng).unwrap_err(),
            SealError::TooLarge {
                size: MAX_VAULT_BYTES + 1
            }
        );
        assert_eq!(
            seal(&params(false), &VaultContents::default(), &mut rng).unwrap_err(),
            SealError::Contents(ContentsError::Empty)
        );
    }

    #[test]
    fn expand_checks_the_passphrase_against_the_header() {
        let mut rng = ChaCha20Rng::seed_from_u64(13);
        let s = seal(&params(false), &contents(), &mut rng).unwrap();
        let r = open(vec![&s.shares[0], &s.shares[1]], vec![&s.vault], None).unwrap();
        let p = testkit::passphrase();
        assert_eq!(
            expand(&r, ShareLabel::default(), Some(&p), &mut rng).unwrap_err(),
            SealError::PassphraseUnused
        );
        // The rekeyed copy keeps every header field but the commitments and labels.
        let e = expand(&r, ShareLabel::default(), None, &mut rng).unwrap();
        let (old, new) = (&s.vault.header, &e.vault.header);
        assert_eq!(new.commitments[..3], old.commitments[..]);
        assert_eq!(new.commitments[3], e.shares[0].commitment());
        assert_eq!(
            (new.vault_id, new.generation, new.threshold),
            (old.vault_id, old.generation, old.threshold)
        );
        assert_ne!(e.vault.nonce, s.vault.nonce);
    }

    #[test]
    fn error_kinds_are_the_frozen_names() {
        let cases = [
            (SealError::BadShareCount { n: 1 }, "BadShareCount"),
            (SealError::TooLarge { size: 1 }, "TooLarge"),
            (SealError::PassphraseNeeded, "PassphraseNeeded"),
            (SealError::PassphraseUnused, "PassphraseUnused"),
            (SealError::Contents(ContentsError::Empty), "Contents/Empty"),
        ];
        for (e, kind) in cases {
            assert_eq!(e.kind(), kind);
        }
        let mut rng = ChaCha20Rng::seed_from_u64(14);
        let bad_k = SealParams {
            threshold: 4,
            ..params(false)
        };
        let e = seal(&bad_k, &contents(), &mut rng).unwrap_err();
        assert!(matches!(e, SealError::Shamir(_)));
        assert!(e.kind().starts_with("Shamir/"), "{}", e.kind());
        let bad_kdf = SealParams {
            passphrase: Some((
                testkit::passphrase(),
                KdfParams {
                    memory_kib: 1,
                    ..testkit::SMALL_KDF
                },
            )),
            ..params(false)
        };
        let e = seal(&bad_kdf, &contents(), &mut rng).unwrap_err();
        assert!(e.kind().starts_with("Kdf/"), "{}", e.kind());
        let bad_label = SealParams {
            tenant: "x".repeat(300),
            ..params(false)
        };
        let e = seal(&bad_label, &contents(), &mut rng).unwrap_err();
        assert!(e.kind().starts_with("Vault/"), "{}", e.kind());
    }
}
