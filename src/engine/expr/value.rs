//! Operations on JSON values shared by the evaluator and the built-in functions: deep
//! equality (numbers by value, so `1 == 1.0`), ordering comparisons, numeric negation and
//! type names for error messages. Deep equality uses an explicit stack, never recursion.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::ast::CmpOp;
use super::EvalError;

/// The JSON type name of `v`, for error messages.
pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn as_int(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Compares an integer with a finite float exactly.
fn cmp_int_float(i: i128, f: f64) -> Ordering {
    let t = f.trunc();
    // `as` saturates, and |i| < 2^64 is far inside i128, so saturation keeps the order.
    match i.cmp(&(t as i128)) {
        Ordering::Equal if f > t => Ordering::Less,
        Ordering::Equal if f < t => Ordering::Greater,
        o => o,
    }
}

/// Numeric order of two JSON numbers, by value (integers and floats mix freely).
pub(super) fn num_cmp(a: &Number, b: &Number) -> Ordering {
    let fa = || a.as_f64().unwrap_or(0.0);
    let fb = || b.as_f64().unwrap_or(0.0);
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(x), None) => cmp_int_float(x, fb()),
        (None, Some(y)) => cmp_int_float(y, fa()).reverse(),
        // serde_json numbers are always finite, so this never sees NaN.
        (None, None) => fa().partial_cmp(&fb()).unwrap_or(Ordering::Equal),
    }
}

/// Deep equality of two JSON values; numbers compare by value, object key order is ignored.
pub(super) fn deep_eq(a: &Value, b: &Value) -> bool {
    let mut stack = vec![(a, b)];
    while let Some((x, y)) = stack.pop() {
        match (x, y) {
            (Value::Null, Value::Null) => {}
            (Value::Bool(p), Value::Bool(q)) if p == q => {}
            (Value::Number(p), Value::Number(q)) if num_cmp(p, q) == Ordering::Equal => {}
            (Value::String(p), Value::String(q)) if p == q => {}
            (Value::Array(p), Value::Array(q)) if p.len() == q.len() => {
                stack.extend(p.iter().zip(q.iter()));
            }
            (Value::Object(p), Value::Object(q)) if p.len() == q.len() => {
                for (k, v) in p {
                    match q.get(k) {
                        Some(w) => stack.push((v, w)),
                        None => return false,
                    }
                }
            }
            _ => return false,
        }
    }
    true
}

/// Applies a comparison operator. `==`/`!=` accept any values; the ordering operators accept
/// two numbers or two strings and fail otherwise.
pub(super) fn compare(op: CmpOp, a: &Value, b: &Value) -> Result<bool, EvalError> {
    let ord = match (op, a, b) {
        (CmpOp::Eq, _, _) => return Ok(deep_eq(a, b)),
        (CmpOp::Ne, _, _) => return Ok(!deep_eq(a, b)),
        (_, Value::Number(x), Value::Number(y)) => num_cmp(x, y),
        (_, Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => {
            return Err(EvalError(format!(
                "cannot compare {} with {} using '{}'",
                type_name(a),
                type_name(b),
                op.symbol()
            )))
        }
    };
    Ok(match op {
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
        CmpOp::Lt => ord.is_lt(),
        _ => ord.is_le(),
    })
}

/// `-n`, staying an integer when the result fits in i64 and falling back to a float.
pub(super) fn negate_number(n: &Number) -> Number {
    if let Some(v) = n.as_i64().and_then(i64::checked_neg) {
        return Number::from(v);
    }
    if n.as_u64() == Some(1u64 << 63) {
        return Number::from(i64::MIN);
    }
    Number::from_f64(-n.as_f64().unwrap_or(0.0)).unwrap_or_else(|| Number::from(0))
}

/// Renders a value for string interpolation: strings as-is, anything else as compact JSON.
pub(super) fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
