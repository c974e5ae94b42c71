// Starts the browser the page tests run in, chosen by PAGE_BROWSER (chromium, the default;
// firefox; webkit), and hands back a browser whose pages answer the part of puppeteer's API
// that tests/page/*.mjs use.
//
// - chromium: puppeteer-core over the DevTools protocol (PAGE_BROWSER_PATH or --chromium,
//   default /usr/bin/chromium).
// - firefox: puppeteer-core over WebDriver BiDi (PAGE_BROWSER_PATH, default
//   /usr/bin/firefox-esr).
// - webkit: WebKitGTK's WebDriver (WebKitWebDriver, Debian's webkit2gtk-driver) driving its
//   MiniBrowser over plain W3C WebDriver HTTP, under a private Xvfb when there is no display.
//   WebKitGTK is the engine Safari is built on, not Safari: what passes here says nothing about
//   Safari's own file:// rules, its Mac-only media code or its memory limits. Classic WebDriver
//   has no events, so the guards are read from the page after every command: console.error
//   calls, uncaught errors and rejections, CSP violations, and every resource the page fetched
//   (Resource Timing; a cross-origin fetch that fails leaves no entry there, but the page's
//   CSP turns any fetch into a violation first); an error before the guard is installed
//   (right after the load) is seen as the page never becoming ready. A dialog is dismissed by
//   the driver and reported.
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const BROWSERS = ['chromium', 'firefox', 'webkit'];

/** The browser PAGE_BROWSER names (chromium when unset). */
export function browserName() {
  const name = process.env.PAGE_BROWSER || 'chromium';
  if (!BROWSERS.includes(name)) throw new Error(`PAGE_BROWSER=${name}: expected one of ${BROWSERS.join(', ')}`);
  return name;
}

/** Launches PAGE_BROWSER. `modules`: the folder whose node_modules holds puppeteer-core;
 * `chromium`: Chromium's path when PAGE_BROWSER_PATH is unset; `args`: Chromium flags. */
export async function launch({ modules, chromium = '/usr/bin/chromium', args = [] }) {
  const name = browserName();
  const path = process.env.PAGE_BROWSER_PATH;
  if (name === 'webkit') return launchWebKit(path);
  const require = createRequire(join(resolve(modules), 'package.json'));
  const puppeteer = (await import(pathToFileURL(require.resolve('puppeteer-core')).href)).default;
  if (name === 'firefox') {
    return puppeteer.launch({ browser: 'firefox', executablePath: path || '/usr/bin/firefox-esr', headless: true });
  }
  return puppeteer.launch({
    executablePath: path || chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', ...args],
  });
}

// ---------------------------------------------------------------- WebKitGTK --------------

const MINIBROWSER = ['/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser', '/usr/libexec/webkit2gtk-4.1/MiniBrowser'];

