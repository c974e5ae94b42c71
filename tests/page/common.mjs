// What every page test script shares: the check tally and the page's display filter as the
// tests read it, so a change in one reaches run.mjs and cases.mjs alike.

/** Counts checks and keeps the failed ones; `end()` prints the tally and exits. */
export const tally = { checks: 0, failures: [] };

export function check(ok, what) {
  tally.checks += 1;
  if (!ok) {
    tally.failures.push(what);
    console.log('FAIL', what);
  }
}

/** Prints `N checks, M failed` and exits non-zero on any failure. */
export function end() {
  console.log(`${tally.checks} checks, ${tally.failures.length} failed`);
  process.exit(tally.failures.length ? 1 : 0);
}

/** The page's display filter (main.js `shown`), to compare the DOM with the binary's JSON. */
export function shown(s, layout = false) {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0);
    const hidden = cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x061c || cp === 0x200e || cp === 0x200f ||
      (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x2028 || cp === 0x2029;
    out += (layout && (c === '\n' || c === '\t')) || !hidden ? c : `\\u{${cp.toString(16).toUpperCase()}}`;
  }
  return out;
}

/** The binary's `--json` entries as the page shows them: kind, then each field but the
 * clock-dependent TOTP code, through the display filter (a note's text keeps its layout). */
export const jsonEntries = (json) =>
  json.entries.map((e) => {
    const fields = Object.entries(e).filter(([k]) => !['kind', 'code', 'seconds_left'].includes(k));
    return [e.kind, ...fields.map(([k, v]) => shown(v, e.kind === 'note' && k === 'text'))];
  });

/** A new page of `browser` on `pageUrl` with the guards every page test holds it to: any
 * request leaving the page, console error, uncaught error or dialog is a failed check. A data:
 * URL never leaves the computer (Firefox loads its list-bullet font from one). */
export async function guardedPage(browser, pageUrl, what) {
  const page = await browser.newPage();
  page.on('request', (r) => check(r.url() === pageUrl || r.url().startsWith('data:'), `${what}: a request left the page: ${r.url().slice(0, 120)}`));
  page.on('console', (m) => check(m.type() !== 'error', `${what}: console error: ${m.text()}`));
  page.on('pageerror', (e) => check(false, `${what}: uncaught: ${e.message}`));
  page.on('dialog', async (d) => {
    check(false, `${what}: a dialog opened: ${d.message()}`);
    await d.dismiss();
  });
  await page.goto(pageUrl);
  await page.waitForSelector('body[data-ready]', { timeout: 10000 });
  return page;
}
