// recover.html: the page. Every string that comes from a sheet reaches the DOM through
// textContent after `shown` (never innerHTML); nothing is stored; the camera stream is stopped
// as soon as the codes needed were read.

import { argon2id } from 'hash-wasm';
import { Failure, textOf, parseBlocks, blockHeader, normalize, isBidi, isControl, Header, displayVaultId, decodeBlocks } from './format.js';
import { Gathered, recover, generationsNotice, isoDate, costQuestion } from './recover.js';
import { totpNow, groupsOfFour, spelledGroups } from './totp.js';
import { decodeImageData, prepare as prepareDecoder, MAX_SIDE } from './qr.js';

const $ = (id) => document.getElementById(id);
const MAX_INPUT_BYTES = 64 << 20; // as breakglass: no sheet, scan or share file is larger

/** As breakglass's display filter: control, bidirectional and separator characters are shown
 * as escapes (\u{1B}); layout keeps a note's newlines and tabs. */
export function shown(s, layout = false) {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0);
    if ((layout && (c === '\n' || c === '\t')) || !(isControl(cp) || isBidi(cp) || cp === 0x2028 || cp === 0x2029)) out += c;
    else out += `\\u{${cp.toString(16).toUpperCase()}}`;
  }
  return out;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

// ---------------------------------------------------------------- the inputs ----------------
// Each item: {name, text} for text (cut into inputs by §7.1 when recovering), or
// {name, codes} for one image page or camera sheet (its QR payloads).
const inputs = [];
let typedCount = 0;

function describe(text) {
  // What a text holds, for the list: its blocks, or the error that ends its reading.
  try {
    const blocks = parseBlocks(text);
    return blocks
      .map((b) => {
        const h = b.header;
        const missing = b.missing();
        let what = `${h.noun} block (${h.lineCount} lines)`;
        if (missing.length) {
          try {
            b.decode();
          } catch (e) {
            what += `: ${e.message}`;
          }
        } else {
          try {
            const { shares, vaults } = decodeBlocks([b]);
            if (shares.length) {
              const s = shares[0];
              what = `share ${s.index} (${s.threshold} of ${s.count} needed) of vault ${displayVaultId(s.vaultId).slice(0, 9)}, generation ${s.generation} ✓`;
            } else {
              const v = vaults[0];
              what = `vault copy ${displayVaultId(v.vaultId).slice(0, 9)} of ${v.tenant}, generation ${v.generation}, ${v.threshold} of ${v.count} shares needed${v.kdf ? ', with a passphrase' : ''} ✓`;
            }
          } catch (e) {
            what += `: ${e.message}`;
          }
        }
        return what;
      })
      .join('; ');
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    return e.message;
  }
}

function renderInputs() {
  const list = $('inputs');
  clear(list);
  inputs.forEach((item, i) => {
    const li = el('li');
    const text = item.text ?? item.codes.join('\n');
    li.append(el('strong', shown(item.name)), document.createTextNode(': ' + shown(item.codes && !item.codes.length ? 'no QR code found on it' : describe(text))));
    const rm = el('button', 'remove');
    rm.type = 'button';
    rm.addEventListener('click', () => {
      inputs.splice(i, 1);
      renderInputs();
    });
    li.append(' ', rm);
    list.append(li);
  });
  renderNeeds();
}

/** What is there and what is still needed, from everything given so far. */
function renderNeeds() {
  const g = gatherAll();
  const need = $('needs');
  if (!g.shares.length && !g.vaults.length && !g.incomplete.length) {
    need.textContent = '';
    return;
  }
  const parts = [];
  const vault = g.vaults[0]?.[1];
  const k = vault ? vault.threshold : g.shares[0]?.[1].threshold;
  const indices = [...new Set(g.shares.map(([, s]) => s.index))].sort((a, b) => a - b);
  parts.push(`shares: ${indices.length ? indices.map((i) => `share ${i} ✓`).join(', ') : 'none yet'}${k ? ` (${k} needed)` : ''}`);
  if (vault) parts.push('vault copy ✓');
  else if (g.incomplete.length) {
    const b = g.incomplete[0][1];
    const m = b.missing();
    parts.push(`vault copy: ${m.length} of ${b.header.lineCount} lines still missing (a QR part or typed lines)`);
  } else parts.push('vault copy missing (every sheet carries one)');
  need.textContent = parts.join('; ');
}

function gatherAll() {
  const g = new Gathered();
  for (const item of inputs) {
    if (item.text !== undefined) g.addText(item.name, item.text);
    else addCodes(g, item.name, item.codes);
  }
  return g.finish();
}

