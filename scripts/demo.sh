#!/usr/bin/env bash
# A complete demo ceremony and recovery, non-interactive, in a temporary folder.
# Usage: scripts/demo.sh        (builds the binary first; the debug build, which `cargo test` shares)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --quiet
bg=target/debug/breakglass
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== 1. Ceremony: 2 emergency accounts for contoso, 2-of-3 shares, a FIDO2 PIN and a TOTP seed"
printf 'otpauth://totp/Contoso:breakglass1?secret=JBSWY3DPEHPK3PXP&issuer=Contoso\n' > "$work/totp.txt"
# --allow-online: this demo runs on a networked build machine; a real ceremony runs offline.
# --print-credentials: the demo keeps the credentials in a log to compare them after recovery;
# a real ceremony shows them only on the terminal.
"$bg" ceremony --allow-online --print-credentials --tenant contoso --threshold 2 \
  --share "Safe A (HQ)=Alice" --share "Safe B (DR site)=Bob" --share "CISO home safe=Carol" \
  --fido2 "YubiKey 5 NFC #1234 (Safe A)" --totp-file "$work/totp.txt" \
  --out "$work/sheets" | tee "$work/ceremony.log"
rm "$work/totp.txt"

echo
echo "== 2. Inspect sheet 2 on its own (no other share needed)"
"$bg" inspect "$work/sheets/share-2.txt"

echo
echo "== 3. Recover with sheets 1 and 3"
"$bg" recover "$work/sheets/share-1.txt" "$work/sheets/share-3.txt" | tee "$work/recover.log"

echo
echo "== 4. Check: the recovered passwords are the ones the ceremony showed"
grep 'password:' "$work/ceremony.log" | awk '{print $2}' > "$work/a"
grep '^Password:' "$work/recover.log" | awk '{print $2}' > "$work/b"
if [ -s "$work/a" ] && cmp -s "$work/a" "$work/b"; then
  echo "demo OK: $(wc -l < "$work/a") passwords round-tripped through 2 of 3 sheets"
else
  echo "demo FAILED: recovered passwords differ" >&2
  exit 1
fi

echo
echo "== 5. One sheet alone is refused"
if "$bg" recover "$work/sheets/share-2.txt"; then
  echo "demo FAILED: one share recovered the vault" >&2
  exit 1
fi
echo "demo OK: one sheet alone recovers nothing"
