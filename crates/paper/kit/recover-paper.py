#!/usr/bin/env python3
# recover-paper.py: opens a breakglass vault from the text of its sheets
# (typed BG1 blocks, or what a QR app shows) with Python 3.8+ alone: the
# short decoder, to type from paper. FORMAT.md is cited as "section n".
#   python3 recover-paper.py sheet-1.txt sheet-2.txt   (or - for stdin)
# A passphrase needs argon2id.py (the appendix) beside it, or argon2-cffi.
import getpass
import hashlib
import hmac
import re
import struct
import sys

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
HEADER = "BG0*1([SV])([1-9][0-9]{0,2})([0-9A-Z]{7})$"  # section 6.5 rule 3
NOUN = {"S": "share", "V": "vault"}


class Bad(Exception):
    """A sheet that cannot be used; the message says why."""


def b32decode(text):
    """Crockford base32 to bytes, strict (section 6.1); None if impossible."""
    n = len(text) * 5 // 8
    if (8 * n + 4) // 5 != len(text):
        return None
    acc = 0
    for c in text:
        acc = acc << 5 | ALPHABET.index(c)
    extra = len(text) * 5 - 8 * n
    if acc & ((1 << extra) - 1):
        return None
    return (acc >> extra).to_bytes(n, "big")


def check_char(symbols):
    """The line check (section 6.3): GF(32), x^5 + x^2 + 1, alpha = 2."""
    acc = 0
    for c in symbols:
        acc = (acc ^ ALPHABET.index(c)) << 1
        acc ^= 0x25 if acc & 32 else 0
    return ALPHABET[acc]


def normalize(s):
    """Section 6.5: no spaces or dashes, upper case, O is 0, I and L are 1."""
    s = s.upper().replace(" ", "").replace("-", "").replace("\t", "")
    return s.replace("O", "0").replace("I", "1").replace("L", "1")


def read_blocks(text):
    """The blocks of a text: {(kind, lines, checksum): {number: data}}."""
    blocks, cur = {}, None
    for row in text.splitlines():
        row = row.strip()
        if not row or row.startswith("#"):
            continue
        words = row.split()  # a QR code's text: header and lines on one row
        qr = len(words) > 1 and re.match(HEADER, normalize(words[0]))
        for piece in words if qr else [row]:
            p = normalize(piece)
            if p.startswith("BG"):
                m = re.match(HEADER, p)
                if not m:
                    raise Bad("header %s is not a BG1 share or vault" % piece)
                key = (m.group(1), int(m.group(2)), m.group(3))
                cur = blocks.setdefault(key, {})
            elif cur is None:
                raise Bad("a line comes before any BG1 header line")
            else:
                try:
                    add_line(key, cur, p)
                except Bad as e:  # this block lacks the line; others go on
                    print("skipped: %s" % e, file=sys.stderr)
    return blocks


def add_line(key, lines, p):
    """One numbered line with its check character (section 6.3)."""
    noun, count, width = NOUN[key[0]], key[1], max(2, len(str(key[1])))
    if not p[:width].isdigit() or not 1 <= int(p[:width]) <= count:
        raise Bad("%s line %s: no line number 1 to %d" % (noun, p, count))
    number, size = int(p[:width]), len(p) - width - 1
    if not (0 < size <= 20 if number == count else size == 20):
        raise Bad("%s line %d: %d characters, not 20" % (noun, number, size))
    if any(c not in ALPHABET for c in p) or check_char(p[:-1]) != p[-1]:
        raise Bad("%s line %d has a typo: retype it" % (noun, number))
    lines[number] = p[width:-1]


def payload(key, lines):
    """A complete block's bytes, with its header checksum checked."""
    kind, count, checksum = key
    missing = [i for i in range(1, count + 1) if i not in lines]
    if missing:
        raise Bad("the %s lacks line(s) %s" % (NOUN[kind], missing))
    raw = b32decode("".join(lines[i] for i in range(1, count + 1)))
    digest = hashlib.sha256(b"BG1-" + kind.encode() + (raw or b"")).digest()
    if raw is None or b32decode(checksum) != digest[:4]:
        raise Bad("the %s lines do not match their header: a typo in the "
                "header, or a line of another sheet?" % NOUN[kind])
    return raw