/** §7.1 "QR codes read on one page": one input when they hold at most one share header;
 * otherwise grouped by first word, in the order each group's first code was read. */
function addCodes(g, name, codes) {
  if (!codes.length) {
    g.problem(name, new Failure('Text/NoHeader', 'no QR code was read on it'));
    return;
  }
  const first = (c) => c.trim().split(/\s+/)[0] ?? '';
  const shareHeaders = new Set(codes.map(first).filter((w) => blockHeader(w)?.kind === 'S').map((w) => normalize(w)));
  if (shareHeaders.size <= 1) {
    g.addInput(name, codes.join('\n'));
    return;
  }
  const groups = new Map();
  for (const c of codes) {
    const key = normalize(first(c));
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  [...groups.values()].forEach((group, i) => g.addInput(`${name} part ${i + 1}`, group.join('\n')));
}

async function readFile(file) {
  if (file.size > MAX_INPUT_BYTES) throw new Error(`${file.name} is larger than 64 MiB: that is not a sheet, scan or share file`);
  const data = new Uint8Array(await file.arrayBuffer());
  const magic = (...b) => b.every((x, i) => data[i] === x);
  if (magic(0x89, 0x50, 0x4e, 0x47) || magic(0xff, 0xd8, 0xff) || magic(0x47, 0x49, 0x46) || magic(0x52, 0x49, 0x46, 0x46) || magic(0x42, 0x4d)) {
    const codes = await decodeImage(new Blob([data], { type: file.type || 'image/png' }));
    inputs.push({ name: file.name, codes });
  } else if (magic(0x25, 0x50, 0x44, 0x46)) {
    throw new Error(`${file.name} is a PDF: this page reads images and text only. Open the PDF, take a screenshot or export page 1 as an image, or use breakglass`);
  } else {
    inputs.push({ name: file.name, text: textOf(data) });
  }
}

async function decodeImage(blob) {
  const bitmap = await createImageBitmap(blob);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const h = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  const codes = await decodeImageData(ctx.getImageData(0, 0, w, h));
  canvas.width = canvas.height = 0;
  return codes;
}

async function addFiles(files) {
  const status = $('progress');
  for (const f of files) {
    status.textContent = `reading ${shown(f.name)}…`;
    try {
      await readFile(f);
    } catch (e) {
      inputs.push({ name: f.name, text: '', error: true });
      showNote(`${f.name}: ${e.message}`);
    }
  }
  status.textContent = '';
  renderInputs();
}

function showNote(text) {
  $('notes').append(el('li', shown(text)));
}

// ---------------------------------------------------------------- typed text --------------
/** The typed text checked row by row with §6.5's messages, as the person types. */
function checkTyped() {
  const text = $('typed').value;
  const out = $('typed-check');
  out.className = '';
  if (!text.trim()) {
    out.textContent = '';
    return;
  }
  let header = null;
  const problems = [];
  for (const raw of text.split('\n')) {
    const row = raw.trim();
    if (!row || row.startsWith('#')) continue;
    const words = row.split(/\s+/);
    try {
      if (normalize(words[0]).startsWith('BG')) {
        header = Header.parse(words.length > 1 && blockHeader(words[0]) ? words[0] : row);
        if (words.length > 1 && blockHeader(words[0])) for (const w of words.slice(1)) header.parseLine(w);
      } else if (header === null) {
        problems.push('a line comes before any BG1 header line');
      } else {
        header.parseLine(row);
      }
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      problems.push(e.message);
    }
  }
  if (problems.length) {
    out.className = 'error';
    out.textContent = problems.join('; ');
  } else {
    out.className = 'ok';
    out.textContent = `every line checks: ${describe(text)}`;
  }
}

// ---------------------------------------------------------------- camera ------------------
let stream = null;
let cameraCodes = [];

function stopCamera() {
  if (stream) for (const t of stream.getTracks()) t.stop();
  stream = null;
  $('video').srcObject = null;
  $('camera-box').hidden = true;
  $('camera-stop').hidden = true;
  $('camera').hidden = false;
}

/** Camera codes as inputs: each share code with the vault parts seen with it. */
function cameraInputs() {
  const shares = cameraCodes.filter((c) => blockHeader(c.split(/\s+/)[0])?.kind === 'S');
  const vaults = cameraCodes.filter((c) => blockHeader(c.split(/\s+/)[0])?.kind === 'V');
  const out = shares.map((c, i) => ({ name: `camera share ${i + 1}`, codes: [c] }));
  if (vaults.length) out.push({ name: 'camera vault', codes: vaults });
  return out;
}

function enough(g) {
  const v = g.vaults[0]?.[1];
  if (!v) return false;
  const ok = new Set(g.shares.filter(([, s]) => s.threshold === v.threshold).map(([, s]) => s.index));
  return ok.size >= v.threshold;
}

async function startCamera() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1920 }, height: { ideal: 1080 }, facingMode: 'environment' } });
  } catch (e) {
    showNote(`the camera could not be opened (${e.name}): allow it for this page, or give photos or typed text instead`);
    return;
  }
  cameraCodes = [];
  const video = $('video');
  video.srcObject = stream;
  $('camera-box').hidden = false;
  $('camera-stop').hidden = false;
  $('camera').hidden = true;
  await video.play();
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const status = $('camera-status');
  status.textContent = 'hold page 1 of each sheet up to the camera';
  while (stream) {
    if (video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0);
      const codes = await decodeImageData(ctx.getImageData(0, 0, canvas.width, canvas.height));
      let fresh = false;
      for (const c of codes) {
        if (!cameraCodes.includes(c)) {
          cameraCodes.push(c);
          fresh = true;
        }
      }
      if (fresh) {
        const g = new Gathered();
        for (const item of cameraInputs()) addCodes(g, item.name, item.codes);
        for (const item of inputs) {
          if (item.text !== undefined) g.addText(item.name, item.text);
          else addCodes(g, item.name, item.codes);
        }
        g.finish();
        status.textContent = statusOf(g);
        if (enough(g)) {
          stopCamera();
          inputs.push(...cameraInputs());
          renderInputs();
          status.textContent = '';
          showNote('the camera read every code needed and was turned off');
          break;
        }
      }
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

function statusOf(g) {
  const v = g.vaults[0]?.[1];
  const shares = [...new Set(g.shares.map(([, s]) => s.index))].sort((a, b) => a - b);
  const parts = [shares.length ? shares.map((i) => `share ${i} ✓`).join(', ') : 'no share yet'];
  if (v) parts.push(`vault ✓ (${v.threshold} shares needed)`);
  else if (g.incomplete.length) {
    const b = g.incomplete[0][1];
    parts.push(`vault: ${b.missing().length} of ${b.header.lineCount} lines missing (another QR part)`);
  } else parts.push('vault missing');
  return parts.join('; ');
}

// ---------------------------------------------------------------- recovery ----------------
const EXIT = { 2: 'usage', 3: 'an input is not valid', 4: 'the shares do not suffice or do not match', 5: 'the vault did not open' };
let answer = null;
let consent = null;
/** The generation asked for with a button (§7.2 rule 6), or null: the newest that opens. */
let wanted = null;

function askPassphrase() {
  $('ask').hidden = false;
  $('ask-passphrase').value = '';
  $('ask-passphrase').focus();
  return new Promise((resolve) => {
    answer = (p) => {
      $('ask').hidden = true;
      answer = null;
      resolve(p);
    };
  });
}

/** §7.2 rule 7 with a person to ask, as the reference reader asks at a terminal: a copy asking
 * for an Argon2id cost above the default is run only if the person agrees, in a question drawn
 * in the page (no browser dialog), with the memory and an estimate of the time. */
function approveCost(source, [m, t], anotherOpened) {
  // About 2 s per GiB and pass of Argon2id in WebAssembly on a laptop: an estimate, said so.
  const seconds = Math.max(1, Math.ceil(((m / 1048576) * t * 2)));
  $('consent-text').textContent = shown(
    `${costQuestion(source, [m, t], anotherOpened).replace(/\. Run it\?$/, '')}. It needs ${m >> 10} MiB of memory in this browser tab and takes about ${seconds} s here or longer. Run it?`,
  );
  $('consent').hidden = false;
  $('consent-run').focus();
  return new Promise((resolve) => {
    consent = (yes) => {
      $('consent').hidden = true;
      consent = null;
      resolve(yes);
    };
  });
}

async function stretch(passphrase, salt, [m, t, p]) {
  $('progress').textContent = `Argon2id (${m >> 10} MiB, ${t} passes): this takes a few seconds…`;
  await new Promise((r) => setTimeout(r, 20));
  try {
    return await argon2id({ password: passphrase, salt, memorySize: m, iterations: t, parallelism: p, hashLength: 32, outputType: 'binary' });
  } catch (e) {
    throw new Failure('Recover/Kdf/Failed', `Argon2id needs ${m >> 10} MiB of memory and could not get it (${e.message}): close other tabs or use breakglass`);
  } finally {
    $('progress').textContent = '';
  }
}

async function openVault() {
  for (const id of ['notes', 'skipped', 'rejected', 'entries']) clear($(id));
  $('result').hidden = true;
  const outcome = $('outcome');
  outcome.textContent = '';
  delete outcome.dataset.kind;
  delete outcome.dataset.exit;
  const g = gatherAll();
  for (const [name, e] of g.problems) {
    const li = el('li', shown(`skipped ${name}: ${e.message}`));
    li.dataset.name = name;
    li.dataset.kind = e.kind;
    $('skipped').append(li);
  }
  for (const [names, b] of g.incomplete) {
    if (!g.vaults.length) continue;
    try {
      b.decode();
    } catch (e) {
      showNote(`${names.join(' + ')}: ${e.message} (a QR part of the vault was not read: add it, or type its lines)`);
    }
  }
  const given = $('passphrase').value;
  try {
    const r = await recover(g, { given: given || null, passphrase: askPassphrase, argon2id: stretch, approve: approveCost, wanted });
    outcome.className = 'ok';
    outcome.textContent = 'The vault opened.';
    outcome.dataset.kind = 'ok';
    outcome.dataset.exit = '0';
    showResult(r);
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    outcome.className = 'error';
    outcome.textContent = shown(`${e.message} [${e.kind}]`) + (e.rejected?.length ? shown(` (left out: ${e.rejected.join('; ')})`) : '');
    outcome.dataset.kind = e.kind;
    outcome.dataset.exit = String(e.code);
    outcome.title = EXIT[e.code] ?? '';
  }
}

let ticking = null;
let openAgain = null;

function dl(entry, rows) {
  const d = el('dl');
  for (const [label, value, cls, name] of rows) {
    d.append(el('dt', label));
    const dd = el('dd', value, cls);
    if (name) dd.dataset.name = name;
    d.append(dd);
  }
  entry.append(d);
}

function showResult(r) {
  const v = r.vault;
  $('vault-line').textContent = shown(`Vault ${displayVaultId(v.vaultId)} of ${v.tenant}, generation ${v.generation}, made ${isoDate(v.created)}.`);
  const where = r.indices.map((i) => {
    const [location, custodian] = v.labels[i - 1] ?? ['', ''];
    return `${i} (${location}${custodian ? ', ' + custodian : ''})`;
  });
  $('shares-line').textContent = shown(`Opened with shares ${where.join(', ')} of ${v.count}, from ${r.used.join(', ')}.`);
  $('result').dataset.generation = String(v.generation);
  $('shares-line').dataset.used = JSON.stringify(r.used);
  const notice = generationsNotice(r);
  $('generations').hidden = !notice;
  $('generations').textContent = notice ? shown('WARNING: ' + notice) : '';
  const choice = $('generation-choice');
  clear(choice);
  const other = (generation, text) => {
    const b = el('button', text);
    b.type = 'button';
    b.dataset.generation = String(generation);
    b.addEventListener('click', () => openAgain(generation));
    choice.append(b, ' ');
  };
  for (const o of r.alsoOpened) other(o.generation, `Open generation ${o.generation} instead`);
  if (wanted !== null) {
    choice.append(el('span', `Generation ${wanted} was asked for; the other generations were not tried. `));
    other('', 'Open the newest generation that opens');
  }
  choice.hidden = !choice.firstChild;
  for (const rej of r.rejected) $('rejected').append(el('li', shown('left out: ' + rej)));
  const box = $('entries');
  const totps = [];
  for (const e of r.entries) {
    const div = el('div', undefined, 'entry');
    div.dataset.kind = e.kind;
    if (e.kind === 'account') {
      div.append(el('h3', 'Account'));
      dl(div, [
        ['User name', shown(e.upn), 'mono', 'upn'],
        ['Display name', shown(e.display_name), '', 'display_name'],
        ['Password', shown(e.password), 'secret', 'password'],
        ['Grouped', shown(groupsOfFour(e.password)), 'secret'],
        ['Spelled', spelledGroups(shown(e.password)).join('\n'), 'spelled'],
      ]);
    } else if (e.kind === 'fido2') {
      div.append(el('h3', 'FIDO2 security key'));
      dl(div, [
        ['Key', shown(e.label), '', 'label'],
        ['PIN', shown(e.pin), 'secret', 'pin'],
        ['Grouped', shown(groupsOfFour(e.pin)), 'secret'],
      ]);
    } else if (e.kind === 'totp') {
      div.append(el('h3', 'TOTP'));
      const code = el('dd', '', 'secret');
      dl(div, [
        ['Label', shown(e.label), '', 'label'],
        ['URI', shown(e.uri), 'mono', 'uri'],
      ]);
      div.lastChild.append(el('dt', 'Code now'), code);
      totps.push([e.uri, code]);
    } else {
      div.append(el('h3', 'Note'));
      dl(div, [
        ['Label', shown(e.label), '', 'label'],
        ['Text', shown(e.text, true), 'mono', 'text'],
      ]);
    }
    box.append(div);
  }
  const tick = () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [uri, node] of totps) {
      const c = totpNow(uri, now);
      node.textContent = c
        ? `${c[0]}  (valid ${c[1]} s more; computed from this computer's clock, which must be right)`
        : 'cannot compute (the URI is not a TOTP URI this page reads)';
    }
  };
  clearInterval(ticking);
  tick();
  if (totps.length) ticking = setInterval(tick, 1000);
  $('result').hidden = false;
  showAdvice();
}

