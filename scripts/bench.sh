#!/usr/bin/env bash
# Times the release binary: ceremony and recover without a passphrase, and the Argon2id step at
# the default parameters (ceremony with passphrase minus ceremony without), with peak memory;
# and ceremonies at scale (2 of 3, 9 of 62, 2 of 255 and 255 of 255 shares), with the cost per
# sheet and the targets a ceremony at scale must meet:
#   - 2 of 255 in at most 12 s;
#   - peak memory of a 255-share ceremony under 30 MiB (sheets are written as they are made);
#   - the cost per sheet flat in n: at 255 shares at most 1.5x what it is at 62 (the vault's
#     QR codes are drawn and compressed once per set, so a sheet costs its own share code and
#     text; the vault's typed lines still grow with n).
# A missed target is printed as MISSED and the script exits with status 1.
# Usage: scripts/bench.sh [RUNS]     (default 10 runs each; prints medians and the load)
set -euo pipefail
cd "$(dirname "$0")/.."
# BREAKGLASS=path/to/breakglass times that binary instead (e.g. an older build, to compare).
if [ -z "${BREAKGLASS:-}" ]; then
  cargo build --release --locked --quiet
fi
runs=${1:-10}
exec python3 - "$runs" <<'PY'
import os, statistics, subprocess, sys, tempfile, time
runs = int(sys.argv[1])
load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
bg = os.path.abspath(os.environ.get("BREAKGLASS") or os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release/breakglass"))
work = tempfile.mkdtemp()
passfile = os.path.join(work, "pass")
open(passfile, "w").write("correct horse battery staple\n")

def timed(args, n):
    """Median wall time and the peak RSS of one child (wait4 reports that child alone)."""
    times, peak = [], 0
    for i in range(n):
        t = time.perf_counter()
        child = subprocess.Popen(args(i), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        times.append(time.perf_counter() - t)
        err = child.stderr.read()
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"failed: {err.decode()}")
        peak = max(peak, usage.ru_maxrss)
    return statistics.median(times), peak

base = ["ceremony", "--allow-online", "--print-credentials", "--tenant", "contoso", "-k", "2", "--share", "A", "--share", "B", "--share", "C"]
plain, rss_plain = timed(lambda i: [bg, *base, "--out", f"{work}/p{i}"], runs)
rec, rss_rec = timed(lambda i: [bg, "recover", f"{work}/p0/share-1.txt", f"{work}/p0/share-3.txt"], runs)
withpass, rss_pass = timed(lambda i: [bg, *base, "--out", f"{work}/k{i}", "--passphrase-file", passfile], max(3, runs // 3))
recpass, _ = timed(lambda i: [bg, "recover", "--passphrase-file", passfile, f"{work}/k0/share-1.txt", f"{work}/k0/share-2.txt"], max(3, runs // 3))
def shares(n):
    return [a for i in range(1, n + 1) for a in ("--share", f"Safe {i}")]

scale = []
for k, n in ((2, 3), (9, 62), (2, 255), (255, 255)):
    args = ["ceremony", "--allow-online", "--print-credentials", "--tenant", "contoso", "-k", str(k), *shares(n)]
    t, rss = timed(lambda i: [bg, *args, "--out", f"{work}/n{k}-{n}-{i}"], max(1, runs // 5))
    scale.append((k, n, t, rss))
print(f"load average before: {load_before}, after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} on {os.cpu_count()} cores")
print(f"ceremony, no passphrase (2 accounts, 2 of 3):  {plain*1000:8.1f} ms   peak RSS {rss_plain/1024:6.1f} MiB")
for k, n, t, rss in scale:
    print(f"ceremony {k} of {n}:{'':<{31 - len(str(k)) - len(str(n))}}{t*1000:8.1f} ms   peak RSS {rss/1024:6.1f} MiB   ({t*1000/n:5.1f} ms per sheet)")
print(f"recover, no passphrase:                        {rec*1000:8.1f} ms")
print(f"ceremony with passphrase (Argon2id 512 MiB, t=3): {withpass*1000:8.1f} ms   peak RSS {rss_pass/1024:6.1f} MiB")
print(f"recover with passphrase:                       {recpass*1000:8.1f} ms")
print(f"Argon2id step at the defaults (difference):    {(withpass-plain)*1000:8.1f} ms")

at = {(k, n): (t, rss) for k, n, t, rss in scale}
per_sheet = lambda k, n: at[(k, n)][0] / n
targets = [
    ("2 of 255 in at most 12 s", at[(2, 255)][0] <= 12.0, f"{at[(2, 255)][0]:.2f} s"),
    ("peak RSS at 255 shares under 30 MiB", max(at[(2, 255)][1], at[(255, 255)][1]) / 1024 < 30,
     f"{max(at[(2, 255)][1], at[(255, 255)][1]) / 1024:.1f} MiB"),
    ("cost per sheet at 255 at most 1.5x that at 62", per_sheet(2, 255) <= 1.5 * per_sheet(9, 62),
     f"{per_sheet(2, 255)*1000:.1f} ms against {per_sheet(9, 62)*1000:.1f} ms"),
]
missed = False
print()
for what, ok, got in targets:
    print(f"{'met   ' if ok else 'MISSED'}  {what}: {got}")
    missed |= not ok
sys.exit(1 if missed else 0)
PY
