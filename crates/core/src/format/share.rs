//! The binary share: one Shamir point plus what identifies its vault (FORMAT.md §2).
//!
//! Parsing is canonical-only and untrusted: version, length and every range are checked, and a
//! newer version gets its own error. A parsed share is still only a claim; `recover` checks it
//! against the vault's commitment before it is combined.

use crate::VAULT_ID_BYTES;
use crate::secret::{KEY_BYTES, SecretBytes};
use crate::shamir::{MIN_THRESHOLD, SharePoint};
use crate::vault_id::VaultId;
use sha2::{Digest, Sha256};

/// Share format version this build writes (and the newest it reads).
pub const SHARE_VERSION: u8 = 1;
/// Encoded length of a version-1 share.
pub const SHARE_BYTES: usize = 1 + VAULT_ID_BYTES + 4 + 1 + 1 + 1 + KEY_BYTES;
/// Length of a share commitment in the vault header.
pub const COMMITMENT_BYTES: usize = 16;
/// Domain separation for commitments (FORMAT.md §3).
pub const COMMITMENT_DOMAIN: &[u8] = b"breakglass v1 share commitment";

/// Why share bytes were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShareError {
    #[error(
        "this share was made by a newer breakglass (share format {found}, this version reads up to {SHARE_VERSION}): upgrade breakglass to read it"
    )]
    NewerVersion { found: u8 },
    #[error("share format version 0 does not exist: the share is damaged")]
    BadVersion,
    #[error(
        "the share has {found} bytes, but a share is exactly {SHARE_BYTES}: it is truncated or has extra data"
    )]
    BadLength { found: usize },
    #[error(
        "the share says {k} of {n}, which is impossible (need 2 ≤ k ≤ n): the share is damaged"
    )]
    BadThreshold { k: u8, n: u8 },
    #[error(
        "the share has index {index}, which is not between 1 and {n}: the share is damaged or forged"
    )]
    BadIndex { index: u8, n: u8 },
}

/// A parsed share. `Debug` hides the value.
#[derive(Clone, Debug)]
pub struct Share {
    pub vault_id: VaultId,
    pub generation: u32,
    pub threshold: u8,
    pub count: u8,
    point: SharePoint,
}

impl Share {
    pub fn new(
        vault_id: VaultId,
        generation: u32,
        threshold: u8,
        count: u8,
        point: SharePoint,
    ) -> Self {
        Self {
            vault_id,
            generation,
            threshold,
            count,
            point,
        }
    }

    /// The share's index (its x coordinate), 1..=255.
    pub fn index(&self) -> u8 {
        self.point.x()
    }

    pub fn point(&self) -> &SharePoint {
        &self.point
    }

    /// Encodes the share (FORMAT.md §2).
    pub fn to_bytes(&self) -> SecretBytes {
        let mut out = SecretBytes::new(Vec::with_capacity(SHARE_BYTES));
        let v = out.expose_secret_mut();
        v.push(SHARE_VERSION);
        v.extend_from_slice(self.vault_id.as_bytes());
        v.extend_from_slice(&self.generation.to_be_bytes());
        v.push(self.threshold);
        v.push(self.count);
        v.push(self.point.x());
        v.extend_from_slice(self.point.expose_y());
        out
    }

    /// Parses share bytes.
    ///
    /// # Errors
    /// [`ShareError`] naming the rule the bytes break.
    pub fn from_bytes(b: &[u8]) -> Result<Self, ShareError> {
        // The version first, so a newer share of another length is named as newer; no byte at
        // all is a length error below.
        match b.first() {
            Some(0) => return Err(ShareError::BadVersion),
            Some(&v) if v > SHARE_VERSION => return Err(ShareError::NewerVersion { found: v }),
            _ => {}
        }
        if b.len() != SHARE_BYTES {
            return Err(ShareError::BadLength { found: b.len() });
        }
        let vault_id = VaultId::from_bytes(b[1..17].try_into().expect("16 bytes"));
        let generation = u32::from_be_bytes(b[17..21].try_into().expect("4 bytes"));
        let (k, n, x) = (b[21], b[22], b[23]);
        if k < MIN_THRESHOLD || k > n {
            return Err(ShareError::BadThreshold { k, n });
        }
        if x == 0 || x > n {
            return Err(ShareError::BadIndex { index: x, n });
        }
        let y: [u8; KEY_BYTES] = b[24..].try_into().expect("32 bytes");
        Ok(Self::new(vault_id, generation, k, n, SharePoint::new(x, y)))
    }

    /// The commitment the vault header keeps for this share (FORMAT.md §3).
    pub fn commitment(&self) -> [u8; COMMITMENT_BYTES] {
        let mut h = Sha256::new();
        h.update(COMMITMENT_DOMAIN);
        h.update(self.to_bytes().expose_secret());
        let d = h.finalize();
        d[..COMMITMENT_BYTES].try_into().expect("16 of 32 bytes")
    }
}

