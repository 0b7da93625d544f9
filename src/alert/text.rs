//! An alert's text as a notification server reads it. Freedesktop servers (Linux) render a subset of
//! HTML in the body (`<b>`, `<i>`, `<u>`, `<a href>`, `<img>`) and some refuse a stray `&`, so the names
//! and messages an alert quotes from an event (anyone who can reach the webhook writes them) are
//! escaped: an `actor_name` of `<a href=…>Re-authenticate</a>` shows as that text, never as a link.
//! (macOS and Windows show the body as plain text.)

use std::borrow::Cow;

/// `text` with `&`, `<`, `>`, `"` and `'` escaped for the freedesktop markup subset.
pub fn freedesktop_body(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::freedesktop_body;

    #[test]
    fn a_link_in_a_name_is_shown_as_text() {
        let hostile = r#"<a href="https://evil.example/login">Re-authenticate</a> at Main Entrance"#;
        assert_eq!(
            freedesktop_body(hostile),
            "&lt;a href=&quot;https://evil.example/login&quot;&gt;Re-authenticate&lt;/a&gt; at Main Entrance"
        );
    }

    #[test]
    fn an_ampersand_is_escaped_and_plain_text_is_left_alone() {
        assert_eq!(freedesktop_body("Tom & Jerry's <b>"), "Tom &amp; Jerry&#39;s &lt;b&gt;");
        assert!(matches!(freedesktop_body("Grace Hopper at 09:12"), Cow::Borrowed(_)));
    }

    use std::borrow::Cow;
}
