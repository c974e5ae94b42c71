#!/usr/bin/env python3
"""recover.py - open a breakglass vault without breakglass.

Reads breakglass share sheets (share-N.txt files, typed or pasted text, or the text a phone's
QR app shows for each code), checks every line check, checksum and commitment, rebuilds the
vault secret from k shares and prints the emergency credentials.

Needs only Python 3.8 or newer and its standard library. Everything is implemented here from
FORMAT.md (cited as §n): base32 text form (§6), share (§2), vault (§3), Shamir over GF(2^8)
(§2), Argon2id (RFC 9106), HKDF-SHA256 (RFC 5869), XChaCha20-Poly1305 (§4) and contents (§5).
If the argon2-cffi package is importable it is used for Argon2id (much faster); otherwise the
pure-Python Argon2id takes minutes at the default 512 MiB and shows its progress.

Usage:
  python3 recover.py share-1.txt share-3.txt          sheets as files
  python3 recover.py < typed.txt                       typed or pasted text on standard input
  python3 recover.py --json share-1.txt share-2.txt    JSON, as `breakglass recover --json`
  python3 recover.py --passphrase-file pw.txt ...      the vault passphrase, if it has one

Exit codes (as breakglass): 0 opened; 1 other failure; 2 usage (bad option, passphrase
needed but no terminal to ask on, passphrase given for a vault without one); 3 an input is
not valid (typo, truncated sheet); 4 the shares do not suffice or do not match; 5 the vault
did not open (wrong passphrase, or tampering).

Security: this program prints secrets. Run it offline, on a machine you trust. Python cannot
reliably wipe memory, so secrets may stay in memory until the process ends.
"""

import argparse
import getpass
import hashlib
import hmac
import json
import os
import re
import signal
import struct
import sys
import time
import unicodedata
from urllib.parse import unquote

EXIT_FAILURE, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_SHARES, EXIT_NOT_OPENED = 1, 2, 3, 4, 5


class Failure(Exception):
    """An error with its FORMAT.md §9 kind (e.g. "Text/LineCheck") and an exit code."""

    def __init__(self, kind, message, code=EXIT_BAD_INPUT):
        super().__init__(message)
        self.kind, self.message, self.code = kind, message, code


# ---------------------------------------------------------------- §6.1 base32 ---------------
ALPHABET = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
VALUE = {c: i for i, c in enumerate(ALPHABET)}


def b32encode(data):
    """Bytes to Crockford base32, most significant bit first, no padding (§6.1)."""
    bits = int.from_bytes(data, "big") << (-8 * len(data) % 5)
    n = (8 * len(data) + 4) // 5
    return bytes(ALPHABET[(bits >> (5 * (n - 1 - i))) & 31] for i in range(n))


def b32decode(text, alphabet=ALPHABET):
    """Strict inverse of b32encode; None if no byte string encodes to exactly this text."""
    n = len(text) * 5 // 8
    if (8 * n + 4) // 5 != len(text) or any(c not in alphabet for c in text):
        return None
    acc = 0
    for c in text:
        acc = (acc << 5) | alphabet.index(c)
    extra = len(text) * 5 - 8 * n
    if acc & ((1 << extra) - 1):  # the unused low bits must be zero (§6.1 NonCanonical)
        return None
    return (acc >> extra).to_bytes(n, "big")


def display_vault_id(vault_id):
    """A vault id as sheets print it: base32 in groups of four (§8)."""
    s = b32encode(vault_id).decode()
    return "-".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- §6.3 line check -----------
def check_char(symbols):
    """Check character over line number and data symbols in GF(32), x^5 + x^2 + 1 (§6.3)."""
    acc = 0
    for c in symbols:
        acc ^= VALUE[c]
        acc <<= 1  # multiply by alpha = x
        if acc & 0x20:
            acc ^= 0x25
    return ALPHABET[acc]


def header_checksum(kind, payload):
    """The 4-byte header checksum: SHA-256("BG1-" || kind || payload) (§6.2)."""
    return hashlib.sha256(b"BG1-" + kind + payload).digest()[:4]


# ---------------------------------------------------------------- §6.5 text parsing ---------
NOUN = {b"S": "share", b"V": "vault"}
LINE_CHARS, GROUP_CHARS, MAX_LINES = 20, 4, 999
# Unicode White_Space (as Rust's trim and split_whitespace; Python's isspace adds \x1c-\x1f).
SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NO_TEXT = "no breakglass text found: a share starts BG1-S-5-..., a vault BG1-V-..."


def normalize(s):
    """§6.5: drop spaces, tabs, CR, LF and '-', upper-case a-z, read O as 0 and I, L as 1;
    a non-ASCII character becomes one byte outside the alphabet (one character, never valid)."""
    out = bytearray()
    for c in s:
        b = ord(c) if ord(c) < 0x80 else 0x80
        if b in b" -\t\r\n":
            continue
        if 0x61 <= b <= 0x7A:
            b -= 32
        out.append({0x4F: 0x30, 0x49: 0x31, 0x4C: 0x31}.get(b, b))
    return bytes(out)


def text_error(name, message):
    return Failure("Text/" + name, message, EXIT_BAD_INPUT)


