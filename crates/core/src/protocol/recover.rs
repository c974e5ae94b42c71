//! Untrusted shares and vault copies in; validated share set, then key and contents, out.
//!
//! Order of checks (FORMAT.md §7): one vault, one generation (older ones are retired), each
//! share against its commitment in the header, duplicates and index 0 out, at least k left;
//! only then combine, derive and open. Every rejection names its source. The function that
//! yields the contents is the one that checks the tag.

use crate::aead;
use crate::contents::{ContentsError, VaultContents};
use crate::kdf::KdfError;
use crate::secret::{Passphrase, VaultSecret};
use crate::shamir::{self, SharePoint};
use crate::share::Share;
use crate::vault::{Vault, VaultHeader};
use std::collections::BTreeMap;

/// An item and where it came from ("share-1.txt", "scan2.png", "typed share 1").
#[derive(Clone, Debug)]
pub struct Sourced<T> {
    pub source: String,
    pub item: T,
}

impl<T> Sourced<T> {
    pub fn new(source: impl Into<String>, item: T) -> Self {
        Self {
            source: source.into(),
            item,
        }
    }
}

/// Why one share was left out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    #[error("share {index} does not belong to this vault or has been altered")]
    Altered { index: u8 },
    #[error("share {index} was given twice (also in {first})")]
    Duplicate { index: u8, first: String },
    #[error("this sheet is generation {generation}; it was retired by generation {newer}")]
    Retired { generation: u32, newer: u32 },
}

/// A share that was not used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub source: String,
    pub reason: Rejection,
}

impl core::fmt::Display for Rejected {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.source, self.reason)
    }
}

fn list(r: &[Rejected]) -> String {
    if r.is_empty() {
        String::new()
    } else {
        let v: Vec<String> = r.iter().map(ToString::to_string).collect();
        format!(" (left out: {})", v.join("; "))
    }
}

/// Why recovery stopped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecoverError {
    #[error("no share was given: bring at least the number of sheets the vault needs")]
    NoShares,
    #[error("no copy of the vault text was given: every sheet carries one (the BG1-V block)")]
    NoVault,
    #[error("these sheets belong to different vaults: {}; use sheets of one vault only", describe_groups(.0))]
    MixedVaults(Vec<(String, Vec<String>)>),
    #[error(
        "{needed} of {count} shares are needed to recover, {given} usable given{}",
        list(rejected)
    )]
    NotEnoughShares {
        needed: u8,
        count: u8,
        given: usize,
        rejected: Vec<Rejected>,
    },
    #[error("this vault is also protected by a passphrase: give it (--passphrase)")]
    PassphraseRequired,
    #[error("this vault has no passphrase, but one was given: leave it out")]
    PassphraseNotUsed,
    #[error(transparent)]
    Kdf(#[from] KdfError),
    #[error(
        "the vault did not open: the passphrase is wrong, or the vault text was altered. Check the passphrase; if it is right, try the vault text from another sheet"
    )]
    WrongPassphraseOrAltered,
    #[error(
        "the vault did not open: its text was altered, or the shares were forged to match. Try the vault text from another sheet"
    )]
    Altered,
    #[error(transparent)]
    Contents(#[from] ContentsError),
}

