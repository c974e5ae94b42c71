//! The typeable text form, which is also the QR payload (FORMAT.md §6).
//!
//! Crockford base32 in numbered lines of 20 characters, each line with a check character that
//! catches every single substitution and every swap of neighbours, and a header that carries
//! the line count and a 32-bit checksum of the whole payload. Only QR-alphanumeric characters
//! are used, so a QR code holds the text itself. The parser forgives case, spaces, dashes and
//! I/L/O for 1/1/0, and nothing else; scanned and typed input take the same path. Errors name
//! lines and groups, never their contents.

use crate::secret::SecretBytes;
use data_encoding::{Encoding, Specification};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// Text form version written by this build (the `1` in `BG1`).
pub const TEXT_VERSION: u32 = 1;
/// Base32 characters per full line.
pub const LINE_CHARS: usize = 20;
/// Characters per group on paper.
pub const GROUP_CHARS: usize = 4;
/// Crockford's base32 alphabet: no I, L, O, U.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Most lines a block may have (keeps line numbers at three digits).
pub const MAX_LINES: usize = 999;
const CHECKSUM_BYTES: usize = 4;
const CHECKSUM_CHARS: usize = 7;

/// What a block of text holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A key share (secret): `BG1-S-…`.
    Share,
    /// The vault envelope (not secret): `BG1-V-…`.
    Vault,
}

impl Kind {
    pub fn letter(self) -> char {
        match self {
            Kind::Share => 'S',
            Kind::Vault => 'V',
        }
    }
    fn from_letter(c: u8) -> Option<Self> {
        match c {
            b'S' => Some(Kind::Share),
            b'V' => Some(Kind::Vault),
            _ => None,
        }
    }
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Share => "share",
            Kind::Vault => "vault",
        }
    }
}

/// Why text was refused. Positions are 1-based line numbers as printed.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum TextError {
    #[error(
        "no breakglass text found: a share starts with a line like BG1-S-5-…, a vault with BG1-V-…"
    )]
    NoHeader,
    #[error(
        "this text was made by a newer breakglass (text format BG{found}; this version reads BG1): upgrade breakglass to read it"
    )]
    NewerVersion { found: u32 },
    #[error(
        "the header line is not valid: it should look like BG1-S-5-ABCD123 (check it for a typo)"
    )]
    BadHeader,
    #[error("the {kind} text says it has {count} lines, which is impossible")]
    BadLineCount { kind: &'static str, count: usize },
    #[error("a line does not start with its {width}-digit line number")]
    BadLineNumber { width: usize },
    #[error("{kind} line {line} is numbered beyond the {count} lines the header announces")]
    LineOutOfRange {
        kind: &'static str,
        line: usize,
        count: usize,
    },
    #[error(
        "{kind} line {line} has {found} characters between its number and check character, but should have {expected}: a character is missing or extra"
    )]
    BadLineLength {
        kind: &'static str,
        line: usize,
        expected: String,
        found: usize,
    },
    #[error(
        "{kind} line {line}, group {group} has a character that never appears in breakglass text (only 0-9 and A-Z without U): check for a typo"
    )]
    BadCharacter {
        kind: &'static str,
        line: usize,
        group: usize,
    },
    #[error("{kind} line {line} has a typo{}: its check character does not match; retype it", group.map(|g| format!(" (probably in group {g})")).unwrap_or_default())]
    LineCheck {
        kind: &'static str,
        line: usize,
        group: Option<usize>,
    },
    #[error("{kind} line {line} has a typo in its check character (the last one): retype it")]
    CheckCharacterTypo { kind: &'static str, line: usize },
    #[error("line {line} appears twice with different contents")]
    ConflictingLine { line: usize },
    #[error(
        "the {kind} text is incomplete: {} missing (of {count})",
        describe_missing(missing)
    )]
    MissingLines {
        kind: &'static str,
        missing: Vec<usize>,
        count: usize,
    },
    #[error(
        "every line checks, but together they do not match the header's checksum: check the header line for a typo, or lines may come from different sheets"
    )]
    Checksum,
    #[error(
        "the last line does not end the way an encoder would have written it: check it for a typo"
    )]
    NonCanonical,
    #[error("there is nothing to encode: the {kind} is empty")]
    EmptyPayload { kind: &'static str },
    #[error("the {kind} text is {len} bytes long, more than the form allows")]
    TooLong { kind: &'static str, len: usize },
}

fn describe_missing(m: &[usize]) -> String {
    let list: Vec<String> = m.iter().take(12).map(|l| l.to_string()).collect();
    let more = if m.len() > 12 { ", …" } else { "" };
    if m.len() == 1 {
        format!("line {} is", list[0])
    } else {
        format!("lines {}{more} are", list.join(", "))
    }
}

/// The Crockford base32 encoding of the text form (FORMAT.md §6.1); also shows vault ids.
pub fn base32() -> &'static Encoding {
    static ENC: OnceLock<Encoding> = OnceLock::new();
    ENC.get_or_init(|| {
        let mut spec = Specification::new();
        spec.symbols
            .push_str(std::str::from_utf8(ALPHABET).expect("ASCII"));
        spec.check_trailing_bits = true;
        spec.encoding().expect("a valid base32 specification")
    })
}

/// Each byte's value in [`ALPHABET`], or `NOT_A_SYMBOL`: one table look-up per character,
/// because every typed or scanned line passes through here (and the fuzzers run it millions
/// of times).
const SYMBOL_VALUES: [u8; 256] = {
    let mut t = [NOT_A_SYMBOL; 256];
    // A `u8` counter: 32 symbols, so no cast can cut a value short.
    let mut i: u8 = 0;
    while (i as usize) < ALPHABET.len() {
        t[ALPHABET[i as usize] as usize] = i;
        i += 1;
    }
    t
};
const NOT_A_SYMBOL: u8 = 0xFF;

fn symbol_value(c: u8) -> Option<u8> {
    let v = SYMBOL_VALUES[usize::from(c)];
    (v != NOT_A_SYMBOL).then_some(v)
}

/// Multiplication by α = x in GF(32) (x^5 + x^2 + 1): the one product the check character
/// needs, without the general multiplication's loop.
fn times_alpha(a: u8) -> u8 {
    let a = a << 1;
    if a & 0x20 != 0 { a ^ 0x25 } else { a }
}

/// Multiplication in GF(32) with the primitive polynomial x^5 + x^2 + 1.
#[cfg(test)]
fn gf32_mul(mut a: u8, mut b: u8) -> u8 {
    let mut r = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            r ^= a;
        }
        b >>= 1;
        a <<= 1;
        if a & 0x20 != 0 {
            a ^= 0x25;
        }
    }
    r
}

/// The check character of a line: Σ v_j·α^(m−j) over its number digits and data symbols, in
/// GF(32) with α = x. Weights are distinct and non-zero for m ≤ 31, so every single
/// substitution and every swap of two different neighbours changes it (FORMAT.md §6.3).
pub fn check_char(number_and_data: &[u8]) -> u8 {
    let mut acc = 0u8;
    for &c in number_and_data {
        let v = symbol_value(c).expect("only alphabet symbols reach the check");
        acc = times_alpha(acc ^ v);
    }
    ALPHABET[acc as usize]
}

/// Uppercases (ASCII only) and maps the look-alikes; drops spaces and dashes. A non-ASCII
/// character becomes one `?`, so it counts as one character and is reported where it stands
/// (FORMAT.md §6.5 rule 2).
fn normalize(s: &str) -> Vec<u8> {
    normalized(s).collect()
}

/// [`normalize`] one character at a time, for callers that need only the first few.
fn normalized(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.chars().filter_map(|c| match u8::try_from(c) {
        Ok(b) if b.is_ascii() => match NORMALIZED[usize::from(b)] {
            DROPPED => None,
            n => Some(n),
        },
        _ => Some(b'?'),
    })
}

/// What [`normalize`] makes of each ASCII byte (`DROPPED` for separators): a table, as for
/// [`SYMBOL_VALUES`].
const NORMALIZED: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i: u8 = 0;
    while i < 128 {
        let u = i.to_ascii_uppercase();
        t[i as usize] = match u {
            b' ' | b'-' | b'\t' | b'\r' | b'\n' => DROPPED,
            b'O' => b'0',
            b'I' | b'L' => b'1',
            _ => u,
        };
        i += 1;
    }
    t
};
const DROPPED: u8 = 0xFF;

fn checksum(kind: Kind, payload: &[u8]) -> [u8; CHECKSUM_BYTES] {
    let mut h = Sha256::new();
    h.update(format!("BG{TEXT_VERSION}-{}", kind.letter()).as_bytes());
    h.update(payload);
    h.finalize()[..CHECKSUM_BYTES].try_into().expect("4 bytes")
}

/// The header line: version, kind, line count and whole-payload checksum.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Header {
    pub kind: Kind,
    pub line_count: usize,
    checksum: [u8; CHECKSUM_BYTES],
}

impl Header {
    /// Width of the line numbers in this block.
    pub fn number_width(&self) -> usize {
        self.line_count.to_string().len().max(2)
    }

    /// The header as printed, e.g. `BG1-S-5-K7M2Q9X`.
    pub fn render(&self) -> String {
        format!(
            "BG{TEXT_VERSION}-{}-{}-{}",
            self.kind.letter(),
            self.line_count,
            base32().encode(&self.checksum)
        )
    }

