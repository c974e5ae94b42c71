// Splits a FORMAT.md §9 vector into the files a reader is given, as the binary's harness does
// (tests/e2e/multi_input_vectors.rs): each `# input: NAME` / `# file: NAME` part becomes a file,
// byte for byte; a vector without such rows is one file, the vector itself.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function meta(bytes) {
  const text = new TextDecoder().decode(bytes);
  const out = { entries: [], dropped: [], rejected: [] };
  for (const row of text.split('\n')) {
    const m = /^# ([a-z0-9-]+): (.*)$/.exec(row);
    if (!m) continue;
    if (m[1] === 'entry') out.entries.push(m[2]);
    else if (m[1] === 'dropped') out.dropped.push(m[2]);
    else if (m[1] === 'rejected') out.rejected.push(m[2]);
    else if (!(m[1] in out)) out[m[1]] = m[2];
  }
  return out;
}

export function files(name, bytes) {
  const parts = [];
  const rows = [];
  for (let i = 0; i < bytes.length; ) {
    let j = bytes.indexOf(10, i);
    j = j < 0 ? bytes.length : j + 1;
    rows.push(bytes.subarray(i, j));
    i = j;
  }
  for (const row of rows) {
    const s = new TextDecoder().decode(row);
    const m = /^# (?:input|file): (.*)$/.exec(s.replace(/\n$/, ''));
    if (m) parts.push({ name: m[1].trim(), chunks: [] });
    else if (parts.length) parts[parts.length - 1].chunks.push(row);
  }
  if (!parts.length) return [{ name, bytes }];
  return parts.map((p) => {
    const out = new Uint8Array(p.chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of p.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return { name: p.name, bytes: out };
  });
}

export function all(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => {
      const bytes = new Uint8Array(readFileSync(join(dir, f)));
      return { file: f, meta: meta(bytes), files: files(f, bytes) };
    });
}
