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
NOT_IN_ALPHABET = "?"


def normalise(piece: str) -> str:
    """§6.5: drop space, tab, CR, LF and '-'; ASCII upper-case; O->0, I/L->1; non-ASCII -> one bad char."""
    out = []
    for ch in piece:
        if ch in " \t\r\n-":
            continue
        if ord(ch) > 127:
            out.append(NOT_IN_ALPHABET)
            continue
        ch = ch.upper()
        out.append({"O": "0", "I": "1", "L": "1"}.get(ch, ch))
    return "".join(out)


def parse_header(piece: str):
    """Rule 3. piece is as written; returns (kind, L, checksum)."""
    s = normalise(piece)
    if not s.startswith("BG"):
        raise DecodeError("Text/NoHeader", "not a header")
    j = 2
    while j < len(s) and s[j] in "0123456789":
        j += 1
    if j == 2 or j - 2 > 6:
        raise DecodeError("Text/NoHeader", "BG without a 1-6 digit version")
    version = int(s[2:j])
    if version > 1:
        raise DecodeError("Text/NewerVersion", f"BG{version}: made by a newer breakglass; upgrade to read it")
    if version == 0:
        raise DecodeError("Text/BadHeader", "version 0")
    if j >= len(s) or s[j] not in "SV":
        raise DecodeError("Text/BadHeader", "kind is not S or V")
    kind, rest = s[j], s[j + 1:]
    parts = [x for x in piece.replace("-", " ").split() if x]
    if len(parts) == 4 and len(normalise(parts[3])) != 7:
        raise DecodeError("Text/BadHeader", "the checksum part is not 7 characters")
    if len(rest) < 7:
        raise DecodeError("Text/BadHeader", "too short")
    count, chk = rest[:-7], rest[-7:]
    if not (1 <= len(count) <= 3) or any(c not in "0123456789" for c in count) or count[0] == "0":
        raise DecodeError("Text/BadHeader", "bad line count")
    if any(c not in VALUE for c in chk):
        raise DecodeError("Text/BadHeader", "bad checksum characters")
    try:
        if len(b32decode(chk)) != 4:
            raise DecodeError("Text/BadHeader", "checksum is not 4 bytes")
    except DecodeError:
        raise DecodeError("Text/BadHeader", "checksum is not canonical")
    return kind, int(count), chk


class Block:
    def __init__(self, kind, count, chk, source):
        self.kind, self.count, self.chk, self.source = kind, count, chk, source
        self.width = max(2, len(str(count)))
        self.lines: dict[int, str] = {}  # number -> data characters
        self.aside: list[tuple[int, str]] = []  # (number as typed, whole normalised line)

    def missing(self):
        return [n for n in range(1, self.count + 1) if n not in self.lines]

    def merge(self, other: "Block"):
        for n, d in other.lines.items():
            self.put(n, d)
        self.aside.extend(other.aside)

    def put(self, n, data):
        if n in self.lines and self.lines[n] != data:
            raise DecodeError("Text/ConflictingLine", f"line {n} given twice, differently")
        self.lines[n] = data


def parse_line(block: Block, piece: str):
    """Rule 4."""
    s = normalise(piece)
    w = block.width
    if len(s) < w or any(c not in "0123456789" for c in s[:w]):
        raise DecodeError("Text/BadLineNumber", f"no {w}-digit line number")
    n = int(s[:w])
    if not (1 <= n <= block.count):
        raise DecodeError("Text/LineOutOfRange", f"line {n} of {block.count}")
    data = s[w:-1] if len(s) > w else ""
    if (n < block.count and len(data) != 20) or not (1 <= len(data) <= 20):
        raise DecodeError("Text/BadLineLength", f"line {n} has {len(data)} characters")
    for pos, c in enumerate(s[w:]):
        if c not in VALUE:
            if pos == len(s) - w - 1:
                raise DecodeError("Text/CheckCharacterTypo", f"line {n}: check character")
            raise DecodeError("Text/BadCharacter", f"line {n}, group {pos // 4 + 1}")
    if check_char(s[:-1]) != s[-1]:
        block.aside.append((n, s))
        return
    block.put(n, data)


