// The guards run.mjs relies on, seen to fire in PAGE_BROWSER (see launch.mjs): a page that
// fetches from a local server, calls console.error and throws must be reported as a request,
// a console error and an uncaught error. Exits 1, naming what was missed, otherwise 0. Run by
// tests/e2e/page_browsers.rs.
//   node tests/page/guards.mjs --modules crates/paper/kit/page
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { launch } from './launch.mjs';

const { values: opt } = parseArgs({ options: { modules: { type: 'string' }, chromium: { type: 'string', default: '/usr/bin/chromium' } } });
const server = createServer((_, res) => res.end('x')).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const dir = mkdtempSync(join(tmpdir(), 'bg-guards-'));
const file = join(dir, 'bad.html');
writeFileSync(
  file,
  `<!doctype html><body><script>document.body.dataset.ready = 1;
  setTimeout(() => { new Image().src = 'http://127.0.0.1:${server.address().port}/x.png'; console.error('boom'); throw new Error('uncaught'); }, 500);</script>`,
);
const seen = { request: false, console: false, pageerror: false };
const browser = await launch({ modules: opt.modules, chromium: opt.chromium });
try {
  const page = await browser.newPage();
  page.on('request', (r) => (seen.request ||= r.url().startsWith('http://127.0.0.1')));
  page.on('console', (m) => (seen.console ||= m.type() === 'error' && m.text().includes('boom')));
  page.on('pageerror', () => (seen.pageerror = true));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-ready]');
  await page.waitForFunction(() => performance.getEntriesByType('resource').length > 0, { timeout: 20000 });
  await new Promise((r) => setTimeout(r, 500));
  await page.evaluate(() => 0); // the WebDriver guard reports on each command
  await page.close();
} finally {
  await browser.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
const missed = Object.entries(seen).filter(([, v]) => !v).map(([k]) => k);
console.log(missed.length ? `MISSED: ${missed.join(', ')}` : 'every guard fired');
process.exit(missed.length ? 1 : 0);
