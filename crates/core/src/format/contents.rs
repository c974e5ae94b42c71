//! The vault's secret contents: accounts, FIDO2 PINs, TOTP seeds, notes (FORMAT.md §5).
//!
//! Only ever decoded from plaintext that authenticated, but still parsed strictly so a bug or a
//! future writer cannot smuggle ambiguity in. Every secret field is a [`SecretString`].

use crate::secret::{SecretBytes, SecretString};
use crate::untrusted::{FieldError, check_field, check_text};

/// Plaintext format version this build writes.
pub const CONTENTS_VERSION: u8 = 1;
/// Largest single field in bytes.
pub const MAX_FIELD_BYTES: usize = 8 * 1024;

/// One secret the emergency needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// An emergency account and its password.
    Account {
        upn: String,
        display_name: String,
        password: SecretString,
    },
    /// A FIDO2 security key (label and serial, and where it is kept) and its PIN.
    Fido2 { label: String, pin: SecretString },
    /// A TOTP seed as an `otpauth://` URI.
    Totp { label: String, uri: SecretString },
    /// Free text: recovery codes, instructions.
    Note { label: String, text: SecretString },
}

impl Entry {
    fn tag(&self) -> u8 {
        match self {
            Entry::Account { .. } => 1,
            Entry::Fido2 { .. } => 2,
            Entry::Totp { .. } => 3,
            Entry::Note { .. } => 4,
        }
    }
    /// The encoded fields, in FORMAT.md §5 order.
    fn fields(&self) -> Vec<&str> {
        match self {
            Entry::Account {
                upn,
                display_name,
                password,
            } => vec![upn, display_name, password.expose_secret()],
            Entry::Fido2 { label, pin } => vec![label, pin.expose_secret()],
            Entry::Totp { label, uri } => vec![label, uri.expose_secret()],
            Entry::Note { label, text } => vec![label, text.expose_secret()],
        }
    }
    /// A short non-secret description for listings.
    pub fn title(&self) -> String {
        match self {
            Entry::Account { upn, .. } => format!("account {upn}"),
            Entry::Fido2 { label, .. } => format!("FIDO2 key {label}"),
            Entry::Totp { label, .. } => format!("TOTP {label}"),
            Entry::Note { label, .. } => format!("note {label}"),
        }
    }
}

/// Everything sealed in the vault.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VaultContents {
    pub entries: Vec<Entry>,
}

/// Why plaintext was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContentsError {
    #[error("the vault contents use format {found}, newer than this breakglass reads: upgrade it")]
    NewerVersion { found: u8 },
    #[error("the vault contents are malformed ({0})")]
    Malformed(&'static str),
    #[error("the vault holds an entry of unknown kind {0}: upgrade breakglass")]
    UnknownEntry(u8),
    #[error("a field is {len} bytes, above the maximum of {MAX_FIELD_BYTES}")]
    FieldTooLong { len: usize },
    #[error("the vault is empty: give it at least one account or secret")]
    Empty,
}

impl VaultContents {
    /// Encodes the contents (FORMAT.md §5).
    ///
    /// # Errors
    /// [`ContentsError`] when empty or a field is too long.
    pub fn to_bytes(&self) -> Result<SecretBytes, ContentsError> {
        if self.entries.is_empty() {
            return Err(ContentsError::Empty);
        }
        let count = u16::try_from(self.entries.len())
            .map_err(|_| ContentsError::Malformed("too many entries"))?;
        // Sized exactly before the first byte is written: a buffer that grows frees its old
        // block with the secrets still in it, where no zeroize reaches them.
        let mut len = 3;
        for e in &self.entries {
            len += 1;
            for f in e.fields() {
                if f.len() > MAX_FIELD_BYTES {
                    return Err(ContentsError::FieldTooLong { len: f.len() });
                }
                len += 2 + f.len();
            }
        }
        let mut out = SecretBytes::new(Vec::with_capacity(len));
        let v = out.expose_secret_mut();
        v.push(CONTENTS_VERSION);
        v.extend_from_slice(&count.to_be_bytes());
        for e in &self.entries {
            v.push(e.tag());
            for f in e.fields() {
                let flen = u16::try_from(f.len())
                    .map_err(|_| ContentsError::FieldTooLong { len: f.len() })?;
                v.extend_from_slice(&flen.to_be_bytes());
                v.extend_from_slice(f.as_bytes());
            }
        }
        debug_assert_eq!(v.len(), v.capacity(), "the contents buffer grew");
        Ok(out)
    }

