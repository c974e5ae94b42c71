//! Untrusted shares and vault copies in; validated share set, then key and contents, out.
//!
//! No unauthenticated field decides anything (FORMAT.md §7): every distinct vault copy is a
//! candidate, a share counts for a copy only if that copy's header commits to it, candidates
//! are tried cheapest and best-supported first, and a generation retires older sheets only
//! once a copy of it has opened. So k honest shares and one honest copy open the vault
//! whatever else is given, and every input not used is named with the reason. The function
//! that yields the contents is the one that checks the tag.

use crate::aead;
use crate::contents::{ContentsError, VaultContents};
use crate::kdf::{KdfError, KdfParams};
use crate::secret::{Passphrase, VaultSecret};
use crate::shamir::{self, SharePoint};
use crate::share::Share;
use crate::vault::{Vault, VaultHeader};
use crate::vault_id::VaultId;
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

/// Why one input was left out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("share {index} does not belong to this vault or has been altered")]
    Altered { index: u8 },
    #[error("share {index} was given twice (also in {first})")]
    Duplicate { index: u8, first: String },
    #[error("this sheet is generation {generation}; it was retired by generation {newer}")]
    Retired { generation: u32, newer: u32 },
    /// Named before anything authenticated: which generation is current is not known yet.
    #[error("this sheet is generation {generation}, the vault text is generation {copy}")]
    OtherGeneration { generation: u32, copy: u32 },
    /// A newer generation is only believed once a copy of it opens.
    #[error(
        "it claims generation {generation}, newer than the one that opened ({opened}), but that did not open: it may have been altered, or too few of its sheets were given"
    )]
    NewerUnverified { generation: u32, opened: u32 },
    #[error("it belongs to another vault ({vault})")]
    OtherVault { vault: String },
    #[error("its vault text differs from the others: it may have been altered")]
    VaultDiffers,
    /// An honest copy from before `expand` added sheets: its commitments are a prefix.
    #[error("its vault text is from before sheets were added ({count} sheets, now {now})")]
    Superseded { count: u8, now: u8 },
    /// Enough shares check against another copy of the same generation: two sets of sheets
    /// claim this generation, so one of them was forged (or a sheet was copied from another
    /// ceremony). Not called "altered": this sheet may be the honest one.
    #[error(
        "it belongs to another set of generation {generation} sheets whose vault text differs from the one that opened: one of the two sets was forged; keep the sheets your custodians were given"
    )]
    OtherSet { generation: u32 },
    /// Another generation that opened too; the one shown is the newest unless asked otherwise
    /// (a caller that can open another one says how).
    #[error("generation {generation} opened too, from these sheets; generation {shown} is shown")]
    AlsoOpened { generation: u32, shown: u32 },
    /// Left untried because another generation was asked for (`--generation`).
    #[error("this sheet is generation {generation}; generation {chosen} was asked for")]
    NotChosen { generation: u32, chosen: u32 },
    /// Left untried: another copy had opened, and this one asks for an Argon2id cost above the
    /// default that was not approved.
    #[error(
        "it claims generation {generation} and asks for a passphrase stretching above the default that was not run (another copy had opened); it is not authenticated"
    )]
    CostNotSpent { generation: u32 },
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
        // One reason per input: an input left out against two copies is named once.
        let mut v: Vec<String> = Vec::new();
        for s in r.iter().map(ToString::to_string) {
            if !v.contains(&s) {
                v.push(s);
            }
        }
        format!(" (left out: {})", v.join("; "))
    }
}

/// Why recovery stopped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
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
    /// A caller that takes a passphrase says how to give it.
    #[error("this vault is also protected by a passphrase: give it")]
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
    #[error(
        "the vault copy's passphrase stretching was not run (its cost was declined); no other copy opened"
    )]
    CostDeclined,
    /// The copy authenticated (its sheets are genuine), but its contents do not parse: a newer
    /// breakglass made them. Older generations are never shown in its place (§7.2).
    #[error(
        "the vault opened, but this breakglass cannot read what it holds ({0}): it was made by a newer breakglass; upgrade to read it"
    )]
    Contents(#[from] ContentsError),
    /// One generation was asked for and no copy of it has enough shares that check.
    #[error(
        "generation {wanted} cannot be opened from these sheets: no copy of it has enough shares (generations that can: {})",
        join_numbers(available)
    )]
    GenerationNotGiven { wanted: u32, available: Vec<u32> },
}