    /// Parses a header line, forgiving case, spaces, dashes and look-alikes.
    ///
    /// # Errors
    /// [`TextError::NoHeader`] if it is not a header at all, `NewerVersion`, or `BadHeader`.
    pub fn parse(line: &str) -> Result<Self, TextError> {
        let n = normalize(line);
        let rest = n.strip_prefix(b"BG").ok_or(TextError::NoHeader)?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 6 {
            return Err(TextError::NoHeader);
        }
        let version: u32 = std::str::from_utf8(&rest[..digits])
            .expect("digits")
            .parse()
            .expect("at most 6 digits");
        if version > TEXT_VERSION {
            return Err(TextError::NewerVersion { found: version });
        }
        if version != TEXT_VERSION {
            return Err(TextError::BadHeader);
        }
        let rest = &rest[digits..];
        let kind = rest
            .first()
            .and_then(|&c| Kind::from_letter(c))
            .ok_or(TextError::BadHeader)?;
        let rest = &rest[1..];
        // Written with separators (`BG1-V-47-STCJZBQ`), the parts are read as written, so a
        // checksum one character short cannot shift into the line count.
        let parts: Vec<&str> = line
            .split(|c: char| c == '-' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        let split_at = if parts.len() == 4 {
            let sum_len = normalize(parts[3]).len();
            if sum_len != CHECKSUM_CHARS {
                return Err(TextError::BadHeader);
            }
            rest.len()
                .checked_sub(sum_len)
                .ok_or(TextError::BadHeader)?
        } else {
            rest.len()
                .checked_sub(CHECKSUM_CHARS)
                .ok_or(TextError::BadHeader)?
        };
        if split_at == 0 || split_at > 3 {
            return Err(TextError::BadHeader);
        }
        let (count, sum) = rest.split_at(split_at);
        if !count.iter().all(u8::is_ascii_digit) || count[0] == b'0' {
            return Err(TextError::BadHeader);
        }
        let line_count: usize = std::str::from_utf8(count)
            .expect("digits")
            .parse()
            .expect("at most 3 digits");
        if line_count > MAX_LINES {
            return Err(TextError::BadLineCount {
                kind: kind.noun(),
                count: line_count,
            });
        }
        let checksum: [u8; CHECKSUM_BYTES] = base32()
            .decode(sum)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or(TextError::BadHeader)?;
        Ok(Self {
            kind,
            line_count,
            checksum,
        })
    }

    /// Parses one data line of this block, checking its check character. Returns the line
    /// number and its data characters.
    ///
    /// # Errors
    /// [`TextError`] naming the line (and group where it can).
    pub fn parse_line(&self, line: &str) -> Result<(usize, Zeroizing<Vec<u8>>), TextError> {
        let n = Zeroizing::new(normalize(line));
        let w = self.number_width();
        if n.len() < w || !n[..w].iter().all(u8::is_ascii_digit) {
            return Err(TextError::BadLineNumber { width: w });
        }
        let number: usize = std::str::from_utf8(&n[..w])
            .expect("digits")
            .parse()
            .expect("at most 3 digits");
        if number == 0 || number > self.line_count {
            return Err(TextError::LineOutOfRange {
                kind: self.kind.noun(),
                line: number,
                count: self.line_count,
            });
        }
        // A row too short for one data character and a check character (`03`, `03A`) has
        // a wrong length, like any other row with characters missing (§6.5 rule 4).
        let data = n.get(w..n.len().saturating_sub(1)).unwrap_or_default();
        let last = number == self.line_count;
        let ok_len = if last {
            (1..=LINE_CHARS).contains(&data.len())
        } else {
            data.len() == LINE_CHARS
        };
        if !ok_len {
            return Err(TextError::BadLineLength {
                kind: self.kind.noun(),
                line: number,
                expected: if last {
                    format!("1 to {LINE_CHARS}")
                } else {
                    LINE_CHARS.to_string()
                },
                found: data.len(),
            });
        }
        if let Some(pos) = n.iter().position(|&c| symbol_value(c).is_none()) {
            if pos == n.len() - 1 {
                return Err(TextError::CheckCharacterTypo {
                    kind: self.kind.noun(),
                    line: number,
                });
            }
            return Err(TextError::BadCharacter {
                kind: self.kind.noun(),
                line: number,
                group: (pos - w) / GROUP_CHARS + 1,
            });
        }
        if check_char(&n[..n.len() - 1]) != n[n.len() - 1] {
            return Err(TextError::LineCheck {
                kind: self.kind.noun(),
                line: number,
                group: None,
            });
        }
        Ok((number, Zeroizing::new(data.to_vec())))
    }
}

impl Header {
    /// The line numbers whose check character fits `typed`, a line typed without its number:
    /// a line that checks only for another number was most likely read from that line.
    pub fn numbers_that_fit(&self, typed: &str) -> Vec<usize> {
        let w = self.number_width();
        (1..=self.line_count)
            .filter(|n| {
                let numbered = Zeroizing::new(format!("{n:0w$}{typed}"));
                self.parse_line(&numbered).is_ok()
            })
            .collect()
    }

    /// How many data characters the last line has, when the header alone tells: a share of
    /// this version is always 56 bytes, 90 characters (FORMAT.md §2, §6.2).
    pub fn last_line_chars(&self) -> Option<usize> {
        let chars = (crate::share::SHARE_BYTES * 8).div_ceil(5);
        (self.kind == Kind::Share && self.line_count == chars.div_ceil(LINE_CHARS))
            .then(|| chars - LINE_CHARS * (self.line_count - 1))
    }

    /// Whether `data` (a line's data characters, without number or check character) can be
    /// the last line of this block: the whole must end on a byte boundary with zero padding
    /// bits (FORMAT.md §6.5 rule 6). A full line typed where the short last line belongs fails
    /// this alone, before the rest of the block is judged.
    pub fn can_end_with(&self, data: &[u8]) -> bool {
        if self.last_line_chars().is_some_and(|c| c != data.len()) {
            return false;
        }
        let before = (LINE_CHARS * (self.line_count - 1)) % 8;
        let mut probe = Zeroizing::new(vec![b'0'; before]);
        probe.extend_from_slice(data);
        let rest = probe.len() % 8;
        // Only the last incomplete group of 8 symbols matters: its length must be one base32
        // writes and its spare bits zero.
        let tail = &probe[probe.len() - rest..];
        rest == 0 || base32().decode(tail).is_ok()
    }
}

/// A payload in text form, ready to print or to put in QR codes.
pub struct TextForm {
    header: Header,
    /// Data characters per line (secret for shares).
    lines: Vec<Zeroizing<String>>,
}

impl core::fmt::Debug for TextForm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TextForm({} [REDACTED])", self.header.render())
    }
}

impl TextForm {
    /// Encodes a payload.
    ///
    /// # Errors
    /// [`TextError::EmptyPayload`] for no bytes at all; [`TextError::TooLong`] when it needs
    /// more than [`MAX_LINES`] lines.
    pub fn encode(kind: Kind, payload: &[u8]) -> Result<Self, TextError> {
        if payload.is_empty() {
            return Err(TextError::EmptyPayload { kind: kind.noun() });
        }
        let chars = Zeroizing::new(base32().encode(payload));
        let line_count = chars.len().div_ceil(LINE_CHARS);
        if line_count > MAX_LINES {
            return Err(TextError::TooLong {
                kind: kind.noun(),
                len: payload.len(),
            });
        }
        let lines = chars
            .as_bytes()
            .chunks(LINE_CHARS)
            .map(|c| Zeroizing::new(String::from_utf8(c.to_vec()).expect("ASCII")))
            .collect();
        Ok(Self {
            header: Header {
                kind,
                line_count,
                checksum: checksum(kind, payload),
            },
            lines,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    fn numbered(&self, i: usize) -> Zeroizing<String> {
        let w = self.header.number_width();
        let mut s = Zeroizing::new(format!("{:0w$}", i + 1));
        s.push_str(&self.lines[i]);
        let check = check_char(s.as_bytes()) as char;
        s.push(check);
        s
    }

    /// One data line as printed on paper: `01  ABCD EFGH JKMN PQRS TVWX  7`.
    pub fn display_line(&self, i: usize) -> Zeroizing<String> {
        let w = self.header.number_width();
        let full = self.numbered(i);
        let (num, rest) = full.split_at(w);
        let (data, check) = rest.split_at(rest.len() - 1);
        let groups: Vec<&str> = data
            .as_bytes()
            .chunks(GROUP_CHARS)
            .map(|g| std::str::from_utf8(g).expect("ASCII"))
            .collect();
        Zeroizing::new(format!("{num}  {}  {check}", groups.join(" ")))
    }

    /// Header and lines, one per row, as printed and as written to text files.
    pub fn display_lines(&self) -> Vec<Zeroizing<String>> {
        let mut v = vec![Zeroizing::new(self.header.render())];
        v.extend((0..self.lines.len()).map(|i| self.display_line(i)));
        v
    }

    /// The whole text on one line (QR alphanumeric mode): header and compact lines.
    pub fn to_qr(&self) -> Zeroizing<String> {
        self.qr_chunks(MAX_LINES).pop().expect("one chunk")
    }

    /// The text split over several QR codes of at most `max_lines` lines each, balanced.
    /// Every chunk repeats the header, so chunks reassemble in any order.
    pub fn qr_chunks(&self, max_lines: usize) -> Vec<Zeroizing<String>> {
        let max_lines = max_lines.max(1);
        let parts = self.lines.len().div_ceil(max_lines);
        let per = self.lines.len().div_ceil(parts);
        (0..self.lines.len())
            .collect::<Vec<_>>()
            .chunks(per)
            .map(|idx| {
                let mut s = Zeroizing::new(self.header.render());
                for &i in idx {
                    s.push(' ');
                    s.push_str(&self.numbered(i));
                }
                s
            })
            .collect()
    }
}

/// Lines gathered for one header, possibly from several QR codes or typed pieces.
#[derive(Clone)]
pub struct Block {
    pub header: Header,
    lines: BTreeMap<usize, Zeroizing<Vec<u8>>>,
    /// The first line that failed its check (kept so the whole can still locate the group).
    bad: Vec<(usize, Zeroizing<Vec<u8>>)>,
    /// Lines set aside by a retyped header with fewer lines; a later header takes them back.
    aside: BTreeMap<usize, Zeroizing<Vec<u8>>>,
}

impl core::fmt::Debug for Block {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Block({}, lines {:?} [REDACTED])",
            self.header.render(),
            self.lines.keys().collect::<Vec<_>>()
        )
    }
}

impl Block {
    pub fn new(header: Header) -> Self {
        Self {
            header,
            lines: BTreeMap::new(),
            bad: Vec::new(),
            aside: BTreeMap::new(),
        }
    }

