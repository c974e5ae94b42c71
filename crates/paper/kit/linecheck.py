# linecheck.py FILE: type a kit listing into FILE, each line as printed and
# its check character; "-" takes one back. Shows page hashes; resumes FILE.
import hashlib, os, re, sys
A, PAGE, TTY = "0123456789ABCDEFGHJKMNPQRSTVWXYZ", 60, sys.stdin.isatty()
def check(number, text):  # the sheets' line check, 2 symbols a character
    acc = 0
    for s in [int(d) for d in "%03d" % number] + [
            v for b in text.encode() for v in divmod(b, 32)]:
        acc = (acc ^ s) << 1
        acc ^= 0x25 if acc & 32 else 0
    return A[acc]
def page_hash(lines, first):
    h = hashlib.sha256("".join(x + "\n" for x in lines[first - 1:]).encode())
    print("lines %d-%d: hash %s" % (first, len(lines), h.hexdigest()[:16]))
f = sys.argv[1]
lines = open(f).read().split("\n")[:-1] if os.path.exists(f) else []
while True:
    n = len(lines) + 1
    try:
        row = input("%3d: " % n if TTY else "").rstrip()
    except EOFError:
        break
    row, m = re.subn(r"^ *%d  " % n, "", row)  # a row copied with its number
    if row == "-" and lines:
        lines.pop()
    elif row and check(n, row[:-1].rstrip()) == row[-1] and (TTY or m):
        lines.append(row[:-1].rstrip())
        if n % PAGE == 0:
            page_hash(lines, n - PAGE + 1)
    elif TTY or m:
        print("line %d has a typo: type it again" % n)
    open(f, "w").write("".join(x + "\n" for x in lines))
page_hash(lines, (len(lines) - 1) // PAGE * PAGE + 1)
print("SHA-256:", hashlib.sha256(open(f, "rb").read()).hexdigest())
