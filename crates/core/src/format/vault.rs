//! The vault envelope: a plaintext header (authenticated as associated data) and the sealed
//! contents (FORMAT.md §3).
//!
//! The header is untrusted until the tag checks, yet it is read first (to show a sheet, to
//! check shares against their commitments, to learn the KDF cost), so parsing is strict and
//! bounded: canonical only, every length checked, KDF costs capped, labels free of control
//! characters (they reach terminals and PDFs).

use crate::VAULT_ID_BYTES;
use crate::aead::{NONCE_BYTES, TAG_BYTES};
use crate::contents::{ContentsError, VaultContents};
use crate::kdf::{KdfError, KdfParams, SALT_BYTES};
use crate::shamir::MAX_SHARES;
use crate::share::{COMMITMENT_BYTES, Share};
use crate::vault_id::VaultId;

/// Vault format version this build writes (and the newest it reads).
pub const VAULT_VERSION: u8 = 1;
/// Largest envelope accepted: keeps the typed and QR forms of a sheet printable.
pub const MAX_VAULT_BYTES: usize = 12 * 1024;
/// Largest label (tenant, location, custodian) in bytes of UTF-8.
pub const MAX_LABEL_BYTES: usize = 255;

const KDF_NONE: u8 = 0;
const KDF_ARGON2ID: u8 = 1;

/// Why vault bytes or a header were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error(
        "this vault was made by a newer breakglass (vault format {found}, this version reads up to {VAULT_VERSION}): upgrade breakglass to read it"
    )]
    NewerVersion { found: u8 },
    #[error("vault format version 0 does not exist: the vault text is damaged")]
    BadVersion,
    #[error(
        "the vault ends early (at byte {at} while reading the {field}): the vault text is truncated"
    )]
    Truncated { at: usize, field: &'static str },
    #[error("the vault has {extra} unexpected bytes after its end: it is damaged")]
    TrailingBytes { extra: usize },
    #[error("the vault is {found} bytes, above the {MAX_VAULT_BYTES}-byte maximum")]
    TooLarge { found: usize },
    #[error("the vault says {k} of {n}, which is impossible (need 2 ≤ k ≤ n ≤ {MAX_SHARES})")]
    BadThreshold { k: u8, n: u8 },
    #[error("unknown key-derivation method {0} in the vault header: it is damaged or newer")]
    UnknownKdf(u8),
    #[error(transparent)]
    Kdf(#[from] KdfError),
    #[error("the {field} label is not valid UTF-8 text without control characters")]
    BadLabel { field: &'static str },
    #[error("the {field} label is {len} bytes, above the maximum of {MAX_LABEL_BYTES}")]
    LabelTooLong { field: &'static str, len: usize },
    #[error("the ciphertext is {found} bytes, shorter than the {TAG_BYTES}-byte tag")]
    CiphertextTooShort { found: usize },
}

/// Where a share is kept; printed on its sheet and shown by `inspect`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShareLabel {
    pub location: String,
    pub custodian: String,
}

/// Passphrase stretching recorded in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassphraseKdf {
    pub params: KdfParams,
    pub salt: [u8; SALT_BYTES],
}

/// The header: everything about the vault that is not secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultHeader {
    pub vault_id: VaultId,
    /// Starts at 1; a rekey or rotation makes the next one and retires the older sheets.
    pub generation: u32,
    /// Unix seconds, UTC; the only date ever printed on a sheet.
    pub created: u64,
    /// Days between drills (0: none scheduled).
    pub drill_interval_days: u16,
    pub threshold: u8,
    pub passphrase: Option<PassphraseKdf>,
    /// One per share, index 1 first.
    pub commitments: Vec<[u8; COMMITMENT_BYTES]>,
    /// The tenant's domain, e.g. `contoso.onmicrosoft.com`.
    pub tenant: String,
    /// One per share, index 1 first.
    pub labels: Vec<ShareLabel>,
}

impl VaultHeader {
    /// Number of shares issued (n).
    pub fn share_count(&self) -> u8 {
        u8::try_from(self.commitments.len()).expect("at most 255 shares by construction")
    }

    /// The label of share `share_number` (1-based, as printed on its sheet); `None` for 0 or a
    /// number above the share count, so a forged index cannot underflow or panic.
    pub fn label(&self, share_number: u8) -> Option<&ShareLabel> {
        usize::from(share_number)
            .checked_sub(1)
            .and_then(|i| self.labels.get(i))
    }

