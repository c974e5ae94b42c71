//! TOTP codes (RFC 6238) from an `otpauth://` URI, computed offline from a given time.
//!
//! HMAC-SHA-1 is what authenticator apps and Entra ID's OATH tokens use by default; SHA-256 and
//! SHA-512 are honoured when the URI asks for them. The caller supplies the time (the system
//! clock must be right; the CLI warns so). This module never reads the clock.

use crate::secret::SecretBytes;
use hmac::{Hmac, KeyInit, Mac};

/// Why a TOTP URI was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TotpError {
    #[error("not an otpauth://totp/ URI")]
    NotTotp,
    #[error("the otpauth URI has no secret= parameter")]
    NoSecret,
    #[error("the TOTP secret is not valid base32")]
    BadSecret,
    #[error("unsupported TOTP algorithm (SHA1, SHA256 or SHA512 are supported)")]
    BadAlgorithm,
    #[error("unsupported TOTP digits (6 to 10) or period (1 to 3600 seconds)")]
    BadParameters,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

/// The label a vault entry gets for a TOTP `uri`: the URI's own label
/// (`otpauth://totp/LABEL?…`), percent-decoded, as authenticator apps show it
/// (`Contoso:alice@contoso.com`); "TOTP" when the URI has none. The query, where the secret
/// is, never reaches the label.
pub fn entry_label(uri: &str) -> String {
    uri.split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, path)| path.split('?').next().unwrap_or(""))
        .map(|l| {
            percent_encoding::percent_decode_str(l)
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "TOTP".into())
}

/// A TOTP generator; the seed is secret.
#[derive(Debug)]
pub struct Totp {
    secret: SecretBytes,
    pub algorithm: Algorithm,
    pub digits: u32,
    pub period: u64,
}

/// A code and how long it stays valid.
#[derive(Debug, PartialEq, Eq)]
pub struct Code {
    pub code: String,
    pub seconds_left: u64,
}

