#!/usr/bin/env python3
"""Independent breakglass decoder, written from FORMAT.md alone.

Usage:
  python3 decode.py VECTOR_FILE...        decode each file, print OK + entries or ERROR
  python3 decode.py --check-vectors DIR   check every *.txt in DIR against its # expect: header

Dependencies: Python 3.11 stdlib, pynacl (XChaCha20-Poly1305), argon2-cffi (Argon2id).
"""
from __future__ import annotations

import glob
import hashlib
import hmac
import os
import sys
import unicodedata
from collections import Counter

try:
    from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt
    from nacl.exceptions import CryptoError
    from argon2.low_level import Type, hash_secret_raw
except ImportError as e:  # pragma: no cover
    sys.stderr.write(f"missing dependency: {e} (pip install pynacl argon2-cffi)\n")
    sys.exit(3)


class DecodeError(Exception):
    """kind is the variant path used by FORMAT.md §9, e.g. 'Text/LineCheck'."""

    def __init__(self, kind: str, msg: str = ""):
        super().__init__(f"{kind}: {msg}" if msg else kind)
        self.kind = kind
        self.msg = msg


# ---------------------------------------------------------------- §6.1 base32
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VALUE = {c: i for i, c in enumerate(ALPHABET)}


def b32encode(data: bytes) -> str:
    out = []
    acc = 0
    nbits = 0
    for b in data:
        acc = (acc << 8) | b
        nbits += 8
        while nbits >= 5:
            nbits -= 5
            out.append(ALPHABET[(acc >> nbits) & 31])
    if nbits:
        out.append(ALPHABET[(acc << (5 - nbits)) & 31])
    return "".join(out)


def b32decode(text: str) -> bytes:
    nchars = len(text)
    nbytes = (nchars * 5) // 8
    # ⌈8N/5⌉ must be exactly the number of characters, else a whole extra character exists.
    if (8 * nbytes + 4) // 5 != nchars:
        raise DecodeError("Text/NonCanonical", "character count is not that of any byte length")
    acc = 0
    for c in text:
        acc = (acc << 5) | VALUE[c]
    extra = nchars * 5 - nbytes * 8
    if acc & ((1 << extra) - 1):
        raise DecodeError("Text/NonCanonical", "unused low bits of the last character are not zero")
    return (acc >> extra).to_bytes(nbytes, "big")


# ---------------------------------------------------------------- §6.3 GF(32) check
def gf32_mul_alpha(a: int) -> int:
    a <<= 1
    if a & 0x20:
        a ^= 0x25
    return a


def check_char(symbols: str) -> str:
    acc = 0
    for c in symbols:
        acc = gf32_mul_alpha(acc ^ VALUE[c])
    return ALPHABET[acc]


def header_checksum(kind: str, payload: bytes) -> str:
    return b32encode(hashlib.sha256(b"BG1-" + kind.encode() + payload).digest()[:4])


# ---------------------------------------------------------------- §6.5 text parsing
def normalise(row: str) -> str:
    s = "".join(ch for ch in row if ch not in " \t-").upper()
    return s.replace("O", "0").replace("I", "1").replace("L", "1")


def parse_header(s: str):
    """s is a normalised row starting with BG. Returns (kind, L, checksum)."""
    i = 2
    j = i
    while j < len(s) and s[j].isdigit():
        j += 1
    if j == i:
        raise DecodeError("Text/BadHeader", "no version after BG")
    version = int(s[i:j])
    if version == 0:
        raise DecodeError("Text/BadHeader", "version 0")
    if version > 1:
        raise DecodeError("Text/NewerVersion", f"BG{version}: made by a newer breakglass; upgrade to read it")
    if j >= len(s) or s[j] not in "SV":
        raise DecodeError("Text/BadHeader", "kind is not S or V")
    kind = s[j]
    rest = s[j + 1:]
    if len(rest) < 8:
        raise DecodeError("Text/BadHeader", "too short")
    count, chk = rest[:-7], rest[-7:]
    if not count.isdigit() or count[0] == "0" or not (1 <= int(count) <= 999):
        raise DecodeError("Text/BadHeader", "bad line count")
    if any(c not in VALUE for c in chk):
        raise DecodeError("Text/BadHeader", "bad checksum characters")
    return kind, int(count), chk