crate::error_kinds! { ShareError {
    NewerVersion => "NewerVersion",
    BadVersion => "BadVersion",
    BadLength => "BadLength",
    BadThreshold => "BadThreshold",
    BadIndex => "BadIndex",
} }

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(x: u8) -> Share {
        Share::new(VaultId::from([7; 16]), 3, 2, 3, SharePoint::new(x, [x; 32]))
    }

    #[test]
    fn round_trip_and_layout() {
        let s = sample(2);
        let b = s.to_bytes();
        assert_eq!(b.expose_secret().len(), SHARE_BYTES);
        assert_eq!(SHARE_BYTES, 56);
        assert_eq!(b.expose_secret()[0], 1);
        assert_eq!(&b.expose_secret()[17..21], &[0, 0, 0, 3]);
        let back = Share::from_bytes(b.expose_secret()).unwrap();
        assert_eq!(back.to_bytes(), b);
        assert_eq!(back.index(), 2);
        assert!(!format!("{back:?}").contains("2, 2, 2"));
    }

    #[test]
    fn every_rule_is_enforced() {
        let good = sample(1).to_bytes().expose_secret().to_vec();
        let with = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            Share::from_bytes(&b)
        };
        assert_eq!(
            with(0, 2).unwrap_err(),
            ShareError::NewerVersion { found: 2 }
        );
        assert_eq!(with(0, 0).unwrap_err(), ShareError::BadVersion);
        assert_eq!(
            with(21, 1).unwrap_err(),
            ShareError::BadThreshold { k: 1, n: 3 }
        );
        assert_eq!(
            with(21, 4).unwrap_err(),
            ShareError::BadThreshold { k: 4, n: 3 }
        );
        assert_eq!(
            with(23, 0).unwrap_err(),
            ShareError::BadIndex { index: 0, n: 3 }
        );
        assert_eq!(
            with(23, 4).unwrap_err(),
            ShareError::BadIndex { index: 4, n: 3 }
        );
        assert_eq!(
            Share::from_bytes(&good[..55]).unwrap_err(),
            ShareError::BadLength { found: 55 }
        );
        let mut long = good.clone();
        long.push(0);
        assert_eq!(
            Share::from_bytes(&long).unwrap_err(),
            ShareError::BadLength { found: 57 }
        );
        assert_eq!(
            Share::from_bytes(&[]).unwrap_err(),
            ShareError::BadLength { found: 0 }
        );
    }

    #[test]
    fn commitment_covers_every_byte() {
        let c = sample(1).commitment();
        let b = sample(1).to_bytes().expose_secret().to_vec();
        for i in 0..b.len() {
            let mut m = b.clone();
            m[i] ^= 0x01;
            if let Ok(s) = Share::from_bytes(&m) {
                assert_ne!(s.commitment(), c, "byte {i} not committed");
            }
        }
    }

    proptest! {
        #[test]
        fn parse_write_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(s) = Share::from_bytes(&bytes) {
                let again = s.to_bytes();
                prop_assert_eq!(again.expose_secret(), &bytes[..]);
            }
        }
    }

    #[test]
    fn boundaries_of_k_and_x_are_inclusive() {
        // k = n and x = n are valid; k = 2 is the floor.
        let full = Share::new(VaultId::from([9; 16]), 1, 3, 3, SharePoint::new(3, [4; 32]));
        let b = full.to_bytes();
        let back = Share::from_bytes(b.expose_secret()).unwrap();
        assert_eq!(back.index(), 3);
        assert_eq!(back.threshold, 3);
        assert_eq!(back.count, 3);
        assert_eq!(back.vault_id, VaultId::from([9; 16]));
        assert_eq!(back.generation, 1);
        assert_eq!(back.point().x(), 3);
        assert_eq!(back.point().expose_y(), &[4; 32]);
        let max = Share::new(
            VaultId::from([0; 16]),
            u32::MAX,
            255,
            255,
            SharePoint::new(255, [0; 32]),
        );
        let back = Share::from_bytes(max.to_bytes().expose_secret()).unwrap();
        assert_eq!((back.threshold, back.count, back.index()), (255, 255, 255));
        assert_eq!(back.generation, u32::MAX);
    }

    #[test]
    fn layout_is_byte_exact() {
        let s = Share::new(
            VaultId::from(core::array::from_fn(|i| i as u8)),
            0x0102_0304,
            2,
            5,
            SharePoint::new(4, core::array::from_fn(|i| 100 + i as u8)),
        );
        let b = s.to_bytes().expose_secret().to_vec();
        let mut expect = vec![1];
        expect.extend(0..16u8);
        expect.extend([1, 2, 3, 4, 2, 5, 4]);
        expect.extend(100..132u8);
        assert_eq!(b, expect);
    }

    #[test]
    fn commitment_known_answer() {
        // SHA-256("breakglass v1 share commitment" ‖ share bytes)[..16], computed outside
        // Rust (Python's hashlib) from the bytes FORMAT.md §2 lays out for these shares.
        let hex = |c: [u8; COMMITMENT_BYTES]| -> String {
            c.iter().map(|b| format!("{b:02x}")).collect()
        };
        assert_eq!(
            hex(sample(1).commitment()),
            "62785ef3718a7e86cd487917024e1bab"
        );
        assert_eq!(
            hex(sample(2).commitment()),
            "2dcede7b73b7fed2862ba22f72f2a451"
        );
    }

    #[test]
    fn version_is_checked_before_length() {
        assert_eq!(
            Share::from_bytes(&[2; 80]).unwrap_err(),
            ShareError::NewerVersion { found: 2 }
        );
        assert_eq!(
            Share::from_bytes(&[0; 3]).unwrap_err(),
            ShareError::BadVersion
        );
        assert_eq!(
            Share::from_bytes(&[1]).unwrap_err(),
            ShareError::BadLength { found: 1 }
        );
    }
}
