//! Argon2id passphrase stretching, with the limits a hostile header must not exceed.
//!
//! The parameters live in the vault header, so they are untrusted on read: [`KdfParams::check`]
//! refuses anything above the caps before a single byte is allocated. FORMAT.md §4 specifies
//! the composition. This module never prompts for the passphrase: the caller passes it.

use crate::secret::{KEY_BYTES, Passphrase};
use zeroize::Zeroizing;

/// Salt length for Argon2id (RFC 9106 recommends 16 bytes).
pub const SALT_BYTES: usize = 16;

/// Default memory: hundreds of MiB, about a second on a laptop (measured in the benchmarks).
pub const DEFAULT_MEMORY_KIB: u32 = 512 * 1024;
pub const DEFAULT_ITERATIONS: u32 = 3;
pub const DEFAULT_PARALLELISM: u32 = 1;

/// Floor: anything cheaper is refused on read and on write (8 MiB, one pass).
pub const MIN_MEMORY_KIB: u32 = 8 * 1024;
pub const MIN_ITERATIONS: u32 = 1;
pub const MIN_PARALLELISM: u32 = 1;

/// Caps: a header asking for more is refused instead of eating the machine.
pub const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
pub const MAX_ITERATIONS: u32 = 64;
pub const MAX_PARALLELISM: u32 = 16;

/// Argon2id cost parameters (version 0x13, 32-byte output).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        Self {
            memory_kib: DEFAULT_MEMORY_KIB,
            iterations: DEFAULT_ITERATIONS,
            parallelism: DEFAULT_PARALLELISM,
        }
    }
}

/// Why KDF parameters were refused or the KDF failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdfError {
    #[error(
        "the vault asks for Argon2id {what} = {required}, above the maximum of {max} this version accepts: the header is damaged or malicious"
    )]
    TooExpensive {
        what: &'static str,
        required: u32,
        max: u32,
    },
    #[error(
        "Argon2id {what} = {given} is below the minimum of {min}: the passphrase would be too easy to guess"
    )]
    TooWeak {
        what: &'static str,
        given: u32,
        min: u32,
    },
    #[error("Argon2id could not run with these parameters (out of memory?)")]
    Failed,
}

impl KdfParams {
    /// Refuses parameters outside the floor and the caps.
    ///
    /// # Errors
    /// [`KdfError::TooExpensive`] or [`KdfError::TooWeak`] naming the parameter.
    pub fn check(&self) -> Result<(), KdfError> {
        let rules = [
            (
                "memory (KiB)",
                self.memory_kib,
                MIN_MEMORY_KIB,
                MAX_MEMORY_KIB,
            ),
            (
                "iterations",
                self.iterations,
                MIN_ITERATIONS,
                MAX_ITERATIONS,
            ),
            (
                "parallelism",
                self.parallelism,
                MIN_PARALLELISM,
                MAX_PARALLELISM,
            ),
        ];
        for (what, value, min, max) in rules {
            if value > max {
                return Err(KdfError::TooExpensive {
                    what,
                    required: value,
                    max,
                });
            }
            if value < min {
                return Err(KdfError::TooWeak {
                    what,
                    given: value,
                    min,
                });
            }
        }
        Ok(())
    }

    /// Stretches the passphrase: Argon2id(passphrase bytes as UTF-8, salt) → 32 bytes.
    ///
    /// # Errors
    /// [`KdfError`] when the parameters are out of range or Argon2 fails.
    pub fn stretch(
        &self,
        passphrase: &Passphrase,
        salt: &[u8; SALT_BYTES],
    ) -> Result<Zeroizing<[u8; KEY_BYTES]>, KdfError> {
        self.check()?;
        let params = argon2::Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(KEY_BYTES),
        )
        .map_err(|_| KdfError::Failed)?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; KEY_BYTES]);
        argon
            .hash_password_into(passphrase.expose_secret().as_bytes(), salt, &mut out[..])
            .map_err(|_| KdfError::Failed)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: KdfParams = KdfParams {
        memory_kib: MIN_MEMORY_KIB,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn limits_are_enforced_with_numbers() {
        assert!(KdfParams::default().check().is_ok());
        assert!(SMALL.check().is_ok());
        let big = KdfParams {
            memory_kib: u32::MAX,
            ..SMALL
        };
        assert_eq!(
            big.check(),
            Err(KdfError::TooExpensive {
                what: "memory (KiB)",
                required: u32::MAX,
                max: MAX_MEMORY_KIB
            })
        );
        let weak = KdfParams {
            memory_kib: 64,
            ..SMALL
        };
        assert!(matches!(weak.check(), Err(KdfError::TooWeak { .. })));
        let slow = KdfParams {
            iterations: 1000,
            ..SMALL
        };
        assert!(matches!(
            slow.check(),
            Err(KdfError::TooExpensive {
                what: "iterations",
                ..
            })
        ));
        let wide = KdfParams {
            parallelism: 0,
            ..SMALL
        };
        assert!(matches!(wide.check(), Err(KdfError::TooWeak { .. })));
        // Refused before any memory is allocated.
        assert!(big.stretch(&Passphrase::new("x".into()), &[0; 16]).is_err());
    }

    /// RFC 9106 has no vector without secret/ad for Argon2id at these sizes, so this pins our
    /// own composition: a fixed passphrase and salt give fixed bytes, and every input matters.
    #[test]
    fn stretch_is_deterministic_and_input_sensitive() {
        let p = Passphrase::new("correct horse battery staple".into());
        let a = SMALL.stretch(&p, &[1; 16]).unwrap();
        let b = SMALL.stretch(&p, &[1; 16]).unwrap();
        assert_eq!(*a, *b);
        assert_ne!(*a, *SMALL.stretch(&p, &[2; 16]).unwrap());
        assert_ne!(
            *a,
            *SMALL
                .stretch(
                    &Passphrase::new("correct horse battery stapl".into()),
                    &[1; 16]
                )
                .unwrap()
        );
        let two = KdfParams {
            iterations: 2,
            ..SMALL
        };
        assert_ne!(*a, *two.stretch(&p, &[1; 16]).unwrap());
    }
}
