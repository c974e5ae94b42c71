# linecheck.py FILE: type a listing of the recovery kit into FILE, each line
# checked as it is typed: type the line as printed, then its check character
# (the last column). "-" takes back the last line. It goes on where FILE
# ends, and shows each page's hash when the page's last line is in.
import hashlib
import re
import sys

A, PAGE, TTY = "0123456789ABCDEFGHJKMNPQRSTVWXYZ", 60, sys.stdin.isatty()


def check(number, text):  # the sheets' line check, 2 symbols a character
    acc = 0
    for s in [int(d) for d in "%03d" % number] + [
            v for b in text.encode() for v in (b >> 5, b & 31)]:
        acc = (acc ^ s) << 1
        acc ^= 0x25 if acc & 32 else 0
    return A[acc]


def page_hash(lines, first):
    h = hashlib.sha256("".join(x + "\n" for x in lines[first - 1:]).encode())
    print("lines %d-%d: hash %s" % (first, len(lines), h.hexdigest()[:16]))


open(sys.argv[1], "a").close()
lines = open(sys.argv[1]).read().split("\n")[:-1]
while True:
    n = len(lines) + 1
    try:
        row = input("%3d: " % n if TTY else "").rstrip()
    except EOFError:
        break
    m = re.match(r" *%d  (.*)$" % n, row)  # a row copied with its number
    row = m.group(1) if m else row
    if row == "-" and lines:
        lines.pop()
    elif row and check(n, row[:-1].rstrip()) == row[-1] and (TTY or m):
        lines.append(row[:-1].rstrip())
        if n % PAGE == 0:
            page_hash(lines, n - PAGE + 1)
    elif TTY or m:
        print("line %d has a typo: type it again" % n)
    open(sys.argv[1], "w").write("".join(x + "\n" for x in lines))
page_hash(lines, (len(lines) - 1) // PAGE * PAGE + 1)
print("SHA-256:", hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())