const ADVICE = {
  unstated:
    'If these credentials were used, record why, then rotate with `breakglass rotate` and the same sheets; rotate runs offline: disconnect the computer first, then enter the new credentials into Entra ID, give each custodian a new sheet and destroy the old ones. Delete any scans of the sheets: they are copies of a secret.',
  emergency:
    'After the emergency: write down who opened the vault, when and why; then rotate with `breakglass rotate` and the same sheets. rotate runs offline: disconnect the computer first, then enter the new credentials into Entra ID, give each custodian a new sheet and destroy the old ones. Delete any scans of the sheets: they are copies of a secret.',
  investigation:
    'For the investigation: compare the Entra ID sign-in logs with the drill log. If a use was not authorised, rotate with `breakglass rotate` and the same sheets; rotate runs offline: disconnect the computer first, then enter the new credentials into Entra ID, give each custodian a new sheet and destroy the old ones. Delete any scans of the sheets: they are copies of a secret.',
  drill:
    'Drill done: if you signed in with these credentials, confirm the sign-in alert fired (`breakglass drill` checks the sheets without showing anything). Delete any scans of the sheets: they are copies of a secret.',
};

function showAdvice() {
  $('advice').textContent = ADVICE[$('purpose').value];
}

// ---------------------------------------------------------------- wiring ------------------
function online() {
  $('online').hidden = !navigator.onLine;
}