fn describe_groups(g: &[(String, Vec<String>)]) -> String {
    g.iter()
        .map(|(id, s)| format!("vault {id}: {}", s.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Shows a vault id the way sheets print it: Crockford base32 in groups of four.
pub fn display_vault_id(id: &[u8]) -> String {
    let s = crate::text::base32().encode(id);
    s.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect::<Vec<_>>()
        .join("-")
}

/// The short fingerprint printed big on sheets: the first 8 characters of the vault id.
pub fn fingerprint(id: &[u8]) -> String {
    display_vault_id(id)[..9].to_string()
}

/// Shares checked against the vault copies, ready to combine.
#[derive(Debug)]
pub struct ShareSet {
    /// Shares of older generations.
    retired: Vec<Rejected>,
    /// Vault copies with at least k checked shares, best first.
    candidates: Vec<Candidate>,
}

/// Checks untrusted shares and vault copies; nothing is combined yet.
///
/// # Errors
/// [`RecoverError`] when no vault or share is given, sheets of several vaults are mixed, or
/// fewer than k usable shares remain.
pub fn check(
    shares: Vec<Sourced<Share>>,
    vaults: Vec<Sourced<Vault>>,
) -> Result<ShareSet, RecoverError> {
    if shares.is_empty() {
        return Err(RecoverError::NoShares);
    }
    if vaults.is_empty() {
        return Err(RecoverError::NoVault);
    }
    let mut groups: BTreeMap<[u8; 16], Vec<String>> = BTreeMap::new();
    for s in &shares {
        groups
            .entry(s.item.vault_id)
            .or_default()
            .push(s.source.clone());
    }
    for v in &vaults {
        let g = groups.entry(v.item.header.vault_id).or_default();
        if !g.contains(&v.source) {
            g.push(v.source.clone());
        }
    }
    if groups.len() > 1 {
        return Err(RecoverError::MixedVaults(
            groups
                .into_iter()
                .map(|(id, s)| (display_vault_id(&id), s))
                .collect(),
        ));
    }

    let newest = shares
        .iter()
        .map(|s| s.item.generation)
        .chain(vaults.iter().map(|v| v.item.header.generation))
        .max()
        .expect("non-empty");
    let mut rejected = Vec::new();
    let mut current = Vec::new();
    for s in shares {
        if s.item.generation < newest {
            rejected.push(Rejected {
                source: s.source,
                reason: Rejection::Retired {
                    generation: s.item.generation,
                    newer: newest,
                },
            });
        } else {
            current.push(s);
        }
    }
    // Distinct copies of the newest generation, the most widely carried first.
    let mut copies: Vec<(Vault, usize)> = Vec::new();
    for v in vaults
        .into_iter()
        .filter(|v| v.item.header.generation == newest)
    {
        match copies.iter_mut().find(|(c, _)| *c == v.item) {
            Some((_, n)) => *n += 1,
            None => copies.push((v.item, 1)),
        }
    }
    if copies.is_empty() {
        // Only retired vault copies: the newest generation's vault text is needed.
        return Err(RecoverError::NoVault);
    }
    // Check the shares against every copy; the copy under which most shares check comes first
    // (a sheet issued by `expand` carries a copy that also commits to the new share), then the
    // most widely carried, then input order.
    let mut candidates: Vec<Candidate> = copies
        .into_iter()
        .map(|(vault, carried)| Candidate::new(vault, carried, &current))
        .collect();
    candidates.sort_by_key(|c| {
        (
            std::cmp::Reverse(c.usable.len()),
            std::cmp::Reverse(c.carried),
        )
    });
    let best = &candidates[0];
    if best.usable.len() < usize::from(best.vault.header.threshold) {
        let mut all = rejected;
        all.extend(best.rejected.iter().cloned());
        return Err(RecoverError::NotEnoughShares {
            needed: best.vault.header.threshold,
            count: best.vault.header.share_count(),
            given: best.usable.len(),
            rejected: all,
        });
    }
    candidates.retain(|c| c.usable.len() >= usize::from(c.vault.header.threshold));
    Ok(ShareSet {
        retired: rejected,
        candidates,
    })
}

/// One distinct vault copy and the shares that check against it.
#[derive(Debug)]
struct Candidate {
    vault: Vault,
    carried: usize,
    usable: Vec<Sourced<Share>>,
    rejected: Vec<Rejected>,
}

impl Candidate {
    fn new(vault: Vault, carried: usize, shares: &[Sourced<Share>]) -> Self {
        let header = &vault.header;
        let mut usable: Vec<Sourced<Share>> = Vec::new();
        let mut rejected = Vec::new();
        for s in shares {
            let index = s.item.index();
            let committed = usize::from(index)
                .checked_sub(1)
                .and_then(|i| header.commitments.get(i))
                .is_some_and(|c| *c == s.item.commitment())
                && s.item.threshold == header.threshold;
            if !committed {
                rejected.push(Rejected {
                    source: s.source.clone(),
                    reason: Rejection::Altered { index },
                });
            } else if let Some(first) = usable.iter().find(|u| u.item.index() == index) {
                rejected.push(Rejected {
                    reason: Rejection::Duplicate {
                        index,
                        first: first.source.clone(),
                    },
                    source: s.source.clone(),
                });
            } else {
                usable.push(s.clone());
            }
        }
        usable.sort_by_key(|s| s.item.index());
        Self {
            vault,
            carried,
            usable,
            rejected,
        }
    }
}

/// A vault that opened.
#[derive(Debug)]
pub struct Recovered {
    pub header: VaultHeader,
    pub contents: VaultContents,
    /// Sources of the shares that were combined, in index order.
    pub used: Vec<String>,
    /// Indices of the shares that were combined.
    pub indices: Vec<u8>,
    pub rejected: Vec<Rejected>,
    secret: VaultSecret,
    points: Vec<SharePoint>,
}

impl Recovered {
    /// The recombined secret, for rekeying and issuing extra shares.
    pub fn secret(&self) -> &VaultSecret {
        &self.secret
    }
    /// The points that were combined.
    pub fn points(&self) -> &[SharePoint] {
        &self.points
    }
}

impl ShareSet {
    pub fn header(&self) -> &VaultHeader {
        &self.candidates[0].vault.header
    }

    pub fn needs_passphrase(&self) -> bool {
        self.header().passphrase.is_some()
    }

    /// Shares left out so far (older generations, or not matching the best vault copy).
    pub fn rejected(&self) -> Vec<Rejected> {
        let mut r = self.retired.clone();
        r.extend(self.candidates[0].rejected.iter().cloned());
        r
    }

    /// Combines k shares, derives the key and opens the vault.
    ///
    /// # Errors
    /// [`RecoverError`] for a passphrase given or missing against the header, or a vault that
    /// does not authenticate.
    pub fn open(self, passphrase: Option<&Passphrase>) -> Result<Recovered, RecoverError> {
        let mut first_err = None;
        for c in &self.candidates {
            let k = c.vault.header.threshold;
            let used = &c.usable[..usize::from(k)];
            let points: Vec<&SharePoint> = used.iter().map(|s| s.item.point()).collect();
            let secret = shamir::combine(&points, k).expect("checked: k distinct non-zero shares");
            match open_with(&c.vault, &secret, passphrase) {
                Ok(contents) => {
                    let mut rejected = self.retired.clone();
                    rejected.extend(c.rejected.iter().cloned());
                    return Ok(Recovered {
                        header: c.vault.header.clone(),
                        contents,
                        used: used.iter().map(|s| s.source.clone()).collect(),
                        indices: used.iter().map(|s| s.item.index()).collect(),
                        rejected,
                        points: used.iter().map(|s| s.item.point().clone()).collect(),
                        secret,
                    });
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.expect("at least one candidate"))
    }
}

fn open_with(
    vault: &Vault,
    secret: &VaultSecret,
    passphrase: Option<&Passphrase>,
) -> Result<VaultContents, RecoverError> {
    let header = &vault.header;
    let stretched = match (&header.passphrase, passphrase) {
        (None, Some(_)) => return Err(RecoverError::PassphraseNotUsed),
        (Some(_), None) => return Err(RecoverError::PassphraseRequired),
        (None, None) => None,
        (Some(kdf), Some(p)) => Some(kdf.params.stretch(p, &kdf.salt)?),
    };
    let key = aead::derive_key(secret, &header.vault_id, stretched.as_deref());
    let plaintext =
        aead::open(&key, &vault.nonce, &header.to_bytes(), &vault.ciphertext).map_err(|_| {
            if stretched.is_some() {
                RecoverError::WrongPassphraseOrAltered
            } else {
                RecoverError::Altered
            }
        })?;
    Ok(VaultContents::from_bytes(&plaintext)?)
}

impl RecoverError {
    /// This error's name in FORMAT.md §9 (`Kdf/TooExpensive`): frozen, like the format itself,
    /// so tests, vectors and other decoders can match on it. Never rename one.
    pub fn kind(&self) -> String {
        match self {
            Self::NoShares { .. } => "NoShares".into(),
            Self::NoVault { .. } => "NoVault".into(),
            Self::MixedVaults { .. } => "MixedVaults".into(),
            Self::NotEnoughShares { .. } => "NotEnoughShares".into(),
            Self::PassphraseRequired { .. } => "PassphraseRequired".into(),
            Self::PassphraseNotUsed { .. } => "PassphraseNotUsed".into(),
            Self::Kdf(e) => format!("Kdf/{}", e.kind()),
            Self::WrongPassphraseOrAltered { .. } => "WrongPassphraseOrAltered".into(),
            Self::Altered { .. } => "Altered".into(),
            Self::Contents(e) => format!("Contents/{}", e.kind()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contents::Entry;
    use crate::kdf::{KdfParams, MIN_MEMORY_KIB};
    use crate::seal::{SealPlan, Sealed, seal};
    use crate::secret::SecretString;
    use crate::vault::ShareLabel;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    const SMALL: KdfParams = KdfParams {
        memory_kib: MIN_MEMORY_KIB,
        iterations: 1,
        parallelism: 1,
    };

    fn plan(threshold: u8, n: usize, pass: bool) -> SealPlan {
        SealPlan {
            vault_id: None,
            generation: 1,
            tenant: "contoso.onmicrosoft.com".into(),
            created: 1_764_000_000,
            drill_interval_days: 90,
            threshold,
            labels: (0..n)
                .map(|i| ShareLabel {
                    location: format!("Safe {i}"),
                    custodian: String::new(),
                })
                .collect(),
            passphrase: pass.then(|| (Passphrase::new("pw".into()), SMALL)),
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

    fn make(seed: u64, threshold: u8, n: usize, pass: bool) -> Sealed {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        seal(&plan(threshold, n, pass), &contents(), &mut rng).unwrap()
    }

    fn src(shares: &[(&str, &Share)]) -> Vec<Sourced<Share>> {
        shares
            .iter()
            .map(|(n, s)| Sourced::new(*n, (*s).clone()))
            .collect()
    }

    fn vsrc(vaults: &[(&str, &Vault)]) -> Vec<Sourced<Vault>> {
        vaults
            .iter()
            .map(|(n, v)| Sourced::new(*n, (*v).clone()))
            .collect()
    }

    /// A share with the same index and vault but another value.
    fn altered(s: &Share) -> Share {
        let mut y = *s.point().expose_y();
        y[0] ^= 1;
        Share::new(
            s.vault_id,
            s.generation,
            s.threshold,
            s.count,
            SharePoint::new(s.index(), y),
        )
    }

    #[test]
    fn vault_ids_are_displayed_in_groups() {
        let id: Vec<u8> = (0..16).collect();
        assert_eq!(display_vault_id(&id), "000G-40R4-0M30-E209-185G-R38E-1W");
        assert_eq!(fingerprint(&id), "000G-40R4");
        assert_eq!(display_vault_id(&[]), "");
    }

    #[test]
    fn recovers_with_k_shares_in_index_order() {
        let s = make(1, 2, 3, false);
        let set = check(
            src(&[("c", &s.shares[2]), ("a", &s.shares[0])]),
            vsrc(&[("c", &s.vault)]),
        )
        .unwrap();
        assert!(!set.needs_passphrase());
        assert_eq!(set.header(), &s.vault.header);
        assert!(set.rejected().is_empty());
        let r = set.open(None).unwrap();
        assert_eq!(r.contents, contents());
        assert_eq!(r.used, vec!["a".to_string(), "c".to_string()]);
        assert_eq!(r.indices, vec![1, 3]);
        assert!(r.rejected.is_empty());
        assert_eq!(r.header, s.vault.header);
        assert_eq!(r.points().len(), 2);
        assert_eq!(r.points()[0].x(), 1);
        assert_eq!(r.points()[1].x(), 3);
        assert_eq!(r.points()[1].expose_y(), s.shares[2].point().expose_y());
        let direct = shamir::combine(&[s.shares[0].point(), s.shares[1].point()], 2).unwrap();
        assert_eq!(r.secret(), &direct);
        // More than k: the first k by index are used.
        let r = check(
            src(&[
                ("c", &s.shares[2]),
                ("b", &s.shares[1]),
                ("a", &s.shares[0]),
            ]),
            vsrc(&[("v", &s.vault)]),
        )
        .unwrap()
        .open(None)
        .unwrap();
        assert_eq!(r.indices, vec![1, 2]);
        assert_eq!(r.used, vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn nothing_given() {
        let s = make(2, 2, 3, false);
        assert_eq!(
            check(vec![], vsrc(&[("v", &s.vault)])).unwrap_err(),
            RecoverError::NoShares
        );
        assert_eq!(
            check(src(&[("a", &s.shares[0])]), vec![]).unwrap_err(),
            RecoverError::NoVault
        );
    }

    #[test]
    fn mixed_vaults_are_named() {
        let a = make(3, 2, 3, false);
        let b = make(4, 2, 3, false);
        let e = check(
            src(&[("a1", &a.shares[0]), ("b1", &b.shares[0])]),
            vsrc(&[("a1", &a.vault), ("bv", &b.vault)]),
        )
        .unwrap_err();
        let RecoverError::MixedVaults(groups) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(groups.len(), 2);
        let ga = groups
            .iter()
            .find(|(id, _)| *id == display_vault_id(&a.vault.header.vault_id))
            .unwrap();
        // The sheet that carries both a share and the vault copy is named once.
        assert_eq!(ga.1, vec!["a1".to_string()]);
        let gb = groups
            .iter()
            .find(|(id, _)| *id == display_vault_id(&b.vault.header.vault_id))
            .unwrap();
        assert_eq!(gb.1, vec!["b1".to_string(), "bv".to_string()]);
        let msg = e.to_string();
        assert!(
            msg.contains(&format!(
                "vault {}: a1",
                display_vault_id(&a.vault.header.vault_id)
            )),
            "{msg}"
        );
        assert!(msg.contains("b1, bv"), "{msg}");
        assert!(msg.contains("; vault "), "{msg}");
        // A vault copy alone from another vault is also a mix.
        assert!(matches!(
            check(
                src(&[("a1", &a.shares[0]), ("a2", &a.shares[1])]),
                vsrc(&[("bv", &b.vault)])
            ),
            Err(RecoverError::MixedVaults(_))
        ));
    }

    #[test]
    fn altered_and_duplicate_shares_are_left_out() {
        let s = make(5, 2, 3, false);
        let bad = altered(&s.shares[1]);
        let set = check(
            src(&[
                ("x", &bad),
                ("a", &s.shares[0]),
                ("a again", &s.shares[0]),
                ("c", &s.shares[2]),
            ]),
            vsrc(&[("v", &s.vault)]),
        )
        .unwrap();
        let rej = set.rejected();
        assert_eq!(
            rej,
            vec![
                Rejected {
                    source: "x".into(),
                    reason: Rejection::Altered { index: 2 }
                },
                Rejected {
                    source: "a again".into(),
                    reason: Rejection::Duplicate {
                        index: 1,
                        first: "a".into()
                    }
                },
            ]
        );
        assert_eq!(
            rej[1].to_string(),
            "a again: share 1 was given twice (also in a)"
        );
        let r = set.open(None).unwrap();
        assert_eq!(r.indices, vec![1, 3]);
        assert_eq!(r.rejected, rej);
        // A share whose index is beyond the header's commitments, or with another
        // threshold, does not check either.
        let beyond = Share::new(
            s.vault.header.vault_id,
            1,
            2,
            4,
            SharePoint::new(4, *s.shares[0].point().expose_y()),
        );
        let other_k = Share::new(
            s.vault.header.vault_id,
            1,
            3,
            3,
            SharePoint::new(1, *s.shares[0].point().expose_y()),
        );
        let e = check(
            src(&[("d", &beyond), ("k", &other_k), ("c", &s.shares[2])]),
            vsrc(&[("v", &s.vault)]),
        )
        .unwrap_err();
        assert_eq!(
            e,
            RecoverError::NotEnoughShares {
                needed: 2,
                count: 3,
                given: 1,
                rejected: vec![
                    Rejected {
                        source: "d".into(),
                        reason: Rejection::Altered { index: 4 }
                    },
                    Rejected {
                        source: "k".into(),
                        reason: Rejection::Altered { index: 1 }
                    },
                ],
            }
        );
        assert_eq!(
            e.to_string(),
            "2 of 3 shares are needed to recover, 1 usable given (left out: d: share 4 does not \
             belong to this vault or has been altered; k: share 1 does not belong to this vault \
             or has been altered)"
        );
    }

    #[test]
    fn not_enough_shares() {
        let s = make(6, 3, 4, false);
        let e = check(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("v", &s.vault)]),
        )
        .unwrap_err();
        assert_eq!(
            e,
            RecoverError::NotEnoughShares {
                needed: 3,
                count: 4,
                given: 2,
                rejected: vec![]
            }
        );
        assert_eq!(
            e.to_string(),
            "3 of 4 shares are needed to recover, 2 usable given"
        );
        // Exactly k is enough.
        assert!(
            check(
                src(&[
                    ("a", &s.shares[0]),
                    ("b", &s.shares[1]),
                    ("d", &s.shares[3])
                ]),
                vsrc(&[("v", &s.vault)]),
            )
            .unwrap()
            .open(None)
            .is_ok()
        );
    }

    /// The same vault resealed at generation 2 (a rekey keeps the id).
    fn rekeyed(old: &Sealed, seed: u64) -> Sealed {
        let mut p = plan(2, 3, false);
        p.vault_id = Some(old.vault.header.vault_id);
        p.generation = 2;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        seal(&p, &contents(), &mut rng).unwrap()
    }

    #[test]
    fn older_generations_are_retired() {
        let g1 = make(7, 2, 3, false);
        let g2 = rekeyed(&g1, 8);
        let set = check(
            src(&[
                ("old", &g1.shares[0]),
                ("n1", &g2.shares[0]),
                ("n3", &g2.shares[2]),
            ]),
            vsrc(&[("oldv", &g1.vault), ("n1", &g2.vault)]),
        )
        .unwrap();
        let retired = vec![Rejected {
            source: "old".into(),
            reason: Rejection::Retired {
                generation: 1,
                newer: 2,
            },
        }];
        assert_eq!(set.rejected(), retired);
        assert_eq!(set.header().generation, 2);
        let r = set.open(None).unwrap();
        assert_eq!(r.rejected, retired);
        assert_eq!(r.indices, vec![1, 3]);
        assert_eq!(
            retired[0].to_string(),
            "old: this sheet is generation 1; it was retired by generation 2"
        );
        // Only the old vault copy with a new share: the newest vault text is missing.
        assert_eq!(
            check(
                src(&[("old", &g1.shares[0]), ("n1", &g2.shares[0])]),
                vsrc(&[("oldv", &g1.vault)]),
            )
            .unwrap_err(),
            RecoverError::NoVault
        );
        // Retired shares count as left out when too few remain.
        let e = check(
            src(&[
                ("o1", &g1.shares[0]),
                ("o2", &g1.shares[1]),
                ("n1", &g2.shares[0]),
            ]),
            vsrc(&[("v", &g2.vault)]),
        )
        .unwrap_err();
        assert!(matches!(
            &e,
            RecoverError::NotEnoughShares { given: 1, rejected, .. } if rejected.len() == 2
        ));
        // The generation of the newest vault copy counts too, without any new share.
        let e = check(
            src(&[("o1", &g1.shares[0]), ("o2", &g1.shares[1])]),
            vsrc(&[("v", &g2.vault), ("ov", &g1.vault)]),
        )
        .unwrap_err();
        assert!(matches!(
            &e,
            RecoverError::NotEnoughShares { given: 0, rejected, .. } if rejected.len() == 2
        ));
    }

    #[test]
    fn the_copy_most_shares_check_against_is_used() {
        let s = make(9, 2, 3, false);
        // Another copy of the same vault whose ciphertext is damaged, carried by more sheets.
        let mut damaged = s.vault.clone();
        damaged.ciphertext[0] ^= 1;
        let set = check(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("d1", &damaged), ("d2", &damaged), ("good", &s.vault)]),
        )
        .unwrap();
        // The most widely carried copy comes first; the good one is tried after it fails.
        assert_eq!(set.candidates[0].vault, damaged);
        assert_eq!(set.candidates[0].carried, 2);
        assert_eq!(set.candidates[1].vault, s.vault);
        let r = set.open(None).unwrap();
        assert_eq!(r.contents, contents());
        // Only damaged copies: the first error is reported.
        let e = check(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("d1", &damaged)]),
        )
        .unwrap()
        .open(None)
        .unwrap_err();
        assert_eq!(e, RecoverError::Altered);
        // A copy with a forged commitment for share 2 checks fewer shares and comes second,
        // even when carried more often.
        let mut forged = s.vault.clone();
        forged.header.commitments[1] = [0; 16];
        let set = check(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("f1", &forged), ("f2", &forged), ("good", &s.vault)]),
        )
        .unwrap();
        assert_eq!(set.header(), &s.vault.header);
        assert!(set.rejected().is_empty());
        // A forged copy under which too few shares check is dropped from the candidates.
        let set = check(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("good", &s.vault), ("f1", &forged), ("f2", &forged)]),
        )
        .unwrap();
        assert_eq!(set.candidates.len(), 1);
        let r = set.open(None).unwrap();
        assert_eq!(r.header, s.vault.header);
        // Two copies under which the same number of shares check, carried equally: input
        // order decides.
        let set = check(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("good", &s.vault), ("d1", &damaged)]),
        )
        .unwrap();
        assert_eq!(set.candidates[0].vault, s.vault);
        assert_eq!(set.candidates.len(), 2);
        assert_eq!(set.candidates[0].carried, 1);
        // Identical copies are counted, not repeated.
        let set = check(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("g1", &s.vault), ("g2", &s.vault), ("g3", &s.vault)]),
        )
        .unwrap();
        assert_eq!(set.candidates.len(), 1);
        assert_eq!(set.candidates[0].carried, 3);
    }

    #[test]
    fn passphrase_rules() {
        let s = make(10, 2, 3, true);
        let two = || src(&[("a", &s.shares[0]), ("b", &s.shares[1])]);
        let v = || vsrc(&[("v", &s.vault)]);
        let set = check(two(), v()).unwrap();
        assert!(set.needs_passphrase());
        assert_eq!(
            set.open(None).unwrap_err(),
            RecoverError::PassphraseRequired
        );
        assert_eq!(
            check(two(), v())
                .unwrap()
                .open(Some(&Passphrase::new("wrong".into())))
                .unwrap_err(),
            RecoverError::WrongPassphraseOrAltered
        );
        let r = check(two(), v())
            .unwrap()
            .open(Some(&Passphrase::new("pw".into())))
            .unwrap();
        assert_eq!(r.contents, contents());
        let plain = make(11, 2, 3, false);
        assert_eq!(
            check(
                src(&[("a", &plain.shares[0]), ("b", &plain.shares[1])]),
                vsrc(&[("v", &plain.vault)])
            )
            .unwrap()
            .open(Some(&Passphrase::new("pw".into())))
            .unwrap_err(),
            RecoverError::PassphraseNotUsed
        );
        // KDF parameters out of range in a hand-made header are refused before stretching.
        let mut costly = s.vault.clone();
        costly.header.passphrase.as_mut().unwrap().params.iterations = 1000;
        assert!(matches!(
            open_with(
                &costly,
                &VaultSecret::from_bytes([0; 32]),
                Some(&Passphrase::new("pw".into()))
            ),
            Err(RecoverError::Kdf(KdfError::TooExpensive { .. }))
        ));
    }

    #[test]
    fn authenticated_but_malformed_contents_are_refused() {
        let s = make(12, 2, 3, false);
        let secret = shamir::combine(&[s.shares[0].point(), s.shares[1].point()], 2).unwrap();
        let key = aead::derive_key(&secret, &s.vault.header.vault_id, None);
        let mut v = s.vault.clone();
        v.ciphertext = aead::seal(
            &key,
            &v.nonce,
            &v.header.to_bytes(),
            &crate::secret::SecretBytes::new(vec![1, 0, 0]),
        );
        assert_eq!(
            check(
                src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
                vsrc(&[("v", &v)])
            )
            .unwrap()
            .open(None)
            .unwrap_err(),
            RecoverError::Contents(ContentsError::Empty)
        );
    }
}
