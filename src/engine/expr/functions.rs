//! The built-in function table (names and arities, checked at parse time) and the function
//! implementations (run at evaluation time).
//!
//! # Functions and where each was established
//!
//! Sources:
//! * [BIF-2025] CloudFlow "Built-in functions" page, 2025 revisions: en
//!   alibabacloud.com/help/en/serverless-workflow/latest/built-in-functions (Feb 13 2025),
//!   zh help.aliyun.com/document_detail/2579872.html ("内置函数"), tc (Mar 13 2025),
//!   ja (Jan 12 2025), id (Jun 29 2025). Full entries (parameters, return type, examples).
//!   The stored text stops at "mapK…".
//! * [BIF-2026] the later revision of the same page, a "Function reference" table with one-line
//!   purposes only: en help.aliyun.com/en/document_detail/2579872.html, es (Sep 5 2026),
//!   pt-br (Jun 28 2026). The stored text stops at "mapValues | Ex…".
//! * [R-QM] a real flow using `returnID.$: uuid()` (see shared/reference/fdl.md).
//! * \[BRIEF\] named in the task brief only; not seen verbatim in any source.
//!
//! | function | arity | source | notes |
//! |---|---|---|---|
//! | `arrayContains(array, any) -> bool` | 2 | BIF-2025 | deep equality, `1 == 1.0` |
//! | `arrayUnique(array) -> array` | 1 | BIF-2025 | keeps first occurrences, in order |
//! | `format(string, ...any) -> string` | 1+ | BIF-2025 | `{}` placeholders in order |
//! | `fromBase64(string) -> string` | 1 | BIF-2025 | padding optional; must decode to UTF-8 |
//! | `stringToJson(string) -> any` | 1 | BIF-2025 | doc says map; any JSON accepted |
//! | `fromJSON(string) -> any` | 1 | BIF-2025 (ja) | "fromJSON is an alias of stringToJson" |
//! | `hash(string, alg) -> string` | 2 | BIF-2025 | MD5, SHA-1, SHA-256, SHA-512; lower hex |
//! | `jsonMerge(map, map) -> map` | 2 | BIF-2025 | shallow; second map wins |
//! | `length(array\|map\|string) -> int` | 1 | BIF-2025 | strings count Unicode chars |
//! | `get(array\|map, index\|key) -> any` | 2 | BIF-2026 | missing → null |
//! | `intAdd(int, int) -> int` | 2 | BIF-2026 | integral floats accepted; overflow = error |
//! | `randomInt(min, max) -> int` | 2 | BIF-2026 | range is [min, max) (our choice) |
//! | `regexMatchString(pattern, string) -> bool` | 2 | BIF-2026 | unanchored; see regex.rs |
//! | `split(string, sep) -> []string` | 2 | BIF-2026 | empty sep splits into chars |
//! | `toArray(...any) -> array` | 0+ | BIF-2026 | |
//! | `mapKeys(map) -> []string` | 1 | BIF-2026 | in the map's key order |
//! | `mapValues(map) -> array` | 1 | BIF-2026 | in the map's key order |
//! | `uuid() -> string` | 0 | R-QM | random v4, lower-case, hyphenated |
//! | `toBase64(string) -> string` | 1 | BRIEF | standard alphabet, padded |
//! | `jsonToString(any) -> string` | 1 | BRIEF | compact JSON |
//!
//! Argument order of `regexMatchString` (pattern first) is inferred from Go's
//! `regexp.MatchString` and from another vendor's workflow product (China Telecom "云工作流",
//! ctyun.cn/document/10006234/11056493) that documents a function of the same name that way.
//!
//! Seen named but not pinned down (not implemented): the rows of the [BIF-2026] table after
//! `mapValues` (further map, encoding, hash/UUID and JSON rows were cut off). The ctyun product
//! also lists `uid`, `base64`, `base64decode`, `mapToJSONString`, `jsonStringToMap` and `jq`,
//! but that is a different vendor's service.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use md5::Md5;
use serde_json::{Map, Number, Value};
use sha1::{Digest, Sha1};
use sha2::{Sha256, Sha512};

use super::value::{deep_eq, render, type_name};
use super::EvalError;

macro_rules! funcs {
    ($($variant:ident = $name:literal, $min:expr, $max:expr;)*) => {
        /// A built-in function.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub(super) enum Func { $($variant,)* }

        impl Func {
            /// Every function, in table order.
            pub(super) const ALL: &'static [Func] = &[$(Func::$variant,)*];

            /// The name used in expressions.
            pub(super) fn name(self) -> &'static str {
                match self { $(Func::$variant => $name,)* }
            }

            /// `(minimum, maximum)` argument counts; `None` means unbounded.
            pub(super) fn arity(self) -> (usize, Option<usize>) {
                match self { $(Func::$variant => ($min, $max),)* }
            }
        }
    };
}