def parse_text(text: str, source: str = "input") -> list[Block]:
    """Rules 1-5 for one input: its blocks, merged by identical header, in order."""
    blocks: dict[tuple, Block] = {}
    order: list[Block] = []
    pieces: list[str] = []
    if text.startswith("\ufeff"):  # a byte-order mark at the start of an input is skipped
        text = text[1:]
    for raw in text.split("\n"):
        row = raw[:-1] if raw.endswith("\r") else raw
        row = row.strip()
        if row == "" or row.startswith("#"):
            continue
        words = row.split()
        if len(words) > 1:
            try:
                parse_header(words[0])
                pieces.extend(words)
                continue
            except DecodeError:
                pass
        pieces.append(row)
    current = None
    raw_blocks = []
    for piece in pieces:
        if normalise(piece).startswith("BG"):
            current = Block(*parse_header(piece), source)
            raw_blocks.append(current)
        elif current is None:
            raise DecodeError("Text/NoHeader", "a line before any BG1 header")
        else:
            parse_line(current, piece)
    if not raw_blocks:
        raise DecodeError("Text/NoHeader", "no BG1 header at all")
    for b in raw_blocks:
        key = (b.kind, b.count, b.chk)
        if key in blocks:
            blocks[key].merge(b)
        else:
            blocks[key] = b
            order.append(b)
    return order


def payload_of(b: Block, lines: dict[int, str]) -> bytes | None:
    try:
        payload = b32decode("".join(lines[k] for k in range(1, b.count + 1)))
    except DecodeError:
        return None
    return payload if header_checksum(b.kind, payload) == b.chk else None


def decode_block(b: Block) -> bytes:
    """Rules 6 and 7."""
    missing = b.missing()
    aside = [(n, s) for n, s in b.aside if n in missing]
    if aside:
        n, s = aside[0]
        if len(missing) == 1:
            w = b.width
            lines = dict(b.lines)
            lines[n] = s[w:-1]
            if payload_of(b, lines) is not None:
                raise DecodeError("Text/CheckCharacterTypo", f"line {n}: the check character itself has a typo")
            hits = []
            for pos in range(w, len(s) - 1):
                for a in ALPHABET:
                    if a == s[pos]:
                        continue
                    t = s[:pos] + a + s[pos + 1:-1]
                    if check_char(t) != s[-1]:
                        continue
                    lines[n] = t[w:]
                    if payload_of(b, lines) is not None:
                        hits.append(pos)
            if len(hits) == 1:
                raise DecodeError("Text/LineCheck", f"line {n} has a typo, probably in group {(hits[0] - w) // 4 + 1}")
        raise DecodeError("Text/LineCheck", f"line {n} has a typo")
    if missing:
        raise DecodeError("Text/MissingLines", "missing lines " + ", ".join(map(str, missing)))
    payload = b32decode("".join(b.lines[k] for k in range(1, b.count + 1)))
    if header_checksum(b.kind, payload) != b.chk:
        raise DecodeError("Text/Checksum", "header checksum does not match the lines")
    return payload


def decode_complete(blocks: list[Block]):
    shares, vaults = [], []
    for b in blocks:
        payload = decode_block(b)
        (shares if b.kind == "S" else vaults).append(Share(payload) if b.kind == "S" else Vault(payload))
    return shares, vaults


def decode_input(text: str):
    """§6.5 "One input's error": complete blocks first, then the first incomplete block."""
    blocks = parse_text(text)
    complete = [b for b in blocks if not b.missing()]
    shares, vaults = decode_complete(complete)
    for b in blocks:
        if b.missing():
            decode_block(b)
    return shares, vaults


def gather(inputs):
    """Several inputs, as FORMAT.md §9.1 lists today's rules. Returns shares, vaults, dropped, pooled."""
    shares, vaults, dropped = [], [], []
    pooled: list[tuple[list[str], Block]] = []
    for name, text in inputs:
        try:
            blocks = parse_text(text, name)
        except DecodeError as e:
            dropped.append(f"{name}: {e.kind}")
            continue
        complete = []
        for b in blocks:
            if not b.missing():
                complete.append(b)
            elif b.kind == "V":
                hit = [p for p in pooled if (p[1].kind, p[1].count, p[1].chk) == (b.kind, b.count, b.chk)]
                if hit:
                    try:
                        hit[0][1].merge(b)
                        hit[0][0].append(name)
                    except DecodeError as e:
                        dropped.append(f"{name}: {e.kind}")
                else:
                    pooled.append(([name], b))
            else:
                try:
                    decode_block(b)
                except DecodeError as e:
                    dropped.append(f"{name}: {e.kind}")
        if complete:
            try:
                s_, v_ = decode_complete(complete)
                shares += s_
                vaults += v_
            except DecodeError as e:
                dropped.append(f"{name}: {e.kind}")
    incomplete = []
    for names, b in pooled:
        if b.missing():
            incomplete.append(b)
            continue
        try:
            s_, v_ = decode_complete([b])
            vaults += v_
        except DecodeError as e:
            dropped.append(f"{' + '.join(names)}: {e.kind}")
    return shares, vaults, dropped, incomplete


