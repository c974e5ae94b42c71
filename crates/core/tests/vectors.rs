//! Golden vectors in `tests/vectors/`: each file states what must happen when it is read.
//!
//! Released vectors are frozen: old paper must keep decoding. `generate_missing_vectors`
//! (ignored) writes vectors that do not exist yet and never touches existing ones;
//! `positive_vectors_are_reproduced` pins the encoder (fixed secret and RNG → fixed text).

use breakglass_core::ErrorKind;
use breakglass_core::contents::{Entry, VaultContents};
use breakglass_core::recover::{self, Sourced};
use breakglass_core::seal::{SealParams, Sealed, seal_with_secret};
use breakglass_core::secret::{Passphrase, SecretString, VaultSecret};
use breakglass_core::share::Share;
use breakglass_core::testkit::{self, PASSPHRASE, contents};
use breakglass_core::text::{self, Block, Kind, TextForm};
use breakglass_core::vault::{ShareLabel, Vault};
use breakglass_core::vault_id::VaultId;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use std::path::{Path, PathBuf};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors");

/// An `entry` row (FORMAT.md §9): a field's backslash is written `\\` and its newline `\n`.
fn entry_line(e: &Entry) -> String {
    let esc = |f: &str| f.replace('\\', "\\\\").replace('\n', "\\n");
    match e {
        Entry::Account {
            upn,
            display_name,
            password,
        } => format!(
            "account | {} | {} | {}",
            esc(upn),
            esc(display_name),
            esc(password.expose_secret())
        ),
        Entry::Fido2 { label, pin } => {
            format!("fido2 | {} | {}", esc(label), esc(pin.expose_secret()))
        }
        Entry::Totp { label, uri } => {
            format!("totp | {} | {}", esc(label), esc(uri.expose_secret()))
        }
        Entry::Note { label, text } => {
            format!("note | {} | {}", esc(label), esc(text.expose_secret()))
        }
    }
}

/// The kit's sample parameters; the second sheet names its custodian, so vectors carry both a
/// named and an empty one.
fn plan(k: u8, n: usize, passphrase: bool, generation: u32, id: Option<VaultId>) -> SealParams {
    let mut p = SealParams {
        vault_id: id,
        generation,
        ..testkit::params(k, n)
    };
    p.labels[1].custodian = "Jane Doe".into();
    if passphrase {
        testkit::with_passphrase(p)
    } else {
        p
    }
}

fn sealed(seed: u64, k: u8, n: usize, passphrase: bool) -> Sealed {
    sealed_gen(seed, k, n, passphrase, 1, None)
}

