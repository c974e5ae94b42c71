// recover.html in a real browser (headless Chromium driven by puppeteer-core; PAGE_BROWSER=firefox
// or webkit for the others, see launch.mjs), held to what `breakglass recover` does with the
// same files. Run by tests/e2e/page.rs and tests/e2e/page_browsers.rs:
//
//   node tests/page/run.mjs --page recover.html --binary breakglass --vectors tests/vectors
//        --modules crates/paper/kit/page [--chromium /usr/bin/chromium] [--only NAME]
//
// Every page load fails the run on any network request (anything but the page itself), any
// console error (a CSP violation is one) and any uncaught exception. Prints one line per
// failure and exits 1 if there was any.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { all } from './vectors.mjs';
import { launch, browserName } from './launch.mjs';
import { check, end, guardedPage, jsonEntries, shown } from './common.mjs';

const { values: opt } = parseArgs({
  options: {
    page: { type: 'string' },
    binary: { type: 'string' },
    vectors: { type: 'string' },
    modules: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    hostile: { type: 'string' },
  },
});

const pageUrl = pathToFileURL(resolve(opt.page)).href;
const tmp = mkdtempSync(join(tmpdir(), 'bg-page-'));


const EXTRA_ARGS = process.env.BG_PAGE_CHROMIUM_ARGS ? process.env.BG_PAGE_CHROMIUM_ARGS.split(' ') : [];
const browser = await launch({ modules: opt.modules, chromium: opt.chromium, args: ['--use-fake-ui-for-media-stream', ...EXTRA_ARGS] });
console.log(`browser: ${await browser.version()}`);

/** A fresh page with the guards installed. */
async function freshPage(what) {
  return guardedPage(browser, pageUrl, what);
}

/** Gives the files (in order), the typed blocks and the passphrase, presses Open, and reads
 * the outcome back from the DOM. `ask`: the answer to the page's passphrase prompt (null:
 * "I do not have it"). */
async function recoverInPage(what, { files = [], typed = [], passphrase = '', ask = null } = {}) {
  const page = await freshPage(what);
  if (files.length) {
    const input = await page.$('#files');
    await input.uploadFile(...files);
    await page.waitForFunction((n) => document.querySelectorAll('#inputs li').length >= n, { timeout: 60000 }, files.length);
  }
  for (const t of typed) {
    await page.$eval('#typed', (el, v) => {
      el.value = v;
      el.dispatchEvent(new Event('input'));
    }, t);
    await page.click('#add-typed');
  }
  if (passphrase) await page.type('#passphrase', passphrase);
  await page.click('#open');
  const done = page.waitForSelector('body[data-done]', { timeout: 120000 });
  const prompt = page.waitForSelector('#ask:not([hidden])', { timeout: 120000 }).then(() => 'asked');
  let asked = false;
  if ((await Promise.race([done.then(() => 'done'), prompt])) === 'asked') {
    asked = true;
    if (ask === null) await page.click('#ask-none');
    else {
      await page.type('#ask-passphrase', ask);
      await page.click('#ask-ok');
    }
    await done;
  }
  const out = await page.evaluate(() => {
    const q = (s) => [...document.querySelectorAll(s)];
    const o = document.getElementById('outcome');
    return {
      exit: Number(o.dataset.exit),
      kind: o.dataset.kind,
      message: o.textContent,
      skipped: q('#skipped li').map((li) => li.dataset.name),
      rejected: q('#rejected li').map((li) => li.textContent),
      entries: q('.entry').map((e) => [e.dataset.kind, ...[...e.querySelectorAll('dd[data-name]')].map((d) => d.textContent)]),
      text: document.body.innerText,
      pwned: window.__pwned,
      online: !document.getElementById('online').hidden,
    };
  });
  out.asked = asked;
  out.page = page;
  return out;
}

function binary(dir, files, passphrase) {
  const args = ['recover', '--json'];
  if (passphrase) {
    writeFileSync(join(dir, '.passphrase'), passphrase + '\n');
    args.push('--passphrase-file', '.passphrase');
  }
  const r = spawnSync(opt.binary, [...args, ...files], { cwd: dir, encoding: 'utf8' });
  const skipped = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('warning: skipped '))
    .map((l) => l.slice(17).replace(/ is empty$/, '').split(': ')[0]);
  return { exit: r.status, json: r.status === 0 ? JSON.parse(r.stdout) : null, skipped, stderr: r.stderr };
}


/** The page and the binary agree on the same files: exit code, inputs left out, and when it
 * opened the entries and the rejected sources. */