funcs! {
    ArrayContains = "arrayContains", 2, Some(2);
    ArrayUnique = "arrayUnique", 1, Some(1);
    Format = "format", 1, None;
    FromBase64 = "fromBase64", 1, Some(1);
    StringToJson = "stringToJson", 1, Some(1);
    FromJson = "fromJSON", 1, Some(1);
    Hash = "hash", 2, Some(2);
    JsonMerge = "jsonMerge", 2, Some(2);
    Length = "length", 1, Some(1);
    Get = "get", 2, Some(2);
    IntAdd = "intAdd", 2, Some(2);
    RandomInt = "randomInt", 2, Some(2);
    RegexMatchString = "regexMatchString", 2, Some(2);
    Split = "split", 2, Some(2);
    ToArray = "toArray", 0, None;
    MapKeys = "mapKeys", 1, Some(1);
    MapValues = "mapValues", 1, Some(1);
    Uuid = "uuid", 0, Some(0);
    ToBase64 = "toBase64", 1, Some(1);
    JsonToString = "jsonToString", 1, Some(1);
}

impl Func {
    /// Finds a function by its exact (case-sensitive) name.
    pub(super) fn lookup(name: &str) -> Option<Func> {
        Func::ALL.iter().copied().find(|f| f.name() == name)
    }
}

fn fail(func: Func, msg: impl std::fmt::Display) -> EvalError {
    EvalError(format!("{}: {msg}", func.name()))
}

fn wrong_type(func: Func, pos: usize, want: &str, got: &Value) -> EvalError {
    fail(
        func,
        format!("argument {pos} must be {want}, got {}", type_name(got)),
    )
}

fn string(func: Func, pos: usize, v: &Value) -> Result<&str, EvalError> {
    v.as_str()
        .ok_or_else(|| wrong_type(func, pos, "a string", v))
}

fn array(func: Func, pos: usize, v: &Value) -> Result<&Vec<Value>, EvalError> {
    v.as_array()
        .ok_or_else(|| wrong_type(func, pos, "an array", v))
}

fn object(func: Func, pos: usize, v: &Value) -> Result<&Map<String, Value>, EvalError> {
    v.as_object()
        .ok_or_else(|| wrong_type(func, pos, "an object (map)", v))
}