class Header:
    """`BG1-<kind>-<L>-<C>` (§6.2): kind b"S" or b"V", line count, 4-byte checksum."""

    def __init__(self, kind, line_count, checksum):
        self.kind, self.line_count, self.checksum = kind, line_count, checksum
        self.width = max(2, len(str(line_count)))  # digits of each line number (§6.3)
        self.noun = NOUN[kind]

    def key(self):
        return (self.kind, self.line_count, self.checksum)

    @staticmethod
    def parse(row):
        """Parses a header row (§6.5 rule 3); raises Failure Text/NoHeader, NewerVersion or
        BadHeader."""
        n = normalize(row)
        if not n.startswith(b"BG"):
            raise text_error("NoHeader", NO_TEXT)
        rest = n[2:]
        digits = len(rest) - len(rest.lstrip(b"0123456789"))
        if digits == 0 or digits > 6:
            raise text_error("NoHeader", NO_TEXT)
        version = int(rest[:digits])
        if version > 1:
            raise text_error("NewerVersion", "this text was made by a newer breakglass (text "
                             "format BG%d; this program reads BG1): get a newer recover.py "
                             "or breakglass" % version)
        bad = text_error("BadHeader", "the header line is not valid: it should look like "
                         "BG1-S-5-ABCD123 (check it for a typo)")
        rest = rest[digits:]
        if version != 1 or rest[:1] not in (b"S", b"V"):
            raise bad
        kind, rest = rest[:1], rest[1:]
        # Written with separators, the four parts are read as written, so a checksum one
        # character short cannot shift into the line count; typed without, the last 7
        # characters are the checksum.
        parts = [p for p in re.split("[-" + SPACE + "]", row) if p]
        sum_len = len(normalize(parts[3])) if len(parts) == 4 else 7
        if sum_len != 7:
            raise bad
        split_at = len(rest) - sum_len
        if split_at <= 0 or split_at > 3:
            raise bad
        count, checksum = rest[:split_at], b32decode(rest[split_at:])
        if not count.isdigit() or count[:1] == b"0" or checksum is None or len(checksum) != 4:
            raise bad
        if int(count) > MAX_LINES:
            raise text_error("BadLineCount", "the header announces too many lines")
        return Header(kind, int(count), checksum)

    def parse_line(self, row):
        """One data line (§6.5 rule 4), checked in order; returns (number, normalized row)."""
        n, w = normalize(row), self.width
        if len(n) < w or not n[:w].isdigit():
            raise text_error("BadLineNumber",
                             "a line does not start with its %d-digit line number" % w)
        number = int(n[:w])
        if number == 0 or number > self.line_count:
            raise text_error("LineOutOfRange", "%s line %d is numbered beyond the %d lines the "
                             "header announces" % (self.noun, number, self.line_count))
        data = n[w:-1]
        last = number == self.line_count
        if not (1 <= len(data) <= LINE_CHARS if last else len(data) == LINE_CHARS):
            raise text_error("BadLineLength", "%s line %d has %d characters between its number "
                             "and check character, but should have %s: a character is missing "
                             "or extra%s" % (self.noun, number, len(data),
                                             "1 to 20" if last else "20", length_hint(data, w)))
        for pos, c in enumerate(n):
            if c not in VALUE:
                if pos == len(n) - 1:
                    raise text_error("CheckCharacterTypo", "%s line %d has a typo in its check "
                                     "character (the last one): retype it" % (self.noun, number))
                raise text_error("BadCharacter", "%s line %d, group %d has a character that "
                                 "never appears in breakglass text (only 0-9 and A-Z without U): "
                                 "check for a typo" % (self.noun, number,
                                                       (pos - w) // GROUP_CHARS + 1))
        if check_char(n[:-1]) != n[-1]:
            raise LineCheckFailed(self, number, n)
        return number, n


def length_hint(data, width):
    """What a line of the wrong length most likely is: several lines pasted into one row (a
    paste that lost its line breaks), a line cut in two (wrapped), or a missing check
    character."""
    if len(data) >= 2 * (LINE_CHARS + width):
        return ("; it looks like about %d lines joined into one row (a paste that lost its line "
                "breaks): put each line on its own row" % -(-(len(data) + width + 1)
                                                          // (LINE_CHARS + width + 1)))
    if len(data) < LINE_CHARS - 1:
        return "; if the line was wrapped onto the next row, join the two rows"
    if len(data) == LINE_CHARS - 1:
        return "; the check character, alone at the end, counts too: is it there?"
    return ""


class LineCheckFailed(Failure):
    """A line whose check character does not match; kept aside for §6.5 rule 7."""

    def __init__(self, header, number, row, group=None):
        where = " (probably in group %d)" % group if group else ""
        super().__init__("Text/LineCheck", "%s line %d has a typo%s: its check character does "
                         "not match; retype it" % (header.noun, number, where))
        self.number, self.row = number, row


class Block:
    """The lines gathered for one header, from one or several pieces (§6.5 rule 5)."""

    def __init__(self, header):
        self.header = header
        self.row, self.qr = None, False  # the header's row in its input; read from QR text
        self.lines = {}  # line number -> data characters
        self.bad = []  # (number, normalized row) of lines that failed their check

    def add_line(self, row):
        try:
            number, n = self.header.parse_line(row)
        except LineCheckFailed as e:
            self.bad.append((e.number, e.row))
            raise
        self.insert(number, n[self.header.width:-1])

    def insert(self, number, data):
        if self.lines.get(number, data) != data:
            raise text_error("ConflictingLine",
                             "line %d appears twice with different contents" % number)
        self.lines[number] = data

    def merge(self, other):
        for number, data in sorted(other.lines.items()):
            self.insert(number, data)
        self.bad.extend(other.bad)
        self.qr = self.qr or other.qr

    def missing(self):
        return [i for i in range(1, self.header.line_count + 1) if i not in self.lines]

    def is_complete(self):
        return len(self.lines) == self.header.line_count

    def decode(self):
        """The payload bytes, or the error that explains why not (§6.5 rules 5-7)."""
        h, missing = self.header, self.missing()
        # Rule 7: a failed line also read correctly is forgotten; the first failed row of each
        # missing number counts.
        failed = [(number, row) for number, row in self.bad if number in missing]
        bad = dict(reversed(failed))
        if len(missing) == 1 and missing[0] in bad:
            typo = self.locate_typo(missing[0], bad[missing[0]])
            if typo == "check":
                raise text_error("CheckCharacterTypo", "%s line %d has a typo in its check "
                                 "character (the last one): retype it" % (h.noun, missing[0]))
            raise LineCheckFailed(h, missing[0], b"", typo)
        if failed:
            raise LineCheckFailed(h, failed[0][0], b"")
        if missing:
            shown = ", ".join(str(i) for i in missing[:12]) + (", ..." if len(missing) > 12 else "")
            raise text_error("MissingLines", "the %s text is incomplete: %s missing (of %d)" % (
                h.noun, ("line %s is" if len(missing) == 1 else "lines %s are") % shown,
                h.line_count))
        return self.decode_lines(self.lines)

    def decode_lines(self, lines):
        payload = b32decode(b"".join(lines[i] for i in sorted(lines)))
        if payload is None:
            raise text_error("NonCanonical", "the last line does not end the way an encoder "
                             "would have written it: check it for a typo")
        if header_checksum(self.header.kind, payload) != self.header.checksum:
            raise text_error("Checksum", "every line checks, but together they do not match "
                             "the header's checksum: check the header line for a typo, or lines "
                             "may come from different sheets")
        return payload

    def locate_typo(self, number, row):
        """§6.5 rule 7: "check" if the check character alone is wrong, else the group of the
        only one-character fix that satisfies both checks, else None. The fix is not used."""
        w, lines = self.header.width, dict(self.lines)

        def holds(data):
            lines[number] = data
            try:
                self.decode_lines(lines)
                return True
            except Failure:
                return False

        if holds(row[w:-1]):
            return "check"
        found = None
        for pos in range(w, len(row) - 1):
            for sym in ALPHABET:
                cand = row[:pos] + bytes([sym]) + row[pos + 1:-1]
                if sym != row[pos] and check_char(cand) == row[-1] and holds(cand[w:]):
                    if found is not None:
                        return None
                    found = (pos - w) // GROUP_CHARS + 1
        return found


def parse_blocks(text, first_row=1):
    """Splits one input into blocks (§6.4, §6.5 rule 1): rows of the paper layout, or QR
    payloads (header and lines on one row). Blocks with the same header are merged.
    first_row: the number of the text's first row in its file, for messages."""
    rows = [re.sub("^[%s]+|[%s]+$" % (SPACE, SPACE), "", r) for r in text.split("\n")]
    pieces = []  # (piece, row number, from a QR layout row)
    for at, row in enumerate(rows, first_row):
        if not row or row.startswith("#"):
            continue
        words = [w for w in re.split("[%s]+" % SPACE, row) if w]
        if len(words) > 1:
            try:
                Header.parse(words[0])
                pieces.extend((w, at, True) for w in words)  # the QR layout
                continue
            except Failure:
                pass
        pieces.append((row, at, False))
    blocks, current = [], None
    for piece, at, qr in pieces:
        if normalize(piece).startswith(b"BG"):
            current = Block(Header.parse(piece))
            current.row, current.qr = at, qr
            blocks.append(current)
        elif current is None:
            raise text_error("NoHeader", "a line comes before any BG1 header line")
        else:
            complete = current.is_complete()
            try:
                current.add_line(piece)
            except LineCheckFailed:
                pass  # kept in current.bad: reported when the block is decoded
            except Failure as e:
                if complete and e.kind in ("Text/ConflictingLine", "Text/LineOutOfRange",
                                           "Text/BadLineLength", "Text/BadLineNumber"):
                    raise Failure(e.kind, "row %d: %s; the %s block above it already has all its "
                                  "%d lines, so this row is probably the next block's and that "
                                  "block's header line (BG1-S-... or BG1-V-...) is missing: add "
                                  "it above the row" % (at, e.message, current.header.noun,
                                                        current.header.line_count))
                raise
            current.qr = current.qr or qr
    if not blocks:
        raise text_error("NoHeader", NO_TEXT)
    return merge_blocks(blocks)


def first_piece(row):
    """A row's first piece (§6.5 rule 1), or None for a blank or `#` row."""
    row = re.sub("^[%s]+|[%s]+$" % (SPACE, SPACE), "", row)
    if not row or row.startswith("#"):
        return None
    words = [w for w in re.split("[%s]+" % SPACE, row) if w]
    if len(words) > 1:
        try:
            Header.parse(words[0])
            return words[0]
        except Failure:
            pass
    return row


def block_header(piece):
    """The header a row's first piece is (§6.5 rule 3), or None."""
    if not normalize(piece).startswith(b"BG"):
        return None
    try:
        return Header.parse(piece)
    except Failure:
        return None


def cut_inputs(text):
    """§7.1 "Cutting files into inputs", for text: a cut right after the last row holding a
    piece before every share header row, and before every vault header row that differs from
    a vault header already in the part, that has a piece before it. Each part is one input
    (one sheet's worth), so one forged sheet or copy in a file is left out alone."""
    parts, start, at, after_piece, vault = [], 0, 0, 0, None
    for row in text.split("\n"):
        end = min(at + len(row) + 1, len(text))
        piece = first_piece(row)
        if piece is not None:
            h = block_header(piece)
            cut = h is not None and (h.kind == b"S" or (vault is not None and vault != h.key()))
            if cut and after_piece > start:
                parts.append(text[start:after_piece])
                start, vault = after_piece, None
            if h is not None and h.kind == b"V":
                vault = h.key()
            after_piece = end
        at = end
    parts.append(text[start:])
    return parts


def merge_blocks(blocks):
    out = {}
    for b in blocks:
        if b.header.key() in out:
            out[b.header.key()].merge(b)
        else:
            out[b.header.key()] = b
    return list(out.values())


# ---------------------------------------------------------------- typing at a terminal ------
TYPING_INTRO = (
    "Type each block as printed on the sheets: its header line (BG1-S-... for a share, BG1-V-... "
    "for the vault), then its lines; spaces, dashes and case do not matter, and the line number "
    "may be left out. Each line is checked the moment it is typed and kept if it checks: a slip "
    "costs that line only. A QR app's text can be pasted as one row. Words at any prompt: back "
    "(drop the last line kept), show (what this block has and lacks), restart (drop this block), "
    "done (stop typing and open the vault with what was kept). Enter at a header prompt is done "
    "too. Type the share block of as many sheets as the vault needs (each sheet says: \"any 2 "
    "shares recover ...\") and one vault block. What you type is wiped from "
    "this window (the screen and its scrollback) when typing ends, even at Ctrl-C.")


class Typed:
    """A block being typed: its header and the rows kept, by line number."""

    def __init__(self, header, row, position):
        self.h, self.header_row, self.rows, self.position = header, row, {}, position
        self.order = []  # line numbers in the order they were kept

    def missing(self):
        return [i for i in range(1, self.h.line_count + 1) if i not in self.rows]

    def line(self, i):
        return "%0*d" % (self.h.width, i)

    def name(self):
        return "the %s block typed %s" % (self.h.noun, ordinal(self.position))

    def keep(self, number, n):
        self.rows[number] = n
        self.order = [i for i in self.order if i != number] + [number]

    def drop(self, number):
        del self.rows[number]
        self.order.remove(number)

    def decode(self):
        b = Block(self.h)
        for i, n in self.rows.items():
            b.lines[i] = n[self.h.width:-1]
        return b.decode()

    def text(self):
        return self.header_row + "\n" + "".join(
            self.rows[i].decode() + "\n" for i in sorted(self.rows))


def ordinal(n):
    return "%d%s" % (n, "th" if 10 <= n % 100 < 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10,
                                                                                       "th"))


def typed_text(ask, say, wipe=lambda: False, before=None):
    """Typing at a terminal (no files given): every row is checked the moment it is typed, with
    breakglass's messages, and only what checks is kept, so a slip costs one row, never the
    rows typed right. ask(prompt) gives the next row, None at the end of input (Ctrl-D); say
    writes a message; wipe() clears the typed rows from the window when typing ends, however
    it ends (True if it did). Returns the kept text, read afterwards as standard input would
    be."""
    blocks, pasted = [], []
    try:
        typing(ask, say, blocks, pasted, before)
    except BaseException:  # Ctrl-C, SIGTERM, SIGHUP: wiped all the same
        if wipe():
            say(WIPED)
        raise
    if wipe():
        say(WIPED)
    elif any(b.h.kind == b"S" for b in blocks) or pasted:
        say("The share blocks typed above stay on this terminal's screen and in its scrollback, "
            "and together they open the vault: close this terminal window when you are done.")
    for b in blocks:
        missing = b.missing()
        if missing and b.h.kind == b"S":
            say("left out: %s lacks line%s %s (the other blocks are used)" % (
                b.name(), "s" if len(missing) > 1 else "", ", ".join(map(b.line, missing))))
    return "".join(b.text() for b in blocks if b.h.kind == b"V" or not b.missing()) + "".join(
        r + "\n" for r in pasted)


# Home the cursor, erase the screen, erase the scrollback: what breakglass writes.
WIPE = "\x1b[H\x1b[2J\x1b[3J"
WIPED = ("The typed lines were wiped from this window (screen and scrollback): close this "
         "terminal window when you are done.")


def wipe_terminal():
    """Clears the screen and its scrollback of the terminal the rows were typed at (standard
    error, else standard output, when one is a terminal; never a file or a pipe). On Windows
    the console is first asked to read these sequences (Windows 10 and later); where it cannot,
    `cls` clears the console's buffer. True when a terminal was cleared."""
    stream = next((s for s in (sys.stderr, sys.stdout) if s.isatty()), None)
    if stream is None:
        return False
    try:
        if os.name == "nt" and not windows_vt(stream):
            stream.flush()
            return os.system("cls") == 0
        stream.write(WIPE)
        stream.flush()
        return True
    except OSError:  # the terminal is gone (SIGHUP): nothing is left to wipe
        return False


def windows_vt(stream):
    """Turns on the console's reading of escape sequences (ENABLE_VIRTUAL_TERMINAL_PROCESSING)
    for `stream`; False where the console has none (before Windows 10)."""
    try:
        import ctypes
        import msvcrt
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = msvcrt.get_osfhandle(stream.fileno())
        mode = ctypes.c_uint32()
        if not kernel32.GetConsoleMode(ctypes.c_void_p(handle), ctypes.byref(mode)):
            return False
        return bool(kernel32.SetConsoleMode(ctypes.c_void_p(handle), mode.value | 0x0004))
    except (ImportError, OSError, AttributeError, ValueError):
        return False


def typing(ask, say, blocks, pasted, before=None):
    """The rows typed, into `blocks` and `pasted` as they check. `before`: what the files given
    beside - gave (a Gathered), said first, and counted toward "enough"."""
    cur = None
    say(TYPING_INTRO)
    if before is not None and (before.vaults or before.shares):
        say(read_before(before))
    announced = False
    while True:
        if not announced and enough(blocks, before):
            announced = True
            say("That is enough to open the vault: press Enter (or type done) to open it.")
        missing = cur.missing() if cur else []
        if missing:
            prompt = "  %s line %s of %d: " % (cur.h.noun, cur.line(missing[0]), cur.h.line_count)
        else:
            prompt = "Header line (BG1-S-... or BG1-V-...), or Enter when done: "
        row = ask(prompt)
        if row is None:
            break
        row = re.sub("^[%s]+|[%s]+$" % (SPACE, SPACE), "", row)
        word = row.lower()
        if word in ("done", "stop", "quit", "exit", "q") or (not row and not missing):
            break
        if not row or row.startswith("#"):
            if not row:
                say("  line %s is still needed (or a word: back, show, restart, done)"
                    % cur.line(missing[0]))
            continue
        if cur and word in ("back", "show", "restart"):
            if word == "back" and cur.order:
                last = cur.order[-1]
                cur.drop(last)
                say("  line %s dropped: type it again" % cur.line(last))
            elif word == "restart":
                blocks.remove(cur)
                say("  %s dropped: type its header line again" % cur.name())
                cur = None
            else:
                say("  %s: %d of %d lines kept; %s" % (
                    cur.name(), len(cur.rows), cur.h.line_count,
                    "still needed: " + ", ".join(map(cur.line, missing)) if missing
                    else "complete"))
            continue
        words = [w for w in re.split("[%s]+" % SPACE, row) if w]
        if len(words) > 1 and block_header(words[0]) is not None:
            try:  # a QR code's text: a header and its lines on one row
                got = parse_blocks(row)
                pasted.append(row)
                say("  kept: QR text of a %s block (%d of %d lines)" % (
                    got[0].header.noun, len(got[0].lines), got[0].header.line_count))
            except Failure as e:
                say("  " + shown(e.message) + " (not kept: paste or type it again)")
            continue
        if normalize(row).startswith(b"BG"):
            try:
                h = Header.parse(row)
            except Failure as e:
                say("  " + shown(e.message))
                continue
            cur = new_header(blocks, cur, h, row, say)
            continue
        if cur is None:
            say("  type the header line first: the row starting BG1-S- or BG1-V- above the block")
            continue
        typed_line(blocks, cur, row, missing, say)


def new_header(blocks, cur, h, row, say):
    """A header typed: the same one continues its block; another of the same kind while this
    block is incomplete or does not check replaces this block's header, keeping every line
    (re-checked against it); otherwise a new block starts."""
    same = [b for b in blocks if b.h.key() == h.key()]
    if same:
        say("  the same header: %s goes on" % same[0].name())
        return same[0]
    if cur is not None and cur.h.kind == h.kind and (cur.missing() or not decodes(cur)):
        old, cur.h, cur.header_row, cur.rows, cur.order = cur.rows, h, row, {}, []
        aside = []
        for _, n in sorted(old.items()):
            try:
                number, n2 = h.parse_line(n.decode())
                cur.keep(number, n2)
            except Failure:
                aside.append(n.decode())
        say("  header replaced: %d line%s kept%s" % (
            len(cur.rows), "" if len(cur.rows) == 1 else "s",
            "; set aside, as they do not fit this header: " + ", ".join(
                a[:len(str(old and max(old)))] for a in aside) if aside else ""))
        finish(blocks, cur, say)
        return cur
    if cur is not None and cur.missing():
        say("  %s still lacks line %s: its lines are kept; type its header line again to go "
            "on with it" % (cur.name(), cur.line(cur.missing()[0])))
    b = Typed(h, row, len(blocks) + 1)
    blocks.append(b)
    return b


def decodes(b):
    try:
        b.decode()
        return True
    except Failure:
        return False


def typed_line(blocks, cur, row, missing, say):
    """One data row typed into `cur`, with or without its line number (as breakglass reads
    it); kept only if it checks."""
    h, tries = cur.h, [row]
    if missing:  # without its number, it is the next line needed (tried first unless the row
        # starts with that number and is only wrong in its check)
        numbered = normalize(row)[:h.width] == cur.line(missing[0]).encode()
        tries.insert(1 if numbered else 0, cur.line(missing[0]) + row)
    for t in tries:
        try:
            number, n = h.parse_line(t)
            break
        except Failure as e:
            if t is row and numbered and e.kind != "Text/BadLineLength":
                say("  " + shown(e.message) + ("" if e.kind == "Text/LineCheck" else
                                                " (not kept: type the line again)"))
                return
    else:
        chars = re.sub("[ \t-]", "", row)
        numbered = len(chars) > LINE_CHARS + 1 and chars[:h.width].isdigit() or not missing
        try:
            h.parse_line(row if numbered else tries[0])
        except Failure as e:
            say("  " + shown(e.message) + ("" if e.kind == "Text/LineCheck" else
                                            " (not kept: type the line again)"))
        return
    if number in cur.rows and cur.rows[number] != n:
        if not missing and decodes(cur):
            say("  %s is complete and checks, so its line %s is not replaced: type the next "
                "block's header line first" % (cur.name(), cur.line(number)))
            return
        say("  line %s replaced" % cur.line(number))
    elif missing and number != missing[0]:
        say("  this is line %s (kept); line %s is still needed" % (
            cur.line(number), cur.line(missing[0])))
    cur.keep(number, n)
    finish(blocks, cur, say)


def read_before(before):
    """What the files given beside - gave, in a custodian's words: a custodian could not tell
    whether the vault file was read."""
    said = []
    if before.vaults:
        v = before.vaults[0][1]
        said.append("the vault (any %d of its %d shares open it), from %s" % (
            v.threshold, v.count, shown(before.vaults[0][0])))
    for source, sh in before.shares:
        said.append("share %d, from %s" % (sh.index, shown(source)))
    need = ("type the share blocks still needed" if before.vaults
            else "type the share blocks still needed and one vault block")
    return "Read from the files: %s. Now %s." % ("; ".join(said), need)


def enough(blocks, before):
    """Whether the complete share blocks typed and the shares read reach a vault's k: then
    Enter opens it (the opening checks everything again)."""
    k, numbers = None, set()
    for _, v in (before.vaults if before else []):
        k = v.threshold
    for _, sh in (before.shares if before else []):
        numbers.add(sh.index)
        k = k or sh.threshold
    typed_shares = [b for b in blocks if b.h.kind == b"S" and not b.missing()]
    for b in typed_shares:
        try:
            sh = Share(b.decode())
        except Failure:
            continue
        numbers.add(sh.index)
        k = k or sh.threshold
    has_vault = bool(before and before.vaults) or any(
        b.h.kind == b"V" and not b.missing() for b in blocks)
    return bool(typed_shares) and has_vault and k is not None and len(numbers) >= k


def finish(blocks, cur, say):
    """When a block has all its lines: says that it checks, or which lines are the likely
    cause when it does not (a short last line typed too long is refused alone)."""
    if cur.missing():
        return
    try:
        cur.decode()
        say("  %s is complete and checks" % cur.name())
        return
    except Failure as e:
        error = e
    last = cur.h.line_count
    if error.kind == "Text/NonCanonical":
        say("  line %s, the last line, does not end the way the sheets' last line does: type it "
            "again with its number, every character as printed and no more; or, if it is a full "
            "line of 20, the header's line count may be misread: type the header line again "
            "(every line is kept)" % cur.line(last))
        return
    suspects = [i for i in sorted(cur.rows) if i > 1 and any(
        o is not cur and o.rows.get(i) == cur.rows[i] for o in blocks)]
    if suspects:
        many = len(suspects) > 1
        say("  every line checks, but together they do not match the header's checksum: line%s "
            "%s %s the same as in a block typed before (from another sheet?): type %s again, "
            "with %s number, from this sheet" % (
                "s" if many else "", ", ".join(map(cur.line, suspects)), "are" if many else "is",
                "them" if many else "it", "their" if many else "its"))
    else:
        say("  every line checks, but together they do not match the header's checksum: the "
            "header line is the likely typo (B for 8, S for 5, D for 0): type it again (your "
            "lines are kept), or retype a line with its number if it came from another sheet")


# ---------------------------------------------------------------- §2 share ------------------
class Share:
    """A parsed share (56 bytes); only a claim until its commitment checks (§3)."""

    def __init__(self, raw):
        def bad(kind, msg):
            return Failure("Share/" + kind, "the share text decodes, but the share inside is "
                           "not valid: " + msg)
        if raw[0] == 0:
            raise bad("BadVersion", "share format version 0 does not exist: it is damaged")
        if raw[0] > 1:
            raise bad("NewerVersion", "this share was made by a newer breakglass (share format "
                      "%d): get a newer recover.py or breakglass" % raw[0])
        if len(raw) != 56:
            raise bad("BadLength", "it has %d bytes, but a share is exactly 56" % len(raw))
        self.raw = raw
        self.vault_id = raw[1:17]
        self.generation = int.from_bytes(raw[17:21], "big")
        self.threshold, self.count, self.index = raw[21], raw[22], raw[23]
        self.y = raw[24:56]
        if not 2 <= self.threshold <= self.count:
            raise bad("BadThreshold", "it says %d of %d, which is impossible"
                      % (self.threshold, self.count))
        if not 1 <= self.index <= self.count:
            raise bad("BadIndex", "it has index %d, not between 1 and %d"
                      % (self.index, self.count))

    def commitment(self):
        """§3: first 16 bytes of SHA-256("breakglass v1 share commitment" || share)."""
        return hashlib.sha256(b"breakglass v1 share commitment" + self.raw).digest()[:16]


# ---------------------------------------------------------------- §3 vault ------------------
BIDI = {0x061C, 0x200E, 0x200F} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
KDF_LIMITS = [("memory (KiB)", 8192, 4194304), ("iterations", 1, 64), ("parallelism", 1, 16)]


def check_kdf(params, stage):
    """§3 rule 5: each Argon2id parameter against its cap, then its floor, before any memory
    is allocated: a malicious header must not exhaust the machine."""
    for (what, low, high), value in zip(KDF_LIMITS, params):
        if value > high:
            raise Failure(stage + "Kdf/TooExpensive", "the vault asks for Argon2id %s = %d, above "
                          "the maximum of %d: the header is damaged or malicious"
                          % (what, value, high))
        if value < low:
            raise Failure(stage + "Kdf/TooWeak", "Argon2id %s = %d is below the minimum of %d"
                          % (what, value, low))


class Vault:
    """A parsed vault envelope (§3): the header is readable, the contents sealed."""

    def __init__(self, raw):
        def bad(kind, msg):
            return Failure("Vault/" + kind, "the vault text decodes, but the vault inside is "
                           "not valid: " + msg)
        if raw[0] == 0:
            raise bad("BadVersion", "vault format version 0 does not exist: it is damaged")
        if raw[0] > 1:
            raise bad("NewerVersion", "this vault was made by a newer breakglass (vault format "
                      "%d): get a newer recover.py or breakglass" % raw[0])
        if len(raw) > 12288:
            raise bad("TooLarge", "it is %d bytes, above the 12288-byte maximum" % len(raw))
        self.raw, at = raw, 1

        def take(size, field):  # §3 rule 3: a field that runs past the end is Truncated
            nonlocal at
            if at + size > len(raw):
                raise bad("Truncated", "it ends early (at byte %d while reading the %s): the "
                          "vault text is truncated" % (at, field))
            at += size
            return raw[at - size:at]

        def number(size, field):
            return int.from_bytes(take(size, field), "big")

        def label(field):  # §3 rule 6: str8, UTF-8, no control or bidi characters
            data = take(number(1, field), field)
            try:
                s = data.decode("utf-8")
            except UnicodeDecodeError:
                s = None
            if s is None or any(unicodedata.category(c) == "Cc" or ord(c) in BIDI for c in s):
                raise bad("BadLabel", "the %s label is not valid UTF-8 text without control "
                          "characters" % field)
            return s

        self.vault_id = take(16, "vault id")
        self.generation = number(4, "generation")
        self.created = number(8, "creation date")
        self.drill_days = number(2, "drill interval")
        self.threshold, self.count = take(2, "threshold")
        if not 2 <= self.threshold <= self.count:
            raise bad("BadThreshold", "it says %d of %d, which is impossible"
                      % (self.threshold, self.count))
        kdf = take(1, "key derivation")[0]
        self.kdf = None
        if kdf == 1:
            params = [number(4, "Argon2id " + f) for f in ("memory", "iterations", "parallelism")]
            try:
                check_kdf(params, "Vault/")
            except Failure as e:
                raise bad(e.kind[6:], e.message)
            self.kdf = (params, take(16, "Argon2id salt"))
        elif kdf != 0:
            raise bad("UnknownKdf", "unknown key-derivation method %d in the vault header: it "
                      "is damaged or newer" % kdf)
        self.commitments = [take(16, "share commitments") for _ in range(self.count)]
        self.tenant = label("tenant")
        self.labels = [(label("location"), label("custodian")) for _ in range(self.count)]
        self.header = raw[:at]  # the associated data: every byte before the nonce
        self.nonce = take(24, "nonce")
        length = number(2, "ciphertext length")
        if length < 16:
            raise bad("CiphertextTooShort", "the ciphertext is %d bytes, shorter than the "
                      "16-byte tag" % length)
        self.ciphertext = take(length, "ciphertext")
        if at != len(raw):
            raise bad("TrailingBytes", "it has %d unexpected bytes after its end: it is damaged"
                      % (len(raw) - at))


def decode_blocks(blocks):
    """Complete blocks to shares and vaults; incomplete blocks are returned as they are."""
    shares, vaults, incomplete = [], [], []
    for b in merge_blocks(blocks):
        if not b.is_complete():
            incomplete.append(b)
        elif b.header.kind == b"S":
            shares.append(Share(b.decode()))
        else:
            vaults.append(Vault(b.decode()))
    return shares, vaults, incomplete


# ---------------------------------------------------------------- §2 Shamir over GF(2^8) ----
EXP, LOG = [0] * 510, [0] * 256
_x = 1
for _i in range(255):  # 2 generates the multiplicative group of GF(2^8) mod 0x11d
    EXP[_i] = EXP[_i + 255] = _x
    LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D


def gf_mul(a, b):
    return 0 if a == 0 or b == 0 else EXP[LOG[a] + LOG[b]]


def gf_div(a, b):
    return 0 if a == 0 else EXP[LOG[a] + 255 - LOG[b]]


def combine(shares):
    """Lagrange interpolation at 0 over k shares with distinct non-zero x (§2):
    S[j] = sum_i y_i[j] * prod_{m != i} x_m / (x_m XOR x_i)."""
    secret = bytearray(32)
    for s in shares:
        weight = 1
        for m in shares:
            if m is not s:
                weight = gf_mul(weight, gf_div(m.index, m.index ^ s.index))
        for j in range(32):
            secret[j] ^= gf_mul(s.y[j], weight)
    return bytes(secret)


# ---------------------------------------------------------------- §4 HKDF, ChaCha20, Poly1305
def hkdf_sha256(salt, ikm, info, length=32):
    """RFC 5869 with SHA-256."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out, i = out + block, i + 1
    return out[:length]


M32 = 0xFFFFFFFF


def chacha_rounds(state):
    """The 20 ChaCha rounds (RFC 8439 §2.3) on 16 words, without the final addition."""
    x = list(state)

    def quarter(a, b, c, d):
        x[a] = (x[a] + x[b]) & M32
        x[d] ^= x[a]
        x[d] = ((x[d] << 16) | (x[d] >> 16)) & M32
        x[c] = (x[c] + x[d]) & M32
        x[b] ^= x[c]
        x[b] = ((x[b] << 12) | (x[b] >> 20)) & M32
        x[a] = (x[a] + x[b]) & M32
        x[d] ^= x[a]
        x[d] = ((x[d] << 8) | (x[d] >> 24)) & M32
        x[c] = (x[c] + x[d]) & M32
        x[b] ^= x[c]
        x[b] = ((x[b] << 7) | (x[b] >> 25)) & M32

    for _ in range(10):
        quarter(0, 4, 8, 12), quarter(1, 5, 9, 13), quarter(2, 6, 10, 14), quarter(3, 7, 11, 15)
        quarter(0, 5, 10, 15), quarter(1, 6, 11, 12), quarter(2, 7, 8, 13), quarter(3, 4, 9, 14)
    return x


SIGMA = struct.unpack("<4I", b"expand 32-byte k")


def hchacha20(key, nonce16):
    """draft-irtf-cfrg-xchacha §2.2: a subkey from a key and the first 16 nonce bytes."""
    x = chacha_rounds(SIGMA + struct.unpack("<8I", key) + struct.unpack("<4I", nonce16))
    return struct.pack("<8I", *(x[0:4] + x[12:16]))


def chacha20_xor(key, nonce12, counter, data):
    """RFC 8439 §2.4: data XOR the ChaCha20 key stream starting at block `counter`."""
    head = SIGMA + struct.unpack("<8I", key)
    tail = struct.unpack("<3I", nonce12)
    out = bytearray()
    for i in range(0, len(data), 64):
        state = head + (counter + i // 64,) + tail
        stream = struct.pack("<16I", *((a + b) & M32 for a, b in
                                       zip(chacha_rounds(state), state)))
        out += bytes(a ^ b for a, b in zip(data[i:i + 64], stream))
    return bytes(out)


def poly1305(key, msg):
    """RFC 8439 §2.5: one-time authenticator."""
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s, p, acc = int.from_bytes(key[16:], "little"), (1 << 130) - 5, 0
    for i in range(0, len(msg), 16):
        acc = (acc + int.from_bytes(msg[i:i + 16] + b"\x01", "little")) * r % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def xchacha20poly1305_open(key, nonce, ciphertext, aad):
    """Returns the plaintext, or None when the tag does not verify (nothing is released)."""
    subkey = hchacha20(key, nonce[:16])
    nonce12 = b"\0\0\0\0" + nonce[16:]
    body, tag = ciphertext[:-16], ciphertext[-16:]
    otk = chacha20_xor(subkey, nonce12, 0, bytes(32))

    def pad(b):
        return b + bytes(-len(b) % 16)
    mac_data = pad(aad) + pad(body) + struct.pack("<QQ", len(aad), len(body))
    if not hmac.compare_digest(poly1305(otk, mac_data), tag):
        return None
    return chacha20_xor(subkey, nonce12, 1, body)


# ---------------------------------------------------------------- Argon2id (RFC 9106) -------
M64 = 0xFFFFFFFFFFFFFFFF
BLOCK_WORDS = 128  # a block is 1024 bytes = 128 little-endian 64-bit words


def blake2b_long(data, out_len):
    """RFC 9106 §3.3, H': variable-length hash built from BLAKE2b."""
    data = struct.pack("<I", out_len) + data
    if out_len <= 64:
        return hashlib.blake2b(data, digest_size=out_len).digest()
    v = hashlib.blake2b(data).digest()
    out = v[:32]
    while out_len - len(out) > 64:
        v = hashlib.blake2b(v).digest()
        out += v[:32]
    return out + hashlib.blake2b(v, digest_size=out_len - len(out)).digest()


def _g(a, b, c, d):
    """RFC 9106 §3.6 GB: BLAKE2b's G with multiplications of the low 32 bits."""
    a = (a + b + 2 * (a & M32) * (b & M32)) & M64
    d ^= a
    d = (d >> 32) | ((d << 32) & M64)
    c = (c + d + 2 * (c & M32) * (d & M32)) & M64
    b ^= c
    b = (b >> 24) | ((b << 40) & M64)
    a = (a + b + 2 * (a & M32) * (b & M32)) & M64
    d ^= a
    d = (d >> 16) | ((d << 48) & M64)
    c = (c + d + 2 * (c & M32) * (d & M32)) & M64
    b ^= c
    b = (b >> 63) | ((b << 1) & M64)
    return a, b, c, d


def _p(v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15):
    """RFC 9106 §3.6 permutation P on eight 16-byte registers (16 words)."""
    v0, v4, v8, v12 = _g(v0, v4, v8, v12)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14)
    return v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15


# Column j of the 8x8 matrix of registers: words 2j, 2j+1, 2j+16, 2j+17, ... 2j+113.
COLUMNS = [[2 * j + 16 * i + k for i in range(8) for k in (0, 1)] for j in range(8)]
BLOCK = struct.Struct("<128Q")


def compress(x, y):
    """RFC 9106 §3.5 G(X, Y) on blocks held as 1024-bit integers: R = X ^ Y, P on rows then
    columns gives Z, result Z ^ R. Integers make the block XORs single operations."""
    r = x ^ y
    v = list(BLOCK.unpack(r.to_bytes(1024, "little")))
    for i in range(0, 128, 16):
        v[i:i + 16] = _p(*v[i:i + 16])
    for col in COLUMNS:
        for k, w in zip(col, _p(*[v[k] for k in col])):
            v[k] = w
    return int.from_bytes(BLOCK.pack(*v), "little") ^ r


def argon2id_pure(password, salt, memory_kib, passes, lanes, out_len=32, progress=None,
                  secret=b"", data=b""):
    """Argon2id version 0x13 (RFC 9106 §3). breakglass uses no secret and no associated
    data (§4); they are here for the RFC's test vector.

    Memory is one bytearray of memory_kib KiB (really allocated, as the algorithm needs)."""
    h0 = hashlib.blake2b(struct.pack("<6I", lanes, out_len, memory_kib, passes, 0x13, 2)
                         + struct.pack("<I", len(password)) + password
                         + struct.pack("<I", len(salt)) + salt
                         + struct.pack("<I", len(secret)) + secret
                         + struct.pack("<I", len(data)) + data).digest()
    blocks = 4 * lanes * (memory_kib // (4 * lanes))  # m' (§3.2 step 5)
    lane_len = blocks // lanes
    seg_len = lane_len // 4
    mem = bytearray(blocks * 1024)

    def load(i):
        return int.from_bytes(mem[i * 1024:(i + 1) * 1024], "little")

    def store(i, value):
        mem[i * 1024:(i + 1) * 1024] = value.to_bytes(1024, "little")

    for lane in range(lanes):  # the first two blocks of each lane (§3.2 steps 3-4)
        for i in (0, 1):
            store(lane * lane_len + i, int.from_bytes(
                blake2b_long(h0 + struct.pack("<II", i, lane), 1024), "little"))
    done, total, started = 0, passes * lanes * (lane_len - 2), time.time()
    for t in range(passes):
        for s in range(4):  # slices
            for lane in range(lanes):
                # Argon2id: data-independent addresses in the first half of the first pass.
                independent = t == 0 and s < 2
                first = 2 if t == 0 and s == 0 else 0
                counter, addresses = 0, []
                if independent:
                    header = struct.pack("<6Q", t, lane, s, blocks, passes, 2)
                for i in range(first, seg_len):
                    if independent and (i % 128 == 0 or not addresses):
                        counter += 1  # §3.4.1.2: address block = G(0, G(0, Z))
                        z = int.from_bytes(header + struct.pack("<Q", counter)
                                           + bytes(968), "little")
                        a = compress(0, compress(0, z)).to_bytes(1024, "little")
                        addresses = BLOCK.unpack(a)
                    col = s * seg_len + i
                    cur = lane * lane_len + col
                    if i == first:  # afterwards the previous block is the one just made
                        prev_block = load(cur - 1 if col > 0 else cur + lane_len - 1)
                    rand = addresses[i % 128] if independent else prev_block & M64
                    j1, j2 = rand & M32, rand >> 32
                    ref_lane = lane if t == 0 and s == 0 else j2 % lanes
                    # §3.4.2: the reference set W, then the biased choice inside it.
                    if t == 0:
                        area = s * seg_len
                    else:
                        area = lane_len - seg_len
                    if ref_lane == lane:
                        area += i - 1
                    elif i == 0:
                        area -= 1
                    start = 0 if t == 0 or s == 3 else (s + 1) * seg_len
                    rel = area - 1 - ((area * ((j1 * j1) >> 32)) >> 32)
                    ref = ref_lane * lane_len + (start + rel) % lane_len
                    prev_block = compress(prev_block, load(ref))
                    if t > 0:  # version 1.3: later passes XOR the old block in
                        prev_block ^= load(cur)
                    store(cur, prev_block)
                    done += 1
                    if progress and done % 4096 == 0:
                        progress(done, total, time.time() - started)
    if progress:
        progress(total, total, time.time() - started)
    final = 0
    for lane in range(lanes):
        final ^= load(lane * lane_len + lane_len - 1)
    del mem
    return blake2b_long(final.to_bytes(1024, "little"), out_len)


def progress_line(done, total, seconds):
    left = seconds * (total - done) / done
    sys.stderr.write("\rArgon2id (pure Python): %3d%%, about %d min %02d s left " % (
        100 * done // total, left // 60, left % 60))
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def argon2id(password, salt, params, pure=False):
    """Uses argon2-cffi when importable (fast), else the pure-Python version above."""
    memory_kib, passes, lanes = params
    if not pure:
        try:
            from argon2.low_level import Type, hash_secret_raw
            return hash_secret_raw(password, salt, time_cost=passes, memory_cost=memory_kib,
                                   parallelism=lanes, hash_len=32, type=Type.ID, version=19)
        except ImportError:
            pass
    sys.stderr.write("Argon2id in pure Python (%d MiB, %d passes): this can take many "
                     "minutes (install argon2-cffi to make it fast)\n" % (memory_kib // 1024,
                                                                           passes))
    try:
        return argon2id_pure(password, salt, memory_kib, passes, lanes, progress=progress_line)
    except MemoryError:
        raise Failure("Recover/Kdf/Failed", "Argon2id needs %d MiB of memory and could not get "
                      "it: close other programs or use a machine with more memory"
                      % (memory_kib // 1024), EXIT_BAD_INPUT)


# ---------------------------------------------------------------- §5 contents --------------
ENTRY_KINDS = {1: ("account", ("upn", "display_name", "password")),
               2: ("fido2", ("label", "pin")),
               3: ("totp", ("label", "uri")),
               4: ("note", ("label", "text"))}


def parse_contents(pt):
    """The plaintext (§5) to a list of (kind, {field: value}), in vault order."""
    def bad(kind, msg):
        return Failure("Recover/Contents/" + kind, msg, EXIT_NOT_OPENED)
    at = 0

    def take(n):
        nonlocal at
        if at + n > len(pt):
            raise bad("Malformed", "the vault contents are malformed (truncated)")
        at += n
        return pt[at - n:at]

    version = take(1)[0]
    if version == 0:
        raise bad("Malformed", "the vault contents are malformed (version 0)")
    if version > 1:
        raise bad("NewerVersion", "the vault contents use format %d, newer than this program "
                  "reads: get a newer recover.py or breakglass" % version)
    count = int.from_bytes(take(2), "big")
    if count == 0:
        raise bad("Empty", "the vault is empty")
    entries = []
    for _ in range(count):
        kind = take(1)[0]
        if kind not in ENTRY_KINDS:
            raise bad("UnknownEntry", "the vault holds an entry of unknown kind %d: get a newer "
                      "recover.py or breakglass" % kind)
        name, names = ENTRY_KINDS[kind]
        fields = {}
        for f in names:
            length = int.from_bytes(take(2), "big")
            if length > 8192:
                raise bad("FieldTooLong", "a field is %d bytes, above the maximum of 8192"
                          % length)
            try:
                fields[f] = take(length).decode("utf-8")
            except UnicodeDecodeError:
                raise bad("Malformed", "the vault contents are malformed (not UTF-8)")
        entries.append((name, fields))
    if at != len(pt):
        raise bad("Malformed", "the vault contents are malformed (trailing bytes)")
    return entries


def totp_now(uri, now):
    """RFC 6238 code and seconds left for an otpauth://totp URI, or None if unreadable."""
    m = re.match(r"(?i:otpauth)://([^/]*)/([^?]*)\??(.*)$", uri, re.S)  # RFC 3986 §3.1
    if not m or m.group(1).lower() != "totp":
        return None
    secret, algorithm, digits, period = None, "SHA1", 6, 30
    for pair in m.group(3).split("&"):
        key, _, value = pair.partition("=")
        key = key.lower()
        if key == "secret":
            secret = unquote(value, errors="replace")
        elif key == "algorithm":
            algorithm = value.upper()
            if algorithm not in ("SHA1", "SHA256", "SHA512"):
                return None
        elif key in ("digits", "period"):
            if not re.match(r"^\+?[0-9]+$", value):
                return None
            if key == "digits":
                digits = int(value)
            else:
                period = int(value)
    if secret is None or not 6 <= digits <= 10 or not 1 <= period <= 3600:
        return None
    cleaned = "".join(c for c in secret if not c.isspace() and c not in "=-").upper()
    key = b32decode(cleaned.encode(), b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")  # RFC 4648
    if not key:
        return None
    mac = hmac.new(key, struct.pack(">Q", now // period), algorithm.lower()).digest()
    offset = mac[-1] & 15
    value = (int.from_bytes(mac[offset:offset + 4], "big") & 0x7FFFFFFF) % 10 ** digits
    return str(value).zfill(digits), period - now % period


# ---------------------------------------------------------------- reading inputs -----------
class Gathered:
    """Everything read, with where each piece came from."""

    def __init__(self):
        self.shares = []  # (source, Share)
        self.vaults = []  # (source, Vault)
        self.problems = []  # one line per input (or part of one) that could not be used
        self.incomplete = []  # vault blocks still missing lines after pooling every input
        self.whole_vaults = set()  # headers of vault blocks some input carried whole

    def add(self, source, shares, vaults):
        for s in shares:  # named by the share's own number, never its position
            self.shares.append(("%s (share %d)" % (source, s.index) if len(shares) > 1
                                else source, s))
        self.vaults.extend((source, v) for v in vaults)


MAX_INPUT_BYTES = 64 << 20  # as breakglass: no sheet, scan or share file is larger


def read_bounded(name):
    """A file's bytes, or standard input's for -, whole: more than MAX_INPUT_BYTES or nothing
    at all is refused with breakglass's words, never cut short."""
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(name, "rb") as f:
                data = f.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        raise Failure("Input/Unreadable", "%s: cannot read it (%s)" % (name, e.strerror))
    what = "standard input" if name == "-" else name
    if len(data) > MAX_INPUT_BYTES:
        raise Failure("Input/TooLarge", "%s is larger than %d MiB: that is not a sheet, scan or "
                      "share file%s" % (what, MAX_INPUT_BYTES >> 20,
                                        "; give the file by name" if name == "-" else ""))
    if not data and name == "-":
        raise Failure("Input/Empty", "standard input is empty")
    return data


def read_input(name):
    """One input's text. Images cannot be read here: a phone's QR app shows the text."""
    data = read_bounded(name)
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark is skipped (§6.5)
        data = data[3:]
    if not data:  # no block: NoHeader (§6.5), said plainly
        raise Failure("Text/NoHeader", "it is empty")
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"%PDF")):
        raise Failure("Input/Image", "%s: an image or PDF; recover.py reads text only: read "
                      "each QR code with a phone's QR app and paste its text, or type the "
                      "blocks" % name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # §6.5: bytes that are not UTF-8 read as U+FFFD (maximal subparts), so a comment row
    # re-saved in another encoding is still a comment; with no header at all, say what it is not.
    text = data.decode("utf-8", "replace")
    try:
        parse_blocks(text)
    except Failure as e:
        if e.kind == "Text/NoHeader":
            raise Failure("Input/NotText", "%s: neither a share file (text) nor QR text" % name)
    return text


def gather(names, strict=False, typed=None):
    """§7 inputs: each input is decoded on its own; complete blocks give shares and vault
    copies, incomplete vault blocks (QR parts, or a vault block with a mistyped line) are
    pooled across inputs by header. strict: stop at the first input that fails, the whole
    input's error (how the test vectors of §9 are read). typed: the text typed at the terminal,
    read as standard input's."""
    g, pooled = Gathered(), []
    for name in names:
        try:
            text = typed if typed is not None and name == "-" else read_input(name)
            if strict:  # the whole file is one input, not cut (as a §9 vector's input)
                shares, vaults, incomplete = decode_blocks(parse_blocks(text))
                for b in incomplete:
                    b.decode()  # raises its MissingLines or LineCheck error
                g.add(name, shares, vaults)
                continue
        except Failure as e:
            if strict:
                raise
            g.problems.append(e.message if e.kind.startswith("Input/")
                              else "%s: %s" % (name, e.message))
            continue
        # §7.1: a file of several sheets is one input per sheet, named "NAME part N".
        parts, first_row = cut_inputs(text), 1
        for i, part in enumerate(parts):
            part_name = "%s part %d" % (name, i + 1) if len(parts) > 1 else name
            before = len(g.problems)
            try:
                blocks = parse_blocks(part, first_row)
            except Failure as e:
                g.problems.append("%s: %s" % (part_name, e.message))
                continue
            finally:
                first_row += part.count("\n")
            take_blocks(g, part_name, blocks, pooled, before, name)
    pool_vault_parts(g, pooled)
    return g


def take_blocks(g, name, blocks, pooled, before, file_name=None):
    """Decodes the complete blocks of one input; keeps its incomplete vault blocks aside.
    `before`: how many problems were said before this input was read; `file_name`: the file
    the input was cut from, to say where a share block that cannot be used starts."""
    complete = []
    for b in blocks:
        if b.is_complete():
            complete.append(b)
            if b.header.kind == b"V":
                g.whole_vaults.add(b.header.key())
        elif b.header.kind == b"V":
            pooled.append((name, b))
        else:
            try:
                b.decode()
            except Failure as e:
                g.problems.append("%s: %s (%s)" % (name, e.message, where(b, file_name)))
    if complete:
        add_decoded(g, name, complete)
    elif not any(n == name for n, _ in pooled) and len(g.problems) == before:
        g.problems.append("%s: no breakglass share or vault text in it" % name)


def where(block, file_name):
    """Where a block is, for a message: which share block, in which file, from which row."""
    shares = "the %s block" % block.header.noun
    if block.row is None or file_name is None:
        return shares
    return "%s whose header line is row %d of %s" % (
        shares, block.row, "the typed text" if file_name == "-" else file_name)


def add_decoded(g, source, blocks):
    """Adds the shares and vaults of complete blocks; one that fails loses them all."""
    try:
        shares, vaults, _ = decode_blocks(blocks)
        g.add(source, shares, vaults)
    except Failure as e:
        g.problems.append("%s: %s" % (source, e.message))


def pool_vault_parts(g, pooled):
    """Joins vault pieces with the same header read from different inputs (§6.4 QR parts)."""
    groups = []  # [names, block]
    for name, b in pooled:
        for group in groups:
            if group[1].header.key() == b.header.key():
                try:
                    group[1].merge(b)
                    if name not in group[0]:
                        group[0].append(name)
                except Failure as e:
                    g.problems.append("%s: %s" % (name, e.message))
                break
        else:
            groups.append([[name], b])
    for names, b in groups:
        if b.header.key() in g.whole_vaults:
            continue  # another input carried this vault whole: the parts are not needed (§7.2)
        if b.is_complete():
            add_decoded(g, " + ".join(names), [b])
        else:
            g.incomplete.append(b)


# ---------------------------------------------------------------- §7 recovery --------------
def recover_error(kind, message, code=EXIT_SHARES):
    return Failure("Recover/" + kind, message, code)


def commits_to(vault, share):
    """§7 step 3: the share's vault id, generation and threshold equal the header's, and its
    commitment equals the header's entry for its index (§3)."""
    return (share.vault_id == vault.vault_id and share.generation == vault.generation
            and share.threshold == vault.threshold and share.index <= len(vault.commitments)
            and hmac.compare_digest(vault.commitments[share.index - 1], share.commitment()))


def kdf_cost(vault):
    """§7 step 4: 0 without a passphrase, else Argon2id memory (KiB) x passes."""
    return 0 if vault.kdf is None else vault.kdf[0][0] * vault.kdf[0][1]


class Candidate:
    """One distinct vault copy (§7 step 2): the inputs that carry it, and the shares that
    check against it (step 3). Nothing in it is trusted until it opens."""

    def __init__(self, vault, source, position, shares):
        self.vault, self.sources, self.position = vault, [source], position
        self.duplicates = {}  # position of a share in the input order -> why it is left out
        usable, taken = [], {}
        for at, (src, s) in enumerate(shares):
            if not commits_to(vault, s):
                continue
            if s.index in taken:
                self.duplicates[at] = "%s: share %d was given twice (also in %s)" % (
                    src, s.index, taken[s.index])
            else:
                taken[s.index] = src
                usable.append((s.index, at, src, s))
        usable.sort(key=lambda u: u[0])
        self.usable_at = [at for _, at, _, _ in usable]
        self.usable = [(src, s) for _, _, src, s in usable]

    def viable(self):
        return len(self.usable) >= self.vault.threshold

    def order(self):
        """§7 step 4: viable first; cheapest key derivation, most checking shares, most inputs
        carrying the copy, first input. The cost leads: the counts are unauthenticated."""
        return (not self.viable(), kdf_cost(self.vault), -len(self.usable), -len(self.sources),
                self.position)

    def used(self):
        """The k checking shares with the lowest indices: the ones combined."""
        return self.usable[:self.vault.threshold]

    def is_other_set_than(self, chosen):
        """§7 step 8: a second complete set of the chosen copy's vault id and generation (k
        shares check against this copy that are not among the chosen copy's)."""
        return (self.vault.vault_id == chosen.vault.vault_id
                and self.vault.generation == chosen.vault.generation
                and len([at for at in self.usable_at if at not in chosen.usable_at])
                >= self.vault.threshold)


def left_out(shares, candidates, chosen, trial=None):
    """§7 step 8: every input not used, shares first then vault copies, each in input order,
    with why (relative to the chosen candidate). `trial` is None before anything opened, else
    {"also": generations that opened too, "declined": candidates whose cost was not spent,
    "wanted": the generation asked for or None}."""
    c = candidates[chosen]
    h = c.vault

    def why(vault_id, generation, declined):
        if vault_id != h.vault_id:
            return "it belongs to another vault (%s)" % display_vault_id(vault_id)
        if generation == h.generation:
            return None
        if trial is None:
            return "this sheet is generation %d, the vault text is generation %d" % (
                generation, h.generation)
        if trial["wanted"] is not None:
            return "this sheet is generation %d; generation %d was asked for" % (
                generation, trial["wanted"])
        if generation in trial["also"]:
            return ("generation %d opened too, from these sheets; generation %d is shown "
                    "(--generation %d shows the other)" % (generation, h.generation, generation))
        if declined:
            return ("it claims generation %d and asks for a passphrase stretching above the "
                    "default that was not run (another copy had opened); it is not "
                    "authenticated" % generation)
        if generation < h.generation:
            return "this sheet is generation %d; it was retired by generation %d" % (
                generation, h.generation)
        return ("it claims generation %d, newer than the one that opened (%d), but that did not "
                "open: it may have been altered, or too few of its sheets were given"
                % (generation, h.generation))

    other_set = ("it belongs to another set of generation %d sheets whose vault text differs "
                 "from the one that opened: one of the two sets was forged; keep the sheets "
                 "your custodians were given" % h.generation)
    others = [o for i, o in enumerate(candidates) if i != chosen and o.is_other_set_than(c)]
    declined = [] if trial is None else trial["declined"]
    out = []
    for at, (src, s) in enumerate(shares):
        if at in c.usable_at:
            continue
        if at in c.duplicates:
            out.append(c.duplicates[at])
            continue
        was_declined = any(at in candidates[i].usable_at for i in declined)
        reason = why(s.vault_id, s.generation, was_declined)
        if reason is None:
            if any(at in o.usable_at for o in others):
                reason = other_set
            else:
                reason = "share %d does not belong to this vault or has been altered" % s.index
        out.append("%s: %s" % (src, reason))
    for i, other in enumerate(candidates):
        if i == chosen:
            continue
        o = other.vault
        reason = why(o.vault_id, o.generation, i in declined)
        if reason is None:
            if (trial is not None and len(o.commitments) < len(h.commitments)
                    and h.commitments[:len(o.commitments)] == o.commitments):
                reason = ("its vault text is from before sheets were added (%d sheets, now %d)"
                          % (o.count, h.count))
            elif other in others:
                reason = other_set
            else:
                reason = "its vault text differs from the others: it may have been altered"
        out.extend("%s: %s" % (src, reason) for src in other.sources)
    return out


def plan(shares, vaults):
    """§7 steps 1-5: every distinct vault copy as a candidate, ordered, viable ones first.
    Raises NoShares, NoVault, MixedVaults or NotEnoughShares when nothing is viable. Nothing
    is combined or decrypted here."""
    if not shares:
        raise recover_error("NoShares", "no share was given: bring at least the number of "
                            "sheets the vault needs")
    if not vaults:
        raise recover_error("NoVault", "no copy of the vault text was given: every sheet "
                            "carries one (the BG1-V block)")
    candidates = []
    for position, (source, v) in enumerate(vaults):
        same = [c for c in candidates if c.vault.raw == v.raw]
        if same:
            same[0].sources.append(source)
        else:
            candidates.append(Candidate(v, source, position, shares))
    candidates.sort(key=Candidate.order)
    if candidates[0].viable():
        return candidates
    groups = {}  # vault id -> sources, shares first (every one), then copies (once each)
    for source, s in shares:
        groups.setdefault(s.vault_id, []).append(source)
    for source, v in vaults:
        names = groups.setdefault(v.vault_id, [])
        if source not in names:
            names.append(source)
    if len(groups) > 1:
        raise recover_error("MixedVaults", "these sheets belong to different vaults: %s; use "
                            "sheets of one vault only" % "; ".join(
                                "vault %s: %s" % (display_vault_id(i), ", ".join(groups[i]))
                                for i in sorted(groups)))
    best, rejected = candidates[0], left_out(shares, candidates, 0)
    rejected = list(dict.fromkeys(rejected))  # one reason per input, as the binary says it
    message = "%d of %d shares are needed to recover, %d usable given%s" % (
        best.vault.threshold, best.vault.count, len(best.usable),
        " (left out: %s)" % "; ".join(rejected) if rejected else "")
    given = sorted({s.generation for _, s in shares} | {v.generation for _, v in vaults})
    if len(given) > 1:
        newest = given[-1]
        message += (". The sheets given are of generations %s: each rekey or rotation makes a "
                    "new generation and retires the sheets of the older ones, so generation %d "
                    "is the current one unless a newer one was made since. Bring %d sheets of "
                    "generation %d (`breakglass inspect SHEET` shows a sheet's generation); "
                    "sheets of older generations cannot be combined with it" % (
                        " and ".join(str(g) for g in given), newest, best.vault.threshold,
                        newest))
    raise recover_error("NotEnoughShares", message)


def differing_copies(candidates):
    """The inputs of each distinct copy of the first candidate's vault id, when it has more
    than one: all but one of them may have been altered."""
    same = [c.sources for c in candidates if c.vault.vault_id == candidates[0].vault.vault_id]
    return same if len(same) > 1 else []


DEFAULT_KDF = (524288, 3)  # what breakglass seals with: 512 MiB, 3 passes


class Unlock:
    """The passphrase, read or asked for only when a copy being tried needs one, and once."""

    def __init__(self, path):
        self.path, self.passphrase, self.asked, self.failure = path, None, False, None

    def get(self):
        if not self.asked:
            self.asked = True
            try:
                self.passphrase = read_passphrase(self.path)
            except Failure as e:
                self.failure = e
        return self.passphrase

    def approve(self, source, params, another_opened):
        """§7 step 7: an unauthenticated copy asking for more than the default cost is asked
        about at a terminal; without one it is run (and said so) only while nothing has
        opened."""
        memory_kib, passes, _ = params
        if memory_kib <= DEFAULT_KDF[0] and memory_kib * passes <= DEFAULT_KDF[0] * DEFAULT_KDF[1]:
            return True
        what = ("the vault copy in %s asks for Argon2id with %d MiB of memory and %d passes, "
                "more than the default (%d MiB, %d passes): it may take very long and that much "
                "memory (the copy is not yet authenticated)" % (
                    shown(source), memory_kib // 1024, passes, DEFAULT_KDF[0] // 1024,
                    DEFAULT_KDF[1]))
        opened = ("; another generation has already opened, so this only checks whether this one "
                  "opens too" if another_opened else "")
        if sys.stdin.isatty() and sys.stderr.isatty():
            sys.stderr.write("%s%s. Run it? [y/N] " % (what, opened))
            sys.stderr.flush()
            return sys.stdin.readline().strip().lower() in ("y", "yes")
        if another_opened:
            sys.stderr.write("note: %s; another generation has already opened, so it is not "
                             "run\n" % what)
            return False
        sys.stderr.write("note: %s; running it\n" % what)
        return True


def try_copy(c, secret, unlock, stretched, pure_argon2, another_opened):
    """§7 step 7 for one candidate, and §4: derive K and open. Returns the contents, or the
    Failure that says why an authenticated copy's contents cannot be read."""
    v, ikm = c.vault, secret
    if v.kdf is not None:
        params, salt = v.kdf
        check_kdf(params, "Recover/")
        if not unlock.approve(c.sources[0], params, another_opened):
            raise recover_error("CostDeclined", "the vault copy's passphrase stretching was not "
                                "run (its cost was declined); no other copy opened",
                                EXIT_NOT_OPENED)
        passphrase = unlock.get()
        if passphrase is None:
            raise recover_error("PassphraseRequired", "this vault is also protected by a "
                                "passphrase: give it (--passphrase-file)", EXIT_USAGE)
        cache_key = (tuple(params), salt)  # equal parameters and salt: one Argon2id run
        if cache_key not in stretched:
            stretched[cache_key] = argon2id(passphrase.encode("utf-8"), salt, params,
                                            pure_argon2)
        ikm += stretched[cache_key]
    key = hkdf_sha256(v.vault_id, ikm, b"breakglass v1 vault key")
    plaintext = xchacha20poly1305_open(key, v.nonce, v.ciphertext, v.header)
    if plaintext is None:
        if v.kdf is not None:
            raise recover_error("WrongPassphraseOrAltered", "the vault did not open: the "
                                "passphrase is wrong, or the vault text was altered. Check the "
                                "passphrase; if it is right, try the vault text from another "
                                "sheet", EXIT_NOT_OPENED)
        raise recover_error("Altered", "the vault did not open: its text was altered, or the "
                            "shares were forged to match. Try the vault text from another sheet",
                            EXIT_NOT_OPENED)
    try:
        return parse_contents(plaintext)
    except Failure as e:  # authenticated: a newer breakglass wrote what this one cannot read
        return e


def to_try(candidates, wanted):
    """The viable candidates, in order; only generation `wanted` when one was asked for."""
    return [i for i, c in enumerate(candidates)
            if c.viable() and (wanted is None or c.vault.generation == wanted)]


def open_vault(shares, candidates, unlock, pure_argon2=False, wanted=None):
    """§7 steps 6-8: the viable candidates in order, each at most once; once one opened (vault
    id X), only later ones of X whose generation has not opened are tried. The newest
    generation that opened is used (or the one asked for); the others are reported. None
    opened: the first candidate's error."""
    order = to_try(candidates, wanted)
    if wanted is not None and not order:
        available = sorted({c.vault.generation for c in candidates if c.viable()})
        raise recover_error("GenerationNotGiven", "generation %d cannot be opened from these "
                            "sheets: no copy of it has enough shares (generations that can: %s)"
                            % (wanted, ", ".join(map(str, available)) or "none"))
    first_error, opened, declined, stretched = None, [], [], {}
    for i in order:
        c = candidates[i]
        if opened:
            first = candidates[opened[0][0]].vault
            if (c.vault.vault_id != first.vault_id or any(
                    candidates[j].vault.generation == c.vault.generation for j, _ in opened)):
                continue
        secret = combine([s for _, s in c.used()])
        try:
            opened.append((i, try_copy(c, secret, unlock, stretched, pure_argon2, bool(opened))))
        except Failure as e:
            if e.kind == "Recover/CostDeclined" and opened:
                declined.append(i)
            elif first_error is None:
                first_error = e
    if not opened:
        if first_error.kind == "Recover/PassphraseRequired" and unlock.failure is not None:
            raise unlock.failure
        raise first_error
    best, contents = max(opened, key=lambda o: candidates[o[0]].vault.generation)
    also = sorted(({"generation": candidates[i].vault.generation,
                    "created": candidates[i].vault.created,
                    "shares_used": [src for src, _ in candidates[i].used()]}
                   for i, _ in opened if i != best), key=lambda o: o["generation"])
    if isinstance(contents, Failure):
        raise Failure(contents.kind, "the vault opened, but this program cannot read what it "
                      "holds (%s): it was made by a newer breakglass; upgrade to read it"
                      % contents.message, contents.code)
    c = candidates[best]
    trial = {"also": [o["generation"] for o in also], "declined": declined, "wanted": wanted}
    return {"vault": c.vault, "entries": contents,
            "used": [src for src, _ in c.used()], "also_opened": also,
            "numbers": [sh.index for _, sh in c.used()],
            "rejected": left_out(shares, candidates, best, trial)}


def share_named(v, number, source):
    """A share as the sheets name it: its number, place and custodian, then where it was read
    ("- part 1" meant nothing to a custodian who had typed it)."""
    place = [x for x in (v.labels[number - 1] if 0 < number <= len(v.labels) else ()) if x]
    if source == "-" or source.startswith("- part "):
        source = "typed" if sys.stdin.isatty() else "from standard input"
    else:
        source = "from " + source
    return "share %d%s (%s)" % (number, " of " + ", ".join(place) if place else "", source)


def generations_notice(r):
    """§7.2 step 8: when more than one generation opened, which is used, which others opened
    and from which sheets, and how to tell a rekey from a forgery."""
    if not r["also_opened"]:
        return None

    def one(generation, created, used):
        return "generation %d (made %s, opened by %s)" % (
            generation, iso_date(created), ", ".join(used))
    v = r["vault"]
    return ("%d generations of this vault opened: %s is the one used here; %s opened too. A "
            "rekey makes a newer generation from the older one's sheets: if nobody remembers the "
            "rekey that made the newer one, its sheets are forged and its credentials are not "
            "yours. To open another generation instead, add --generation N (for example "
            "--generation %d)." % (
                len(r["also_opened"]) + 1, one(v.generation, v.created, r["used"]),
                "; ".join(one(o["generation"], o["created"], o["shares_used"])
                          for o in r["also_opened"]),
                max(o["generation"] for o in r["also_opened"])))


def iso_date(unix_seconds):
    """Unix seconds as an ISO date (UTC), as breakglass prints it."""
    try:
        return time.strftime("%Y-%m-%d", time.gmtime(unix_seconds))
    except (OverflowError, OSError, ValueError):
        return "(date out of range)"


# ---------------------------------------------------------------- output --------------------
SEPARATORS = {0x2028, 0x2029}  # line and paragraph separators: line breaks that are not \n


def shown(s, layout=False):
    """As breakglass's display filter: every control (DEL and C1 too), bidirectional and
    separator character is shown as its escape (\\u{1B}); layout=True keeps newline and tab."""
    return "".join(c if (layout and c in "\n\t") or not (
        unicodedata.category(c) == "Cc" or ord(c) in BIDI or ord(c) in SEPARATORS)
        else "\\u{%X}" % ord(c) for c in s)


def lines(text):
    """Lines as breakglass splits a note: at \n or \r\n only (not at U+2028 or U+0085)."""
    parts = text.split("\n")
    last = parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts] + ([last] if last else [])


def json_text(value):
    """JSON as breakglass writes it (§12.8): what json.dumps leaves raw (DEL, C1 controls,
    bidirectional and separator characters) is written as \\uXXXX too, so the value is the
    same and no byte of it can drive a terminal. Those characters occur only inside strings."""
    return "".join("\\u%04x" % ord(c) if 0x7F <= ord(c) <= 0x9F or ord(c) in BIDI
                   or ord(c) in SEPARATORS else c
                   for c in json.dumps(value, indent=2, ensure_ascii=False))


def print_json(r, now):
    entries = []
    for kind, f in r["entries"]:
        e = dict([("kind", kind)] + list(f.items()))  # fields in §5 order
        if kind == "totp":
            code = totp_now(f["uri"], now)
            e["code"], e["seconds_left"] = code if code else (None, None)
        entries.append(e)
    v = r["vault"]
    out = {"vault_id": display_vault_id(v.vault_id), "tenant": v.tenant,
           "generation": v.generation, "shares_used": r["used"], "rejected": r["rejected"],
           "entries": entries}
    if r["also_opened"]:  # §12.8: only when another generation opened too
        out["also_opened"] = [{"generation": o["generation"], "created": iso_date(o["created"]),
                               "shares_used": o["shares_used"]} for o in r["also_opened"]]
    sys.stdout.write(json_text(out) + "\n")


def print_text(r, now):
    v, w = r["vault"], sys.stdout.write
    w("Vault %s of %s (generation %d) opened with %d of %d shares: %s\n\n" % (
        display_vault_id(v.vault_id), shown(v.tenant), v.generation, len(r["used"]), v.count,
        shown("; ".join(share_named(v, n, src) for n, src in zip(r["numbers"], r["used"])))))
    notice = generations_notice(r)
    if notice:
        w("WARNING: %s\n\n" % shown(notice))
    for kind, f in r["entries"]:
        if kind == "account":
            w("Account:   %s  (%s)\nPassword:  %s\n" % (
                shown(f["upn"]), shown(f["display_name"]), shown(f["password"])))
        elif kind == "fido2":
            w("FIDO2 key: %s\nPIN:       %s\n" % (shown(f["label"]), shown(f["pin"])))
        elif kind == "totp":
            w("TOTP:      %s\nURI:       %s\n" % (shown(f["label"]), shown(f["uri"])))
            code = totp_now(f["uri"], now)
            if code:
                w("Code now:  %s  (valid %d s more; computed from this computer's clock, which "
                  "must be right)\n" % code)
            else:
                w("Code now:  cannot compute (the URI is not a TOTP URI this program reads)\n")
        else:
            w("Note:      %s\n" % shown(f["label"]))
            for line in lines(f["text"]):
                w("  %s\n" % shown(line, layout=True))
        w("\n")
    w("After an emergency: record why the vault was opened, then rotate these credentials "
      "and make new sheets.\n")


def read_passphrase(path):
    """--passphrase-file (one trailing LF or CRLF dropped), else asked without echo."""
    if path is not None:
        try:
            p = read_bounded(path)
        except Failure as e:
            if e.kind != "Input/Empty":
                raise
            p = b""  # empty standard input: the empty passphrase below (§4 rule 1)
        try:
            p = (p[3:] if p.startswith(b"\xef\xbb\xbf") else p).decode("utf-8")  # §4 rule 1
        except UnicodeDecodeError:
            raise Failure("Input/Passphrase", "cannot read the passphrase file %s (not UTF-8)"
                          % path)
        p = p[:-1] if p.endswith("\n") else p
        p = p[:-1] if p.endswith("\r") else p
    elif sys.stdin.isatty():
        p = getpass.getpass("Passphrase: ")
    else:
        raise recover_error("PassphraseRequired", "a passphrase is needed but there is no "
                            "terminal to ask on: pass --passphrase-file FILE", EXIT_USAGE)
    if not p:
        raise Failure("Input/Passphrase", "the passphrase is empty", EXIT_USAGE)
    return p


# What to do about a vault block still incomplete after every input was read: (warning, error)
# for a vault typed or from files, and for one read (partly) from QR code text.
INCOMPLETE_VAULT = {
    False: ("no complete copy of the vault text was read: retype that line from any sheet's "
            "vault block", ": no complete copy of the vault text was read; retype that line from "
            "any sheet's vault block, or give another sheet"),
    True: ("a QR part of the vault was not read: add its text, or type its lines",
           ": the vault's QR parts were not all read; add the missing part from any sheet, or "
           "type its lines")}


def ask_row(prompt):
    """One row typed at the terminal, after a prompt on standard error; None at the end."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    row = sys.stdin.readline()
    return row if row else None


def typed_at_terminal(read=None):
    """typed_text at this terminal: the window is wiped when typing ends, also at Ctrl-C, at
    SIGTERM and at SIGHUP (each then ends the program as it would have)."""
    def ended(signum, frame):
        raise SystemExit(128 + signum)
    caught = [getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
    before = [(n, signal.signal(n, ended)) for n in caught]
    try:
        return typed_text(ask_row, lambda m: sys.stderr.write(m + "\n"), wipe_terminal, read)
    finally:
        for n, handler in before:
            signal.signal(n, handler)


def main(argv):
    parser = argparse.ArgumentParser(
        prog="recover.py", description="Open a breakglass vault from k share sheets, without "
        "breakglass.", epilog="With no files, the sheets' text is read from standard input "
        "(typed, pasted, or QR code text): end it with Ctrl-D (Ctrl-Z Enter on Windows).")
    parser.add_argument("files", nargs="*", help="share files (share-N.txt) or text files "
                        "with QR code text; - for standard input")
    parser.add_argument("--passphrase-file", metavar="FILE",
                        help="read the vault passphrase from this file (- for standard input)")
    parser.add_argument("--json", action="store_true", help="print JSON, as `breakglass "
                        "recover --json` does (it contains the secrets)")
    parser.add_argument("--strict", action="store_true", help="stop at the first input that "
                        "cannot be read (how FORMAT.md §9 test vectors are read)")
    parser.add_argument("--generation", type=int, metavar="N",
                        help="open this generation when the sheets open more than one (after a "
                        "rekey, or when a set was forged); by default the newest that opens")
    parser.add_argument("--pure-argon2", action="store_true",
                        help="use the pure-Python Argon2id even if argon2-cffi is installed")
    args = parser.parse_args(argv)
    names = args.files or ["-"]
    try:
        typed = None
        if "-" in names and sys.stdin.isatty():  # typed at the terminal, checked as typed
            files = [n for n in names if n != "-"]
            typed = typed_at_terminal(gather(files) if files else None)
        g = gather(names, args.strict, typed)
        for p in g.problems:
            sys.stderr.write("warning: skipped %s\n" % shown(p))
        for b in g.incomplete:
            try:
                b.decode()
            except Failure as e:
                sys.stderr.write("warning: %s (%s)\n" % (e.message, INCOMPLETE_VAULT[b.qr][0]))
        if not g.vaults and g.incomplete:
            try:
                g.incomplete[0].decode()
            except Failure as e:
                raise Failure(e.kind, e.message + INCOMPLETE_VAULT[g.incomplete[0].qr][1])
        # §7.3: the exit code follows the outcome's kind alone; inputs left out are warnings.
        try:
            candidates = plan(g.shares, g.vaults)
        except Failure as e:
            if e.kind == "Recover/NoShares" and g.problems:  # say where the shares went
                raise recover_error("NoShares", "no share could be used: every share given "
                                    "was left out, as the warnings above say; correct those "
                                    "lines and run again")
            raise
        needs = any(candidates[i].vault.kdf is not None
                    for i in to_try(candidates, args.generation))
        if not needs and args.passphrase_file is not None:
            raise recover_error("PassphraseNotUsed", "this vault has no passphrase, but one was "
                                "given: leave it out", EXIT_USAGE)
        unlock = Unlock(args.passphrase_file)
        if args.passphrase_file is not None:
            unlock.get()
            if unlock.failure is not None:
                raise unlock.failure
        try:
            r = open_vault(g.shares, candidates, unlock, args.pure_argon2, args.generation)
        except Failure:
            differing = differing_copies(candidates)
            if differing:
                sys.stderr.write("warning: the vault text differs between these inputs: %s; all "
                                 "but one may have been altered\n" % shown(" | ".join(
                                     ", ".join(d) for d in differing)))
            raise
    except Failure as e:
        sys.stderr.write("error: %s [%s]\n" % (shown(e.message), e.kind))
        return e.code
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted: nothing was shown\n")
        return EXIT_FAILURE
    for rej in r["rejected"]:
        sys.stderr.write("warning: %s\n" % shown(rej))
    notice = generations_notice(r)
    if notice:
        sys.stderr.write("warning: %s\n" % shown(notice))
    now = int(time.time())
    try:
        (print_json if args.json else print_text)(r, now)
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
