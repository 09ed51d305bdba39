//! Control characters from cluster or bundle data (pod names, event messages, log lines) are
//! escaped before they reach a terminal: an ESC in a pod name could otherwise clear the screen,
//! retitle the window or write the clipboard (OSC 52). Applied at the print layer, to data only,
//! so mayadiag's own colours still work.

use std::borrow::Cow;

use serde_json::Value;

/// Whether a character must not reach a terminal raw: C0 controls but newline and tab, DEL, C1
/// controls (U+0080–U+009F, e.g. the 8-bit CSI), and the bidirectional overrides that reorder
/// what is shown.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every unsafe character written as a visible escape (`\e`, `\r`, `\x07`, `\u{9b}`).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\u{1b}' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// One line of data, with newlines escaped too (a reason or name that must stay on its line).
pub fn escape_line(s: &str) -> String {
    escape(s).replace('\n', "\\n")
}

/// Escape every string (keys too) inside a JSON value in place.
pub fn escape_value(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Cow::Owned(e) = escape(s) {
                *s = e;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(escape_value),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (k, mut val) in entries {
                escape_value(&mut val);
                map.insert(escape(&k).into_owned(), val);
            }
        }
        _ => {}
    }
}

/// A copy of a serializable value with every string escaped (the analysis before it is rendered
/// as text). Falls back to the value itself when it does not round-trip.
pub fn escaped<T: serde::Serialize + serde::de::DeserializeOwned + Clone>(value: &T) -> T {
    let Ok(mut v) = serde_json::to_value(value) else { return value.clone() };
    escape_value(&mut v);
    serde_json::from_value(v).unwrap_or_else(|_| value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_only() {
        assert_eq!(escape("plain\ttext\nline"), "plain\ttext\nline");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("pod-\u{1b}]52;c;ZXZpbA==\u{7}x"), "pod-\\e]52;c;ZXZpbA==\\x07x");
        assert_eq!(escape("a\u{1b}[2Jb\rc"), "a\\e[2Jb\\rc");
        assert_eq!(escape("\u{9b}31m\u{7f}"), "\\u{9b}31m\\x7f");
        assert_eq!(escape("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(escape_line("a\nb"), "a\\nb");
    }

    #[test]
    fn escapes_inside_values() {
        let mut v = serde_json::json!({"name\u{1b}": ["x\u{1b}[31m", 1, {"m": "\u{7}"}]});
        escape_value(&mut v);
        assert_eq!(v, serde_json::json!({"name\\e": ["x\\e[31m", 1, {"m": "\\x07"}]}));
    }
}
