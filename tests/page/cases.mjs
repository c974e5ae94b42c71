// recover.html held to `breakglass recover --json` case by case, in one browser session: each
// folder of --cases DIR holds its input files and case.json, written by tests/e2e/page.rs
// (the forged-input property's cases and fresh sets of every kind):
//
//   node tests/page/cases.mjs --cases DIR --page recover.html --binary breakglass
//        --modules crates/paper/kit/page [--chromium /usr/bin/chromium]
//
// case.json: `inputs` (file names, in the order given), `what`, and optionally `passphrase`
// (typed before opening), `consent` ("fail": the page must not ask about an Argon2id cost, the
// default; "run" or "skip": the answer when it asks), `choose` (a generation: after the first
// outcome, press the page's button that opens it and compare with `--generation N`), `expect`
// (`exit`, `kind`, `generation`, `also`: what the page must show instead of the binary's
// outcome, for an answer the binary cannot be given without a terminal). Compared: the exit
// code, the inputs left out, and when it opened the generation, the shares used, the other
// generations that opened (and the warning), every input named as not used with its reason,
// and the credentials. Any network request, console error or dialog fails the run.

import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { check, end, guardedPage, jsonEntries, shown } from './common.mjs';

const { values: opt } = parseArgs({
  options: {
    cases: { type: 'string' },
    page: { type: 'string' },
    binary: { type: 'string' },
    modules: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    only: { type: 'string' },
  },
});
const require = createRequire(join(resolve(opt.modules), 'package.json'));
const puppeteer = (await import(pathToFileURL(require.resolve('puppeteer-core')).href)).default;
const pageUrl = pathToFileURL(resolve(opt.page)).href;

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);


/** A reason as both readers word it: how to open the other generation is each one's own. */
const reason = (r) => r.replace(/ \((--generation \d+|the button "open generation \d+ instead") shows the other\)$/, '');

const EXTRA_ARGS = process.env.BG_PAGE_CHROMIUM_ARGS ? process.env.BG_PAGE_CHROMIUM_ARGS.split(' ') : [];
const browser = await puppeteer.launch({
  executablePath: opt.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', ...EXTRA_ARGS],
});

async function freshPage(what) {
  return guardedPage(browser, pageUrl, what);
}

/** Presses `button` and waits for the recovery it starts to end, answering the page's
 * questions: a cost by `consent`, a passphrase prompt never (the passphrase is typed before). */
async function openWith(what, page, button, consent) {
  const before = await page.evaluate(() => Number(document.body.dataset.done ?? 0));
  await page.click(button);
  const asked = [];
  for (;;) {
    const state = await page
      .waitForFunction(
        (n) =>
          Number(document.body.dataset.done ?? 0) > n ? 'done'
          : document.getElementById('consent')?.hidden === false ? 'consent'
          : !document.getElementById('ask').hidden ? 'ask'
          : false,
        { timeout: 300000, polling: 100 },
        before,
      )
      .then((h) => h.jsonValue());
    if (state === 'done') break;
    if (state === 'ask') {
      check(false, `${what}: the page asked for a passphrase`);
      await page.click('#ask-none');
    } else {
      const text = await page.$eval('#consent-text', (e) => e.textContent);
      asked.push(text);
      check(consent !== 'fail', `${what}: the page asked about a cost: ${text}`);
      check(/\d+ MiB/.test(text) && /about \d+ s/.test(text), `${what}: the question names the memory and the time: ${text}`);
      await page.click(consent === 'run' ? '#consent-run' : '#consent-skip');
    }
  }
  return asked;
}

async function readOutcome(page) {
  return page.evaluate(() => {
    const q = (s) => [...document.querySelectorAll(s)];
    const o = document.getElementById('outcome');
    const result = document.getElementById('result');
    return {
      exit: Number(o.dataset.exit),
      kind: o.dataset.kind,
      message: o.textContent,
      skipped: q('#skipped li').map((li) => li.dataset.name),
      rejected: q('#rejected li').map((li) => li.textContent.replace(/^left out: /, '')),
      entries: q('.entry').map((e) => [e.dataset.kind, ...[...e.querySelectorAll('dd[data-name]')].map((d) => d.textContent)]),
      generation: result.hidden ? null : Number(result.dataset.generation ?? NaN),
      used: result.hidden ? null : JSON.parse(document.getElementById('shares-line').dataset.used ?? 'null'),
      also: result.hidden ? null : q('#generation-choice button').map((b) => b.dataset.generation).filter((g) => g !== '').map(Number),
      warning: !document.getElementById('generations').hidden && document.getElementById('generations').textContent,
    };
  });
}