async function freePort() {
  const srv = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** A private X server for MiniBrowser (it has no headless mode), or null with a display. */
async function xvfb() {
  if (process.env.DISPLAY) return null;
  const x = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const display = await new Promise((ok, fail) => {
    let got = '';
    x.on('error', (e) => fail(new Error(`Xvfb could not start (apt-get install xvfb): ${e.message}`)));
    x.stdio[3].on('data', (d) => {
      got += d;
      if (got.includes('\n')) ok(`:${got.trim()}`);
    });
    setTimeout(() => fail(new Error('Xvfb did not start in 20 s')), 20000);
  });
  return { display, stop: () => x.kill() };
}

async function launchWebKit(path) {
  const binary = process.env.PAGE_WEBKIT_BROWSER || MINIBROWSER.find((p) => existsSync(p));
  if (!binary) throw new Error('MiniBrowser not found (apt-get install webkit2gtk-driver); set PAGE_WEBKIT_BROWSER');
  const x = await xvfb();
  const port = await freePort();
  const env = { ...process.env, ...(x ? { DISPLAY: x.display } : {}) };
  const driver = spawn(path || 'WebKitWebDriver', [`--port=${port}`], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  let closing = false;
  driver.on('exit', (code, signal) => closing || console.error(`WebKitWebDriver died: ${code ?? signal}`));
  const base = `http://127.0.0.1:${port}`;
  async function wd(method, url, body) {
    const r = await fetch(base + url, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const j = await r.json();
    if (!r.ok) {
      const e = new Error(`WebDriver ${method} ${url}: ${j.value?.error}: ${j.value?.message}`);
      e.wd = j.value;
      throw e;
    }
    return j.value;
  }
  let session = null;
  for (let i = 0; i < 50 && !session; i++) {
    try {
      session = await wd('POST', '/session', {
        capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary, args: ['--automation'] }, unhandledPromptBehavior: 'dismiss and notify' } },
      });
    } catch (e) {
      if (e.wd || i === 49) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const sid = `/session/${session.sessionId}`;
  const version = `${session.capabilities.browserName}/${session.capabilities.browserVersion} (WebKitGTK)`;
  return {
    version: async () => version,
    // One window for every page, one page at a time: a fresh load of the page is a fresh
    // page, and WebKitGTK's driver sometimes dies when windows are opened and closed by the
    // hundred.
    newPage: async () => new WebDriverPage(wd, sid),
    close: async () => {
      closing = true;
      await wd('DELETE', sid).catch(() => {}); // a driver that died has said so already
      driver.kill();
      x?.stop();
    },
  };
}

/** In the page after each command: the guard's findings since the last one. */
const GUARD = `
  if (!window.__bgGuard) {
    const g = (window.__bgGuard = { console: [], errors: [], seen: 0 });
    const ce = console.error;
    console.error = (...a) => { g.console.push(a.map(String).join(' ')); ce.apply(console, a); };
    addEventListener('error', (e) => g.errors.push(e.message));
    addEventListener('unhandledrejection', (e) => g.errors.push(String(e.reason)));
    addEventListener('securitypolicyviolation', (e) => g.console.push('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));
  }
  const g = window.__bgGuard;
  const res = performance.getEntriesByType('resource').map((r) => r.name);
  const out = { console: g.console.splice(0), errors: g.errors.splice(0), requests: res.slice(g.seen) };
  g.seen = res.length;
  return out;`;

class WebDriverPage {
  constructor(wd, sid) {
    Object.assign(this, { wd, sid, handlers: {}, closed: false });
  }

  on(event, fn) {
    (this.handlers[event] ??= []).push(fn);
  }

  emit(event, value) {
    for (const fn of this.handlers[event] ?? []) fn(value);
  }

  async cmd(method, url, body) {
    if (this.closed) return new Promise(() => {}); // a poller of a closed page stops quietly
    try {
      return await this.wd(method, `${this.sid}${url}`, body);
    } catch (e) {
      if (e.wd?.error !== 'unexpected alert open') throw e;
      this.emit('dialog', { message: () => e.wd.data?.text ?? e.wd.message ?? '', dismiss: async () => {} });
      return this.wd(method, `${this.sid}${url}`, body);
    }
  }

  /** Runs `fn(...args)` in the page (awaited) and reports the guard's findings. */
  async evaluate(fn, ...args) {
    const script = `const done = arguments[arguments.length - 1];
      const guard = () => { ${GUARD} };
      Promise.resolve().then(() => (${fn})(...arguments[0]))
        .then((v) => done(JSON.stringify({ v, g: guard() })), (e) => done(JSON.stringify({ e: String(e && e.stack || e), g: guard() })));`;
    const raw = await this.cmd('POST', '/execute/async', { script, args: [args] });
    const { v, e, g } = JSON.parse(raw);
    for (const m of g.console) this.emit('console', { type: () => 'error', text: () => m });
    for (const m of g.errors) this.emit('pageerror', { message: m });
    for (const u of g.requests) this.emit('request', { url: () => u });
    if (e !== undefined) throw new Error(`in the page: ${e}`);
    return v;
  }

  async goto(url) {
    await this.cmd('POST', '/url', { url });
    this.emit('request', { url: () => url });
    await this.evaluate(() => 0); // installs the guard
  }

  async waitForFunction(fn, { timeout = 30000 } = {}, ...args) {
    const end = Date.now() + timeout;
    for (;;) {
      const v = await this.evaluate(fn, ...args);
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${String(fn).slice(0, 80)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  waitForSelector(selector, { timeout = 30000 } = {}) {
    return this.waitForFunction((s) => document.querySelector(s) !== null, { timeout }, selector);
  }

  async $eval(selector, fn, ...args) {
    return this.evaluate(`(s, ...a) => (${fn})(document.querySelector(s), ...a)`, selector, ...args);
  }

  async element(selector) {
    const e = await this.cmd('POST', '/element', { using: 'css selector', value: selector });
    return Object.values(e)[0];
  }

  async $(selector) {
    const id = await this.element(selector);
    return { uploadFile: async (...files) => this.cmd('POST', `/element/${id}/value`, { text: files.map((f) => resolve(f)).join('\n') }) };
  }

  async click(selector) {
    await this.cmd('POST', `/element/${await this.element(selector)}/click`, {});
    await this.evaluate(() => 0);
  }

  async type(selector, text) {
    await this.cmd('POST', `/element/${await this.element(selector)}/value`, { text });
  }

  async close() {
    this.closed = true;
    await this.wd('POST', `${this.sid}/url`, { url: 'about:blank' });
  }
}
