//! QR choice: every payload as one explicit alphanumeric segment at level Q, in the smallest
//! version up to [`MAX_QR_VERSION`] that holds it, and the vault's parts encoded once for a
//! whole set of sheets. The result is reduced to what a page draws: the dark rectangles.

use qrcode::bits::Bits;
use qrcode::{EcLevel, QrCode, Version};

use super::SheetError;
use super::pdf::{Form, form_of_rects};

/// Error-correction level of every code: survives ~25 % damage (stains, folds).
pub(crate) const EC: EcLevel = EcLevel::Q;
/// Quiet zone in modules, as the QR standard requires.
pub(crate) const QUIET: usize = 4;

/// Largest QR version accepted (105 modules, 823 alphanumeric chars at Q): four such
/// codes still fit page 1 of a Letter sheet at the minimum module size.
pub(crate) const MAX_QR_VERSION: i16 = 22;

/// Most vault parts a sheet prints: a 12,288-byte envelope (FORMAT.md §3) is 984 lines,
/// `breakglass_core::MAX_VAULT_QR_PARTS` parts of at most 32 lines (§6.4); the rest is headroom.
pub(crate) const MAX_VAULT_PARTS: usize = 64;

/// The vault's QR codes, encoded once and drawn on every sheet of a ceremony: they are the
/// same on every sheet, and encoding (mask selection above all) is most of a sheet's cost.
pub struct VaultCodes {
    pub(crate) payloads: Vec<String>,
    pub(crate) codes: Vec<DrawnCode>,
    /// Each code as a Form XObject, its stream compressed once here: every sheet of the set
    /// places the same object instead of drawing and compressing the code again.
    pub(crate) forms: Vec<Form>,
}

