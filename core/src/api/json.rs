//! JSON without a JSON library: [`parse`] reads the API's answers into an [`Arg`] tree (the
//! same tree JS values become, so one set of readers serves both), and [`Json`] writes
//! request bodies, the proxy's answers and the objects handed to JavaScript.

use std::borrow::Cow;

use super::params::Arg;

/// Nesting deeper than this is refused (the API's answers nest four levels).
const MAX_DEPTH: u32 = 32;
/// Keys an object may have (the API's have about 30). A repeated key is found by a scan of
/// the object's keys so far, so this bound keeps parsing linear in the text's length: at
/// most 256 comparisons per key.
const MAX_KEYS: usize = 256;

/// Parses a JSON document. Objects become [`Arg::Map`] (a repeated key keeps its last
/// value, as `JSON.parse` does), arrays [`Arg::List`], `null` `Arg::Other("null")`.
/// Numbers with a fraction or exponent are read approximately (the API's numbers that
/// matter are integers; the readers drop fractional ones).
pub fn parse(text: &str) -> Result<Arg, String> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.pos != parser.bytes.len() {
        return Err(parser.error("unexpected text after the value"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.pos)
    }

    fn skip_space(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        let found = self.bytes.get(self.pos) == Some(&byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn literal(&mut self, word: &str, value: Arg) -> Result<Arg, String> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("invalid literal"))
        }
    }

    fn value(&mut self, depth: u32) -> Result<Arg, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.skip_space();
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Arg::Text),
            Some(b't') => self.literal("true", Arg::Bool(true)),
            Some(b'f') => self.literal("false", Arg::Bool(false)),
            Some(b'n') => self.literal("null", Arg::Other("null")),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn object(&mut self, depth: u32) -> Result<Arg, String> {
        self.pos += 1;
        let mut entries: Vec<(String, Arg)> = Vec::new();
        if self.eat(b'}') {
            return Ok(Arg::Map(entries));
        }
        loop {
            self.skip_space();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a key"));
            }
            let key = self.string()?;
            if !self.eat(b':') {
                return Err(self.error("expected ':'"));
            }
            let value = self.value(depth + 1)?;
            let full = entries.len() >= MAX_KEYS;
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None if full => return Err(self.error("an object with too many keys")),
                None => entries.push((key, value)),
            }
            if self.eat(b'}') {
                return Ok(Arg::Map(entries));
            }
            if !self.eat(b',') {
                return Err(self.error("expected ',' or '}'"));
            }
        }
    }

    fn array(&mut self, depth: u32) -> Result<Arg, String> {
        self.pos += 1;
        let mut items = Vec::new();
        if self.eat(b']') {
            return Ok(Arg::List(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            if self.eat(b']') {
                return Ok(Arg::List(items));
            }
            if !self.eat(b',') {
                return Err(self.error("expected ',' or ']'"));
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("short \\u escape"))?;
        let mut value = 0;
        for &d in digits {
            value = value * 16
                + char::from(d)
                    .to_digit(16)
                    .ok_or_else(|| self.error("bad \\u escape"))?;
        }
        self.pos += 4;
        Ok(value)
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character whole (a
            // byte-at-a-time push costs a call per byte at opt-level "z").
            let run = self.pos;
            while let Some(&byte) = self.bytes.get(self.pos) {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The run ends at an ASCII byte (or the end), so it is whole characters.
            out.push_str(self.text.get(run..self.pos).unwrap_or_default());
            let byte = *self
                .bytes
                .get(self.pos)
                .ok_or_else(|| self.error("unterminated string"))?;
            self.pos += 1;
            match byte {
                b'"' => return Ok(out),
                b'\\' => {
                    let escape = *self
                        .bytes
                        .get(self.pos)
                        .ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    out.push(match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.error("bad escape")),
                    });
                }
                _ => return Err(self.error("control character in a string")),
            }
        }
    }

    /// The character of a `\\uXXXX` escape (the `\\u` read), joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) && self.bytes[self.pos..].starts_with(b"\\u")
        {
            self.pos += 2;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.error("bad surrogate pair"));
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| self.error("bad \\u escape"))
    }

    fn number(&mut self) -> Result<Arg, String> {
        let negative = self.bytes[self.pos] == b'-';
        if negative {
            self.pos += 1;
        }
        let digits = |p: &mut Self| {
            let start = p.pos;
            while p.bytes.get(p.pos).is_some_and(u8::is_ascii_digit) {
                p.pos += 1;
            }
            &p.bytes[start..p.pos]
        };
        let whole = digits(self);
        if whole.is_empty() || (whole.len() > 1 && whole[0] == b'0') {
            return Err(self.error("invalid number"));
        }
        let mut value = whole
            .iter()
            .fold(0.0, |acc, d| acc * 10.0 + f64::from(d - b'0'));
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            let fraction = digits(self);
            if fraction.is_empty() {
                return Err(self.error("invalid number"));
            }
            let mut scale = 0.1;
            for d in fraction {
                value += f64::from(d - b'0') * scale;
                scale /= 10.0;
            }
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            let sign = match self.bytes.get(self.pos) {
                Some(b'-') => -1,
                Some(b'+') => 1,
                _ => 0,
            };
            if sign != 0 {
                self.pos += 1;
            }
            let exponent = digits(self);
            if exponent.is_empty() {
                return Err(self.error("invalid number"));
            }
            let e = exponent.iter().fold(0i32, |acc, d| {
                acc.saturating_mul(10).saturating_add(i32::from(d - b'0'))
            });
            value *= 10f64.powi(if sign < 0 { -e } else { e });
        }
        Ok(Arg::Number(if negative { -value } else { value }))
    }
}

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
    fn parses_what_json_allows() {
        let doc = parse(r#" {"a": [1, -2.5, 3e2, true, false, null], "b": {"c": "q\"\\\/\n\u00e9\ud83d\ude00"}, "a": 7} "#).unwrap();
        let Arg::Map(entries) = doc else {
            panic!("{doc:?}")
        };
        assert_eq!(entries.len(), 2, "a repeated key keeps its last value");
        assert_eq!(entries[0], ("a".into(), Arg::Number(7.0)));
        let Arg::Map(b) = &entries[1].1 else { panic!() };
        assert_eq!(b[0].1, Arg::Text("q\"\\/\né😀".into()));
        assert_eq!(
            parse("[1, -2.5, 3e2, true, false, null]").unwrap(),
            Arg::List(vec![
                Arg::Number(1.0),
                Arg::Number(-2.5),
                Arg::Number(300.0),
                Arg::Bool(true),
                Arg::Bool(false),
                Arg::Other("null")
            ])
        );
        assert_eq!(
            parse("9007199254740991").unwrap(),
            Arg::Number(9_007_199_254_740_991.0)
        );
    }

    #[test]
    fn refuses_what_json_does_not() {
        for bad in [
            "",
            "{",
            "[1,]",
            r#"{"a":1,}"#,
            "{'a':1}",
            "01",
            "1.",
            "-",
            "tru",
            r#""\u12""#,
            "\"a\nb\"",
            "{} x",
            r#""\x""#,
            "[1 2]",
            &"[".repeat(40),
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trips_what_it_writes() {
        let doc = Json::Object(vec![
            ("s", Json::str("é\"\u{1}")),
            ("n", Json::Int(42)),
            ("l", Json::Array(vec![Json::Null, Json::Bool(true)])),
        ]);
        assert_eq!(
            parse(&doc.render()).unwrap(),
            Arg::Map(vec![
                ("s".into(), Arg::Text("é\"\u{1}".into())),
                ("n".into(), Arg::Number(42.0)),
                (
                    "l".into(),
                    Arg::List(vec![Arg::Other("null"), Arg::Bool(true)])
                ),
            ])
        );
    }

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
        assert_eq!(parsed, serde_json::Value::String(all.clone()));
        assert_eq!(parse(&text).unwrap(), Arg::Text(all));
    }

    #[test]
    fn a_hostile_answer_with_many_keys_is_refused_and_wide_ones_parse_in_linear_time() {
        // 200,000 keys in one object: with a scan per key this took minutes (issue 12).
        let keys: Vec<String> = (0..200_000).map(|i| format!(r#""k{i}":0"#)).collect();
        let hostile = format!("{{{}}}", keys.join(","));
        let e = parse(&hostile).unwrap_err();
        assert!(e.contains("too many keys"), "{e}");
        // The widest legal objects, as many as fit in the client's 1 MiB cap: each key is
        // compared with at most 255 others.
        let object = format!("{{{}}}", keys[..MAX_KEYS].join(","));
        let wide = format!("[{}]", vec![object.as_str(); 1 << 20 >> 11].join(","));
        assert!(wide.len() <= 2 << 20);
        let Ok(Arg::List(items)) = parse(&wide) else {
            panic!("the wide answer parses")
        };
        assert_eq!(items.len(), 512);
        assert!(matches!(&items[0], Arg::Map(entries) if entries.len() == MAX_KEYS));
        // Repeated keys still keep their last value, as JSON.parse does.
        assert_eq!(
            parse(r#"{"a":1,"b":2,"a":3}"#).unwrap(),
            Arg::Map(vec![
                ("a".into(), Arg::Number(3.0)),
                ("b".into(), Arg::Number(2.0))
            ])
        );
    }
}