    /// Adds one typed or scanned line.
    ///
    /// # Errors
    /// The line's own error; a line that fails only its check character is remembered so the
    /// complete block can say which group is wrong.
    pub fn add_line(&mut self, line: &str) -> Result<usize, TextError> {
        match self.header.parse_line(line) {
            Ok((number, data)) => {
                self.insert(number, data)?;
                Ok(number)
            }
            Err(e @ TextError::LineCheck { line: number, .. }) => {
                self.bad.push((number, Zeroizing::new(normalize(line))));
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    fn insert(&mut self, number: usize, data: Zeroizing<Vec<u8>>) -> Result<(), TextError> {
        if self.lines.get(&number).is_some_and(|old| *old != data) {
            return Err(TextError::ConflictingLine { line: number });
        }
        self.lines.insert(number, data);
        Ok(())
    }

    /// Line numbers still missing.
    pub fn missing(&self) -> Vec<usize> {
        (1..=self.header.line_count)
            .filter(|n| !self.lines.contains_key(n))
            .collect()
    }

    pub fn is_complete(&self) -> bool {
        self.lines.len() == self.header.line_count
    }

    /// Puts a retyped header over lines already read, so a misread header costs one line
    /// to retype, not the whole block.
    ///
    /// # Errors
    /// [`TextError::BadHeader`] when the new header is for another kind or line count: the
    /// lines were checked against those, so they would not belong to it.
    pub fn replace_header(&mut self, header: Header) -> Result<(), TextError> {
        if header.kind != self.header.kind || header.line_count != self.header.line_count {
            return Err(TextError::BadHeader);
        }
        self.header = header;
        Ok(())
    }

    /// Puts a retyped header over the lines read so far, whatever its line count: each line
    /// checked when it was read stays; lines beyond the new count are set aside (and taken
    /// back by a later header that has them); a line that can no longer stand where it is
    /// (a short last line that is no longer last, a last line that cannot end the block) is
    /// dropped and named. A header of the other kind is refused.
    ///
    /// # Errors
    /// [`TextError::BadHeader`] when the new header is for the other kind of block.
    pub fn rebase(&mut self, header: Header) -> Result<Rebased, TextError> {
        if header.kind != self.header.kind {
            return Err(TextError::BadHeader);
        }
        let mut all = std::mem::take(&mut self.lines);
        all.append(&mut std::mem::take(&mut self.aside));
        self.bad.clear();
        let mut out = Rebased::default();
        for (n, data) in all {
            if n > header.line_count {
                out.set_aside.push(n);
                self.aside.insert(n, data);
            } else if (n < header.line_count && data.len() != LINE_CHARS)
                || (n == header.line_count && !header.can_end_with(&data))
            {
                out.dropped.push(n);
            } else {
                self.lines.insert(n, data);
            }
        }
        self.header = header;
        Ok(out)
    }

    /// Lines set aside by a header with fewer lines.
    pub fn set_aside(&self) -> Vec<usize> {
        self.aside.keys().copied().collect()
    }

    /// Forgets line `n` (to have it typed again); false when it was not read.
    pub fn forget(&mut self, n: usize) -> bool {
        self.lines.remove(&n).is_some()
    }

    /// Whether line `n` has been read.
    pub fn has_line(&self, n: usize) -> bool {
        self.lines.contains_key(&n)
    }

    /// Line `n` as printed on paper, when it has been read.
    pub fn display_line(&self, n: usize) -> Option<Zeroizing<String>> {
        let data = self.lines.get(&n)?;
        let w = self.header.number_width();
        let mut numbered = Zeroizing::new(format!("{n:0w$}").into_bytes());
        numbered.extend_from_slice(data);
        let check = check_char(&numbered) as char;
        let groups: Vec<&str> = data
            .chunks(GROUP_CHARS)
            .map(|g| std::str::from_utf8(g).expect("ASCII"))
            .collect();
        Some(Zeroizing::new(format!(
            "{n:0w$}  {}  {check}",
            groups.join(" ")
        )))
    }

    /// The lines of this block that are identical to a line of `other`, another block of the
    /// same kind, as (this line, its line): the likely lines read from the other sheet. Line
    /// 01 against line 01 is no evidence (it is the same on every sheet of a vault), and a
    /// block with the same header is the same block.
    pub fn lines_shared_with(&self, other: &Block) -> Vec<(usize, usize)> {
        if other.header.kind != self.header.kind || other.header == self.header {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (&n, data) in &self.lines {
            for (&m, theirs) in &other.lines {
                if (n, m) != (1, 1) && data == theirs {
                    out.push((n, m));
                }
            }
        }
        out
    }

    /// Takes the lines of another block with the same header.
    ///
    /// # Errors
    /// [`TextError::ConflictingLine`] when both hold a line with different contents.
    pub fn merge(&mut self, other: Block) -> Result<(), TextError> {
        debug_assert_eq!(self.header, other.header);
        for (n, data) in other.lines {
            self.insert(n, data)?;
        }
        self.bad.extend(other.bad);
        Ok(())
    }

    /// Decodes the complete block and checks the whole-payload checksum.
    ///
    /// # Errors
    /// `MissingLines`, `LineCheck` (with the group when a single typo can be located),
    /// `NonCanonical` or `Checksum`.
    pub fn decode(&self) -> Result<SecretBytes, TextError> {
        let missing = self.missing();
        // A failed line whose number was also read correctly is forgotten (§6.5 rule 7).
        let bad: Vec<&(usize, Zeroizing<Vec<u8>>)> = self
            .bad
            .iter()
            .filter(|(l, _)| missing.contains(l))
            .collect();
        if let [only] = missing[..]
            && let Some((line, data)) = bad.iter().find(|(l, _)| *l == only)
        {
            let kind = self.header.kind.noun();
            return Err(match self.locate_typo(*line, data) {
                Some(Typo::CheckCharacter) => TextError::CheckCharacterTypo { kind, line: *line },
                Some(Typo::Group(g)) => TextError::LineCheck {
                    kind,
                    line: *line,
                    group: Some(g),
                },
                None => TextError::LineCheck {
                    kind,
                    line: *line,
                    group: None,
                },
            });
        }
        if let Some((line, _)) = bad.first() {
            return Err(TextError::LineCheck {
                kind: self.header.kind.noun(),
                line: *line,
                group: None,
            });
        }
        if !missing.is_empty() {
            return Err(TextError::MissingLines {
                kind: self.header.kind.noun(),
                missing,
                count: self.header.line_count,
            });
        }
        self.decode_lines(&self.lines)
    }

    fn decode_lines(
        &self,
        lines: &BTreeMap<usize, Zeroizing<Vec<u8>>>,
    ) -> Result<SecretBytes, TextError> {
        let mut chars = Zeroizing::new(Vec::with_capacity(lines.len() * LINE_CHARS));
        for l in lines.values() {
            chars.extend_from_slice(l);
        }
        let payload = SecretBytes::new(
            base32()
                .decode(&chars)
                .map_err(|_| TextError::NonCanonical)?,
        );
        if checksum(self.header.kind, payload.expose_secret()) != self.header.checksum {
            return Err(TextError::Checksum);
        }
        Ok(payload)
    }

    /// With every other line good, finds the single substitution that makes both the line's
    /// check and the whole checksum hold, and returns its group (never the character).
    fn locate_typo(&self, line: usize, typed: &[u8]) -> Option<Typo> {
        let w = self.header.number_width();
        if typed.len() < w + 2 {
            return None;
        }
        let data = &typed[w..typed.len() - 1];
        let mut found = None;
        let mut lines = self.lines.clone();
        // The check character itself may be the typo.
        lines.insert(line, Zeroizing::new(data.to_vec()));
        if self.decode_lines(&lines).is_ok() {
            return Some(Typo::CheckCharacter);
        }
        let mut cand = Zeroizing::new(typed[..typed.len() - 1].to_vec());
        for pos in w..cand.len() {
            let orig = cand[pos];
            for &sym in ALPHABET {
                if sym == orig {
                    continue;
                }
                cand[pos] = sym;
                if check_char(&cand) == typed[typed.len() - 1] {
                    lines.insert(line, Zeroizing::new(cand[w..].to_vec()));
                    if self.decode_lines(&lines).is_ok() {
                        if found.is_some() {
                            return None;
                        }
                        found = Some(Typo::Group((pos - w) / GROUP_CHARS + 1));
                    }
                }
            }
            cand[pos] = orig;
        }
        found
    }
}

/// What [`Block::rebase`] did with the lines read so far.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rebased {
    /// Lines numbered beyond the new header's count: kept aside, not used.
    pub set_aside: Vec<usize>,
    /// Lines that cannot stand under the new header (their length) and must be typed again.
    pub dropped: Vec<usize>,
}

enum Typo {
    Group(usize),
    CheckCharacter,
}

/// Splits input into blocks at header lines and gathers their data lines.
///
/// Accepts the paper/file form (one line per row; `#` comments and blank rows ignored) and the
/// QR form (everything on one row, lines separated by spaces). Blocks with the same header are
/// merged, so QR chunks reassemble in any order.
///
/// # Errors
/// The first line that cannot be parsed, or `NoHeader` when no block is found.
pub fn parse_blocks(input: &str) -> Result<Vec<Block>, TextError> {
    let rows: Vec<&str> = input
        .lines()
        .map(str::trim)
        .filter(|r| !r.is_empty() && !r.starts_with('#'))
        .collect();
    // A row whose first word is a whole header and that has more words is the QR form.
    let mut pieces: Vec<&str> = Vec::new();
    for row in rows {
        let mut words = row.split_whitespace();
        let first = words.next().unwrap_or_default();
        let rest: Vec<&str> = words.collect();
        if !rest.is_empty() && Header::parse(first).is_ok() {
            pieces.push(first);
            pieces.extend(rest);
        } else {
            pieces.push(row);
        }
    }
    let mut blocks: Vec<Block> = Vec::new();
    let mut current: Option<Block> = None;
    let mut first_error = None;
    for piece in pieces {
        if normalized(piece).take(2).eq(*b"BG") {
            let h = Header::parse(piece)?;
            if let Some(b) = current.take() {
                blocks.push(b);
            }
            current = Some(Block::new(h));
            continue;
        }
        let Some(block) = current.as_mut() else {
            return Err(TextError::NoHeader);
        };
        if let Err(e) = block.add_line(piece) {
            if !matches!(e, TextError::LineCheck { .. }) {
                return Err(e);
            }
            first_error.get_or_insert(e);
        }
    }
    if let Some(b) = current.take() {
        blocks.push(b);
    }
    if blocks.is_empty() {
        return Err(TextError::NoHeader);
    }
    merge_blocks(blocks)
}

/// The first piece of a row by FORMAT.md §6.5 rule 1, or `None` for a row that holds none
/// (blank, or a `#` comment).
fn first_piece(row: &str) -> Option<&str> {
    let row = row.trim();
    if row.is_empty() || row.starts_with('#') {
        return None;
    }
    let mut words = row.split_whitespace();
    let first = words.next().unwrap_or_default();
    if words.next().is_some() && Header::parse(first).is_ok() {
        Some(first)
    } else {
        Some(row)
    }
}

/// True when `piece` is a share block's header that §6.5 rule 3 accepts.
fn block_header(piece: &str) -> Option<Header> {
    if !normalized(piece).take(2).eq(*b"BG") {
        return None;
    }
    Header::parse(piece).ok()
}

/// Cuts one text (a file, standard input, a sheet PDF's printed blocks) into the inputs of
/// FORMAT.md §7.1 ("Cutting files into inputs"): a new input starts at every row whose first
/// piece (§6.5 rule 1) is a share header that §6.5 rule 3 accepts, or a vault header that
/// differs from one already in the current input (a sheet holds one vault copy, whose QR parts
/// repeat its header), so each input is at most one sheet's share block and vault copy. The
/// cut falls right after the last row that held a piece, so the blank and `#` rows before a
/// block go with it (a `share-N.txt` stays whole). A text that holds no piece at all is
/// returned whole, so that its reading fails as one.
pub fn cut_inputs(input: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = Vec::new();
    // Where the current part starts, where the row being read starts, and where the last row
    // that held a piece ended (0: none yet); the vault header the current part holds.
    let (mut start, mut at, mut after_piece) = (0, 0, 0);
    let mut vault: Option<Header> = None;
    for row in input.split_inclusive('\n') {
        if let Some(piece) = first_piece(row) {
            let header = block_header(piece);
            let starts_input = match &header {
                Some(h) if h.kind == Kind::Share => true,
                Some(h) => vault.as_ref().is_some_and(|v| v != h),
                None => false,
            };
            if starts_input && after_piece > start {
                parts.push(&input[start..after_piece]);
                start = after_piece;
                vault = None;
            }
            if let Some(h) = header.filter(|h| h.kind == Kind::Vault) {
                vault = Some(h);
            }
            after_piece = at + row.len();
        }
        at += row.len();
    }
    parts.push(&input[start..]);
    parts
}

/// Groups the QR payloads read from one page into the inputs of FORMAT.md §7.1 ("Cutting
/// files into inputs"), as lists of positions in `payloads`, in the order each group first
/// appears. A page with at
/// most one share code is a sheet's page: one input. A page with codes of two or more shares
/// (a photo of several sheets) is cut by header: the codes whose first word is the same header
/// (the parts of one vault, one code read twice) are one input, and every other code is an
/// input of its own.
pub fn group_codes<S: AsRef<str>>(payloads: &[S]) -> Vec<Vec<usize>> {
    let headers: Vec<Option<Header>> = payloads
        .iter()
        .map(|p| {
            let first = p.as_ref().split_whitespace().next().unwrap_or_default();
            Header::parse(first).ok()
        })
        .collect();
    let mut shares: Vec<&Header> = headers
        .iter()
        .flatten()
        .filter(|h| h.kind == Kind::Share)
        .collect();
    shares.sort();
    shares.dedup();
    if shares.len() < 2 {
        return if payloads.is_empty() {
            Vec::new()
        } else {
            vec![(0..payloads.len()).collect()]
        };
    }
    let mut groups: Vec<(Option<&Header>, Vec<usize>)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|(g, _)| h.is_some() && *g == h.as_ref())
        {
            Some((_, members)) => members.push(i),
            None => groups.push((h.as_ref(), vec![i])),
        }
    }
    groups.into_iter().map(|(_, m)| m).collect()
}

/// Merges blocks that share a header (QR chunks of one vault, the same share seen twice).
///
/// # Errors
/// [`TextError::ConflictingLine`] when two pieces disagree on a line.
pub fn merge_blocks(blocks: Vec<Block>) -> Result<Vec<Block>, TextError> {
    let mut out: Vec<Block> = Vec::new();
    for b in blocks {
        match out.iter_mut().find(|o| o.header == b.header) {
            Some(o) => o.merge(b)?,
            None => out.push(b),
        }
    }
    Ok(out)
}

crate::error_kinds! { TextError {
    NoHeader => "NoHeader",
    NewerVersion => "NewerVersion",
    BadHeader => "BadHeader",
    BadLineCount => "BadLineCount",
    BadLineNumber => "BadLineNumber",
    LineOutOfRange => "LineOutOfRange",
    BadLineLength => "BadLineLength",
    BadCharacter => "BadCharacter",
    LineCheck => "LineCheck",
    CheckCharacterTypo => "CheckCharacterTypo",
    ConflictingLine => "ConflictingLine",
    MissingLines => "MissingLines",
    Checksum => "Checksum",
    NonCanonical => "NonCanonical",
    EmptyPayload => "EmptyPayload",
    TooLong => "TooLong",
} }

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A block in the paper layout, for the cutting tests.
    fn paper(kind: Kind, fill: u8, len: usize) -> String {
        TextForm::encode(kind, &vec![fill; len])
            .unwrap()
            .display_lines()
            .iter()
            .map(|l| format!("{}\n", l.as_str()))
            .collect()
    }

