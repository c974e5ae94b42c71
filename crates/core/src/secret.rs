//! Secret newtypes: every value that must not leak lives in one of these.
//!
//! Each type zeroizes its memory on drop, prints `[REDACTED]` in `Debug`, and reaches its bytes
//! only through `expose_secret()`, so `grep expose_secret` lists every place a secret is used.
//! This module must not print, log or compare secrets in variable time.

use core::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length of the Shamir-split vault secret and of the derived encryption key.
pub const KEY_BYTES: usize = 32;

macro_rules! redacted_debug {
    ($t:ty) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($t), "([REDACTED])"))
            }
        }
    };
}

/// The 256-bit secret that Shamir splits; shares recombine to it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct VaultSecret(Box<[u8; KEY_BYTES]>);
redacted_debug!(VaultSecret);

impl VaultSecret {
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> Self {
        let mut b = bytes;
        let s = Self(Box::new(b));
        b.zeroize();
        s
    }

    /// Draws a fresh secret from a cryptographic RNG.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut s = Self(Box::new([0u8; KEY_BYTES]));
        rng.fill_bytes(&mut s.0[..]);
        s
    }

    pub fn expose_secret(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }
}

impl PartialEq for VaultSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&*other.0).into()
    }
}
impl Eq for VaultSecret {}

/// The XChaCha20-Poly1305 key derived from the vault secret (and passphrase, if any).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct EncryptionKey(Box<[u8; KEY_BYTES]>);
redacted_debug!(EncryptionKey);

impl EncryptionKey {
    pub(crate) fn zeroed() -> Self {
        Self(Box::new([0u8; KEY_BYTES]))
    }
    pub fn expose_secret(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }
    pub(crate) fn expose_secret_mut(&mut self) -> &mut [u8; KEY_BYTES] {
        &mut self.0
    }
}

/// A passphrase as typed; used only as Argon2id input.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Passphrase(String);
redacted_debug!(Passphrase);

impl Passphrase {
    pub fn new(s: String) -> Self {
        Self(s)
    }
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Passphrase {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

/// A credential or other secret text held in the vault (password, PIN, TOTP URI, note).
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct SecretString(String);
redacted_debug!(SecretString);

impl SecretString {
    pub fn new(s: String) -> Self {
        Self(s)
    }
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}
impl Eq for SecretString {}

/// Secret bytes of variable length (decrypted plaintext, share values).
#[derive(Clone, Default)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);
redacted_debug!(SecretBytes);

/// Constant time in the contents; the length is not secret (it is printed on every sheet).
impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}
impl Eq for SecretBytes {}

impl SecretBytes {
    pub fn new(v: Vec<u8>) -> Self {
        Self(Zeroizing::new(v))
    }
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }
    pub(crate) fn expose_secret_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constant-time equalities say equal exactly when the bytes are equal (a change in
    /// the last byte or in the length is a difference).
    #[test]
    fn equality_is_exact() {
        let p = |s: &str| Passphrase::new(s.into());
        assert!(p("correct horse") == p("correct horse"));
        assert!(p("correct horse") != p("correct horsf"));
        assert!(p("correct horse") != p("correct hors"));
        let s = |t: &str| SecretString::new(t.into());
        assert!(s("hunter2") == s("hunter2"));
        assert!(s("hunter2") != s("hunter3"));
        assert!(s("hunter2") != s("hunter22"));
        let b = |v: &[u8]| SecretBytes::new(v.to_vec());
        assert!(b(b"ab") == b(b"ab"));
        assert!(b(b"ab") != b(b"ac"));
        assert!(b(b"ab") != b(b"a"));
        let k = |x: u8| VaultSecret::from_bytes([x; KEY_BYTES]);
        assert!(k(1) == k(1));
        assert!(k(1) != k(2));
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let s = SecretString::new("hunter2-very-secret".into());
        let p = Passphrase::new("correct horse".into());
        let k = VaultSecret::from_bytes([0xAB; KEY_BYTES]);
        let b = SecretBytes::new(b"plain".to_vec());
        let all = format!("{s:?} {p:?} {k:?} {b:?} {:?}", EncryptionKey::zeroed());
        assert!(!all.contains("hunter2"));
        assert!(!all.contains("horse"));
        assert!(!all.contains("171") && !all.to_lowercase().contains("ab, "));
        assert!(!all.contains("plain"));
        assert_eq!(all.matches("[REDACTED]").count(), 5);
    }

    #[test]
    fn equality_compares_contents() {
        assert_eq!(SecretString::new("a".into()), SecretString::new("a".into()));
        assert_ne!(SecretString::new("a".into()), SecretString::new("b".into()));
        assert_ne!(
            VaultSecret::from_bytes([1; KEY_BYTES]),
            VaultSecret::from_bytes([2; KEY_BYTES])
        );
        let bytes = |v: &[u8]| SecretBytes::new(v.to_vec());
        assert_eq!(bytes(b"abc"), bytes(b"abc"));
        assert_ne!(bytes(b"abc"), bytes(b"abd"));
        assert_ne!(bytes(b"abc"), bytes(b"ab"));
        assert_ne!(bytes(b""), bytes(b"a"));
    }
}