# ---------------------------------------------------------------- §2 share
class Share:
    def __init__(self, raw: bytes):
        if raw[0] == 0:
            raise DecodeError("Share/BadVersion", "version 0")
        if raw[0] > 1:
            raise DecodeError("Share/NewerVersion", "made by a newer breakglass; upgrade to read it")
        if len(raw) != 56:
            raise DecodeError("Share/BadLength", f"{len(raw)} bytes, not 56")
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
    bidi = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
    if any(ord(ch) in bidi for ch in s):
        raise DecodeError("Vault/BadLabel", f"{what} has a bidirectional formatting character")
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
            for value, lo, hi in ((m, 8192, 4194304), (t, 1, 64), (p, 1, 16)):
                if value > hi:
                    raise DecodeError("Vault/Kdf/TooExpensive", f"m={m} t={t} p={p}")
                if value < lo:
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
    """§5, front to back; errors named Recover/Contents/<Kind> (§9)."""
    p = 0

    def take(n):
        nonlocal p
        if p + n > len(pt):
            raise DecodeError("Recover/Contents/Malformed", "truncated")
        v = pt[p:p + n]
        p += n
        return v

    ver = take(1)[0]
    if ver == 0:
        raise DecodeError("Recover/Contents/Malformed", "version 0")
    if ver > 1:
        raise DecodeError("Recover/Contents/NewerVersion", "upgrade breakglass")
    count = int.from_bytes(take(2), "big")
    if count < 1:
        raise DecodeError("Recover/Contents/Empty")
    entries = []
    for _ in range(count):
        kind = take(1)[0]
        if kind not in KINDS:
            raise DecodeError("Recover/Contents/UnknownEntry", f"kind {kind}: upgrade breakglass")
        name, nf = KINDS[kind]
        fields = []
        for _ in range(nf):
            ln = int.from_bytes(take(2), "big")
            if ln > 8192:
                raise DecodeError("Recover/Contents/FieldTooLong")
            try:
                fields.append(take(ln).decode("utf-8"))
            except UnicodeDecodeError:
                raise DecodeError("Recover/Contents/Malformed", "not UTF-8")
        entries.append((name, fields))
    if p != len(pt):
        raise DecodeError("Recover/Contents/Malformed", "trailing bytes")
    return entries


def format_entry(name, fields) -> str:
    # §9: a backslash is written \\ and a newline \n.
    return " | ".join([name] + [f.replace("\\", "\\\\").replace("\n", "\\n") for f in fields])


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
def row_header(raw: str):
    """§7.1: the header (kind, L, checksum) the row's first piece (§6.5 rule 1) is, if rule 3
    accepts it; else None."""
    row = (raw[:-1] if raw.endswith("\r") else raw).strip()
    if row == "" or row.startswith("#"):
        return None
    words = row.split()
    piece = row
    if len(words) > 1:
        try:
            parse_header(words[0])
            piece = words[0]
        except DecodeError:
            pass
    if not normalise(piece).startswith("BG"):
        return None
    try:
        return parse_header(piece)
    except DecodeError:
        return None


def cut_file(text: str, name: str):
    """§7.1 "Cutting files into inputs" for a text: at each share header row, and each vault
    header row that differs from a vault header already in the part, with a piece row before
    it, cut after the last piece row; parts are named "NAME part N" when several."""
    rows = text.split("\n")
    parts: list[list[str]] = [[]]
    pending: list[str] = []  # blank and '#' rows since the last piece row
    seen_piece, vault = False, None
    for i, raw in enumerate(rows):
        row = raw + ("\n" if i < len(rows) - 1 else "")
        stripped = (raw[:-1] if raw.endswith("\r") else raw).strip()
        is_piece = stripped != "" and not stripped.startswith("#")
        if not is_piece:
            pending.append(row)
            continue
        h = row_header(raw)
        if h is not None and seen_piece and (h[0] == "S" or (vault is not None and vault != h)):
            parts.append([])
            vault = None
        if h is not None and h[0] == "V":
            vault = h
        parts[-1].extend(pending)
        pending = []
        parts[-1].append(row)
        seen_piece = True
    parts[-1].extend(pending)
    texts = ["".join(p) for p in parts]
    if len(texts) == 1:
        return [(name, texts[0])]
    return [(f"{name} part {i + 1}", t) for i, t in enumerate(texts)]


def split_inputs(text: str, name: str):
    """§9: '# input: NAME' rows start inputs and '# file: NAME' rows files, each cut into
    inputs by §7.1; without them the whole text is one input."""
    sections, cur, seen = [], [name, "", False], False
    for row in text.splitlines(keepends=True):
        for mark, is_file in (("# input: ", False), ("# file: ", True)):
            if row.startswith(mark):
                if seen:
                    sections.append(tuple(cur))
                cur, seen = [row[len(mark):].strip(), "", is_file], True
                break
        else:
            cur[1] += row
    sections.append(tuple(cur))
    inputs = []
    for n, t, is_file in sections:
        inputs.extend(cut_file(t, n) if is_file else [(n, t)])
    return inputs