    /// A block of `count` lines holding `fill` bytes, and its lines as printed.
    fn typed(kind: Kind, seed: u8, len: usize) -> (Header, Vec<Zeroizing<String>>) {
        let bytes: Vec<u8> = (0..len)
            .map(|i| {
                (i as u8)
                    .wrapping_mul(37)
                    .wrapping_add(seed.wrapping_mul(101))
            })
            .collect();
        let f = TextForm::encode(kind, &bytes).unwrap();
        let mut lines = f.display_lines();
        let header = Header::parse(&lines.remove(0)).unwrap();
        (header, lines)
    }

    #[test]
    fn a_retyped_header_with_more_lines_keeps_every_line_and_asks_for_the_rest() {
        // 38 lines read as 36: 36 lines typed, then the right header.
        let (right, lines) = typed(Kind::Vault, 9, 470);
        assert_eq!(right.line_count, 38);
        let wrong = Header::parse(&right.render().replacen("-38-", "-36-", 1)).unwrap();
        let mut b = Block::new(wrong);
        for l in &lines[..36] {
            b.add_line(l).unwrap();
        }
        assert!(b.is_complete());
        assert!(b.decode().is_err());
        let r = b.rebase(right.clone()).unwrap();
        assert_eq!(r, Rebased::default());
        assert_eq!(b.missing(), [37, 38]);
        b.add_line(&lines[36]).unwrap();
        b.add_line(&lines[37]).unwrap();
        assert!(b.decode().is_ok());
    }

    #[test]
    fn a_retyped_header_with_fewer_lines_sets_the_surplus_aside_and_takes_it_back() {
        let (right, lines) = typed(Kind::Vault, 9, 470);
        let wrong = Header::parse(&right.render().replacen("-38-", "-39-", 1)).unwrap();
        let mut b = Block::new(wrong);
        for l in &lines[..37] {
            b.add_line(l).unwrap();
        }
        let fewer = Header::parse(&right.render().replacen("-38-", "-30-", 1)).unwrap();
        let r = b.rebase(fewer).unwrap();
        assert_eq!(r.set_aside, (31..=37).collect::<Vec<_>>());
        assert!(r.dropped.is_empty());
        assert_eq!(b.set_aside(), (31..=37).collect::<Vec<_>>());
        // The right header takes the set-aside lines back: only line 38 is still to type.
        assert_eq!(b.rebase(right).unwrap(), Rebased::default());
        assert!(b.set_aside().is_empty());
        assert_eq!(b.missing(), [38]);
        b.add_line(&lines[37]).unwrap();
        assert!(b.decode().is_ok());
    }

    #[test]
    fn a_short_last_line_that_is_no_longer_last_is_dropped_and_named() {
        let (right, lines) = typed(Kind::Share, 3, 56);
        let n = right.line_count;
        let mut b = Block::new(right.clone());
        for l in &lines {
            b.add_line(l).unwrap();
        }
        let more = Header::parse(&right.render().replacen(
            &format!("-{n}-"),
            &format!("-{}-", n + 1),
            1,
        ))
        .unwrap();
        let r = b.rebase(more).unwrap();
        assert_eq!(r.dropped, [n]);
        assert_eq!(b.missing(), [n, n + 1]);
        let vault = Header::parse(&typed(Kind::Vault, 1, 20).0.render()).unwrap();
        assert_eq!(b.rebase(vault), Err(TextError::BadHeader));
    }

    #[test]
    fn a_full_line_cannot_end_a_block_whose_last_line_is_short() {
        let (h, lines) = typed(Kind::Share, 3, 56);
        let last = h.parse_line(&lines[h.line_count - 1]).unwrap().1;
        assert!(last.len() < LINE_CHARS);
        assert!(h.can_end_with(&last));
        // A share's last line has exactly 10 characters: a full line cannot be it.
        assert_eq!(h.last_line_chars(), Some(last.len()));
        assert_eq!(last.len(), 10);
        // One character more than written cannot end a block (11 characters after 80).
        let mut longer = last.to_vec();
        longer.push(b'0');
        assert!(!h.can_end_with(&longer));
        let (v, _) = typed(Kind::Vault, 1, 470);
        assert_eq!(v.last_line_chars(), None);
    }

    #[test]
    fn a_line_typed_without_its_number_is_placed_by_its_check_character() {
        let (h, lines) = typed(Kind::Share, 3, 56);
        let bare = lines[2].split_once("  ").unwrap().1;
        assert!(h.numbers_that_fit(bare).contains(&3));
    }

    #[test]
    fn a_line_identical_to_another_sheets_line_is_named() {
        let (h1, l1) = typed(Kind::Share, 3, 56);
        let (h2, l2) = typed(Kind::Share, 4, 56);
        let mut first = Block::new(h2);
        for l in &l2 {
            first.add_line(l).unwrap();
        }
        let mut b = Block::new(h1);
        b.add_line(&l1[0]).unwrap();
        b.add_line(&l1[1]).unwrap();
        b.add_line(&l2[2]).unwrap();
        assert_eq!(b.lines_shared_with(&first), [(3, 3)]);
        assert!(b.lines_shared_with(&b.clone()).is_empty());
        assert!(b.forget(3));
        assert!(!b.has_line(3));
        assert_eq!(
            b.display_line(1).as_deref().map(|s| s.as_str()),
            Some(l1[0].as_str())
        );
    }