    /// Checks every field of new contents for characters that could drive a terminal or
    /// disguise text: the ceremony refuses them, so no sheet it makes carries them. One-line
    /// fields (names, labels, URIs and the percent-decoded parts of a TOTP URI: its label,
    /// issuer and other parameters) hold printable text only; a note's text may also hold
    /// newline and tab. Not part of decoding: vaults already made are shown through
    /// [`crate::untrusted::visible`] instead.
    ///
    /// # Errors
    /// [`FieldError`] naming the entry and field (never its value).
    pub fn check_fields(&self) -> Result<(), FieldError> {
        let (mut accounts, mut keys, mut totps, mut notes) = (0, 0, 0, 0);
        for e in &self.entries {
            match e {
                Entry::Account {
                    upn,
                    display_name,
                    password,
                } => {
                    accounts += 1;
                    let n = accounts;
                    check_field(upn, || format!("the UPN of account {n}"))?;
                    check_field(display_name, || format!("the display name of account {n}"))?;
                    check_field(password.expose_secret(), || {
                        format!("the password of account {n}")
                    })?;
                }
                Entry::Fido2 { label, pin } => {
                    keys += 1;
                    let n = keys;
                    check_field(label, || format!("the label of FIDO2 key {n}"))?;
                    check_field(pin.expose_secret(), || format!("the PIN of FIDO2 key {n}"))?;
                }
                Entry::Totp { label, uri } => {
                    totps += 1;
                    let n = totps;
                    check_field(label, || format!("the label of TOTP {n}"))?;
                    check_totp_uri(uri.expose_secret(), n)?;
                }
                Entry::Note { label, text } => {
                    notes += 1;
                    let n = notes;
                    check_field(label, || {
                        format!("the label of note {n} (the note file's name)")
                    })?;
                    check_text(text.expose_secret(), || format!("the text of note {n}"))?;
                }
            }
        }
        Ok(())
    }

    /// Parses plaintext.
    ///
    /// # Errors
    /// [`ContentsError`] for anything but the canonical encoding.
    pub fn from_bytes(b: &SecretBytes) -> Result<Self, ContentsError> {
        let b = b.expose_secret();
        let mut at = 0usize;
        let mut take = |len: usize| -> Result<&[u8], ContentsError> {
            let end = at
                .checked_add(len)
                .filter(|&e| e <= b.len())
                .ok_or(ContentsError::Malformed("truncated"))?;
            let s = &b[at..end];
            at = end;
            Ok(s)
        };
        match take(1)?[0] {
            CONTENTS_VERSION => {}
            0 => return Err(ContentsError::Malformed("version 0")),
            v => return Err(ContentsError::NewerVersion { found: v }),
        }
        let count = u16::from_be_bytes(take(2)?.try_into().expect("2 bytes"));
        if count == 0 {
            return Err(ContentsError::Empty);
        }
        let mut entries = Vec::new();
        for _ in 0..count {
            let tag = take(1)?[0];
            let mut field = || -> Result<String, ContentsError> {
                let len = u16::from_be_bytes(take(2)?.try_into().expect("2 bytes")) as usize;
                if len > MAX_FIELD_BYTES {
                    return Err(ContentsError::FieldTooLong { len });
                }
                let bytes = take(len)?;
                String::from_utf8(bytes.to_vec()).map_err(|_| ContentsError::Malformed("not UTF-8"))
            };
            let e = match tag {
                1 => Entry::Account {
                    upn: field()?,
                    display_name: field()?,
                    password: SecretString::new(field()?),
                },
                2 => Entry::Fido2 {
                    label: field()?,
                    pin: SecretString::new(field()?),
                },
                3 => Entry::Totp {
                    label: field()?,
                    uri: SecretString::new(field()?),
                },
                4 => Entry::Note {
                    label: field()?,
                    text: SecretString::new(field()?),
                },
                t => return Err(ContentsError::UnknownEntry(t)),
            };
            entries.push(e);
        }
        if at != b.len() {
            return Err(ContentsError::Malformed("trailing bytes"));
        }
        Ok(Self { entries })
    }
}

crate::error_kinds! { ContentsError {
    NewerVersion => "NewerVersion",
    Malformed => "Malformed",
    UnknownEntry => "UnknownEntry",
    FieldTooLong => "FieldTooLong",
    Empty => "Empty",
} }