    /// Whether this header commits to `share`: same vault id, generation and threshold, and the
    /// commitment for its index (FORMAT.md §3) equal to the share's. Recovery counts a share for
    /// a vault copy only then, and `verify-print` and `inspect` judge a sheet by the same rule.
    ///
    /// # Security
    /// The header is unauthenticated until the vault opens: this says the share and this copy
    /// belong together, not that either is genuine.
    pub fn commits_to(&self, share: &Share) -> bool {
        share.vault_id == self.vault_id
            && share.generation == self.generation
            && share.threshold == self.threshold
            && usize::from(share.index())
                .checked_sub(1)
                .and_then(|i| self.commitments.get(i))
                .is_some_and(|c| *c == share.commitment())
    }

    /// Encodes the header: these bytes are the AEAD's associated data.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(128);
        v.push(VAULT_VERSION);
        v.extend_from_slice(self.vault_id.as_bytes());
        v.extend_from_slice(&self.generation.to_be_bytes());
        v.extend_from_slice(&self.created.to_be_bytes());
        v.extend_from_slice(&self.drill_interval_days.to_be_bytes());
        v.push(self.threshold);
        v.push(self.share_count());
        match &self.passphrase {
            None => v.push(KDF_NONE),
            Some(k) => {
                v.push(KDF_ARGON2ID);
                v.extend_from_slice(&k.params.memory_kib.to_be_bytes());
                v.extend_from_slice(&k.params.iterations.to_be_bytes());
                v.extend_from_slice(&k.params.parallelism.to_be_bytes());
                v.extend_from_slice(&k.salt);
            }
        }
        for c in &self.commitments {
            v.extend_from_slice(c);
        }
        put_label(&mut v, &self.tenant);
        for l in &self.labels {
            put_label(&mut v, &l.location);
            put_label(&mut v, &l.custodian);
        }
        v
    }

    /// Checks the invariants the encoder relies on (used before sealing, and by the parser).
    ///
    /// # Errors
    /// [`VaultError`] for an impossible threshold, a KDF out of range or a bad label.
    pub fn validate(&self) -> Result<(), VaultError> {
        let n = self.commitments.len();
        if self.threshold < 2 || n > MAX_SHARES || usize::from(self.threshold) > n {
            return Err(VaultError::BadThreshold {
                k: self.threshold,
                n: u8::try_from(n.min(MAX_SHARES)).unwrap_or(u8::MAX),
            });
        }
        if self.labels.len() != n {
            return Err(VaultError::BadLabel { field: "share" });
        }
        if let Some(k) = &self.passphrase {
            k.params.check()?;
        }
        check_label(&self.tenant, "tenant")?;
        for l in &self.labels {
            check_label(&l.location, "location")?;
            check_label(&l.custodian, "custodian")?;
        }
        Ok(())
    }
}

/// A complete envelope: header, nonce, ciphertext with tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vault {
    pub header: VaultHeader,
    pub nonce: [u8; NONCE_BYTES],
    pub ciphertext: Vec<u8>,
}

