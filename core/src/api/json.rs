//! A small JSON writer: request bodies and the proxy's answers, written in the order given
//! with borrowed strings. (Answers are read with serde; see `model`.)

use std::borrow::Cow;

/// A JSON value to write. Strings borrow what they can (a model written for JavaScript
/// copies none of its text).
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(u64),
    /// A string.
    Str(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object, keys in the order given.
    Object(Vec<(&'static str, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// A string value (borrowed or owned).
    pub fn str(text: impl Into<Cow<'a, str>>) -> Json<'a> {
        Json::Str(text.into())
    }

    /// The JSON text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => write_u64(out, *n),
            Json::Str(text) => write_string(out, text),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, key);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// Appends `text` as a JSON string (RFC 8259 escapes), copying unescaped runs whole.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    let bytes = text.as_bytes();
    let (mut run, mut i) = (0, 0);
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            // Runs end at ASCII bytes, so they are whole characters.
            out.push_str(text.get(run..i).unwrap_or_default());
            match byte {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.push_str("\\u00");
                    out.push(char::from(HEX[usize::from(byte >> 4)]));
                    out.push(char::from(HEX[usize::from(byte & 15)]));
                }
            }
            run = i + 1;
        }
        i += 1;
    }
    out.push_str(text.get(run..).unwrap_or_default());
    out.push('"');
}

/// Appends `n` in decimal (without `core::fmt`, which is slower and larger).
pub fn write_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_json() {
        let doc = Json::Object(vec![
            ("a", Json::str("q\"\\\n\u{1}é")),
            ("b", Json::Int(7)),
            (
                "c",
                Json::Object(vec![("d", Json::Bool(true)), ("e", Json::Null)]),
            ),
            ("f", Json::Array(vec![Json::Int(1), Json::str("x")])),
        ]);
        let text = doc.render();
        assert_eq!(
            text,
            r#"{"a":"q\"\\\n\u0001é","b":7,"c":{"d":true,"e":null},"f":[1,"x"]}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["a"], "q\"\\\n\u{1}é");
    }

    #[test]
    fn writes_every_integer_and_control_character() {
        for n in [0, 7, 10, 99, 100, 65_535, 9_007_199_254_740_993, u64::MAX] {
            let mut out = String::new();
            write_u64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
        let all: String = (0u8..0x80).map(char::from).chain("é😀".chars()).collect();
        let text = Json::str(all.clone()).render();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, serde_json::Value::String(all));
    }
}
