//! Stream replies read by hand from [`redis::Value`], so that an entry whose fields are
//! not text (a poison task) is one bad entry to dead-letter, not a reply the whole
//! worker fails to parse again and again.

use redis::Value;

use crate::error::{FleetError, Result};

/// One stream entry; `fields` is `None` when the entry was deleted while pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// the entry id
    pub id: String,
    /// field–value pairs, in order
    pub fields: Option<Vec<(Vec<u8>, Vec<u8>)>>,
}

impl Entry {
    /// The value of field `name` as text, if present and UTF-8.
    pub fn text(&self, name: &str) -> Option<&str> {
        let fields = self.fields.as_ref()?;
        let (_, v) = fields.iter().find(|(k, _)| k == name.as_bytes())?;
        std::str::from_utf8(v).ok()
    }
}

fn odd(what: &str) -> FleetError {
    FleetError::Redis { url: String::new(), reason: format!("unexpected reply to {what}") }
}

pub(crate) fn bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.as_bytes().to_vec()),
        Value::Int(i) => Some(i.to_string().into_bytes()),
        Value::Okay => Some(b"OK".to_vec()),
        _ => None,
    }
}

fn string(v: &Value) -> Option<String> {
    bytes(v).and_then(|b| String::from_utf8(b).ok())
}

fn items(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Array(a) | Value::Set(a) => Some(a),
        _ => None,
    }
}

/// An entry `[id, [field, value, …]]` (or `[id, nil]`).
fn entry(v: &Value, what: &str) -> Result<Entry> {
    let pair = items(v).filter(|p| p.len() == 2).ok_or_else(|| odd(what))?;
    let id = string(&pair[0]).ok_or_else(|| odd(what))?;
    let fields = match &pair[1] {
        Value::Nil => None,
        other => {
            let flat = items(other).filter(|f| f.len() % 2 == 0).ok_or_else(|| odd(what))?;
            let mut fields = Vec::with_capacity(flat.len() / 2);
            for kv in flat.chunks_exact(2) {
                fields.push((bytes(&kv[0]).ok_or_else(|| odd(what))?, bytes(&kv[1]).ok_or_else(|| odd(what))?));
            }
            Some(fields)
        }
    };
    Ok(Entry { id, fields })
}

/// The entries of an XREAD or XREADGROUP reply, with the stream each came from.
pub fn read_reply(v: &Value) -> Result<Vec<(String, Entry)>> {
    let what = "XREADGROUP";
    if *v == Value::Nil {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let streams: Vec<(&Value, &Value)> = match v {
        Value::Map(m) => m.iter().map(|(k, v)| (k, v)).collect(),
        other => items(other)
            .ok_or_else(|| odd(what))?
            .iter()
            .map(|s| items(s).filter(|s| s.len() == 2).map(|s| (&s[0], &s[1])).ok_or_else(|| odd(what)))
            .collect::<Result<_>>()?,
    };
    for (key, entries) in streams {
        let key = string(key).ok_or_else(|| odd(what))?;
        for e in items(entries).ok_or_else(|| odd(what))? {
            out.push((key.clone(), entry(e, what)?));
        }
    }
    Ok(out)
}

/// The cursor to go on from and the claimed entries of an XAUTOCLAIM reply
/// `[next, [entries], [deleted]]`.
pub fn autoclaim_reply(v: &Value) -> Result<(String, Vec<Entry>)> {
    let what = "XAUTOCLAIM";
    let parts = items(v).filter(|p| p.len() >= 2).ok_or_else(|| odd(what))?;
    let next = string(&parts[0]).ok_or_else(|| odd(what))?;
    let entries = items(&parts[1]).ok_or_else(|| odd(what))?.iter().map(|e| entry(e, what)).collect::<Result<_>>()?;
    Ok((next, entries))
}

/// The delivery count of the one entry in an `XPENDING key group id id 1` reply;
/// `None` when the entry is no longer pending.
pub fn pending_deliveries(v: &Value) -> Result<Option<(String, u64)>> {
    let what = "XPENDING";
    let rows = items(v).ok_or_else(|| odd(what))?;
    let Some(row) = rows.first() else { return Ok(None) };
    let row = items(row).filter(|r| r.len() == 4).ok_or_else(|| odd(what))?;
    let consumer = string(&row[1]).ok_or_else(|| odd(what))?;
    let deliveries = string(&row[3]).and_then(|s| s.parse().ok()).ok_or_else(|| odd(what))?;
    Ok(Some((consumer, deliveries)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &[u8]) -> Value {
        Value::BulkString(s.to_vec())
    }

    #[test]
    fn replies_parse_and_odd_ones_are_errors() {
        let reply = Value::Array(vec![Value::Array(vec![
            bulk(b"tp:tasks:x"),
            Value::Array(vec![
                Value::Array(vec![bulk(b"1-0"), Value::Array(vec![bulk(b"v"), bulk(&[0xff])])]),
                Value::Array(vec![bulk(b"2-0"), Value::Nil]),
            ]),
        ])]);
        let got = read_reply(&reply).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.fields.as_ref().unwrap()[0], (b"v".to_vec(), vec![0xff]));
        assert_eq!(got[0].1.text("v"), None);
        assert_eq!(got[1].1.fields, None);
        assert!(read_reply(&Value::Nil).unwrap().is_empty());
        for bad in [
            Value::Int(3),
            Value::Array(vec![Value::Int(1)]),
            Value::Array(vec![Value::Array(vec![bulk(b"k"), Value::Array(vec![Value::Array(vec![bulk(b"1-0")])])])]),
            Value::Array(vec![Value::Array(vec![
                bulk(b"k"),
                Value::Array(vec![Value::Array(vec![bulk(b"1-0"), Value::Array(vec![bulk(b"odd")])])]),
            ])]),
        ] {
            assert!(read_reply(&bad).is_err(), "{bad:?}");
        }
        let pending = Value::Array(vec![Value::Array(vec![bulk(b"1-0"), bulk(b"w1"), Value::Int(10), Value::Int(3)])]);
        assert_eq!(pending_deliveries(&pending).unwrap(), Some(("w1".into(), 3)));
        assert_eq!(pending_deliveries(&Value::Array(vec![])).unwrap(), None);
        assert!(pending_deliveries(&Value::Int(1)).is_err());
    }
}