impl Totp {
    /// Parses `otpauth://totp/LABEL?secret=BASE32&algorithm=SHA1&digits=6&period=30`.
    /// FORMAT.md §12.8: the scheme and the type are case-insensitive (RFC 3986 §3.1), as are
    /// the parameter names and the algorithm; digits 6 to 10, period 1 to 3600 seconds.
    ///
    /// # Errors
    /// [`TotpError`] naming what is wrong (never the secret).
    pub fn from_uri(uri: &str) -> Result<Self, TotpError> {
        let rest = strip_scheme(uri).ok_or(TotpError::NotTotp)?;
        let (kind, rest) = rest.split_once('/').ok_or(TotpError::NotTotp)?;
        if !kind.eq_ignore_ascii_case("totp") {
            return Err(TotpError::NotTotp);
        }
        let query = rest.split_once('?').map(|(_, q)| q).unwrap_or("");
        let mut secret = None;
        let mut algorithm = Algorithm::Sha1;
        let mut digits = 6;
        let mut period = 30;
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k.to_ascii_lowercase().as_str() {
                "secret" => {
                    // Decoded into a buffer sized up front (decoding only shortens): a growing
                    // one would free copies of the seed that no zeroize reaches.
                    let mut decoded = zeroize::Zeroizing::new(Vec::with_capacity(v.len()));
                    decoded.extend(percent_encoding::percent_decode_str(v));
                    secret = Some(decoded)
                }
                "algorithm" => {
                    algorithm = match v.to_ascii_uppercase().as_str() {
                        "SHA1" => Algorithm::Sha1,
                        "SHA256" => Algorithm::Sha256,
                        "SHA512" => Algorithm::Sha512,
                        _ => return Err(TotpError::BadAlgorithm),
                    }
                }
                "digits" => digits = v.parse().map_err(|_| TotpError::BadParameters)?,
                "period" => period = v.parse().map_err(|_| TotpError::BadParameters)?,
                _ => {}
            }
        }
        if !(6..=10).contains(&digits) || !(1..=3600).contains(&period) {
            return Err(TotpError::BadParameters);
        }
        let secret = secret.ok_or(TotpError::NoSecret)?;
        let secret = String::from_utf8_lossy(&secret);
        let mut cleaned = zeroize::Zeroizing::new(String::with_capacity(secret.len()));
        for c in secret.chars() {
            if !c.is_whitespace() && c != '=' && c != '-' {
                cleaned.push(c.to_ascii_uppercase());
            }
        }
        let bytes = data_encoding::BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .map_err(|_| TotpError::BadSecret)?;
        if bytes.is_empty() {
            return Err(TotpError::BadSecret);
        }
        Ok(Self {
            secret: SecretBytes::new(bytes),
            algorithm,
            digits,
            period,
        })
    }

    /// A generator from raw key bytes (RFC test vectors).
    pub fn from_key(key: &[u8], algorithm: Algorithm, digits: u32, period: u64) -> Self {
        Self {
            secret: SecretBytes::new(key.to_vec()),
            algorithm,
            digits,
            period,
        }
    }

    /// The code at `unix_seconds` (RFC 6238 with T0 = 0).
    pub fn code_at(&self, unix_seconds: u64) -> Code {
        let counter = (unix_seconds / self.period).to_be_bytes();
        let key = self.secret.expose_secret();
        let mac: Vec<u8> = match self.algorithm {
            Algorithm::Sha1 => mac::<Hmac<sha1::Sha1>>(key, &counter),
            Algorithm::Sha256 => mac::<Hmac<sha2::Sha256>>(key, &counter),
            Algorithm::Sha512 => mac::<Hmac<sha2::Sha512>>(key, &counter),
        };
        // RFC 4226 §5.3 dynamic truncation.
        let offset = (mac[mac.len() - 1] & 0x0f) as usize;
        let bin =
            u32::from_be_bytes(mac[offset..offset + 4].try_into().expect("4 bytes")) & 0x7fff_ffff;
        let value = u64::from(bin) % 10u64.pow(self.digits);
        Code {
            code: format!("{value:0width$}", width = self.digits as usize),
            seconds_left: self.period - unix_seconds % self.period,
        }
    }
}

/// What follows `otpauth://`, the scheme matched in any case (RFC 3986 §3.1).
pub fn strip_scheme(uri: &str) -> Option<&str> {
    const SCHEME: &str = "otpauth://";
    let head = uri.get(..SCHEME.len())?;
    head.eq_ignore_ascii_case(SCHEME)
        .then(|| &uri[SCHEME.len()..])
}

fn mac<M: Mac + KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