function wire() {
  online();
  window.addEventListener('online', online);
  window.addEventListener('offline', online);
  $('files').addEventListener('change', async (ev) => {
    await addFiles([...ev.target.files]);
    ev.target.value = '';
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', async (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    await addFiles([...ev.dataTransfer.files]);
  });
  // Dropped anywhere else, a file must not be opened by the browser in place of the page.
  window.addEventListener('dragover', (ev) => ev.preventDefault());
  window.addEventListener('drop', (ev) => ev.preventDefault());
  $('typed').addEventListener('input', checkTyped);
  $('add-typed').addEventListener('click', () => {
    const text = $('typed').value;
    if (!text.trim()) return;
    typedCount += 1;
    inputs.push({ name: `typed text ${typedCount}`, text: text.startsWith('\uFEFF') ? text.slice(1) : text });
    $('typed').value = '';
    checkTyped();
    renderInputs();
  });
  $('camera').addEventListener('click', startCamera);
  $('camera-stop').addEventListener('click', stopCamera);
  $('open').addEventListener('click', () => {
    wanted = null;
    run();
  });
  $('consent-run').addEventListener('click', () => consent?.(true));
  $('consent-skip').addEventListener('click', () => consent?.(false));
  function run() {
    $('open').disabled = true;
    openVault().finally(() => {
      $('open').disabled = false;
      document.body.dataset.done = String(Number(document.body.dataset.done ?? 0) + 1);
    });
  }
  openAgain = (generation) => {
    wanted = generation === '' ? null : generation;
    run();
  };
  $('clear').addEventListener('click', () => {
    stopCamera();
    clearInterval(ticking);
    inputs.length = 0;
    wanted = null;
    for (const id of ['typed', 'passphrase']) $(id).value = '';
    for (const id of ['notes', 'skipped', 'rejected', 'entries', 'inputs']) clear($(id));
    for (const id of ['outcome', 'needs', 'typed-check', 'vault-line', 'shares-line', 'advice']) $(id).textContent = '';
    $('result').hidden = true;
    $('generation-choice').hidden = true;
  });
  $('ask-ok').addEventListener('click', () => answer?.($('ask-passphrase').value || null));
  $('ask-none').addEventListener('click', () => answer?.(null));
  $('purpose').addEventListener('change', showAdvice);
  document.body.dataset.ready = '1';
  // The QR decoder's WebAssembly is compiled while the person picks the files, not after.
  setTimeout(() => prepareDecoder().catch(() => {}), 0);
}

wire();