class Share:
    """Section 2: 56 bytes."""

    def __init__(self, raw):
        if len(raw) != 56 or raw[0] != 1:
            raise Bad("not a version 1 share of 56 bytes")
        self.raw, self.vault_id = raw, raw[1:17]
        self.generation = int.from_bytes(raw[17:21], "big")
        self.k, self.n, self.index = raw[21], raw[22], raw[23]
        self.y = raw[24:]


class Vault:
    """Section 3: the envelope; every byte before the nonce is the header."""

    def __init__(self, raw):
        self.raw, self.at = raw, 0
        if self.take(1)[0] != 1:
            raise Bad("not a version 1 vault")
        self.vault_id = self.take(16)
        self.generation = self.number(4)
        self.take(10)  # the creation date (8 bytes), the drill interval (2)
        self.k, self.n = self.take(2)
        kdf, self.kdf = self.take(1)[0], None
        if kdf == 1:
            m, t, p = struct.unpack(">III", self.take(12))
            if not (8192 <= m <= 4194304 and 1 <= t <= 64 and 1 <= p <= 16):
                raise Bad("the vault's Argon2id parameters are out of range")
            self.kdf = (m, t, p, self.take(16))
        elif kdf != 0:
            raise Bad("unknown key derivation %d" % kdf)
        self.commitments = [self.take(16) for _ in range(self.n)]
        self.tenant = self.label()
        self.labels = [(self.label(), self.label()) for _ in range(self.n)]
        self.header = raw[:self.at]
        self.nonce = self.take(24)
        self.ciphertext = self.take(self.number(2))
        if self.at != len(raw) or len(self.ciphertext) < 16:
            raise Bad("the vault has bytes after its end, or no tag")

    def take(self, size):
        if self.at + size > len(self.raw):
            raise Bad("the vault text is truncated")
        self.at += size
        return self.raw[self.at - size:self.at]

    def number(self, size):
        return int.from_bytes(self.take(size), "big")

    def label(self):
        return self.take(self.number(1)).decode("utf-8", "replace")

    def checks(self, s):
        """Section 7.2 rule 3: the share belongs to this copy of the vault."""
        h = hashlib.sha256(b"breakglass v1 share commitment" + s.raw)
        return (s.vault_id == self.vault_id and s.k == self.k
                and s.generation == self.generation and 0 < s.index <= self.n
                and self.commitments[s.index - 1] == h.digest()[:16])


# Shamir over GF(2^8), x^8 + x^4 + x^3 + x^2 + 1 (section 2)
EXP, LOG = [0] * 510, [0] * 256
x = 1
for i in range(255):
    EXP[i] = EXP[i + 255] = x
    LOG[x] = i
    x = x << 1 ^ (0x11D if x & 0x80 else 0)


def gf_mul(a, b):
    return 0 if a == 0 or b == 0 else EXP[LOG[a] + LOG[b]]


def combine(shares):
    """Lagrange interpolation at 0 over k shares: the vault secret."""
    secret = bytearray(32)
    for s in shares:
        w = 1
        for m in shares:
            if m is not s:
                w = gf_mul(w, EXP[LOG[m.index] + 255 - LOG[m.index ^ s.index]])
        for j in range(32):
            secret[j] ^= gf_mul(s.y[j], w)
    return bytes(secret)