def recover(text: str, passphrase: str | None, trace: dict | None = None):
    trace = {} if trace is None else trace
    inputs = split_inputs(text, "input")
    if len(inputs) == 1:
        shares, vaults = decode_input(inputs[0][1])
        dropped = []
    else:
        shares, vaults, dropped, incomplete = gather(inputs)
        trace["dropped"] = dropped
        if not vaults and incomplete:
            decode_block(incomplete[0])
    trace["dropped"] = dropped
    if not shares:
        raise DecodeError("Recover/NoShares", "no share given")
    if not vaults:
        raise DecodeError("Recover/NoVault", "no vault text given")
    # §7.2 step 2: every distinct copy is a candidate, with how many inputs carry it and
    # where it first appears.
    cands: list[list] = []
    for pos, v in enumerate(vaults):
        for c in cands:
            if c[0].raw == v.raw:
                c[1] += 1
                break
        else:
            cands.append([v, 1, pos])
    infos = [(v, checking_shares(v, shares), count, pos) for v, count, pos in cands]
    # Step 4: lowest KDF cost, most checking shares, most inputs, first position.
    infos.sort(key=lambda i: (kdf_cost(i[0]), -len(i[1]), -i[2], i[3]))
    viable = [i for i in infos if len(i[1]) >= i[0].k]
    if not viable:  # step 5
        ids = {s.vault_id for s in shares} | {v.vault_id for v in vaults}
        if len(ids) > 1:
            raise DecodeError("Recover/MixedVaults", f"{len(ids)} different vault ids")
        v, chk = infos[0][0], infos[0][1]
        raise DecodeError("Recover/NotEnoughShares",
                          f"{v.k} of {v.n} shares are needed, {len(chk)} usable given")
    if passphrase is not None and all(i[0].argon is None for i in viable):  # step 6
        raise DecodeError("Recover/PassphraseNotUsed", "a passphrase was given; this vault has none")
    opened, first_err = [], None
    for v, chk, _, _ in viable:  # step 7
        if opened and (v.vault_id != opened[0][0].vault_id
                       or any(o[0].generation == v.generation for o in opened)):
            continue
        attempt: dict = {}
        try:
            pt = open_vault(v, sorted(chk, key=lambda s: s.x)[:v.k], passphrase, attempt)
        except DecodeError as e:
            first_err = first_err or e
            continue
        try:  # authenticated: contents a newer writer made stay this copy's outcome (step 8)
            entries = parse_contents(pt)
        except DecodeError as e:
            entries = e
        opened.append((v, entries, attempt))
    if not opened:  # step 8
        raise first_err
    v, entries, attempt = max(opened, key=lambda o: o[0].generation)
    trace.update(attempt)
    if isinstance(entries, DecodeError):
        raise entries
    return entries


def kdf_cost(v: "Vault") -> int:
    """§7.2 step 4: 0 without a passphrase, else Argon2id m × t."""
    return 0 if v.argon is None else v.argon[0] * v.argon[1]


def checking_shares(v: "Vault", shares) -> list:
    """§7.2 step 3: the shares the copy's header commits to; a repeated index is a duplicate."""
    out, taken = [], set()
    for s in shares:
        if (s.vault_id, s.generation, s.k) != (v.vault_id, v.generation, v.k):
            continue
        if not 1 <= s.x <= v.n or s.commitment() != v.commitments[s.x - 1]:
            continue
        if s.x not in taken:
            taken.add(s.x)
            out.append(s)
    return out


def open_vault(vault: Vault, shares, passphrase, trace):
    """§7.2 step 7, one candidate: combine its k shares, derive K (§4) and open (§3); the
    plaintext (§5 is parsed by the caller)."""
    if vault.argon is not None and passphrase is None:
        raise DecodeError("Recover/PassphraseRequired", "this vault needs its passphrase")
    secret = combine(shares)
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
    return pt


# ---------------------------------------------------------------- vector files / CLI
def read_vector(path: str):
    meta: dict[str, str] = {}
    entries: list[str] = []
    # §6.5: bytes that are not UTF-8 read as U+FFFD.
    with open(path, encoding="utf-8", errors="replace") as f:
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
        elif key == "dropped":
            meta.setdefault("dropped", [])
            meta["dropped"].append(val)
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
                problems.append(f"rejected as {val.kind}, vector says {want_kind}")
        else:
            problems.append(f"unknown expect header {expect!r}")
        if "# input: " in open(path, encoding="utf-8", errors="replace").read() and \
                trace.get("dropped") != meta.get("dropped", []):
            problems.append(f"inputs left out: {trace.get('dropped')} vs {meta.get('dropped', [])}")
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
