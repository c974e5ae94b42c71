// The page's QR decoder (zxing-wasm with the options of src/qr.js) on a folder of images with
// the expected text beside each (`N.png` + `N.txt`, as ../shared/qr-blackbox): prints how many
// decode to exactly that text. Run under Node with the same library and wasm as the page (the
// image is decoded by ZXing's own loader rather than the browser's). Used by
// scripts/bench_page.sh; not a test.
//   node tests/page/decode_rate.mjs --modules crates/paper/kit/page DIR...
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opt, positionals: dirs } = parseArgs({ allowPositionals: true, options: { modules: { type: 'string' } } });
const require = createRequire(join(resolve(opt.modules), 'package.json'));
const zxing = await import(pathToFileURL(require.resolve('zxing-wasm/reader')).href);
const wasm = readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm'));
await zxing.prepareZXingModule({ overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.length) }, fireImmediately: true });
const options = { formats: ['QRCode'], tryHarder: true, tryRotate: true, tryInvert: false, tryDownscale: true, maxNumberOfSymbols: 64, textMode: 'Plain' };
for (const dir of dirs) {
  let ok = 0;
  let n = 0;
  const t0 = performance.now();
  for (const f of readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort()) {
    const want = join(dir, f.replace(/\.[^.]+$/, '.txt'));
    if (!existsSync(want)) continue;
    n += 1;
    const text = readFileSync(want, 'utf8');
    const got = await zxing.readBarcodes(new Uint8Array(readFileSync(join(dir, f))), options);
    if (got.some((r) => r.isValid && r.text === text)) ok += 1;
  }
  console.log(`${dir}: ${ok} of ${n} decoded (${Math.round(performance.now() - t0)} ms)`);
}