    #[test]
    fn a_text_is_cut_before_each_share_block_with_the_comments_above_it() {
        let sheet = |fill: u8| {
            format!(
                "# sheet {fill}\n\n{}\n# vault\n{}",
                paper(Kind::Share, fill, 56),
                paper(Kind::Vault, 7, 90)
            )
        };
        // One sheet, its comment rows first: one input, the whole text.
        let one = sheet(1);
        assert_eq!(cut_inputs(&one), vec![one.as_str()]);
        // Sheets one after another: one input each, each with its own comment rows.
        let three = [sheet(1), sheet(2), sheet(3)].concat();
        assert_eq!(cut_inputs(&three), vec![sheet(1), sheet(2), sheet(3)]);
        // A vault block before the first share block is an input of its own.
        let vault = paper(Kind::Vault, 9, 90);
        let led = format!("{vault}{}", sheet(1));
        assert_eq!(cut_inputs(&led), vec![vault, sheet(1)]);
        // The QR layout: each share row starts an input.
        let qr = |kind, fill, len| {
            format!(
                "{}\n",
                TextForm::encode(kind, &vec![fill; len])
                    .unwrap()
                    .to_qr()
                    .as_str()
            )
        };
        let rows = [
            qr(Kind::Share, 1, 56),
            qr(Kind::Vault, 7, 90),
            qr(Kind::Share, 2, 56),
        ];
        assert_eq!(
            cut_inputs(&rows.concat()),
            vec![rows[0].clone() + &rows[1], rows[2].clone()]
        );
        // A header that does not parse cuts nothing; a second, different vault block after a
        // sheet's own is an input of its own (a forged copy pasted after an honest sheet).
        let bad = format!("{}BG1-S-5-XXXX\n", sheet(1));
        let forged = paper(Kind::Vault, 9, 90);
        assert_eq!(
            cut_inputs(&format!("{bad}{forged}")),
            vec![bad.clone(), forged.clone()]
        );
        // The same vault header again (a copy's QR parts, a copy given twice) cuts nothing.
        let again = format!("{}{}", sheet(1), paper(Kind::Vault, 7, 90));
        assert_eq!(cut_inputs(&again), vec![again.as_str()]);
        // No piece at all: the text is one input, whole.
        assert_eq!(
            cut_inputs("# only a comment\n\n"),
            vec!["# only a comment\n\n"]
        );
        assert_eq!(cut_inputs(""), vec![""]);
    }

    #[test]
    fn codes_of_one_page_are_one_input_unless_they_hold_two_shares() {
        let code = |kind, fill, len| {
            TextForm::encode(kind, &vec![fill; len])
                .unwrap()
                .to_qr()
                .to_string()
        };
        let parts: Vec<String> = TextForm::encode(Kind::Vault, &[7; 600])
            .unwrap()
            .qr_chunks(32)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(parts.len(), 2);
        // A sheet's page 1: its share, its vault parts and a stray code are one input.
        let page = vec![
            parts[1].clone(),
            code(Kind::Share, 1, 56),
            "WIFI:S:guest;;".to_string(),
            parts[0].clone(),
        ];
        assert_eq!(group_codes(&page), vec![vec![0, 1, 2, 3]]);
        // Two shares: grouped by header, in the order each group was first read.
        let photo = vec![
            parts[1].clone(),
            code(Kind::Share, 1, 56),
            code(Kind::Vault, 9, 90),
            "WIFI:S:guest;;".to_string(),
            code(Kind::Share, 2, 56),
            parts[0].clone(),
            "WIFI:S:guest;;".to_string(),
        ];
        assert_eq!(
            group_codes(&photo),
            vec![vec![0, 5], vec![1], vec![2], vec![3], vec![4], vec![6]]
        );
        assert!(group_codes::<String>(&[]).is_empty());
    }