impl VaultCodes {
    /// Encodes each payload as one alphanumeric QR code at level Q.
    ///
    /// # Errors
    /// [`SheetError::VaultPartCount`] for no payload, [`SheetError::QrTooLarge`],
    /// [`SheetError::QrNotAlphanumeric`] or [`SheetError::QrEmpty`] for a bad one.
    pub fn encode<S: AsRef<str>>(payloads: &[S]) -> Result<Self, SheetError> {
        if payloads.is_empty() || payloads.len() > MAX_VAULT_PARTS {
            return Err(SheetError::VaultPartCount {
                count: payloads.len(),
            });
        }
        let codes = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                encode_qr(&format!("vault_qr[{i}]"), p.as_ref()).map(|c| DrawnCode {
                    form: Some(format!("BgVault{i}")),
                    ..DrawnCode::new(&c)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let forms = codes.iter().map(Form::of).collect();
        Ok(Self {
            payloads: payloads.iter().map(|p| p.as_ref().to_string()).collect(),
            codes,
            forms,
        })
    }
}

/// The characters of the QR alphanumeric mode.
fn is_qr_alphanumeric(c: char) -> bool {
    matches!(c, '0'..='9' | 'A'..='Z' | ' ' | '$' | '%' | '*' | '+' | '-' | '.' | '/' | ':')
}

/// The payload as one alphanumeric segment in a code of `version`, or `None` if too long.
pub(crate) fn alphanumeric_bits(payload: &str, version: i16) -> Option<Bits> {
    let mut bits = Bits::new(Version::Normal(version));
    bits.push_alphanumeric_data(payload.as_bytes()).ok()?;
    bits.push_terminator(EC).ok()?;
    Some(bits)
}

/// Most alphanumeric characters one code of `version` holds at level Q.
pub(crate) fn alphanumeric_capacity(version: i16) -> usize {
    let data_bits = Bits::new(Version::Normal(version)).max_len(EC).unwrap_or(0);
    let count_bits = match version {
        1..=9 => 9,
        10..=26 => 11,
        _ => 13,
    };
    let avail = data_bits.saturating_sub(4 + count_bits);
    2 * (avail / 11) + usize::from(avail % 11 >= 6)
}

/// Encode in the smallest version that holds the payload as one alphanumeric segment.
pub(crate) fn encode_qr(field: &str, payload: &str) -> Result<QrCode, SheetError> {
    if payload.is_empty() {
        return Err(SheetError::QrEmpty {
            field: field.to_string(),
        });
    }
    if let Some((pos, ch)) = payload
        .chars()
        .enumerate()
        .find(|&(_, c)| !is_qr_alphanumeric(c))
    {
        return Err(SheetError::QrNotAlphanumeric {
            field: field.to_string(),
            ch,
            pos,
        });
    }
    let too_large = || SheetError::QrTooLarge {
        field: field.to_string(),
        len: payload.len(),
        max: alphanumeric_capacity(MAX_QR_VERSION),
    };
    if payload.len() > alphanumeric_capacity(MAX_QR_VERSION) {
        return Err(too_large());
    }
    let bits = (1..=MAX_QR_VERSION)
        .find_map(|v| alphanumeric_bits(payload, v))
        .ok_or_else(too_large)?;
    QrCode::with_bits(bits, EC).map_err(|e| SheetError::Qr {
        field: field.to_string(),
        reason: e.to_string(),
    })
}

/// Dark modules as rectangles `[x0, y0, x1, y1)` in module units: horizontal runs,
/// merged with identical runs in the rows below (fewer, larger rectangles).
fn dark_rects(code: &QrCode) -> Vec<[usize; 4]> {
    let n = code.width();
    let colors = code.to_colors();
    let mut done = Vec::new();
    let mut open: Vec<(usize, usize, usize)> = Vec::new(); // (x0, x1, y0)
    for y in 0..=n {
        let mut runs = Vec::new();
        if y < n {
            let row = &colors[y * n..(y + 1) * n];
            let mut x = 0;
            while x < n {
                if row[x] == qrcode::Color::Dark {
                    let start = x;
                    while x < n && row[x] == qrcode::Color::Dark {
                        x += 1;
                    }
                    runs.push((start, x));
                } else {
                    x += 1;
                }
            }
        }
        let mut next = Vec::with_capacity(runs.len());
        for (x0, x1) in runs {
            match open.iter().position(|o| o.0 == x0 && o.1 == x1) {
                Some(i) => next.push(open.remove(i)),
                None => next.push((x0, x1, y)),
            }
        }
        done.extend(open.drain(..).map(|(x0, x1, y0)| [x0, y0, x1, y]));
        open = next;
    }
    done
}

/// A code reduced to what the page needs: its size and the dark rectangles.
pub(crate) struct DrawnCode {
    /// Side including the quiet zone, in modules.
    pub(crate) span: usize,
    /// Dark rectangles `[x0, y0, x1, y1)` in modules, quiet zone excluded.
    pub(crate) rects: Vec<[usize; 4]>,
    /// The name of the Form XObject that draws it, when it has one (the vault's codes).
    pub(crate) form: Option<String>,
}

impl DrawnCode {
    pub(crate) fn new(code: &QrCode) -> Self {
        Self {
            span: code.width() + 2 * QUIET,
            rects: dark_rects(code),
            form: None,
        }
    }
}

impl Form {
    /// The code's Form XObject, named as the code says.
    fn of(code: &DrawnCode) -> Self {
        let name = code.form.clone().expect("vault codes are named");
        form_of_rects(name, code.span - 2 * QUIET, &code.rects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_uses_one_alphanumeric_segment_at_level_q() {
        let payload = "BG1-S-5:7K3MQ2XA9ZKMD2XAP5N8H3JT6R7K3MQ2XA9ZKMD2XAP5N8H3JT6R";
        let bits = (1..=MAX_QR_VERSION)
            .find_map(|v| alphanumeric_bits(payload, v))
            .unwrap();
        assert_eq!(
            bits.into_bytes()[0] >> 4,
            0b0010,
            "mode indicator is not alphanumeric"
        );
        let code = encode_qr("share_qr", payload).unwrap();
        assert_eq!(code.error_correction_level(), EcLevel::Q);
        // The largest code holds what MAX_QR_VERSION's doc says, above the core's ~790.
        assert_eq!(alphanumeric_capacity(MAX_QR_VERSION), 823);
        // Capacity formula agrees with the encoder at the limits.
        for v in [1, 9, 10, 20, 25] {
            let cap = alphanumeric_capacity(v);
            assert!(
                alphanumeric_bits(&"A".repeat(cap), v).is_some(),
                "v{v} cap {cap}"
            );
            assert!(
                alphanumeric_bits(&"A".repeat(cap + 1), v).is_none(),
                "v{v} cap {cap}"
            );
        }
    }

    #[test]
    fn merged_rectangles_cover_exactly_the_dark_modules() {
        let code = encode_qr("t", "HELLO WORLD 123").unwrap();
        let n = code.width();
        let mut painted = vec![0u8; n * n];
        for [x0, y0, x1, y1] in dark_rects(&code) {
            for y in y0..y1 {
                for x in x0..x1 {
                    painted[y * n + x] += 1;
                }
            }
        }
        for (i, c) in code.to_colors().iter().enumerate() {
            assert_eq!(
                painted[i],
                u8::from(*c == qrcode::Color::Dark),
                "module {i}"
            );
        }
    }
}
