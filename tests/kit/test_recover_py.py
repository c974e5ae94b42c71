#!/usr/bin/env python3
"""Tests for recover.py, standard library only. Runs recover.py as `python3 -I -S` (no site
packages, so the pure-Python Argon2id is what runs) and compares it with the breakglass binary.
tests/e2e/kit.rs runs it on the recover.py that `breakglass kit` wrote.

  python3 test_recover_py.py --recover PATH --binary PATH --vectors DIR [--bench]

--bench also opens a default-parameter (512 MiB, t=3, p=1) passphrase vault once and prints
the time: a benchmark, not a timed test.
"""
import argparse
import contextlib
import importlib.util
import io
import itertools
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

RECOVER = None  # the recover.py under test (set from --recover)
recover = None  # that file as a module, for the known-answer checks


def load(path):
    global RECOVER, recover
    RECOVER = os.path.abspath(path)
    spec = importlib.util.spec_from_file_location("recover", RECOVER)
    recover = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recover)

failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL", what)


def run_py(args, stdin=None):
    p = subprocess.run([sys.executable, "-I", "-S", RECOVER] + args, input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=None if stdin is not None else subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def run_bin(binary, args, stdin=None):
    p = subprocess.run([binary, "recover", "--json"] + args, input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=None if stdin is not None else subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def same_json(a, b):
    """Equal JSON, except that a TOTP code may have moved on between the two runs."""
    a, b = json.loads(a), json.loads(b)
    for x, y in zip(a.get("entries", []), b.get("entries", [])):
        if x.get("kind") == "totp" and x.get("code") != y.get("code"):
            if abs((x["seconds_left"] or 0) - (y["seconds_left"] or 0)) < 5:
                return False
            x["code"] = y["code"]
        for e in (x, y):
            e.pop("seconds_left", None)
    return a == b


def compare(binary, args, what, stdin=None, want_rc=None):
    """recover.py and `breakglass recover --json` agree: exit code and, if 0, the JSON."""
    rc_py, out_py, err_py = run_py(["--json"] + args, stdin)
    rc_bin, out_bin, _ = run_bin(binary, args, stdin)
    check(rc_py == rc_bin, "%s: exit %d, breakglass %d (%s)" % (what, rc_py, rc_bin,
                                                                 err_py.strip()[-300:]))
    if want_rc is not None:
        check(rc_py == want_rc, "%s: exit %d, wanted %d" % (what, rc_py, want_rc))
    if rc_py == 0 and rc_bin == 0:
        check(same_json(out_py, out_bin), "%s: JSON differs\n%s\n%s" % (what, out_py, out_bin))
    return rc_py, out_py, err_py


# ---------------------------------------------------------------- vectors -------------------
def vector_meta(text):
    meta, entries = {}, []
    for row in text.splitlines():
        m = re.match(r"# ([a-z0-9-]+): (.*)$", row)
        if m and m.group(1) == "entry":
            entries.append(m.group(2))
        elif m and m.group(1) not in meta:
            meta[m.group(1)] = m.group(2)
    return meta, entries


def entry_line(e):
    """FORMAT.md §9: a backslash is written \\\\ and a newline \\n."""
    return " | ".join([e["kind"]] + [v.replace("\\", "\\\\").replace("\n", "\\n")
                                     for k, v in e.items()
                                     if k not in ("kind", "code", "seconds_left")])


def read_vector(path):
    """A vector's bytes as text; bytes that are not UTF-8 kept (surrogateescape) so that its
    inputs are written back byte for byte (§6.5: some vectors are not UTF-8 on purpose)."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def write_input(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
        f.write(text)
    return path


EXIT_OF_STAGE = {"Text": 3, "Share": 3, "Vault": 3}
EXIT_OF_RECOVER = {"NoShares": 4, "NoVault": 4, "NotEnoughShares": 4, "MixedVaults": 4,
                   "GenerationNotGiven": 4,
                   "Altered": 5, "WrongPassphraseOrAltered": 5, "PassphraseRequired": 2,
                   "PassphraseNotUsed": 2, "CostDeclined": 5, "Contents": 5}


def test_vectors(binary, d, tmp):
    names = sorted(f for f in os.listdir(d) if f.endswith(".txt"))
    check(len(names) >= 86, "only %d vectors" % len(names))
    positive = negative = multi = 0
    for name in names:
        path = os.path.join(d, name)
        meta, want = vector_meta(read_vector(path))
        args = []
        if meta["passphrase"] != "(none)":
            pw = os.path.join(tmp, "vector-pass")
            with open(pw, "w") as f:
                f.write(meta["passphrase"] + "\n")
            args = ["--passphrase-file", pw]
        inputs = split_inputs(read_vector(path))
        if inputs:  # §9: several inputs, read as a recovery reads them (not --strict)
            multi += 1
            vdir = os.path.join(tmp, "vector-" + name)
            os.mkdir(vdir)
            paths = [write_input(vdir, n, text) for n, text in inputs]
            rc, out, err = run_py(["--json"] + args + paths)
            skipped = [r for r in err.splitlines() if r.startswith("warning: skipped ")]
            rows = [r.split(": ")[0] for r in dropped_rows(path)]
            for n, _ in inputs:  # §7.1 rule 6: one warning per item left out
                p = os.path.join(vdir, n)
                # A `# input:` row is one input of §7; written as a file, recover.py cuts it
                # by §7.1 into "NAME part N", each named as such.
                part = (r"warning: skipped %s part \d+: " % re.escape(p)
                        if "\n# file: " not in read_vector(path) else None)
                got = sum(1 for w in skipped if w.startswith("warning: skipped %s:" % p)
                          or w == "warning: skipped %s is empty" % p
                          or (part is not None and re.match(part, w)))
                check(got == rows.count(n), "%s: %s skipped %d times, %d dropped rows: %s"
                      % (name, n, got, rows.count(n), err))
            rejected = re.findall(r"^# rejected: (.*)$", read_vector(path), re.M)
            if rejected and rc == 0:  # §9 rejected rows: the sources, in order
                want_r = [os.path.join(vdir, r) for r in rejected if r != "(none)"]
                got_r = json.loads(out)["rejected"]
                check(len(got_r) == len(want_r) and all(
                    g.startswith(w + ": ") for g, w in zip(got_r, want_r)),
                    "%s: rejected %r" % (name, got_r))
        else:
            paths = [path]
            rc, out, err = run_py(["--strict", "--json"] + args + [path])
        if meta["expect"] == "ok":
            positive += 1
            check(rc == 0, "%s: exit %d: %s" % (name, rc, err))
            if rc == 0:
                got = [entry_line(e) for e in json.loads(out)["entries"]]
                check(got == want, "%s: entries %r" % (name, got))
            if not inputs:
                known_answers(name, path, meta)
        else:
            negative += 1
            kind = meta["expect"].split()[1]
            m = re.search(r"\[([A-Za-z0-9/]+)\]\s*$", err)
            check(m is not None and m.group(1) == kind, "%s: %s, want %s" % (
                name, m.group(1) if m else err, kind))
            stage, _, rest = kind.partition("/")
            want_rc = EXIT_OF_STAGE.get(stage) or EXIT_OF_RECOVER.get(
                "Contents" if rest.startswith("Contents/") else rest)
            # §7.3: the outcome's code, whatever inputs were left out.
            check(rc == want_rc, "%s: exit %d, want %s" % (name, rc, want_rc))
        # The vector's inputs, without --strict, exactly as the binary reads them.
        compare(binary, args + paths, "vector %s (as sheets)" % name)
    print("vectors: %d positive, %d negative, %d of them multi-input" % (positive, negative,
                                                                          multi))


def split_inputs(text):
    """§9: `# input: NAME` rows start the inputs of a multi-input vector, `# file: NAME` rows
    its files (which the readers cut into inputs by §7.1); [] for one input."""
    inputs = []
    for row in text.split("\n"):
        m = re.match(r"# (?:input|file): (.+)$", row)
        if m:
            inputs.append((m.group(1), []))
        elif inputs:
            inputs[-1][1].append(row)
    return [(n, "\n".join(rows).rstrip("\n") + "\n" if any(rows) else "")
            for n, rows in inputs]


def dropped_rows(path):
    return [m.group(1) for m in re.finditer(r"^# dropped: (.*)$", read_vector(path), re.M)]


def test_totp_vectors(d):
    """totp-codes.tsv (FORMAT.md §12.8): the code of each URI at its time, or none."""
    rows = 0
    with open(os.path.join(d, "totp-codes.tsv"), encoding="utf-8") as f:
        for row in f.read().splitlines():
            if row.startswith("#"):
                continue
            uri, t, want = row.split("\t")
            got = recover.totp_now(uri, int(t))
            check((got[0] if got else "-") == want, "TOTP %s at %s: %r" % (uri, t, got))
            rows += 1
    check(rows >= 10, "%d TOTP vectors" % rows)


def known_answers(name, path, meta):
    """The intermediate values of a positive vector: secret, Argon2id output, key."""
    text = read_vector(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    shares, vaults, _ = recover.decode_blocks(recover.parse_blocks(text))
    cands = recover.plan([("v", s) for s in shares], [("v", v) for v in vaults])
    c = cands[0]
    secret = recover.combine([s for _, s in c.usable[:c.vault.threshold]])
    check(secret.hex() == meta["vault-secret"], name + ": vault secret")
    ikm = secret
    if c.vault.kdf:
        params, salt = c.vault.kdf
        out = recover.argon2id_pure(meta["passphrase"].encode(), salt, *params)
        check(out.hex() == meta["argon2id-output"], name + ": Argon2id output")
        ikm += out
    key = recover.hkdf_sha256(c.vault.vault_id, ikm, b"breakglass v1 vault key")
    check(key.hex() == meta["encryption-key"], name + ": encryption key")


# ---------------------------------------------------------------- primitives ----------------
def test_primitives():
    # RFC 9106 §5.3 Argon2id (with secret and associated data, 4 lanes).
    tag = recover.argon2id_pure(b"\x01" * 32, b"\x02" * 16, 32, 3, 4, 32,
                                secret=b"\x03" * 8, data=b"\x04" * 12)
    check(tag.hex() == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659",
          "Argon2id RFC 9106 vector")
    # draft-irtf-cfrg-xchacha A.3.1: XChaCha20-Poly1305 known answer.
    key = bytes(range(0x80, 0xA0))
    nonce = bytes.fromhex("404142434445464748494a4b4c4d4e4f5051525354555657")
    aad = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
    ct = bytes.fromhex(
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa644"
        "0bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e"
        "3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
        "c0875924c1c7987947deafd8780acf49")
    pt = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
          b"for the future, sunscreen would be it.")
    check(recover.xchacha20poly1305_open(key, nonce, ct, aad) == pt, "XChaCha20-Poly1305 A.3.1")
    bad = bytearray(ct)
    bad[5] ^= 1
    check(recover.xchacha20poly1305_open(key, nonce, bytes(bad), aad) is None,
          "XChaCha20-Poly1305 rejects a changed ciphertext")
    check(recover.xchacha20poly1305_open(key, nonce, ct, aad[:-1]) is None,
          "XChaCha20-Poly1305 rejects changed associated data")
    # RFC 5869 A.1 HKDF-SHA256.
    okm = recover.hkdf_sha256(bytes.fromhex("000102030405060708090a0b0c"), b"\x0b" * 22,
                              bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42)
    check(okm.hex() == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208"
          "d5b887185865", "HKDF RFC 5869 A.1")
    # RFC 6238 B: TOTP, SHA-1, 8 digits, at 59 s and 1111111109 s.
    uri = "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8"
    check(recover.totp_now(uri, 59) == ("94287082", 1), "TOTP RFC 6238 at 59")
    check(recover.totp_now(uri, 1111111109) == ("07081804", 1), "TOTP RFC 6238 at 1111111109")
    check(recover.totp_now("otpauth://hotp/x?secret=GEZDGNBV", 59) is None, "HOTP is not TOTP")
    # Shamir: every pair of a 2-of-3 split of a known secret gives it back (hand-made shares
    # with f(x) = s + a*x over GF(2^8)).
    s, a = bytes(range(32)), bytes(range(100, 132))

    class P:
        def __init__(self, x):
            self.index, self.y = x, bytes(sv ^ recover.gf_mul(av, x) for sv, av in zip(s, a))
    for pair in itertools.combinations([P(1), P(2), P(3)], 2):
        check(recover.combine(list(pair)) == s, "Shamir pair %r" % [p.index for p in pair])


def test_argon2_against_cffi():
    """The pure-Python Argon2id against argon2-cffi (libargon2), when this interpreter has it
    (run the tests with a Python that has argon2-cffi installed; recover.py itself still runs
    with -I -S, so without it)."""
    try:
        from argon2.low_level import Type, hash_secret_raw
    except ImportError:
        print("argon2-cffi not importable: comparison skipped")
        return
    for m, t, p, pw in [(8, 1, 1, b"x"), (64, 2, 1, b"pass"), (256, 3, 2, "\u00e9t\u00e9".encode()),
                        (1024, 1, 4, b""), (37, 2, 3, b"odd"), (8192, 2, 1, b"correct horse")]:
        salt = b"saltsaltsaltsalt"
        want = hash_secret_raw(pw, salt, time_cost=t, memory_cost=m, parallelism=p, hash_len=32,
                               type=Type.ID, version=19)
        check(recover.argon2id_pure(pw, salt, m, t, p) == want,
              "Argon2id m=%d t=%d p=%d against argon2-cffi" % (m, t, p))


# ---------------------------------------------------------------- ceremonies ----------------
def ceremony(binary, out, extra):
    args = [binary, "ceremony", "--tenant", "contoso", "--out", out, "--allow-online",
            "--print-credentials"] + extra
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr.decode()
    return sorted(os.path.join(out, f) for f in os.listdir(out) if re.match(r"share-\d+\.txt$", f))


def blocks_of(path):
    """The (header, lines) blocks of a share file, in paper layout, as written."""
    out = []
    with open(path) as f:
        for row in f:
            row = row.strip()
            if row.startswith("BG1-"):
                out.append((row, []))
            elif row and not row.startswith("#"):
                out[-1][1].append(row)
    return out


def qr_parts(header, lines, per=32):
    """§6.4 QR layout: header, then compact lines; parts of at most 32 lines, balanced."""
    compact = [l.replace(" ", "") for l in lines]
    parts = -(-len(compact) // per)
    size = -(-len(compact) // parts)
    return [" ".join([header] + compact[i:i + size]) for i in range(0, len(compact), size)]


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def mutate_line(path, kind, number, tmp, name, how):
    """A copy of a share file with line `number` of its `kind` block changed by `how`."""
    out, in_block = [], False
    with open(path) as f:
        for row in f.read().split("\n"):
            if row.startswith("BG1-"):
                in_block = row.startswith("BG1-" + kind)
            elif in_block and row[:2] == "%02d" % number:
                row = how(row)
                if row is None:
                    continue
            out.append(row)
    return write(tmp, name, "\n".join(out))


def typo(row):  # changes one data character of the first group to another alphabet symbol
    c = row[4]
    return row[:4] + ("7" if c != "7" else "8") + row[5:]


def test_ceremonies(binary, tmp):
    with open(write(tmp, "totp.txt", "otpauth://totp/Contoso:bg1?secret=JBSWY3DPEHPK3PXP"
                    "&issuer=Contoso\n")):
        pass
    write(tmp, "note.txt", "recovery codes\n1111-2222\n3333-4444\n")
    plain = ceremony(binary, os.path.join(tmp, "plain"), [
        "--accounts", "2", "-k", "2", "--share", "Safe A=Alice", "--share", "Safe B",
        "--share", "Safe C", "--fido2", "YubiKey #1", "--totp-file",
        os.path.join(tmp, "totp.txt"), "--note-file", os.path.join(tmp, "note.txt")])
    for subset in list(itertools.combinations(plain, 2)) + [tuple(plain)]:
        compare(binary, list(subset), "plain %s" % [os.path.basename(p) for p in subset], None, 0)
    compare(binary, [plain[0]], "plain: one sheet", None, 4)
    # §4 rule 1 and §7.3: an empty passphrase file is a usage error (2), read after the
    # shortage (4) and after PassphraseNotUsed (2) are decided.
    empty = write(tmp, "empty-passphrase", "\n")
    compare(binary, ["--passphrase-file", empty, plain[0]], "empty passphrase, one sheet",
            None, 4)
    rc, _, err = compare(binary, ["--passphrase-file", empty, plain[0], plain[1]],
                         "empty passphrase, no-passphrase vault", None, 2)
    check("PassphraseNotUsed" in err, "empty passphrase before PassphraseNotUsed: " + err)
    compare(binary, [plain[0], plain[0]], "plain: one sheet twice", None, 4)
    with open(plain[0], "rb") as a, open(plain[2], "rb") as b:
        compare(binary, [], "plain: two sheets piped on stdin", a.read() + b.read(), 0)
    # Typed forms: lower case, no spaces, look-alikes O/I/L.
    with open(plain[1]) as f:
        t = f.read().lower().replace(" ", "").replace("0", "o").replace("1", "l")
    compare(binary, [plain[0], write(tmp, "typed.txt", t)], "plain: lower case typed", None, 0)
    # A typo: in a share line (that share is left out), in a vault line (another copy used).
    m = mutate_line(plain[0], "S", 2, tmp, "share-typo.txt", typo)
    compare(binary, [m, plain[1], plain[2]], "share line typo + 2 good", None, 0)
    # §7.3: one share left is NotEnoughShares, exit 4, though the typo was left out.
    compare(binary, [m, plain[1]], "share line typo + 1 good", None, 4)
    m = mutate_line(plain[0], "V", 7, tmp, "vault-typo.txt", typo)
    compare(binary, [m, plain[1]], "vault line typo + 1 good sheet", None, 0)
    m = mutate_line(plain[0], "V", 9, tmp, "vault-missing.txt", lambda r: None)
    compare(binary, [m, plain[2]], "vault line missing + 1 good sheet", None, 0)
    rc, _, err = run_py(["--strict", m, plain[2]])
    check(rc == 3 and "[Text/MissingLines]" in err, "strict: a missing vault line: " + err)
    # Split the vault block of sheet 1 into two files (a paper vault across two files).
    (sh, sl), (vh, vl) = blocks_of(plain[0])
    half = len(vl) // 2
    a = write(tmp, "half-a.txt", "\n".join([sh] + sl + [vh] + vl[:half]))
    b = write(tmp, "half-b.txt", "\n".join([vh] + vl[half:]))
    compare(binary, [a, b, plain[1]], "vault split over two files", None, 0)

    # Passphrase, 3 of 5, a large note: the vault needs several QR parts.
    write(tmp, "big.txt", "".join("line %03d of a long note: ABCDEFGHIJKLMNOPQRSTUVWXYZ\n" % i
                                  for i in range(16)))
    write(tmp, "pw.txt", "correct horse battery staple\n")
    pw = ["--passphrase-file", os.path.join(tmp, "pw.txt")]
    sheets = ceremony(binary, os.path.join(tmp, "pass"), [
        "--accounts", "1", "--allow-single-account", "-k", "3"] + sum([["--share", "Safe %d" % i] for i in range(5)], [])
        + ["--note-file", os.path.join(tmp, "big.txt"), "--passphrase-file",
           os.path.join(tmp, "pw.txt"), "--kdf-memory-mib", "8", "--kdf-iterations", "1"])
    (_, _), (vh, vl) = blocks_of(sheets[0])
    check(len(vl) > 64, "the big vault has %d lines (want more than 2 QR parts)" % len(vl))
    for subset in itertools.combinations(sheets, 3):
        compare(binary, pw + list(subset), "pass %s" % [os.path.basename(p) for p in subset],
                None, 0)
    compare(binary, pw + sheets[:2], "pass: two of three", None, 4)
    compare(binary, sheets[:3], "pass: no passphrase, no terminal", None, 2)
    _, _, err = compare(binary, ["--passphrase-file", write(tmp, "empty-pw", "")] + sheets[:3],
                        "pass: empty passphrase", None, 2)
    check("passphrase is empty" in err, "pass: empty passphrase: " + err)
    write(tmp, "wrong.txt", "wrong horse\n")
    compare(binary, ["--passphrase-file", os.path.join(tmp, "wrong.txt")] + sheets[:3],
            "pass: wrong passphrase", None, 5)
    compare(binary, pw + plain[:2], "plain: passphrase given", None, 2)
    # QR text as a phone shows it: each sheet's share code in its own file, the vault parts
    # spread over the files (part 1 from the first sheet, the rest from the others).
    files = []
    for i, s in enumerate(sheets[:3]):
        (sh, sl), (vh, vl) = blocks_of(s)
        parts = qr_parts(vh, vl)
        check(len(parts) >= 3, "vault in %d QR parts" % len(parts))
        mine = parts[i::3]
        files.append(write(tmp, "qr-%d.txt" % i, "\n".join(qr_parts(sh, sl) + mine) + "\n"))
    compare(binary, pw + files, "pass: QR text, vault parts over three inputs", None, 0)
    compare(binary, pw + files[:2] + [sheets[3]], "pass: QR text and a paper sheet", None, 0)
    rc, out, err = run_py(pw + files[:2])
    check(rc != 0 and "missing" in err, "QR parts missing are named: " + err)


# ---------------------------------------------------------------- forged inputs (§7) -------
def error_line(err):
    """The first `error:` line, without recover.py's trailing [kind]."""
    for row in err.splitlines():
        if row.startswith("error: "):
            return re.sub(r" \[[A-Za-z0-9/]+\]$", "", row)
    return None


def compare_error(binary, args, what, want_rc):
    """Both refuse with the same exit code and the same error message."""
    rc_py, _, err_py = run_py(args)
    rc_bin, _, err_bin = run_bin(binary, args)
    check(rc_py == rc_bin == want_rc, "%s: exit %d, breakglass %d, want %d" % (
        what, rc_py, rc_bin, want_rc))
    check(error_line(err_py) == error_line(err_bin), "%s: error differs\n%s\n%s" % (
        what, err_py, err_bin))
    return err_py


def encode_block(kind, raw):
    """A block in the §6 text form with its checksums: a forger can always compute them."""
    text = recover.b32encode(raw)
    lines = [text[i:i + 20] for i in range(0, len(text), 20)]
    width = max(2, len(str(len(lines))))
    rows = ["BG1-%s-%d-%s" % (kind, len(lines), recover.b32encode(
        recover.header_checksum(kind.encode(), raw)).decode())]
    for i, data in enumerate(lines, 1):
        symbols = b"%0*d" % (width, i) + data
        rows.append((symbols + bytes([recover.check_char(symbols)])).decode())
    return "\n".join(rows) + "\n"


def raw_of(path, kind):
    """The share or vault bytes of a share file."""
    with open(path, encoding="utf-8") as f:
        shares, vaults, _ = recover.decode_blocks(recover.parse_blocks(f.read()))
    return (shares if kind == "S" else vaults)[0].raw


def with_kdf(vault, memory_kib, passes):
    """The vault bytes with an Argon2id header inserted (the ciphertext no longer opens)."""
    kdf = b"\x01" + struct.pack(">III", memory_kib, passes, 1) + b"\x07" * 16
    return vault[:33] + kdf + vault[34:]


def test_forged(binary, tmp):
    """§7: forged inputs never block an honest quorum; a generation retires older sheets only
    once a copy of it authenticates; candidates are tried most-agreed, then cheapest first;
    differing copies are named. Each case against the binary."""
    d = os.path.join(tmp, "forged")
    os.mkdir(d)
    sheets = ceremony(binary, os.path.join(d, "a"), [
        "--accounts", "1", "--allow-single-account", "-k", "2", "--share", "A", "--share", "B", "--share", "C"])
    other = ceremony(binary, os.path.join(d, "b"), [
        "--accounts", "1", "--allow-single-account", "-k", "2", "--share", "A", "--share", "B", "--share", "C"])
    vault, share = raw_of(sheets[0], "V"), raw_of(sheets[0], "S")
    share_only = [write(d, "share-only-%d.txt" % i, encode_block("S", raw_of(s, "S")))
                  for i, s in enumerate(sheets)]

    def forged(name, kind, raw):
        return write(d, name, encode_block(kind, raw))

    gen2 = vault[:17] + (2).to_bytes(4, "big") + vault[21:]
    f = forged("vault-gen2.txt", "V", gen2)
    _, out, _ = compare(binary, [f, f, sheets[0], share_only[1]],
                        "a copy claiming generation 2 retires nothing", None, 0)
    check("it claims generation 2" in out, "the generation-2 copy is named: " + out)
    flipped = vault[:-1] + bytes([vault[-1] ^ 1])
    f = forged("vault-flipped.txt", "V", flipped)
    _, out, _ = compare(binary, [f, f, sheets[0], share_only[1]],
                        "an altered copy carried twice is tried first, then the honest one",
                        None, 0)
    check("differs from the others" in out, "the altered copy is named: " + out)
    compare_error(binary, [f, f, share_only[0], share_only[1]],
                  "only an altered copy: Altered", 5)
    rc, _, err = run_py([f, f, forged("vault-flipped-2.txt", "V", flipped[:-2] + b"\0\0"),
                         share_only[0], share_only[1]])
    check(rc == 5 and "differs between these inputs" in err, "differing copies named: " + err)
    f = forged("vault-kdf.txt", "V", with_kdf(vault, 8192, 2))
    _, out, _ = compare(binary, [f, f, sheets[0], share_only[1]],
                        "a copy that adds a passphrase is skipped, not asked for", None, 0)
    y = share[:-1] + bytes([share[-1] ^ 1])
    compare(binary, [forged("share-altered.txt", "S", y), sheets[0], sheets[1]],
            "an altered share is left out", None, 0)
    compare_error(binary, [forged("share-altered.txt", "S", y), sheets[0]],
                  "an altered share and one good sheet", 4)
    s2 = share[:17] + (2).to_bytes(4, "big") + share[21:]
    compare(binary, [forged("share-gen2.txt", "S", s2), sheets[1], sheets[2]],
            "a share claiming generation 2 hides nothing", None, 0)
    compare(binary, [sheets[0], sheets[1], other[0]], "a foreign sheet is named", None, 0)
    compare_error(binary, [sheets[0], other[0]], "one sheet of each of two vaults", 4)
    # A cost above the default is stated before it is spent (no terminal to ask on).
    for params, stated in [([524288, 3, 1], False), ([1048576, 1, 1], True),
                           ([65536, 25, 1], True)]:
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            ran = recover.Unlock(None).approve("forged.txt", params, False)
        check(ran and ("note: the vault copy in forged.txt asks for Argon2id" in err.getvalue())
              == stated, "cost %r: %r" % (params, err.getvalue()))
        # Once another generation has opened, a cost above the default is not run without
        # a terminal to ask on (§7.2 rule 7).
        with contextlib.redirect_stderr(io.StringIO()):
            ran = recover.Unlock(None).approve("forged.txt", params, True)
        check(ran != stated, "cost %r after another opened: run %r" % (params, ran))
    # A real rekey: the old sheet is retired only once generation 2 opens.
    new = ceremony_like(binary, ["rekey", "--out", os.path.join(d, "gen2")] + sheets[:2])
    compare_error(binary, [sheets[2], new[0]], "one old and one new sheet", 4)
    _, out, _ = compare(binary, [sheets[2], new[0], new[1]], "old sheet with two new ones",
                        None, 0)
    check("retired by generation 2" in out, "the old sheet is retired: " + out)
    # Both generations complete: both open, the newer is used and the older reported
    # (§7.2 rule 8); --generation 1 opens the older one.
    _, out, err = compare(binary, sheets[:2] + new[:2], "two complete generations", None, 0)
    check(json.loads(out)["also_opened"][0]["generation"] == 1, "generation 1 reported: " + out)
    check("2 generations of this vault opened" in err, "both generations named: " + err)
    _, out, _ = compare(binary, ["--generation", "1"] + sheets[:2] + new[:2],
                        "the older generation asked for", None, 0)
    check(json.loads(out)["generation"] == 1, "generation 1 opened: " + out)
    compare_error(binary, ["--generation", "3"] + sheets[:2], "a generation not given", 4)
    compare(binary, [sheets[0], sheets[2]], "old sheets among themselves", None, 0)
    # An expanded set: the old copy is from before sheets were added.
    more = ceremony_like(binary, ["expand", "--share", "D", "--out", os.path.join(d, "more")]
                         + sheets[:2])
    _, out, _ = compare(binary, [more[-1], sheets[0]], "a new sheet and an old one", None, 0)


# ---------------------------------------------------------------- mutated sheets ------------
def sheet_rows(vectors):
    """The rows of the two first sheets of ok-2of3-plain (share block, then the vault block)."""
    blocks = []
    for row in read_vector(os.path.join(vectors, "ok-2of3-plain.txt")).splitlines():
        if row.startswith("BG1-"):
            blocks.append([row])
        elif row and not row.startswith("#"):
            blocks[-1].append(row)
    return [blocks[0] + blocks[3], blocks[1] + blocks[3]]


def mutate(rng, rows):
    """One slip a person makes copying a sheet: a character changed, a row lost, doubled,
    joined with the next, cut in two, a header lost, a row swapped with its neighbour."""
    rows = list(rows)
    i = rng.randrange(len(rows))
    how = rng.choice(["char", "drop", "double", "join", "cut", "header", "swap", "lower"])
    if how == "char":
        r = rows[i]
        j = rng.randrange(len(r))
        rows[i] = r[:j] + rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") + r[j + 1:]
    elif how == "drop":
        del rows[i]
    elif how == "double":
        rows.insert(i, rows[i])
    elif how == "join" and i + 1 < len(rows):
        rows[i:i + 2] = [rows[i] + " " + rows[i + 1]]
    elif how == "cut":
        j = rng.randrange(1, max(2, len(rows[i])))
        rows[i:i + 1] = [rows[i][:j], rows[i][j:]]
    elif how == "header":
        rows = [r for r in rows if not r.startswith("BG1-V")] if rng.random() < 0.5 else rows[1:]
    elif how == "swap" and i + 1 < len(rows):
        rows[i], rows[i + 1] = rows[i + 1], rows[i]
    else:
        rows[i] = rows[i].lower()
    return rows, how


def test_mutations(binary, vectors, tmp, cases=40):
    """A differential test: the same mutated sheets (one or both sheets changed, given as two
    files or as one file) to recover.py and to `breakglass recover --json` give the same exit
    code, the same JSON, and warnings about the same inputs."""
    import random
    rng = random.Random(19)
    sheets = sheet_rows(vectors)
    d = os.path.join(tmp, "mutations")
    os.mkdir(d)
    for case in range(cases):
        texts, hows = [], []
        for rows in sheets:
            if rng.random() < 0.6:
                rows, how = mutate(rng, rows)
                hows.append(how)
            texts.append("\n".join(rows) + "\n")
        if rng.random() < 0.3:
            files = [write(d, "case-%d-both.txt" % case, "".join(texts))]
        else:
            files = [write(d, "case-%d-%d.txt" % (case, i), t) for i, t in enumerate(texts)]
        what = "mutation case %d (%s)" % (case, ", ".join(hows) or "none")
        rc, _, err = compare(binary, files, what)
        _, _, err_bin = run_bin(binary, files)
        skipped = lambda e: sorted(r.split(": ")[0] for r in e.splitlines()
                                   if r.startswith("warning: skipped "))
        check(skipped(err) == skipped(err_bin), "%s: warnings differ\n%s\n%s" % (
            what, err, err_bin))


def test_messages(vectors, tmp):
    """What recover.py says about the slips a custodian makes (FORMAT.md §6.5, §7.1)."""
    s1, s2 = sheet_rows(vectors)
    d = os.path.join(tmp, "messages")
    os.mkdir(d)
    share2 = s2[:6]
    vault = s1[6:]

    def said(name, rows):
        return run_py([write(d, name, "\n".join(rows) + "\n")])[2]
    # Two shares in one file, a typo in the second: which share block is said.
    bad = share2[:5] + [typo(share2[5])]
    err = said("typed.txt", s1[:6] + bad + vault)
    check("(the share block whose header line is row 7 of " in err, "which share: " + err)
    # A typo in a typed vault: no QR code was read, so none is blamed.
    err = said("vault-typo.txt", s1[:6] + share2 + vault[:10] + [typo(vault[10])] + vault[11:])
    check("QR" not in err and "retype that line from any sheet's vault block" in err,
          "no QR: " + err)
    # A missing vault header is named as such.
    err = said("no-header.txt", s1[:6] + share2 + vault[1:])
    check("line 2 appears twice" in err and "header line (BG1-S-... or BG1-V-...) is missing"
          in err and "row 14" in err, "missing header: " + err)
    # A paste that lost its line breaks.
    err = said("joined.txt", s1[:6] + share2 + vault[:38] + [" ".join(vault[38:])])
    check("lines joined into one row" in err, "joined: " + err)
    err = said("wrapped.txt", s1[:6] + share2 + vault[:5] + [vault[5][:12], vault[5][12:]]
               + vault[6:])
    check("wrapped onto the next row" in err, "wrapped: " + err)
    # The only share has a typo: the end says the share was left out, not "no share was given".
    err = said("one-sheet.txt", share2[:5] + [typo(share2[5])] + vault)
    check("no share could be used: every share given was left out" in err, "no share: " + err)


def ceremony_like(binary, args):
    """Runs rekey or expand; returns the sheets it wrote."""
    out = args[args.index("--out") + 1]
    # Only commands that show new credentials take --print-credentials (rekey and expand don't).
    shows = ["--print-credentials"] if args[0] in ("ceremony", "rotate") else []
    p = subprocess.run([binary] + args + ["--allow-online"] + shows,
                       stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr.decode()
    return sorted(os.path.join(out, f) for f in os.listdir(out) if re.match(r"share-\d+\.txt$", f))


def bench():
    """Opens a default-parameter passphrase vault with the pure-Python Argon2id: timed."""
    binary = ARGS.binary
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp, "pw.txt", "correct horse battery staple\n")
        sheets = ceremony(binary, os.path.join(tmp, "d"), [
            "--accounts", "1", "--allow-single-account", "-k", "2", "--share", "A", "--share", "B", "--share", "C",
            "--passphrase-file", os.path.join(tmp, "pw.txt")])
        args = ["--passphrase-file", os.path.join(tmp, "pw.txt")] + sheets[:2]
        start, cpu = time.time(), os.times()
        rc, out, err = run_py(["--json"] + args)
        cpu = os.times().children_user - cpu.children_user
        print("default Argon2id (512 MiB, t=3, p=1), pure Python: exit %d in %.0f s "
              "(%.0f s CPU)" % (rc, time.time() - start, cpu))
        rc_bin, out_bin, _ = run_bin(binary, args)
        check(rc == rc_bin == 0 and same_json(out, out_bin), "default-parameter vault")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--recover", required=True, help="the recover.py to test")
    ap.add_argument("--binary", required=True, help="the breakglass binary to compare with")
    ap.add_argument("--vectors", required=True, help="tests/vectors")
    ap.add_argument("--bench", action="store_true")
    ARGS = ap.parse_args()
    load(ARGS.recover)
    test_primitives()
    test_argon2_against_cffi()
    with tempfile.TemporaryDirectory() as tmp:
        test_vectors(ARGS.binary, ARGS.vectors, tmp)
        test_totp_vectors(ARGS.vectors)
        test_ceremonies(ARGS.binary, tmp)
        test_forged(ARGS.binary, tmp)
        test_messages(ARGS.vectors, tmp)
        test_mutations(ARGS.binary, ARGS.vectors, tmp)
    if ARGS.bench:
        bench()
    print("%d checks, %d failed" % (checks, len(failures)))
    sys.exit(1 if failures else 0)