fn secret_for(seed: u64) -> VaultSecret {
    VaultSecret::from_bytes(core::array::from_fn(|i| {
        (seed as u8).wrapping_mul(31).wrapping_add(i as u8)
    }))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sealed_gen(
    seed: u64,
    k: u8,
    n: usize,
    pass: bool,
    generation: u32,
    id: Option<VaultId>,
) -> Sealed {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let secret = secret_for(seed);
    seal_with_secret(
        &plan(k, n, pass, generation, id),
        &contents(),
        &secret,
        &mut rng,
    )
    .unwrap()
}

fn block(kind: Kind, bytes: &[u8]) -> String {
    TextForm::encode(kind, bytes)
        .unwrap()
        .display_lines()
        .iter()
        .map(|l| format!("{}\n", l.as_str()))
        .collect()
}

fn share_block(s: &Share) -> String {
    block(Kind::Share, s.to_bytes().expose_secret())
}

fn vault_block(v: &Vault) -> String {
    block(Kind::Vault, &v.to_bytes())
}

struct Vector {
    /// Seed of the sealed vault an `ok` vector opens (its secret and key go in the header).
    seed: Option<u64>,
    name: &'static str,
    expect: String,
    passphrase: bool,
    comment: &'static str,
    body: String,
    /// Multi-input vectors: `input name: Kind` of every input (or part) left out.
    dropped: Vec<String>,
    /// What the vault holds, when not the kit's sample contents.
    contents: Option<VaultContents>,
    /// `# rejected:` rows (FORMAT.md §9): the sources `recover --json` lists as rejected;
    /// `Some(empty)` writes `(none)`. Released vectors have none.
    rejected: Option<Vec<String>>,
}

/// Written as the byte 0xFC (Latin-1 ü, not UTF-8) when a vector file is written: vector
/// bodies are strings, and a few vectors are not UTF-8 on purpose (FORMAT.md §6.5).
const NOT_UTF8: char = '\u{E000}';

fn to_file_bytes(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c == NOT_UTF8 {
            out.push(0xFC);
        } else {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
    }
    out
}

/// A vector file as its readers read it: bytes that are not UTF-8 become U+FFFD (§6.5).
fn read_vector_file(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

fn ok(
    seed: u64,
    name: &'static str,
    passphrase: bool,
    comment: &'static str,
    body: String,
) -> Vector {
    Vector {
        seed: Some(seed),
        name,
        expect: "ok".into(),
        passphrase,
        comment,
        body,
        dropped: Vec::new(),
        contents: None,
        rejected: None,
    }
}

fn err(
    name: &'static str,
    kind: &str,
    passphrase: bool,
    comment: &'static str,
    body: String,
) -> Vector {
    Vector {
        seed: None,
        name,
        expect: format!("error {kind}"),
        passphrase,
        comment,
        body,
        dropped: Vec::new(),
        contents: None,
        rejected: None,
    }
}

/// Replaces the first line starting with `prefix` in a text block.
fn edit_line(text: &str, prefix: &str, f: impl Fn(&str) -> String) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            if !done && l.starts_with(prefix) {
                done = true;
                f(l)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Recomputes a display line's check character after editing its data.
fn recheck(line: &str) -> String {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    let body = &compact[..compact.len() - 1];
    let c = breakglass_core::text::check_char(body.as_bytes()) as char;
    format!(
        "{}  {}  {c}",
        &body[..2],
        body.as_bytes()[2..]
            .chunks(4)
            .map(|g| std::str::from_utf8(g).unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    )
}

fn all_vectors() -> Vec<Vector> {
    let a = sealed(1, 2, 3, false);
    let p = sealed(2, 2, 3, true);
    let c = sealed(3, 3, 5, false);
    let other = sealed(4, 2, 3, false);
    let g2 = sealed_gen(5, 2, 3, false, 2, Some(a.vault.header.vault_id));
    let s = |x: &Sealed, i: usize| share_block(&x.shares[i]);
    let v = |x: &Sealed| vault_block(&x.vault);
    let sb = |x: &Sealed, i: usize| x.shares[i].to_bytes().expose_secret().to_vec();
    let vb = |x: &Sealed| x.vault.to_bytes();
    let with_share_byte = |i: usize, val: u8| {
        let mut b = sb(&a, 0);
        b[i] = val;
        block(Kind::Share, &b) + &s(&a, 1) + &v(&a)
    };
    let with_vault = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = vb(&a);
        f(&mut b);
        s(&a, 0) + &s(&a, 1) + &block(Kind::Vault, &b)
    };
    let qr: String = c
        .shares
        .iter()
        .take(3)
        .map(|sh| {
            TextForm::encode(Kind::Share, sh.to_bytes().expose_secret())
                .unwrap()
                .to_qr()
                .to_string()
                + "\n"
        })
        .collect::<String>();
    let vault_qr = TextForm::encode(Kind::Vault, &vb(&c))
        .unwrap()
        .qr_chunks(20);
    let mut ciphertext_at = vb(&a).len() - a.vault.ciphertext.len();
    ciphertext_at += 3;
    let mut v = vec![
        ok(
            1,
            "ok-2of3-plain",
            false,
            "2 of 3, no passphrase, all three shares and the vault",
            s(&a, 0) + &s(&a, 1) + &s(&a, 2) + &v(&a),
        ),
        ok(
            1,
            "ok-2of3-two-shares",
            false,
            "2 of 3: shares 3 and 1 in that order",
            s(&a, 2) + &s(&a, 0) + &v(&a),
        ),
        ok(
            2,
            "ok-2of3-passphrase",
            true,
            "2 of 3 with an Argon2id passphrase (8 MiB, 1 pass)",
            s(&p, 0) + &s(&p, 2) + &v(&p),
        ),
        ok(
            3,
            "ok-3of5-qr-form",
            false,
            "3 of 5 in the one-line QR form, vault in QR parts in reverse order",
            qr + &vault_qr
                .iter()
                .rev()
                .map(|q| q.to_string() + "\n")
                .collect::<String>(),
        ),
        ok(
            1,
            "ok-lowercase-lookalikes",
            false,
            "typed in lower case with o for 0 and l for 1, no spaces",
            (s(&a, 0) + &s(&a, 1) + &v(&a))
                .to_lowercase()
                .replace('0', "o")
                .replace('1', "l")
                .replace(' ', ""),
        ),
        ok(
            5,
            "ok-retired-share-ignored",
            false,
            "a generation-1 share next to two generation-2 shares: recovers generation 2",
            s(&a, 0) + &s(&g2, 1) + &s(&g2, 2) + &vault_block(&g2.vault),
        ),
        err(
            "text-no-header",
            "Text/NoHeader",
            false,
            "no BG1 header at all",
            "01  ABCD EFGH\n".into(),
        ),
        err(
            "text-newer-version",
            "Text/NewerVersion",
            false,
            "header says BG2",
            (s(&a, 0) + &s(&a, 1) + &v(&a)).replacen("BG1-S", "BG2-S", 1),
        ),
        err(
            "text-bad-header-kind",
            "Text/BadHeader",
            false,
            "kind letter X",
            (s(&a, 0) + &s(&a, 1) + &v(&a)).replacen("BG1-S", "BG1-X", 1),
        ),
        err(
            "text-bad-header-checksum-length",
            "Text/BadHeader",
            false,
            "header checksum one character short",
            edit_line(&s(&a, 0), "BG1-S", |l| l[..l.len() - 1].to_string()) + &s(&a, 1) + &v(&a),
        ),
        err(
            "text-header-checksum-mismatch",
            "Text/Checksum",
            false,
            "header checksum of another payload",
            {
                let other_header = s(&other, 0).lines().next().unwrap().to_string();
                edit_line(&s(&a, 0), "BG1-S", |_| other_header.clone()) + &s(&a, 1) + &v(&a)
            },
        ),
        err(
            "text-line-typo",
            "Text/LineCheck",
            false,
            "one character of share line 2 changed",
            edit_line(&s(&a, 0), "02", |l| {
                let mut c: Vec<char> = l.chars().collect();
                c[5] = if c[5] == 'A' { 'B' } else { 'A' };
                c.into_iter().collect()
            }) + &s(&a, 1)
                + &v(&a),
        ),
        err(
            "text-check-character-typo",
            "Text/CheckCharacterTypo",
            false,
            "the check character of share line 1 changed",
            edit_line(&s(&a, 0), "01", |l| {
                let mut c: Vec<char> = l.chars().collect();
                let n = c.len() - 1;
                c[n] = if c[n] == 'A' { 'B' } else { 'A' };
                c.into_iter().collect()
            }) + &s(&a, 1)
                + &v(&a),
        ),
        err(
            "text-neighbour-swap",
            "Text/LineCheck",
            false,
            "two neighbouring characters of share line 3 swapped",
            edit_line(&s(&a, 0), "03", |l| {
                let mut c: Vec<char> = l.chars().collect();
                let (x, y) = (4..28)
                    .map(|i| (i, i + 1))
                    .find(|&(i, j)| c[i] != c[j] && c[i] != ' ' && c[j] != ' ')
                    .unwrap();
                c.swap(x, y);
                c.into_iter().collect()
            }) + &s(&a, 1)
                + &v(&a),
        ),
        err(
            "text-missing-line",
            "Text/MissingLines",
            false,
            "share line 4 left out",
            edit_line(&s(&a, 0), "04", |_| String::new()) + &s(&a, 1) + &v(&a),
        ),
        err(
            "text-truncated-vault",
            "Text/MissingLines",
            false,
            "the vault's last lines are missing",
            s(&a, 0)
                + &s(&a, 1)
                + &v(&a)
                    .lines()
                    .take(10)
                    .map(|l| format!("{l}\n"))
                    .collect::<String>(),
        ),
        err(
            "text-line-out-of-range",
            "Text/LineOutOfRange",
            false,
            "a share line numbered 09 of 5",
            s(&a, 0).replacen("\n05", "\n09", 1) + &s(&a, 1) + &v(&a),
        ),
        err(
            "text-bad-character",
            "Text/BadCharacter",
            false,
            "a U (never used) in share line 1",
            edit_line(&s(&a, 0), "01", |l| {
                let mut c: Vec<char> = l.chars().collect();
                c[4] = 'U';
                c.into_iter().collect()
            }) + &s(&a, 1)
                + &v(&a),
        ),
        err(
            "text-bad-line-length",
            "Text/BadLineLength",
            false,
            "share line 2 has one character too many",
            edit_line(&s(&a, 0), "02", |l| {
                recheck(&format!("{}A{}", &l[..8], &l[8..]))
            }) + &s(&a, 1)
                + &v(&a),
        ),
        err(
            "text-conflicting-line",
            "Text/ConflictingLine",
            false,
            "the same vault line twice with different data (both with good check characters)",
            {
                let vb = v(&a);
                let l2 = vb.lines().nth(2).unwrap().to_string();
                let alt = recheck(&l2.replacen(
                    &l2[4..8],
                    if &l2[4..8] == "AAAA" { "BBBB" } else { "AAAA" },
                    1,
                ));
                s(&a, 0) + &s(&a, 1) + &vb + &alt + "\n"
            },
        ),
        err(
            "text-non-canonical",
            "Text/NonCanonical",
            false,
            "last share line ends with non-zero padding bits",
            edit_line(&s(&a, 0), "05", |l| {
                let compact: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                let data = &compact[2..compact.len() - 1];
                let last = data.chars().last().unwrap();
                let pos = breakglass_core::text::ALPHABET
                    .iter()
                    .position(|&x| x as char == last)
                    .unwrap();
                let bumped = breakglass_core::text::ALPHABET[pos ^ 1] as char;
                recheck(&format!("05{}{}X", &data[..data.len() - 1], bumped))
            }) + &s(&a, 1)
                + &v(&a),
        ),
        err(
            "share-newer-version",
            "Share/NewerVersion",
            false,
            "share format byte 2",
            with_share_byte(0, 2),
        ),
        err(
            "share-version-zero",
            "Share/BadVersion",
            false,
            "share format byte 0",
            with_share_byte(0, 0),
        ),
        err("share-too-long", "Share/BadLength", false, "57 bytes", {
            let mut b = sb(&a, 0);
            b.push(0);
            block(Kind::Share, &b) + &s(&a, 1) + &v(&a)
        }),
        err("share-too-short", "Share/BadLength", false, "55 bytes", {
            let b = sb(&a, 0);
            block(Kind::Share, &b[..55]) + &s(&a, 1) + &v(&a)
        }),
        err(
            "share-threshold-one",
            "Share/BadThreshold",
            false,
            "k = 1",
            with_share_byte(21, 1),
        ),
        err(
            "share-threshold-above-count",
            "Share/BadThreshold",
            false,
            "k = 4 > n = 3",
            with_share_byte(21, 4),
        ),
        err(
            "share-index-zero",
            "Share/BadIndex",
            false,
            "x = 0 would be the secret itself",
            with_share_byte(23, 0),
        ),
        err(
            "share-index-above-count",
            "Share/BadIndex",
            false,
            "x = 4 of 3",
            with_share_byte(23, 4),
        ),
        err(
            "vault-newer-version",
            "Vault/NewerVersion",
            false,
            "vault format byte 2",
            with_vault(&|b| b[0] = 2),
        ),
        err(
            "vault-version-zero",
            "Vault/BadVersion",
            false,
            "vault format byte 0",
            with_vault(&|b| b[0] = 0),
        ),
        err(
            "vault-truncated-header",
            "Vault/Truncated",
            false,
            "only the first 30 bytes",
            with_vault(&|b| b.truncate(30)),
        ),
        err(
            "vault-truncated-ciphertext",
            "Vault/Truncated",
            false,
            "last ciphertext byte missing",
            with_vault(&|b| {
                b.pop();
            }),
        ),
        err(
            "vault-trailing-bytes",
            "Vault/TrailingBytes",
            false,
            "one byte after the ciphertext",
            with_vault(&|b| b.push(0)),
        ),
        err(
            "vault-threshold-above-count",
            "Vault/BadThreshold",
            false,
            "k = 4 of 3 in the header",
            with_vault(&|b| b[31] = 4),
        ),
        err(
            "vault-threshold-one",
            "Vault/BadThreshold",
            false,
            "k = 1 in the header",
            with_vault(&|b| b[31] = 1),
        ),
        err(
            "vault-unknown-kdf",
            "Vault/UnknownKdf",
            false,
            "key-derivation id 7",
            with_vault(&|b| b[33] = 7),
        ),
        err(
            "vault-kdf-memory-above-cap",
            "Vault/Kdf/TooExpensive",
            true,
            "Argon2id memory 4 GiB + 1 KiB",
            {
                let mut b = vb(&p);
                b[34..38].copy_from_slice(&(4 * 1024 * 1024u32 + 1).to_be_bytes());
                s(&p, 0) + &s(&p, 1) + &block(Kind::Vault, &b)
            },
        ),
        err(
            "vault-kdf-memory-below-floor",
            "Vault/Kdf/TooWeak",
            true,
            "Argon2id memory 64 KiB",
            {
                let mut b = vb(&p);
                b[34..38].copy_from_slice(&64u32.to_be_bytes());
                s(&p, 0) + &s(&p, 1) + &block(Kind::Vault, &b)
            },
        ),
        err(
            "vault-kdf-iterations-above-cap",
            "Vault/Kdf/TooExpensive",
            true,
            "Argon2id 65 passes",
            {
                let mut b = vb(&p);
                b[38..42].copy_from_slice(&65u32.to_be_bytes());
                s(&p, 0) + &s(&p, 1) + &block(Kind::Vault, &b)
            },
        ),
        err(
            "vault-kdf-parallelism-zero",
            "Vault/Kdf/TooWeak",
            true,
            "Argon2id parallelism 0",
            {
                let mut b = vb(&p);
                b[42..46].copy_from_slice(&0u32.to_be_bytes());
                s(&p, 0) + &s(&p, 1) + &block(Kind::Vault, &b)
            },
        ),
        err(
            "vault-label-control-character",
            "Vault/BadLabel",
            false,
            "an escape character in the tenant label",
            {
                let mut b = vb(&a);
                let at = 34 + 3 * 16 + 1;
                b[at] = 0x1b;
                s(&a, 0) + &s(&a, 1) + &block(Kind::Vault, &b)
            },
        ),
        err(
            "vault-label-not-utf8",
            "Vault/BadLabel",
            false,
            "a lone 0xFF byte in the tenant label",
            {
                let mut b = vb(&a);
                let at = 34 + 3 * 16 + 1;
                b[at] = 0xff;
                s(&a, 0) + &s(&a, 1) + &block(Kind::Vault, &b)
            },
        ),
        err(
            "vault-ciphertext-shorter-than-tag",
            "Vault/CiphertextTooShort",
            false,
            "ciphertext length field 15",
            {
                let mut b = vb(&a);
                let at = b.len() - a.vault.ciphertext.len() - 2;
                b[at..at + 2].copy_from_slice(&15u16.to_be_bytes());
                b.truncate(at + 2 + 15);
                s(&a, 0) + &s(&a, 1) + &block(Kind::Vault, &b)
            },
        ),
        err(
            "recover-no-vault",
            "Recover/NoVault",
            false,
            "two shares, no vault text",
            s(&a, 0) + &s(&a, 1),
        ),
        err(
            "recover-no-share",
            "Recover/NoShares",
            false,
            "vault text only",
            v(&a),
        ),
        err(
            "recover-not-enough",
            "Recover/NotEnoughShares",
            false,
            "one share of a 2-of-3 vault",
            s(&a, 0) + &v(&a),
        ),
        err(
            "recover-duplicate",
            "Recover/NotEnoughShares",
            false,
            "share 1 twice",
            s(&a, 0) + &s(&a, 0).replace("BG1", "bg1") + &v(&a),
        ),
        err(
            "recover-mixed-vaults",
            "Recover/MixedVaults",
            false,
            "shares of two vaults",
            s(&a, 0) + &s(&other, 1) + &v(&a),
        ),
        err(
            "recover-retired-generation",
            "Recover/NotEnoughShares",
            false,
            "a generation-1 share with a generation-2 share and vault",
            s(&a, 0) + &s(&g2, 1) + &vault_block(&g2.vault),
        ),
        err(
            "recover-commitment-mismatch",
            "Recover/NotEnoughShares",
            false,
            "share 1 altered in its value (text checksums recomputed)",
            {
                let mut b = sb(&a, 0);
                b[40] ^= 0x20;
                block(Kind::Share, &b) + &s(&a, 1) + &v(&a)
            },
        ),
        err(
            "recover-tampered-ciphertext",
            "Recover/Altered",
            false,
            "one ciphertext bit flipped",
            with_vault(&|b| {
                let n = b.len();
                b[n - 20] ^= 1;
            }),
        ),
        err(
            "recover-tampered-nonce",
            "Recover/Altered",
            false,
            "one nonce bit flipped",
            with_vault(&|b| {
                let n = b.len() - a.vault.ciphertext.len() - 2 - 24;
                b[n] ^= 1;
            }),
        ),
        err(
            "recover-tampered-header",
            "Recover/Altered",
            false,
            "the drill interval changed (header is authenticated)",
            with_vault(&|b| b[30] ^= 1),
        ),
        err(
            "recover-tampered-tag",
            "Recover/Altered",
            false,
            "last tag byte flipped",
            with_vault(&|b| {
                let n = b.len();
                b[n - 1] ^= 0x80;
            }),
        ),
        err(
            "recover-passphrase-required",
            "Recover/PassphraseRequired",
            false,
            "a passphrase vault read without one",
            s(&p, 0) + &s(&p, 1) + &v(&p),
        ),
        err(
            "recover-passphrase-not-used",
            "Recover/PassphraseNotUsed",
            true,
            "a passphrase given for a vault without one",
            s(&a, 0) + &s(&a, 1) + &v(&a),
        ),
        err(
            "recover-wrong-passphrase",
            "Recover/WrongPassphraseOrAltered",
            true,
            "the vault of ok-2of3-passphrase with the header's salt changed",
            {
                let mut b = vb(&p);
                b[46] ^= 1;
                s(&p, 0) + &s(&p, 1) + &block(Kind::Vault, &b)
            },
        ),
    ];
    let _ = &mut ciphertext_at;
    v.extend(length_class_vectors(&a, &p));
    v.extend(silent_corner_vectors(&a, &p));
    v.extend(multi_input_vectors(&a));
    v.extend(outcome_vectors(&a, &other));
    v.extend(multi_file_vectors(&a));
    v.sort_by_key(|x| x.name);
    v
}

/// A vector of several inputs: `(name, text)` each, and the inputs expected to be left out.
fn multi(
    seed: Option<u64>,
    name: &'static str,
    expect: &str,
    comment: &'static str,
    inputs: &[(&str, String)],
    dropped: &[&str],
) -> Vector {
    Vector {
        seed,
        name,
        expect: expect.into(),
        passphrase: false,
        comment,
        body: inputs
            .iter()
            .map(|(n, t)| format!("# input: {n}\n{t}"))
            .collect(),
        dropped: dropped.iter().map(|d| d.to_string()).collect(),
        contents: None,
        rejected: None,
    }
}

/// Changes one data character of the display line starting with `prefix`; the check
/// character then fails.
fn typo(text: &str, prefix: &str) -> String {
    edit_line(text, prefix, |l| {
        let mut c: Vec<char> = l.chars().collect();
        c[5] = if c[5] == 'A' { 'B' } else { 'A' };
        c.into_iter().collect()
    })
}

/// Encrypts `plaintext` as the contents of `x`'s vault (seed 1, no passphrase).
fn with_contents(x: &Sealed, plaintext: &[u8]) -> String {
    share_block(&x.shares[0])
        + &share_block(&x.shares[1])
        + &vault_block(&resealed(x, 1, plaintext))
}

/// `x`'s vault (sealed from seed `seed`'s secret, no passphrase) with `plaintext` as its
/// contents: it authenticates, whatever the plaintext holds.
fn resealed(x: &Sealed, seed: u64, plaintext: &[u8]) -> Vault {
    let key = breakglass_core::aead::derive_key(
        &secret_for(seed),
        x.vault.header.vault_id.as_bytes(),
        None,
    );
    let ciphertext = breakglass_core::aead::encrypt(
        &key,
        &x.vault.nonce,
        &x.vault.header.to_bytes(),
        &breakglass_core::SecretBytes::new(plaintext.to_vec()),
    );
    Vault {
        header: x.vault.header.clone(),
        nonce: x.vault.nonce,
        ciphertext,
    }
}

/// One forged sheet against `a` (FORMAT.md §7.2 rule 4): a share 4 that was never issued, and
/// a copy of `a`'s vault listing the three honest commitments plus share 4's, with the
/// costliest Argon2id the format allows. Three shares check against it, two against the
/// honest copy; no secret is needed to make it.
fn forged_extra_share(a: &Sealed) -> String {
    let h = &a.vault.header;
    let share = Share::new(
        h.vault_id,
        h.generation,
        h.threshold,
        4,
        breakglass_core::shamir::SharePoint::new(4, [7; 32]),
    );
    let mut v = a.vault.clone();
    v.header.commitments.push(share.commitment());
    v.header.labels.push(ShareLabel {
        location: "Safe D".into(),
        custodian: String::new(),
    });
    v.header.passphrase = Some(breakglass_core::vault::PassphraseKdf {
        params: breakglass_core::kdf::KdfParams {
            memory_kib: breakglass_core::kdf::MAX_MEMORY_KIB,
            iterations: breakglass_core::kdf::MAX_ITERATIONS,
            parallelism: 1,
        },
        salt: [9; 16],
    });
    share_block(&share) + &vault_block(&v)
}

/// The rules FORMAT.md used to leave unstated (header forms, short rows, failed lines,
/// Argon2 order, contents errors).
fn silent_corner_vectors(a: &Sealed, p: &Sealed) -> Vec<Vector> {
    let s = |i: usize| share_block(&a.shares[i]);
    let v = vault_block(&a.vault);
    let base = s(0) + &s(1) + &v;
    let header0 = s(0).lines().next().unwrap().to_string();
    let sum0 = header0.rsplit('-').next().unwrap().to_string();
    let line = |text: &str, n: usize| text.lines().nth(n).unwrap().to_string();
    let mut out = vec![
        ok(
            1,
            "ok-header-forms",
            false,
            "headers written BG01 (leading zero in the text version), in 2 parts, in 3 parts and in 5 parts",
            s(0).replacen("BG1-S", "BG01-S", 1)
                + &s(1).replacen("BG1-S-5-", "BG1-S5", 1)
                + &v.replacen("BG1-V-47-", "BG1 V 47 ", 1)
                    .replacen("STCJZB8", "STC JZB8", 1),
        ),
        err(
            "text-version-zero",
            "Text/BadHeader",
            false,
            "header says BG0: version 0 is invalid everywhere",
            base.replacen("BG1-S", "BG0-S", 1),
        ),
        err(
            "text-header-four-parts-short-checksum",
            "Text/BadHeader",
            false,
            "four parts, the last only 3 characters (BG1-S5-JM3Q-PN8): parts are read as written",
            base.replacen(
                &header0,
                &format!("BG1-S5-{}-{}", &sum0[..4], &sum0[4..]),
                1,
            ),
        ),
        err(
            "text-header-line-count-leading-zero",
            "Text/BadHeader",
            false,
            "line count written 05",
            base.replacen("BG1-S-5-", "BG1-S-05-", 1),
        ),
        err(
            "text-qr-row-incomplete-header",
            "Text/BadHeader",
            false,
            "a QR-layout row whose first word is a header with a 6-character checksum: the whole row is read as one header",
            TextForm::encode(Kind::Share, a.shares[0].to_bytes().expose_secret())
                .unwrap()
                .to_qr()
                .replacen(&sum0, &sum0[..6], 1)
                + "\n"
                + &s(1)
                + &v,
        ),
        err(
            "text-short-row-number-only",
            "Text/BadLineLength",
            false,
            "a row 03 with nothing after the number",
            edit_line(&s(0), "03", |_| "03".into()) + &s(1) + &v,
        ),
        err(
            "text-short-row-one-character",
            "Text/BadLineLength",
            false,
            "a row 03A: a check character and no data",
            edit_line(&s(0), "03", |_| "03A".into()) + &s(1) + &v,
        ),
        err(
            "text-bad-character-in-check-position",
            "Text/CheckCharacterTypo",
            false,
            "a U in the check position of share line 2: the check character is named",
            edit_line(&s(0), "02", |l| format!("{}U", &l[..l.len() - 1])) + &s(1) + &v,
        ),
        err(
            "text-non-ascii-character",
            "Text/BadCharacter",
            false,
            "an accented E in share line 1, group 3: one character, not in the alphabet",
            edit_line(&s(0), "01", |l| {
                let mut c: Vec<char> = l.chars().collect();
                c[14] = '\u{c9}';
                c.into_iter().collect()
            }) + &s(1)
                + &v,
        ),
        ok(
            1,
            "ok-failed-line-retyped",
            false,
            "share line 2 with a typo, then typed again correctly: the good copy is used",
            typo(&s(0), "02") + &line(&s(0), 2) + "\n" + &s(1) + &v,
        ),
        err(
            "text-failed-line-retyped-other-missing",
            "Text/MissingLines",
            false,
            "share line 2 with a typo then correct, line 4 left out: line 4 is reported missing",
            edit_line(&typo(&s(0), "02"), "04", |_| line(&s(0), 2)) + &s(1) + &v,
        ),
        err(
            "text-two-failed-lines",
            "Text/LineCheck",
            false,
            "typos in share lines 2 and 4: the first failed line is named, without a group",
            typo(&typo(&s(0), "02"), "04") + &s(1) + &v,
        ),
        err(
            "text-failed-line-number-typo",
            "Text/MissingLines",
            false,
            "share line 2 written with the number 03 (so its check fails) and line 3 present: line 2 is missing",
            edit_line(&s(0), "02", |l| format!("03{}", &l[2..])) + &s(1) + &v,
        ),
        err(
            "text-failed-line-number-typo-alone",
            "Text/LineCheck",
            false,
            "share line 2 written with the number 03 and no line 3: two lines missing, the failed one is named",
            edit_line(&edit_line(&s(0), "03", |_| String::new()), "02", |l| {
                format!("03{}", &l[2..])
            }) + &s(1)
                + &v,
        ),
        err(
            "vault-truncated-in-version-not-writable",
            "Text/NonCanonical",
            false,
            "an envelope of 0 bytes cannot be written: one data character is no whole byte",
            s(0) + &s(1)
                + "BG1-V-1-0000000\n01  0  "
                + &[check_char_of("010")].iter().collect::<String>()
                + "\n",
        ),
        err(
            "vault-kdf-memory-above-cap-truncated-in-parallelism",
            "Vault/Truncated",
            true,
            "Argon2id memory above the cap, the envelope cut inside parallelism: the three are read before any is checked",
            {
                let mut b = p.vault.to_bytes();
                b[34..38].copy_from_slice(&(4 * 1024 * 1024u32 + 1).to_be_bytes());
                b.truncate(44);
                share_block(&p.shares[0]) + &share_block(&p.shares[1]) + &block(Kind::Vault, &b)
            },
        ),
        err(
            "vault-kdf-memory-below-floor-iterations-above-cap",
            "Vault/Kdf/TooWeak",
            true,
            "memory 64 KiB and 65 passes: memory is checked (cap, then floor) before iterations",
            {
                let mut b = p.vault.to_bytes();
                b[34..38].copy_from_slice(&64u32.to_be_bytes());
                b[38..42].copy_from_slice(&65u32.to_be_bytes());
                share_block(&p.shares[0]) + &share_block(&p.shares[1]) + &block(Kind::Vault, &b)
            },
        ),
    ];
    // An expanded set (§2): old shares say n = 3, the new share and vault copy n = 4.
    let opened = recover::match_shares(
        a.shares
            .iter()
            .map(|x| Sourced::new("old", x.clone()))
            .collect(),
        vec![Sourced::new("old", a.vault.clone())],
    )
    .unwrap()
    .open(None)
    .unwrap();
    let expanded = breakglass_core::seal::expand(
        &opened,
        ShareLabel {
            location: "Auditor".into(),
            custodian: String::new(),
        },
        None,
        &mut ChaCha20Rng::seed_from_u64(6),
    )
    .unwrap();
    out.push(ok(
        1,
        "ok-expanded-share",
        false,
        "old share 1 (n = 3) with the new share 4 (n = 4) and the new vault copy (n = 4)",
        s(0) + &share_block(&expanded.shares[0]) + &vault_block(&expanded.vault),
    ));
    out.push(err(
        "recover-expanded-share-old-vault",
        "Recover/NotEnoughShares",
        false,
        "old share 1 and the new share 4 with only the old vault copy: it has no commitment for share 4",
        s(0) + &share_block(&expanded.shares[0]) + &v,
    ));
    // Contents (§5), sealed under the key of `a`.
    let field = |b: &mut Vec<u8>, f: &[u8]| {
        b.extend_from_slice(&(f.len() as u16).to_be_bytes());
        b.extend_from_slice(f);
    };
    let note = |label: &[u8], text: &[u8]| {
        let mut b = vec![1, 0, 1, 4];
        field(&mut b, label);
        field(&mut b, text);
        b
    };
    let good = note(b"n", b"text");
    let mut too_long = vec![1, 0, 1, 4];
    field(&mut too_long, b"n");
    too_long.extend_from_slice(&8193u16.to_be_bytes());
    too_long.extend_from_slice(b"short");
    let contents_cases: [(&'static str, &str, &'static str, Vec<u8>); 9] = [
        (
            "contents-newer-version",
            "Recover/Contents/NewerVersion",
            "contents version byte 2",
            {
                let mut b = good.clone();
                b[0] = 2;
                b
            },
        ),
        (
            "contents-version-zero",
            "Recover/Contents/Malformed",
            "contents version byte 0",
            {
                let mut b = good.clone();
                b[0] = 0;
                b
            },
        ),
        (
            "contents-empty",
            "Recover/Contents/Empty",
            "entry count 0",
            vec![1, 0, 0],
        ),
        (
            "contents-unknown-entry",
            "Recover/Contents/UnknownEntry",
            "entry kind 5",
            {
                let mut b = good.clone();
                b[3] = 5;
                b
            },
        ),
        (
            "contents-field-too-long-before-truncation",
            "Recover/Contents/FieldTooLong",
            "a field length of 8193 with only 5 bytes after it: the length is checked before the bytes are taken",
            too_long,
        ),
        (
            "contents-truncated",
            "Recover/Contents/Malformed",
            "the note text one byte short",
            {
                let mut b = good.clone();
                b.pop();
                b
            },
        ),
        (
            "contents-trailing-bytes",
            "Recover/Contents/Malformed",
            "one byte after the last entry",
            {
                let mut b = good.clone();
                b.push(0);
                b
            },
        ),
        (
            "contents-not-utf8",
            "Recover/Contents/Malformed",
            "a 0xFF byte in a note label",
            note(b"\xff", b"text"),
        ),
        (
            "contents-truncated-in-count",
            "Recover/Contents/Malformed",
            "only the version byte and one count byte",
            vec![1, 0],
        ),
    ];
    for (name, kind, comment, plaintext) in contents_cases {
        out.push(err(
            name,
            kind,
            false,
            comment,
            with_contents(a, &plaintext),
        ));
    }
    out
}

fn check_char_of(number_and_data: &str) -> char {
    breakglass_core::text::check_char(number_and_data.as_bytes()) as char
}

/// Several inputs (files, scans, typed blocks) in one recovery: what is gathered across
/// inputs, and what is left out (FORMAT.md §7, §9).
fn multi_input_vectors(a: &Sealed) -> Vec<Vector> {
    let s = |i: usize| share_block(&a.shares[i]);
    let v = vault_block(&a.vault);
    let vlines: Vec<&str> = v.lines().collect();
    let first_half: String = vlines[..21].iter().map(|l| format!("{l}\n")).collect();
    let second_half: String = std::iter::once(vlines[0])
        .chain(vlines[21..].iter().copied())
        .map(|l| format!("{l}\n"))
        .collect();
    vec![
        multi(
            Some(1),
            "multi-vault-typo-and-good-sheet",
            "ok",
            "sheet 1 has a typo in vault line 10, sheet 2 is good: share 1 is still used",
            &[("sheet-1", s(0) + &typo(&v, "10")), ("sheet-2", s(1) + &v)],
            &[],
        ),
        multi(
            Some(1),
            "multi-vault-split-across-inputs",
            "ok",
            "the vault's lines 1-20 in one input and 21-47 in another, a share in each",
            &[
                ("part-1", s(0) + &first_half),
                ("part-2", s(2) + &second_half),
            ],
            &[],
        ),
        multi(
            Some(1),
            "multi-vault-typos-in-different-lines",
            "ok",
            "each sheet's vault has a typo in a different line: pooled, they are complete",
            &[
                ("sheet-1", s(0) + &typo(&v, "10")),
                ("sheet-2", s(1) + &typo(&v, "20")),
            ],
            &[],
        ),
        multi(
            None,
            "multi-vault-typo-in-the-same-line",
            "error Text/LineCheck",
            "both sheets' vaults have line 10 mistyped and no input has it right: the pooled vault reports it",
            &[
                ("sheet-1", s(0) + &typo(&v, "10")),
                ("sheet-2", s(1) + &typo(&v, "10")),
            ],
            &[],
        ),
        multi(
            Some(1),
            "multi-share-typo-vault-used",
            "ok",
            "sheet 1's share has a line typo: its share is left out, its vault copy is used; shares 2 and 3 come without a vault",
            &[
                ("sheet-1", typo(&s(0), "03") + &v),
                ("share-2", s(1)),
                ("share-3", s(2)),
            ],
            &["sheet-1: Text/LineCheck"],
        ),
        multi(
            None,
            "multi-share-missing-line",
            "error Recover/NotEnoughShares",
            "sheet 1's share lacks line 4: only that share is left out, and one share is not enough",
            &[
                ("sheet-1", edit_line(&s(0), "04", |_| String::new()) + &v),
                ("sheet-2", s(1) + &v),
            ],
            &["sheet-1: Text/MissingLines"],
        ),
        multi(
            Some(1),
            "multi-unreadable-input",
            "ok",
            "one input holds no breakglass text at all: it is left out and the others recover",
            &[
                ("notes.txt", "hello\n".into()),
                ("sheet-1", s(0) + &v),
                ("sheet-3", s(2) + &v),
            ],
            &["notes.txt: Text/NoHeader"],
        ),
        multi(
            Some(1),
            "multi-forged-newer-copy",
            "ok",
            "a third input is the vault text with its generation raised to 2, checksums recomputed (no secret needed): no share checks against it, so it retires nothing and is never tried (§7.2); the two honest sheets open",
            &[
                ("forged", {
                    let mut f = a.vault.clone();
                    f.header.generation = 2;
                    vault_block(&f)
                }),
                ("sheet-1", s(0) + &v),
                ("sheet-2", s(1) + &v),
            ],
            &[],
        ),
        multi(
            Some(1),
            "multi-forged-extra-share-costly-copy",
            "ok",
            "the first input is forged: a share 4 never issued and a vault copy listing the three honest commitments plus its own, asking for Argon2id at 4 GiB x 64. Three shares check against it and two against the honest copy, but the honest copy needs no key derivation and is tried first (§7.2 rule 4): no passphrase is asked for, the forged cost is never spent, and the honest sheets open",
            &[
                ("forged", forged_extra_share(a)),
                ("sheet-1", s(0) + &v),
                ("share-2", s(1)),
            ],
            &[],
        ),
        multi(
            None,
            "multi-newer-generation-unreadable",
            "error Recover/Contents/UnknownEntry",
            "generation 1's sheets and generation 2's (same vault id, its own secret) are both given; generation 2 authenticates but holds an entry of kind 5, which this version does not know: the outcome is that error (made by a newer breakglass), never generation 1's credentials in its place (§7.2 rule 8)",
            &[
                ("gen1-sheet-1", s(0) + &v),
                ("gen1-sheet-2", s(1) + &v),
                ("gen2-sheets", {
                    let g2 = sealed_gen(3, 2, 3, false, 2, Some(a.vault.header.vault_id));
                    let mut plain = contents().to_bytes().unwrap().expose_secret().to_vec();
                    plain[3] = 5;
                    share_block(&g2.shares[0])
                        + &share_block(&g2.shares[1])
                        + &vault_block(&resealed(&g2, 3, &plain))
                }),
            ],
            &[],
        ),
        multi(
            None,
            "multi-no-vault-complete",
            "error Text/MissingLines",
            "two shares and only the first half of the vault: the pooled vault's missing lines are the error",
            &[("part-1", s(0) + &first_half), ("share-2", s(1))],
            &[],
        ),
    ]
}

/// The outcomes FORMAT.md §6.5, §7.1 rule 6, §7.2 rule 2, §7.3 and §9 pin: bytes that are
/// not UTF-8 in a comment, a byte-order mark, an empty input, one warning per item left out,
/// a pooled copy as one candidate, what `rejected` lists, and the `entry` escapes.
fn outcome_vectors(a: &Sealed, other: &Sealed) -> Vec<Vector> {
    let s = |i: usize| share_block(&a.shares[i]);
    let v = vault_block(&a.vault);
    let vlines: Vec<&str> = v.lines().collect();
    let first_half: String = vlines[..21].iter().map(|l| format!("{l}\n")).collect();
    let second_half: String = std::iter::once(vlines[0])
        .chain(vlines[21..].iter().copied())
        .map(|l| format!("{l}\n"))
        .collect();
    let mut backslash = contents();
    backslash.entries.push(Entry::Note {
        label: "restore path \\n".into(),
        text: SecretString::new("C:\\new folder\\\nline two\\".into()),
    });
    let b = {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        seal_with_secret(
            &plan(2, 3, false, 1, None),
            &backslash,
            &secret_for(6),
            &mut rng,
        )
        .unwrap()
    };
    let with_rejected = |mut x: Vector, r: &[&str]| {
        x.rejected = Some(r.iter().map(|n| n.to_string()).collect());
        x
    };
    vec![
        ok(
            1,
            "ok-comment-not-utf8",
            false,
            "a comment row holds the byte 0xFC (Latin-1, not UTF-8): it reads as U+FFFD and the row is still a comment (§6.5)",
            format!("# custodian: M{NOT_UTF8}ller\n") + &s(0) + &s(1) + &v,
        ),
        Vector {
            contents: Some(backslash),
            ..ok(
                6,
                "ok-entry-backslash-n",
                false,
                "a note whose label ends in a backslash and n, and whose text holds backslashes before n and a newline: entry rows write \\\\ for a backslash (§9)",
                share_block(&b.shares[0]) + &share_block(&b.shares[2]) + &vault_block(&b.vault),
            )
        },
        with_rejected(
            multi(
                Some(1),
                "multi-byte-order-mark",
                "ok",
                "sheet 1 starts with a UTF-8 byte-order mark (U+FEFF), as a Windows editor writes it: it is skipped (§6.5)",
                &[
                    ("sheet-1", format!("\u{feff}{}{v}", s(0))),
                    ("sheet-2", s(1) + &v),
                ],
                &[],
            ),
            &[],
        ),
        with_rejected(
            multi(
                Some(1),
                "multi-empty-input",
                "ok",
                "the second input is empty (0 bytes): it has no block, so it is left out as NoHeader (§6.5), and the others open",
                &[
                    ("sheet-1", s(0) + &v),
                    ("empty", String::new()),
                    ("sheet-2", s(1) + &v),
                ],
                &["empty: Text/NoHeader"],
            ),
            &[],
        ),
        multi(
            None,
            "multi-two-share-typos-one-input",
            "error Recover/NotEnoughShares",
            "one typed input holds share 1 with a typo and share 2 without line 4: two warnings, one per share block (§7.1 rule 6); one share remains, and the outcome is NotEnoughShares, exit 4, though inputs were left out (§7.3)",
            &[
                (
                    "typed",
                    typo(&s(0), "03") + &edit_line(&s(1), "04", |_| String::new()),
                ),
                ("sheet-3", s(2) + &v),
            ],
            &["typed: Text/LineCheck", "typed: Text/MissingLines"],
        ),
        with_rejected(
            multi(
                Some(1),
                "multi-vault-pooled-and-whole-copy",
                "ok",
                "the vault split across two inputs and whole in a third: the pooled copy is the same copy, one candidate, nothing rejected (§7.2 rule 2)",
                &[
                    ("part-1", s(0) + &first_half),
                    ("part-2", second_half),
                    ("sheet-2", s(1) + &v),
                ],
                &[],
            ),
            &[],
        ),
        with_rejected(
            multi(
                Some(1),
                "multi-rejected-vault-copy",
                "ok",
                "a vault copy and a share of another vault among two honest sheets: the vault opens and rejected lists the share, then the copy: shares first, whatever the input order (§7.2 rule 8, §12.8)",
                &[
                    ("sheet-1", s(0) + &v),
                    ("foreign-copy", vault_block(&other.vault)),
                    ("foreign-share", share_block(&other.shares[0])),
                    ("sheet-2", s(1) + &v),
                ],
                &[],
            ),
            &["foreign-share", "foreign-copy"],
        ),
    ]
}

/// A vector of files (FORMAT.md §9 `# file: NAME`), each cut into inputs by §7.1, and the
/// inputs (`NAME part N`) expected to be left out.
fn multi_file(
    seed: Option<u64>,
    name: &'static str,
    expect: &str,
    comment: &'static str,
    files: &[(&str, String)],
    dropped: &[&str],
) -> Vector {
    Vector {
        body: files
            .iter()
            .map(|(n, t)| format!("# file: {n}\n{t}"))
            .collect(),
        ..multi(seed, name, expect, comment, &[], dropped)
    }
}

/// Several sheets in one file (§7.1 "Cutting files into inputs"): a forged sheet among
/// honest ones is left out alone, named by its part.
fn multi_file_vectors(a: &Sealed) -> Vec<Vector> {
    let s = |i: usize| share_block(&a.shares[i]);
    let v = vault_block(&a.vault);
    let sheet = |i: usize| {
        format!(
            "# breakglass share {} of 3\n# keep this sheet safe\n{}\n# the vault block\n{v}",
            i + 1,
            s(i)
        )
    };
    let k1 = {
        let mut f = a.vault.clone();
        f.header.threshold = 1;
        vault_block(&f)
    };
    let version = |mut bytes: Vec<u8>, to: u8| {
        bytes[0] = to;
        bytes
    };
    let v2 = block(Kind::Vault, &version(a.vault.to_bytes(), 2));
    let s0 = |i: usize| {
        block(
            Kind::Share,
            &version(a.shares[i].to_bytes().expose_secret().to_vec(), 0),
        )
    };
    vec![
        multi_file(
            Some(1),
            "multi-file-forged-sheet-between-honest",
            "ok",
            "three sheets piped in one file; the second is share 3 with a vault copy saying k = 1 (checksums recomputed): only that part is left out, and sheets 1 and 2 open",
            &[("batch.txt", sheet(0) + &s(2) + &k1 + &sheet(1))],
            &["batch.txt part 2: Vault/BadThreshold"],
        ),
        multi_file(
            Some(1),
            "multi-file-forged-newer-vault",
            "ok",
            "one file: sheet 1, then share 3 with a vault copy of version 2, then sheet 2: the forged part is left out as newer, the honest parts open",
            &[("batch.txt", sheet(0) + &s(2) + &v2 + &sheet(1))],
            &["batch.txt part 2: Vault/NewerVersion"],
        ),
        multi_file(
            Some(1),
            "multi-file-forged-share-version-zero",
            "ok",
            "one file: a share of version 0 with the honest vault copy, between sheets 2 and 3: that part is left out, sheets 2 and 3 open",
            &[("batch.txt", sheet(1) + &s0(0) + &v + &sheet(2))],
            &["batch.txt part 2: Share/BadVersion"],
        ),
        multi_file(
            Some(1),
            "multi-file-vault-before-first-share",
            "ok",
            "a forged vault block (k = 1) before the first share block is an input of its own; the two sheets after it open",
            &[("piped.txt", k1.clone() + &sheet(0) + &sheet(2))],
            &["piped.txt part 1: Vault/BadThreshold"],
        ),
        multi_file(
            None,
            "multi-file-one-honest-sheet-left",
            "error Recover/NotEnoughShares",
            "one file of an honest sheet and a forged one (share 2 of version 0), and a second file of one sheet whose vault copy says k = 1: only sheet 1 is left, and one share is not enough",
            &[
                ("batch.txt", sheet(0) + &s0(1) + &v),
                ("sheet-3.txt", s(2) + &k1),
            ],
            &[
                "batch.txt part 2: Share/BadVersion",
                "sheet-3.txt: Vault/BadThreshold",
            ],
        ),
    ]
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Truncation at every field boundary of the envelope, length fields that lie, and a wrong
/// check character on every line of a share.
fn length_class_vectors(a: &Sealed, p: &Sealed) -> Vec<Vector> {
    let mut out = Vec::new();
    let s0 = share_block(&a.shares[0]);
    let s1 = share_block(&a.shares[1]);
    let bytes = a.vault.to_bytes();
    let header = a.vault.header.to_bytes().len();
    let n = a.vault.header.commitments.len();
    let tenant_at = 34 + 16 * n;
    let nonce_at = header;
    let len_at = nonce_at + 24;
    let ct_at = len_at + 2;
    let cuts: [(&str, usize); 18] = [
        ("version", 1),
        ("vault-id", 9),
        ("generation", 17),
        ("created", 21),
        ("drill-interval", 29),
        ("threshold", 31),
        ("share-count", 32),
        ("kdf-id", 33),
        ("commitments", 34 + 8),
        ("tenant-length", tenant_at),
        ("tenant", tenant_at + 3),
        ("labels", tenant_at + 1 + a.vault.header.tenant.len() + 2),
        ("nonce", nonce_at + 12),
        ("ciphertext-length", len_at + 1),
        ("ciphertext-start", ct_at),
        ("ciphertext-middle", ct_at + (bytes.len() - ct_at) / 2),
        ("tag-half", bytes.len() - 8),
        ("tag-last-byte", bytes.len() - 1),
    ];
    for (field, at) in cuts {
        out.push(err(
            leak(format!("vault-truncated-in-{field}")),
            "Vault/Truncated",
            false,
            leak(format!(
                "the envelope cut after {at} bytes, inside the {field} field"
            )),
            s0.clone() + &s1 + &block(Kind::Vault, &bytes[..at]),
        ));
    }
    let pb = p.vault.to_bytes();
    for (field, at) in [("argon2-memory", 36), ("argon2-salt", 50)] {
        out.push(err(
            leak(format!("vault-truncated-in-{field}")),
            "Vault/Truncated",
            true,
            leak(format!(
                "the passphrase vault cut after {at} bytes, inside the {field} field"
            )),
            share_block(&p.shares[0]) + &share_block(&p.shares[1]) + &block(Kind::Vault, &pb[..at]),
        ));
    }
    let set_len = |delta: i32| {
        let mut b = bytes.clone();
        let len = u16::from_be_bytes([b[len_at], b[len_at + 1]]) as i32 + delta;
        b[len_at..len_at + 2].copy_from_slice(&(len as u16).to_be_bytes());
        s0.clone() + &s1 + &block(Kind::Vault, &b)
    };
    out.push(err(
        "vault-ciphertext-length-too-long",
        "Vault/Truncated",
        false,
        "the ciphertext length field says one byte more than there is",
        set_len(1),
    ));
    out.push(err(
        "vault-ciphertext-length-too-short",
        "Vault/TrailingBytes",
        false,
        "the ciphertext length field says one byte less than there is",
        set_len(-1),
    ));
    let mut b = bytes.clone();
    b[tenant_at] = 255;
    out.push(err(
        "vault-tenant-length-too-long",
        "Vault/BadLabel",
        false,
        "the tenant length byte says 255: the bytes it then takes are not a valid label",
        s0.clone() + &s1 + &block(Kind::Vault, &b),
    ));
    for line in 1..=5usize {
        let prefix = format!("{line:02}");
        out.push(err(
            leak(format!("text-check-character-typo-share-line-{line}")),
            "Text/CheckCharacterTypo",
            false,
            leak(format!("the check character of share line {line} changed")),
            edit_line(&s0, &prefix, |l| {
                let mut c: Vec<char> = l.chars().collect();
                let n = c.len() - 1;
                c[n] = if c[n] == 'A' { 'B' } else { 'A' };
                c.into_iter().collect()
            }) + &s1
                + &vault_block(&a.vault),
        ));
    }
    out
}

fn render(v: &Vector) -> String {
    let mut out = String::new();
    out.push_str("# breakglass test vector (frozen: never edit; add a new file instead)\n");
    out.push_str(&format!("# name: {}\n", v.name));
    out.push_str(&format!("# expect: {}\n", v.expect));
    out.push_str(&format!(
        "# passphrase: {}\n",
        if v.passphrase { PASSPHRASE } else { "(none)" }
    ));
    out.push_str(&format!("# comment: {}\n", v.comment));
    for d in &v.dropped {
        out.push_str(&format!("# dropped: {d}\n"));
    }
    match v.rejected.as_deref() {
        Some([]) => out.push_str("# rejected: (none)\n"),
        Some(r) => r
            .iter()
            .for_each(|n| out.push_str(&format!("# rejected: {n}\n"))),
        None => {}
    }
    if let Some(seed) = v.seed {
        let g = gather(&inputs_of(&v.body.replace(NOT_UTF8, "\u{FFFD}"), v.name));
        // The first copy sealed as the vector says (a forged copy may come first and claim a
        // passphrase the vault does not have).
        let h = &g
            .vaults
            .iter()
            .find(|c| c.item.header.passphrase.is_some() == v.passphrase)
            .expect("a copy sealed as the vector says")
            .item
            .header;
        let secret = secret_for(seed);
        let stretched = h.passphrase.map(|k| {
            k.params
                .stretch(&Passphrase::new(PASSPHRASE.into()), &k.salt)
                .unwrap()
        });
        let key =
            breakglass_core::aead::derive_key(&secret, h.vault_id.as_bytes(), stretched.as_deref());
        out.push_str(&format!(
            "# vault-secret: {}\n",
            hex(secret.expose_secret())
        ));
        if let Some(s) = &stretched {
            out.push_str(&format!("# argon2id-output: {}\n", hex(&s[..])));
        }
        out.push_str(&format!("# encryption-key: {}\n", hex(key.expose_secret())));
    }
    if v.expect == "ok" {
        for e in &v.contents.clone().unwrap_or_else(contents).entries {
            out.push_str(&format!("# entry: {}\n", entry_line(e)));
        }
    }
    out.push_str(&v.body);
    out
}

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(format!("{name}.txt"))
}

fn header_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("# {key}: ")))
}

