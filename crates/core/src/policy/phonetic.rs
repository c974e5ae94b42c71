//! Reading credentials aloud: groups of four and a NATO-alphabet spelling with case marked.
//!
//! Used by the enrollment display so two people can read and check a password without
//! confusing `l` and `1` or lower and upper case.

const NATO: [&str; 26] = [
    "alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
    "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
];
const DIGITS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// The spoken name of one character: `lower alfa`, `UPPER BRAVO`, `seven`, `hash`.
pub fn spell_char(c: char) -> String {
    match c {
        'a'..='z' => format!("lower {}", NATO[c as usize - 'a' as usize]),
        'A'..='Z' => format!(
            "UPPER {}",
            NATO[c as usize - 'A' as usize].to_ascii_uppercase()
        ),
        '0'..='9' => DIGITS[c as usize - '0' as usize].to_string(),
        _ => match c {
            '!' => "exclamation",
            '"' => "double-quote",
            '#' => "hash",
            '$' => "dollar",
            '%' => "percent",
            '&' => "ampersand",
            '\'' => "apostrophe",
            '(' => "open-paren",
            ')' => "close-paren",
            '*' => "asterisk",
            '+' => "plus",
            ',' => "comma",
            '-' => "dash",
            '.' => "dot",
            '/' => "slash",
            ':' => "colon",
            ';' => "semicolon",
            '<' => "less-than",
            '=' => "equals",
            '>' => "greater-than",
            '?' => "question",
            '@' => "at",
            '[' => "open-bracket",
            '\\' => "backslash",
            ']' => "close-bracket",
            '^' => "caret",
            '_' => "underscore",
            '`' => "backtick",
            '{' => "open-brace",
            '|' => "pipe",
            '}' => "close-brace",
            '~' => "tilde",
            ' ' => "space",
            _ => "(other)",
        }
        .to_string(),
    }
}

/// Groups of four characters separated by spaces.
pub fn groups_of_four(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(4)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One row per group of four: the group and the spoken names of its characters.
pub fn spelled_groups(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(4)
        .map(|g| {
            let group: String = g.iter().collect();
            let words: Vec<String> = g.iter().map(|&c| spell_char(c)).collect();
            format!("{group:<4}  {}", words.join(", "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_marks_case_and_names_symbols() {
        assert_eq!(spell_char('a'), "lower alfa");
        assert_eq!(spell_char('Q'), "UPPER QUEBEC");
        assert_eq!(spell_char('7'), "seven");
        assert_eq!(spell_char('#'), "hash");
        assert_eq!(groups_of_four("abcdefghij"), "abcd efgh ij");
        let rows = spelled_groups("aB3#x");
        assert_eq!(rows[0], "aB3#  lower alfa, UPPER BRAVO, three, hash");
        assert_eq!(rows[1], "x     lower xray");
        // Every character a password can hold has a name.
        for c in (0x21u8..0x7f).map(char::from) {
            assert_ne!(spell_char(c), "(other)", "{c}");
        }
    }
}
