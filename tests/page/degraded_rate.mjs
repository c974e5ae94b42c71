// The degraded scans of tests/e2e/degradation.rs (kept with BREAKGLASS_DEGRADATION_KEEP=DIR)
// read by recover.html in a headless browser (PAGE_BROWSER, see launch.mjs) and by the binary:
// for each degradation, the breakglass codes the page's decoder finds on the two pages (zxing-wasm
// under Node with the options of src/qr.js, as decode_rate.mjs), and whether the page and
// `breakglass recover` open the vault from the two images. Prints a Markdown table and the
// totals. Used by scripts/bench_page.sh; not a test.
//   node tests/page/degraded_rate.mjs --page recover.html --modules DIR --binary BIN DIR
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { launch } from './launch.mjs';

const { values: opt, positionals: [dir] } = parseArgs({
  allowPositionals: true,
  options: { page: { type: 'string' }, modules: { type: 'string' }, binary: { type: 'string' }, chromium: { type: 'string', default: '/usr/bin/chromium' } },
});
const require = createRequire(join(resolve(opt.modules), 'package.json'));
const zxing = await import(pathToFileURL(require.resolve('zxing-wasm/reader')).href);
const wasm = readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm'));
await zxing.prepareZXingModule({ overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.length) }, fireImmediately: true });
const options = { formats: ['QRCode'], tryHarder: true, tryRotate: true, tryInvert: false, tryDownscale: true, maxNumberOfSymbols: 64, textMode: 'Plain' };

const browser = await launch({ modules: opt.modules, chromium: opt.chromium });
const pageUrl = pathToFileURL(resolve(opt.page)).href;
const files = readdirSync(dir);
const total = { present: 0, codes: 0, page: 0, binary: 0, jobs: 0, pageMs: 0, binaryMs: 0 };
console.log('| degradation | dpi | codes read by the page decoder | page opens | binary opens | page ms | binary ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const row of readFileSync(join(dir, 'jobs.tsv'), 'utf8').trim().split('\n')) {
  const [job, label, dpi, n1, n3] = row.split('\t');
  const images = [1, 3].map((s) => join(dir, files.find((f) => f.startsWith(`${job}-sheet${s}.`))));
  let codes = 0;
  for (const img of images) {
    const got = await zxing.readBarcodes(new Uint8Array(readFileSync(img)), options);
    codes += new Set(got.filter((r) => r.isValid && r.text.startsWith('BG1-')).map((r) => r.text)).size;
  }
  const present = Number(n1) + Number(n3);

  const page = await browser.newPage();
  await page.goto(pageUrl);
  await page.waitForSelector('body[data-ready]', { timeout: 10000 });
  const t0 = performance.now();
  await (await page.$('#files')).uploadFile(...images);
  await page.waitForFunction(() => document.querySelectorAll('#inputs li').length >= 2, { timeout: 300000 });
  await page.click('#open');
  await page.waitForSelector('body[data-done]', { timeout: 300000 });
  const pageMs = performance.now() - t0;
  const pageOk = (await page.$eval('#outcome', (o) => o.dataset.exit)) === '0';
  await page.close();

  const t1 = performance.now();
  const bin = spawnSync(opt.binary, ['recover', '--json', ...images], { encoding: 'utf8' });
  const binaryMs = performance.now() - t1;
  const binaryOk = bin.status === 0;

  Object.assign(total, {
    present: total.present + present,
    codes: total.codes + codes,
    page: total.page + pageOk,
    binary: total.binary + binaryOk,
    jobs: total.jobs + 1,
    pageMs: total.pageMs + pageMs,
    binaryMs: total.binaryMs + binaryMs,
  });
  const yes = (b) => (b ? 'ok' : 'FAILED');
  console.log(`| ${label} | ${dpi} | ${codes}/${present} | ${yes(pageOk)} | ${yes(binaryOk)} | ${Math.round(pageMs)} | ${Math.round(binaryMs)} |`);
}
await browser.close();
console.log(
  `codes read by the page decoder: ${total.codes}/${total.present}; opened: page ${total.page}/${total.jobs}, binary ${total.binary}/${total.jobs}; ` +
    `time: page ${Math.round(total.pageMs)} ms, binary ${Math.round(total.binaryMs)} ms`,
);
