//! Request parameters: the union of the query string and the body, decoded strictly.
//!
//! The SDKs put common parameters in the query and action parameters in an
//! `application/x-www-form-urlencoded` body (the Node SDK puts everything in the body). `+` is a
//! space in both, blank values are kept (the old Python SDK signs `SignatureType=`), and invalid
//! percent-encoding or UTF-8 is refused rather than guessed at. A JSON-object body is accepted too;
//! its members are parameters but are not covered by a V1 signature (they are by ACS3's body hash).

use crate::error::ApiError;

/// Most parameters one request may carry; far above any action's needs.
pub const MAX_PARAMS: usize = 256;

/// The decoded parameters of one request.
#[derive(Debug, Default, Clone)]
pub struct Params {
    /// Every decoded name and value, back to back: one allocation for the whole request
    /// instead of two per parameter.
    text: String,
    /// Sorted by name. A sorted `Vec`: a request has a dozen or two parameters, so one
    /// allocation and binary search beat a tree's nodes.
    entries: Vec<Entry>,
}

/// One parameter: where its name and value lie in [`Params::text`].
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// [`prefix_key`] of the name: most comparisons end here, without touching the text.
    key: u64,
    name: (u32, u32),
    value: (u32, u32),
    /// A member of a JSON body: not part of the V1 signed set.
    unsigned: bool,
}

/// The first 8 bytes of `name`, big-endian, zero-padded. Ordering by this key agrees with
/// ordering by the bytes of the names wherever two keys differ (a shorter name padded with
/// zeros sorts before any longer name it is a prefix of, unless that one continues with a zero
/// byte, and then the keys are equal); equal keys fall back to comparing the names.
fn prefix_key(name: &str) -> u64 {
    let b = name.as_bytes();
    let mut k = [0u8; 8];
    let n = b.len().min(8);
    k[..n].copy_from_slice(&b[..n]);
    u64::from_be_bytes(k)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decode one form component (`+` is a space) onto `out`, using `scratch` for the
/// bytes of an escaped one. `None` on malformed input (then `out` is unchanged).
fn decode_onto(raw: &str, out: &mut String, scratch: &mut Vec<u8>) -> Option<()> {
    let bytes = raw.as_bytes();
    // Most components need no decoding at all.
    if !bytes.iter().any(|b| matches!(b, b'%' | b'+')) {
        out.push_str(raw);
        return Some(());
    }
    scratch.clear();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => scratch.push(b' '),
            b'%' => {
                let pair = bytes.get(i + 1..i + 3)?;
                scratch.push(hex(pair[0])? * 16 + hex(pair[1])?);
                i += 2;
            }
            b => scratch.push(b),
        }
        i += 1;
    }
    out.push_str(std::str::from_utf8(scratch).ok()?);
    Some(())
}

/// Percent-decode one form component (`+` is a space). `None` on malformed input.
fn decode_component(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    decode_onto(raw, &mut out, &mut Vec::new())?;
    Some(out)
}

/// The raw `(name, value)` components of `a=b&c=d` (a part without `=` has an empty value).
fn raw_pairs(raw: &str) -> impl Iterator<Item = (&str, &str)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|part| part.split_once('=').unwrap_or((part, "")))
}

/// Split and decode `a=b&c=d` (`what` names the part of the request, for the error message).
pub fn parse_pairs(raw: &str, what: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for (k, v) in raw_pairs(raw) {
        let (Some(k), Some(v)) = (decode_component(k), decode_component(v)) else {
            return Err(bad_encoding(what));
        };
        out.push((k, v));
    }
    Ok(out)
}

fn bad_encoding(what: &str) -> ApiError {
    ApiError::invalid(format!(
        "The {what} is not valid form encoding (bad percent-escape or invalid UTF-8)."
    ))
}