class Block:
    def __init__(self, kind, count, chk, source):
        self.kind, self.count, self.chk, self.source = kind, count, chk, source
        self.width = max(2, len(str(count)))
        self.lines: dict[int, tuple[str, str]] = {}  # number -> (digits+data, check)


def parse_line(block: Block, s: str, rowno: int):
    w = block.width
    if len(s) < w + 2:
        raise DecodeError("Text/BadLineLength", f"row {rowno} too short")
    digits, data, chk = s[:w], s[w:-1], s[-1]
    if not digits.isdigit():
        raise DecodeError("Text/BadCharacter", f"row {rowno}: line number is not decimal")
    n = int(digits)
    if not (1 <= n <= block.count):
        raise DecodeError("Text/LineOutOfRange", f"line {n} of {block.count}")
    for pos, c in enumerate(data + chk):
        if c not in VALUE:
            where = "check character" if pos == len(data) else f"group {pos // 4 + 1}"
            raise DecodeError("Text/BadCharacter", f"line {n}, {where}")
    if n < block.count and len(data) != 20 or not (1 <= len(data) <= 20):
        raise DecodeError("Text/BadLineLength", f"line {n} has {len(data)} characters")
    entry = (digits + data, chk)
    if n in block.lines and block.lines[n] != entry:
        raise DecodeError("Text/ConflictingLine", f"line {n} given twice, differently")
    block.lines[n] = entry


def parse_text(text: str, source: str = "input") -> list[Block]:
    blocks: dict[tuple, Block] = {}
    order: list[Block] = []
    current: Block | None = None

    def open_block(hdr):
        nonlocal current
        key = hdr
        if key not in blocks:
            blocks[key] = Block(*hdr, source)
            order.append(blocks[key])
        current = blocks[key]

    for rowno, raw in enumerate(text.splitlines(), 1):
        if raw.strip() == "" or raw.lstrip().startswith("#"):
            continue
        words = raw.split()
        # rule 1: QR layout if the first word is a complete header and more words follow
        if len(words) > 1:
            w0 = normalise(words[0])
            hdr = None
            if w0.startswith("BG"):
                try:
                    hdr = parse_header(w0)
                except DecodeError:
                    hdr = None
            if hdr is not None:
                open_block(hdr)
                for w in words[1:]:
                    parse_line(current, normalise(w), rowno)
                continue
        s = normalise(raw)
        if s.startswith("BG"):
            open_block(parse_header(s))
        else:
            if current is None:
                raise DecodeError("Text/NoHeader", f"row {rowno}: a line before any BG1 header")
            parse_line(current, s, rowno)
    if not order:
        raise DecodeError("Text/NoHeader", "no BG1 header at all")
    return order


def decode_block(b: Block) -> bytes:
    bad = [n for n, (body, c) in sorted(b.lines.items()) if check_char(body) != c]
    missing = [n for n in range(1, b.count + 1) if n not in b.lines]
    if bad:
        if len(bad) == 1 and not missing:
            n = bad[0]
            hits = []
            body, c = b.lines[n]
            w = b.width
            cand = body + c
            for pos in range(w, len(cand)):
                for a in ALPHABET:
                    if a == cand[pos]:
                        continue
                    t = cand[:pos] + a + cand[pos + 1:]
                    tb, tc = t[:-1], t[-1]
                    if check_char(tb) != tc:
                        continue
                    data = "".join(
                        (tb if k == n else b.lines[k][0])[w:] for k in range(1, b.count + 1))
                    try:
                        payload = b32decode(data)
                    except DecodeError:
                        continue
                    if header_checksum(b.kind, payload) == b.chk:
                        hits.append(pos)
            if len(hits) == 1:
                pos = hits[0]
                if pos == len(cand) - 1:
                    raise DecodeError("Text/CheckCharacterTypo",
                                      f"line {n}: the check character itself has a typo")
                raise DecodeError("Text/LineCheck",
                                  f"line {n} has a typo, probably in group {(pos - w) // 4 + 1}")
        raise DecodeError("Text/LineCheck", "lines " + ", ".join(map(str, bad)) + " fail their check")
    if missing:
        raise DecodeError("Text/MissingLines", "missing lines " + ", ".join(map(str, missing)))
    data = "".join(b.lines[k][0][b.width:] for k in range(1, b.count + 1))
    payload = b32decode(data)
    if header_checksum(b.kind, payload) != b.chk:
        raise DecodeError("Text/Checksum", "header checksum does not match the lines")
    return payload