/// The inputs of a vector (FORMAT.md §9): each `# input: NAME` row starts a new input, and
/// each `# file: NAME` row a file that is cut into inputs by §7.1; without such rows the whole
/// file is one input, named after the vector.
fn inputs_of(text: &str, name: &str) -> Vec<(String, String)> {
    let mut parts: Vec<(String, bool, String)> = Vec::new();
    let mut current = (name.to_string(), false, String::new());
    for row in text.split_inclusive('\n') {
        let input = row.strip_prefix("# input: ").map(|n| (n, false));
        if let Some((n, file)) = input.or_else(|| row.strip_prefix("# file: ").map(|n| (n, true))) {
            if parts.is_empty() && !current.2.lines().any(|l| !l.starts_with('#')) {
                // Only the vector's own `#` rows so far: not an input.
            } else {
                parts.push(current);
            }
            current = (n.trim().to_string(), file, String::new());
        } else {
            current.2.push_str(row);
        }
    }
    parts.push(current);
    let mut out = Vec::new();
    for (name, file, text) in parts {
        if !file {
            out.push((name, text));
            continue;
        }
        let cut = text::cut_inputs(&text);
        let many = cut.len() > 1;
        for (i, t) in cut.into_iter().enumerate() {
            let n = if many {
                format!("{name} part {}", i + 1)
            } else {
                name.clone()
            };
            out.push((n, t.to_string()));
        }
    }
    out
}

