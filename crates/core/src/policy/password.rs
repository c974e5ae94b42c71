//! Credential generation: Entra ID passwords and FIDO2 PINs from an injected CSPRNG.
//!
//! Characters are drawn by rejection sampling (no modulo bias), and a password that misses one
//! of the four character classes is redrawn whole, so every valid password is equally likely.
//! This module never reaches the OS random source itself: the caller passes the RNG.

use crate::secret::SecretString;

/// Shortest password the tool makes without `allow_short`.
pub const MIN_PASSWORD_LEN: usize = 30;
/// Entra ID refuses longer passwords.
pub const MAX_PASSWORD_LEN: usize = 256;
/// Default length: comfortably above the minimum, still typeable.
pub const DEFAULT_PASSWORD_LEN: usize = 32;
/// Absolute floor even with `allow_short` (Entra ID's own minimum).
pub const ENTRA_MIN_PASSWORD_LEN: usize = 8;

const UPPER_CLEAR: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ"; // no I, O
const LOWER_CLEAR: &str = "abcdefghijkmnpqrstuvwxyz"; // no l, o
const DIGITS_CLEAR: &str = "23456789"; // no 0, 1
const SYMBOLS_CLEAR: &str = "!#$%&*+-=?@_"; // no | ` ' " or space; no dead keys
const UPPER_ALL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER_ALL: &str = "abcdefghijklmnopqrstuvwxyz";
const DIGITS_ALL: &str = "0123456789";
// Entra ID's full symbol set, except the blank space (invisible at either end).
const SYMBOLS_ALL: &str = "@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<>";

/// How passwords are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub length: usize,
    /// Also use characters that are easy to misread (0 O o 1 l I | ` ' "): off by default,
    /// because every mistyped attempt counts towards Entra ID's smart lockout.
    pub include_ambiguous: bool,
    /// Permit lengths below [`MIN_PASSWORD_LEN`] (never below Entra ID's 8).
    pub allow_short: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            length: DEFAULT_PASSWORD_LEN,
            include_ambiguous: false,
            allow_short: false,
        }
    }
}

/// Why a password policy was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error(
        "a password of {length} characters is too short: break-glass passwords need at least {min}"
    )]
    TooShort { length: usize, min: usize },
    #[error("a password of {length} characters is too long: Entra ID accepts at most {max}")]
    TooLong { length: usize, max: usize },
}

/// Why a FIDO2 PIN request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PinError {
    #[error("a FIDO2 PIN must have 4 to 63 characters; {length} was asked for")]
    BadLength { length: usize },
}

impl PasswordPolicy {
    /// # Errors
    /// [`PolicyError`] when the length is outside what the policy allows.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let min = if self.allow_short {
            ENTRA_MIN_PASSWORD_LEN
        } else {
            MIN_PASSWORD_LEN
        };
        if self.length < min {
            return Err(PolicyError::TooShort {
                length: self.length,
                min,
            });
        }
        if self.length > MAX_PASSWORD_LEN {
            return Err(PolicyError::TooLong {
                length: self.length,
                max: MAX_PASSWORD_LEN,
            });
        }
        Ok(())
    }

    fn classes(&self) -> [&'static [u8]; 4] {
        if self.include_ambiguous {
            [UPPER_ALL, LOWER_ALL, DIGITS_ALL, SYMBOLS_ALL].map(str::as_bytes)
        } else {
            [UPPER_CLEAR, LOWER_CLEAR, DIGITS_CLEAR, SYMBOLS_CLEAR].map(str::as_bytes)
        }
    }

    /// The full alphabet passwords are drawn from, in a fixed order.
    pub fn alphabet(&self) -> Vec<u8> {
        self.classes().concat()
    }

    /// Entropy in bits of a uniformly drawn password that contains all four classes.
    pub fn entropy_bits(&self) -> f64 {
        let classes = self.classes();
        let n = classes.iter().map(|c| c.len()).sum::<usize>() as f64;
        let len = self.length as f64;
        // Inclusion-exclusion over the classes a password could miss.
        let mut fraction = 0.0;
        for mask in 0u32..16 {
            let missing: usize = (0..4)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| classes[i].len())
                .sum();
            let sign = if mask.count_ones() % 2 == 0 {
                1.0
            } else {
                -1.0
            };
            fraction += sign * (1.0 - missing as f64 / n).powf(len);
        }
        len * n.log2() + fraction.log2()
    }

    /// Generates one password.
    ///
    /// # Errors
    /// [`PolicyError`] when the policy is out of range.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<SecretString, PolicyError> {
        self.validate()?;
        let alphabet = self.alphabet();
        let classes = self.classes();
        loop {
            let mut pw = String::with_capacity(self.length);
            for _ in 0..self.length {
                pw.push(alphabet[uniform_index(rng, alphabet.len())] as char);
            }
            let candidate = SecretString::new(pw);
            let s = candidate.expose_secret().as_bytes();
            if classes.iter().all(|c| s.iter().any(|b| c.contains(b))) {
                return Ok(candidate);
            }
        }
    }
}

