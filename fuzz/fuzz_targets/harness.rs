//! Fuzz harness bodies, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and by the
//! corpus replay in `tests/fuzz_corpora.rs`, so every corpus and crash input is also checked by
//! `cargo test`. Only `breakglass-core` (with its `testkit`), `rand` (to seal a fixed vault) and
//! std are used here: no libFuzzer types.
//!
//! Each function must never panic on any input; where the parser accepts the input, it asserts
//! that re-encoding gives back the canonical form (and the same value).

// Each fuzz target uses one of these functions; the others are dead code there.
#![allow(dead_code)]

use breakglass_core::contents::VaultContents;
use breakglass_core::document::{self, Decoded, ShareDocument, SheetFacts};
use breakglass_core::plan::Plan;
use breakglass_core::recover::{self, Sourced};
use breakglass_core::seal::{self, SealParams, Sealed};
use breakglass_core::secret::{SecretBytes, VaultSecret};
use breakglass_core::share::Share;
use breakglass_core::testkit;
use breakglass_core::text::{self, Block, Header, Kind, TextForm};
use breakglass_core::vault::Vault;
use breakglass_core::vault_id::VaultId;
use std::sync::LazyLock;

/// The byte that separates QR payloads in `qr_chunks` inputs (never valid UTF-8).
pub const CHUNK_SEPARATOR: u8 = 0xFF;

// ---------------------------------------------------------------------------------------------
// Shared checks

/// A payload put into text form must come back unchanged, with the same header, from the paper
/// layout and from the QR layout.
fn text_round_trip(kind: Kind, payload: &[u8]) {
    if payload.is_empty() {
        // Nothing to encode: refused (it once divided by zero; tests/fuzz_regressions.rs).
        assert!(TextForm::encode(kind, payload).is_err());
        return;
    }
    let t = match TextForm::encode(kind, payload) {
        Ok(t) => t,
        Err(e) => {
            // 999 lines of 20 characters hold 12 487 bytes.
            assert!(
                payload.len() > 12_487,
                "{} bytes refused: {e}",
                payload.len()
            );
            return;
        }
    };
    let paper: String = t
        .display_lines()
        .iter()
        .map(|l| format!("{}\n", l.as_str()))
        .collect();
    for form in [paper, t.to_qr().to_string()] {
        let blocks = text::parse_blocks(&form).expect("encoder output parses");
        assert_eq!(blocks.len(), 1);
        assert_eq!(&blocks[0].header, t.header());
        assert!(blocks[0].is_complete());
        let back = blocks[0].decode().expect("encoder output decodes");
        assert_eq!(back.expose_secret(), payload);
    }
}

/// A block that decodes must carry the canonical header of its payload (a header the parser
/// accepts renders and re-parses to itself), and the payload must survive a text round trip.
fn check_block(b: &Block) {
    let h = &b.header;
    assert_eq!(
        &Header::parse(&h.render()).expect("rendered header parses"),
        h
    );
    if let Ok(payload) = b.decode() {
        let p = payload.expose_secret();
        assert!(b.is_complete(), "an incomplete block decoded");
        assert!(!p.is_empty(), "a block decoded to an empty payload");
        let t = TextForm::encode(h.kind, p).expect("a decoded payload re-encodes");
        assert_eq!(t.header(), h, "accepted a non-canonical header");
        text_round_trip(h.kind, p);
    }
}

fn check_share(s: &Share) {
    let bytes = s.to_bytes();
    let back = Share::from_bytes(bytes.expose_secret()).expect("an encoded share parses");
    assert_eq!(back.to_bytes().expose_secret(), bytes.expose_secret());
    assert_eq!(back.commitment(), s.commitment());
    text_round_trip(Kind::Share, bytes.expose_secret());
}

fn check_vault(v: &Vault) {
    let bytes = v.to_bytes();
    assert_eq!(
        &Vault::from_bytes(&bytes).expect("an encoded vault parses"),
        v
    );
    v.header
        .validate()
        .expect("a parsed header passes the encoder's validation");
    assert!(bytes.starts_with(&v.header.to_bytes()));
    for i in 0..=v.header.share_count() {
        let _ = SheetFacts::new(&v.header, i);
    }
    text_round_trip(Kind::Vault, &bytes);
}