fn text_kind(e: &breakglass_core::TextError) -> String {
    format!("Text/{}", e.kind())
}

/// The stage prefix (`Text/`, `Share/`, `Vault/`) is the document error's own first part.
fn document_kind(e: &breakglass_core::DocumentError) -> String {
    e.kind()
}

/// What the inputs yield before recovery (FORMAT.md §7 as the binary does it today).
#[derive(Default)]
struct Gathered {
    shares: Vec<Sourced<Share>>,
    vaults: Vec<Sourced<Vault>>,
    /// `input: Kind` for every input, or part of one, left out.
    dropped: Vec<String>,
    /// Vault blocks still missing lines after pooling every input.
    incomplete: Vec<Block>,
}

impl Gathered {
    fn add(&mut self, source: &str, d: breakglass_core::document::Decoded) {
        self.shares
            .extend(d.shares.into_iter().map(|s| Sourced::new(source, s)));
        self.vaults
            .extend(d.vaults.into_iter().map(|v| Sourced::new(source, v)));
    }
}

/// Each input is parsed on its own; an input whose text does not parse is left out whole.
/// Its complete blocks decode together (one failing leaves them all out); an incomplete
/// share block is left out alone; incomplete vault blocks are pooled across inputs by header.
fn gather(inputs: &[(String, String)]) -> Gathered {
    let mut g = Gathered::default();
    let mut pooled: Vec<(Vec<String>, Block)> = Vec::new();
    for (name, text) in inputs {
        // A byte-order mark at the start of an input is skipped (§6.5).
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let blocks = match text::parse_blocks(text).and_then(text::merge_blocks) {
            Ok(b) => b,
            Err(e) => {
                g.dropped.push(format!("{name}: {}", text_kind(&e)));
                continue;
            }
        };
        let (complete, partial): (Vec<Block>, Vec<Block>) =
            blocks.into_iter().partition(Block::is_complete);
        for b in partial {
            if b.header.kind == Kind::Vault {
                match pooled.iter_mut().find(|(_, o)| o.header == b.header) {
                    Some((names, o)) => match o.merge(b) {
                        Ok(()) => names.push(name.clone()),
                        Err(e) => g.dropped.push(format!("{name}: {}", text_kind(&e))),
                    },
                    None => pooled.push((vec![name.clone()], b)),
                }
            } else if let Err(e) = b.decode() {
                g.dropped.push(format!("{name}: {}", text_kind(&e)));
            }
        }
        if !complete.is_empty() {
            match breakglass_core::document::decode_blocks(complete) {
                Ok(d) => g.add(name, d),
                Err(e) => g.dropped.push(format!("{name}: {}", document_kind(&e))),
            }
        }
    }
    for (names, b) in pooled {
        let source = names.join(" + ");
        if b.is_complete() {
            match breakglass_core::document::decode_blocks(vec![b]) {
                Ok(d) => g.add(&source, d),
                Err(e) => g.dropped.push(format!("{source}: {}", document_kind(&e))),
            }
        } else {
            g.incomplete.push(b);
        }
    }
    g
}