/// An integer argument; floats with no fractional part are accepted (JSON producers such as
/// Go often turn integers into floats).
fn integer(func: Func, pos: usize, v: &Value) -> Result<i128, EvalError> {
    let n = match v {
        Value::Number(n) => n,
        other => return Err(wrong_type(func, pos, "an integer", other)),
    };
    if let Some(i) = n.as_i64() {
        return Ok(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Ok(i128::from(u));
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(f as i128),
        _ => Err(fail(
            func,
            format!("argument {pos} must be an integer, got {n}"),
        )),
    }
}

fn int_value(func: Func, v: i128) -> Result<Value, EvalError> {
    if let Ok(i) = i64::try_from(v) {
        return Ok(Value::Number(Number::from(i)));
    }
    u64::try_from(v)
        .map(|u| Value::Number(Number::from(u)))
        .map_err(|_| fail(func, "integer overflow"))
}

/// Runs `func` on already-evaluated arguments (the count was checked at parse time; it is
/// re-checked here defensively so a mismatch is an error, never a panic).
pub(super) fn call(func: Func, args: Vec<Value>) -> Result<Value, EvalError> {
    let (min, max) = func.arity();
    if args.len() < min || max.is_some_and(|m| args.len() > m) {
        return Err(fail(
            func,
            format!("wrong number of arguments ({})", args.len()),
        ));
    }
    let a = |i: usize| &args[i];
    match func {
        Func::ArrayContains => {
            let items = array(func, 1, a(0))?;
            Ok(Value::Bool(items.iter().any(|x| deep_eq(x, a(1)))))
        }
        Func::ArrayUnique => {
            let mut out: Vec<Value> = Vec::new();
            for x in array(func, 1, a(0))? {
                if !out.iter().any(|y| deep_eq(x, y)) {
                    out.push(x.clone());
                }
            }
            Ok(Value::Array(out))
        }
        Func::Format => format(func, &args),
        Func::FromBase64 => {
            let engine = GeneralPurpose::new(
                &alphabet::STANDARD,
                GeneralPurposeConfig::new()
                    .with_decode_padding_mode(DecodePaddingMode::Indifferent),
            );
            let bytes = engine
                .decode(string(func, 1, a(0))?)
                .map_err(|e| fail(func, format!("invalid base64: {e}")))?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| fail(func, "decoded bytes are not valid UTF-8"))
        }
        Func::ToBase64 => Ok(Value::String(STANDARD.encode(string(func, 1, a(0))?))),
        Func::StringToJson | Func::FromJson => serde_json::from_str(string(func, 1, a(0))?)
            .map_err(|e| fail(func, format!("invalid JSON: {e}"))),
        Func::JsonToString => Ok(Value::String(a(0).to_string())),
        Func::Hash => hash(func, string(func, 1, a(0))?, string(func, 2, a(1))?),
        Func::JsonMerge => {
            let mut merged = object(func, 1, a(0))?.clone();
            for (k, v) in object(func, 2, a(1))? {
                merged.insert(k.clone(), v.clone());
            }
            Ok(Value::Object(merged))
        }
        Func::Length => {
            let n = match a(0) {
                Value::String(s) => s.chars().count(),
                Value::Array(items) => items.len(),
                Value::Object(map) => map.len(),
                other => return Err(wrong_type(func, 1, "an array, object or string", other)),
            };
            int_value(func, n as i128)
        }
        Func::Get => get(func, a(0), a(1)),
        Func::IntAdd => int_value(func, integer(func, 1, a(0))? + integer(func, 2, a(1))?),
        Func::RandomInt => {
            let (lo, hi) = (integer(func, 1, a(0))?, integer(func, 2, a(1))?);
            if lo >= hi {
                return Err(fail(
                    func,
                    format!("min ({lo}) must be less than max ({hi})"),
                ));
            }
            // The span is below 2^65 and the v4 UUID carries 122 random bits: no real bias.
            let span = (hi - lo) as u128;
            let r = uuid::Uuid::new_v4().as_u128() % span;
            int_value(func, lo + r as i128)
        }
        Func::RegexMatchString => {
            let (pattern, text) = (string(func, 1, a(0))?, string(func, 2, a(1))?);
            super::regex::is_match(pattern, text)
                .map(Value::Bool)
                .map_err(|e| fail(func, format!("invalid regular expression: {e}")))
        }
        Func::Split => {
            let (s, sep) = (string(func, 1, a(0))?, string(func, 2, a(1))?);
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(sep).map(|p| Value::String(p.to_string())).collect()
            };
            Ok(Value::Array(parts))
        }
        Func::ToArray => Ok(Value::Array(args)),
        Func::MapKeys => Ok(Value::Array(
            object(func, 1, a(0))?
                .keys()
                .map(|k| Value::String(k.clone()))
                .collect(),
        )),
        Func::MapValues => Ok(Value::Array(
            object(func, 1, a(0))?.values().cloned().collect(),
        )),
        Func::Uuid => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
    }
}

fn format(func: Func, args: &[Value]) -> Result<Value, EvalError> {
    let template = string(func, 1, &args[0])?;
    let mut rest = args[1..].iter();
    let mut out = String::with_capacity(template.len());
    let mut pieces = template.split("{}");
    out.push_str(pieces.next().unwrap_or_default());
    for piece in pieces {
        let arg = rest.next().ok_or_else(|| {
            fail(
                func,
                "the template has more '{}' placeholders than arguments",
            )
        })?;
        out.push_str(&render(arg));
        out.push_str(piece);
    }
    Ok(Value::String(out))
}

fn hash(func: Func, input: &str, algorithm: &str) -> Result<Value, EvalError> {
    let bytes = input.as_bytes();
    let digest = match algorithm.to_ascii_uppercase().as_str() {
        "MD5" => hex::encode(Md5::digest(bytes)),
        "SHA-1" => hex::encode(Sha1::digest(bytes)),
        "SHA-256" => hex::encode(Sha256::digest(bytes)),
        "SHA-512" => hex::encode(Sha512::digest(bytes)),
        _ => {
            return Err(fail(
                func,
                format!(
                    "unsupported algorithm {algorithm:?} (expected MD5, SHA-1, SHA-256 or SHA-512)"
                ),
            ))
        }
    };
    Ok(Value::String(digest))
}

fn get(func: Func, collection: &Value, key: &Value) -> Result<Value, EvalError> {
    match collection {
        Value::Array(items) => {
            let i = integer(func, 2, key)?;
            if i < 0 {
                return Err(fail(func, format!("index {i} is negative")));
            }
            Ok(usize::try_from(i)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .unwrap_or(Value::Null))
        }
        Value::Object(map) => {
            let k = string(func, 2, key)?;
            Ok(map.get(k).cloned().unwrap_or(Value::Null))
        }
        other => Err(wrong_type(func, 1, "an array or object (map)", other)),
    }
}