/// A sheet made of a decoded share and vault decodes back to them, from the file and from the
/// QR parts.
fn check_sheet(s: &Share, v: &Vault) {
    let sheet = ShareDocument::new(s, v).expect("a parsed vault fits on a sheet");
    let d = document::decode_text(&sheet.to_file()).expect("a sheet file decodes");
    assert_eq!(d.shares.len(), 1);
    assert_eq!(
        d.shares[0].to_bytes().expose_secret(),
        s.to_bytes().expose_secret()
    );
    assert_eq!(d.vaults, vec![v.clone()]);
    let mut blocks = Vec::new();
    for q in sheet.vault_qr().iter().rev() {
        blocks.extend(text::parse_blocks(q).expect("a QR part parses"));
    }
    let d = document::decode_blocks(blocks).expect("QR parts decode");
    assert!(d.incomplete.is_empty());
    assert_eq!(d.vaults, vec![v.clone()]);
}

fn check_decoded(d: &Decoded) {
    for s in &d.shares {
        check_share(s);
    }
    for v in &d.vaults {
        check_vault(v);
    }
    if let (Some(s), Some(v)) = (d.shares.first(), d.vaults.first()) {
        check_sheet(s, v);
    }
}

/// Raw share bytes: canonical only.
fn share_bytes(data: &[u8]) {
    if let Ok(s) = Share::from_bytes(data) {
        assert_eq!(s.to_bytes().expose_secret(), data, "non-canonical share");
    }
}

/// A small deterministic generator for permutations (not for secrets).
struct XorShift(u64);

impl XorShift {
    fn new(data: &[u8]) -> Self {
        // FNV-1a over the input, never zero.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in data {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Self(h | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

// ---------------------------------------------------------------------------------------------
// Targets

/// Share text: a whole document through `document::decode_text`; every decoded share and vault
/// must round-trip through bytes and text. The raw input is also tried as share bytes.
pub fn share_text(data: &[u8]) {
    share_bytes(data);
    let input = String::from_utf8_lossy(data);
    if let Ok(blocks) = text::parse_blocks(&input) {
        for b in &blocks {
            check_block(b);
        }
    }
    if let Ok(d) = document::decode_text(&input) {
        assert!(d.incomplete.is_empty());
        check_decoded(&d);
    }
}

/// Vault text: blocks through `document::decode_blocks` (incomplete blocks allowed, as when
/// pooling QR parts); every decoded vault must round-trip, also through its QR parts.
pub fn vault_text(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let Ok(blocks) = text::parse_blocks(&input) else {
        return;
    };
    for b in &blocks {
        check_block(b);
    }
    let Ok(d) = document::decode_blocks(blocks) else {
        return;
    };
    for b in &d.incomplete {
        assert!(!b.is_complete());
        assert!(b.decode().is_err(), "an incomplete block decoded");
    }
    check_decoded(&d);
}

/// The largest payload `qr_chunks` splits and reassembles.
pub const QR_CHUNKS_PAYLOAD_BYTES: usize = 256;

/// QR payloads: the input split at 0xFF into several payloads, each parsed, then merged (in
/// input order) and decoded. Then a structured check: the input's first
/// [`QR_CHUNKS_PAYLOAD_BYTES`] as a payload, encoded, cut into QR chunks of an input-derived
/// size, shuffled, reassembled: equal.
pub fn qr_chunks(data: &[u8]) {
    // Free-form chunks.
    let mut blocks = Vec::new();
    for piece in data.split(|&b| b == CHUNK_SEPARATOR) {
        if let Ok(b) = text::parse_blocks(&String::from_utf8_lossy(piece)) {
            blocks.extend(b);
        }
    }
    if let Ok(merged) = text::merge_blocks(blocks.clone()) {
        for b in &merged {
            check_block(b);
        }
    }
    if let Ok(d) = document::decode_blocks(blocks) {
        check_decoded(&d);
    }

    // Structured: any payload reassembles from its chunks in any order. Bounded, because
    // encoding, splitting and reassembling whole 4 KiB inputs held the target near 1.8 k runs/s;
    // 256 bytes (21 lines) already make up to 21 parts, and the size edges are unit tests.
    let data = &data[..data.len().min(QR_CHUNKS_PAYLOAD_BYTES)];
    let Some(&first) = data.first() else {
        return;
    };
    let kind = if first & 1 == 0 {
        Kind::Vault
    } else {
        Kind::Share
    };
    let max_lines = usize::from(first >> 1) % 40 + 1;
    let t = match TextForm::encode(kind, data) {
        Ok(t) => t,
        Err(_) => return,
    };
    let line_count = t.header().line_count;
    let mut chunks: Vec<String> = t
        .qr_chunks(max_lines)
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        chunks.len(),
        line_count.div_ceil(max_lines),
        "not the fewest parts"
    );
    let mut lines_seen = 0;
    for c in &chunks {
        let words = c.split(' ').count() - 1;
        assert!((1..=max_lines).contains(&words), "a part of {words} lines");
        lines_seen += words;
    }
    assert_eq!(lines_seen, line_count);
    let mut rng = XorShift::new(data);
    for i in (1..chunks.len()).rev() {
        chunks.swap(i, rng.below(i + 1));
    }
    let mut parts = Vec::new();
    for c in &chunks {
        let b = text::parse_blocks(c).expect("a chunk parses");
        assert_eq!(b.len(), 1);
        assert_eq!(&b[0].header, t.header());
        parts.extend(b);
    }
    let merged = text::merge_blocks(parts).expect("chunks merge");
    assert_eq!(merged.len(), 1);
    assert_eq!(
        merged[0].decode().expect("reassembled").expose_secret(),
        data
    );
    // All chunks as rows of one text.
    let joined = chunks.join("\n");
    let all = text::parse_blocks(&joined).expect("joined chunks parse");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].decode().expect("joined").expose_secret(), data);
}