async function compare(what, dir, names, passphrase) {
  const want = binary(dir, names, passphrase);
  const got = await recoverInPage(what, { files: names.map((n) => join(dir, n)), passphrase });
  check(got.exit === want.exit, `${what}: the page ${got.exit} (${got.message}), the binary ${want.exit}`);
  check(JSON.stringify(got.skipped) === JSON.stringify(want.skipped), `${what}: left out ${JSON.stringify(got.skipped)}, the binary ${JSON.stringify(want.skipped)}`);
  if (want.json && got.exit === 0) {
    check(JSON.stringify(got.entries) === JSON.stringify(jsonEntries(want.json)), `${what}: entries ${JSON.stringify(got.entries)}`);
    const src = (r) => r.replace(/^left out: /, '').split(': ')[0];
    check(
      JSON.stringify(got.rejected.map(src)) === JSON.stringify(want.json.rejected.map(src)),
      `${what}: rejected ${JSON.stringify(got.rejected)}, the binary ${JSON.stringify(want.json.rejected)}`,
    );
  }
  await got.page.close();
  return got;
}

// ---------------------------------------------------------------- every frozen vector ------
async function vectors() {
  let n = 0;
  for (const v of all(opt.vectors)) {
    if (opt.only && !v.file.includes(opt.only)) continue;
    const dir = join(tmp, 'v-' + v.file);
    mkdirSync(dir);
    for (const f of v.files) writeFileSync(join(dir, f.name), f.bytes);
    const pw = v.meta.passphrase === '(none)' ? '' : v.meta.passphrase;
    await compare(`vector ${v.file}`, dir, v.files.map((f) => f.name), pw);
    n += 1;
  }
  console.log(`vectors: ${n} compared with the binary`);
}

// ---------------------------------------------------------------- fresh ceremonies ----------
const HOSTILE_KEY = '<img src=x onerror="window.__pwned=1">';
const HOSTILE_PLACE = '<script>alert(2)</script>'; // a location cannot hold '='

function ceremony(name, extra) {
  const out = join(tmp, name);
  const r = spawnSync(
    opt.binary,
    ['ceremony', '--allow-online', '--print-credentials', '--tenant', 'contoso', '--threshold', '2',
      '--share', `${HOSTILE_PLACE}=Jane <b>Doe</b>`, '--share', 'Safe B', '--share', 'C', '--out', out, ...extra],
    { encoding: 'utf8' },
  );
  check(r.status === 0, `ceremony ${name}: ${r.stderr}`);
  return out;
}

