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
    let s = crate_base32(id);
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

fn crate_base32(b: &[u8]) -> String {
    let mut spec = data_encoding::Specification::new();
    spec.symbols
        .push_str(std::str::from_utf8(crate::text::ALPHABET).expect("ASCII"));
    spec.encoding().expect("valid spec").encode(b)
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
            let committed = header
                .commitments
                .get(usize::from(index) - 1)
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