impl Vault {
    /// Encodes the envelope (FORMAT.md §3).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = self.header.to_bytes();
        v.extend_from_slice(&self.nonce);
        v.extend_from_slice(
            &u16::try_from(self.ciphertext.len())
                .expect("ciphertext bounded by MAX_VAULT_BYTES")
                .to_be_bytes(),
        );
        v.extend_from_slice(&self.ciphertext);
        v
    }

    /// Parses envelope bytes into a vault. The header bytes are not kept: the AAD is the header
    /// re-encoded by [`VaultHeader::to_bytes`], which gives back the bytes parsed here.
    ///
    /// # Errors
    /// [`VaultError`] naming the first rule the bytes break.
    pub fn from_bytes(b: &[u8]) -> Result<Self, VaultError> {
        match b.first() {
            None => {
                return Err(VaultError::Truncated {
                    at: 0,
                    field: "version",
                });
            }
            Some(0) => return Err(VaultError::BadVersion),
            Some(&v) if v > VAULT_VERSION => return Err(VaultError::NewerVersion { found: v }),
            _ => {}
        }
        if b.len() > MAX_VAULT_BYTES {
            return Err(VaultError::TooLarge { found: b.len() });
        }
        let mut r = Reader { b, at: 1 };
        let vault_id = VaultId::from_bytes(r.array::<VAULT_ID_BYTES>("vault id")?);
        let generation = u32::from_be_bytes(r.array("generation")?);
        let created = u64::from_be_bytes(r.array("creation date")?);
        let drill_interval_days = u16::from_be_bytes(r.array("drill interval")?);
        let [threshold, n] = r.array::<2>("threshold")?;
        if threshold < 2 || threshold > n {
            return Err(VaultError::BadThreshold { k: threshold, n });
        }
        let passphrase = match r.array::<1>("key derivation")?[0] {
            KDF_NONE => None,
            KDF_ARGON2ID => {
                let params = KdfParams {
                    memory_kib: u32::from_be_bytes(r.array("Argon2id memory")?),
                    iterations: u32::from_be_bytes(r.array("Argon2id iterations")?),
                    parallelism: u32::from_be_bytes(r.array("Argon2id parallelism")?),
                };
                params.check()?;
                Some(PassphraseKdf {
                    params,
                    salt: r.array("Argon2id salt")?,
                })
            }
            other => return Err(VaultError::UnknownKdf(other)),
        };
        let mut commitments = Vec::with_capacity(n as usize);
        for _ in 0..n {
            commitments.push(r.array("share commitments")?);
        }
        let tenant = r.label("tenant")?;
        let mut labels = Vec::with_capacity(n as usize);
        for _ in 0..n {
            labels.push(ShareLabel {
                location: r.label("location")?,
                custodian: r.label("custodian")?,
            });
        }
        let nonce = r.array("nonce")?;
        let ct_len = u16::from_be_bytes(r.array("ciphertext length")?) as usize;
        if ct_len < TAG_BYTES {
            return Err(VaultError::CiphertextTooShort { found: ct_len });
        }
        let ciphertext = r.take(ct_len, "ciphertext")?.to_vec();
        if r.at != b.len() {
            return Err(VaultError::TrailingBytes {
                extra: b.len() - r.at,
            });
        }
        Ok(Self {
            header: VaultHeader {
                vault_id,
                generation,
                created,
                drill_interval_days,
                threshold,
                passphrase,
                commitments,
                tenant,
                labels,
            },
            nonce,
            ciphertext,
        })
    }
}

fn put_label(v: &mut Vec<u8>, s: &str) {
    v.push(u8::try_from(s.len()).expect("labels validated to at most 255 bytes"));
    v.extend_from_slice(s.as_bytes());
}

/// Labels reach terminals and PDFs: no control characters (no escape sequences) and no
/// bidirectional overrides (no text that displays as other text), bounded. The rule is
/// FORMAT.md §3's, frozen; the ceremony holds new labels to [`crate::untrusted::check_field`].
pub fn check_label(s: &str, field: &'static str) -> Result<(), VaultError> {
    if s.len() > MAX_LABEL_BYTES {
        return Err(VaultError::LabelTooLong {
            field,
            len: s.len(),
        });
    }
    if s.chars().any(crate::untrusted::breaks_label_rule) {
        return Err(VaultError::BadLabel { field });
    }
    Ok(())
}

/// Bytes of the vault envelope (FORMAT.md §3) that sealing `contents` for these labels would
/// write: header, nonce, length and ciphertext (plaintext and tag). Secrets count by their
/// length only, so placeholders of the right length give the exact size before any secret
/// exists, and an impossible vault is refused before one is generated.
///
/// # Errors
/// [`ContentsError`] when the contents cannot be encoded (a field too long, no entry).
pub fn envelope_bytes(
    tenant: &str,
    labels: &[ShareLabel],
    passphrase: bool,
    contents: &VaultContents,
) -> Result<usize, ContentsError> {
    let header = VaultHeader {
        vault_id: VaultId::from([0; VAULT_ID_BYTES]),
        generation: 1,
        created: 0,
        drill_interval_days: 0,
        threshold: 2,
        passphrase: passphrase.then(|| PassphraseKdf {
            params: KdfParams::default(),
            salt: [0; SALT_BYTES],
        }),
        commitments: vec![[0; COMMITMENT_BYTES]; labels.len()],
        tenant: tenant.to_string(),
        labels: labels.to_vec(),
    };
    Ok(header.to_bytes().len()
        + NONCE_BYTES
        + 2
        + contents.to_bytes()?.expose_secret().len()
        + TAG_BYTES)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], VaultError> {
        let end = self
            .at
            .checked_add(len)
            .filter(|&e| e <= self.b.len())
            .ok_or(VaultError::Truncated { at: self.at, field })?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], VaultError> {
        Ok(self.take(N, field)?.try_into().expect("took N bytes"))
    }
    fn label(&mut self, field: &'static str) -> Result<String, VaultError> {
        let len = self.array::<1>(field)?[0] as usize;
        let bytes = self.take(len, field)?;
        let s = std::str::from_utf8(bytes).map_err(|_| VaultError::BadLabel { field })?;
        check_label(s, field)?;
        Ok(s.to_string())
    }
}

