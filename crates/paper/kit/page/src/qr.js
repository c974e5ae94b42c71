// QR codes from images, with ZXing-C++'s WebAssembly build (zxing-wasm). The wasm is inlined
// by the bundler (build.mjs) and handed over here, so nothing is ever fetched.

import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import wasmBase64 from 'zxing-wasm/reader/zxing_reader.wasm';

let ready = null;

/** Compiles the decoder once; the page starts it as soon as it is shown, so that the first
 * image given does not wait for it. */
export function prepare() {
  if (ready === null) {
    // A plain loop: Uint8Array.from with a mapping function takes ten times as long on 1 MB.
    const text = atob(wasmBase64);
    const bin = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bin[i] = text.charCodeAt(i);
    ready = prepareZXingModule({
      overrides: {
        wasmBinary: bin.buffer,
        locateFile: (path) => path, // never a CDN: the binary is given above
      },
      fireImmediately: true,
    });
  }
  return ready;
}

/** Largest side an image is decoded at: a 600-dpi A4 scan is about 7000 pixels. */
export const MAX_SIDE = 8000;

/** The QR payloads found in an ImageData, in reading order (duplicates kept once). */
export async function decodeImageData(image) {
  await prepare();
  const results = await readBarcodes(image, {
    formats: ['QRCode'],
    tryHarder: true,
    tryRotate: true,
    tryInvert: false,
    tryDownscale: true,
    maxNumberOfSymbols: 64,
    textMode: 'Plain',
  });
  const out = [];
  for (const r of results) if (r.isValid && r.text && !out.includes(r.text)) out.push(r.text);
  return out;
}
