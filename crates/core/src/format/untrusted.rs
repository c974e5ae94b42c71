//! Text from sheets, vaults, plans, logs and file names is untrusted: one place decides which
//! characters it may hold and how it is shown.
//!
//! A control character can drive a terminal (ESC and CSI sequences move the cursor, clear the
//! screen, set the title; BEL rings) and a bidirectional-formatting or line-separator character
//! can make text display as other text. New fields are refused when they hold one
//! ([`check_field`], [`check_text`]); anything shown on a terminal passes [`visible`] (or
//! [`visible_text`] for multi-line text), which makes such characters visible instead, so vaults
//! written by other tools or older versions cannot reach the terminal raw either. Pure
//! functions: no I/O. JSON output does not use this filter; its encoder escapes instead.

use std::borrow::Cow;
use std::fmt::Write as _;

/// What a character is, as far as showing it on a terminal goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CharClass {
    /// Shown as itself.
    Plain,
    /// Newline or tab: layout in multi-line text, a control character in a one-line field.
    Layout,
    /// Unicode category Cc: C0 (NUL, BEL, ESC …), DEL and C1 (incl. U+009B, the one-byte CSI).
    Control,
    /// Bidirectional formatting (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069): it makes text
    /// display in another order.
    Bidi,
    /// U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR: line breaks that are not `\n`.
    Separator,
}

/// Classifies one character.
pub fn classify(c: char) -> CharClass {
    match c {
        '\n' | '\t' => CharClass::Layout,
        c if c.is_control() => CharClass::Control,
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => CharClass::Bidi,
        '\u{2028}' | '\u{2029}' => CharClass::Separator,
        _ => CharClass::Plain,
    }
}

/// FORMAT.md §3 rule 6 for header labels: no Cc character, no bidirectional formatting. Frozen
/// with the format (a parser must not refuse what it accepted before); new fields are held to
/// the stricter [`check_field`].
pub fn breaks_label_rule(c: char) -> bool {
    matches!(
        classify(c),
        CharClass::Layout | CharClass::Control | CharClass::Bidi
    )
}

/// What is wrong with a field, without its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    Control,
    Bidi,
    Separator,
    /// A newline or tab in a field that is one line.
    LineBreak,
}

impl Problem {
    fn describe(self) -> &'static str {
        match self {
            Problem::Control => "a control character (such as an escape sequence or a bell)",
            Problem::Bidi => "a bidirectional-formatting character (it reorders displayed text)",
            Problem::Separator => "a Unicode line or paragraph separator",
            Problem::LineBreak => "a newline or tab, in a field that is one line",
        }
    }
}

/// A field holds a character that could drive a terminal or disguise text. Names the field, the
/// position and the code point, never the value.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{field} holds {} (U+{code:04X}, {}character {position}): remove it; only printable text is allowed here",
    problem.describe(),
    line.map(|l| format!("line {l}, ")).unwrap_or_default()
)]
pub struct FieldError {
    /// Where the text came from: "plan key `share[2].location`", "--share 2", "note 1 text".
    pub field: String,
    pub problem: Problem,
    /// The code point found.
    pub code: u32,
    /// 1-based line, for multi-line text ([`check_text`]).
    pub line: Option<usize>,
    /// 1-based character position in the field (in its line, for multi-line text).
    pub position: usize,
}

impl crate::ErrorKind for FieldError {
    /// What was found: `Control`, `Bidi`, `Separator` or `LineBreak`.
    fn own_kind(&self) -> &'static str {
        match self.problem {
            Problem::Control => "Control",
            Problem::Bidi => "Bidi",
            Problem::Separator => "Separator",
            Problem::LineBreak => "LineBreak",
        }
    }
}