crate::error_kinds! { VaultError {
    NewerVersion => "NewerVersion",
    BadVersion => "BadVersion",
    Truncated => "Truncated",
    TrailingBytes => "TrailingBytes",
    TooLarge => "TooLarge",
    BadThreshold => "BadThreshold",
    UnknownKdf => "UnknownKdf",
    Kdf(inner) => "Kdf" / inner,
    BadLabel => "BadLabel",
    LabelTooLong => "LabelTooLong",
    CiphertextTooShort => "CiphertextTooShort",
} }

#[cfg(test)]
mod tests {
    use super::*;

    /// The size a plan is checked against is the size sealing writes, with and without a
    /// passphrase (the KDF block is in the header).
    #[test]
    fn envelope_bytes_is_the_size_sealing_writes() {
        use crate::testkit;
        use rand::SeedableRng;
        let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(9);
        let contents = testkit::contents();
        for (params, passphrase) in [
            (testkit::params(2, 3), false),
            (testkit::with_passphrase(testkit::params(3, 5)), true),
        ] {
            let labels = params.labels.clone();
            let sealed = crate::seal::seal(&params, &contents, &mut rng).unwrap();
            let predicted =
                envelope_bytes(testkit::TENANT, &labels, passphrase, &contents).unwrap();
            assert_eq!(
                predicted,
                sealed.vault.to_bytes().len(),
                "passphrase {passphrase}"
            );
        }
    }
    use proptest::prelude::*;

    pub(crate) fn sample(passphrase: bool) -> Vault {
        Vault {
            header: VaultHeader {
                vault_id: VaultId::from([1; 16]),
                generation: 1,
                created: 1_764_000_000,
                drill_interval_days: 90,
                threshold: 2,
                passphrase: passphrase.then_some(PassphraseKdf {
                    params: KdfParams::default(),
                    salt: [5; 16],
                }),
                commitments: vec![[2; 16], [3; 16], [4; 16]],
                tenant: "contoso.onmicrosoft.com".into(),
                labels: vec![
                    ShareLabel {
                        location: "Safe A (HQ)".into(),
                        custodian: "Alice".into(),
                    },
                    ShareLabel {
                        location: "Safe B (DR site)".into(),
                        custodian: String::new(),
                    },
                    ShareLabel {
                        location: "CISO home safe".into(),
                        custodian: "Dana Müller".into(),
                    },
                ],
            },
            nonce: [6; 24],
            ciphertext: vec![7; 40],
        }
    }

    #[test]
    fn labels_are_found_by_share_number_at_the_edges() {
        let h = sample(false).header;
        assert_eq!(h.label(0), None);
        assert_eq!(h.label(1).map(|l| l.custodian.as_str()), Some("Alice"));
        assert_eq!(
            h.label(3).map(|l| l.location.as_str()),
            Some("CISO home safe")
        );
        assert_eq!(h.label(4), None);
        assert_eq!(h.label(255), None);
        let full = VaultHeader {
            labels: crate::testkit::labels(255),
            commitments: vec![[0; COMMITMENT_BYTES]; 255],
            ..h
        };
        assert_eq!(
            full.label(255).map(|l| l.location.as_str()),
            Some("Safe 255")
        );
        assert_eq!(full.label(0), None);
    }