async function ceremonies() {
  const notes = join(tmp, 'note.txt');
  writeFileSync(notes, 'call <a href="https://example.invalid">us</a>\n\tand <script>window.__pwned=3</script>\n');
  const totp = join(tmp, 'totp.txt');
  writeFileSync(totp, 'otpauth://totp/Contoso:bg1?secret=JBSWY3DPEHPK3PXP&issuer=Contoso\n');
  const plain = ceremony('plain', ['--fido2', HOSTILE_KEY, '--note-file', notes, '--totp-file', totp]);
  for (const pair of [['share-1.txt', 'share-3.txt'], ['share-2.txt', 'share-1.txt']]) {
    const got = await compare(`ceremony from ${pair.join(' + ')}`, plain, pair, '');
    check(got.exit === 0, 'ceremony opened');
    check(got.pwned === undefined, 'a label ran script');
    for (const s of [HOSTILE_KEY, HOSTILE_PLACE, '<a href="https://example.invalid">us</a>']) {
      check(got.text.includes(s), `the page does not show ${s} as text`);
    }
    check(/\b\d{6}\s+\(valid \d+ s more/.test(got.text), 'a TOTP code from the clock');
    check(got.online, 'the online warning (the headless browsers say they are online)');
    check(/UPPER [A-Z]+|lower [a-z]+/.test(got.text), 'the phonetic spelling');
  }
  // One file holding two sheets' text one after the other (§7.1: cut into two inputs).
  writeFileSync(join(plain, 'both.txt'), readFileSync(join(plain, 'share-1.txt'), 'utf8') + readFileSync(join(plain, 'share-2.txt'), 'utf8'));
  await compare('ceremony, two sheets in one file', plain, ['both.txt'], '');

  // Typed: the blocks pasted, one sheet per paste.
  const typed = await recoverInPage('typed blocks', {
    typed: ['share-2.txt', 'share-3.txt'].map((f) => readFileSync(join(plain, f), 'utf8').toLowerCase()),
  });
  check(typed.exit === 0, `typed lower-case blocks: ${typed.message}`);
  await typed.page.close();

  // A typo, checked as it is typed.
  const page = await freshPage('typing');
  const text = readFileSync(join(plain, 'share-1.txt'), 'utf8').split('\n');
  const at = text.findIndex((l) => /^02 /.test(l));
  text[at] = text[at].replace(/^(02\s+)(\S)/, (m, a, c) => a + (c === '7' ? '8' : '7'));
  await page.$eval('#typed', (el, v) => {
    el.value = v;
    el.dispatchEvent(new Event('input'));
  }, text.join('\n'));
  const msg = await page.$eval('#typed-check', (e) => e.textContent);
  check(/share line 2 has a typo/.test(msg), `the typed check: ${msg}`);
  await page.close();

  // Passphrase: typed beforehand, asked for, not given, wrong.
  const pwFile = join(tmp, 'pw.txt');
  writeFileSync(pwFile, 'correct horse\n');
  const pp = ceremony('passphrase', ['--passphrase-file', pwFile, '--kdf-memory-mib', '64', '--kdf-iterations', '1']);
  await compare('passphrase typed beforehand', pp, ['share-1.txt', 'share-2.txt'], 'correct horse');
  await compare('wrong passphrase', pp, ['share-1.txt', 'share-2.txt'], 'wrong horse');
  const asked = await recoverInPage('passphrase asked', { files: ['share-1.txt', 'share-3.txt'].map((f) => join(pp, f)), ask: 'correct horse' });
  check(asked.asked && asked.exit === 0, `the page asks for the passphrase: ${asked.message}`);
  await asked.page.close();
  const none = await recoverInPage('passphrase not given', { files: ['share-1.txt', 'share-3.txt'].map((f) => join(pp, f)), ask: null });
  check(none.asked && none.kind === 'Recover/PassphraseRequired', `no passphrase: ${none.kind}`);
  await none.page.close();

  // Scans: page 1 of each sheet rendered at 150 and 300 dpi (pdftoppm), PNG and JPEG.
  if (spawnSync('pdftoppm', ['-v']).error) {
    check(process.env.CI !== 'true', 'pdftoppm is missing (poppler-utils)');
    console.log('SKIPPED scans: pdftoppm not found');
    return;
  }
  const pdfs = readdirSync(plain).filter((f) => f.endsWith('.pdf')).sort();
  for (const [dpi, fmt] of [[150, 'png'], [300, 'jpeg']]) {
    const names = [];
    for (const pdf of pdfs.slice(0, 2)) {
      const prefix = join(plain, `${basename(pdf, '.pdf')}-${dpi}`);
      const r = spawnSync('pdftoppm', ['-r', String(dpi), `-${fmt}`, '-f', '1', '-l', '1', '-singlefile', join(plain, pdf), prefix]);
      check(r.status === 0, `pdftoppm ${pdf}`);
      names.push(basename(prefix) + (fmt === 'png' ? '.png' : '.jpg'));
    }
    const got = await recoverInPage(`scans at ${dpi} dpi (${fmt})`, { files: names.map((n) => join(plain, n)) });
    check(got.exit === 0, `scans at ${dpi} dpi: ${got.message}`);
    check(got.pwned === undefined, 'a label in a scan ran script');
    await got.page.close();
  }
}

// ---------------------------------------------------------------- the camera --------------
/** A Y4M video for Chromium's fake camera: the code area of page 1 of each sheet, one frame
 * each (grey, 1280x720), looped by Chromium. */
function y4m(pngs, out) {
  const w = 1280;
  const h = 720;
  const frames = pngs.map((png) => {
    const r = spawnSync('convert', [png, '-crop', '1240x900+0+440', '+repage', '-resize', `${w}x${h}`,
      '-background', 'white', '-gravity', 'center', '-extent', `${w}x${h}`, '-colorspace', 'Gray', '-depth', '8', 'gray:-'],
    { maxBuffer: 64 << 20 });
    check(r.status === 0 && r.stdout.length === w * h, `convert ${png}: ${r.stderr}`);
    return r.stdout;
  });
  const chroma = Buffer.alloc((w / 2) * (h / 2) * 2, 128);
  const parts = [Buffer.from(`YUV4MPEG2 W${w} H${h} F1:1 Ip A1:1 C420jpeg\n`)];
  for (const f of frames) parts.push(Buffer.from('FRAME\n'), f, chroma);
  writeFileSync(out, Buffer.concat(parts));
}

async function camera() {
  if (browserName() !== 'chromium') {
    console.log(`SKIPPED camera: only Chromium takes a video file as a fake camera`);
    return;
  }
  if (spawnSync('convert', ['-version']).error || spawnSync('pdftoppm', ['-v']).error) {
    check(process.env.CI !== 'true', 'convert (imagemagick) or pdftoppm is missing');
    console.log('SKIPPED camera: convert or pdftoppm not found');
    return;
  }
  const dir = ceremony('camera', []);
  const pngs = [];
  for (const n of [1, 3]) {
    const pdf = readdirSync(dir).find((f) => f.startsWith(`share-${n}-`) && f.endsWith('.pdf'));
    const prefix = join(dir, `cam-${n}`);
    spawnSync('pdftoppm', ['-r', '150', '-png', '-f', '1', '-l', '1', '-singlefile', join(dir, pdf), prefix]);
    pngs.push(prefix + '.png');
  }
  const video = join(dir, 'sheets.y4m');
  y4m(pngs, video);
  const cam = await launch({
    modules: opt.modules,
    chromium: opt.chromium,
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
  });
  try {
    const page = await cam.newPage();
    page.on('request', (r) => check(r.url() === pageUrl, `camera: a request left the page: ${r.url().slice(0, 120)}`));
    page.on('console', (m) => check(m.type() !== 'error', `camera: console error: ${m.text()}`));
    page.on('pageerror', (e) => check(false, `camera: uncaught: ${e.message}`));
    await page.goto(pageUrl);
    await page.waitForSelector('body[data-ready]');
    await page.click('#camera');
    const read = await page
      .waitForFunction(() => /camera read every code/.test(document.getElementById('notes').textContent), { timeout: 60000 })
      .then(() => true, () => false);
    const status = await page.$eval('#camera-status', (e) => e.textContent);
    check(read, `the camera did not read the codes (status: ${status})`);
    const stopped = await page.evaluate(() => document.getElementById('video').srcObject === null && document.getElementById('camera-box').hidden);
    check(stopped, 'the camera stream was not stopped once the codes were read');
    await page.click('#open');
    await page.waitForSelector('body[data-done]', { timeout: 60000 });
    const exit = await page.$eval('#outcome', (o) => o.dataset.exit + ' ' + o.textContent);
    check(exit.startsWith('0 '), `opened from the camera: ${exit}`);
    console.log(`camera: ${read ? 'read' : 'not read'}, ${exit.slice(0, 40)}`);
  } finally {
    await cam.close();
  }
}

// ---------------------------------------------------------------- TOTP ---------------------
/** totp-codes.tsv (FORMAT.md §12.8) through the page's own TOTP module. */
async function totpVectors() {
  const { totpNow } = await import(pathToFileURL(join(resolve(opt.modules), 'src/totp.js')).href);
  let rows = 0;
  for (const row of readFileSync(join(opt.vectors, 'totp-codes.tsv'), 'utf8').split('\n')) {
    if (!row || row.startsWith('#')) continue;
    const [uri, t, want] = row.split('\t');
    const got = totpNow(uri, Number(t));
    check((got ? got[0] : '-') === want, `TOTP ${uri} at ${t}: ${got}, want ${want}`);
    rows += 1;
  }
  check(rows >= 10, `only ${rows} TOTP vectors`);
}

// ---------------------------------------------------------------- hostile contents ---------
/** Sheets whose authenticated contents hold terminal controls, bidi overrides and separators
 * (made by tests/e2e/terminal_injection.rs's seal-API vault, --hostile DIR): the page shows
 * exactly what the binary's display filter shows, and no such character reaches the page. */
async function hostile() {
  const names = readdirSync(opt.hostile).filter((f) => /^share-[13]\.txt$/.test(f)).sort();
  const got = await compare('hostile contents', opt.hostile, names, '');
  check(got.exit === 0, `hostile contents opened: ${got.message}`);
  const raw = [...got.text].filter((c) => {
    const cp = c.codePointAt(0);
    return (cp < 0x20 && c !== '\n' && c !== '\t') || (cp >= 0x7f && cp <= 0x9f) || cp === 0x061c || cp === 0x200e ||
      cp === 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x2028 || cp === 0x2029;
  });
  check(raw.length === 0, `raw control or bidi characters on the page: ${JSON.stringify(raw)}`);
  check(got.text.includes('\\u{202E}') && got.text.includes('\\u{1B}'), 'the escapes are shown');
}

try {
  await totpVectors();
  if (opt.hostile) await hostile();
  if (opt.only !== 'ceremonies' && opt.only !== 'camera') await vectors();
  if (!opt.only || opt.only === 'ceremonies') await ceremonies();
  if (!opt.only || opt.only === 'camera') await camera();
} finally {
  await browser.close();
  if (!opt.keep) rmSync(tmp, { recursive: true, force: true });
}
end();