    fn payload(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 37 + 11) as u8).collect()
    }

    fn decode_one(s: &str) -> Result<(Kind, Vec<u8>), TextError> {
        let blocks = parse_blocks(s)?;
        assert_eq!(blocks.len(), 1);
        Ok((
            blocks[0].header.kind,
            blocks[0].decode()?.expose_secret().to_vec(),
        ))
    }

    fn display(t: &TextForm) -> String {
        t.display_lines()
            .iter()
            .map(|l| format!("{}\n", l.as_str()))
            .collect()
    }

    #[test]
    fn alphabet_is_qr_alphanumeric_and_crockford() {
        assert_eq!(ALPHABET.len(), 32);
        for c in b"ILOU" {
            assert!(!ALPHABET.contains(c));
        }
        let t = TextForm::encode(Kind::Vault, &payload(300)).unwrap();
        for chunk in t.qr_chunks(8) {
            assert!(
                chunk.bytes().all(|b| b.is_ascii_digit()
                    || b.is_ascii_uppercase()
                    || b == b' '
                    || b == b'-')
            );
        }
    }

    #[test]
    fn debug_shows_no_line_contents() {
        let t = TextForm::encode(Kind::Share, &payload(56)).unwrap();
        let b = &parse_blocks(&t.to_qr()).unwrap()[0];
        let d = format!("{b:?} {t:?}");
        assert!(d.contains("[REDACTED]"));
        for l in t.display_lines().iter().skip(1) {
            assert!(!d.contains(&l[4..8]), "{d}");
        }
    }

    #[test]
    fn share_sized_layout() {
        let t = TextForm::encode(Kind::Share, &payload(56)).unwrap();
        let lines = t.display_lines();
        assert_eq!(lines.len(), 6);
        assert!(lines[0].starts_with("BG1-S-5-"));
        assert_eq!(lines[1].len(), 2 + 2 + 24 + 2 + 1);
        assert!(lines[5].starts_with("05  "));
        assert_eq!(
            decode_one(&display(&t)).unwrap(),
            (Kind::Share, payload(56))
        );
        assert_eq!(decode_one(&t.to_qr()).unwrap().1, payload(56));
    }

    #[test]
    fn forgiving_of_case_spaces_dashes_and_lookalikes() {
        let t = TextForm::encode(Kind::Share, &payload(56)).unwrap();
        let messy = display(&t)
            .to_lowercase()
            .replace('0', "o")
            .replace('1', "l")
            .replace(' ', " - ");
        assert_eq!(
            decode_one(&format!("# a comment\n\n{messy}")).unwrap().1,
            payload(56)
        );
    }

    #[test]
    fn every_single_substitution_and_neighbour_swap_is_caught_and_located() {
        let t = TextForm::encode(Kind::Share, &payload(56)).unwrap();
        let good: Vec<String> = t.display_lines().iter().map(|l| l.to_string()).collect();
        for li in 1..good.len() {
            let compact: Vec<u8> = normalize(&good[li]);
            for pos in 0..compact.len() {
                for &sym in ALPHABET {
                    if sym == compact[pos] {
                        continue;
                    }
                    let mut bad = compact.clone();
                    bad[pos] = sym;
                    let mut lines = good.clone();
                    lines[li] = String::from_utf8(bad).unwrap();
                    let err = decode_one(&lines.join("\n")).unwrap_err();
                    let width = 2;
                    if pos < width {
                        // A typo in the line number: caught, named by the number as typed.
                        continue;
                    }
                    match err {
                        TextError::LineCheck { line, group, .. } => {
                            assert_eq!(line, li, "substitution at {pos}");
                            if pos >= width && pos < compact.len() - 1 {
                                assert_eq!(group, Some((pos - width) / 4 + 1));
                            }
                        }
                        TextError::CheckCharacterTypo { line, .. } => {
                            assert_eq!(line, li);
                            assert_eq!(pos, compact.len() - 1);
                        }
                        TextError::LineOutOfRange { .. } | TextError::BadLineNumber { .. } => {
                            assert!(pos < width)
                        }
                        other => panic!("line {li} pos {pos}: {other:?}"),
                    }
                }
            }
            for pos in 0..compact.len() - 1 {
                if compact[pos] == compact[pos + 1] {
                    continue;
                }
                let mut bad = compact.clone();
                bad.swap(pos, pos + 1);
                let mut lines = good.clone();
                lines[li] = String::from_utf8(bad).unwrap();
                assert!(decode_one(&lines.join("\n")).is_err(), "swap at {li}:{pos}");
            }
        }
    }

    #[test]
    fn structural_errors_are_named() {
        let t = TextForm::encode(Kind::Vault, &payload(200)).unwrap();
        let lines: Vec<String> = t.display_lines().iter().map(|l| l.to_string()).collect();
        let n = lines.len() - 1;
        // Missing line.
        let mut missing = lines.clone();
        missing.remove(3);
        assert_eq!(
            decode_one(&missing.join("\n")).unwrap_err(),
            TextError::MissingLines {
                kind: "vault",
                missing: vec![3],
                count: n
            }
        );
        // Truncated: only the first half.
        let half = lines[..4].join("\n");
        assert!(matches!(
            decode_one(&half).unwrap_err(),
            TextError::MissingLines { .. }
        ));
        // A character dropped.
        let mut short = lines.clone();
        short[2] = short[2].replacen("  ", "", 1).replacen(' ', "", 1);
        short[2].remove(4);
        assert!(matches!(
            decode_one(&short.join("\n")).unwrap_err(),
            TextError::BadLineLength { line: 2, .. }
        ));
        // U is never used.
        let mut u = lines.clone();
        u[1].replace_range(4..5, "U");
        assert_eq!(
            decode_one(&u.join("\n")).unwrap_err(),
            TextError::BadCharacter {
                kind: "vault",
                line: 1,
                group: 1
            }
        );
        // Lines in any order are fine.
        let mut shuffled = lines.clone();
        shuffled[1..].reverse();
        assert_eq!(decode_one(&shuffled.join("\n")).unwrap().1, payload(200));
        // Header typo in the checksum.
        let mut h = lines.clone();
        let last = h[0].pop().unwrap();
        h[0].push(if last == 'A' { 'B' } else { 'A' });
        assert!(matches!(
            decode_one(&h.join("\n")).unwrap_err(),
            TextError::Checksum | TextError::BadHeader
        ));
        // Newer version.
        assert_eq!(
            decode_one("BG2-S-5-AAAAAAA\n01 XXXX").unwrap_err(),
            TextError::NewerVersion { found: 2 }
        );
        assert_eq!(decode_one("").unwrap_err(), TextError::NoHeader);
        assert_eq!(decode_one("hello world").unwrap_err(), TextError::NoHeader);
    }

    #[test]
    fn short_header_checksum_is_a_header_error_for_any_line_count() {
        let t = TextForm::encode(Kind::Vault, &payload(300)).unwrap();
        let h = t.header().render();
        assert!(h.starts_with("BG1-V-24-"));
        assert_eq!(Header::parse(&h).unwrap(), *t.header());
        assert_eq!(Header::parse(&h[..h.len() - 1]), Err(TextError::BadHeader));
        assert_eq!(Header::parse(&format!("{h}X")), Err(TextError::BadHeader));
        // Typed without separators, the last 7 characters are the checksum.
        let compact = h.replace('-', "");
        assert_eq!(Header::parse(&compact).unwrap(), *t.header());
    }

    #[test]
    fn chunks_reassemble_in_any_order() {
        let t = TextForm::encode(Kind::Vault, &payload(600)).unwrap();
        let mut chunks: Vec<String> = t.qr_chunks(16).iter().map(|c| c.to_string()).collect();
        assert_eq!(chunks.len(), 3);
        chunks.reverse();
        let mut blocks = Vec::new();
        for c in &chunks {
            blocks.extend(parse_blocks(c).unwrap());
        }
        let merged = merge_blocks(blocks).unwrap();
        assert_eq!(merged.len(), 1);
        assert_eq!(
            merged[0].decode().unwrap().expose_secret(),
            &payload(600)[..]
        );
        // One part missing is reported as missing lines.
        let partial = merge_blocks(parse_blocks(&chunks[0]).unwrap()).unwrap();
        assert!(matches!(
            partial[0].decode(),
            Err(TextError::MissingLines { .. })
        ));
    }

    #[test]
    fn check_char_catches_everything_it_promises() {
        // Exhaustive over one line position set: weights are distinct powers of alpha.
        let mut seen = std::collections::HashSet::new();
        let mut acc = 1u8;
        for _ in 0..31 {
            acc = gf32_mul(acc, 2);
            assert!(seen.insert(acc), "alpha is not primitive");
        }
    }

    proptest! {
        #[test]
        fn encode_decode_round_trips(p in proptest::collection::vec(any::<u8>(), 1..700), qr in any::<bool>()) {
            let kind = if p.len() % 2 == 0 { Kind::Share } else { Kind::Vault };
            let t = TextForm::encode(kind, &p).unwrap();
            let s = if qr { t.to_qr().to_string() } else { display(&t) };
            prop_assert_eq!(decode_one(&s).unwrap(), (kind, p));
        }

        #[test]
        fn parser_never_panics(s in "[ -~\n]{0,300}") {
            if let Ok(blocks) = parse_blocks(&s) {
                for b in blocks {
                    let _ = b.decode();
                }
            }
        }
    }

    fn lines_of(t: &TextForm) -> Vec<String> {
        t.display_lines().iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn kind_names() {
        assert_eq!(Kind::Share.letter(), 'S');
        assert_eq!(Kind::Vault.letter(), 'V');
        assert_eq!(Kind::Share.noun(), "share");
        assert_eq!(Kind::Vault.noun(), "vault");
        assert_eq!(Kind::from_letter(b'S'), Some(Kind::Share));
        assert_eq!(Kind::from_letter(b'V'), Some(Kind::Vault));
        assert_eq!(Kind::from_letter(b'X'), None);
    }

    #[test]
    fn missing_lines_are_described() {
        let e = |missing: Vec<usize>| {
            TextError::MissingLines {
                kind: "share",
                missing,
                count: 20,
            }
            .to_string()
        };
        assert_eq!(
            e(vec![3]),
            "the share text is incomplete: line 3 is missing (of 20)"
        );
        assert_eq!(
            e(vec![3, 5]),
            "the share text is incomplete: lines 3, 5 are missing (of 20)"
        );
        assert_eq!(
            e((1..=12).collect()),
            "the share text is incomplete: lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 are missing (of 20)"
        );
        assert_eq!(
            e((1..=13).collect()),
            "the share text is incomplete: lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, … are missing (of 20)"
        );
    }

    #[test]
    fn gf32_arithmetic_is_a_field() {
        // Known products with x^5 = x^2 + 1.
        assert_eq!(gf32_mul(16, 2), 5);
        assert_eq!(gf32_mul(3, 3), 5);
        assert_eq!(gf32_mul(0, 7), 0);
        assert_eq!(gf32_mul(7, 0), 0);
        assert_eq!(gf32_mul(1, 19), 19);
        assert_eq!(gf32_mul(19, 1), 19);
        assert_eq!(gf32_mul(31, 31), 18);
        for a in 0..32u8 {
            for b in 0..32u8 {
                let p = gf32_mul(a, b);
                assert!(p < 32);
                assert_eq!(p, gf32_mul(b, a));
                for c in 0..32u8 {
                    assert_eq!(gf32_mul(a, b ^ c), p ^ gf32_mul(a, c));
                }
            }
            if a != 0 {
                assert_eq!((1..32u8).filter(|&b| gf32_mul(a, b) == 1).count(), 1);
            }
        }
    }

    #[test]
    fn check_char_known_answers() {
        // acc = ((v0 * 2) ^ v1) * 2 ... : "1" -> 1*2 = 2; "01" -> 2; "10" -> 4; "2Z" -> (4^31)*2.
        assert_eq!(check_char(b"1"), b'2');
        assert_eq!(check_char(b"01"), b'2');
        assert_eq!(check_char(b"10"), b'4');
        assert_eq!(check_char(b""), b'0');
        assert_eq!(check_char(b"2Z"), ALPHABET[gf32_mul(4 ^ 31, 2) as usize]);
        assert_eq!(symbol_value(b'Z'), Some(31));
        assert_eq!(symbol_value(b'0'), Some(0));
        assert_eq!(symbol_value(b'U'), None);
    }

    #[test]
    fn normalize_forgives_exactly_what_it_says() {
        assert_eq!(normalize("a-b c\td\r\ne"), b"ABCDE".to_vec());
        assert_eq!(normalize("oOiIlL"), b"001111".to_vec());
        assert_eq!(normalize("u_.#"), b"U_.#".to_vec());
        assert_eq!(normalize("\0é\u{7f}"), b"\0?\x7f".to_vec());
    }

    /// The look-up tables say exactly what the rules in FORMAT.md §6.5 say, for every
    /// character class.
    #[test]
    fn tables_match_the_rules() {
        let rule = |c: char| -> Option<u8> {
            if matches!(c, ' ' | '-' | '\t' | '\r' | '\n') {
                return None;
            }
            Some(match c.to_ascii_uppercase() {
                'O' => b'0',
                'I' | 'L' => b'1',
                u if u.is_ascii() => u as u8,
                _ => b'?',
            })
        };
        for c in (0..=0x3000u32).filter_map(char::from_u32) {
            let want: Vec<u8> = rule(c).into_iter().collect();
            assert_eq!(normalize(&c.to_string()), want, "{c:?}");
        }
        for b in 0..=255u8 {
            assert_eq!(
                symbol_value(b),
                ALPHABET.iter().position(|&a| a == b).map(|p| p as u8)
            );
        }
        for a in 0..32u8 {
            assert_eq!(times_alpha(a), gf32_mul(a, 2));
        }
    }

    #[test]
    fn checksum_binds_kind_and_payload() {
        let a = checksum(Kind::Share, b"abc");
        assert_eq!(a, checksum(Kind::Share, b"abc"));
        assert_ne!(a, checksum(Kind::Vault, b"abc"));
        assert_ne!(a, checksum(Kind::Share, b"abd"));
        let mut h = Sha256::new();
        h.update(b"BG1-S");
        h.update(b"abc");
        assert_eq!(&a[..], &h.finalize()[..4]);
        // Lines of another payload of the same length under this header: every line checks,
        // the whole does not.
        let t1 = TextForm::encode(Kind::Share, &payload(56)).unwrap();
        let mut other = payload(56);
        other[10] ^= 0x55;
        let t2 = TextForm::encode(Kind::Share, &other).unwrap();
        let mut mixed = lines_of(&t2);
        mixed[0] = lines_of(&t1)[0].clone();
        assert_eq!(decode_one(&mixed.join("\n")), Err(TextError::Checksum));
    }

    #[test]
    fn a_retyped_header_keeps_the_lines() {
        let t = TextForm::encode(Kind::Vault, &payload(120)).unwrap();
        let good = t.header().render();
        // One checksum character misread (a valid symbol, so only the whole-payload check sees it).
        // (The third checksum character: the last one also carries padding bits.)
        let mut chars: Vec<char> = good.chars().collect();
        let third = chars.len() - 5;
        chars[third] = if chars[third] == '8' { 'B' } else { '8' };
        let misread: String = chars.into_iter().collect();
        let mut b = Block::new(Header::parse(&misread).unwrap());
        for i in 0..t.header().line_count {
            b.add_line(&t.display_line(i)).unwrap();
        }
        assert_eq!(b.decode().unwrap_err(), TextError::Checksum);
        // Another kind or line count would not fit the lines already checked.
        let share = TextForm::encode(Kind::Share, &payload(120)).unwrap();
        assert_eq!(
            b.replace_header(share.header().clone()),
            Err(TextError::BadHeader)
        );
        let shorter = TextForm::encode(Kind::Vault, &payload(100)).unwrap();
        assert_eq!(
            b.replace_header(shorter.header().clone()),
            Err(TextError::BadHeader)
        );
        b.replace_header(Header::parse(&good).unwrap()).unwrap();
        assert_eq!(b.decode().unwrap().expose_secret(), &payload(120)[..]);
    }

    #[test]
    fn header_render_and_widths() {
        let t = TextForm::encode(Kind::Share, &payload(12)).unwrap();
        assert_eq!(t.header().line_count, 1);
        assert_eq!(t.header().number_width(), 2);
        let r = t.header().render();
        let sum = base32().encode(&checksum(Kind::Share, &payload(12)));
        assert_eq!(r, format!("BG1-S-1-{sum}"));
        assert_eq!(sum.len(), CHECKSUM_CHARS);
        assert_eq!(format!("{t:?}"), format!("TextForm({r} [REDACTED])"));
        let big = TextForm::encode(Kind::Vault, &payload(1300)).unwrap();
        assert_eq!(big.header().line_count, 104);
        assert_eq!(big.header().number_width(), 3);
        let l = lines_of(&big);
        assert!(l[1].starts_with("001  "), "{}", l[1]);
        assert!(l[104].starts_with("104  "), "{}", l[104]);
        assert_eq!(decode_one(&l.join("\n")).unwrap().1, payload(1300));
        let h = Header {
            kind: Kind::Vault,
            line_count: 99,
            checksum: [0; 4],
        };
        assert_eq!(h.number_width(), 2);
        let h = Header {
            line_count: 100,
            ..h
        };
        assert_eq!(h.number_width(), 3);
    }

    #[test]
    fn display_line_layout() {
        let t = TextForm::encode(Kind::Share, &payload(13)).unwrap();
        let l = lines_of(&t);
        assert_eq!(l.len(), 3);
        let chars = base32().encode(&payload(13));
        let d = &chars[..20];
        let check = check_char(format!("01{d}").as_bytes()) as char;
        assert_eq!(
            l[1],
            format!(
                "01  {} {} {} {} {}  {check}",
                &d[0..4],
                &d[4..8],
                &d[8..12],
                &d[12..16],
                &d[16..20]
            )
        );
        let last = &chars[20..];
        assert_eq!(last.len(), 1);
        let check = check_char(format!("02{last}").as_bytes()) as char;
        assert_eq!(l[2], format!("02  {last}  {check}"));
        // The QR form: header, then compact numbered lines.
        let q = t.to_qr();
        let parts: Vec<&str> = q.split(' ').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], l[0]);
        assert_eq!(
            parts[1],
            normalize(&l[1])
                .iter()
                .map(|&b| b as char)
                .collect::<String>()
        );
        // The shortest possible last line (one data character) parses.
        assert_eq!(decode_one(&l.join("\n")).unwrap().1, payload(13));
        let h = t.header();
        assert_eq!(h.parse_line(&l[2]).unwrap().0, 2);
        assert_eq!(h.parse_line(&l[2]).unwrap().1.as_slice(), last.as_bytes());
    }

    #[test]
    fn encode_limits() {
        assert_eq!(
            TextForm::encode(Kind::Vault, &[]).unwrap_err(),
            TextError::EmptyPayload { kind: "vault" }
        );
        assert_eq!(
            TextForm::encode(Kind::Share, &[]).unwrap_err(),
            TextError::EmptyPayload { kind: "share" }
        );
        let most = TextForm::encode(Kind::Vault, &payload(12487)).unwrap();
        assert_eq!(most.header().line_count, MAX_LINES);
        assert_eq!(most.header().number_width(), 3);
        assert_eq!(
            TextForm::encode(Kind::Vault, &payload(12488)).unwrap_err(),
            TextError::TooLong {
                kind: "vault",
                len: 12488
            }
        );
    }

    #[test]
    fn qr_chunks_are_balanced() {
        let t = TextForm::encode(Kind::Vault, &payload(300)).unwrap();
        assert_eq!(t.header().line_count, 24);
        let c = t.qr_chunks(16);
        assert_eq!(c.len(), 2);
        let count = |s: &str| s.split(' ').count() - 1;
        assert_eq!(count(&c[0]), 12);
        assert_eq!(count(&c[1]), 12);
        let one = t.qr_chunks(0);
        assert_eq!(one.len(), 24);
        assert!(one.iter().all(|s| count(s) == 1));
        assert_eq!(t.qr_chunks(24).len(), 1);
        assert_eq!(t.qr_chunks(23).len(), 2);
        assert_eq!(*t.to_qr(), *t.qr_chunks(24)[0]);
        assert!(c.iter().all(|s| s.starts_with(&t.header().render())));
    }

    #[test]
    fn header_parse_rules() {
        let t = TextForm::encode(Kind::Share, &payload(56)).unwrap();
        let h = t.header().render();
        let sum = &h[h.len() - 7..];
        assert_eq!(Header::parse(&h).unwrap(), *t.header());
        assert_eq!(
            Header::parse(&h.to_lowercase()).unwrap(),
            *t.header(),
            "case"
        );
        assert_eq!(Header::parse(""), Err(TextError::NoHeader));
        assert_eq!(Header::parse("XG1-S-5-AAAAAAA"), Err(TextError::NoHeader));
        assert_eq!(
            Header::parse(&format!("BG-S-5-{sum}")),
            Err(TextError::NoHeader)
        );
        assert_eq!(
            Header::parse(&format!("BG1234567-S-5-{sum}")),
            Err(TextError::NoHeader)
        );
        assert_eq!(
            Header::parse(&format!("BG123456-S-5-{sum}")),
            Err(TextError::NewerVersion { found: 123_456 })
        );
        assert_eq!(
            Header::parse(&format!("BG2-S-5-{sum}")),
            Err(TextError::NewerVersion { found: 2 })
        );
        assert_eq!(
            Header::parse(&format!("BG0-S-5-{sum}")),
            Err(TextError::BadHeader)
        );
        assert_eq!(
            Header::parse(&format!("BG1-X-5-{sum}")),
            Err(TextError::BadHeader)
        );
        assert_eq!(Header::parse("BG1"), Err(TextError::BadHeader));
        assert_eq!(
            Header::parse(&format!("BG1-S-{sum}")),
            Err(TextError::BadHeader)
        );
        assert_eq!(
            Header::parse(&format!("BG1-S-1000-{sum}")),
            Err(TextError::BadHeader)
        );
        assert_eq!(
            Header::parse(&format!("BG1-S-05-{sum}")),
            Err(TextError::BadHeader)
        );
        assert_eq!(
            Header::parse(&format!("BG1-S-5A-{sum}")),
            Err(TextError::BadHeader)
        );
        let h999 = Header::parse(&format!("BG1-V-999-{sum}")).unwrap();
        assert_eq!(h999.line_count, 999);
        assert_eq!(h999.kind, Kind::Vault);
        let h100 = Header::parse(&format!("BG1-S-100-{sum}")).unwrap();
        assert_eq!(h100.line_count, 100);
        assert_eq!(Header::parse(&format!("BG1S100{sum}")).unwrap(), h100);
        let h1 = Header::parse(&format!("BG1-S-1-{sum}")).unwrap();
        assert_eq!(h1.line_count, 1);
        // Four parts: a checksum of the wrong length is a header error.
        assert_eq!(
            Header::parse(&format!("BG1-S-5-{}", &sum[..6])),
            Err(TextError::BadHeader)
        );
        // A checksum that is not canonical base32 (trailing bits set).
        assert_eq!(Header::parse("BG1-S-5-ZZZZZZZ"), Err(TextError::BadHeader));
        // Without separators, the count takes what the 7 checksum characters leave.
        assert_eq!(
            Header::parse(&format!("BG1S{sum}")),
            Err(TextError::BadHeader)
        );
        assert_eq!(
            Header::parse(&format!("BG1 S 12 {sum}"))
                .unwrap()
                .line_count,
            12
        );
    }

    #[test]
    fn parse_line_rules() {
        // 56 bytes: 90 characters, five lines, the last with 10.
        let t = TextForm::encode(Kind::Share, &payload(56)).unwrap();
        let h = t.header().clone();
        let l = lines_of(&t);
        let c: Vec<String> = l
            .iter()
            .map(|s| String::from_utf8(normalize(s)).unwrap())
            .collect();
        assert_eq!(h.parse_line(&l[1]).unwrap().0, 1);
        assert_eq!(h.parse_line(&l[5]).unwrap().0, 5);
        assert_eq!(h.parse_line(&l[5]).unwrap().1.len(), 10);
        assert_eq!(
            h.parse_line("0"),
            Err(TextError::BadLineNumber { width: 2 })
        );
        // Too short for data and a check character: a length error naming the line.
        for short in ["01", "01A", "0 1 - A"] {
            assert!(
                matches!(
                    h.parse_line(short),
                    Err(TextError::BadLineLength {
                        line: 1,
                        found: 0,
                        ..
                    })
                ),
                "{short}"
            );
        }
        // A non-ASCII character counts once and is not in the alphabet.
        let mut accented = c[1].clone();
        accented.replace_range(6..7, "\u{c9}");
        assert!(matches!(
            h.parse_line(&accented),
            Err(TextError::BadCharacter {
                line: 1,
                group: 2,
                ..
            })
        ));
        assert_eq!(
            h.parse_line("A1ABCD"),
            Err(TextError::BadLineNumber { width: 2 })
        );
        assert_eq!(
            h.parse_line("1AABCD"),
            Err(TextError::BadLineNumber { width: 2 })
        );
        let renumber = |line: &str, num: &str| {
            let data = &line[2..line.len() - 1];
            let body = format!("{num}{data}");
            let check = check_char(body.as_bytes()) as char;
            format!("{body}{check}")
        };
        assert_eq!(
            h.parse_line(&renumber(&c[1], "00")),
            Err(TextError::LineOutOfRange {
                kind: "share",
                line: 0,
                count: 5
            })
        );
        assert_eq!(
            h.parse_line(&renumber(&c[1], "06")),
            Err(TextError::LineOutOfRange {
                kind: "share",
                line: 6,
                count: 5
            })
        );
        // A full line numbered as the last is too long for it only if over 20: 20 is fine.
        assert_eq!(h.parse_line(&renumber(&c[1], "05")).unwrap().0, 5);
        // A short line numbered as a middle one.
        assert_eq!(
            h.parse_line(&renumber(&c[5], "02")),
            Err(TextError::BadLineLength {
                kind: "share",
                line: 2,
                expected: "20".into(),
                found: 10
            })
        );
        let long = renumber(&format!("{}A", &c[1]), "05");
        assert_eq!(
            h.parse_line(&long),
            Err(TextError::BadLineLength {
                kind: "share",
                line: 5,
                expected: "1 to 20".into(),
                found: 21
            })
        );
        // A bad character is located by group, the check character included.
        let mut g3 = c[1].clone().into_bytes();
        g3[2 + 9] = b'U';
        assert_eq!(
            h.parse_line(std::str::from_utf8(&g3).unwrap()),
            Err(TextError::BadCharacter {
                kind: "share",
                line: 1,
                group: 3
            })
        );
        let mut g5 = c[1].clone().into_bytes();
        g5[2 + 19] = b'*';
        assert_eq!(
            h.parse_line(std::str::from_utf8(&g5).unwrap()),
            Err(TextError::BadCharacter {
                kind: "share",
                line: 1,
                group: 5
            })
        );
        let mut chk = c[1].clone().into_bytes();
        let n = chk.len();
        chk[n - 1] = b'U';
        // A character outside the alphabet in the check position is named as the check
        // character, not as a group.
        assert_eq!(
            h.parse_line(std::str::from_utf8(&chk).unwrap()),
            Err(TextError::CheckCharacterTypo {
                kind: "share",
                line: 1
            })
        );
        let mut typo = c[1].clone().into_bytes();
        typo[n - 1] = if typo[n - 1] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            h.parse_line(std::str::from_utf8(&typo).unwrap()),
            Err(TextError::LineCheck {
                kind: "share",
                line: 1,
                group: None
            })
        );
    }

    #[test]
    fn block_bookkeeping() {
        let t = TextForm::encode(Kind::Share, &payload(56)).unwrap();
        let l = lines_of(&t);
        let mut b = Block::new(t.header().clone());
        assert!(!b.is_complete());
        assert_eq!(b.missing(), vec![1, 2, 3, 4, 5]);
        assert_eq!(b.add_line(&l[2]), Ok(2));
        assert_eq!(b.add_line(&l[2]), Ok(2), "the same line twice is fine");
        assert_eq!(b.missing(), vec![1, 3, 4, 5]);
        assert_eq!(
            format!("{b:?}"),
            format!("Block({}, lines [2] [REDACTED])", l[0])
        );
        // A different line 2 conflicts.
        let flipped: Vec<u8> = payload(56).iter().map(|b| b ^ 0xff).collect();
        let other = TextForm::encode(Kind::Share, &flipped).unwrap();
        let h = t.header();
        let mut c2 = normalize(&lines_of(&other)[2]);
        let n = c2.len();
        c2[n - 1] = check_char(&c2[..n - 1]);
        let c2 = String::from_utf8(c2).unwrap();
        assert!(h.parse_line(&c2).is_ok());
        assert_eq!(b.add_line(&c2), Err(TextError::ConflictingLine { line: 2 }));
        for i in [1, 3, 4] {
            b.add_line(&l[i]).unwrap();
        }
        assert!(!b.is_complete());
        assert_eq!(b.missing(), vec![5]);
        assert!(matches!(
            b.decode(),
            Err(TextError::MissingLines { missing, count: 5, .. }) if missing == vec![5]
        ));
        let mut rest = Block::new(t.header().clone());
        rest.add_line(&l[5]).unwrap();
        let mut conflicting = Block::new(t.header().clone());
        conflicting.add_line(&c2).unwrap();
        let mut b2 = b.clone();
        assert_eq!(
            b2.merge(conflicting),
            Err(TextError::ConflictingLine { line: 2 })
        );
        b.merge(rest).unwrap();
        assert!(b.is_complete());
        assert!(b.missing().is_empty());
        assert_eq!(b.decode().unwrap().expose_secret(), &payload(56)[..]);
    }

    /// Line `li` of `lines` (display form) with the data character at `pos` replaced.
    fn with_typo(lines: &[String], li: usize, pos: usize) -> Vec<String> {
        let mut c = normalize(&lines[li]);
        c[2 + pos] = if c[2 + pos] == b'A' { b'B' } else { b'A' };
        let mut v = lines.to_vec();
        v[li] = String::from_utf8(c).unwrap();
        v
    }

    #[test]
    fn typos_are_located_through_merges_and_blocks() {
        let t = TextForm::encode(Kind::Share, &payload(56)).unwrap();
        let l = lines_of(&t);
        // A typo in group 4 of line 3, given in a separate block that is merged in.
        let bad = with_typo(&l, 3, 13);
        let mut a = parse_blocks(&[l[0].clone(), l[1].clone(), l[2].clone()].join("\n")).unwrap();
        let b =
            parse_blocks(&[l[0].clone(), bad[3].clone(), l[4].clone(), l[5].clone()].join("\n"))
                .unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(b.len(), 1);
        a.extend(b);
        let merged = merge_blocks(a).unwrap();
        assert_eq!(merged.len(), 1);
        assert_eq!(
            merged[0].decode(),
            Err(TextError::LineCheck {
                kind: "share",
                line: 3,
                group: Some(4)
            })
        );
        // A typo in the check character itself.
        let mut cc = normalize(&l[2]);
        let n = cc.len();
        cc[n - 1] = ALPHABET[(symbol_value(cc[n - 1]).unwrap() as usize + 1) % 32];
        let mut v = l.clone();
        v[2] = String::from_utf8(cc).unwrap();
        assert_eq!(
            decode_one(&v.join("\n")),
            Err(TextError::CheckCharacterTypo {
                kind: "share",
                line: 2
            })
        );
        // A bad line and another missing one: the bad line is named, without a group.
        let mut two = with_typo(&l, 3, 0);
        two.remove(4);
        assert_eq!(
            decode_one(&two.join("\n")),
            Err(TextError::LineCheck {
                kind: "share",
                line: 3,
                group: None
            })
        );
        // Two substitutions in one line: no single one explains it, so no group.
        let mut double = with_typo(&l, 1, 0);
        double = with_typo(&double, 1, 5);
        assert_eq!(
            decode_one(&double.join("\n")),
            Err(TextError::LineCheck {
                kind: "share",
                line: 1,
                group: None
            })
        );
    }

    #[test]
    fn locate_typo_directly() {
        let t = TextForm::encode(Kind::Share, &payload(56)).unwrap();
        let l = lines_of(&t);
        let mut b = Block::new(t.header().clone());
        for i in [1, 2, 4, 5] {
            b.add_line(&l[i]).unwrap();
        }
        // Too short to hold a number, a character and a check character.
        assert!(b.locate_typo(3, b"03").is_none());
        let good = normalize(&l[3]);
        assert!(matches!(
            b.locate_typo(3, &with_typo_bytes(&good, 6)),
            Some(Typo::Group(2))
        ));
        assert!(matches!(
            b.locate_typo(3, &with_typo_bytes(&good, 19)),
            Some(Typo::Group(5))
        ));
        assert!(matches!(
            b.locate_typo(3, &with_typo_bytes(&good, 0)),
            Some(Typo::Group(1))
        ));
        // The true line is not a typo of the check character, and a wholly different line
        // cannot be explained.
        let mut other = good.clone();
        for c in &mut other[2..10] {
            *c = b'7';
        }
        assert!(b.locate_typo(3, &other).is_none());
    }

    fn with_typo_bytes(good: &[u8], pos: usize) -> Vec<u8> {
        let mut c = good.to_vec();
        c[2 + pos] = if c[2 + pos] == b'A' { b'B' } else { b'A' };
        c
    }

    #[test]
    fn parse_blocks_rules() {
        let s = TextForm::encode(Kind::Share, &payload(56)).unwrap();
        let v = TextForm::encode(Kind::Vault, &payload(100)).unwrap();
        let text = format!(
            "# comment\n{}\n\n  # another\n{}\n",
            lines_of(&s).join("\n"),
            v.to_qr().as_str()
        );
        let blocks = parse_blocks(&text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].header.kind, Kind::Share);
        assert_eq!(blocks[1].header.kind, Kind::Vault);
        assert_eq!(
            blocks[0].decode().unwrap().expose_secret(),
            &payload(56)[..]
        );
        assert_eq!(
            blocks[1].decode().unwrap().expose_secret(),
            &payload(100)[..]
        );
        // A data line before any header.
        let l = lines_of(&s);
        assert_eq!(
            parse_blocks(&format!("{}\n{}", l[1], l[0])).unwrap_err(),
            TextError::NoHeader
        );
        assert_eq!(
            parse_blocks("# only a comment\n\n").unwrap_err(),
            TextError::NoHeader
        );
        // A broken header stops the parse.
        assert_eq!(
            parse_blocks("BG1-S-5-AAAAAA\n").unwrap_err(),
            TextError::BadHeader
        );
        // A line error other than a check failure stops the parse.
        let mut short = l.clone();
        short[2] = "02 ABC 7".into();
        assert!(matches!(
            parse_blocks(&short.join("\n")).unwrap_err(),
            TextError::BadLineLength { line: 2, .. }
        ));
        // A check failure does not: the block is returned and decode names it.
        let bad = with_typo(&l, 2, 5);
        let blocks = parse_blocks(&bad.join("\n")).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(
            blocks[0].decode(),
            Err(TextError::LineCheck {
                kind: "share",
                line: 2,
                group: Some(2)
            })
        );
        // The same block twice, as rows and as a QR row, merges into one.
        let twice = format!("{}\n{}", l.join("\n"), s.to_qr().as_str());
        assert_eq!(parse_blocks(&twice).unwrap().len(), 1);
    }

    #[test]
    fn separated_header_parts_are_read_as_written() {
        // [0x10, 0, 0, 0] encodes as "2000000": typed as "12-000000", a reader that ignored
        // the separators would take count 1 and checksum "2000000".
        assert_eq!(base32().encode(&[0x10, 0, 0, 0]), "2000000");
        assert_eq!(
            Header::parse("BG1-V-1-2000000").unwrap(),
            Header {
                kind: Kind::Vault,
                line_count: 1,
                checksum: [0x10, 0, 0, 0]
            }
        );
        assert_eq!(Header::parse("BG1-V-12-000000"), Err(TextError::BadHeader));
        assert_eq!(Header::parse("BG1 V 12 000000"), Err(TextError::BadHeader));
        assert_eq!(Header::parse("BG1V12000000").unwrap().line_count, 1);
    }

    #[test]
    fn three_digit_blocks_accept_a_one_character_last_line() {
        // 1238 bytes: 1981 characters, 100 lines, the last holding one character.
        let t = TextForm::encode(Kind::Vault, &payload(1238)).unwrap();
        assert_eq!(t.header().line_count, 100);
        let l = lines_of(&t);
        let last = normalize(&l[100]);
        assert_eq!(last.len(), 3 + 1 + 1);
        assert_eq!(
            t.header()
                .parse_line(std::str::from_utf8(&last).unwrap())
                .unwrap()
                .0,
            100
        );
        assert!(matches!(
            t.header().parse_line("1001"),
            Err(TextError::BadLineLength {
                line: 100,
                found: 0,
                ..
            })
        ));
        assert_eq!(
            t.header().parse_line("10"),
            Err(TextError::BadLineNumber { width: 3 })
        );
        assert_eq!(decode_one(&l.join("\n")).unwrap().1, payload(1238));
    }

    #[test]
    fn a_typo_in_a_one_character_last_line_is_located() {
        for (n, lines) in [(13, 2), (1238, 100)] {
            let t = TextForm::encode(Kind::Vault, &payload(n)).unwrap();
            let mut l = lines_of(&t);
            assert_eq!(l.len(), lines + 1);
            let mut last = normalize(&l[lines]);
            let w = t.header().number_width();
            assert_eq!(last.len(), w + 2);
            last[w] = if last[w] == b'0' { b'1' } else { b'0' };
            l[lines] = String::from_utf8(last).unwrap();
            assert_eq!(
                decode_one(&l.join("\n")),
                Err(TextError::LineCheck {
                    kind: "vault",
                    line: lines,
                    group: Some(1)
                }),
                "{n} bytes"
            );
        }
    }
}