function binary(dir, names, passphrase, generation) {
  const args = ['recover', '--json'];
  if (passphrase) {
    writeFileSync(join(dir, '.passphrase'), passphrase + '\n');
    args.push('--passphrase-file', '.passphrase');
  }
  if (generation !== undefined) args.push('--generation', String(generation));
  const r = spawnSync(opt.binary, [...args, ...names], { cwd: dir, encoding: 'utf8' });
  const skipped = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('warning: skipped '))
    .map((l) => l.slice(17).replace(/ is empty$/, '').split(': ')[0]);
  return { exit: r.status, json: r.status === 0 ? JSON.parse(r.stdout) : null, skipped, stderr: r.stderr };
}


function compare(what, got, want) {
  check(got.exit === want.exit, `${what}: the page ${got.exit} (${got.message}), the binary ${want.exit} (${want.stderr.trim().split('\n').pop()})`);
  check(same(got.skipped, want.skipped), `${what}: left out ${JSON.stringify(got.skipped)}, the binary ${JSON.stringify(want.skipped)}`);
  if (!want.json || got.exit !== 0) return;
  const j = want.json;
  const also = (j.also_opened ?? []).map((o) => o.generation);
  check(got.generation === j.generation, `${what}: generation ${got.generation}, the binary ${j.generation}`);
  check(same(got.used, j.shares_used), `${what}: shares used ${JSON.stringify(got.used)}, the binary ${JSON.stringify(j.shares_used)}`);
  check(same(got.also, also), `${what}: also opened ${JSON.stringify(got.also)}, the binary ${JSON.stringify(also)}`);
  check(Boolean(got.warning) === also.length > 0, `${what}: the generations warning: ${got.warning}`);
  check(
    same(got.rejected.map(reason), j.rejected.map((r) => reason(shown(r)))),
    `${what}: left out\n  page:   ${JSON.stringify(got.rejected)}\n  binary: ${JSON.stringify(j.rejected)}`,
  );
  check(same(got.entries, jsonEntries(j)), `${what}: entries ${JSON.stringify(got.entries)}`);
}

function expected(what, got, want) {
  for (const [k, v] of Object.entries(want)) {
    check(same(got[k], v), `${what}: ${k} ${JSON.stringify(got[k])}, expected ${JSON.stringify(v)} (${got.message})`);
  }
}

let n = 0;
const started = Date.now();
try {
  for (const name of readdirSync(opt.cases).sort()) {
    if (opt.only && !name.includes(opt.only)) continue;
    let c;
    try {
      c = JSON.parse(readFileSync(join(opt.cases, name, 'case.json'), 'utf8'));
    } catch {
      continue; // not a case (the kit's folder)
    }
    const dir = join(opt.cases, name);
    const what = `${name} (${c.what})`;
    const t0 = Date.now();
    const page = await freshPage(what);
    await (await page.$('#files')).uploadFile(...c.inputs.map((f) => join(dir, f)));
    await page.waitForFunction((k) => document.querySelectorAll('#inputs li').length >= k, { timeout: 120000 }, c.inputs.length);
    if (c.passphrase) await page.type('#passphrase', c.passphrase);
    const asked = await openWith(what, page, '#open', c.consent ?? 'fail');
    if (c.consent === 'run' || c.consent === 'skip') check(asked.length === 1, `${what}: asked about a cost ${asked.length} times`);
    const got = await readOutcome(page);
    if (c.expect) expected(what, got, c.expect);
    else compare(what, got, binary(dir, c.inputs, c.passphrase));
    if (c.choose !== undefined) {
      const button = `#generation-choice button[data-generation="${c.choose}"]`;
      const there = (await page.$(button)) !== null;
      check(there, `${what}: no button opens generation ${c.choose}`);
      if (there) {
        await openWith(`${what}, generation ${c.choose}`, page, button, c.consent ?? 'fail');
        const chosen = await readOutcome(page);
        compare(`${what}, generation ${c.choose}`, chosen, binary(dir, c.inputs, c.passphrase, c.choose));
        check(chosen.generation === c.choose, `${what}: generation ${chosen.generation} shown, ${c.choose} asked for`);
      }
    }
    await page.close();
    n += 1;
    console.log(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
} finally {
  await browser.close();
}
console.log(`cases: ${n} compared with the binary in ${((Date.now() - started) / 1000).toFixed(0)} s`);
end();
