//! Strictness that `serde_json` leaves to its callers.
//!
//! A JSON object may legally repeat a key, and parsers disagree on which copy wins:
//! `serde_json::Value` keeps the last, cJSON's lookup and many streaming readers the
//! first. A receipt that carries `"dc"` twice would then name one statement to our
//! verifier and another to an embedder's own reader, so documents received from
//! outside are refused when any object, at any depth, repeats a key.

use alloc::collections::BTreeSet;
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::prelude::*;

/// At most this many characters of a repeated key are quoted back in the error, since
/// the key comes from whoever wrote the document.
const QUOTED_KEY_CHARS: usize = 40;

/// The most characters of a parser's message passed on: serde quotes the offending
/// value, which comes from whoever wrote the document.
pub const MESSAGE_CHARS: usize = 240;

/// `message` with control characters escaped (serde quotes unknown keys raw, so a key
/// holding a newline could start a forged line in a log) and cut to at most about
/// [`MESSAGE_CHARS`] characters, keeping its start (what is wrong) and its end (serde's
/// line and column).
pub fn short_message(message: impl fmt::Display) -> String {
    let message: String = message
        .to_string()
        .chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect();
    let count = message.chars().count();
    if count <= MESSAGE_CHARS {
        return message;
    }
    let tail = MESSAGE_CHARS / 4;
    let head: String = message.chars().take(MESSAGE_CHARS - tail).collect();
    let end: String = message.chars().skip(count - tail).collect();
    format!("{head} … {end}")
}

/// `text` cut to at most `chars` characters, ending in `…` when it was cut, for quoting
/// something from outside back in a message.
pub fn cut(text: &str, chars: usize) -> String {
    let mut out: String = text.chars().take(chars).collect();
    if text.chars().nth(chars).is_some() {
        out.push('…');
    }
    out
}

/// Checks that `text` holds a JSON object, the form of every document teraproof reads
/// (a matrix, a receipt, keys.json), before a parser that would name its own internal
/// types in the error ("expected struct …") or, for an array, read it as the fields in
/// order and complain about the first element. `what` names the document ("a matrix").
pub fn expect_object(text: &str, what: &str) -> Result<(), String> {
    let found = match text.trim_start().chars().next() {
        Some('{') => return Ok(()),
        None => "an empty file",
        Some('[') => "an array",
        Some('"') => "a string",
        Some('t' | 'f') => "a boolean",
        Some('n') => "null",
        Some('-' | '0'..='9') => "a number",
        Some(_) => "text that is not JSON",
    };
    Err(alloc::format!("expected {what} as a JSON object `{{...}}`, found {found}"))
}

/// Checks that `text` is one JSON document in which no object repeats a key.
///
/// Returns the parser's message (with line and column) on a syntax error or on the
/// first repeated key. Nesting depth is bounded by `serde_json`'s recursion limit.
pub fn check_unique_keys(text: &str) -> Result<(), String> {
    let mut reader = serde_json::Deserializer::from_str(text);
    UniqueKeys::deserialize(&mut reader).map_err(short_message)?;
    reader.end().map_err(short_message)
}

/// Any JSON value, read only to check its objects' keys.
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E: de::Error>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                let quoted: String = key.chars().take(QUOTED_KEY_CHARS).collect();
                return Err(de::Error::custom(format!("duplicate key {quoted:?}")));
            }
            map.next_value::<UniqueKeys>()?;
            seen.insert(key);
        }
        Ok(UniqueKeys)
    }
}

#[cfg(test)]
mod tests {
    use super::{check_unique_keys, cut, expect_object};

    #[test]
    fn documents_without_repeated_keys_pass() {
        for text in [
            "{}",
            "[]",
            "null",
            r#"{"a":1,"b":{"a":2,"c":[{"a":3},{"a":4}]},"c":"a"}"#,
            r#"[{"x":1},{"x":1}]"#,
            r#"{"a":-1.5e3,"b":true,"c":null,"d":"\u0000"}"#,
        ] {
            assert_eq!(check_unique_keys(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn a_repeated_key_at_any_depth_is_refused() {
        for (text, key) in [
            (r#"{"dc":"1","dc":"2"}"#, "dc"),
            (r#"{"prover":{"timings":{"qap_ms":1,"qap_ms":2}}}"#, "qap_ms"),
            (r#"[0,{"k":1,"j":2,"k":3}]"#, "k"),
            // The same key spelt with an escape is the same key.
            (r#"{"da":"1","d\u0061":"2"}"#, "da"),
        ] {
            let err = check_unique_keys(text).unwrap_err();
            assert!(err.contains(&format!("duplicate key \"{key}\"")), "{text}: {err}");
        }
    }

    #[test]
    fn syntax_errors_and_trailing_data_are_refused() {
        for text in ["{", r#"{"a":1}{"b":2}"#, "", r#"{"a":}"#] {
            assert!(check_unique_keys(text).is_err(), "{text}");
        }
    }

    #[test]
    fn long_messages_keep_their_start_and_end() {
        use super::{short_message, MESSAGE_CHARS};
        assert_eq!(short_message("short"), "short");
        let long = format!("invalid type: string \"{}\", expected u64 at line 1 column 9000", "x".repeat(9000));
        let short = short_message(&long);
        assert!(short.chars().count() <= MESSAGE_CHARS + 3, "{short}");
        assert!(short.starts_with("invalid type: string") && short.ends_with("at line 1 column 9000"), "{short}");
        // Multi-byte characters are never split.
        for (text, found) in [("5", "a number"), ("[1]", "an array"), ("", "an empty file"), ("null", "null")] {
            let e = expect_object(text, "a matrix").unwrap_err();
            assert!(e.contains(found) && e.starts_with("expected a matrix"), "{e}");
        }
        assert_eq!(expect_object(" \n{\"a\":1}", "a matrix"), Ok(()));
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "abc…");
        assert_eq!(cut("ééé", 2), "éé…");
        assert!(short_message("é".repeat(1000)).chars().all(|c| c == 'é' || c == ' ' || c == '…'));
        // Control characters are escaped, not passed on.
        assert_eq!(short_message("unknown field `a\nvalid x`"), "unknown field `a\\nvalid x`");
    }

    #[test]
    fn a_hostile_key_is_quoted_short_and_escaped() {
        let key = format!("x\n{}", "y".repeat(1000));
        let text = format!(r#"{{"{0}":1,"{0}":2}}"#, key.replace('\n', "\\n"));
        let err = check_unique_keys(&text).unwrap_err();
        assert!(!err.contains('\n'), "{err}");
        assert!(err.len() < 200, "{err}");
    }
}
