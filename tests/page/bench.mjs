// Times recover.html in headless Chromium: the files given are opened `--runs` times (a fresh
// page each time, from choosing the files to the credentials shown) and the median printed in
// ms, and in brackets the part from pressing Open (the files already read). Used by
// scripts/bench_page.sh; not a test.
//   node tests/page/bench.mjs --page recover.html --modules DIR [--passphrase P] FILE...
import { createRequire } from 'node:module';
import { resolve, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

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
const require = createRequire(join(resolve(opt.modules), 'package.json'));
const puppeteer = (await import(pathToFileURL(require.resolve('puppeteer-core')).href)).default;
const browser = await puppeteer.launch({ executablePath: opt.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const times = [];
const opening = []; // from pressing Open to the result, the files already read
for (let i = 0; i < Number(opt.runs); i++) {
  const page = await browser.newPage();
  await page.goto(pathToFileURL(resolve(opt.page)).href);
  await page.waitForSelector('body[data-ready]');
  if (opt.passphrase) await page.type('#passphrase', opt.passphrase);
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
  await page.close();
}
await browser.close();
const median = (t) => Math.round(t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
console.log(`${median(times)} (${median(opening)} after Open)`);
