#!/usr/bin/env python3
"""recover.py typed at a terminal (a pseudo-terminal here): each line is checked the moment it
is typed, with breakglass's messages, and a slip costs that line only. Standard library only;
POSIX only (the pty module). tests/e2e/kit.rs runs it.

  python3 test_typing.py --recover PATH --vectors DIR
"""
import argparse
import json
import os
import pty
import re
import select
import sys
import time

failures, checks = [], 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL", what)


class Session:
    """recover.py on a pseudo-terminal: rows are typed, its output is read as it comes."""

    def __init__(self, recover, args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp(sys.executable, [sys.executable, "-I", "-S", recover] + args)
        self.seen, self.at = "", 0

    def read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # the child ended
            return False
        if not data:
            return False
        self.seen += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return True

    def expect(self, text, timeout=20):
        """Waits until `text` is printed after what was matched before; returns what came
        between."""
        end = time.time() + timeout
        while text not in self.seen[self.at:]:
            if time.time() > end or not self.read(max(0.0, end - time.time())):
                if text not in self.seen[self.at:]:
                    raise TimeoutError("%r not printed; got:\n%s" % (text, self.seen[self.at:]))
        i = self.seen.index(text, self.at)
        between, self.at = self.seen[self.at:i], i + len(text)
        return between

    def type(self, row):
        os.write(self.fd, row.encode() + b"\n")

    def eof(self):
        os.write(self.fd, b"\x04")

    def finish(self, timeout=60):
        end = time.time() + timeout
        while time.time() < end and self.read(0.5):
            pass
        while self.read(0.2):
            pass
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") \
            else status >> 8


def vector_blocks(path):
    """The (header, rows) blocks of a vector, as printed."""
    blocks = []
    with open(path, encoding="utf-8") as f:
        for row in f.read().splitlines():
            if row.startswith("BG1-"):
                blocks.append((row, []))
            elif row and not row.startswith("#"):
                blocks[-1][1].append(row)
    return blocks


def type_block(s, header, rows, noun):
    s.expect("when done: ")
    s.type(header)
    for i, row in enumerate(rows, 1):
        s.expect("%s line %02d of %d: " % (noun, i, len(rows)))
        s.type(row)


def typo(row):
    """One data character of the first group changed (the check no longer matches)."""
    c = row[4]
    return row[:4] + ("7" if c != "7" else "8") + row[5:]


def opened(s, code, what):
    out = s.seen
    check(code == 0, "%s: exit %d\n%s" % (what, code, s.seen[-1500:]))
    check("breakglass1@contoso.onmicrosoft.com" in out, "%s: not opened\n%s" % (what, out[-800:]))


def test_typo_is_caught_at_once_and_costs_one_line(recover, blocks):
    (h1, s1), (h2, s2), _, (hv, vl) = blocks
    s = Session(recover, [])
    s.expect("Words at any prompt: back")
    s.expect("when done: ")
    s.type(h1)
    s.expect("share line 01 of 5: ")
    s.type(s1[0])
    s.expect("share line 02 of 5: ")
    s.type(typo(s1[1]))
    said = s.expect("share line 02 of 5: ")
    check("share line 2 has a typo: its check character does not match; retype it" in said,
          "a typo is named the moment it is typed: %r" % said)
    s.type(s1[1])
    for i, row in enumerate(s1[2:], 3):
        s.expect("share line %02d of 5: " % i)
        s.type(row)
    check("is complete and checks" in s.expect("when done: "), "share 1 checks")
    s.type(h2)
    # A line typed without its number, and the number typed with a missing check character.
    s.expect("share line 01 of 5: ")
    s.type(s2[0][4:])
    s.expect("share line 02 of 5: ")
    s.type(s2[1][:-1])
    said = s.expect("share line 02 of 5: ")
    check("19 characters" in said and "the check character, alone at the end, counts too"
          in said, "a missing check character is hinted at: %r" % said)
    s.type("quit-not-a-word")  # a wrong row is refused alone, nothing typed is lost
    s.expect("share line 02 of 5: ")
    for i, row in enumerate(s2[1:], 2):
        if i > 2:
            s.expect("share line %02d of 5: " % i)
        s.type(row)
    s.expect("when done: ")
    # The vault, with its line count misread (45 for 47): the header is typed again and every
    # line is kept.
    s.type(hv.replace("-47-", "-45-"))
    for i, row in enumerate(vl[:45], 1):
        s.expect("vault line %02d of 45: " % i)
        s.type(row)
    said = s.expect("when done: ")
    check("the header's line count may be misread" in said, "misread count: %r" % said)
    s.type(hv)
    said = s.expect("vault line 46 of 47: ")
    check("header replaced: 45 lines kept" in said, "lines kept: %r" % said)
    s.type(vl[45])
    s.expect("vault line 47 of 47: ")
    s.type("back")  # drops line 46, which is asked for again
    s.expect("vault line 46 of 47: ")
    s.type(vl[45])
    s.expect("vault line 47 of 47: ")
    s.type("show")
    check("46 of 47 lines kept; still needed: 47" in s.expect("vault line 47 of 47: "), "show")
    s.type(vl[46])
    check("is complete and checks" in s.expect("when done: "), "the vault checks")
    s.type("")
    opened(s, s.finish(), "typed with slips")


def test_line_from_another_sheet_is_named(recover, blocks):
    (h1, s1), (h2, s2), _, (hv, vl) = blocks
    s = Session(recover, ["--json"])
    type_block(s, h1, s1, "share")
    s.expect("when done: ")
    s.type(h2)
    rows = s2[:3] + [s1[3]] + s2[4:]  # line 04 read from the first sheet
    for i, row in enumerate(rows, 1):
        s.expect("share line %02d of 5: " % i)
        s.type(row)
    said = s.expect("when done: ")
    check("line 04 is the same as in a block typed before" in said, "other sheet: %r" % said)
    s.type(s2[3])
    said = s.expect("when done: ")
    check("line 04 replaced" in said and "complete and checks" in said, "replaced: %r" % said)
    s.type(hv)
    for i, row in enumerate(vl, 1):
        s.expect("vault line %02d of %d: " % (i, len(vl)))
        s.type(row)
    s.expect("when done: ")
    s.type("done")
    code = s.finish()
    check(code == 0, "other sheet's line: exit %d %s" % (code, s.seen[-800:]))
    m = re.search(r"\{.*\}", s.seen, re.S)
    check(m is not None and json.loads(m.group(0))["shares_used"] == ["- part 1", "- part 2"]
          if m else False, "two shares used: %s" % s.seen[-600:])


def test_ctrl_d_keeps_the_complete_blocks(recover, blocks):
    (h1, s1), (h2, s2), (h3, s3), (hv, vl) = blocks
    s = Session(recover, [])
    type_block(s, h1, s1, "share")
    type_block(s, h2, s2, "share")
    type_block(s, hv, vl, "vault")
    s.expect("when done: ")
    s.type(h3)
    s.expect("share line 01 of 5: ")
    s.type(s3[0])
    s.expect("share line 02 of 5: ")
    s.eof()
    code = s.finish()
    check("left out: the share block typed 4th lacks lines 02, 03, 04, 05" in s.seen,
          "what is lost is said: %s" % s.seen[-600:])
    check("close this terminal window" in s.seen, "the scrollback is named: " + s.seen[-600:])
    opened(s, code, "Ctrl-D with a half-typed block")


def test_the_files_read_are_said_and_enough_is_announced(recover, blocks):
    """A custodian gave the vault's QR text as a file and typed two share blocks: nothing said
    the file was read, nor when enough was in."""
    import tempfile
    (h1, s1), (h2, s2), _, (hv, vl) = blocks
    with tempfile.TemporaryDirectory() as d:
        vault = os.path.join(d, "vault.txt")
        with open(vault, "w", encoding="utf-8") as f:
            f.write(hv + "\n" + "".join(r + "\n" for r in vl))
        s = Session(recover, [vault, "-"])
        s.expect("Read from the files: the vault (any 2 of its 3 shares open it), from ")
        check("That is enough" not in s.seen, "enough before any share: " + s.seen[-300:])
        type_block(s, h1, s1, "share")
        type_block(s, h2, s2, "share")
        s.expect("That is enough to open the vault: press Enter")
        s.expect("when done: ")
        s.type("")
        opened(s, s.finish(), "a vault file and two typed shares")
        check(s.seen.count("That is enough") == 1, "said once: " + s.seen[-600:])
        # "opened with 2 of 3 shares: - part 1, - part 2" named nothing a custodian knew.
        check("shares: share 1" in s.seen and "(typed)" in s.seen and "- part" not in s.seen,
              "the shares are named by number and as typed: " + s.seen[-900:])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--recover", required=True)
    ap.add_argument("--vectors", required=True)
    a = ap.parse_args()
    recover = os.path.abspath(a.recover)
    blocks = vector_blocks(os.path.join(a.vectors, "ok-2of3-plain.txt"))
    for test in (test_typo_is_caught_at_once_and_costs_one_line,
                 test_line_from_another_sheet_is_named, test_ctrl_d_keeps_the_complete_blocks,
                 test_the_files_read_are_said_and_enough_is_announced):
        try:
            test(recover, blocks)
        except (TimeoutError, OSError) as e:
            check(False, "%s: %s" % (test.__name__, e))
    print("%d checks, %d failed" % (checks, len(failures)))
    sys.exit(1 if failures else 0)
