//! The decode floor of a scan: the least any reader of these PNG files must spend, decoding
//! them to 8-bit grey with the png crate alone (inflate, unfilter, integer grey conversion),
//! one after the other in one process, without scanning anything. `scripts/bench_paper.sh`
//! times this process beside `breakglass recover` on the same pages.
//! Run: `cargo run --release -p breakglass-paper --example decode_floor -- PAGE.png...`

use std::io::Cursor;

fn grey(bytes: &[u8]) -> Vec<u8> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![
        0;
        reader
            .output_buffer_size()
            .expect("a size that fits memory")
    ];
    let info = reader.next_frame(&mut buf).expect("a whole PNG");
    let pixels = &buf[..info.buffer_size()];
    // BT.709 luma in 1/65536ths, as breakglass converts colour.
    let luma = |p: &[u8]| {
        ((u32::from(p[0]) * 13933 + u32::from(p[1]) * 46871 + u32::from(p[2]) * 4732 + 32768) >> 16)
            as u8
    };
    match info.color_type {
        png::ColorType::Grayscale => pixels.to_vec(),
        png::ColorType::GrayscaleAlpha => pixels.chunks_exact(2).map(|p| p[0]).collect(),
        png::ColorType::Rgb => pixels.chunks_exact(3).map(luma).collect(),
        png::ColorType::Rgba => pixels.chunks_exact(4).map(luma).collect(),
        png::ColorType::Indexed => unreachable!("EXPAND turns palettes into RGB"),
    }
}

fn main() {
    let mut pixels = 0usize;
    let mut dark = 0usize;
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let g = grey(&bytes);
        pixels += g.len();
        // Use the pixels, so no step can be left out.
        dark += g.iter().filter(|&&v| v < 128).count();
    }
    println!("{pixels} pixels decoded to grey, {dark} dark");
}
