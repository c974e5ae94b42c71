//! The compiled terminfo reader: which bytes enter and leave a terminal's alternate screen.
//!
//! Pure: bytes in, bytes out, std only, no file or terminal access ([`super::terminal`] finds
//! and reads the entry). The file has no `use` of the binary's other modules, so the fuzz
//! target `terminfo` (fuzz/README.md) compiles it as it is.

/// `smcup` and `rmcup` from a compiled terminfo entry (term(5), legacy or 32-bit format), with
/// padding (`$<5>`) removed; `None` when either is absent or the entry is malformed.
pub fn alternate_screen_from_terminfo(entry: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    const SMCUP: usize = 28;
    const RMCUP: usize = 40;
    let word = |at: usize| -> Option<i32> {
        let b = entry.get(at..at + 2)?;
        Some(i32::from(i16::from_le_bytes([b[0], b[1]])))
    };
    let number_bytes = match word(0)? {
        0o432 => 2,
        0o1036 => 4,
        _ => return None,
    };
    let names = usize::try_from(word(2)?).ok()?;
    let bools = usize::try_from(word(4)?).ok()?;
    let numbers = usize::try_from(word(6)?).ok()?;
    let strings = usize::try_from(word(8)?).ok()?;
    let table_len = usize::try_from(word(10)?).ok()?;
    let mut at = 12 + names + bools;
    at += at % 2; // numbers start on an even byte
    let offsets = at + numbers * number_bytes;
    let table = offsets + strings * 2;
    let table_bytes = entry.get(table..table + table_len)?;
    let cap = |i: usize| -> Option<Vec<u8>> {
        if i >= strings {
            return None;
        }
        let off = usize::try_from(word(offsets + 2 * i)?).ok()?; // -1/-2: absent or cancelled
        let rest = table_bytes.get(off..)?;
        let s = &rest[..rest.iter().position(|&b| b == 0)?];
        Some(strip_padding(s)).filter(|s| !s.is_empty())
    };
    Some((cap(SMCUP)?, cap(RMCUP)?))
}

/// Removes terminfo padding specifications (`$<…>`), which are delays, not bytes to send.
fn strip_padding(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'$'
            && s.get(i + 1) == Some(&b'<')
            && let Some(end) = s[i..].iter().position(|&b| b == b'>')
        {
            i += end + 1;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal legacy-format entry with the given string capabilities at their indexes.
    fn entry(caps: &[(usize, &[u8])]) -> Vec<u8> {
        let names = b"test|a test terminal\0";
        let strings = 41usize;
        let mut table = Vec::new();
        let mut offsets = vec![-1i16; strings];
        for (i, s) in caps {
            offsets[*i] = table.len() as i16;
            table.extend_from_slice(s);
            table.push(0);
        }
        let mut e = Vec::new();
        for w in [
            0o432,
            names.len() as i16,
            1,
            0,
            strings as i16,
            table.len() as i16,
        ] {
            e.extend_from_slice(&w.to_le_bytes());
        }
        e.extend_from_slice(names);
        e.push(1); // one boolean; 12 + 21 + 1 = 34 is already even
        for o in offsets {
            e.extend_from_slice(&o.to_le_bytes());
        }
        e.extend_from_slice(&table);
        e
    }

    #[test]
    fn terminfo_smcup_and_rmcup_are_read_and_padding_removed() {
        let e = entry(&[(28, b"\x1b[?1049h$<5>"), (40, b"\x1b[?1049l")]);
        assert_eq!(
            alternate_screen_from_terminfo(&e),
            Some((b"\x1b[?1049h".to_vec(), b"\x1b[?1049l".to_vec()))
        );
    }

    #[test]
    fn a_terminal_without_rmcup_has_no_alternate_screen() {
        assert_eq!(
            alternate_screen_from_terminfo(&entry(&[(28, b"\x1b[?1049h")])),
            None
        );
        assert_eq!(alternate_screen_from_terminfo(&entry(&[])), None);
        assert_eq!(alternate_screen_from_terminfo(b"not terminfo"), None);
        let mut truncated = entry(&[(28, b"a"), (40, b"b")]);
        truncated.truncate(truncated.len() - 3);
        assert_eq!(alternate_screen_from_terminfo(&truncated), None);
    }
}