/// Generates a numeric FIDO2 PIN (or alphanumeric, without look-alikes, when asked).
///
/// # Errors
/// [`PinError`] when the length is outside FIDO2's 4–63 characters.
pub fn generate_pin<R: rand_core::CryptoRng + ?Sized>(
    rng: &mut R,
    length: usize,
    alphanumeric: bool,
) -> Result<SecretString, PinError> {
    if !(4..=63).contains(&length) {
        return Err(PinError::BadLength { length });
    }
    let alphabet: &[u8] = if alphanumeric {
        b"23456789ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"
    } else {
        b"0123456789"
    };
    let mut pin = String::with_capacity(length);
    for _ in 0..length {
        pin.push(alphabet[uniform_index(rng, alphabet.len())] as char);
    }
    Ok(SecretString::new(pin))
}

/// A uniform index below `n` (2 ≤ n ≤ 256): one random byte per try, bytes at or above the
/// largest multiple of `n` are rejected, so there is no modulo bias.
pub fn uniform_index<R: rand_core::CryptoRng + ?Sized>(rng: &mut R, n: usize) -> usize {
    assert!((2..=256).contains(&n), "alphabet size out of range");
    let limit = 256 - (256 % n);
    loop {
        let mut b = [0u8; 1];
        rng.fill_bytes(&mut b);
        if (b[0] as usize) < limit {
            return b[0] as usize % n;
        }
    }
}

crate::error_kinds! { PolicyError {
    TooShort => "TooShort",
    TooLong => "TooLong",
} }