/// What reading a vector gives: the entries or the error kind, the inputs left out, and the
/// sources rejected once the vault opened.
struct Outcome {
    result: Result<Vec<String>, String>,
    dropped: Vec<String>,
    rejected: Vec<String>,
}

/// Reads a vector the way `breakglass recover` does.
fn run_vector(text: &str) -> Outcome {
    let pass = header_value(text, "passphrase").unwrap();
    let pass = (pass != "(none)").then(|| Passphrase::new(pass.into()));
    let name = header_value(text, "name").unwrap();
    let inputs = inputs_of(text, name);
    let g = gather(&inputs);
    let dropped = g.dropped.clone();
    let mut rejected = Vec::new();
    let result = (|| {
        if inputs.len() == 1 {
            // One input: its own decode error is the outcome (FORMAT.md §9).
            let only = &inputs[0].1;
            breakglass_core::document::decode_text(only.strip_prefix('\u{feff}').unwrap_or(only))
                .map_err(|e| document_kind(&e))?;
        }
        if g.vaults.is_empty()
            && let Some(Err(e)) = g.incomplete.first().map(Block::decode)
        {
            return Err(text_kind(&e));
        }
        let rec = |e: recover::RecoverError| format!("Recover/{}", e.kind());
        let set = recover::match_shares(g.shares, g.vaults).map_err(rec)?;
        let r = set.open(pass.as_ref()).map_err(rec)?;
        rejected = r.rejected.iter().map(|x| x.source.clone()).collect();
        Ok(r.contents.entries.iter().map(entry_line).collect())
    })();
    Outcome {
        result,
        dropped,
        rejected,
    }
}