/// The fixed vault the envelope target mutates: 2 of 3, no passphrase (so opening is cheap).
pub struct Fixed {
    pub contents: VaultContents,
    pub sealed: Sealed,
    pub envelope: Vec<u8>,
}

pub static FIXED: LazyLock<Fixed> = LazyLock::new(|| {
    use rand::SeedableRng;
    // The sample's first account, its FIDO2 PIN and its note, in that order: the corpus was
    // grown from this envelope, so it stays byte for byte what it was.
    let sample = testkit::contents().entries;
    let contents = VaultContents {
        entries: [0, 2, 4].map(|i| sample[i].clone()).to_vec(),
    };
    let plan = SealParams {
        vault_id: Some(VaultId::from([0x42; 16])),
        ..testkit::params(2, 3)
    };
    let secret = VaultSecret::from_bytes([0x5a; 32]);
    let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(0xb9_1a55);
    let sealed = seal::seal_with_secret(&plan, &contents, &secret, &mut rng).expect("seals");
    let envelope = sealed.vault.to_bytes();
    Fixed {
        contents,
        sealed,
        envelope,
    }
});

fn fixed_shares(f: &Fixed) -> Vec<Sourced<Share>> {
    f.sealed
        .shares
        .iter()
        .map(|s| Sourced::new(format!("share {}", s.index()), s.clone()))
        .collect()
}

/// Vault envelope bytes: canonical parsing, then recovery with the fixed vault's shares. The
/// header is authenticated, so the mutated envelope may open only if it is the original; with
/// the original copy beside it, recovery must still succeed.
pub fn vault_envelope(data: &[u8]) {
    let Ok(v) = Vault::from_bytes(data) else {
        return;
    };
    assert_eq!(v.to_bytes(), data, "non-canonical vault accepted");
    check_vault(&v);

    let f = &*FIXED;
    let alone = recover::match_shares(fixed_shares(f), vec![Sourced::new("fuzzed", v.clone())])
        .and_then(|set| set.open(None));
    if let Ok(r) = alone {
        assert_eq!(data, &f.envelope[..], "BUG: an altered vault opened");
        assert_eq!(r.contents, f.contents);
    }

    // Whatever the fuzzed copy claims (another vault, a newer generation, a KDF), the
    // original copy beside it opens and the fuzzed one is named (FORMAT.md §7).
    let original = f.sealed.vault.clone();
    let r = recover::match_shares(
        fixed_shares(f),
        vec![
            Sourced::new("fuzzed", v.clone()),
            Sourced::new("original", original.clone()),
        ],
    )
    .and_then(|set| set.open(None))
    .expect("the original copy beside a fuzzed one opens");
    assert_eq!(r.contents, f.contents);
    assert_eq!(r.header, original.header);
    if v != original {
        assert!(r.rejected.iter().any(|x| x.source == "fuzzed"));
    }
}

