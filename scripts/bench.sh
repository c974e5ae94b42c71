#!/usr/bin/env bash
# Times the release binary: ceremony and recover without a passphrase, and the Argon2id step at
# the default parameters (ceremony with passphrase minus ceremony without), with peak memory;
# and ceremonies at scale (9 of 62 and 2 of 255 shares: the vault's QR codes are encoded once
# per set, so the cost per sheet should stay flat).
# Usage: scripts/bench.sh [RUNS]     (default 10 runs each; prints medians)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
runs=${1:-10}
exec python3 - "$runs" <<'PY'
import os, statistics, subprocess, sys, tempfile, time
runs = int(sys.argv[1])
bg = os.path.abspath("target/release/breakglass")
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
for k, n in ((9, 62), (2, 255)):
    args = ["ceremony", "--allow-online", "--tenant", "contoso", "-k", str(k), *shares(n)]
    t, rss = timed(lambda i: [bg, *args, "--out", f"{work}/n{n}-{i}"], max(1, runs // 5))
    scale.append((k, n, t, rss))
print(f"ceremony, no passphrase (2 accounts, 2 of 3):  {plain*1000:8.1f} ms   peak RSS {rss_plain/1024:6.1f} MiB")
for k, n, t, rss in scale:
    print(f"ceremony {k} of {n}:{'':<{31 - len(str(k)) - len(str(n))}}{t*1000:8.1f} ms   peak RSS {rss/1024:6.1f} MiB   ({t*1000/n:5.1f} ms per sheet)")
print(f"recover, no passphrase:                        {rec*1000:8.1f} ms")
print(f"ceremony with passphrase (Argon2id 512 MiB, t=3): {withpass*1000:8.1f} ms   peak RSS {rss_pass/1024:6.1f} MiB")
print(f"recover with passphrase:                       {recpass*1000:8.1f} ms")
print(f"Argon2id step at the defaults (difference):    {(withpass-plain)*1000:8.1f} ms")
PY