#[test]
fn every_vector_does_what_it_says() {
    let mut files: Vec<_> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(files.len() >= 50, "only {} vectors", files.len());
    let mut negatives = 0;
    for f in &files {
        let text = read_vector_file(f);
        let expect = header_value(&text, "expect").expect("expect line");
        let Outcome {
            result: got,
            dropped,
            rejected,
        } = run_vector(&text);
        let want_dropped: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# dropped: "))
            .collect();
        if text.contains("\n# input: ") || text.contains("\n# file: ") {
            assert_eq!(dropped, want_dropped, "inputs left out: {}", f.display());
        }
        let want_rejected: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# rejected: "))
            .filter(|r| *r != "(none)")
            .collect();
        if text.contains("\n# rejected: ") {
            assert_eq!(rejected, want_rejected, "rejected: {}", f.display());
        }
        if expect == "ok" {
            let want: Vec<String> = text
                .lines()
                .filter_map(|l| l.strip_prefix("# entry: "))
                .map(str::to_string)
                .collect();
            assert_eq!(got.as_ref().ok(), Some(&want), "{}", f.display());
        } else {
            negatives += 1;
            let want = expect.strip_prefix("error ").unwrap();
            assert_eq!(
                got.as_ref().err().map(String::as_str),
                Some(want),
                "{}",
                f.display()
            );
        }
    }
    assert!(negatives >= 40, "{negatives} negative vectors");
}