    #[test]
    fn a_header_commits_to_its_own_shares_only() {
        use crate::shamir::SharePoint;
        use rand::SeedableRng;
        let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(3);
        let s = crate::testkit::ceremony(&mut rng);
        let h = &s.vault.header;
        assert!(s.shares.iter().all(|share| h.commits_to(share)));
        let other = crate::testkit::ceremony(&mut rng);
        assert!(!h.commits_to(&other.shares[0]));
        // One field changed at a time: each breaks the match.
        let sh = &s.shares[1];
        let with = |id: VaultId, generation: u32, k: u8, n: u8, x: u8, y: [u8; 32]| {
            Share::new(id, generation, k, n, SharePoint::new(x, y))
        };
        let y = *sh.point().expose_y();
        let (id, g, k, n) = (sh.vault_id, sh.generation, sh.threshold, sh.count);
        assert!(h.commits_to(&with(id, g, k, n, 2, y)));
        assert!(!h.commits_to(&with(VaultId::from([0; 16]), g, k, n, 2, y)));
        assert!(!h.commits_to(&with(id, g + 1, k, n, 2, y)));
        assert!(!h.commits_to(&with(id, g, 3, n, 2, y)));
        assert!(!h.commits_to(&with(id, g, k, n, 3, y)));
        let mut y2 = y;
        y2[31] ^= 1;
        assert!(!h.commits_to(&with(id, g, k, n, 2, y2)));
        // Index 0 and indices past the commitments: no match, no panic.
        assert!(!h.commits_to(&with(id, g, k, 255, 0, y)));
        assert!(!h.commits_to(&with(id, g, k, 255, 4, y)));
        assert!(!h.commits_to(&with(id, g, k, 255, 255, y)));
    }

    #[test]
    fn round_trip() {
        for p in [false, true] {
            let v = sample(p);
            v.header.validate().unwrap();
            let b = v.to_bytes();
            assert_eq!(Vault::from_bytes(&b).unwrap(), v);
        }
    }