/// Multi-input recovery: k honest sheets of the fixed vault among forged and fuzzed inputs.
///
/// The input is a list of operations; each adds one input, before or after the honest
/// sheets: raw vault envelope bytes, raw share bytes, or an honest envelope or share with one
/// byte changed. Recovery must always open the fixed vault with honest shares only, name every
/// added input that is not an honest one, and never be asked to run a KDF (no passphrase is
/// given, so a forged Argon2id copy must be skipped, not stretched).
pub fn recover_inputs(data: &[u8]) {
    let f = &*FIXED;
    let honest = &f.sealed;
    let n = honest.shares.len();
    let k = usize::from(honest.vault.header.threshold);
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    let mut front: Vec<(Option<Share>, Option<Vault>)> = Vec::new();
    let mut back: Vec<(Option<Share>, Option<Vault>)> = Vec::new();
    let take = |rest: &mut &[u8], len: usize| -> Vec<u8> {
        let len = len.min(rest.len());
        let (a, b) = rest.split_at(len);
        *rest = b;
        a.to_vec()
    };
    let mut ops = 0;
    while let Some((&tag, r)) = rest.split_first() {
        rest = r;
        ops += 1;
        if ops > 16 {
            break;
        }
        let arg = take(&mut rest, 3);
        let (a, b, c) = (
            arg.first().copied().unwrap_or(0),
            arg.get(1).copied().unwrap_or(0),
            arg.get(2).copied().unwrap_or(1),
        );
        let item = match tag % 4 {
            0 => {
                let bytes = take(&mut rest, usize::from(u16::from_le_bytes([a, b])));
                (None, Vault::from_bytes(&bytes).ok())
            }
            1 => {
                let bytes = take(&mut rest, usize::from(a));
                (Share::from_bytes(&bytes).ok(), None)
            }
            2 => {
                let mut bytes = f.envelope.clone();
                let at = usize::from(u16::from_le_bytes([a, b])) % bytes.len();
                bytes[at] ^= c.max(1);
                (None, Vault::from_bytes(&bytes).ok())
            }
            _ => {
                let s = &honest.shares[usize::from(a) % n];
                let mut bytes = s.to_bytes().expose_secret().to_vec();
                let at = usize::from(b) % bytes.len();
                bytes[at] ^= c.max(1);
                (Share::from_bytes(&bytes).ok(), None)
            }
        };
        if tag & 4 == 0 {
            front.push(item);
        } else {
            back.push(item);
        }
    }
    let mut shares = Vec::new();
    let mut vaults = Vec::new();
    let mut forged = Vec::new();
    let mut honest_share_names = Vec::new();
    let is_honest_share = |s: &Share| {
        honest
            .shares
            .iter()
            .any(|h| h.to_bytes().expose_secret() == s.to_bytes().expose_secret())
    };
    let mut add = |name: String, (s, v): (Option<Share>, Option<Vault>)| {
        let mut distrusted = false;
        if let Some(s) = s {
            if is_honest_share(&s) {
                honest_share_names.push(name.clone());
            } else {
                distrusted = true;
            }
            shares.push(Sourced::new(name.clone(), s));
        }
        if let Some(v) = v {
            distrusted |= v != honest.vault;
            vaults.push(Sourced::new(name.clone(), v));
        }
        if distrusted {
            forged.push(name);
        }
    };
    for (i, item) in front.into_iter().enumerate() {
        add(format!("front {i}"), item);
    }
    for j in 0..k {
        let s = &honest.shares[(usize::from(first) + j) % n];
        add(
            format!("honest {}", s.index()),
            (Some(s.clone()), Some(honest.vault.clone())),
        );
    }
    for (i, item) in back.into_iter().enumerate() {
        add(format!("back {i}"), item);
    }
    struct NoKdf;
    impl recover::Unlock for NoKdf {
        fn passphrase(&mut self, _: &str) -> Option<&breakglass_core::secret::Passphrase> {
            None
        }
        fn given(&self) -> bool {
            false
        }
        fn approve(&mut self, _: &str, _: &breakglass_core::kdf::KdfParams, _: bool) -> bool {
            panic!("a KDF was about to run for a forged copy")
        }
    }
    let r = recover::match_shares(shares, vaults)
        .and_then(|set| set.open_asking(&mut NoKdf))
        .expect("k honest sheets open whatever else is given");
    assert_eq!(r.contents, f.contents);
    assert_eq!(r.header, honest.vault.header);
    // An honest share given a second time may be used; nothing else is.
    assert!(
        r.used.iter().all(|u| honest_share_names.contains(u)),
        "{:?}",
        r.used
    );
    for name in &forged {
        assert!(
            r.rejected.iter().any(|x| &x.source == name),
            "{name} was not named: {:?}",
            r.rejected
        );
    }
}

