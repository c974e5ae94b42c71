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
#[non_exhaustive]
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

fn base32() -> &'static Encoding {
    static ENC: OnceLock<Encoding> = OnceLock::new();
    ENC.get_or_init(|| {
        let mut spec = Specification::new();
        spec.symbols
            .push_str(std::str::from_utf8(ALPHABET).expect("ASCII"));
        spec.check_trailing_bits = true;
        spec.encoding().expect("a valid base32 specification")
    })
}

fn symbol_value(c: u8) -> Option<u8> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u8)
}

/// Multiplication in GF(32) with the primitive polynomial x^5 + x^2 + 1.
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
        acc = gf32_mul(acc ^ v, 2);
    }
    ALPHABET[acc as usize]
}

/// Uppercases and maps the look-alikes; drops spaces and dashes.
fn normalize(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(|b| !matches!(b, b' ' | b'-' | b'\t' | b'\r' | b'\n'))
        .map(|b| match b.to_ascii_uppercase() {
            b'O' => b'0',
            b'I' | b'L' => b'1',
            u => u,
        })
        .collect()
}

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
        if n.len() < w + 2 || !n[..w].iter().all(u8::is_ascii_digit) {
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
        let data = &n[w..n.len() - 1];
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
        if let Some(pos) = n[..n.len()].iter().position(|&c| symbol_value(c).is_none()) {
            return Err(TextError::BadCharacter {
                kind: self.kind.noun(),
                line: number,
                group: pos.saturating_sub(w) / GROUP_CHARS + 1,
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
        if let [only] = missing[..]
            && let Some((line, data)) = self.bad.iter().find(|(l, _)| *l == only)
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
        if let (Some((line, _)), false) = (self.bad.first(), missing.is_empty()) {
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
        if normalize(piece).starts_with(b"BG") {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
}