impl Params {
    /// Build from already-decoded pairs; a name given twice is refused.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self, ApiError> {
        let mut p = Params::default();
        for (k, v) in pairs {
            p.push_pair(&k, &v, false)?;
        }
        Ok(p)
    }

    /// Decode the pairs of a query string or form body (`what` names it for errors).
    pub fn from_encoded(raw: &str, what: &str) -> Result<Self, ApiError> {
        let mut p = Params {
            text: String::with_capacity(raw.len()),
            entries: Vec::with_capacity(16),
        };
        p.add_encoded(raw, what)?;
        Ok(p)
    }

    /// Add an already decoded parameter.
    fn push_pair(&mut self, name: &str, value: &str, unsigned: bool) -> Result<(), ApiError> {
        let name = self.push(name);
        let value = self.push(value);
        self.insert(name, value, unsigned)
    }

    /// Append `s` to the text; its span.
    fn push(&mut self, s: &str) -> (u32, u32) {
        let start = self.offset();
        self.text.push_str(s);
        (start, self.offset())
    }

    /// Where the next text goes. Requests are capped far below 4 GiB; were one not, spans past
    /// it would be cut short (or read as empty), never point at other bytes.
    fn offset(&self) -> u32 {
        u32::try_from(self.text.len()).unwrap_or(u32::MAX)
    }

    fn slice(&self, (a, b): (u32, u32)) -> &str {
        self.text.get(a as usize..b as usize).unwrap_or("")
    }

    fn insert(
        &mut self,
        name: (u32, u32),
        value: (u32, u32),
        unsigned: bool,
    ) -> Result<(), ApiError> {
        if name.0 == name.1 {
            return Err(ApiError::invalid("A parameter has an empty name."));
        }
        if self.entries.len() >= MAX_PARAMS {
            return Err(ApiError::invalid(format!(
                "Too many parameters (at most {MAX_PARAMS})."
            )));
        }
        match self.find(self.slice(name)) {
            Ok(_) => Err(ApiError::invalid(format!(
                "The parameter '{}' is given more than once.",
                self.slice(name)
            ))),
            Err(at) => {
                let key = prefix_key(self.slice(name));
                self.entries.insert(
                    at,
                    Entry {
                        key,
                        name,
                        value,
                        unsigned,
                    },
                );
                Ok(())
            }
        }
    }

    /// Decode `a=b&c=d` straight into the text.
    fn add_encoded(&mut self, raw: &str, what: &str) -> Result<(), ApiError> {
        let mut scratch = Vec::new();
        self.text.reserve(raw.len());
        for (k, v) in raw_pairs(raw) {
            let start = self.offset();
            decode_onto(k, &mut self.text, &mut scratch).ok_or_else(|| bad_encoding(what))?;
            let mid = self.offset();
            decode_onto(v, &mut self.text, &mut scratch).ok_or_else(|| bad_encoding(what))?;
            let end = self.offset();
            self.insert((start, mid), (mid, end), false)?;
        }
        Ok(())
    }

    /// Add the members of a form body.
    pub fn add_form(&mut self, body: &str) -> Result<(), ApiError> {
        self.add_encoded(body, "request body")
    }

    /// Add the members of a JSON-object body: strings as they are, other scalars as their JSON
    /// text, objects and arrays as JSON text, `null` skipped.
    pub fn add_json(&mut self, body: &[u8]) -> Result<(), ApiError> {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::invalid(format!("The request body is not valid JSON: {e}.")))?;
        let serde_json::Value::Object(obj) = value else {
            return Err(ApiError::invalid(
                "The JSON request body must be an object.",
            ));
        };
        for (k, v) in obj {
            let text = match v {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            self.push_pair(&k, &text, true)?;
        }
        Ok(())
    }

    /// The raw value, if given (possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.find(name)
            .ok()
            .map(|i| self.slice(self.entries[i].value))
    }

    /// A value that must be present and non-empty.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ApiError::missing(name)),
        }
    }

    /// A value that is absent or non-empty (`Some("")` counts as absent).
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// An optional integer within `min..=max`.
    pub fn optional_int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.optional(name) else {
            return Ok(None);
        };
        match raw.trim().parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => Ok(Some(v)),
            _ => Err(ApiError::invalid(format!(
                "{name} must be an integer between {min} and {max}, got '{raw}'."
            ))),
        }
    }

    /// An optional boolean; `true`/`false` in any case (the Python SDKs send `True`).
    pub fn optional_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        let Some(raw) = self.optional(name) else {
            return Ok(None);
        };
        match raw.to_ascii_lowercase().as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(ApiError::invalid(format!(
                "{name} must be true or false, got '{raw}'."
            ))),
        }
    }

    /// The parameters a V1 signature covers (all but JSON-body members), sorted by name.
    pub fn signed(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .filter(|e| !e.unsigned)
            .map(|e| (self.slice(e.name), self.slice(e.value)))
    }

    /// Where `name` is (`Ok`), or where it would go (`Err`).
    fn find(&self, name: &str) -> Result<usize, usize> {
        let key = prefix_key(name);
        self.entries
            .binary_search_by(|e| e.key.cmp(&key).then_with(|| self.slice(e.name).cmp(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_is_space_and_blank_values_are_kept() {
        let pairs = parse_pairs("a=b+c&SignatureType=&d&e=%2B%2A~%C3%A9", "q").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "b c".into()),
                ("SignatureType".into(), "".into()),
                ("d".into(), "".into()),
                ("e".into(), "+*~é".into()),
            ]
        );
    }

    #[test]
    fn encoded_params_decode_into_one_text() {
        let mut p = Params::from_encoded("b=2&a%20b=x+y&c=&%C3%A9=%E6%B5%81", "q").unwrap();
        p.add_form("d=%2B").unwrap();
        assert_eq!(p.get("a b"), Some("x y"));
        assert_eq!(p.get("b"), Some("2"));
        assert_eq!(p.get("c"), Some(""));
        assert_eq!(p.get("é"), Some("流"));
        assert_eq!(p.get("d"), Some("+"));
        assert_eq!(p.get("a"), None);
        let signed: Vec<_> = p.signed().collect();
        assert_eq!(
            signed,
            vec![
                ("a b", "x y"),
                ("b", "2"),
                ("c", ""),
                ("d", "+"),
                ("é", "流")
            ]
        );
        assert!(p.add_form("b=3").is_err());
        let e = Params::from_encoded("a=1&b=%zz", "query string").unwrap_err();
        assert!(e.message.contains("query string"), "{}", e.message);
        assert!(Params::from_encoded("=1", "q").is_err());
    }

    #[test]
    fn prefix_keys_order_like_the_names() {
        let names = [
            "",
            "a",
            "a\0",
            "a\0\0b",
            "ab",
            "Signature",
            "SignatureMethod",
            "SignatureNonce",
            "SignatureVersion",
            "Signatur",
            "Signatura",
            "é",
            "流程",
            "zzzzzzzzz",
            "zzzzzzzz",
        ];
        for a in names {
            for b in names {
                let (ka, kb) = (prefix_key(a), prefix_key(b));
                if ka != kb {
                    assert_eq!(ka.cmp(&kb), a.cmp(b), "{a:?} vs {b:?}");
                }
            }
        }
        let pairs: Vec<(String, String)> = names[1..]
            .iter()
            .map(|n| (n.to_string(), format!("v{n}")))
            .collect();
        let p = Params::from_pairs(pairs).unwrap();
        for n in &names[1..] {
            assert_eq!(p.get(n), Some(format!("v{n}").as_str()), "{n:?}");
        }
        let mut sorted: Vec<&str> = names[1..].to_vec();
        sorted.sort();
        assert_eq!(p.signed().map(|(k, _)| k).collect::<Vec<_>>(), sorted);
    }

    #[test]
    fn malformed_encoding_is_refused() {
        assert!(parse_pairs("a=%zz", "q").is_err());
        assert!(parse_pairs("a=%4", "q").is_err());
        assert!(parse_pairs("a=%ff%fe", "q").is_err());
    }

    #[test]
    fn duplicates_and_floods_are_refused() {
        let mut p = Params::from_pairs(vec![("a".into(), "1".into())]).unwrap();
        assert!(p.add_form("a=2").is_err());
        let many: String = (0..=MAX_PARAMS).map(|i| format!("k{i}=v&")).collect();
        assert!(Params::default().add_form(&many).is_err());
    }

    #[test]
    fn json_body_members_are_unsigned_params() {
        let mut p = Params::from_pairs(vec![("Action".into(), "X".into())]).unwrap();
        p.add_json(br#"{"Limit":5,"Flag":true,"Obj":{"a":1},"Skip":null,"S":"x"}"#)
            .unwrap();
        assert_eq!(p.get("Limit"), Some("5"));
        assert_eq!(p.get("Flag"), Some("true"));
        assert_eq!(p.get("Obj"), Some(r#"{"a":1}"#));
        assert_eq!(p.get("Skip"), None);
        let signed: Vec<_> = p.signed().map(|(k, _)| k).collect();
        assert_eq!(signed, vec!["Action"]);
        assert!(Params::default().add_json(b"[1]").is_err());
        assert!(Params::default().add_json(b"{").is_err());
    }

    #[test]
    fn typed_getters() {
        let p = Params::from_pairs(vec![
            ("L".into(), "10".into()),
            ("B".into(), "True".into()),
            ("E".into(), "".into()),
            ("X".into(), "1e3".into()),
        ])
        .unwrap();
        assert_eq!(p.optional_int("L", 1, 100).unwrap(), Some(10));
        assert!(p.optional_int("L", 1, 5).is_err());
        assert!(p.optional_int("X", 1, 5).is_err());
        assert_eq!(p.optional_int("E", 1, 5).unwrap(), None);
        assert_eq!(p.optional_bool("B").unwrap(), Some(true));
        assert!(p.required("E").is_err());
        assert_eq!(
            p.required("Nope").unwrap_err().message,
            "The HTTP query 'Nope' must be specified."
        );
    }
}
