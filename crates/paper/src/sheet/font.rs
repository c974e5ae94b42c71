//! Font metrics and wrapping for the PDF built-in fonts (Helvetica, Courier): which characters
//! they can print, how wide a string is, the size at which a line fits, and greedy word wrap.
//! Nothing is drawn here.

use printpdf::BuiltinFont;

use super::SheetError;

/// Smallest font size we shrink text to before giving up.
pub(crate) const MIN_FONT: f32 = 6.0;

/// Characters the built-in fonts can print: WinAnsiEncoding, as printpdf encodes it.
fn printable(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7E | 0xA0..=0xFF)
        || matches!(
            c,
            '\u{20AC}'
                | '\u{201A}'
                | '\u{0192}'
                | '\u{201E}'
                | '\u{2026}'
                | '\u{2020}'
                | '\u{2021}'
                | '\u{02C6}'
                | '\u{2030}'
                | '\u{0160}'
                | '\u{2039}'
                | '\u{0152}'
                | '\u{017D}'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201C}'
                | '\u{201D}'
                | '\u{2022}'
                | '\u{2013}'
                | '\u{2014}'
                | '\u{02DC}'
                | '\u{2122}'
                | '\u{0161}'
                | '\u{203A}'
                | '\u{0153}'
                | '\u{017E}'
                | '\u{0178}'
        )
}

/// `Ok` if every character of `s` prints, else [`SheetError::Unprintable`] naming `field` and the first character the
/// built-in fonts cannot print.
pub(crate) fn check_printable(field: &str, s: &str) -> Result<(), SheetError> {
    match s.chars().find(|&c| !printable(c)) {
        Some(ch) => Err(SheetError::Unprintable {
            field: field.to_string(),
            ch,
        }),
        None => Ok(()),
    }
}

/// The four built-in faces the sheets use.
#[derive(Clone, Copy)]
pub(crate) enum Face {
    Sans,
    SansBold,
    Mono,
    MonoBold,
}

/// Helvetica advance widths (1/1000 em) for WinAnsi 0x20..=0x7E (Adobe AFM metrics).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Helvetica-Bold advance widths (1/1000 em) for WinAnsi 0x20..=0x7E.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

impl Face {
    pub(crate) fn builtin(self) -> BuiltinFont {
        match self {
            Face::Sans => BuiltinFont::Helvetica,
            Face::SansBold => BuiltinFont::HelveticaBold,
            Face::Mono => BuiltinFont::Courier,
            Face::MonoBold => BuiltinFont::CourierBold,
        }
    }

    /// Advance of `c` in 1/1000 em; non-ASCII Latin letters are over-estimated a little,
    /// which only makes wrapping slightly conservative.
    fn advance(self, c: char) -> f32 {
        let table = match self {
            Face::Mono | Face::MonoBold => return 600.0,
            Face::Sans => &HELVETICA,
            Face::SansBold => &HELVETICA_BOLD,
        };
        match c {
            ' '..='~' => f32::from(table[c as usize - 0x20]),
            '\u{2014}' => 1000.0,
            '\u{2013}' => 556.0,
            _ => 722.0,
        }
    }

    pub(crate) fn width(self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.advance(c)).sum::<f32>() * size / 1000.0
    }
}

/// Largest size up to `max` at which `s` fits `width`; error below [`MIN_FONT`].
pub(crate) fn fit_size(
    what: &str,
    face: Face,
    s: &str,
    max: f32,
    width: f32,
) -> Result<f32, SheetError> {
    let natural = face.width(s, max);
    let size = if natural <= width {
        max
    } else {
        max * width / natural
    };
    if size < MIN_FONT {
        return Err(SheetError::DoesNotFit {
            what: what.to_string(),
        });
    }
    Ok(size)
}

/// Greedy word wrap; a word longer than the line is broken between characters.
pub(crate) fn wrap(s: &str, face: Face, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if face.width(&candidate, size) <= width {
            cur = candidate;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        for c in word.chars() {
            cur.push(c);
            if face.width(&cur, size) > width && cur.chars().count() > 1 {
                cur.pop();
                lines.push(std::mem::take(&mut cur));
                cur.push(c);
            }
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Splits "3. Do this" into ("3. ", "Do this") so wrapped lines hang under the text.
pub(crate) fn step_prefix(s: &str) -> (&str, &str) {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let b = s.as_bytes();
    if digits > 0
        && digits + 1 < b.len()
        && matches!(b[digits], b'.' | b')')
        && b[digits + 1] == b' '
    {
        let rest = s[digits + 2..].trim_start();
        (&s[..s.len() - rest.len()], rest)
    } else {
        ("", s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_and_prefix() {
        assert_eq!(step_prefix("12. Do it"), ("12. ", "Do it"));
        assert_eq!(step_prefix("No number"), ("", "No number"));
        let lines = wrap("aaa bbb ccc", Face::Mono, 10.0, 6.0 * 7.5);
        assert_eq!(lines, vec!["aaa bbb", "ccc"]);
    }
}