fn join_numbers(n: &[u32]) -> String {
    if n.is_empty() {
        return "none".into();
    }
    n.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

fn describe_groups(g: &[(String, Vec<String>)]) -> String {
    g.iter()
        .map(|(id, s)| format!("vault {id}: {}", s.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Shares checked against the vault copies, ready to combine.
#[derive(Debug)]
pub struct ShareSet {
    /// Every share given, in input order.
    shares: Vec<Sourced<Share>>,
    /// Distinct vault copies in trial order; the first `viable` have at least k checked shares.
    copies: Vec<Candidate>,
    viable: usize,
    /// Only this generation is tried (`--generation`); `None`: the newest that opens is used.
    wanted: Option<u32>,
}

/// `MixedVaults` when the inputs carry more than one vault id, for callers that accept one
/// vault only (reading back a ceremony's sheets); recovery itself names foreign inputs instead.
pub fn mixed_vaults(shares: &[Sourced<Share>], vaults: &[Sourced<Vault>]) -> Option<RecoverError> {
    let groups = group_sources(shares, vaults);
    (groups.len() > 1).then(|| {
        RecoverError::MixedVaults(
            groups
                .into_iter()
                .map(|(id, s)| (id.to_string(), s))
                .collect(),
        )
    })
}

/// The sources of each vault id, shares first, each source once per id.
fn group_sources(
    shares: &[Sourced<Share>],
    vaults: &[Sourced<Vault>],
) -> BTreeMap<VaultId, Vec<String>> {
    let mut groups: BTreeMap<VaultId, Vec<String>> = BTreeMap::new();
    for s in shares {
        groups
            .entry(s.item.vault_id)
            .or_default()
            .push(s.source.clone());
    }
    for v in vaults {
        let g = groups.entry(v.item.header.vault_id).or_default();
        if !g.contains(&v.source) {
            g.push(v.source.clone());
        }
    }
    groups
}

/// Picks the distinct vault copies among untrusted inputs and, for each, the shares its header
/// commits to ([`VaultHeader::commits_to`]); nothing is combined or decrypted yet.
///
/// No field of any input decides anything here: every distinct vault copy is a candidate, and
/// a share counts for a copy only if the copy's header commits to it (FORMAT.md §7).
///
/// # Errors
/// [`RecoverError`] when no vault or share is given, or no copy has k checked shares
/// (`MixedVaults` when the inputs carry more than one vault id, else `NotEnoughShares`).
pub fn match_shares(
    shares: Vec<Sourced<Share>>,
    vaults: Vec<Sourced<Vault>>,
) -> Result<ShareSet, RecoverError> {
    if shares.is_empty() {
        return Err(RecoverError::NoShares);
    }
    if vaults.is_empty() {
        return Err(RecoverError::NoVault);
    }
    let mixed = mixed_vaults(&shares, &vaults);

    // Distinct copies, each with every input that carries it.
    let mut copies: Vec<Candidate> = Vec::new();
    for (position, v) in vaults.into_iter().enumerate() {
        match copies.iter_mut().find(|c| c.vault == v.item) {
            Some(c) => c.sources.push(v.source),
            None => copies.push(Candidate::new(v.item, v.source, position, &shares)),
        }
    }
    copies.sort_by_key(Candidate::order);
    copies.sort_by_key(|c| !c.is_viable());
    let viable = copies.iter().filter(|c| c.is_viable()).count();
    if viable == 0 {
        if let Some(e) = mixed {
            return Err(e);
        }
        let best = &copies[0];
        return Err(RecoverError::NotEnoughShares {
            needed: best.vault.header.threshold,
            count: best.vault.header.share_count(),
            given: best.usable.len(),
            rejected: left_out(&shares, &copies, 0, &Trial::default()),
        });
    }
    Ok(ShareSet {
        shares,
        copies,
        viable,
        wanted: None,
    })
}

/// One distinct vault copy and the shares that check against it.
#[derive(Debug)]
struct Candidate {
    vault: Vault,
    /// Every input that carries this copy, in input order.
    sources: Vec<String>,
    /// Position of its first carrier among the vault inputs.
    position: usize,
    usable: Vec<Sourced<Share>>,
    /// Positions of the usable shares among all shares.
    usable_at: Vec<usize>,
    /// Shares that check but repeat an index, with their positions.
    duplicates: Vec<(usize, Rejected)>,
}

impl Candidate {
    fn new(vault: Vault, source: String, position: usize, shares: &[Sourced<Share>]) -> Self {
        let mut usable: Vec<(usize, Sourced<Share>)> = Vec::new();
        let mut duplicates = Vec::new();
        for (at, s) in shares.iter().enumerate() {
            if !vault.header.commits_to(&s.item) {
                continue;
            }
            let index = s.item.index();
            if let Some((_, first)) = usable.iter().find(|(_, u)| u.item.index() == index) {
                duplicates.push((
                    at,
                    Rejected {
                        reason: Rejection::Duplicate {
                            index,
                            first: first.source.clone(),
                        },
                        source: s.source.clone(),
                    },
                ));
            } else {
                usable.push((at, s.clone()));
            }
        }
        usable.sort_by_key(|(_, s)| s.item.index());
        Self {
            vault,
            sources: vec![source],
            position,
            usable_at: usable.iter().map(|(at, _)| *at).collect(),
            usable: usable.into_iter().map(|(_, s)| s).collect(),
            duplicates,
        }
    }

    fn is_viable(&self) -> bool {
        self.usable.len() >= usize::from(self.vault.header.threshold)
    }

    /// Trial order (FORMAT.md §7.2 rule 4): cheapest KDF first, then most checked shares, most
    /// carriers, first given. The cost leads because the counts are unauthenticated: a forged
    /// copy can list the honest commitments plus its own and carry an extra forged share, but
    /// it cannot make itself cheaper than an honest copy without being tried (and failing)
    /// first at that lower cost.
    fn order(
        &self,
    ) -> (
        u64,
        std::cmp::Reverse<usize>,
        std::cmp::Reverse<usize>,
        usize,
    ) {
        (
            kdf_cost(&self.vault.header),
            std::cmp::Reverse(self.usable.len()),
            std::cmp::Reverse(self.sources.len()),
            self.position,
        )
    }

    /// An honest copy issued before `expand` added sheets to `newer`: same vault and
    /// generation, and its commitments are a strict prefix of the newer copy's.
    fn is_before_expand_of(&self, newer: &VaultHeader) -> bool {
        let o = &self.vault.header;
        o.vault_id == newer.vault_id
            && o.generation == newer.generation
            && o.commitments.len() < newer.commitments.len()
            && newer.commitments.starts_with(&o.commitments)
    }

    fn id(&self) -> VaultId {
        self.vault.header.vault_id
    }

    /// The k checking shares with the lowest indices: the ones combined.
    fn used(&self) -> &[Sourced<Share>] {
        &self.usable[..usize::from(self.vault.header.threshold)]
    }

    /// Whether this copy is a second set of sheets of `chosen`'s vault and generation: enough
    /// shares check against it that do not check against `chosen`. A damaged or forged copy
    /// that lists the same commitments (plus a forged one) is not; a complete forged set is.
    fn is_other_set_than(&self, chosen: &Candidate) -> bool {
        self.id() == chosen.id()
            && self.generation() == chosen.generation()
            && self
                .usable_at
                .iter()
                .filter(|at| !chosen.usable_at.contains(at))
                .count()
                >= usize::from(self.vault.header.threshold)
    }

    fn generation(&self) -> u32 {
        self.vault.header.generation
    }
}

/// Argon2id memory × iterations in KiB·passes; 0 without a passphrase.
fn kdf_cost(header: &VaultHeader) -> u64 {
    header.passphrase.as_ref().map_or(0, |k| {
        u64::from(k.params.memory_kib) * u64::from(k.params.iterations)
    })
}

/// What the trial found, for naming the inputs not used (FORMAT.md §7.2 rule 8).
#[derive(Default)]
struct Trial {
    /// Whether the chosen copy authenticated (only then does it retire others).
    opened: bool,
    /// Other generations of the chosen vault that opened too.
    also: Vec<u32>,
    /// Candidates left untried after another opened, their cost not approved.
    declined: Vec<usize>,
    /// The one generation asked for.
    wanted: Option<u32>,
}

/// Names every input not used with `copies[chosen]`, in input order: shares first, then vault
/// copies.
fn left_out(
    shares: &[Sourced<Share>],
    copies: &[Candidate],
    chosen: usize,
    trial: &Trial,
) -> Vec<Rejected> {
    let c = &copies[chosen];
    let h = &c.vault.header;
    // Why an input of another vault or generation was not used; `None` for this generation.
    let why = |id: &VaultId, generation: u32, declined: bool| -> Option<Rejection> {
        if *id != h.vault_id {
            Some(Rejection::OtherVault {
                vault: id.to_string(),
            })
        } else if generation == h.generation {
            None
        } else if !trial.opened {
            Some(Rejection::OtherGeneration {
                generation,
                copy: h.generation,
            })
        } else if let Some(chosen) = trial.wanted {
            Some(Rejection::NotChosen { generation, chosen })
        } else if trial.also.contains(&generation) {
            Some(Rejection::AlsoOpened {
                generation,
                shown: h.generation,
            })
        } else if declined {
            Some(Rejection::CostNotSpent { generation })
        } else if generation < h.generation {
            Some(Rejection::Retired {
                generation,
                newer: h.generation,
            })
        } else {
            Some(Rejection::NewerUnverified {
                generation,
                opened: h.generation,
            })
        }
    };
    // Copies of this generation that enough shares check against without the ones used here.
    let other_sets: Vec<&Candidate> = copies
        .iter()
        .enumerate()
        .filter(|(i, o)| *i != chosen && o.is_other_set_than(c))
        .map(|(_, o)| o)
        .collect();
    let declined = |at: &dyn Fn(&Candidate) -> bool| trial.declined.iter().any(|&i| at(&copies[i]));
    let mut out = Vec::new();
    for (at, s) in shares.iter().enumerate() {
        if c.usable_at.contains(&at) {
            continue;
        }
        if let Some((_, d)) = c.duplicates.iter().find(|(d, _)| *d == at) {
            out.push(d.clone());
            continue;
        }
        let was_declined = declined(&|o| o.usable_at.contains(&at));
        let reason = why(&s.item.vault_id, s.item.generation, was_declined).unwrap_or_else(|| {
            if other_sets.iter().any(|o| o.usable_at.contains(&at)) {
                Rejection::OtherSet {
                    generation: h.generation,
                }
            } else {
                Rejection::Altered {
                    index: s.item.index(),
                }
            }
        });
        out.push(Rejected {
            source: s.source.clone(),
            reason,
        });
    }
    for (i, other) in copies.iter().enumerate().filter(|(i, _)| *i != chosen) {
        let o = &other.vault.header;
        let reason =
            why(&o.vault_id, o.generation, trial.declined.contains(&i)).unwrap_or_else(|| {
                if trial.opened && other.is_before_expand_of(h) {
                    Rejection::Superseded {
                        count: o.share_count(),
                        now: h.share_count(),
                    }
                } else if other_sets.iter().any(|s| std::ptr::eq(*s, other)) {
                    Rejection::OtherSet {
                        generation: h.generation,
                    }
                } else {
                    Rejection::VaultDiffers
                }
            });
        for source in &other.sources {
            out.push(Rejected {
                source: source.clone(),
                reason: reason.clone(),
            });
        }
    }
    out
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
    /// Every input that was distrusted or not used, and why.
    pub rejected: Vec<Rejected>,
    /// Other generations of this vault that opened too (authenticated) from the inputs given,
    /// oldest first. Not empty after a rekey whose old sheets were given too, or when a
    /// complete set was forged at another generation: the caller must say so.
    pub also_opened: Vec<Opening>,
    secret: VaultSecret,
    points: Vec<SharePoint>,
}

/// Another generation that opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opening {
    pub generation: u32,
    /// Unix seconds, from its (authenticated) header.
    pub created: u64,
    /// Sources of the shares that opened it, in index order.
    pub used: Vec<String>,
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

/// What the caller supplies while copies are tried: the passphrase, asked for only when the
/// copy being tried needs one, and consent to an Argon2id cost the copy asks for.
pub trait Unlock {
    /// The passphrase for a copy carried by `source` that needs one; `None` if there is none.
    /// Called again for later copies: ask once and keep the answer.
    fn passphrase(&mut self, source: &str) -> Option<&Passphrase>;
    /// Whether a passphrase was given up front (a vault without one then refuses it).
    fn given(&self) -> bool;
    /// Whether to run Argon2id with `params` for the copy carried by `source`. Unauthenticated:
    /// a forged copy may ask for the maximum cost. `another_opened`: a copy of another
    /// generation has already opened, so this one is tried only to report it.
    fn approve(&mut self, source: &str, params: &KdfParams, another_opened: bool) -> bool;
}

/// A passphrase known in advance (or none). Every cost within the format's caps is accepted
/// until a copy opens; after that only costs up to the default.
struct Given<'a>(Option<&'a Passphrase>);

impl Unlock for Given<'_> {
    fn passphrase(&mut self, _: &str) -> Option<&Passphrase> {
        self.0
    }
    fn given(&self) -> bool {
        self.0.is_some()
    }
    fn approve(&mut self, _: &str, params: &KdfParams, another_opened: bool) -> bool {
        !another_opened || params.within_default()
    }
}

/// A copy that authenticated: its contents (which a newer breakglass may have written in a
/// form this one cannot read) and the secret that opened it.
struct Opened {
    at: usize,
    contents: Result<VaultContents, ContentsError>,
    secret: VaultSecret,
}

impl ShareSet {
    /// The header of the first copy to be tried (not yet authenticated).
    pub fn header(&self) -> &VaultHeader {
        &self.copies[0].vault.header
    }

    /// Tries only copies of this generation (`--generation`): the others are named, not opened.
    #[must_use]
    pub fn only_generation(mut self, generation: u32) -> Self {
        self.wanted = Some(generation);
        self
    }

    /// The viable copies that will be tried, in trial order.
    fn to_try(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.viable).filter(|&i| self.wanted.is_none_or(|w| self.copies[i].generation() == w))
    }

    /// Whether any copy that will be tried asks for a passphrase.
    pub fn needs_passphrase(&self) -> bool {
        self.to_try()
            .any(|i| self.copies[i].vault.header.passphrase.is_some())
    }

    /// Inputs not used with the first copy to be tried (before anything authenticated).
    pub fn rejected(&self) -> Vec<Rejected> {
        left_out(&self.shares, &self.copies, 0, &Trial::default())
    }

    /// Sources of each distinct vault copy, when one vault id has more than one: the copies
    /// differ, so all but one may have been altered.
    pub fn differing_copies(&self) -> Vec<Vec<String>> {
        let id = self.copies[0].id();
        let same: Vec<Vec<String>> = self
            .copies
            .iter()
            .filter(|c| c.id() == id)
            .map(|c| c.sources.clone())
            .collect();
        if same.len() > 1 { same } else { Vec::new() }
    }

    /// Combines k shares, derives the key and opens the vault, with the passphrase given.
    ///
    /// # Errors
    /// As [`ShareSet::open_asking`].
    pub fn open(self, passphrase: Option<&Passphrase>) -> Result<Recovered, RecoverError> {
        self.open_asking(&mut Given(passphrase))
    }

    /// Tries the copies in order (FORMAT.md §7.2 rules 6 to 8). Once one authenticates (vault
    /// id X), only copies of X of a generation not yet opened are still tried, each once; the
    /// newest generation that opened is used (or the one asked for), and every other one that
    /// opened is listed in [`Recovered::also_opened`].
    ///
    /// # Errors
    /// `PassphraseNotUsed` when a passphrase was given and no copy asks for one;
    /// `GenerationNotGiven` when the generation asked for has no viable copy; `Contents` when
    /// the generation used authenticates but its contents do not parse (never an older one in
    /// its place); otherwise, when no copy opens, the error of the first copy tried.
    ///
    /// # Security
    /// A copy's KDF cost is unauthenticated; `unlock.approve` is asked before spending it, and
    /// the trial order spends the cheapest first.
    pub fn open_asking(self, unlock: &mut dyn Unlock) -> Result<Recovered, RecoverError> {
        if unlock.given() && !self.needs_passphrase() {
            return Err(RecoverError::PassphraseNotUsed);
        }
        let order: Vec<usize> = self.to_try().collect();
        if let (Some(wanted), true) = (self.wanted, order.is_empty()) {
            let mut available: Vec<u32> = (0..self.viable)
                .map(|i| self.copies[i].generation())
                .collect();
            available.sort_unstable();
            available.dedup();
            return Err(RecoverError::GenerationNotGiven { wanted, available });
        }
        let mut first_err = None;
        let mut opened: Vec<Opened> = Vec::new();
        let mut declined = Vec::new();
        for i in order {
            let c = &self.copies[i];
            if let Some(first) = opened.first() {
                let same_generation = |o: &Opened| self.copies[o.at].generation() == c.generation();
                if c.id() != self.copies[first.at].id() || opened.iter().any(same_generation) {
                    continue;
                }
            }
            let k = usize::from(c.vault.header.threshold);
            let points: Vec<&SharePoint> = c.usable[..k].iter().map(|s| s.item.point()).collect();
            let secret = shamir::combine(&points, c.vault.header.threshold)
                .expect("checked: k distinct non-zero shares");
            match try_copy(c, &secret, unlock, !opened.is_empty()) {
                Ok(contents) => opened.push(Opened {
                    at: i,
                    contents,
                    secret,
                }),
                Err(RecoverError::CostDeclined) if !opened.is_empty() => declined.push(i),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        let Some(best) = opened
            .iter()
            .map(|o| o.at)
            .max_by_key(|&at| self.copies[at].generation())
        else {
            return Err(first_err.expect("at least one viable copy was tried"));
        };
        let also_opened: Vec<Opening> = {
            let mut v: Vec<Opening> = opened
                .iter()
                .filter(|o| o.at != best)
                .map(|o| {
                    let c = &self.copies[o.at];
                    Opening {
                        generation: c.generation(),
                        created: c.vault.header.created,
                        used: c.used().iter().map(|s| s.source.clone()).collect(),
                    }
                })
                .collect();
            v.sort_by_key(|o| o.generation);
            v
        };
        let trial = Trial {
            opened: true,
            also: also_opened.iter().map(|o| o.generation).collect(),
            declined,
            wanted: self.wanted,
        };
        let rejected = left_out(&self.shares, &self.copies, best, &trial);
        let Opened {
            contents, secret, ..
        } = opened
            .into_iter()
            .find(|o| o.at == best)
            .expect("best is one of the opened");
        let c = &self.copies[best];
        let used = c.used();
        Ok(Recovered {
            header: c.vault.header.clone(),
            contents: contents?,
            used: used.iter().map(|s| s.source.clone()).collect(),
            indices: used.iter().map(|s| s.item.index()).collect(),
            rejected,
            also_opened,
            points: used.iter().map(|s| s.item.point().clone()).collect(),
            secret,
        })
    }
}

/// Opens one copy, asking for the passphrase and the KDF cost only if this copy needs them.
/// `Ok` means it authenticated; the inner result is whether its contents parse.
fn try_copy(
    c: &Candidate,
    secret: &VaultSecret,
    unlock: &mut dyn Unlock,
    another_opened: bool,
) -> Result<Result<VaultContents, ContentsError>, RecoverError> {
    let source = &c.sources[0];
    match &c.vault.header.passphrase {
        None => open_with(&c.vault, secret, None),
        Some(kdf) => {
            kdf.params.check()?;
            if !unlock.approve(source, &kdf.params, another_opened) {
                return Err(RecoverError::CostDeclined);
            }
            if unlock.passphrase(source).is_none() {
                return Err(RecoverError::PassphraseRequired);
            }
            open_with(&c.vault, secret, unlock.passphrase(source))
        }
    }
}

/// Derives the key and checks the tag; `Ok` once the copy authenticated, with its contents
/// parsed (or why they do not parse).
fn open_with(
    vault: &Vault,
    secret: &VaultSecret,
    passphrase: Option<&Passphrase>,
) -> Result<Result<VaultContents, ContentsError>, RecoverError> {
    let header = &vault.header;
    let stretched = match (&header.passphrase, passphrase) {
        (None, Some(_)) => return Err(RecoverError::PassphraseNotUsed),
        (Some(_), None) => return Err(RecoverError::PassphraseRequired),
        (None, None) => None,
        (Some(kdf), Some(p)) => Some(kdf.params.stretch(p, &kdf.salt)?),
    };
    let key = aead::derive_key(secret, header.vault_id.as_bytes(), stretched.as_deref());
    let plaintext = aead::decrypt(&key, &vault.nonce, &header.to_bytes(), &vault.ciphertext)
        .map_err(|_| {
            if stretched.is_some() {
                RecoverError::WrongPassphraseOrAltered
            } else {
                RecoverError::Altered
            }
        })?;
    Ok(VaultContents::from_bytes(&plaintext))
}

crate::error_kinds! { RecoverError {
    CostDeclined => "CostDeclined",
    NoShares => "NoShares",
    NoVault => "NoVault",
    MixedVaults => "MixedVaults",
    NotEnoughShares => "NotEnoughShares",
    PassphraseRequired => "PassphraseRequired",
    PassphraseNotUsed => "PassphraseNotUsed",
    Kdf(inner) => "Kdf" / inner,
    WrongPassphraseOrAltered => "WrongPassphraseOrAltered",
    Altered => "Altered",
    Contents(inner) => "Contents" / inner,
    GenerationNotGiven => "GenerationNotGiven",
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kdf::KdfParams;
    use crate::seal::{SealParams, Sealed, seal};
    use crate::testkit::{self, SMALL_KDF as SMALL, contents};
    use crate::vault::ShareLabel;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    fn plan(threshold: u8, n: usize, pass: bool) -> SealParams {
        let p = testkit::params(threshold, n);
        if pass { testkit::with_passphrase(p) } else { p }
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
    fn recovers_with_k_shares_in_index_order() {
        let s = make(1, 2, 3, false);
        let set = match_shares(
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
        let r = match_shares(
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
            match_shares(vec![], vsrc(&[("v", &s.vault)])).unwrap_err(),
            RecoverError::NoShares
        );
        assert_eq!(
            match_shares(src(&[("a", &s.shares[0])]), vec![]).unwrap_err(),
            RecoverError::NoVault
        );
    }

    #[test]
    fn mixed_vaults_are_named() {
        let a = make(3, 2, 3, false);
        let b = make(4, 2, 3, false);
        let e = match_shares(
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
            .find(|(id, _)| *id == a.vault.header.vault_id.to_string())
            .unwrap();
        // The sheet that carries both a share and the vault copy is named once.
        assert_eq!(ga.1, vec!["a1".to_string()]);
        let gb = groups
            .iter()
            .find(|(id, _)| *id == b.vault.header.vault_id.to_string())
            .unwrap();
        assert_eq!(gb.1, vec!["b1".to_string(), "bv".to_string()]);
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("vault {}: a1", a.vault.header.vault_id)),
            "{msg}"
        );
        assert!(msg.contains("b1, bv"), "{msg}");
        assert!(msg.contains("; vault "), "{msg}");
        // A vault copy alone from another vault is also a mix.
        assert!(matches!(
            match_shares(
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
        let set = match_shares(
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
        let e = match_shares(
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
        let e = match_shares(
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
            match_shares(
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
    fn older_generations_are_retired_once_the_newer_opens() {
        let g1 = make(7, 2, 3, false);
        let g2 = rekeyed(&g1, 8);
        let set = match_shares(
            src(&[
                ("old", &g1.shares[0]),
                ("n1", &g2.shares[0]),
                ("n3", &g2.shares[2]),
            ]),
            vsrc(&[("oldv", &g1.vault), ("n1", &g2.vault)]),
        )
        .unwrap();
        // Before anything opened, nothing is called retired.
        assert_eq!(
            set.rejected(),
            vec![
                Rejected {
                    source: "old".into(),
                    reason: Rejection::OtherGeneration {
                        generation: 1,
                        copy: 2
                    },
                },
                Rejected {
                    source: "oldv".into(),
                    reason: Rejection::OtherGeneration {
                        generation: 1,
                        copy: 2
                    },
                },
            ]
        );
        assert_eq!(set.header().generation, 2);
        let r = set.open(None).unwrap();
        let retired = Rejection::Retired {
            generation: 1,
            newer: 2,
        };
        assert_eq!(
            r.rejected,
            vec![
                Rejected {
                    source: "old".into(),
                    reason: retired.clone(),
                },
                Rejected {
                    source: "oldv".into(),
                    reason: retired,
                },
            ]
        );
        assert_eq!(r.indices, vec![1, 3]);
        assert_eq!(r.header.generation, 2);
        assert_eq!(
            r.rejected[0].to_string(),
            "old: this sheet is generation 1; it was retired by generation 2"
        );
        // Only the old vault copy with a new share: one share checks against it.
        assert!(matches!(
            match_shares(
                src(&[("old", &g1.shares[0]), ("n1", &g2.shares[0])]),
                vsrc(&[("oldv", &g1.vault)]),
            )
            .unwrap_err(),
            RecoverError::NotEnoughShares { given: 1, .. }
        ));
        // Shares of another generation count as left out when too few remain.
        let e = match_shares(
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
        // A newer copy that cannot open retires nothing: the old quorum opens, and the newer
        // copy is named as unverified.
        let r = match_shares(
            src(&[("o1", &g1.shares[0]), ("o2", &g1.shares[1])]),
            vsrc(&[("v", &g2.vault), ("ov", &g1.vault)]),
        )
        .unwrap()
        .open(None)
        .unwrap();
        assert_eq!(r.header.generation, 1);
        assert_eq!(
            r.rejected,
            vec![Rejected {
                source: "v".into(),
                reason: Rejection::NewerUnverified {
                    generation: 2,
                    opened: 1
                },
            }]
        );
        // Both generations complete: the newer one opens, whatever the order.
        let r = match_shares(
            src(&[
                ("o1", &g1.shares[0]),
                ("o2", &g1.shares[1]),
                ("o3", &g1.shares[2]),
                ("n1", &g2.shares[0]),
                ("n2", &g2.shares[1]),
            ]),
            vsrc(&[("ov", &g1.vault), ("ov2", &g1.vault), ("v", &g2.vault)]),
        )
        .unwrap()
        .open(None)
        .unwrap();
        assert_eq!(r.header.generation, 2);
        assert_eq!(r.used, vec!["n1".to_string(), "n2".to_string()]);
        // Both opened: that is said, never left to "retired" (a complete set forged at another
        // generation opens too, and only the people can tell which one they made).
        assert_eq!(
            r.also_opened,
            vec![Opening {
                generation: 1,
                created: g1.vault.header.created,
                used: vec!["o1".into(), "o2".into()],
            }]
        );
        assert_eq!(r.rejected.len(), 5);
        assert!(r.rejected.iter().all(|x| x.reason
            == Rejection::AlsoOpened {
                generation: 1,
                shown: 2
            }));
    }

    #[test]
    fn the_copy_most_shares_check_against_is_used() {
        let s = make(9, 2, 3, false);
        // Another copy of the same vault whose ciphertext is damaged, carried by more sheets.
        let mut damaged = s.vault.clone();
        damaged.ciphertext[0] ^= 1;
        let set = match_shares(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("d1", &damaged), ("d2", &damaged), ("good", &s.vault)]),
        )
        .unwrap();
        // The most widely carried copy comes first; the good one is tried after it fails.
        assert_eq!(set.copies[0].vault, damaged);
        assert_eq!(set.copies[0].sources.len(), 2);
        assert_eq!(set.copies[1].vault, s.vault);
        let r = set.open(None).unwrap();
        assert_eq!(r.contents, contents());
        // Only damaged copies: the first error is reported.
        let e = match_shares(
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
        let set = match_shares(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("f1", &forged), ("f2", &forged), ("good", &s.vault)]),
        )
        .unwrap();
        assert_eq!(set.header(), &s.vault.header);
        assert_eq!(
            set.rejected(),
            ["f1", "f2"]
                .map(|f| Rejected {
                    source: f.into(),
                    reason: Rejection::VaultDiffers
                })
                .to_vec()
        );
        assert_eq!(
            set.differing_copies(),
            vec![vec!["good".to_string()], vec!["f1".into(), "f2".into()]]
        );
        // A forged copy under which too few shares check is dropped from the candidates.
        let set = match_shares(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("good", &s.vault), ("f1", &forged), ("f2", &forged)]),
        )
        .unwrap();
        assert_eq!(set.viable, 1);
        let r = set.open(None).unwrap();
        assert_eq!(r.header, s.vault.header);
        // Two copies under which the same number of shares check, carried equally: input
        // order decides.
        let set = match_shares(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("good", &s.vault), ("d1", &damaged)]),
        )
        .unwrap();
        assert_eq!(set.copies[0].vault, s.vault);
        assert_eq!(set.viable, 2);
        assert_eq!(set.copies[0].sources.len(), 1);
        // Identical copies are counted, not repeated.
        let set = match_shares(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("g1", &s.vault), ("g2", &s.vault), ("g3", &s.vault)]),
        )
        .unwrap();
        assert_eq!(set.viable, 1);
        assert_eq!(set.copies[0].sources.len(), 3);
    }

    #[test]
    fn passphrase_rules() {
        let s = make(10, 2, 3, true);
        let two = || src(&[("a", &s.shares[0]), ("b", &s.shares[1])]);
        let v = || vsrc(&[("v", &s.vault)]);
        let set = match_shares(two(), v()).unwrap();
        assert!(set.needs_passphrase());
        assert_eq!(
            set.open(None).unwrap_err(),
            RecoverError::PassphraseRequired
        );
        assert_eq!(
            match_shares(two(), v())
                .unwrap()
                .open(Some(&Passphrase::new("wrong".into())))
                .unwrap_err(),
            RecoverError::WrongPassphraseOrAltered
        );
        let r = match_shares(two(), v())
            .unwrap()
            .open(Some(&testkit::passphrase()))
            .unwrap();
        assert_eq!(r.contents, contents());
        let plain = make(11, 2, 3, false);
        assert_eq!(
            match_shares(
                src(&[("a", &plain.shares[0]), ("b", &plain.shares[1])]),
                vsrc(&[("v", &plain.vault)])
            )
            .unwrap()
            .open(Some(&testkit::passphrase()))
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
                Some(&testkit::passphrase())
            ),
            Err(RecoverError::Kdf(KdfError::TooExpensive { .. }))
        ));
    }

    #[test]
    fn authenticated_but_malformed_contents_are_refused() {
        let s = make(12, 2, 3, false);
        let secret = shamir::combine(&[s.shares[0].point(), s.shares[1].point()], 2).unwrap();
        let key = aead::derive_key(&secret, s.vault.header.vault_id.as_bytes(), None);
        let mut v = s.vault.clone();
        v.ciphertext = aead::encrypt(
            &key,
            &v.nonce,
            &v.header.to_bytes(),
            &crate::secret::SecretBytes::new(vec![1, 0, 0]),
        );
        assert_eq!(
            match_shares(
                src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
                vsrc(&[("v", &v)])
            )
            .unwrap()
            .open(None)
            .unwrap_err(),
            RecoverError::Contents(ContentsError::Empty)
        );
    }

    /// Records what recovery asked for, answering with a fixed passphrase.
    struct Recording {
        pass: Option<Passphrase>,
        asked: Vec<String>,
        approved: Vec<KdfParams>,
    }

    impl Recording {
        fn new(pass: Option<&str>) -> Self {
            Self {
                pass: pass.map(|p| Passphrase::new(p.into())),
                asked: Vec::new(),
                approved: Vec::new(),
            }
        }
    }

    impl Unlock for Recording {
        fn passphrase(&mut self, source: &str) -> Option<&Passphrase> {
            self.asked.push(source.to_string());
            self.pass.as_ref()
        }
        fn given(&self) -> bool {
            self.pass.is_some()
        }
        fn approve(&mut self, _: &str, params: &KdfParams, another_opened: bool) -> bool {
            self.approved.push(*params);
            !another_opened || params.within_default()
        }
    }

    /// Re-encodes a forged vault through the parser, as a forger with recomputed checksums would.
    fn reparsed(v: &Vault) -> Vault {
        Vault::from_bytes(&v.to_bytes()).expect("forgery is a valid envelope")
    }

    #[test]
    fn a_forged_newer_generation_retires_nothing() {
        let s = make(20, 2, 3, false);
        let mut forged = s.vault.clone();
        forged.header.generation = 2;
        let forged = reparsed(&forged);
        let r = match_shares(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("forged", &forged), ("a", &s.vault), ("b", &s.vault)]),
        )
        .unwrap()
        .open(None)
        .unwrap();
        assert_eq!(r.contents, contents());
        assert_eq!(r.header, s.vault.header);
        assert_eq!(
            r.rejected,
            vec![Rejected {
                source: "forged".into(),
                reason: Rejection::NewerUnverified {
                    generation: 2,
                    opened: 1
                }
            }]
        );
    }

    #[test]
    fn a_forged_share_generation_does_not_hide_the_vault() {
        let s = make(21, 2, 3, false);
        let forged = Share::new(
            s.vault.header.vault_id,
            u32::MAX,
            2,
            3,
            SharePoint::new(3, *s.shares[2].point().expose_y()),
        );
        let r = match_shares(
            src(&[
                ("forged", &forged),
                ("a", &s.shares[0]),
                ("b", &s.shares[1]),
            ]),
            vsrc(&[("a", &s.vault)]),
        )
        .unwrap()
        .open(None)
        .unwrap();
        assert_eq!(r.contents, contents());
        assert_eq!(r.rejected[0].source, "forged");
        assert_eq!(
            r.rejected[0].reason,
            Rejection::NewerUnverified {
                generation: u32::MAX,
                opened: 1
            }
        );
    }

    #[test]
    fn a_forged_passphrase_is_not_asked_for() {
        let s = make(22, 2, 3, false);
        let mut forged = s.vault.clone();
        forged.header.passphrase = Some(crate::vault::PassphraseKdf {
            params: SMALL,
            salt: [7; 16],
        });
        let forged = reparsed(&forged);
        let two = || src(&[("a", &s.shares[0]), ("b", &s.shares[1])]);
        // Listed first and carried as often as the honest copy: no KDF goes first.
        let set = match_shares(two(), vsrc(&[("forged", &forged), ("a", &s.vault)])).unwrap();
        let mut u = Recording::new(None);
        let r = set.open_asking(&mut u).unwrap();
        assert!(u.asked.is_empty(), "asked for {:?}", u.asked);
        assert_eq!(r.contents, contents());
        assert_eq!(r.rejected[0].reason, Rejection::VaultDiffers);
        // Carried more often, the forged copy still comes after the copy with no KDF.
        let set = match_shares(
            two(),
            vsrc(&[("f1", &forged), ("f2", &forged), ("a", &s.vault)]),
        )
        .unwrap();
        assert_eq!(set.header(), &s.vault.header);
        let mut u = Recording::new(None);
        let r = set.open_asking(&mut u).unwrap();
        assert!(u.asked.is_empty(), "asked for {:?}", u.asked);
        assert_eq!(r.header, s.vault.header);
        assert_eq!(r.rejected.len(), 2);
    }

    #[test]
    fn a_costly_forged_kdf_is_tried_last_and_only_if_needed() {
        let s = make(23, 2, 3, true);
        let mut forged = s.vault.clone();
        forged.header.passphrase.as_mut().unwrap().params = KdfParams {
            memory_kib: 2 * 1024 * 1024,
            iterations: 64,
            parallelism: 1,
        };
        let forged = reparsed(&forged);
        let set = match_shares(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("forged", &forged), ("a", &s.vault)]),
        )
        .unwrap();
        assert_eq!(set.header(), &s.vault.header);
        let mut u = Recording::new(Some(testkit::PASSPHRASE));
        let r = set.open_asking(&mut u).unwrap();
        assert_eq!(r.contents, contents());
        assert_eq!(u.approved, vec![SMALL]);
        assert_eq!(
            r.rejected,
            vec![Rejected {
                source: "forged".into(),
                reason: Rejection::VaultDiffers
            }]
        );
        // A declined cost skips the copy and says so when nothing else opens.
        struct No;
        impl Unlock for No {
            fn passphrase(&mut self, _: &str) -> Option<&Passphrase> {
                static P: std::sync::OnceLock<Passphrase> = std::sync::OnceLock::new();
                Some(P.get_or_init(testkit::passphrase))
            }
            fn given(&self) -> bool {
                true
            }
            fn approve(&mut self, _: &str, _: &KdfParams, _: bool) -> bool {
                false
            }
        }
        let e = match_shares(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("forged", &forged)]),
        )
        .unwrap()
        .open_asking(&mut No)
        .unwrap_err();
        assert_eq!(e, RecoverError::CostDeclined);
    }

    #[test]
    fn foreign_sheets_do_not_block_a_quorum() {
        let s = make(24, 2, 3, false);
        let other = make(25, 2, 3, false);
        let r = match_shares(
            src(&[
                ("x", &other.shares[0]),
                ("a", &s.shares[0]),
                ("b", &s.shares[1]),
            ]),
            vsrc(&[("x", &other.vault), ("a", &s.vault)]),
        )
        .unwrap()
        .open(None)
        .unwrap();
        assert_eq!(r.header, s.vault.header);
        let other_id = other.vault.header.vault_id.to_string();
        assert_eq!(
            r.rejected,
            vec![
                Rejected {
                    source: "x".into(),
                    reason: Rejection::OtherVault {
                        vault: other_id.clone()
                    }
                },
                Rejected {
                    source: "x".into(),
                    reason: Rejection::OtherVault { vault: other_id }
                },
            ]
        );
        assert!(
            r.rejected[0]
                .to_string()
                .starts_with("x: it belongs to another vault (")
        );
    }

    #[test]
    fn a_passphrase_given_for_no_copy_that_needs_one_is_refused() {
        let s = make(26, 2, 3, false);
        let mut forged = s.vault.clone();
        forged.header.passphrase = Some(crate::vault::PassphraseKdf {
            params: SMALL,
            salt: [7; 16],
        });
        let two = || src(&[("a", &s.shares[0]), ("b", &s.shares[1])]);
        let pw = testkit::passphrase();
        // One copy asks for it: the honest copy opens without it.
        let set = match_shares(two(), vsrc(&[("f", &forged), ("a", &s.vault)])).unwrap();
        assert!(set.needs_passphrase());
        assert_eq!(set.open(Some(&pw)).unwrap().header, s.vault.header);
        assert_eq!(
            match_shares(two(), vsrc(&[("a", &s.vault)]))
                .unwrap()
                .open(Some(&pw))
                .unwrap_err(),
            RecoverError::PassphraseNotUsed
        );
    }

    #[test]
    fn a_copy_from_before_expand_is_named_as_such() {
        let mut rng = ChaCha20Rng::seed_from_u64(27);
        let s = make(27, 2, 3, false);
        let r = match_shares(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("a", &s.vault)]),
        )
        .unwrap()
        .open(None)
        .unwrap();
        let e = crate::seal::expand(&r, ShareLabel::default(), None, &mut rng).unwrap();
        let r = match_shares(
            src(&[("a", &s.shares[0]), ("new", &e.shares[0])]),
            vsrc(&[("a", &s.vault), ("new", &e.vault)]),
        )
        .unwrap()
        .open(None)
        .unwrap();
        assert_eq!(r.header, e.vault.header);
        assert_eq!(
            r.rejected,
            vec![Rejected {
                source: "a".into(),
                reason: Rejection::Superseded { count: 3, now: 4 }
            }]
        );
    }

    mod forged_inputs {
        use super::*;
        use proptest::prelude::*;

        /// Cases run by the forged-input property (reported in the change).
        const CASES: u32 = 256;

        /// One forged input: a header or share field changed, re-encoded validly.
        #[derive(Debug, Clone)]
        enum Forgery {
            Vault(u8, u32),
            Share(u8, u32),
            Foreign,
            /// A share x = n + 1 and a copy listing the honest commitments plus its own, with
            /// no KDF (0), the smallest (1) or the costliest the format allows (2).
            ExtraShare(u8),
            /// A complete ceremony under the honest vault id, at the same generation or one
            /// above: indistinguishable by format from the honest set or a rekey.
            CompleteSet(bool),
        }

        fn forgery() -> impl Strategy<Value = Forgery> {
            prop_oneof![
                (0u8..15, any::<u32>()).prop_map(|(f, v)| Forgery::Vault(f, v)),
                (0u8..6, any::<u32>()).prop_map(|(f, v)| Forgery::Share(f, v)),
                Just(Forgery::Foreign),
                (0u8..3).prop_map(Forgery::ExtraShare),
                any::<bool>().prop_map(Forgery::CompleteSet),
            ]
        }

        fn nz(v: u32) -> u32 {
            v | 1
        }

        /// Applies one vault-field change; `None` when it would not parse (then it is no
        /// forgery a reader would ever see).
        fn forge_vault(v: &Vault, field: u8, x: u32) -> Option<Vault> {
            let mut f = v.clone();
            let h = &mut f.header;
            let n = h.commitments.len();
            match field {
                0 => h.generation ^= nz(x),
                1 => {
                    let mut id = *h.vault_id.as_bytes();
                    id[(x % 16) as usize] ^= (nz(x) >> 8) as u8 | 1;
                    h.vault_id = id.into();
                }
                2 => h.threshold = 2 + (x % (n as u32 - 1)) as u8,
                3 => {
                    h.commitments.push([x as u8; 16]);
                    h.labels.push(ShareLabel::default());
                }
                4 => {
                    h.commitments.truncate(n - 1);
                    h.labels.truncate(n - 1);
                    if usize::from(h.threshold) > n - 1 {
                        return None;
                    }
                }
                5 => {
                    h.passphrase = Some(crate::vault::PassphraseKdf {
                        params: SMALL,
                        salt: [x as u8; 16],
                    })
                }
                6 => h.passphrase = None,
                7 => {
                    // The most expensive parameters the format allows: must never be run.
                    h.passphrase = Some(crate::vault::PassphraseKdf {
                        params: KdfParams {
                            memory_kib: crate::kdf::MAX_MEMORY_KIB,
                            iterations: crate::kdf::MAX_ITERATIONS,
                            parallelism: 1,
                        },
                        salt: [x as u8; 16],
                    })
                }
                8 => h.commitments[(x as usize) % n][0] ^= 1,
                9 => h.labels[(x as usize) % n].location = format!("Forged {x}"),
                10 => h.created ^= u64::from(nz(x)),
                11 => h.tenant = format!("forged{x}.example"),
                12 => {
                    let len = f.ciphertext.len();
                    f.ciphertext[(x as usize) % len] ^= 1;
                }
                13 => f.nonce[(x as usize) % 24] ^= 1,
                _ => h.drill_interval_days ^= (nz(x) & 0xFFFF) as u16 | 1,
            }
            if f == *v {
                return None;
            }
            Vault::from_bytes(&f.to_bytes()).ok()
        }

        fn forge_share(s: &Share, field: u8, x: u32) -> Option<Share> {
            let (mut id, mut g, mut k, mut n) =
                (*s.vault_id.as_bytes(), s.generation, s.threshold, s.count);
            let mut idx = s.index();
            let mut y = *s.point().expose_y();
            match field {
                0 => g ^= nz(x),
                1 => id[(x % 16) as usize] ^= 1,
                2 => k = 2 + (x % u32::from(n - 1)) as u8,
                3 => n = n.saturating_add(1 + (x % 5) as u8),
                4 => idx = 1 + (x % u32::from(n)) as u8,
                _ => y[(x % 32) as usize] ^= (x >> 8) as u8 | 1,
            }
            let f = Share::new(id.into(), g, k, n, SharePoint::new(idx, y));
            let b = f.to_bytes();
            (b.expose_secret() != s.to_bytes().expose_secret())
                .then(|| Share::from_bytes(b.expose_secret()).ok())
                .flatten()
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

            /// k honest sheets among any forged inputs always open the vault, nothing forged is
            /// used, every forgery is named, and no forged KDF cost is ever spent.
            #[test]
            fn k_honest_sheets_open_whatever_else_is_given(
                seed in any::<u64>(),
                n in 2usize..=7,
                kk in any::<u8>(),
                pass in any::<bool>(),
                keep in any::<u64>(),
                forgeries in proptest::collection::vec((forgery(), any::<usize>(), any::<u8>()), 0..=7),
            ) {
                let n_forged = forgeries.len().min(n);
                let k = 2 + kk % (n as u8 - 1);
                let s = make(seed, k, n, pass);
                // Keep k honest sheets, chosen by `keep`.
                let mut order: Vec<usize> = (0..n).collect();
                let mut r = keep;
                for i in (1..n).rev() {
                    order.swap(i, (r % (i as u64 + 1)) as usize);
                    r /= i as u64 + 1;
                }
                let kept = &order[..usize::from(k)];
                let mut shares = Vec::new();
                let mut vaults = Vec::new();
                let mut forged_names = std::collections::BTreeSet::new();
                let mut complete_sets = 0;
                // Forged inputs are interleaved before and after the honest sheets.
                for (j, (f, at, pos)) in forgeries.iter().take(n_forged).enumerate() {
                    let name = format!("forged {j}");
                    let honest_share = &s.shares[at % n];
                    let front = pos % 2 == 0;
                    let item = match *f {
                        Forgery::Vault(field, x) => forge_vault(&s.vault, field, x).map(|v| (None, Some(v))),
                        Forgery::Share(field, x) => forge_share(honest_share, field, x).map(|sh| (Some(sh), None)),
                        Forgery::Foreign => {
                            let o = make(seed.wrapping_add(1 + j as u64), k, n, false);
                            Some((Some(o.shares[at % n].clone()), Some(o.vault.clone())))
                        }
                        Forgery::ExtraShare(cost) => {
                            let kdf = [None, Some(SMALL), Some(KdfParams {
                                memory_kib: crate::kdf::MAX_MEMORY_KIB,
                                iterations: crate::kdf::MAX_ITERATIONS,
                                parallelism: 1,
                            })][usize::from(cost)];
                            let (sh, v) = forged_extra_share(&s, kdf);
                            Some((Some(sh), Some(v)))
                        }
                        Forgery::CompleteSet(newer) => {
                            // k sheets, each its own input, named "forged set …".
                            let mut p = plan(k, n, false);
                            p.vault_id = Some(s.vault.header.vault_id);
                            p.generation = s.vault.header.generation + u32::from(newer);
                            let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0xF0 ^ j as u64);
                            let o = seal(&p, &contents(), &mut rng).unwrap();
                            complete_sets += 1;
                            for i in 0..usize::from(k) {
                                let name = format!("forged set {j}.{i}");
                                forged_names.insert(name.clone());
                                let x = Sourced::new(name.clone(), o.shares[i].clone());
                                let v = Sourced::new(name, o.vault.clone());
                                if front {
                                    shares.insert(0, x);
                                    vaults.insert(0, v);
                                } else {
                                    shares.push(x);
                                    vaults.push(v);
                                }
                            }
                            None
                        }
                    };
                    let Some((sh, v)) = item else { continue };
                    forged_names.insert(name.clone());
                    if let Some(sh) = sh {
                        let x = Sourced::new(name.clone(), sh);
                        if front { shares.insert(0, x) } else { shares.push(x) }
                    }
                    if let Some(v) = v {
                        let x = Sourced::new(name.clone(), v);
                        if front { vaults.insert(0, x) } else { vaults.push(x) }
                    }
                }
                for &i in kept {
                    let name = format!("honest {}", i + 1);
                    shares.push(Sourced::new(name.clone(), s.shares[i].clone()));
                    vaults.push(Sourced::new(name, s.vault.clone()));
                }
                let mut u = Recording::new(pass.then_some(testkit::PASSPHRASE));
                let r = match_shares(shares, vaults).and_then(|set| set.open_asking(&mut u));
                let r = match r {
                    Ok(r) => r,
                    Err(e) => return Err(TestCaseError::fail(format!("did not open: {e}"))),
                };
                prop_assert_eq!(&r.contents, &contents());
                let honest_names: std::collections::BTreeSet<String> =
                    kept.iter().map(|i| format!("honest {}", i + 1)).collect();
                let named: std::collections::BTreeSet<String> =
                    r.rejected.iter().map(|x| x.source.clone()).collect();
                if r.header == s.vault.header {
                    prop_assert!(r.used.iter().all(|u| u.starts_with("honest")));
                    prop_assert!(named.is_subset(&forged_names));
                    // Every forgery is named, except a complete set of an older generation
                    // than the honest one (none is made) or sheets of an opened set.
                    let unnamed: Vec<&String> = forged_names.difference(&named).collect();
                    prop_assert!(unnamed.is_empty(), "not named: {:?}", unnamed);
                } else {
                    // Only a complete forged set can open in the honest one's place; then the
                    // honest sheets are reported as such, never as altered.
                    prop_assert!(complete_sets > 0, "opened {:?}", r.header);
                    prop_assert!(r.used.iter().all(|u| u.starts_with("forged set")));
                    let h = s.vault.header.generation;
                    if r.header.generation == h {
                        for x in r.rejected.iter().filter(|x| honest_names.contains(&x.source)) {
                            prop_assert_eq!(&x.reason, &Rejection::OtherSet { generation: h });
                        }
                        prop_assert!(honest_names.is_subset(&named));
                    } else {
                        prop_assert!(r.also_opened.iter().any(|o| o.generation == h));
                    }
                }
                // Only the honest copy's KDF was ever run.
                let honest_kdf = s.vault.header.passphrase.as_ref().map(|p| p.params);
                prop_assert!(u.approved.iter().all(|p| Some(*p) == honest_kdf), "{:?}", u.approved);
                prop_assert!(u.approved.len() <= 1 + n_forged);
            }
        }
    }

    /// A forger's sheet (FORMAT.md §7.2 rule 4): an extra share x = n + 1 and a copy that lists
    /// the honest commitments plus its own, so k + 1 shares check against it, with `kdf`.
    fn forged_extra_share(s: &Sealed, kdf: Option<KdfParams>) -> (Share, Vault) {
        let h = &s.vault.header;
        let extra = Share::new(
            h.vault_id,
            h.generation,
            h.threshold,
            h.share_count() + 1,
            SharePoint::new(h.share_count() + 1, [0x5a; 32]),
        );
        let mut v = s.vault.clone();
        v.header.commitments.push(extra.commitment());
        v.header.labels.push(v.header.labels[0].clone());
        v.header.passphrase = kdf.map(|params| crate::vault::PassphraseKdf {
            params,
            salt: [9; 16],
        });
        (extra, reparsed(&v))
    }

    #[test]
    fn counts_a_forger_can_inflate_never_buy_the_first_trial() {
        let huge = KdfParams {
            memory_kib: crate::kdf::MAX_MEMORY_KIB,
            iterations: crate::kdf::MAX_ITERATIONS,
            parallelism: 1,
        };
        // No passphrase on the honest vault: the forged copy checks k + 1 shares to the honest
        // copy's k and asks for a passphrase, yet none is asked for and nothing is stretched.
        let s = make(40, 2, 3, false);
        let (extra, forged) = forged_extra_share(&s, Some(huge));
        let set = match_shares(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1]), ("forged", &extra)]),
            vsrc(&[("forged", &forged), ("a", &s.vault)]),
        )
        .unwrap();
        assert_eq!(set.header(), &s.vault.header);
        let mut u = Recording::new(None);
        let r = set.open_asking(&mut u).unwrap();
        assert!(u.asked.is_empty() && u.approved.is_empty());
        assert_eq!(r.contents, contents());
        assert_eq!(
            r.rejected,
            vec![
                Rejected {
                    source: "forged".into(),
                    reason: Rejection::Altered { index: 4 },
                },
                Rejected {
                    source: "forged".into(),
                    reason: Rejection::VaultDiffers,
                },
            ]
        );
        // A passphrase vault: only the honest (default or cheaper) cost is ever approved.
        let s = make(41, 2, 3, true);
        let (extra, forged) = forged_extra_share(&s, Some(huge));
        let mut u = Recording::new(Some(testkit::PASSPHRASE));
        let r = match_shares(
            src(&[("forged", &extra), ("a", &s.shares[0]), ("b", &s.shares[1])]),
            vsrc(&[("forged", &forged), ("f2", &forged), ("a", &s.vault)]),
        )
        .unwrap()
        .open_asking(&mut u)
        .unwrap();
        assert_eq!(r.contents, contents());
        assert_eq!(u.approved, vec![SMALL]);
        // A forged copy cheaper than the honest one is tried first, fails, and costs only
        // what it asked for.
        let (extra, cheap) = forged_extra_share(&s, None);
        let mut u = Recording::new(Some(testkit::PASSPHRASE));
        let r = match_shares(
            src(&[("a", &s.shares[0]), ("b", &s.shares[1]), ("forged", &extra)]),
            vsrc(&[("forged", &cheap), ("a", &s.vault)]),
        )
        .unwrap()
        .open_asking(&mut u)
        .unwrap();
        assert_eq!(r.header, s.vault.header);
        assert_eq!(u.approved, vec![SMALL]);
    }

    #[test]
    fn a_forged_set_at_the_same_generation_makes_the_honest_one_another_set() {
        let honest = make(42, 2, 3, false);
        // The forger knows the vault id (it is printed on every sheet) and seals a new secret.
        let mut p = plan(2, 3, false);
        p.vault_id = Some(honest.vault.header.vault_id);
        let forged = seal(&p, &contents(), &mut ChaCha20Rng::seed_from_u64(43)).unwrap();
        let r = match_shares(
            src(&[
                ("f1", &forged.shares[0]),
                ("f2", &forged.shares[1]),
                ("h1", &honest.shares[0]),
                ("h2", &honest.shares[1]),
            ]),
            vsrc(&[("fv", &forged.vault), ("hv", &honest.vault)]),
        )
        .unwrap()
        .open(None)
        .unwrap();
        // Either may open (nothing tells them apart); the other is never called altered.
        assert_eq!(r.used, vec!["f1".to_string(), "f2".into()]);
        let other = Rejection::OtherSet { generation: 1 };
        assert_eq!(
            r.rejected
                .iter()
                .map(|x| (x.source.as_str(), x.reason.clone()))
                .collect::<Vec<_>>(),
            vec![("h1", other.clone()), ("h2", other.clone()), ("hv", other)]
        );
        assert!(
            r.rejected[0]
                .to_string()
                .contains("one of the two sets was forged")
        );
    }

    #[test]
    fn two_generations_that_open_are_both_reported_and_either_can_be_chosen() {
        let g1 = make(44, 2, 3, false);
        let g2 = rekeyed(&g1, 45);
        let inputs = || {
            (
                src(&[
                    ("o1", &g1.shares[0]),
                    ("o2", &g1.shares[1]),
                    ("n1", &g2.shares[0]),
                    ("n2", &g2.shares[1]),
                ]),
                vsrc(&[("ov", &g1.vault), ("nv", &g2.vault)]),
            )
        };
        let (s, v) = inputs();
        let r = match_shares(s, v).unwrap().open(None).unwrap();
        assert_eq!(r.header.generation, 2);
        assert_eq!(r.also_opened.len(), 1);
        assert_eq!(r.also_opened[0].generation, 1);
        let (s, v) = inputs();
        let r = match_shares(s, v)
            .unwrap()
            .only_generation(1)
            .open(None)
            .unwrap();
        assert_eq!(r.header.generation, 1);
        assert!(r.also_opened.is_empty());
        assert_eq!(
            r.rejected[0].reason,
            Rejection::NotChosen {
                generation: 2,
                chosen: 1
            }
        );
        let (s, v) = inputs();
        assert_eq!(
            match_shares(s, v)
                .unwrap()
                .only_generation(3)
                .open(None)
                .unwrap_err(),
            RecoverError::GenerationNotGiven {
                wanted: 3,
                available: vec![1, 2]
            }
        );
    }

    /// A copy of `s`'s vault at `generation`, sealed over `plaintext` with `s`'s secret.
    fn resealed(s: &Sealed, plaintext: Vec<u8>) -> Vault {
        let secret = shamir::combine(&[s.shares[0].point(), s.shares[1].point()], 2).unwrap();
        let key = aead::derive_key(&secret, s.vault.header.vault_id.as_bytes(), None);
        let mut v = s.vault.clone();
        v.ciphertext = aead::encrypt(
            &key,
            &v.nonce,
            &v.header.to_bytes(),
            &crate::secret::SecretBytes::new(plaintext),
        );
        v
    }

    #[test]
    fn a_newer_generation_that_authenticates_is_never_replaced_by_an_older_one() {
        let g1 = make(46, 2, 3, false);
        let g2 = rekeyed(&g1, 47);
        // Both generations' sheets, generation 2's copy holding `plaintext`.
        let open_with = |plaintext: Vec<u8>| {
            match_shares(
                src(&[
                    ("o1", &g1.shares[0]),
                    ("o2", &g1.shares[1]),
                    ("n1", &g2.shares[0]),
                    ("n2", &g2.shares[1]),
                ]),
                vsrc(&[("ov", &g1.vault), ("nv", &resealed(&g2, plaintext))]),
            )
            .unwrap()
            .open(None)
            .unwrap_err()
        };
        // Generation 2's contents are from a newer breakglass: version 2 of §5.
        let e = open_with(vec![2, 0, 1, 9]);
        assert_eq!(
            e,
            RecoverError::Contents(ContentsError::NewerVersion { found: 2 })
        );
        assert!(
            e.to_string()
                .contains("made by a newer breakglass; upgrade to read it")
        );
        // An unknown entry kind and a trailing byte say the same.
        for plaintext in [vec![1, 0, 1, 200], {
            let mut b = contents().to_bytes().unwrap().expose_secret().to_vec();
            b.push(0);
            b
        }] {
            let e = open_with(plaintext);
            assert!(matches!(e, RecoverError::Contents(_)), "{e:?}");
        }
    }

    #[test]
    fn after_one_opens_a_costly_other_generation_is_not_spent_without_consent() {
        let g1 = make(48, 2, 3, false);
        let costly = KdfParams {
            memory_kib: crate::kdf::DEFAULT_MEMORY_KIB * 2,
            iterations: 1,
            parallelism: 1,
        };
        let mut p = plan(2, 3, false);
        p.vault_id = Some(g1.vault.header.vault_id);
        p.generation = 2;
        p.passphrase = Some((testkit::passphrase(), costly));
        let g2 = seal(&p, &contents(), &mut ChaCha20Rng::seed_from_u64(49)).unwrap();
        let mut u = Recording::new(Some(testkit::PASSPHRASE));
        let r = match_shares(
            src(&[
                ("o1", &g1.shares[0]),
                ("o2", &g1.shares[1]),
                ("n1", &g2.shares[0]),
                ("n2", &g2.shares[1]),
            ]),
            vsrc(&[("ov", &g1.vault), ("nv", &g2.vault)]),
        )
        .unwrap()
        .open_asking(&mut u)
        .unwrap();
        assert_eq!(r.header.generation, 1);
        assert_eq!(u.approved, vec![costly]);
        assert!(u.asked.is_empty());
        assert!(
            r.rejected
                .iter()
                .filter(|x| x.source.starts_with('n'))
                .all(|x| x.reason == Rejection::CostNotSpent { generation: 2 })
        );
    }
}