def hkdf(salt, ikm, info):
    """HKDF-SHA256 (RFC 5869), 32 bytes."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


M32 = 0xFFFFFFFF
SIGMA = struct.unpack("<4I", b"expand 32-byte k")


def rounds(state):
    """The 20 ChaCha rounds (RFC 8439) on 16 words."""
    x = list(state)

    def quarter(a, b, c, d):
        for r1, r2 in ((16, 12), (8, 7)):
            x[a] = (x[a] + x[b]) & M32
            x[d] ^= x[a]
            x[d] = (x[d] << r1 | x[d] >> (32 - r1)) & M32
            x[c] = (x[c] + x[d]) & M32
            x[b] ^= x[c]
            x[b] = (x[b] << r2 | x[b] >> (32 - r2)) & M32
    for _ in range(10):
        for a in range(4):  # columns, then diagonals
            quarter(a, a + 4, a + 8, a + 12)
        for a in range(4):
            quarter(a, (a + 1) % 4 + 4, (a + 2) % 4 + 8, (a + 3) % 4 + 12)
    return x


def chacha20(key, nonce12, counter, data):
    """data XOR the ChaCha20 key stream from block `counter`."""
    out = bytearray()
    for i in range(0, len(data), 64):
        state = (SIGMA + struct.unpack("<8I", key) + (counter + i // 64,)
                + struct.unpack("<3I", nonce12))
        words = [(a + b) & M32 for a, b in zip(rounds(state), state)]
        stream = struct.pack("<16I", *words)
        out += bytes(a ^ b for a, b in zip(data[i:i + 64], stream))
    return bytes(out)


def poly1305(key, msg):
    """The one-time authenticator (RFC 8439 section 2.5)."""
    r = int.from_bytes(key[:16], "little")
    r &= 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    acc, p = 0, (1 << 130) - 5
    for i in range(0, len(msg), 16):
        acc = (acc + int.from_bytes(msg[i:i + 16] + b"\x01", "little")) * r % p
    acc = (acc + int.from_bytes(key[16:], "little")) & ((1 << 128) - 1)
    return acc.to_bytes(16, "little")


def xchacha_open(key, nonce, ciphertext, aad):
    """XChaCha20-Poly1305: the plaintext, or None if the tag is wrong."""
    x = rounds(SIGMA + struct.unpack("<8I", key)
            + struct.unpack("<4I", nonce[:16]))
    subkey = struct.pack("<8I", *(x[0:4] + x[12:16]))
    nonce12 = bytes(4) + nonce[16:]
    body, tag = ciphertext[:-16], ciphertext[-16:]
    otk = chacha20(subkey, nonce12, 0, bytes(32))
    mac = (aad + bytes(-len(aad) % 16) + body + bytes(-len(body) % 16)
        + struct.pack("<QQ", len(aad), len(body)))
    if not hmac.compare_digest(poly1305(otk, mac), tag):
        return None
    return chacha20(subkey, nonce12, 1, body)


def contents(pt):
    """Section 5: the entries, as (kind, [fields])."""
    kinds = [None, "Account", "FIDO2 key", "TOTP", "Note"]
    if pt[0] != 1 or pt[1:3] == bytes(2):
        raise Bad("the contents are empty or of a newer version")
    at, entries = 3, []
    for _ in range(int.from_bytes(pt[1:3], "big")):
        kind = pt[at]
        if not 1 <= kind <= 4:
            raise Bad("unknown entry kind %d: use breakglass" % kind)
        at, values = at + 1, []
        for _ in range(3 if kind == 1 else 2):
            size = int.from_bytes(pt[at:at + 2], "big")
            if at + 2 + size > len(pt) or size > 8192:
                raise Bad("the contents are truncated")
            values.append(pt[at + 2:at + 2 + size].decode("utf-8"))
            at += 2 + size
        entries.append((kinds[kind], values))
    if at != len(pt):
        raise Bad("the contents have bytes after their end")
    return entries


def stretch(passphrase, m, t, p, salt):
    """Argon2id (RFC 9106), from argon2-cffi or the appendix's argon2id.py."""
    try:
        from argon2.low_level import Type, hash_secret_raw
        return hash_secret_raw(passphrase, salt, t, m, p, 32, Type.ID, 19)
    except ImportError:
        import argon2id
        return argon2id.argon2id(passphrase, salt, m, t, p)


