//! Text from outside (names, doors and messages typed into Kisi, or sent by anyone who can reach the
//! webhook) on its way to a terminal: control characters are shown, never obeyed. An ESC could recolour
//! or erase a line and hide the "(unverified)" marker, OSC 52 could write the clipboard, a carriage
//! return could overwrite the line; bidirectional overrides could reorder what is read.

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1) and bidirectional override written out as
/// `\u{…}`, so it prints as what it is.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        // Recolour and erase the line, then OSC 52: write "evil" to the clipboard.
        let hostile = "Ada\u{1b}[2K\u{1b}[32mOK\u{1b}]52;c;ZXZpbA==\u{7}";
        let shown = visible(hostile);
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'), "{shown}");
        assert_eq!(shown, "Ada\\u{1b}[2K\\u{1b}[32mOK\\u{1b}]52;c;ZXZpbA==\\u{7}");
    }

    #[test]
    fn carriage_returns_c1_and_bidi_overrides_are_shown_too() {
        assert_eq!(visible("a\rb\u{9b}c\u{202e}d"), "a\\u{d}b\\u{9b}c\\u{202e}d");
    }

    #[test]
    fn ordinary_text_passes_untouched_and_unallocated() {
        for text in ["Zoë Šimić", "Main Entrance", "O'Brien, \"Jo\"", "Пётр 北京"] {
            assert!(matches!(visible(text), std::borrow::Cow::Borrowed(t) if t == text));
        }
    }
}