    #[test]
    fn strict_parsing() {
        let b = sample(true).to_bytes();
        assert_eq!(
            Vault::from_bytes(&[2]).unwrap_err(),
            VaultError::NewerVersion { found: 2 }
        );
        assert!(matches!(
            Vault::from_bytes(&b[..b.len() - 1]).unwrap_err(),
            VaultError::Truncated {
                field: "ciphertext",
                ..
            }
        ));
        let mut long = b.clone();
        long.push(0);
        assert_eq!(
            Vault::from_bytes(&long).unwrap_err(),
            VaultError::TrailingBytes { extra: 1 }
        );
        // Memory cost at offset 34..38.
        let mut huge = b.clone();
        huge[34..38].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            Vault::from_bytes(&huge).unwrap_err(),
            VaultError::Kdf(KdfError::TooExpensive { .. })
        ));
        let mut k = b.clone();
        k[31] = 4; // k > n
        assert_eq!(
            Vault::from_bytes(&k).unwrap_err(),
            VaultError::BadThreshold { k: 4, n: 3 }
        );
        let mut kdf = b.clone();
        kdf[33] = 9;
        assert_eq!(
            Vault::from_bytes(&kdf).unwrap_err(),
            VaultError::UnknownKdf(9)
        );
        for evil in ["evil\x1b[2J", "Safe \u{202E}A", "x\u{2066}y"] {
            let mut v = sample(false);
            v.header.labels[0].location = evil.into();
            assert!(v.header.validate().is_err(), "{evil:?}");
            assert!(Vault::from_bytes(&v.to_bytes()).is_err(), "{evil:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_write_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(v) = Vault::from_bytes(&bytes) {
                prop_assert_eq!(v.to_bytes(), bytes);
            }
        }

        #[test]
        fn mutated_vaults_never_panic(i in 0usize..200, x: u8) {
            let mut b = sample(true).to_bytes();
            let i = i % b.len();
            b[i] ^= x;
            let _ = Vault::from_bytes(&b);
        }
    }

    /// The fields of `sample(true)` in order, as the reader takes them.
    fn pieces(v: &Vault) -> Vec<(&'static str, usize)> {
        let mut p = vec![
            ("version", 1),
            ("vault id", 16),
            ("generation", 4),
            ("creation date", 8),
            ("drill interval", 2),
            ("threshold", 2),
            ("key derivation", 1),
            ("Argon2id memory", 4),
            ("Argon2id iterations", 4),
            ("Argon2id parallelism", 4),
            ("Argon2id salt", 16),
        ];
        for _ in &v.header.commitments {
            p.push(("share commitments", 16));
        }
        p.push(("tenant", 1));
        p.push(("tenant", v.header.tenant.len()));
        for l in &v.header.labels {
            p.push(("location", 1));
            p.push(("location", l.location.len()));
            p.push(("custodian", 1));
            p.push(("custodian", l.custodian.len()));
        }
        p.push(("nonce", 24));
        p.push(("ciphertext length", 2));
        p.push(("ciphertext", v.ciphertext.len()));
        p
    }

    #[test]
    fn every_truncation_names_its_field_and_offset() {
        let v = sample(true);
        let b = v.to_bytes();
        let p = pieces(&v);
        assert_eq!(p.iter().map(|x| x.1).sum::<usize>(), b.len());
        let mut start = 0;
        for (field, len) in p {
            for cut in start..start + len {
                let expect = if cut == 0 {
                    VaultError::Truncated {
                        at: 0,
                        field: "version",
                    }
                } else {
                    VaultError::Truncated { at: start, field }
                };
                assert_eq!(Vault::from_bytes(&b[..cut]).unwrap_err(), expect, "{cut}");
            }
            start += len;
        }
        assert_eq!(Vault::from_bytes(&b).unwrap(), v);
    }

    #[test]
    fn header_layout_is_byte_exact() {
        let v = sample(true);
        let h = v.header.to_bytes();
        assert_eq!(h[0], 1);
        assert_eq!(&h[1..17], &[1; 16]);
        assert_eq!(&h[17..21], &1u32.to_be_bytes());
        assert_eq!(&h[21..29], &1_764_000_000u64.to_be_bytes());
        assert_eq!(&h[29..31], &90u16.to_be_bytes());
        assert_eq!(&h[31..34], &[2, 3, 1]);
        assert_eq!(&h[34..38], &(512 * 1024u32).to_be_bytes());
        assert_eq!(&h[38..42], &3u32.to_be_bytes());
        assert_eq!(&h[42..46], &1u32.to_be_bytes());
        assert_eq!(&h[46..62], &[5; 16]);
        assert_eq!(&h[62..78], &[2; 16]);
        assert_eq!(h[110], 23);
        assert_eq!(&h[111..134], b"contoso.onmicrosoft.com");
        assert_eq!(h[134], 11);
        let plain = sample(false).header.to_bytes();
        assert_eq!(plain[33], 0);
        assert_eq!(&plain[34..50], &[2; 16]);
        assert_eq!(plain.len(), h.len() - 28);
        let full = v.to_bytes();
        assert_eq!(&full[..h.len()], &h[..]);
        assert_eq!(&full[h.len()..h.len() + 24], &[6; 24]);
        assert_eq!(&full[h.len() + 24..h.len() + 26], &[0, 40]);
        assert_eq!(&full[h.len() + 26..], &[7; 40][..]);
        assert_eq!(v.header.share_count(), 3);
    }

    #[test]
    fn first_bytes_and_size() {
        assert_eq!(
            Vault::from_bytes(&[]).unwrap_err(),
            VaultError::Truncated {
                at: 0,
                field: "version"
            }
        );
        assert_eq!(
            Vault::from_bytes(&[0, 1, 2]).unwrap_err(),
            VaultError::BadVersion
        );
        // The version comes before the size.
        assert_eq!(
            Vault::from_bytes(&[3; 20_000]).unwrap_err(),
            VaultError::NewerVersion { found: 3 }
        );
        let mut big = vec![1; MAX_VAULT_BYTES + 1];
        assert_eq!(
            Vault::from_bytes(&big).unwrap_err(),
            VaultError::TooLarge { found: 12_289 }
        );
        big.pop();
        assert!(!matches!(
            Vault::from_bytes(&big).unwrap_err(),
            VaultError::TooLarge { .. }
        ));
        assert_eq!(MAX_VAULT_BYTES, 12_288);
        // A vault of exactly the maximum size parses.
        let mut v = sample(false);
        let base = v.to_bytes().len();
        v.ciphertext = vec![7; MAX_VAULT_BYTES - base + 40];
        let b = v.to_bytes();
        assert_eq!(b.len(), MAX_VAULT_BYTES);
        assert_eq!(Vault::from_bytes(&b).unwrap(), v);
    }

    #[test]
    fn thresholds_and_ciphertext_bounds() {
        let with = |k: u8, n: u8| {
            let mut v = sample(false);
            v.header.threshold = k;
            v.header.commitments = vec![[2; 16]; n as usize];
            v.header.labels = vec![ShareLabel::default(); n as usize];
            v
        };
        for (k, n) in [(2, 2), (3, 3), (2, 255), (255, 255)] {
            let v = with(k, n);
            assert_eq!(v.header.validate(), Ok(()), "{k} of {n}");
            assert_eq!(Vault::from_bytes(&v.to_bytes()).unwrap(), v);
        }
        for (k, n) in [(1, 3), (0, 3), (4, 3), (3, 2)] {
            let v = with(k, n);
            let e = || VaultError::BadThreshold { k, n };
            assert_eq!(v.header.validate(), Err(e()), "{k} of {n}");
            assert_eq!(Vault::from_bytes(&v.to_bytes()).unwrap_err(), e());
        }
        let mut many = with(2, 255);
        many.header.commitments.push([0; 16]);
        many.header.labels.push(ShareLabel::default());
        assert_eq!(
            many.header.validate(),
            Err(VaultError::BadThreshold { k: 2, n: 255 })
        );
        let mut unlabelled = sample(false);
        unlabelled.header.labels.pop();
        assert_eq!(
            unlabelled.header.validate(),
            Err(VaultError::BadLabel { field: "share" })
        );
        let mut costly = sample(true);
        costly
            .header
            .passphrase
            .as_mut()
            .unwrap()
            .params
            .parallelism = 17;
        assert!(matches!(
            costly.header.validate(),
            Err(VaultError::Kdf(KdfError::TooExpensive {
                what: "parallelism",
                ..
            }))
        ));
        // The shortest ciphertext is a bare tag.
        let mut v = sample(false);
        v.ciphertext = vec![7; TAG_BYTES];
        assert_eq!(Vault::from_bytes(&v.to_bytes()).unwrap(), v);
        v.ciphertext = vec![7; TAG_BYTES - 1];
        assert_eq!(
            Vault::from_bytes(&v.to_bytes()).unwrap_err(),
            VaultError::CiphertextTooShort { found: 15 }
        );
        let mut t = sample(false).to_bytes();
        t.extend([0, 0, 0]);
        assert_eq!(
            Vault::from_bytes(&t).unwrap_err(),
            VaultError::TrailingBytes { extra: 3 }
        );
    }

    #[test]
    fn labels_are_checked_where_they_are() {
        assert_eq!(check_label(&"a".repeat(255), "tenant"), Ok(()));
        assert_eq!(
            check_label(&"a".repeat(256), "tenant"),
            Err(VaultError::LabelTooLong {
                field: "tenant",
                len: 256
            })
        );
        assert_eq!(check_label("", "custodian"), Ok(()));
        assert_eq!(
            check_label("Dana Müller, Zürich — 3rd floor", "location"),
            Ok(())
        );
        for bad in [
            "\u{0}", "a\nb", "\t", "\u{7f}", "\u{85}", "\u{061C}", "\u{200E}", "\u{200F}",
            "\u{202A}", "\u{202C}", "\u{202E}", "\u{2066}", "\u{2068}", "\u{2069}",
        ] {
            assert_eq!(
                check_label(bad, "location"),
                Err(VaultError::BadLabel { field: "location" }),
                "{bad:?}"
            );
        }
        // Neighbours of the bidirectional ranges are fine.
        for ok in [
            "\u{061B}", "\u{200D}", "\u{2010}", "\u{2029}", "\u{202F}", "\u{2065}", "\u{206A}",
        ] {
            assert_eq!(check_label(ok, "location"), Ok(()), "{ok:?}");
        }
        assert_eq!(
            check_label("\u{202B}", "tenant"),
            Err(VaultError::BadLabel { field: "tenant" })
        );
        type Edit = fn(&mut VaultHeader);
        let cases: [(&str, Edit); 3] = [
            ("tenant", |h| h.tenant = "x\u{1b}".into()),
            ("location", |h| h.labels[2].location = "x\u{202E}".into()),
            ("custodian", |h| h.labels[1].custodian = "\u{7}".into()),
        ];
        for (field, f) in cases {
            let mut v = sample(false);
            f(&mut v.header);
            assert_eq!(v.header.validate(), Err(VaultError::BadLabel { field }));
            assert_eq!(
                Vault::from_bytes(&v.to_bytes()).unwrap_err(),
                VaultError::BadLabel { field }
            );
        }
        // Invalid UTF-8 in a label is a label error too.
        let v = sample(false);
        let mut b = v.to_bytes();
        let h = v.header.to_bytes();
        // The tenant starts after the 50-byte fixed part and the three commitments.
        assert_eq!(usize::from(b[34 + 48]), v.header.tenant.len());
        b[34 + 48 + 1] = 0xff;
        assert_eq!(
            Vault::from_bytes(&b).unwrap_err(),
            VaultError::BadLabel { field: "tenant" }
        );
        assert!(h.len() < b.len());
    }
}