fn check(s: &str, field: &dyn Fn() -> String, allow_layout: bool) -> Result<(), FieldError> {
    let (mut line, mut line_start) = (1, 0);
    let mut chars = s.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\n' {
            (line, line_start) = (line + 1, i + 1);
        }
        let problem = match classify(c) {
            CharClass::Plain => continue,
            CharClass::Layout if allow_layout => continue,
            // A Windows line end: nothing on the line is overwritten.
            CharClass::Control
                if allow_layout && c == '\r' && matches!(chars.peek(), Some((_, '\n'))) =>
            {
                continue;
            }
            CharClass::Layout => Problem::LineBreak,
            CharClass::Control => Problem::Control,
            CharClass::Bidi => Problem::Bidi,
            CharClass::Separator => Problem::Separator,
        };
        return Err(FieldError {
            field: field(),
            problem,
            code: u32::from(c),
            line: allow_layout.then_some(line),
            position: if allow_layout {
                i - line_start + 1
            } else {
                i + 1
            },
        });
    }
    Ok(())
}

/// Checks a one-line field (a name, label, UPN, tenant): printable text only.
///
/// # Errors
/// [`FieldError`] for the first control, bidirectional, separator, newline or tab character.
pub fn check_field(s: &str, field: impl Fn() -> String) -> Result<(), FieldError> {
    check(s, &field, false)
}

/// Checks multi-line text (a note's text): as [`check_field`], but newline, tab and a Windows
/// line end (CR LF) are allowed.
///
/// # Errors
/// [`FieldError`] for the first control (other than newline or tab), bidirectional or separator
/// character; a carriage return not followed by a newline is a control character here (it
/// returns to the start of the line and overwrites what was shown).
pub fn check_text(s: &str, field: impl Fn() -> String) -> Result<(), FieldError> {
    check(s, &field, true)
}

fn filter(s: &str, keep_layout: bool) -> Cow<'_, str> {
    let shown_as_is = |c: char| match classify(c) {
        CharClass::Plain => true,
        CharClass::Layout => keep_layout,
        _ => false,
    };
    if s.chars().all(shown_as_is) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if shown_as_is(c) {
            out.push(c);
        } else {
            write!(out, "\\u{{{:X}}}", u32::from(c)).expect("writing to a String cannot fail");
        }
    }
    Cow::Owned(out)
}

/// The display filter: untrusted one-line text as it may be shown on a terminal. Every control,
/// bidirectional-formatting and separator character (newline and tab included) is replaced by
/// its visible escape `\u{1B}`; everything else is shown unchanged. Borrows when nothing needs
/// escaping.
pub fn visible(s: &str) -> Cow<'_, str> {
    filter(s, false)
}