def unlock(vault, shares, passphrase):
    """Combines the k shares, derives the key (section 4) and opens."""
    ikm = combine(shares)
    if vault.kdf is not None:
        m, t, p, salt = vault.kdf
        print("stretching the passphrase (%d MiB)..." % (m // 1024))
        ikm += stretch(passphrase.encode(), m, t, p, salt)
    key = hkdf(vault.vault_id, ikm, b"breakglass v1 vault key")
    return xchacha_open(key, vault.nonce, vault.ciphertext, vault.header)


SHARES = """BG1-S-5-JM3QPN8
01  06D3 EH2G 8NG6 77P6 E2VT  J
02  2ZA9 5CKG 0000 0410 6091  2
03  PT3C E8TR 6GMF J77Q XX98  Y
04  K53C F7G2 KN56 A1R8 68C1  9
05  2BFK WP9F YW  X
BG1-S-5-VQJQGC8
01  06D3 EH2G 8NG6 77P6 E2VT  J
02  2ZA9 5CKG 0000 0410 60K3  1
03  25SF A8YW 0WX8 CG48 QQCQ  G
04  PGNA GE6G 3RR4 ZJZM 26TQ  F
05  DZPK 3XGS P4  4"""


def self_test():
    """Known answers (tests/vectors/ok-2of3-plain): a typo in this program
    is found here, before any sheet is blamed."""
    try:
        shares = [Share(payload(*b)) for b in read_blocks(SHARES).items()]
    except Bad:
        sys.exit("SELF-TEST FAILED in reading text (the line check, base32)")
    secret = combine(shares)
    key = hkdf(shares[0].vault_id, secret, b"breakglass v1 vault key")
    stream = chacha20(key, bytes(12), 7, bytes(100))
    sealed = bytes.fromhex("bfaeb2c2cbc4192b4fc6f4736be8fe79bbbf")
    mac = poly1305(key, stream).hex()
    got = [secret.hex()[:16], key.hex()[:16],
        hashlib.sha256(stream).hexdigest()[:16], mac,
        xchacha_open(key, bytes(range(24)), sealed, b"bg")]
    want = ["1f20212223242526", "05f42303525a97ff", "57dbc88e4ef726e8",
            "a2445a5d73c6c7c9e9f0dfdf375a5056", b"ok"]
    names = ["Shamir (GF tables, combine)", "HKDF", "ChaCha20", "Poly1305",
            "XChaCha20-Poly1305"]
    for name, g, w in zip(names, got, want):
        if g != w:
            sys.exit("SELF-TEST FAILED in %s: this program has a typo there; "
                    "check its lines against the listing" % name)


def main(names):
    self_test()
    pool, passphrase, opened = {}, None, []
    if names[:1] == ["--passphrase-file"]:  # else it is asked for
        passphrase = open(names[1], encoding="utf-8-sig").read()
        passphrase, names = passphrase.rstrip("\n").rstrip("\r"), names[2:]
    for name in names or ["-"]:
        try:
            f = sys.stdin
            if name != "-":
                f = open(name, encoding="utf-8-sig", errors="replace")
            for key, lines in read_blocks(f.read()).items():
                pool.setdefault(key, {}).update(lines)  # all files together
        except (Bad, OSError, ValueError) as e:
            print("left out %s: %s" % (name, e), file=sys.stderr)
    shares, vaults = [], []
    for key, lines in pool.items():
        try:
            raw = payload(key, lines)
            (shares if key[0] == "S" else vaults).append(
                Share(raw) if key[0] == "S" else Vault(raw))
        except (Bad, ValueError) as e:
            print("left out a block: %s" % e, file=sys.stderr)
    vaults.sort(key=lambda v: v.kdf and v.kdf[0] * v.kdf[1] or 0)  # cheapest
    for vault in vaults:
        if opened and vault.kdf:
            continue  # no passphrase cost is spent once a copy has opened
        usable = {s.index: s for s in reversed(shares) if vault.checks(s)}
        if len(usable) < vault.k:
            continue
        if vault.kdf and passphrase is None:
            try:
                passphrase = getpass.getpass("Passphrase: ")
            except EOFError:
                sys.exit("a passphrase is needed: give --passphrase-file FILE")
        chosen = [usable[i] for i in sorted(usable)][:vault.k]
        plaintext = unlock(vault, chosen, passphrase)
        if plaintext is None:
            print("a vault copy did not open: wrong passphrase, or its text "
                "was altered", file=sys.stderr)
        else:
            opened.append((vault.generation, vault.tenant, plaintext))
    if not opened:
        sys.exit("not opened: no vault copy with k shares that belong to it")
    generation, tenant, plaintext = max(opened)  # the newest generation
    print("Vault of %s, generation %d, opened" % (tenant, generation))
    try:
        for kind, values in contents(plaintext):
            print("%-10s %s" % (kind + ":", " | ".join(values)))
    except (Bad, IndexError, UnicodeDecodeError) as e:
        sys.exit("the vault opened, but its contents cannot be read: "
                "%s: use breakglass or recover.py" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
