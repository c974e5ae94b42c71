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
    /// Whether running these costs no more memory, and no more memory × passes, than the
    /// default (FORMAT.md §4): a cost a reader spends without asking (§7.2 rule 7).
    pub fn within_default(&self) -> bool {
        let d = Self::default();
        self.memory_kib <= d.memory_kib
            && u64::from(self.memory_kib) * u64::from(self.iterations)
                <= u64::from(d.memory_kib) * u64::from(d.iterations)
    }

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

crate::error_kinds! { KdfError {
    TooExpensive => "TooExpensive",
    TooWeak => "TooWeak",
    Failed => "Failed",
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::SMALL_KDF as SMALL;

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

    #[test]
    fn constants_are_the_documented_ones() {
        // FORMAT.md §3 and §4.
        assert_eq!(MIN_MEMORY_KIB, 8192);
        assert_eq!(MAX_MEMORY_KIB, 4_194_304);
        assert_eq!(DEFAULT_MEMORY_KIB, 524_288);
        assert_eq!((MIN_ITERATIONS, MAX_ITERATIONS), (1, 64));
        assert_eq!((MIN_PARALLELISM, MAX_PARALLELISM), (1, 16));
        assert_eq!(DEFAULT_ITERATIONS, 3);
        assert_eq!(DEFAULT_PARALLELISM, 1);
        assert_eq!(
            KdfParams::default(),
            KdfParams {
                memory_kib: 524_288,
                iterations: 3,
                parallelism: 1
            }
        );
    }

    #[test]
    fn every_bound_is_inclusive_and_named() {
        let at = |m: u32, t: u32, p: u32| {
            KdfParams {
                memory_kib: m,
                iterations: t,
                parallelism: p,
            }
            .check()
        };
        assert_eq!(at(MIN_MEMORY_KIB, 1, 1), Ok(()));
        assert_eq!(at(MAX_MEMORY_KIB, 64, 16), Ok(()));
        let too_much = |what: &'static str, required: u32, max: u32| -> Result<(), KdfError> {
            Err(KdfError::TooExpensive {
                what,
                required,
                max,
            })
        };
        let too_little = |what: &'static str, given: u32, min: u32| -> Result<(), KdfError> {
            Err(KdfError::TooWeak { what, given, min })
        };
        assert_eq!(
            at(MAX_MEMORY_KIB + 1, 1, 1),
            too_much("memory (KiB)", 4_194_305, 4_194_304)
        );
        assert_eq!(
            at(MIN_MEMORY_KIB - 1, 1, 1),
            too_little("memory (KiB)", 8191, 8192)
        );
        assert_eq!(at(8192, 65, 1), too_much("iterations", 65, 64));
        assert_eq!(at(8192, 0, 1), too_little("iterations", 0, 1));
        assert_eq!(at(8192, 1, 17), too_much("parallelism", 17, 16));
        assert_eq!(at(8192, 1, 0), too_little("parallelism", 0, 1));
        // Memory is checked first, then iterations, then parallelism; caps before floors.
        assert_eq!(at(0, 0, 0), too_little("memory (KiB)", 0, 8192));
        assert_eq!(at(8192, 0, 99), too_little("iterations", 0, 1));
        assert_eq!(at(8192, 99, 0), too_much("iterations", 99, 64));
        // A stretch with refused parameters fails the same way, before running.
        let p = Passphrase::new("x".into());
        assert_eq!(
            KdfParams {
                memory_kib: 8192,
                iterations: 1,
                parallelism: 0
            }
            .stretch(&p, &[0; 16])
            .unwrap_err(),
            KdfError::TooWeak {
                what: "parallelism",
                given: 0,
                min: 1
            }
        );
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn stretch_known_answer_and_parallelism_matters() {
        let p = Passphrase::new("correct horse battery staple".into());
        let a = SMALL.stretch(&p, &[1; 16]).unwrap();
        // Argon2id v0x13, m = 8192 KiB, t = 1, p = 1 and 2, computed outside Rust with the
        // reference C implementation (argon2-cffi's `hash_secret_raw`).
        assert_eq!(
            hex(&a[..]),
            "410e70a43437e782f539589bddec13a5e7a5513ded7400de04b6b8b2ef71a2e1"
        );
        let two_lanes = KdfParams {
            parallelism: 2,
            ..SMALL
        };
        assert_eq!(
            hex(&two_lanes.stretch(&p, &[1; 16]).unwrap()[..]),
            "1f58b131de00a37be1fcf3c193d448ec16591be05f43879c97cf65697e2b9c9a"
        );
        let more_memory = KdfParams {
            memory_kib: MIN_MEMORY_KIB + 8,
            ..SMALL
        };
        assert_ne!(*a, *more_memory.stretch(&p, &[1; 16]).unwrap());
    }
}