/// As [`visible`] for multi-line text (a note, an error with several lines): newline and tab
/// are kept, everything else the filter escapes is escaped (a carriage return too).
pub fn visible_text(s: &str) -> Cow<'_, str> {
    filter(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: [char; 16] = [
        '\u{0}', '\u{7}', '\u{1B}', '\r', '\u{7F}', '\u{80}', '\u{9B}', '\u{9F}', '\u{061C}',
        '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{2028}',
    ];

    #[test]
    fn classes_cover_every_listed_character() {
        for c in HOSTILE {
            assert_ne!(classify(c), CharClass::Plain, "{c:?}");
        }
        assert_eq!(classify('\u{2029}'), CharClass::Separator);
        assert_eq!(classify('\u{1B}'), CharClass::Control);
        assert_eq!(classify('\u{9B}'), CharClass::Control);
        assert_eq!(classify('\u{202E}'), CharClass::Bidi);
        assert_eq!(classify('\n'), CharClass::Layout);
        assert_eq!(classify('\t'), CharClass::Layout);
        // Neighbours of every range are plain.
        for c in [
            ' ', '~', '\u{A0}', '\u{061B}', '\u{061D}', '\u{200D}', '\u{2010}', '\u{2027}',
            '\u{202F}', '\u{2065}', '\u{206A}', 'ü', '—', '€', '😀',
        ] {
            assert_eq!(classify(c), CharClass::Plain, "{c:?}");
        }
    }

    #[test]
    fn the_frozen_label_rule_is_cc_and_bidi_only() {
        for c in [
            '\u{0}', '\n', '\t', '\u{1B}', '\u{9B}', '\u{202E}', '\u{061C}',
        ] {
            assert!(breaks_label_rule(c), "{c:?}");
        }
        for c in ['a', '\u{2028}', '\u{2029}', '\u{200D}'] {
            assert!(!breaks_label_rule(c), "{c:?}");
        }
    }

    #[test]
    fn fields_refuse_and_name_without_echoing() {
        assert_eq!(check_field("Dana Müller — Zürich", || "x".into()), Ok(()));
        assert_eq!(check_field("", || "x".into()), Ok(()));
        for c in HOSTILE.into_iter().chain(['\n', '\t', '\u{2029}']) {
            let value = format!("ab{c}SECRETVALUE");
            let e = check_field(&value, || "plan key share[1].location".into()).unwrap_err();
            assert_eq!((e.line, e.position), (None, 3));
            assert_eq!(e.code, u32::from(c));
            let m = e.to_string();
            assert!(m.starts_with("plan key share[1].location holds "), "{m}");
            assert!(!m.contains("SECRETVALUE") && !m.contains(c), "{m:?}");
        }
        let e = check_field("x\u{1B}", || "f".into()).unwrap_err();
        assert_eq!(e.problem, Problem::Control);
        assert!(e.to_string().contains("U+001B, character 2"), "{e}");
        assert_eq!(
            check_field("a\nb", || "f".into()).unwrap_err().problem,
            Problem::LineBreak
        );
        assert_eq!(
            check_field("\u{2066}", || "f".into()).unwrap_err().problem,
            Problem::Bidi
        );
        assert_eq!(
            check_field("\u{2028}", || "f".into()).unwrap_err().problem,
            Problem::Separator
        );
    }

    #[test]
    fn text_allows_newline_and_tab_only() {
        assert_eq!(check_text("a\tb\nc\n", || "t".into()), Ok(()));
        assert_eq!(check_text("a\r\nb\r\n", || "t".into()), Ok(()));
        let e = check_text("ok\nok\n\tab\u{1B}[2J", || "the text of note 1".into()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the text of note 1 holds a control character (such as an escape sequence or a bell) \
             (U+001B, line 3, character 4): remove it; only printable text is allowed here"
        );
        for lone in ["a\rb", "a\r", "a\r\r\n"] {
            let e = check_text(lone, || "t".into()).unwrap_err();
            assert_eq!((e.code, e.line, e.position), (0x0D, Some(1), 2), "{lone:?}");
        }
        assert_eq!(check_field("a\r\n", || "f".into()).unwrap_err().code, 0x0D);
        for c in HOSTILE {
            let e = check_text(&format!("line\n{c}"), || "t".into()).unwrap_err();
            assert_eq!(
                (e.code, e.line, e.position),
                (u32::from(c), Some(2), 1),
                "{c:?}"
            );
        }
    }

    #[test]
    fn visible_escapes_what_it_must_and_nothing_else() {
        assert!(matches!(visible("Safe A — Zürich"), Cow::Borrowed(_)));
        assert!(matches!(visible_text("a\n\tb"), Cow::Borrowed(_)));
        assert_eq!(visible("\u{1B}]0;pwned\u{7}"), "\\u{1B}]0;pwned\\u{7}");
        assert_eq!(visible("a\nb\tc"), "a\\u{A}b\\u{9}c");
        assert_eq!(visible_text("a\nb\tc\r"), "a\nb\tc\\u{D}");
        assert_eq!(
            visible("x\u{202E}y\u{2028}\u{9B}\u{0}"),
            "x\\u{202E}y\\u{2028}\\u{9B}\\u{0}"
        );
        for c in HOSTILE {
            let shown = visible(&format!("a{c}b")).into_owned();
            assert!(
                shown.chars().all(|c| classify(c) == CharClass::Plain),
                "{shown:?}"
            );
            let shown = visible_text(&format!("a\n{c}b")).into_owned();
            assert!(
                shown
                    .chars()
                    .all(|c| matches!(classify(c), CharClass::Plain | CharClass::Layout)),
                "{shown:?}"
            );
        }
    }
}
