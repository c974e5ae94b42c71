// The breakglass formats, read as FORMAT.md says (cited as §n): the text form (§6), shares
// (§2), vault envelopes (§3), Shamir over GF(2^8) (§2), key derivation and opening (§4) and
// the contents (§5). Pure functions over strings and bytes: no DOM, no I/O, so the same
// module runs in the page and under Node for the tests. Cryptography comes from audited
// libraries (@noble/hashes, @noble/ciphers) and hash-wasm's Argon2id; nothing here is
// hand-written cryptography except the Lagrange interpolation §2 defines.

import { sha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';

/** An error with its FORMAT.md §9 kind (e.g. "Text/LineCheck") and its §7.3 exit code. */
export class Failure extends Error {
  constructor(kind, message, code = EXIT_BAD_INPUT) {
    super(message);
    this.kind = kind;
    this.code = code;
  }
}

export const EXIT_USAGE = 2;
export const EXIT_BAD_INPUT = 3;
export const EXIT_SHARES = 4;
export const EXIT_NOT_OPENED = 5;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossyUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export function bytes(s) {
  return utf8.encode(s);
}

/** §6.5: bytes read as UTF-8, each maximal invalid sequence one U+FFFD; one leading BOM
 * skipped. */
export function textOf(data) {
  let s = lossyUtf8.decode(data);
  if (s.startsWith('\uFEFF')) s = s.slice(1);
  return s;
}

export function strictText(data) {
  try {
    return strictUtf8.decode(data);
  } catch {
    return null;
  }
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

function bigEndian(b) {
  let n = 0;
  for (const x of b) n = n * 256 + x;
  return n;
}

// ---------------------------------------------------------------- §6.1 base32 ---------------
export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford: no I, L, O, U
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

export function b32encode(data) {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/** Strict inverse of b32encode; null if no byte string encodes to exactly this text. */
export function b32decode(text, alphabet = ALPHABET) {
  const n = Math.floor((text.length * 5) / 8);
  if (Math.floor((8 * n + 4) / 5) !== text.length) return null;
  const out = new Uint8Array(n);
  let acc = 0;
  let bits = 0;
  let at = 0;
  for (const c of text) {
    const v = alphabet.indexOf(c);
    if (v < 0 || c.length !== 1) return null;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) return null; // the unused low bits must be zero (§6.1 NonCanonical)
  return out;
}

/** A vault id as sheets print it: base32 in groups of four (§8). */
export function displayVaultId(id) {
  return b32encode(id).match(/.{1,4}/g).join('-');
}

// ---------------------------------------------------------------- §6.3 line check -----------
function checkChar(symbols) {
  let acc = 0;
  for (const c of symbols) {
    acc ^= VALUE.get(c);
    acc <<= 1; // multiply by alpha = x
    if (acc & 0x20) acc ^= 0x25;
  }
  return ALPHABET[acc];
}

function headerChecksum(kind, payload) {
  return sha256(concat(bytes('BG1-' + kind), payload)).slice(0, 4);
}

// ---------------------------------------------------------------- §6.5 text parsing ---------
const NOUN = { S: 'share', V: 'vault' };
const LINE_CHARS = 20;
const GROUP_CHARS = 4;
const MAX_LINES = 999;
// Unicode White_Space (as Rust's trim and split_whitespace).
const SPACE = '\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const TRIM = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'g');
const WORDS = new RegExp(`[${SPACE}]+`);
const PARTS = new RegExp(`[-${SPACE}]`);
const NO_TEXT = 'no breakglass text found: a share starts BG1-S-5-..., a vault BG1-V-...';
const DIGITS = /^[0-9]+$/;

/** §6.5: drop spaces, tabs, CR, LF and '-', upper-case a-z, read O as 0 and I, L as 1; a
 * non-ASCII character becomes one character outside the alphabet (counted, never valid). */
export function normalize(s) {
  let out = '';
  for (const ch of s) {
    let c = ch.codePointAt(0) < 0x80 ? ch : '\x80';
    if (c === ' ' || c === '-' || c === '\t' || c === '\r' || c === '\n') continue;
    if (c >= 'a' && c <= 'z') c = c.toUpperCase();
    if (c === 'O') c = '0';
    else if (c === 'I' || c === 'L') c = '1';
    out += c;
  }
  return out;
}

function textError(name, message) {
  return new Failure('Text/' + name, message, EXIT_BAD_INPUT);
}

class LineCheckFailed extends Failure {
  constructor(header, number, row, group = null) {
    const where = group ? ` (probably in group ${group})` : '';
    super(
      'Text/LineCheck',
      `${header.noun} line ${number} has a typo${where}: its check character does not match; retype it`,
    );
    this.number = number;
    this.row = row;
  }
}

/** `BG1-<kind>-<L>-<C>` (§6.2). */
export class Header {
  constructor(kind, lineCount, checksum) {
    this.kind = kind;
    this.lineCount = lineCount;
    this.checksum = checksum;
    this.width = Math.max(2, String(lineCount).length);
    this.noun = NOUN[kind];
    this.key = `${kind}-${lineCount}-${b32encode(checksum)}`;
  }

  /** §6.5 rule 3; throws Text/NoHeader, NewerVersion or BadHeader. */
  static parse(row) {
    const n = normalize(row);
    if (!n.startsWith('BG')) throw textError('NoHeader', NO_TEXT);
    let rest = n.slice(2);
    const digits = rest.length - rest.replace(/^[0-9]+/, '').length;
    if (digits === 0 || digits > 6) throw textError('NoHeader', NO_TEXT);
    const version = Number(rest.slice(0, digits));
    if (version > 1) {
      throw textError(
        'NewerVersion',
        `this text was made by a newer breakglass (text format BG${version}; this page reads BG1): get a newer recover.html or breakglass`,
      );
    }
    const bad = textError(
      'BadHeader',
      'the header line is not valid: it should look like BG1-S-5-ABCD123 (check it for a typo)',
    );
    rest = rest.slice(digits);
    if (version !== 1 || (rest[0] !== 'S' && rest[0] !== 'V')) throw bad;
    const kind = rest[0];
    rest = rest.slice(1);
    const parts = row.split(PARTS).filter((p) => p);
    const sumLen = parts.length === 4 ? normalize(parts[3]).length : 7;
    if (sumLen !== 7) throw bad;
    const splitAt = rest.length - sumLen;
    if (splitAt <= 0 || splitAt > 3) throw bad;
    const count = rest.slice(0, splitAt);
    const checksum = b32decode(rest.slice(splitAt));
    if (!DIGITS.test(count) || count[0] === '0' || checksum === null || checksum.length !== 4) {
      throw bad;
    }
    if (Number(count) > MAX_LINES) throw textError('BadLineCount', 'the header announces too many lines');
    return new Header(kind, Number(count), checksum);
  }

  /** One data line (§6.5 rule 4), checked in order: [number, normalized row]. */
  parseLine(row) {
    const n = normalize(row);
    const w = this.width;
    if (n.length < w || !DIGITS.test(n.slice(0, w))) {
      throw textError('BadLineNumber', `a line does not start with its ${w}-digit line number`);
    }
    const number = Number(n.slice(0, w));
    if (number === 0 || number > this.lineCount) {
      throw textError(
        'LineOutOfRange',
        `${this.noun} line ${number} is numbered beyond the ${this.lineCount} lines the header announces`,
      );
    }
    const data = n.slice(w, -1);
    const last = number === this.lineCount;
    if (last ? !(data.length >= 1 && data.length <= LINE_CHARS) : data.length !== LINE_CHARS) {
      throw textError(
        'BadLineLength',
        `${this.noun} line ${number} has ${data.length} characters between its number and check character, but should have ${last ? '1 to 20' : '20'}: a character is missing or extra`,
      );
    }
    for (let pos = 0; pos < n.length; pos++) {
      if (!VALUE.has(n[pos])) {
        if (pos === n.length - 1) {
          throw textError(
            'CheckCharacterTypo',
            `${this.noun} line ${number} has a typo in its check character (the last one): retype it`,
          );
        }
        throw textError(
          'BadCharacter',
          `${this.noun} line ${number}, group ${Math.floor((pos - w) / GROUP_CHARS) + 1} has a character that never appears in breakglass text (only 0-9 and A-Z without U): check for a typo`,
        );
      }
    }
    if (checkChar(n.slice(0, -1)) !== n[n.length - 1]) throw new LineCheckFailed(this, number, n);
    return [number, n];
  }
}

/** The lines gathered for one header, from one or several pieces (§6.5 rule 5). */
export class Block {
  constructor(header) {
    this.header = header;
    this.lines = new Map(); // line number -> data characters
    this.bad = []; // [number, normalized row] of lines that failed their check
  }

  addLine(row) {
    let number;
    let n;
    try {
      [number, n] = this.header.parseLine(row);
    } catch (e) {
      if (e instanceof LineCheckFailed) this.bad.push([e.number, e.row]);
      throw e;
    }
    this.insert(number, n.slice(this.header.width, -1));
  }

  insert(number, data) {
    if (this.lines.has(number) && this.lines.get(number) !== data) {
      throw textError('ConflictingLine', `line ${number} appears twice with different contents`);
    }
    this.lines.set(number, data);
  }

  merge(other) {
    for (const number of [...other.lines.keys()].sort((a, b) => a - b)) {
      this.insert(number, other.lines.get(number));
    }
    this.bad.push(...other.bad);
  }

  missing() {
    const out = [];
    for (let i = 1; i <= this.header.lineCount; i++) if (!this.lines.has(i)) out.push(i);
    return out;
  }

  isComplete() {
    return this.lines.size === this.header.lineCount;
  }

  /** The payload bytes, or the error that explains why not (§6.5 rules 5-7). */
  decode() {
    const h = this.header;
    const missing = this.missing();
    const failed = this.bad.filter(([number]) => missing.includes(number));
    const bad = new Map();
    for (const [number, row] of failed) if (!bad.has(number)) bad.set(number, row);
    if (missing.length === 1 && bad.has(missing[0])) {
      const typo = this.locateTypo(missing[0], bad.get(missing[0]));
      if (typo === 'check') {
        throw textError(
          'CheckCharacterTypo',
          `${h.noun} line ${missing[0]} has a typo in its check character (the last one): retype it`,
        );
      }
      throw new LineCheckFailed(h, missing[0], '', typo);
    }
    if (failed.length) throw new LineCheckFailed(h, failed[0][0], '');
    if (missing.length) {
      const shown = missing.slice(0, 12).join(', ') + (missing.length > 12 ? ', ...' : '');
      throw textError(
        'MissingLines',
        `the ${h.noun} text is incomplete: ${missing.length === 1 ? `line ${shown} is` : `lines ${shown} are`} missing (of ${h.lineCount})`,
      );
    }
    return this.decodeLines(this.lines);
  }

  decodeLines(lines) {
    const text = [...lines.keys()]
      .sort((a, b) => a - b)
      .map((i) => lines.get(i))
      .join('');
    const payload = b32decode(text);
    if (payload === null) {
      throw textError(
        'NonCanonical',
        'the last line does not end the way an encoder would have written it: check it for a typo',
      );
    }
    if (!equal(headerChecksum(this.header.kind, payload), this.header.checksum)) {
      throw textError(
        'Checksum',
        "every line checks, but together they do not match the header's checksum: check the header line for a typo, or lines may come from different sheets",
      );
    }
    return payload;
  }

  /** §6.5 rule 7: "check" if the check character alone is wrong, else the group of the only
   * one-character fix that satisfies both checks, else null. The fix is never used. */
  locateTypo(number, row) {
    const w = this.header.width;
    const lines = new Map(this.lines);
    const holds = (data) => {
      lines.set(number, data);
      try {
        this.decodeLines(lines);
        return true;
      } catch {
        return false;
      }
    };
    if (holds(row.slice(w, -1))) return 'check';
    let found = null;
    const check = row[row.length - 1];
    for (let pos = w; pos < row.length - 1; pos++) {
      for (const sym of ALPHABET) {
        if (sym === row[pos]) continue;
        const cand = row.slice(0, pos) + sym + row.slice(pos + 1, -1);
        if (checkChar(cand) === check && holds(cand.slice(w))) {
          if (found !== null) return null;
          found = Math.floor((pos - w) / GROUP_CHARS) + 1;
        }
      }
    }
    return found;
  }
}

function trimRow(row) {
  return row.replace(TRIM, '');
}

function wordsOf(row) {
  return row.split(WORDS).filter((w) => w);
}

/** Splits one input into blocks (§6.4, §6.5 rule 1); blocks with the same header merge. */
export function parseBlocks(text) {
  const pieces = [];
  for (const raw of text.split('\n')) {
    const row = trimRow(raw);
    if (!row || row.startsWith('#')) continue;
    const words = wordsOf(row);
    if (words.length > 1) {
      try {
        Header.parse(words[0]);
        pieces.push(...words); // the QR layout
        continue;
      } catch (e) {
        if (!(e instanceof Failure)) throw e;
      }
    }
    pieces.push(row);
  }
  const blocks = [];
  let current = null;
  for (const piece of pieces) {
    if (normalize(piece).startsWith('BG')) {
      current = new Block(Header.parse(piece));
      blocks.push(current);
    } else if (current === null) {
      throw textError('NoHeader', 'a line comes before any BG1 header line');
    } else {
      try {
        current.addLine(piece);
      } catch (e) {
        if (!(e instanceof LineCheckFailed)) throw e; // kept in current.bad
      }
    }
  }
  if (!blocks.length) throw textError('NoHeader', NO_TEXT);
  return mergeBlocks(blocks);
}

function firstPiece(raw) {
  const row = trimRow(raw);
  if (!row || row.startsWith('#')) return null;
  const words = wordsOf(row);
  if (words.length > 1) {
    try {
      Header.parse(words[0]);
      return words[0];
    } catch {
      // one piece, as a whole
    }
  }
  return row;
}

/** The header of a row's first piece (§6.5 rule 3), or null. */
export function blockHeader(piece) {
  if (!normalize(piece).startsWith('BG')) return null;
  try {
    return Header.parse(piece);
  } catch {
    return null;
  }
}

/** §7.1 "Cutting files into inputs", for text: one part per sheet's worth. */
export function cutInputs(text) {
  const parts = [];
  let start = 0;
  let at = 0;
  let afterPiece = 0;
  let vault = null;
  for (const row of text.split('\n')) {
    const end = Math.min(at + row.length + 1, text.length);
    const piece = firstPiece(row);
    if (piece !== null) {
      const h = blockHeader(piece);
      const cut = h !== null && (h.kind === 'S' || (vault !== null && vault !== h.key));
      if (cut && afterPiece > start) {
        parts.push(text.slice(start, afterPiece));
        start = afterPiece;
        vault = null;
      }
      if (h !== null && h.kind === 'V') vault = h.key;
      afterPiece = end;
    }
    at = end;
  }
  parts.push(text.slice(start));
  return parts;
}

function mergeBlocks(blocks) {
  const out = new Map();
  for (const b of blocks) {
    if (out.has(b.header.key)) out.get(b.header.key).merge(b);
    else out.set(b.header.key, b);
  }
  return [...out.values()];
}

// ---------------------------------------------------------------- §2 share ------------------
export class Share {
  constructor(raw) {
    const bad = (kind, msg) =>
      new Failure('Share/' + kind, 'the share text decodes, but the share inside is not valid: ' + msg);
    if (raw[0] === 0) throw bad('BadVersion', 'share format version 0 does not exist: it is damaged');
    if (raw[0] > 1) {
      throw bad(
        'NewerVersion',
        `this share was made by a newer breakglass (share format ${raw[0]}): get a newer recover.html or breakglass`,
      );
    }
    if (raw.length !== 56) throw bad('BadLength', `it has ${raw.length} bytes, but a share is exactly 56`);
    this.raw = raw;
    this.vaultId = raw.slice(1, 17);
    this.generation = bigEndian(raw.slice(17, 21));
    this.threshold = raw[21];
    this.count = raw[22];
    this.index = raw[23];
    this.y = raw.slice(24, 56);
    if (!(this.threshold >= 2 && this.threshold <= this.count)) {
      throw bad('BadThreshold', `it says ${this.threshold} of ${this.count}, which is impossible`);
    }
    if (!(this.index >= 1 && this.index <= this.count)) {
      throw bad('BadIndex', `it has index ${this.index}, not between 1 and ${this.count}`);
    }
  }

  commitment() {
    return sha256(concat(bytes('breakglass v1 share commitment'), this.raw)).slice(0, 16);
  }
}

// ---------------------------------------------------------------- §3 vault ------------------
export function isBidi(cp) {
  return cp === 0x061c || cp === 0x200e || cp === 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

export function isControl(cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

const KDF_LIMITS = [
  ['memory (KiB)', 8192, 4194304],
  ['iterations', 1, 64],
  ['parallelism', 1, 16],
];

function checkKdf(params, stage) {
  KDF_LIMITS.forEach(([what, low, high], i) => {
    const value = params[i];
    if (value > high) {
      throw new Failure(
        stage + 'Kdf/TooExpensive',
        `the vault asks for Argon2id ${what} = ${value}, above the maximum of ${high}: the header is damaged or malicious`,
      );
    }
    if (value < low) {
      throw new Failure(stage + 'Kdf/TooWeak', `Argon2id ${what} = ${value} is below the minimum of ${low}`);
    }
  });
}

export class Vault {
  constructor(raw) {
    const bad = (kind, msg) =>
      new Failure('Vault/' + kind, 'the vault text decodes, but the vault inside is not valid: ' + msg);
    if (raw[0] === 0) throw bad('BadVersion', 'vault format version 0 does not exist: it is damaged');
    if (raw[0] > 1) {
      throw bad(
        'NewerVersion',
        `this vault was made by a newer breakglass (vault format ${raw[0]}): get a newer recover.html or breakglass`,
      );
    }
    if (raw.length > 12288) throw bad('TooLarge', `it is ${raw.length} bytes, above the 12288-byte maximum`);
    this.raw = raw;
    let at = 1;
    const take = (size, field) => {
      if (at + size > raw.length) {
        throw bad('Truncated', `it ends early (at byte ${at} while reading the ${field}): the vault text is truncated`);
      }
      at += size;
      return raw.slice(at - size, at);
    };
    const number = (size, field) => bigEndian(take(size, field));
    const label = (field) => {
      const s = strictText(take(number(1, field), field));
      if (s === null || [...s].some((c) => isControl(c.codePointAt(0)) || isBidi(c.codePointAt(0)))) {
        throw bad('BadLabel', `the ${field} label is not valid UTF-8 text without control characters`);
      }
      return s;
    };
    this.vaultId = take(16, 'vault id');
    this.generation = number(4, 'generation');
    this.created = number(8, 'creation date');
    this.drillDays = number(2, 'drill interval');
    [this.threshold, this.count] = take(2, 'threshold');
    if (!(this.threshold >= 2 && this.threshold <= this.count)) {
      throw bad('BadThreshold', `it says ${this.threshold} of ${this.count}, which is impossible`);
    }
    const kdf = take(1, 'key derivation')[0];
    this.kdf = null;
    if (kdf === 1) {
      const params = ['memory', 'iterations', 'parallelism'].map((f) => number(4, 'Argon2id ' + f));
      try {
        checkKdf(params, 'Vault/');
      } catch (e) {
        throw bad(e.kind.slice(6), e.message);
      }
      this.kdf = { params, salt: take(16, 'Argon2id salt') };
    } else if (kdf !== 0) {
      throw bad('UnknownKdf', `unknown key-derivation method ${kdf} in the vault header: it is damaged or newer`);
    }
    this.commitments = [];
    for (let i = 0; i < this.count; i++) this.commitments.push(take(16, 'share commitments'));
    this.tenant = label('tenant');
    this.labels = [];
    for (let i = 0; i < this.count; i++) this.labels.push([label('location'), label('custodian')]);
    this.header = raw.slice(0, at); // the associated data: every byte before the nonce
    this.nonce = take(24, 'nonce');
    const length = number(2, 'ciphertext length');
    if (length < 16) {
      throw bad('CiphertextTooShort', `the ciphertext is ${length} bytes, shorter than the 16-byte tag`);
    }
    this.ciphertext = take(length, 'ciphertext');
    if (at !== raw.length) {
      throw bad('TrailingBytes', `it has ${raw.length - at} unexpected bytes after its end: it is damaged`);
    }
  }

  sameAs(other) {
    return equal(this.raw, other.raw);
  }
}

/** Complete blocks to shares and vaults; incomplete blocks are returned as they are. */
export function decodeBlocks(blocks) {
  const shares = [];
  const vaults = [];
  const incomplete = [];
  for (const b of mergeBlocks(blocks)) {
    if (!b.isComplete()) incomplete.push(b);
    else if (b.header.kind === 'S') shares.push(new Share(b.decode()));
    else vaults.push(new Vault(b.decode()));
  }
  return { shares, vaults, incomplete };
}

// ---------------------------------------------------------------- §2 Shamir over GF(2^8) ----
const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = EXP[i + 255] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
}
const gfMul = (a, b) => (a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]]);
const gfDiv = (a, b) => (a === 0 ? 0 : EXP[LOG[a] + 255 - LOG[b]]);

/** Lagrange interpolation at 0 over k shares with distinct non-zero x (§2). */
export function combine(shares) {
  const secret = new Uint8Array(32);
  for (const s of shares) {
    let weight = 1;
    for (const m of shares) if (m !== s) weight = gfMul(weight, gfDiv(m.index, m.index ^ s.index));
    for (let j = 0; j < 32; j++) secret[j] ^= gfMul(s.y[j], weight);
  }
  return secret;
}

// ---------------------------------------------------------------- §4 key and opening --------
/** K = HKDF-SHA256(salt = vault id, IKM = S ‖ P, info, 32). */
export function vaultKey(vault, secret, stretched) {
  const ikm = stretched ? concat(secret, stretched) : secret;
  return hkdf(sha256, ikm, vault.vaultId, bytes('breakglass v1 vault key'), 32);
}

/** The plaintext, or null when the tag does not verify (nothing is released). */
export function openEnvelope(vault, key) {
  try {
    return xchacha20poly1305(key, vault.nonce, vault.header).decrypt(vault.ciphertext);
  } catch {
    return null;
  }
}

export { checkKdf, equal, concat };

// ---------------------------------------------------------------- §5 contents --------------
const ENTRY_KINDS = {
  1: ['account', ['upn', 'display_name', 'password']],
  2: ['fido2', ['label', 'pin']],
  3: ['totp', ['label', 'uri']],
  4: ['note', ['label', 'text']],
};

/** The plaintext (§5) to a list of {kind, fields...}, in vault order. */
export function parseContents(pt) {
  const bad = (kind, msg) => new Failure('Recover/Contents/' + kind, msg, EXIT_NOT_OPENED);
  let at = 0;
  const take = (n) => {
    if (at + n > pt.length) throw bad('Malformed', 'the vault contents are malformed (truncated)');
    at += n;
    return pt.slice(at - n, at);
  };
  const version = take(1)[0];
  if (version === 0) throw bad('Malformed', 'the vault contents are malformed (version 0)');
  if (version > 1) {
    throw bad(
      'NewerVersion',
      `the vault contents use format ${version}, newer than this page reads: get a newer recover.html or breakglass`,
    );
  }
  const count = bigEndian(take(2));
  if (count === 0) throw bad('Empty', 'the vault is empty');
  const entries = [];
  for (let e = 0; e < count; e++) {
    const kind = take(1)[0];
    if (!ENTRY_KINDS[kind]) {
      throw bad('UnknownEntry', `the vault holds an entry of unknown kind ${kind}: get a newer recover.html or breakglass`);
    }
    const [name, names] = ENTRY_KINDS[kind];
    const entry = { kind: name };
    for (const f of names) {
      const length = bigEndian(take(2));
      if (length > 8192) throw bad('FieldTooLong', `a field is ${length} bytes, above the maximum of 8192`);
      const s = strictText(take(length));
      if (s === null) throw bad('Malformed', 'the vault contents are malformed (not UTF-8)');
      entry[f] = s;
    }
    entries.push(entry);
  }
  if (at !== pt.length) throw bad('Malformed', 'the vault contents are malformed (trailing bytes)');
  return entries;
}
