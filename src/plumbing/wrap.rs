//! Wrapping text at the terminal's width, on spaces: the one helper every paragraph shown on a
//! terminal goes through (prompts' introductions, closing advice, the ceremony's checklist, the
//! credential display). It decides nothing about what is said.

use zeroize::Zeroizing;

pub fn width(s: &str) -> usize {
    s.chars().count()
}

/// Lines for `pieces` after `prefix`, wrapped at `cols`; a piece longer than a line is broken.
pub fn wrap(prefix: &str, pieces: &[&str], sep: &str, cols: usize) -> Vec<Zeroizing<String>> {
    let indent = " ".repeat(width(prefix));
    let fresh = |start: &str| {
        let mut s = Zeroizing::new(String::with_capacity(cols.min(512) * 4 + 64));
        s.push_str(start);
        s
    };
    let mut lines = Vec::new();
    let mut line = fresh(prefix);
    let mut empty = true;
    for piece in pieces {
        let n = width(piece);
        if !empty && width(&line) + sep.len() + n > cols {
            lines.push(std::mem::replace(&mut line, fresh(&indent)));
            empty = true;
        }
        if empty && width(&line) + n > cols {
            for c in piece.chars() {
                if !empty && width(&line) + 1 > cols {
                    lines.push(std::mem::replace(&mut line, fresh(&indent)));
                }
                line.push(c);
                empty = false;
            }
            continue;
        }
        if !empty {
            line.push_str(sep);
        }
        line.push_str(piece);
        empty = false;
    }
    lines.push(line);
    lines
}

/// Text wrapped at spaces; its leading spaces are kept, continuation lines get two more.
pub fn wrap_text(text: &str, cols: usize) -> Vec<Zeroizing<String>> {
    let lead = text.len() - text.trim_start().len();
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut lines = wrap(&" ".repeat(lead + 2), &words, " ", cols);
    // The first line starts at the text's own indent, not the continuation indent.
    if let Some(first) = lines.first_mut() {
        let trimmed = Zeroizing::new(format!("{}{}", " ".repeat(lead), first.trim_start()));
        *first = trimmed;
    }
    lines
}

/// Each paragraph of `text` (its own lines) wrapped at `cols`, joined by newlines.
pub fn paragraphs(text: &str, cols: usize) -> String {
    let mut out = String::new();
    for (i, p) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if p.trim().is_empty() {
            continue;
        }
        let lines: Vec<String> = wrap_text(p, cols).iter().map(|l| l.to_string()).collect();
        out.push_str(&lines.join("\n"));
    }
    out
}

/// The width to wrap standard error at: the terminal's, when standard error is one; `None`
/// for a pipe or a file, where a line stays whole so that it can be searched.
pub fn stderr_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    super::terminal::Tty::open()
        .ok()
        .and_then(|t| t.size())
        .map(|s| s.cols)
}

/// The width to wrap standard output at: the terminal's, when standard output is one.
pub fn stdout_width() -> Option<usize> {
    if !super::stdout::is_terminal() {
        return None;
    }
    super::terminal::Tty::open()
        .ok()
        .and_then(|t| t.size())
        .map(|s| s.cols)
}

/// `text` wrapped at `cols` when there is a width, else as it is.
pub fn fit(text: &str, cols: Option<usize>) -> String {
    match cols {
        Some(c) => paragraphs(text, c),
        None => text.to_string(),
    }
}

/// Prints `text` on standard error, each paragraph wrapped at the terminal's width.
pub fn eprintln_wrapped(text: &str) {
    eprintln!("{}", fit(text, stderr_width()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_break_on_spaces_never_inside_a_word() {
        let text = "rotate runs offline: disconnect this computer first, then enter the new-sheets credentials created today\n\n  Next: give each custodian a sheet";
        let out = paragraphs(text, 30);
        for line in out.lines() {
            assert!(line.chars().count() <= 30, "{line:?}");
        }
        let words: Vec<&str> = out.split_whitespace().collect();
        assert_eq!(words, text.split_whitespace().collect::<Vec<_>>());
        assert!(out.contains("new-sheets"));
        // The blank line between paragraphs and the indent of each are kept.
        assert!(out.contains("\n\n  Next:"), "{out}");
    }

    #[test]
    fn a_word_longer_than_the_line_is_broken_rather_than_overflowing() {
        let out = paragraphs("a 0123456789012345", 8);
        assert!(out.lines().all(|l| l.chars().count() <= 8), "{out}");
    }
}
