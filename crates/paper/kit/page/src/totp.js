// TOTP codes (RFC 6238) for a vault's otpauth:// URIs, by FORMAT.md §12.8's rules (pinned by
// tests/vectors/totp-codes.tsv), and the phonetic spelling the binary's recovery screen shows.

import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { b32decode } from './format.js';

const HASHES = { SHA1: sha1, SHA256: sha256, SHA512: sha512 };
const RFC4648 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
// What Python's str.isspace() accepts (recover.py strips these from a secret).
const PY_SPACE = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/gu;

/** Percent-decoding as Python's urllib.parse.unquote(errors="replace"). */
function unquote(s) {
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const b = new Uint8Array(run.length / 3);
    for (let i = 0; i < b.length; i++) b[i] = parseInt(run.slice(3 * i + 1, 3 * i + 3), 16);
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);
  });
}

/** [code, seconds left] for an otpauth://totp URI at Unix time `now`, or null. */
export function totpNow(uri, now) {
  const m = /^(?:[oO][tT][pP][aA][uU][tT][hH]):\/\/([^/]*)\/([^?]*)\??(.*)$/su.exec(uri);
  if (!m || m[1].toLowerCase() !== 'totp') return null;
  let secret = null;
  let algorithm = 'SHA1';
  let digits = 6;
  let period = 30;
  for (const pair of m[3].split('&')) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    if (key === 'secret') {
      secret = unquote(value);
    } else if (key === 'algorithm') {
      algorithm = value.toUpperCase();
      if (!HASHES[algorithm]) return null;
    } else if (key === 'digits' || key === 'period') {
      if (!/^\+?[0-9]+\n?$/.test(value)) return null;
      const n = Number(value.trim());
      if (key === 'digits') digits = n;
      else period = n;
    }
  }
  if (secret === null || !(digits >= 6 && digits <= 10) || !(period >= 1 && period <= 3600)) return null;
  const cleaned = secret.replace(PY_SPACE, '').replace(/[=-]/g, '').toUpperCase();
  const key = b32decode(cleaned, RFC4648);
  if (!key || !key.length) return null;
  const counter = new Uint8Array(8);
  let c = Math.floor(now / period);
  for (let i = 7; i >= 0; i--) {
    counter[i] = c % 256;
    c = Math.floor(c / 256);
  }
  const mac = hmac(HASHES[algorithm], key, counter);
  const offset = mac[mac.length - 1] & 15;
  const value =
    (((mac[offset] & 0x7f) * 2 ** 24 + mac[offset + 1] * 2 ** 16 + mac[offset + 2] * 2 ** 8 + mac[offset + 3]) %
      10 ** digits);
  return [String(value).padStart(digits, '0'), period - (now % period)];
}

const NATO = [
  'alfa', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliett',
  'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango',
  'uniform', 'victor', 'whiskey', 'xray', 'yankee', 'zulu',
];
const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const SYMBOLS = {
  '!': 'exclamation', '"': 'double-quote', '#': 'hash', $: 'dollar', '%': 'percent',
  '&': 'ampersand', "'": 'apostrophe', '(': 'open-paren', ')': 'close-paren', '*': 'asterisk',
  '+': 'plus', ',': 'comma', '-': 'dash', '.': 'dot', '/': 'slash', ':': 'colon',
  ';': 'semicolon', '<': 'less-than', '=': 'equals', '>': 'greater-than', '?': 'question',
  '@': 'at', '[': 'open-bracket', '\\': 'backslash', ']': 'close-bracket', '^': 'caret',
  _: 'underscore', '`': 'backtick', '{': 'open-brace', '|': 'pipe', '}': 'close-brace',
  '~': 'tilde', ' ': 'space',
};

/** One character spelled as the binary spells it (breakglass-core's phonetic module). */
export function spellChar(c) {
  if (c >= 'a' && c <= 'z') return 'lower ' + NATO[c.charCodeAt(0) - 97];
  if (c >= 'A' && c <= 'Z') return 'UPPER ' + NATO[c.charCodeAt(0) - 65].toUpperCase();
  if (c >= '0' && c <= '9') return DIGIT_WORDS[c.charCodeAt(0) - 48];
  return SYMBOLS[c] ?? '(other)';
}

function chunks(s) {
  const chars = [...s];
  const out = [];
  for (let i = 0; i < chars.length; i += 4) out.push(chars.slice(i, i + 4).join(''));
  return out;
}

export function groupsOfFour(s) {
  return chunks(s).join(' ');
}

export function spelledGroups(s) {
  return chunks(s).map((g) => `${g.padEnd(4)}  ${[...g].map(spellChar).join(', ')}`);
}
