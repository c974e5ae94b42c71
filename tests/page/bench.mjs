// Times recover.html in a headless browser (PAGE_BROWSER, see launch.mjs; Chromium by default):
// the files given are opened `--runs` times (a fresh page each time) and medians printed in ms:
// from the driver's side, choosing the files to the credentials shown, and the part from
// pressing Open; then the page's own time, measured inside it with performance.now(): from the
// files' change event to the inputs listed, plus from the Open click to the result in the DOM
// (what a person waits for, without the driver's round trips). Used by scripts/bench_page.sh;
// not a test.
//   node tests/page/bench.mjs --page recover.html --modules DIR [--passphrase P] FILE...
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { launch } from './launch.mjs';

const { values: opt, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    page: { type: 'string' },
    modules: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    passphrase: { type: 'string', default: '' },
    runs: { type: 'string', default: '3' },
  },
});
const browser = await launch({ modules: opt.modules, chromium: opt.chromium });
const times = [];
const opening = []; // from pressing Open to the result, the files already read
const inPage = { total: [], read: [], open: [] }; // measured by the page's clock
for (let i = 0; i < Number(opt.runs); i++) {
  const page = await browser.newPage();
  await page.goto(pathToFileURL(resolve(opt.page)).href);
  await page.waitForSelector('body[data-ready]');
  if (opt.passphrase) await page.type('#passphrase', opt.passphrase);
  await page.evaluate((n) => {
    const t = (window.__bench = {});
    const $ = (id) => document.getElementById(id);
    document.addEventListener('change', () => (t.change ??= performance.now()), true);
    document.addEventListener('click', (e) => e.target === $('open') && (t.open ??= performance.now()), true);
    new MutationObserver(() => $('inputs').children.length >= n && (t.listed ??= performance.now())).observe($('inputs'), { childList: true });
    new MutationObserver(() => document.body.dataset.done && (t.done ??= performance.now())).observe(document.body, { attributes: true });
  }, files.length);
  const t0 = performance.now();
  await (await page.$('#files')).uploadFile(...files.map((f) => resolve(f)));
  await page.waitForFunction((n) => document.querySelectorAll('#inputs li').length >= n, { timeout: 300000 }, files.length);
  const t1 = performance.now();
  await page.click('#open');
  await page.waitForSelector('body[data-done]', { timeout: 300000 });
  const ms = performance.now() - t0;
  opening.push(performance.now() - t1);
  const exit = await page.$eval('#outcome', (o) => o.dataset.exit);
  if (exit !== '0') throw new Error(`did not open: ${await page.$eval('#outcome', (o) => o.textContent)}`);
  times.push(ms);
  const t = await page.evaluate(() => window.__bench);
  inPage.read.push(t.listed - t.change);
  inPage.open.push(t.done - t.open);
  inPage.total.push(t.listed - t.change + t.done - t.open);
  await page.close();
}
await browser.close();
const median = (t) => Math.round(t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
console.log(`${median(times)} (${median(opening)} after Open) in page ${median(inPage.total)} (${median(inPage.read)} + ${median(inPage.open)})`);
