//! The field readers shared by both definition languages: each reads one field of a JSON
//! object, checks its type and range, and records a problem naming the path instead of failing.
//! They know nothing of states; the state parsers (`parse.rs`, `states.rs`, `legacy/`) call them.

use serde_json::{Map, Value};

use super::parse::ExecutionMode;
use super::Template;
use crate::engine::expr::{Expr, Var};

pub(super) struct Ctx {
    pub(super) errs: Vec<String>,
    pub(super) mode: ExecutionMode,
}

pub(super) fn check_keys(obj: &Map<String, Value>, path: &str, allowed: &[&str], cx: &mut Ctx) {
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) {
            cx.errs.push(format!(
                "{path}: unknown field '{k}' (allowed: {}).",
                allowed.join(", ")
            ));
        }
    }
}

pub(super) fn opt_string(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    cx: &mut Ctx,
) -> Option<String> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            cx.errs
                .push(format!("{path}.{key}: must be a string, got {other}."));
            None
        }
    }
}

pub(super) fn req_string(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    cx: &mut Ctx,
) -> Option<String> {
    let v = opt_string(obj, key, path, cx);
    if !obj.contains_key(key) {
        cx.errs.push(format!("{path}.{key}: required."));
    } else if v.as_deref() == Some("") {
        cx.errs.push(format!("{path}.{key}: must not be empty."));
        return None;
    }
    v
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn opt_uint(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    min: u64,
    max: u64,
    cx: &mut Ctx,
) -> Option<u64> {
    let v = obj.get(key)?;
    match number(v) {
        Some(n) if n.fract() == 0.0 && n >= min as f64 && n <= max as f64 => Some(n as u64),
        _ => {
            cx.errs.push(format!(
                "{path}.{key}: must be an integer between {min} and {max}, got {v}."
            ));
            None
        }
    }
}

pub(super) fn opt_number(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    min: f64,
    max: f64,
    cx: &mut Ctx,
) -> Option<f64> {
    let v = obj.get(key)?;
    match number(v) {
        Some(n) if n >= min && n <= max => Some(n),
        _ => {
            cx.errs.push(format!(
                "{path}.{key}: must be a number between {min} and {max}, got {v}."
            ));
            None
        }
    }
}

pub(super) fn opt_bool(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    cx: &mut Ctx,
) -> Option<bool> {
    match obj.get(key) {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            cx.errs
                .push(format!("{path}.{key}: must be true or false, got {other}."));
            None
        }
    }
}

pub(super) fn parse_expr(src: &str, path: &str, allowed: &[Var], cx: &mut Ctx) -> Option<Expr> {
    match Expr::parse(src) {
        Ok(e) => {
            super::template::check_vars(&e, path, allowed, &mut cx.errs);
            Some(e)
        }
        Err(e) => {
            cx.errs
                .push(format!("{path}: invalid expression '{src}': {e}."));
            None
        }
    }
}

pub(super) fn template(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    allowed: &[Var],
    cx: &mut Ctx,
) -> Option<Template> {
    let v = obj.get(key)?;
    let p = format!("{path}.{key}");
    if !v.is_object() {
        cx.errs.push(format!("{p}: must be an object."));
        return None;
    }
    Some(Template::parse(v, &p, allowed, &mut cx.errs))
}

pub(super) fn list<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
    cx: &mut Ctx,
) -> &'a [Value] {
    match obj.get(key) {
        None => &[],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            cx.errs.push(format!("{path}.{key}: must be a list."));
            &[]
        }
    }
}
