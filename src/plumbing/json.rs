//! JSON output that is exact and still safe on a terminal.
//!
//! serde_json escapes U+0000–U+001F but writes DEL, the C1 controls (U+009B is a one-character
//! CSI on many terminals), bidirectional-formatting characters and U+2028/U+2029 as raw UTF-8.
//! This formatter writes those as `\uXXXX` escapes as well: the JSON value is the same (every
//! decoder reads the escape as the character), only the bytes on the terminal are harmless.

use breakglass_core::untrusted::{CharClass, classify};
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use std::io::{self, Write};

/// Writes `value` as pretty JSON with every character the display filter would escape written
/// as a JSON `\uXXXX` escape.
pub fn to_writer_pretty<W: Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        writer,
        SafeFormatter {
            layout: PrettyFormatter::new(),
        },
    );
    value.serialize(&mut ser)
}

/// As [`to_writer_pretty`], on one line (a JSON-lines log): the same escapes.
pub fn to_writer<W: Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        writer,
        SafeFormatter {
            layout: CompactFormatter,
        },
    );
    value.serialize(&mut ser)
}

/// Every report's first two keys (FORMAT.md §12): which schema, and its version.
#[derive(serde::Serialize, Debug, Clone, Copy)]
pub struct Header {
    pub format: &'static str,
    pub version: u32,
}

impl Header {
    /// Version 1 of the schema named `format` (`breakglass-inspect`, ...).
    pub const fn v1(format: &'static str) -> Self {
        Self { format, version: 1 }
    }
}

/// Writes `value` to standard output as one pretty JSON document and a newline: the one way
/// every command's `--json` reaches the terminal or a pipe.
pub fn print<T: serde::Serialize + ?Sized>(value: &T) -> super::CliResult {
    super::stdout::with(|out| {
        to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
        writeln!(out)
    })
}

/// Escapes what the display filter would; `layout` lays out the document (pretty or compact).
struct SafeFormatter<L> {
    layout: L,
}

impl<L: Formatter> Formatter for SafeFormatter<L> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if classify(c) == CharClass::Plain {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            // Only characters below U+10000 are ever escaped: one \u escape each.
            write!(writer, "\\u{:04x}", u32::from(c))?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.layout.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.layout.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.layout.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.layout.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.layout.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.layout.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.layout.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.layout.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.layout.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        to_writer_pretty(&mut out, v).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn same_value_harmless_bytes() {
        let text = "a\u{1b}[2J\u{7}\u{9b}\u{7f}\u{202e}\u{2028}\u{0}\n\tü😀\"\\";
        let v = serde_json::json!({ "k\u{9b}": [text, 1, "plain"], "n": { "x": null } });
        let out = json(&v);
        assert!(
            !out.chars().any(|c| c.is_control() && c != '\n' && c != ' ')
                && !out.contains('\u{202e}')
                && !out.contains('\u{2028}'),
            "{out:?}"
        );
        assert!(out.contains("\\u009b") && out.contains("\\u202e") && out.contains("ü😀"));
        // Exactly the same value, and the same layout as serde_json's own pretty printer.
        assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap(), v);
        let plain = serde_json::json!({ "a": [1, "b"], "c": {} });
        assert_eq!(json(&plain), serde_json::to_string_pretty(&plain).unwrap());
    }

    #[test]
    fn one_line_same_escapes() {
        let v = serde_json::json!({ "k": ["a\u{9b}\u{7f}\u{202e}\u{2029}b", 1], "n": {} });
        let mut out = Vec::new();
        to_writer(&mut out, &v).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out, r#"{"k":["a\u009b\u007f\u202e\u2029b",1],"n":{}}"#);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap(), v);
    }
}