/// The ceremony plan: parse and validate must never panic.
pub fn plan_file(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let Ok(p) = Plan::parse(&input) else {
        return;
    };
    let _ = p.validate();
    let _ = p.domain();
    for a in &p.accounts {
        let _ = p.upn(a);
    }
    let _ = p.labels();
    let _ = p.password_policy().validate();
    let placement = p.placement();
    let _ = placement.findings();
    let _ = placement.report();
    let _ = placement.refused();
}

/// Typed input, as `breakglass recover` reads it at the prompt: a header line, then lines
/// (the expected line number is added when it was left out), then decode.
pub fn typed_line(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let mut rows = input.lines();
    let Some(first) = rows.next() else {
        return;
    };
    let Ok(h) = Header::parse(first.trim()) else {
        return;
    };
    assert_eq!(Header::parse(&h.render()).as_ref(), Ok(&h));
    let width = h.number_width();
    let mut block = Block::new(h.clone());
    for row in rows {
        let line = row.trim();
        // Every line the parser accepts is the canonical line for its number and data.
        if let Ok((n, d)) = h.parse_line(line) {
            let mut canonical = format!("{n:0width$}").into_bytes();
            canonical.extend_from_slice(&d);
            let check = text::check_char(&canonical);
            canonical.push(check);
            let canonical = String::from_utf8(canonical).expect("ASCII");
            assert_eq!(h.parse_line(&canonical), Ok((n, d)));
        }
        if line.is_empty() || block.is_complete() {
            continue;
        }
        let next = block.missing()[0];
        let number = format!("{next:0width$}");
        let with_number = if line.starts_with(&number) {
            line.to_string()
        } else {
            format!("{number}{line}")
        };
        let _ = block.add_line(&with_number);
    }
    assert_eq!(block.is_complete(), block.missing().is_empty());
    check_block(&block);
    if let Ok(d) = document::decode_blocks(vec![block]) {
        check_decoded(&d);
    }
}

/// Vault contents (the plaintext): canonical only.
pub fn contents(data: &[u8]) {
    let Ok(c) = VaultContents::from_bytes(&SecretBytes::new(data.to_vec())) else {
        return;
    };
    let again = c.to_bytes().expect("parsed contents re-encode");
    assert_eq!(
        again.expose_secret(),
        data,
        "non-canonical contents accepted"
    );
    for e in &c.entries {
        let _ = e.title();
    }
}

/// A harness body.
pub type Target = fn(&[u8]);

/// Every target, by name (for the corpus replay).
pub const TARGETS: &[(&str, Target)] = &[
    ("share_text", share_text),
    ("vault_text", vault_text),
    ("qr_chunks", qr_chunks),
    ("vault_envelope", vault_envelope),
    ("plan_file", plan_file),
    ("typed_line", typed_line),
    ("contents", contents),
    ("recover_inputs", recover_inputs),
];