#[test]
fn positive_vectors_are_reproduced_by_the_encoder() {
    for v in all_vectors().iter().filter(|v| v.expect == "ok") {
        let on_disk = std::fs::read(path(v.name)).unwrap();
        assert_eq!(
            to_file_bytes(&render(v)),
            on_disk,
            "encoder output changed for {}",
            v.name
        );
    }
}

/// `cargo test --test vectors -- --ignored` writes vectors that are missing; it never
/// rewrites an existing one.
#[test]
#[ignore]
fn generate_missing_vectors() {
    for v in all_vectors() {
        let p = path(v.name);
        if !p.exists() {
            std::fs::write(&p, to_file_bytes(&render(&v))).unwrap();
            println!("wrote {}", p.display());
        }
    }
}

/// `totp-codes.tsv` (FORMAT.md §12.8): the code each `otpauth://` URI gives at a time, or
/// none; the scheme in any case, 6 to 10 digits.
#[test]
fn totp_vectors_give_their_codes() {
    let text = std::fs::read_to_string(Path::new(DIR).join("totp-codes.tsv")).unwrap();
    let mut rows = 0;
    for row in text.lines().filter(|l| !l.starts_with('#')) {
        let [uri, time, want] = row.split('\t').collect::<Vec<_>>()[..] else {
            panic!("not three fields: {row}");
        };
        let got = breakglass_core::totp::Totp::from_uri(uri)
            .map(|t| t.code_at(time.parse().unwrap()).code)
            .unwrap_or_else(|_| "-".into());
        assert_eq!(got, want, "{uri} at {time}");
        rows += 1;
    }
    assert!(rows >= 10, "{rows} TOTP vectors");
}
