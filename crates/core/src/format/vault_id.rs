//! The vault id: 16 random bytes that tie one vault's shares, sheets and vault copies together
//! (FORMAT.md §2, §3), and the two ways people read it.
//!
//! The id is not secret and not authenticated by itself: it decides nothing, it only groups
//! inputs and names a vault to a person. Its printed forms are part of the sheets and of the
//! JSON output, so they never change.

use crate::VAULT_ID_BYTES;

/// A vault id. `Display` writes it the way sheets print it: Crockford base32 in groups of four
/// (`3TVV-RA7T-JAQE-H32G-N0W7-TRYD-9W`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VaultId([u8; VAULT_ID_BYTES]);

impl VaultId {
    pub const fn from_bytes(bytes: [u8; VAULT_ID_BYTES]) -> Self {
        Self(bytes)
    }

    /// A fresh random id, for a new vault.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut id = [0u8; VAULT_ID_BYTES];
        rng.fill_bytes(&mut id);
        Self(id)
    }

    pub const fn as_bytes(&self) -> &[u8; VAULT_ID_BYTES] {
        &self.0
    }

    /// The short fingerprint printed big on sheets: the first two groups of the id
    /// (`3TVV-RA7T`), enough for a person to tell two vaults' sheets apart.
    pub fn fingerprint(&self) -> String {
        let mut s = self.to_string();
        s.truncate(9);
        s
    }
}

impl From<[u8; VAULT_ID_BYTES]> for VaultId {
    fn from(bytes: [u8; VAULT_ID_BYTES]) -> Self {
        Self(bytes)
    }
}

impl core::fmt::Display for VaultId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = crate::text::base32().encode(&self.0);
        for (i, group) in s.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(core::str::from_utf8(group).expect("base32 is ASCII"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_displayed_in_groups_of_four() {
        let id = VaultId::from(core::array::from_fn(|i| i as u8));
        assert_eq!(id.to_string(), "000G-40R4-0M30-E209-185G-R38E-1W");
        assert_eq!(id.fingerprint(), "000G-40R4");
        // All zero bits and all one bits: the last group holds the 128th bit and padding.
        let zero = VaultId::from_bytes([0; VAULT_ID_BYTES]);
        assert_eq!(zero.to_string(), "0000-0000-0000-0000-0000-0000-00");
        assert_eq!(
            VaultId::from([0xff; VAULT_ID_BYTES]).to_string(),
            "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZW"
        );
        assert_eq!(zero.as_bytes(), &[0; VAULT_ID_BYTES]);
    }

    #[test]
    fn ids_order_and_compare_by_their_bytes() {
        let a = VaultId::from([1; VAULT_ID_BYTES]);
        let b = VaultId::from([2; VAULT_ID_BYTES]);
        assert!(a < b);
        assert_ne!(a, b);
        assert_eq!(a, VaultId::from_bytes([1; VAULT_ID_BYTES]));
    }
}