crate::error_kinds! { TotpError {
    NotTotp => "NotTotp",
    NoSecret => "NoSecret",
    BadSecret => "BadSecret",
    BadAlgorithm => "BadAlgorithm",
    BadParameters => "BadParameters",
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    /// RFC 6238 Appendix B: the test keys are the ASCII strings below, 8 digits.
    #[test]
    fn rfc6238_vectors() {
        let k1 = b"12345678901234567890";
        let k256 = b"12345678901234567890123456789012";
        let k512 = b"1234567890123456789012345678901234567890123456789012345678901234";
        let cases: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, sha1, sha256, sha512) in cases {
            assert_eq!(
                Totp::from_key(k1, Algorithm::Sha1, 8, 30).code_at(t).code,
                sha1
            );
            assert_eq!(
                Totp::from_key(k256, Algorithm::Sha256, 8, 30)
                    .code_at(t)
                    .code,
                sha256
            );
            assert_eq!(
                Totp::from_key(k512, Algorithm::Sha512, 8, 30)
                    .code_at(t)
                    .code,
                sha512
            );
        }
    }

    #[test]
    fn uri_parsing() {
        // "12345678901234567890" in base32.
        let uri = "otpauth://totp/ACME%20Co:john?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME&digits=8";
        let t = Totp::from_uri(uri).unwrap();
        assert_eq!(t.digits, 8);
        assert_eq!(t.code_at(59).code, "94287082");
        assert_eq!(t.code_at(59).seconds_left, 1);
        assert_eq!(t.code_at(60).seconds_left, 30);
        let lower = "otpauth://totp/x?secret=gezdgnbvgy3tqojqgezdgnbvgy3tqojq";
        assert_eq!(Totp::from_uri(lower).unwrap().code_at(59).code, "287082");
        assert_eq!(
            Totp::from_uri("otpauth://hotp/x?secret=AA").unwrap_err(),
            TotpError::NotTotp
        );
        assert_eq!(
            Totp::from_uri("otpauth://totp/x?issuer=a").unwrap_err(),
            TotpError::NoSecret
        );
        assert_eq!(
            Totp::from_uri("otpauth://totp/x?secret=1!").unwrap_err(),
            TotpError::BadSecret
        );
        assert_eq!(
            Totp::from_uri("otpauth://totp/x?secret=GEZDGNBV&algorithm=MD5").unwrap_err(),
            TotpError::BadAlgorithm
        );
        assert_eq!(
            Totp::from_uri("otpauth://totp/x?secret=GEZDGNBV&digits=4").unwrap_err(),
            TotpError::BadParameters
        );
        assert!(!format!("{t:?}").contains("GEZD"));
    }

    /// FORMAT.md §12.8 (`tests/vectors/totp-codes.tsv`): the scheme in any case gives the
    /// same code; 10 digits is the most, 11 none.
    #[test]
    fn the_scheme_is_case_insensitive_and_digits_run_from_6_to_10() {
        let code = |u: &str| Totp::from_uri(u).map(|t| t.code_at(59).code);
        let uri = format!("otpauth://totp/x?secret={SEED_B32}&digits=8");
        assert_eq!(code(&uri).unwrap(), "94287082");
        assert_eq!(
            code(&uri.replace("otpauth", "OTPAUTH")).unwrap(),
            "94287082"
        );
        assert_eq!(
            code(&uri.replace("otpauth", "OtpAuth")).unwrap(),
            "94287082"
        );
        assert_eq!(code("OTPAUTH:/x").unwrap_err(), TotpError::NotTotp);
        assert_eq!(code("otpauth:/\u{e9}x").unwrap_err(), TotpError::NotTotp);
        let digits = |d: u32| code(&format!("otpauth://totp/x?secret={SEED_B32}&digits={d}"));
        assert_eq!(digits(10).unwrap(), "1094287082");
        assert_eq!(digits(11).unwrap_err(), TotpError::BadParameters);
        assert_eq!(digits(5).unwrap_err(), TotpError::BadParameters);
    }

    const SEED_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn uri_parameters_are_honoured() {
        let t = |q: &str| Totp::from_uri(&format!("otpauth://totp/x?secret={SEED_B32}{q}"));
        let sha256 = t("&algorithm=sha256&digits=8").unwrap();
        assert_eq!(sha256.algorithm, Algorithm::Sha256);
        // RFC 6238 with the 20-byte key (HMAC pads it): not the 32-byte vector.
        assert_eq!(
            sha256.code_at(59).code,
            Totp::from_key(b"12345678901234567890", Algorithm::Sha256, 8, 30)
                .code_at(59)
                .code
        );
        assert_eq!(t("&ALGORITHM=SHA512").unwrap().algorithm, Algorithm::Sha512);
        assert_eq!(t("&algorithm=SHA1").unwrap().algorithm, Algorithm::Sha1);
        let default = t("").unwrap();
        assert_eq!(
            (default.algorithm, default.digits, default.period),
            (Algorithm::Sha1, 6, 30)
        );
        let p60 = t("&period=60").unwrap();
        assert_eq!(p60.period, 60);
        assert_eq!(p60.code_at(59).seconds_left, 1);
        assert_eq!(p60.code_at(60).seconds_left, 60);
        // The counter is t / period: 119 s with a 60 s period is counter 1, as 59 s with 30 s.
        assert_eq!(p60.code_at(119).code, default.code_at(59).code);
        for ok in ["&digits=6", "&digits=10", "&period=1", "&period=3600"] {
            assert!(t(ok).is_ok(), "{ok}");
        }
        assert_eq!(t("&digits=10").unwrap().code_at(59).code.len(), 10);
        for bad in [
            "&digits=5",
            "&digits=11",
            "&period=0",
            "&period=3601",
            "&digits=x",
        ] {
            assert_eq!(t(bad).unwrap_err(), TotpError::BadParameters, "{bad}");
        }
        assert_eq!(
            t("&period=-1").unwrap_err(),
            TotpError::BadParameters,
            "a negative period"
        );
    }

    #[test]
    fn uri_shapes() {
        let code = |uri: &str| Totp::from_uri(uri).map(|t| t.code_at(59).code);
        let want = Ok("287082".to_string());
        // Scheme and type are case-insensitive in practice; the key names too.
        assert_eq!(code(&format!("otpauth://TOTP/x?SECRET={SEED_B32}")), want);
        // Spaces, dashes, padding and percent-escapes in the seed are ignored.
        assert_eq!(
            code("otpauth://totp/x?secret=GEZD%20GNBV-GY3T%20QOJQGEZDGNBVGY3TQOJQ%3D%3D"),
            want
        );
        assert_eq!(
            code("otpauth://totp/x?secret=GEZD GNBV-GY3TQOJQ GEZDGNBVGY3TQOJQ=="),
            want
        );
        assert_eq!(code("https://totp/x?secret=GEZD"), Err(TotpError::NotTotp));
        assert_eq!(code("otpauth://totp"), Err(TotpError::NotTotp));
        assert_eq!(
            code("otpauth://totpx/y?secret=GEZD"),
            Err(TotpError::NotTotp)
        );
        assert_eq!(code("otpauth://totp/x"), Err(TotpError::NoSecret));
        assert_eq!(code("otpauth://totp/x?secret"), Err(TotpError::BadSecret));
        assert_eq!(code("otpauth://totp/x?secret="), Err(TotpError::BadSecret));
        assert_eq!(
            code("otpauth://totp/x?secret=%3D%3D"),
            Err(TotpError::BadSecret)
        );
        assert_eq!(
            code("otpauth://totp/x?secret=GEZ%FF"),
            Err(TotpError::BadSecret)
        );
    }

    #[test]
    fn entry_labels_are_the_uri_label_decoded() {
        let label = |l: &str| entry_label(&format!("otpauth://totp/{l}?secret={SEED_B32}"));
        assert_eq!(
            label("Contoso:alice%40contoso.com"),
            "Contoso:alice@contoso.com"
        );
        assert_eq!(label("ACME%20Co:bob"), "ACME Co:bob");
        assert_eq!(label("plain"), "plain");
        // Bytes that are not UTF-8 are shown replaced, not dropped.
        assert_eq!(label("x%FFy"), "x\u{FFFD}y");
        // No label: "TOTP", and never any part of the query with the secret.
        assert_eq!(label(""), "TOTP");
        assert_eq!(entry_label("otpauth://totp?secret=JBSWY3DP"), "TOTP");
        assert_eq!(entry_label("otpauth://totp/issuer-only"), "issuer-only");
        assert_eq!(entry_label("not a uri"), "TOTP");
    }

    #[test]
    fn error_kinds_are_the_frozen_names() {
        let kinds: Vec<String> = [
            TotpError::NotTotp,
            TotpError::NoSecret,
            TotpError::BadSecret,
            TotpError::BadAlgorithm,
            TotpError::BadParameters,
        ]
        .iter()
        .map(ErrorKind::kind)
        .collect();
        assert_eq!(
            kinds,
            [
                "NotTotp",
                "NoSecret",
                "BadSecret",
                "BadAlgorithm",
                "BadParameters"
            ]
        );
    }
}