crate::error_kinds! { PinError {
    BadLength => "BadLength",
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    fn rng() -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(7)
    }

    #[test]
    fn default_password_meets_entra_rules_and_avoids_lookalikes() {
        let mut r = rng();
        for _ in 0..200 {
            let pw = PasswordPolicy::default().generate(&mut r).unwrap();
            let s = pw.expose_secret();
            assert_eq!(s.len(), 32);
            assert!(s.is_ascii());
            assert!(s.chars().any(|c| c.is_ascii_uppercase()));
            assert!(s.chars().any(|c| c.is_ascii_lowercase()));
            assert!(s.chars().any(|c| c.is_ascii_digit()));
            assert!(s.chars().any(|c| !c.is_ascii_alphanumeric()));
            for bad in ['0', 'O', 'o', '1', 'l', 'I', '|', '`', '\'', '"', ' '] {
                assert!(!s.contains(bad), "{bad} in a default password");
            }
            for c in s.chars() {
                assert!(
                    c.is_ascii_alphanumeric() || SYMBOLS_ALL.contains(c),
                    "{c} is not allowed by Entra ID"
                );
            }
        }
    }

    #[test]
    fn lengths_are_enforced() {
        let p = |length, allow_short| PasswordPolicy {
            length,
            include_ambiguous: false,
            allow_short,
        };
        assert_eq!(
            p(29, false).validate(),
            Err(PolicyError::TooShort {
                length: 29,
                min: 30
            })
        );
        assert!(p(30, false).validate().is_ok());
        assert!(p(12, true).validate().is_ok());
        assert_eq!(
            p(7, true).validate(),
            Err(PolicyError::TooShort { length: 7, min: 8 })
        );
        assert!(p(256, false).validate().is_ok());
        assert_eq!(
            p(257, false).validate(),
            Err(PolicyError::TooLong {
                length: 257,
                max: 256
            })
        );
        assert!(p(257, false).generate(&mut rng()).is_err());
    }

    #[test]
    fn entropy_is_close_to_length_times_log2_alphabet() {
        let p = PasswordPolicy::default();
        let n = p.alphabet().len() as f64;
        assert_eq!(n, 68.0);
        let e = p.entropy_bits();
        let upper = 32.0 * n.log2();
        assert!(e < upper && e > upper - 1.0, "{e} vs {upper}");
    }

    /// Chi-squared test over 68 symbols: a modulo-biased sampler (byte % 68) over-weights the
    /// first 52 symbols by 25 % and fails this by a wide margin.
    #[test]
    fn characters_are_uniform() {
        let mut r = rng();
        let n = 68;
        let draws = 400_000;
        let mut counts = vec![0u64; n];
        for _ in 0..draws {
            counts[uniform_index(&mut r, n)] += 1;
        }
        let expected = draws as f64 / n as f64;
        let chi2: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        // 67 degrees of freedom: the 99.9th percentile is about 111.
        assert!(chi2 < 111.0, "chi2 = {chi2}");

        // The same statistic on a biased sampler is far beyond the threshold.
        let mut biased = vec![0u64; n];
        for _ in 0..draws {
            let mut b = [0u8; 1];
            rand::Rng::fill_bytes(&mut r, &mut b);
            biased[b[0] as usize % n] += 1;
        }
        let chi2_biased: f64 = biased
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi2_biased > 1000.0, "chi2 biased = {chi2_biased}");
    }

    #[test]
    fn pins_are_digits_of_the_asked_length() {
        let mut r = rng();
        let pin = generate_pin(&mut r, 8, false).unwrap();
        assert_eq!(pin.expose_secret().len(), 8);
        assert!(pin.expose_secret().chars().all(|c| c.is_ascii_digit()));
        let pin = generate_pin(&mut r, 12, true).unwrap();
        assert!(
            pin.expose_secret()
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        );
        assert_eq!(
            generate_pin(&mut r, 3, false),
            Err(PinError::BadLength { length: 3 })
        );
        assert!(generate_pin(&mut r, 64, false).is_err());
    }

    #[test]
    fn fixed_rng_gives_fixed_password() {
        let a = PasswordPolicy::default().generate(&mut rng()).unwrap();
        let b = PasswordPolicy::default().generate(&mut rng()).unwrap();
        assert_eq!(a, b);
        let c = PasswordPolicy::default()
            .generate(&mut ChaCha20Rng::seed_from_u64(8))
            .unwrap();
        assert_ne!(a, c);
    }

    /// The fraction of all-class passwords, by a different method than the code's
    /// inclusion-exclusion: a walk over the set of classes seen so far, one character at a time.
    fn all_classes_fraction(classes: &[&[u8]; 4], len: usize) -> f64 {
        let n: usize = classes.iter().map(|c| c.len()).sum();
        let mut p = [0.0f64; 16];
        p[0] = 1.0;
        for _ in 0..len {
            let mut next = [0.0f64; 16];
            for (seen, &q) in p.iter().enumerate() {
                for (i, c) in classes.iter().enumerate() {
                    next[seen | 1 << i] += q * c.len() as f64 / n as f64;
                }
            }
            p = next;
        }
        p[15]
    }

    #[test]
    fn entropy_is_exact() {
        for (length, include_ambiguous, n) in [
            (8, false, 68),
            (8, true, 94),
            (32, false, 68),
            (40, true, 94),
        ] {
            let p = PasswordPolicy {
                length,
                include_ambiguous,
                allow_short: true,
            };
            assert_eq!(p.alphabet().len(), n);
            let want = length as f64 * (n as f64).log2()
                + all_classes_fraction(&p.classes(), length).log2();
            let got = p.entropy_bits();
            assert!(
                (got - want).abs() < 1e-9,
                "{length} {include_ambiguous}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn ambiguous_characters_only_when_asked() {
        let all = PasswordPolicy {
            include_ambiguous: true,
            ..PasswordPolicy::default()
        };
        let a = all.alphabet();
        for c in b"0Oo1lI|`'\"" {
            assert!(a.contains(c), "{}", *c as char);
            assert!(!PasswordPolicy::default().alphabet().contains(c));
        }
        assert!(!a.contains(&b' '));
        let mut r = rng();
        let mut seen_ambiguous = false;
        for _ in 0..50 {
            let pw = all.generate(&mut r).unwrap();
            seen_ambiguous |= pw
                .expose_secret()
                .bytes()
                .any(|c| b"0Oo1lI|`'\"".contains(&c));
        }
        assert!(seen_ambiguous);
    }

    #[test]
    fn short_passwords_still_hold_every_class() {
        let p = PasswordPolicy {
            length: 8,
            include_ambiguous: false,
            allow_short: true,
        };
        assert!(p.validate().is_ok());
        let mut r = rng();
        for _ in 0..300 {
            let pw = p.generate(&mut r).unwrap();
            let s = pw.expose_secret().as_bytes();
            assert_eq!(s.len(), 8);
            for class in p.classes() {
                assert!(
                    s.iter().any(|b| class.contains(b)),
                    "{:?} misses a class",
                    String::from_utf8_lossy(s)
                );
            }
        }
    }

    #[test]
    fn pin_lengths_and_alphabets() {
        let mut r = rng();
        assert_eq!(
            generate_pin(&mut r, 4, false)
                .unwrap()
                .expose_secret()
                .len(),
            4
        );
        assert_eq!(
            generate_pin(&mut r, 63, true)
                .unwrap()
                .expose_secret()
                .len(),
            63
        );
        assert_eq!(
            generate_pin(&mut r, 64, true),
            Err(PinError::BadLength { length: 64 })
        );
        let alnum = generate_pin(&mut r, 63, true).unwrap();
        let s = alnum.expose_secret();
        assert!(s.chars().any(|c| c.is_ascii_alphabetic()), "{s}");
        for bad in ['0', '1', 'O', 'o', 'I', 'l'] {
            assert!(!s.contains(bad));
        }
        assert_eq!(PinError::BadLength { length: 3 }.kind(), "BadLength");
        assert_eq!(
            PolicyError::TooShort { length: 1, min: 8 }.kind(),
            "TooShort"
        );
        assert_eq!(
            PolicyError::TooLong {
                length: 300,
                max: 256
            }
            .kind(),
            "TooLong"
        );
    }

    #[test]
    fn uniform_index_covers_the_whole_range() {
        let mut r = rng();
        let mut top = 0;
        for _ in 0..4000 {
            top = top.max(uniform_index(&mut r, 256));
            assert!(uniform_index(&mut r, 2) < 2);
        }
        assert_eq!(top, 255);
    }

    #[test]
    #[should_panic(expected = "alphabet size out of range")]
    fn uniform_index_refuses_a_one_symbol_alphabet() {
        uniform_index(&mut rng(), 1);
    }
}
