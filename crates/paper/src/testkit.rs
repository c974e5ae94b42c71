//! Hand-made scans for the tests of scanning: PDFs and embedded JBIG2 streams built byte by byte,
//! in the shapes copiers write, so a test says exactly what the reader is given. Only the tests
//! of this crate and of the binary turn the `testkit` feature on; the binary never does.

/// A PDF of `objects`, numbered from 1 (object 1 is the catalog), with a correct
/// cross-reference table.
pub fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    out
}

/// A stream object: the entries of its dictionary, its `/Length`, then `data`.
pub fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut o = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    o.extend_from_slice(data);
    o.extend_from_slice(b"\nendstream");
    o
}

/// The pieces of an embedded JBIG2 stream (ITU-T T.88 Annex D.3: segments, no file header).
pub mod jbig2 {
    /// One segment (§7.2): short-form referred-to segments (numbers up to 256, one byte each),
    /// one-byte page association (0: a global segment), known data length.
    pub fn segment(number: u32, kind: u8, page: u8, referred: &[u8], data: &[u8]) -> Vec<u8> {
        let mut s = number.to_be_bytes().to_vec();
        s.extend([kind, (referred.len() as u8) << 5]);
        s.extend_from_slice(referred);
        s.push(page);
        s.extend((data.len() as u32).to_be_bytes());
        s.extend_from_slice(data);
        s
    }

    /// The data of a page information segment (type 48, §7.4.8): size, no resolution, a white
    /// page, no striping.
    pub fn page_information(width: u32, height: u32) -> Vec<u8> {
        let mut data = [width, height, 0, 0].map(u32::to_be_bytes).concat();
        data.extend([0, 0, 0]);
        data
    }

    /// A region segment information field (§7.4.1) at the page's origin, OR operator; the
    /// region's own flags follow it.
    pub fn region(width: u32, height: u32) -> Vec<u8> {
        let mut r = [width, height, 0, 0].map(u32::to_be_bytes).concat();
        r.push(0);
        r
    }
}

/// An uncompressed little-endian grey TIFF with one directory per image; `loop_back` makes
/// the last directory point at the first.
pub fn tiff(images: &[image::GrayImage], loop_back: bool) -> Vec<u8> {
    let mut out = b"II*\0\0\0\0\0".to_vec();
    let mut link_at = 4usize;
    let mut first_ifd = 0u32;
    for img in images {
        let data_at = out.len() as u32;
        out.extend_from_slice(img.as_raw());
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let ifd_at = out.len() as u32;
        if first_ifd == 0 {
            first_ifd = ifd_at;
        }
        out[link_at..link_at + 4].copy_from_slice(&ifd_at.to_le_bytes());
        let entries: [(u16, u16, u32); 8] = [
            (256, 4, img.width()),
            (257, 4, img.height()),
            (258, 3, 8),
            (259, 3, 1),
            (262, 3, 1),
            (273, 4, data_at),
            (278, 4, img.height()),
            (279, 4, img.as_raw().len() as u32),
        ];
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, kind, value) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            if kind == 3 {
                out.extend_from_slice(&(value as u16).to_le_bytes());
                out.extend_from_slice(&[0, 0]);
            } else {
                out.extend_from_slice(&value.to_le_bytes());
            }
        }
        link_at = out.len();
        out.extend_from_slice(&[0; 4]);
    }
    if loop_back {
        out[link_at..link_at + 4].copy_from_slice(&first_ifd.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cross_reference_table_points_at_each_object() {
        let objects = [b"<< /Type /Catalog >>".to_vec(), stream("", b"q Q")];
        let bytes = pdf(&objects);
        let text = String::from_utf8_lossy(&bytes);
        let xref = text.find("\nxref\n").unwrap() + 1;
        let offsets: Vec<usize> = text[xref..]
            .lines()
            .skip(3)
            .take(2)
            .map(|l| l[..10].parse().unwrap())
            .collect();
        assert!(text[offsets[0]..].starts_with("1 0 obj\n<< /Type /Catalog >>"));
        assert!(text[offsets[1]..].starts_with("2 0 obj\n<<  /Length 3 >>\nstream\nq Q\n"));
        let startxref: usize = text.lines().rev().nth(1).unwrap().parse().unwrap();
        assert_eq!(startxref, xref);
    }

    #[test]
    fn a_segment_header_is_laid_out_as_t88_says() {
        let s = jbig2::segment(7, 39, 1, &[2], &[0xAA, 0xBB]);
        assert_eq!(s, [0, 0, 0, 7, 39, 0x20, 2, 1, 0, 0, 0, 2, 0xAA, 0xBB]);
        assert_eq!(jbig2::page_information(8, 2).len(), 19);
        assert_eq!(jbig2::region(8, 2).len(), 17);
    }
}
