//! Tree-walking evaluator. Owns runtime semantics: variable lookup through [`Scope`], path
//! navigation (missing → `null`), boolean operators with short-circuit, and dispatch to the
//! built-in functions. Recursion follows the tree, whose depth the parser bounds.

use serde_json::{Map, Value};

use super::ast::{Node, Step};
use super::functions;
use super::value::{compare, negate_number, type_name};
use super::{EvalError, Scope, Var};

/// Evaluates `node` against `scope`.
pub(super) fn eval(node: &Node, scope: &dyn Scope) -> Result<Value, EvalError> {
    match node {
        Node::Literal(v) => Ok(v.clone()),
        Node::Var(var) => lookup(scope, *var).cloned(),
        Node::Array(items) => items
            .iter()
            .map(|n| eval(n, scope))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Node::Object(entries) => {
            let mut map = Map::new();
            for (key, n) in entries {
                map.insert(key.clone(), eval(n, scope)?);
            }
            Ok(Value::Object(map))
        }
        Node::Path { base, steps } => {
            if let Node::Var(var) = base.as_ref() {
                // Walk the scope's value by reference and clone only the result.
                let root = lookup(scope, *var)?;
                return Ok(walk(root, steps).cloned().unwrap_or(Value::Null));
            }
            let value = eval(base, scope)?;
            Ok(walk(&value, steps).cloned().unwrap_or(Value::Null))
        }
        Node::Call { func, args } => {
            let values = args
                .iter()
                .map(|n| eval(n, scope))
                .collect::<Result<Vec<_>, _>>()?;
            functions::call(*func, values)
        }
        Node::Not(operand) => match eval(operand, scope)? {
            Value::Bool(b) => Ok(Value::Bool(!b)),
            other => Err(EvalError(format!(
                "operator '!' expects a boolean, got {}",
                type_name(&other)
            ))),
        },
        Node::Neg(operand) => match eval(operand, scope)? {
            Value::Number(n) => Ok(Value::Number(negate_number(&n))),
            other => Err(EvalError(format!(
                "operator '-' expects a number, got {}",
                type_name(&other)
            ))),
        },
        Node::Cmp { op, lhs, rhs } => {
            let a = eval(lhs, scope)?;
            let b = eval(rhs, scope)?;
            compare(*op, &a, &b).map(Value::Bool)
        }
        Node::And(items) => logical(items, scope, "&&", false),
        Node::Or(items) => logical(items, scope, "||", true),
    }
}

fn lookup(scope: &dyn Scope, var: Var) -> Result<&Value, EvalError> {
    scope
        .get(var)
        .ok_or_else(|| EvalError(format!("variable {var} is not available here")))
}

/// Follows `steps` from `root`; `None` when a field/index is missing or a step does not apply.
fn walk<'v>(root: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    let mut cur = root;
    for step in steps {
        cur = match (step, cur) {
            (Step::Field(key), Value::Object(map)) => map.get(key)?,
            (Step::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// `&&` (stop at the first `false`) or `||` (stop at the first `true`), left to right.
fn logical(
    items: &[Node],
    scope: &dyn Scope,
    symbol: &str,
    stop_at: bool,
) -> Result<Value, EvalError> {
    for item in items {
        match eval(item, scope)? {
            Value::Bool(b) if b == stop_at => return Ok(Value::Bool(stop_at)),
            Value::Bool(_) => {}
            other => {
                return Err(EvalError(format!(
                    "operator '{symbol}' expects boolean operands, got {}",
                    type_name(&other)
                )))
            }
        }
    }
    Ok(Value::Bool(!stop_at))
}