# ---------------------------------------------------------------- §2 share
class Share:
    def __init__(self, raw: bytes):
        if len(raw) != 56:
            raise DecodeError("Share/BadLength", f"{len(raw)} bytes, not 56")
        if raw[0] == 0:
            raise DecodeError("Share/BadVersion", "version 0")
        if raw[0] > 1:
            raise DecodeError("Share/NewerVersion", "made by a newer breakglass; upgrade to read it")
        self.raw = raw
        self.vault_id = raw[1:17]
        self.generation = int.from_bytes(raw[17:21], "big")
        self.k, self.n, self.x = raw[21], raw[22], raw[23]
        self.y = raw[24:56]
        if not (2 <= self.k <= self.n):
            raise DecodeError("Share/BadThreshold", f"k={self.k} n={self.n}")
        if not (1 <= self.x <= self.n):
            raise DecodeError("Share/BadIndex", f"x={self.x} n={self.n}")
        # FORMAT.md gives no rule name for generation 0 in a share; §2 says "starts at 1".

    def commitment(self) -> bytes:
        return hashlib.sha256(b"breakglass v1 share commitment" + self.raw).digest()[:16]


# ---------------------------------------------------------------- §3 vault
class Reader:
    def __init__(self, data: bytes):
        self.d, self.p = data, 0

    def take(self, n: int) -> bytes:
        if self.p + n > len(self.d):
            raise DecodeError("Vault/Truncated", "a field is missing")
        r = self.d[self.p:self.p + n]
        self.p += n
        return r

    def u(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")


def check_label(b: bytes, what: str) -> str:
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        raise DecodeError("Vault/BadLabel", f"{what} is not UTF-8")
    if any(unicodedata.category(ch) == "Cc" for ch in s):
        raise DecodeError("Vault/BadLabel", f"{what} has a control character")
    return s


class Vault:
    def __init__(self, raw: bytes):
        if len(raw) >= 1 and raw[0] == 0:
            raise DecodeError("Vault/BadVersion", "version 0")
        if len(raw) >= 1 and raw[0] > 1:
            raise DecodeError("Vault/NewerVersion", "made by a newer breakglass; upgrade to read it")
        if len(raw) > 12288:
            raise DecodeError("Vault/TooLarge", f"{len(raw)} bytes")
        r = Reader(raw)
        r.u(1)
        self.raw = raw
        self.vault_id = r.take(16)
        self.generation = r.u(4)
        self.created = r.u(8)
        self.drill = r.u(2)
        self.k = r.u(1)
        self.n = r.u(1)
        if not (2 <= self.k <= self.n):
            raise DecodeError("Vault/BadThreshold", f"k={self.k} n={self.n}")
        self.kdf = r.u(1)
        if self.kdf == 0:
            self.argon = None
        elif self.kdf == 1:
            m, t, p = r.u(4), r.u(4), r.u(4)
            if m > 4194304 or t > 64 or p > 16:
                raise DecodeError("Vault/Kdf/TooExpensive", f"m={m} t={t} p={p}")
            if m < 8192 or t < 1 or p < 1:
                raise DecodeError("Vault/Kdf/TooWeak", f"m={m} t={t} p={p}")
            self.argon = (m, t, p, r.take(16))
        else:
            raise DecodeError("Vault/UnknownKdf", f"KDF id {self.kdf}")
        self.commitments = [r.take(16) for _ in range(self.n)]
        self.tenant = check_label(r.take(r.u(1)), "tenant")
        self.labels = []
        for i in range(self.n):
            loc = check_label(r.take(r.u(1)), f"location {i + 1}")
            cus = check_label(r.take(r.u(1)), f"custodian {i + 1}")
            self.labels.append((loc, cus))
        self.header = raw[:r.p]
        self.nonce = r.take(24)
        clen = r.u(2)
        if clen < 16:
            raise DecodeError("Vault/CiphertextTooShort", f"ciphertext length {clen}")
        self.ciphertext = r.take(clen)
        if r.p != len(raw):
            raise DecodeError("Vault/TrailingBytes", f"{len(raw) - r.p} bytes after the ciphertext")


# ---------------------------------------------------------------- §5 contents
KINDS = {1: ("account", 3), 2: ("fido2", 2), 3: ("totp", 2), 4: ("note", 2)}


def parse_contents(pt: bytes):
    r = Reader(pt)

    def take(n):
        if r.p + n > len(pt):
            raise DecodeError("Contents/Truncated")
        v = pt[r.p:r.p + n]
        r.p += n
        return v

    ver = take(1)[0]
    if ver == 0:
        raise DecodeError("Contents/BadVersion")
    if ver > 1:
        raise DecodeError("Contents/NewerVersion", "upgrade breakglass")
    count = int.from_bytes(take(2), "big")
    if count < 1:
        raise DecodeError("Contents/Empty")
    entries = []
    for _ in range(count):
        kind = take(1)[0]
        if kind not in KINDS:
            raise DecodeError("Contents/UnknownKind", f"kind {kind}: upgrade breakglass")
        name, nf = KINDS[kind]
        fields = []
        for _ in range(nf):
            ln = int.from_bytes(take(2), "big")
            if ln > 8192:
                raise DecodeError("Contents/FieldTooLong")
            try:
                fields.append(take(ln).decode("utf-8"))
            except UnicodeDecodeError:
                raise DecodeError("Contents/BadUtf8")
        entries.append((name, fields))
    if r.p != len(pt):
        raise DecodeError("Contents/TrailingBytes")
    return entries


def format_entry(name, fields) -> str:
    return " | ".join([name] + [f.replace("\n", "\\n") for f in fields])


# ---------------------------------------------------------------- §2 Shamir, §4 crypto
def gf256_mul(a: int, b: int) -> int:
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11D
        b >>= 1
    return r


def gf256_inv(a: int) -> int:
    # a^254
    r, e = 1, 254
    while e:
        if e & 1:
            r = gf256_mul(r, a)
        a = gf256_mul(a, a)
        e >>= 1
    return r


def combine(shares: list[Share]) -> bytes:
    xs = [s.x for s in shares]
    assert len(set(xs)) == len(xs) and 0 not in xs
    out = bytearray(32)
    for i, si in enumerate(shares):
        li = 1
        for m, xm in enumerate(xs):
            if m != i:
                li = gf256_mul(li, gf256_mul(xm, gf256_inv(xm ^ si.x)))
        for j in range(32):
            out[j] ^= gf256_mul(si.y[j], li)
    return bytes(out)


def hkdf_sha256(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, t, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    return okm[:length]


# ---------------------------------------------------------------- §7 recovery
def recover(text: str, passphrase: str | None, trace: dict | None = None):
    trace = {} if trace is None else trace
    shares: list[Share] = []
    vaults: list[Vault] = []
    for b in parse_text(text):
        payload = decode_block(b)
        if b.kind == "S":
            shares.append(Share(payload))
        else:
            vaults.append(Vault(payload))
    if not shares:
        raise DecodeError("Recover/NoShares", "no share given")
    if not vaults:
        raise DecodeError("Recover/NoVault", "no vault text given")
    ids = {s.vault_id for s in shares} | {v.vault_id for v in vaults}
    if len(ids) > 1:
        raise DecodeError("Recover/MixedVaults", f"{len(ids)} different vault ids")
    gen = max([s.generation for s in shares] + [v.generation for v in vaults])
    left_out = [f"share {s.x}: retired by generation {gen}" for s in shares if s.generation != gen]
    shares = [s for s in shares if s.generation == gen]
    vaults = [v for v in vaults if v.generation == gen]
    if not vaults:
        raise DecodeError("Recover/NoVault", f"no vault copy of generation {gen}")
    # distinct copies, most common first (ties: first seen)
    counts = Counter(v.raw for v in vaults)
    seen, copies = set(), []
    for v in vaults:
        if v.raw not in seen:
            seen.add(v.raw)
            copies.append(v)
    copies.sort(key=lambda v: -counts[v.raw])
    first_err = None
    for vault in copies:
        try:
            return open_vault(vault, shares, list(left_out), passphrase, trace)
        except DecodeError as e:
            if first_err is None:
                first_err = e
    raise first_err


def open_vault(vault: Vault, shares, left_out, passphrase, trace):
    if vault.argon is not None and passphrase is None:
        raise DecodeError("Recover/PassphraseRequired", "this vault needs its passphrase")
    if vault.argon is None and passphrase is not None:
        raise DecodeError("Recover/PassphraseNotUsed", "a passphrase was given; this vault has none")
    usable: list[Share] = []
    for s in shares:
        if s.x > vault.n or s.commitment() != vault.commitments[s.x - 1]:
            left_out.append(f"share {s.x}: does not belong to this vault or has been altered")
        elif s.k != vault.k:
            left_out.append(f"share {s.x}: threshold {s.k} differs from the vault's {vault.k}")
        elif any(u.x == s.x for u in usable):
            left_out.append(f"share {s.x}: duplicate")
        else:
            usable.append(s)
    if len(usable) < vault.k:
        raise DecodeError("Recover/NotEnoughShares",
                          f"{vault.k} of {vault.n} shares are needed, {len(usable)} usable given"
                          + (" (left out: " + "; ".join(left_out) + ")" if left_out else ""))
    secret = combine(usable[:vault.k])
    trace["vault-secret"] = secret.hex()
    ikm = secret
    if vault.argon is not None:
        m, t, p, salt = vault.argon
        pw = hash_secret_raw(passphrase.encode("utf-8"), salt, time_cost=t, memory_cost=m,
                             parallelism=p, hash_len=32, type=Type.ID, version=19)
        trace["argon2id-output"] = pw.hex()
        ikm += pw
    key = hkdf_sha256(vault.vault_id, ikm, b"breakglass v1 vault key", 32)
    trace["encryption-key"] = key.hex()
    try:
        pt = crypto_aead_xchacha20poly1305_ietf_decrypt(vault.ciphertext, vault.header, vault.nonce, key)
    except CryptoError:
        if vault.argon is not None:
            raise DecodeError("Recover/WrongPassphraseOrAltered", "the tag does not verify")
        raise DecodeError("Recover/Altered", "the tag does not verify")
    return parse_contents(pt)


# ---------------------------------------------------------------- vector files / CLI
def read_vector(path: str):
    meta: dict[str, str] = {}
    entries: list[str] = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for row in text.splitlines():
        if not row.startswith("#"):
            continue
        body = row[1:].strip()
        key, sep, val = body.partition(":")
        if not sep:
            continue
        key, val = key.strip(), val.strip()
        if key == "entry":
            entries.append(val)
        elif key not in meta:
            meta[key] = val
    pw = meta.get("passphrase")
    passphrase = None if pw in (None, "(none)") else pw
    return text, meta, entries, passphrase


def run_file(path: str):
    text, meta, _, passphrase = read_vector(path)
    trace: dict = {}
    try:
        entries = recover(text, passphrase, trace)
        return ("ok", entries, trace)
    except DecodeError as e:
        return ("error", e, trace)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "--check-vectors":
        return check_vectors(argv[1])
    if not argv:
        print(__doc__)
        return 2
    rc = 0
    for path in argv:
        status, val, _ = run_file(path)
        print(f"== {path}") if len(argv) > 1 else None
        if status == "ok":
            print("OK")
            for name, fields in val:
                print(format_entry(name, fields))
        else:
            rc = 1
            print(f"ERROR {val.kind} {val.msg}".rstrip())
    return rc


def check_vectors(d: str) -> int:
    passed = failed = 0
    neg_total = neg_exact = 0
    for path in sorted(glob.glob(os.path.join(d, "*.txt"))):
        name = os.path.basename(path)
        _, meta, want_entries, _ = read_vector(path)
        expect = meta.get("expect", "")
        status, val, trace = run_file(path)
        problems = []
        note = ""
        if expect == "ok":
            if status != "ok":
                problems.append(f"expected ok, got {val}")
            else:
                got = [format_entry(n, f) for n, f in val]
                if got != want_entries:
                    problems.append(f"entries differ: {got!r} vs {want_entries!r}")
                for key in ("vault-secret", "argon2id-output", "encryption-key"):
                    if key in meta and trace.get(key) != meta[key].lower():
                        problems.append(f"{key}: computed {trace.get(key)} expected {meta[key]}")
        elif expect.startswith("error"):
            want_kind = expect.split(None, 1)[1] if " " in expect else ""
            neg_total += 1
            if status == "ok":
                problems.append("accepted a vector that must be rejected")
            elif val.kind == want_kind:
                neg_exact += 1
                note = "exact kind"
            else:
                note = f"rejected as {val.kind}, vector says {want_kind}"
        else:
            problems.append(f"unknown expect header {expect!r}")
        if problems:
            failed += 1
            print(f"FAIL {name}: " + "; ".join(problems))
        else:
            passed += 1
            print(f"ok   {name}" + (f" ({note})" if note else ""))
    print(f"negative vectors: {neg_exact} of {neg_total} matched the error kind exactly")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