/// The raw URI, then its percent-decoded label and query parameters (an issuer `%1B[2J` is
/// an escape sequence once an authenticator app or a terminal decodes it). The secret's value
/// is decoded into a zeroizing buffer.
fn check_totp_uri(uri: &str, n: usize) -> Result<(), FieldError> {
    use percent_encoding::percent_decode_str;
    check_field(uri, || format!("the otpauth:// URI of TOTP {n}"))?;
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let label = percent_decode_str(path).decode_utf8_lossy();
    check_field(&label, || {
        format!("the label in the otpauth:// URI of TOTP {n}")
    })?;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode_str(k).decode_utf8_lossy();
        check_field(&key, || {
            format!("a parameter name in the otpauth:// URI of TOTP {n}")
        })?;
        let value = zeroize::Zeroizing::new(percent_decode_str(v).decode_utf8_lossy().into_owned());
        let name = if key.eq_ignore_ascii_case("issuer") {
            "the issuer".to_string()
        } else if !key.is_empty()
            && key.len() <= 16
            && key.chars().all(|c| c.is_ascii_alphanumeric())
        {
            format!("the {key} parameter")
        } else {
            "a parameter".to_string()
        };
        check_field(&value, || {
            format!("{name} in the otpauth:// URI of TOTP {n}")
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A parameter is named in the error only when its name is short and plain: an odd or
    /// long name is untrusted text that would only clutter the message.
    #[test]
    fn a_bad_parameter_is_named_only_when_its_name_is_plain() {
        for (pair, named) in [
            ("ISSUER=ACME%07", "the issuer"),
            ("algorithm=SHA1%07", "the algorithm parameter"),
            ("abcdefghijklmnop=%07", "the abcdefghijklmnop parameter"),
            ("abcdefghijklmnopq=%07", "a parameter"),
            ("x-y=%07", "a parameter"),
            ("=%07", "a parameter"),
        ] {
            let uri = format!("otpauth://totp/x?secret=JBSWY3DP&{pair}");
            let e = check_totp_uri(&uri, 3).unwrap_err();
            assert_eq!(
                e.field,
                format!("{named} in the otpauth:// URI of TOTP 3"),
                "{pair}"
            );
        }
    }

    fn sample() -> VaultContents {
        VaultContents {
            entries: vec![
                Entry::Account {
                    upn: "breakglass1@contoso.onmicrosoft.com".into(),
                    display_name: "Emergency admin 1".into(),
                    password: SecretString::new("Pa$$w0rd-not-really".into()),
                },
                Entry::Fido2 {
                    label: "YubiKey 5 NFC #12345678 (Safe A)".into(),
                    pin: SecretString::new("48151623".into()),
                },
                Entry::Totp {
                    label: "bg1".into(),
                    uri: SecretString::new("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP".into()),
                },
                Entry::Note {
                    label: "recovery codes".into(),
                    text: SecretString::new("1111-2222\n3333-4444".into()),
                },
            ],
        }
    }

    #[test]
    fn round_trip() {
        let c = sample();
        let b = c.to_bytes().unwrap();
        assert_eq!(VaultContents::from_bytes(&b).unwrap(), c);
        assert!(!format!("{c:?}").contains("48151623"));
    }

    #[test]
    fn strictness() {
        let b = sample().to_bytes().unwrap().expose_secret().to_vec();
        let parse = |v: Vec<u8>| VaultContents::from_bytes(&SecretBytes::new(v));
        let mut t = b.clone();
        t.push(0);
        assert_eq!(
            parse(t).unwrap_err(),
            ContentsError::Malformed("trailing bytes")
        );
        assert_eq!(
            parse(b[..b.len() - 1].to_vec()).unwrap_err(),
            ContentsError::Malformed("truncated")
        );
        let mut v = b.clone();
        v[0] = 2;
        assert_eq!(
            parse(v).unwrap_err(),
            ContentsError::NewerVersion { found: 2 }
        );
        let mut k = b.clone();
        k[3] = 9;
        assert_eq!(parse(k).unwrap_err(), ContentsError::UnknownEntry(9));
        assert_eq!(
            VaultContents::default().to_bytes().unwrap_err(),
            ContentsError::Empty
        );
    }

    proptest! {
        #[test]
        fn parse_write_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(c) = VaultContents::from_bytes(&SecretBytes::new(bytes.clone())) {
                let again = c.to_bytes().unwrap();
                prop_assert_eq!(again.expose_secret(), &bytes[..]);
            }
        }
    }

    #[test]
    fn titles_name_the_entry_without_its_secret() {
        let t: Vec<String> = sample().entries.iter().map(Entry::title).collect();
        assert_eq!(
            t,
            vec![
                "account breakglass1@contoso.onmicrosoft.com",
                "FIDO2 key YubiKey 5 NFC #12345678 (Safe A)",
                "TOTP bg1",
                "note recovery codes",
            ]
        );
    }

    #[test]
    fn layout_and_kinds_are_as_specified() {
        assert_eq!(MAX_FIELD_BYTES, 8192);
        let c = VaultContents {
            entries: vec![
                Entry::Fido2 {
                    label: "k".into(),
                    pin: SecretString::new("12".into()),
                },
                Entry::Account {
                    upn: "u".into(),
                    display_name: "".into(),
                    password: SecretString::new("p".into()),
                },
                Entry::Totp {
                    label: "t".into(),
                    uri: SecretString::new("o".into()),
                },
                Entry::Note {
                    label: "n".into(),
                    text: SecretString::new("x".into()),
                },
            ],
        };
        let b = c.to_bytes().unwrap();
        assert_eq!(
            b.expose_secret(),
            &[
                1, 0, 4, // version, count
                2, 0, 1, b'k', 0, 2, b'1', b'2', // fido2
                1, 0, 1, b'u', 0, 0, 0, 1, b'p', // account
                3, 0, 1, b't', 0, 1, b'o', // totp
                4, 0, 1, b'n', 0, 1, b'x', // note
            ][..]
        );
        assert_eq!(VaultContents::from_bytes(&b).unwrap(), c);
    }

    #[test]
    fn field_length_limit_is_exact() {
        let note = |len: usize| VaultContents {
            entries: vec![Entry::Note {
                label: "n".into(),
                text: SecretString::new("a".repeat(len)),
            }],
        };
        let ok = note(MAX_FIELD_BYTES).to_bytes().unwrap();
        assert_eq!(
            VaultContents::from_bytes(&ok).unwrap(),
            note(MAX_FIELD_BYTES)
        );
        assert_eq!(
            note(MAX_FIELD_BYTES + 1).to_bytes().unwrap_err(),
            ContentsError::FieldTooLong { len: 8193 }
        );
        let long_label = VaultContents {
            entries: vec![Entry::Account {
                upn: "u".repeat(9000),
                display_name: String::new(),
                password: SecretString::new(String::new()),
            }],
        };
        assert_eq!(
            long_label.to_bytes().unwrap_err(),
            ContentsError::FieldTooLong { len: 9000 }
        );
        // On read: a length of 8193 is refused before the bytes are looked at.
        let mut b = ok.expose_secret().to_vec();
        // version, count, kind, label "n" (0 1 'n'), then the text length at 7..9.
        assert_eq!(&b[7..9], &[0x20, 0x00]);
        b[7..9].copy_from_slice(&8193u16.to_be_bytes());
        b.push(b'a');
        assert_eq!(
            VaultContents::from_bytes(&SecretBytes::new(b)).unwrap_err(),
            ContentsError::FieldTooLong { len: 8193 }
        );
    }

    #[test]
    fn malformed_inputs_are_named() {
        let parse = |v: &[u8]| VaultContents::from_bytes(&SecretBytes::new(v.to_vec()));
        assert_eq!(parse(&[]), Err(ContentsError::Malformed("truncated")));
        assert_eq!(
            parse(&[0, 0, 1]),
            Err(ContentsError::Malformed("version 0"))
        );
        assert_eq!(parse(&[7]), Err(ContentsError::NewerVersion { found: 7 }));
        assert_eq!(parse(&[1, 0]), Err(ContentsError::Malformed("truncated")));
        assert_eq!(parse(&[1, 0, 0]), Err(ContentsError::Empty));
        assert_eq!(
            parse(&[1, 0, 1]),
            Err(ContentsError::Malformed("truncated"))
        );
        assert_eq!(
            parse(&[1, 0, 1, 4, 0, 1, b'n', 0, 1, 0xff]),
            Err(ContentsError::Malformed("not UTF-8"))
        );
        assert_eq!(parse(&[1, 0, 1, 0]), Err(ContentsError::UnknownEntry(0)));
        assert_eq!(parse(&[1, 0, 1, 5]), Err(ContentsError::UnknownEntry(5)));
        // Two entries announced, one given.
        assert_eq!(
            parse(&[1, 0, 2, 4, 0, 1, b'n', 0, 1, b'x']),
            Err(ContentsError::Malformed("truncated"))
        );
        assert_eq!(
            parse(&[1, 0, 1, 4, 0, 1, b'n', 0, 1, b'x'])
                .unwrap()
                .entries
                .len(),
            1
        );
        // A length that would run past the end, near usize::MAX for the offset arithmetic.
        assert_eq!(
            parse(&[1, 0, 1, 4, 0xff, 0xff]),
            Err(ContentsError::FieldTooLong { len: 0xffff })
        );
    }

    #[test]
    fn new_contents_refuse_terminal_controls_in_every_field() {
        assert_eq!(sample().check_fields(), Ok(()));
        type Edit = fn(&mut VaultContents, &str);
        let cases: [(Edit, &str); 10] = [
            (
                |c, x| {
                    if let Entry::Account { upn, .. } = &mut c.entries[0] {
                        *upn = format!("bg{x}@contoso.onmicrosoft.com");
                    }
                },
                "the UPN of account 1",
            ),
            (
                |c, x| {
                    if let Entry::Account { display_name, .. } = &mut c.entries[0] {
                        *display_name = format!("Emergency {x}");
                    }
                },
                "the display name of account 1",
            ),
            (
                |c, x| {
                    if let Entry::Account { password, .. } = &mut c.entries[0] {
                        *password = SecretString::new(format!("pw{x}"));
                    }
                },
                "the password of account 1",
            ),
            (
                |c, x| {
                    if let Entry::Fido2 { label, .. } = &mut c.entries[1] {
                        *label = format!("YubiKey{x}");
                    }
                },
                "the label of FIDO2 key 1",
            ),
            (
                |c, x| {
                    if let Entry::Totp { label, .. } = &mut c.entries[2] {
                        *label = format!("bg{x}");
                    }
                },
                "the label of TOTP 1",
            ),
            (
                |c, x| {
                    if let Entry::Totp { uri, .. } = &mut c.entries[2] {
                        *uri = SecretString::new(format!("otpauth://totp/x{x}?secret=JBSWY3DP"));
                    }
                },
                "the otpauth:// URI of TOTP 1",
            ),
            (
                |c, x| {
                    let enc = percent_encoding::utf8_percent_encode(
                        x,
                        percent_encoding::NON_ALPHANUMERIC,
                    );
                    if let Entry::Totp { uri, .. } = &mut c.entries[2] {
                        *uri = SecretString::new(format!("otpauth://totp/a{enc}b?secret=JBSWY3DP"));
                    }
                },
                "the label in the otpauth:// URI of TOTP 1",
            ),
            (
                |c, x| {
                    let enc = percent_encoding::utf8_percent_encode(
                        x,
                        percent_encoding::NON_ALPHANUMERIC,
                    );
                    if let Entry::Totp { uri, .. } = &mut c.entries[2] {
                        *uri = SecretString::new(format!(
                            "otpauth://totp/x?secret=JBSWY3DP&issuer=ACME{enc}%5B2J"
                        ));
                    }
                },
                "the issuer in the otpauth:// URI of TOTP 1",
            ),
            (
                |c, x| {
                    if let Entry::Note { label, .. } = &mut c.entries[3] {
                        *label = format!("codes{x}.txt");
                    }
                },
                "the label of note 1 (the note file's name)",
            ),
            (
                |c, x| {
                    if let Entry::Note { text, .. } = &mut c.entries[3] {
                        *text = SecretString::new(format!("1111\n{x}[1A2222"));
                    }
                },
                "the text of note 1",
            ),
        ];
        for (edit, field) in cases {
            for bad in ["\u{1B}", "\u{7}", "\u{0}", "\u{9B}", "\u{202E}", "\u{2028}"] {
                let mut c = sample();
                edit(&mut c, bad);
                let e = c.check_fields().unwrap_err();
                assert_eq!(e.field, field, "{bad:?}");
                assert_eq!(e.code, u32::from(bad.chars().next().unwrap()), "{field}");
            }
        }
        // Newline and tab: a note's text only.
        let mut c = sample();
        if let Entry::Note { text, .. } = &mut c.entries[3] {
            *text = SecretString::new("a\tb\nc\n".into());
        }
        assert_eq!(c.check_fields(), Ok(()));
        if let Entry::Note { text, .. } = &mut c.entries[3] {
            *text = SecretString::new("a\r\nb\r\n".into());
        }
        assert_eq!(c.check_fields(), Ok(()));
        if let Entry::Note { text, .. } = &mut c.entries[3] {
            *text = SecretString::new("a\rb".into());
        }
        assert_eq!(c.check_fields().unwrap_err().code, 0x0D);
        let mut c = sample();
        if let Entry::Account { display_name, .. } = &mut c.entries[0] {
            *display_name = "a\tb".into();
        }
        assert_eq!(
            c.check_fields().unwrap_err().field,
            "the display name of account 1"
        );
        // Entries are counted per kind.
        let mut c = sample();
        c.entries.push(Entry::Note {
            label: "second".into(),
            text: SecretString::new("\u{7}".into()),
        });
        assert_eq!(c.check_fields().unwrap_err().field, "the text of note 2");
    }
}
