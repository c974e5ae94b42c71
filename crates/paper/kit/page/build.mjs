// Bundles the page into one self-contained file, ../recover.html: the script (with the QR
// decoder's and Argon2id's WebAssembly inlined) and the style inline, allowed by their SHA-256
// in a Content-Security-Policy that forbids everything else (no request of any kind).
// Deterministic: the same sources and lockfile give the same bytes.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, '..', 'recover.html');

const result = await build({
  entryPoints: [join(here, 'src/main.js')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  minify: true,
  legalComments: 'inline',
  charset: 'utf8',
  loader: { '.wasm': 'base64' },
  write: false,
  logLevel: 'warning',
});
const script = result.outputFiles[0].text.trimEnd();
const style = readFileSync(join(here, 'src/page.css'), 'utf8').trimEnd();
if (/<\/script/i.test(script) || /<!--/.test(script)) throw new Error('the bundle holds </script or <!--');
const hash = (s) => `sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}`;
const html = readFileSync(join(here, 'src/page.html'), 'utf8')
  .replace('SCRIPT_HASH', hash(script))
  .replace('STYLE_HASH', hash(style))
  .replace('<style>STYLE</style>', () => `<style>${style}</style>`)
  .replace('<script>SCRIPT</script>', () => `<script>${script}</script>`);
writeFileSync(out, html);
console.log(`${out}: ${html.length} bytes`);
