//! Constructors and `Parameters`: JSON templates whose `key.$` members are expressions, at any
//! depth (inside objects and arrays). The `.$` suffix is dropped from the output key; plain
//! members are literal values, even strings that start with `$`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::engine::expr::{EvalError, Expr, Scope as ExprScope, Var};

/// A parsed template.
#[derive(Debug, Clone)]
pub enum Template {
    /// A literal value with no expression below it.
    Literal(Value),
    /// An expression (`key.$` value).
    Expr(Expr),
    /// An object with at least one expression below it.
    Object(Vec<(String, Template)>),
    /// An array with at least one expression below it.
    Array(Vec<Template>),
    /// A legacy `inputMappings` / `outputMappings` / `errorMappings` list. Its `$input` is read
    /// from `$Input`, its `$local` from `$Output` and its `$context` from `$Context` of the
    /// scope it is evaluated in (see `legacy/mapping.rs`).
    Legacy(super::LegacyMapping),
}

fn var_name(v: Var) -> &'static str {
    match v {
        Var::Input => "$Input",
        Var::Output => "$Output",
        Var::Context => "$Context",
        Var::Global => "$Global",
        Var::Item => "$Item",
    }
}

impl Template {
    /// Parse `value` found at `path`; expressions may use only `allowed` variables. Problems are
    /// pushed to `errs`.
    pub fn parse(value: &Value, path: &str, allowed: &[Var], errs: &mut Vec<String>) -> Template {
        match value {
            Value::Object(map) => {
                let mut members = Vec::with_capacity(map.len());
                let mut any_expr = false;
                let mut seen = BTreeSet::new();
                for (k, v) in map {
                    let (key, is_expr) = match k.strip_suffix(".$") {
                        Some(stripped) => (stripped.to_string(), true),
                        None => (k.clone(), false),
                    };
                    if !seen.insert(key.clone()) {
                        errs.push(format!(
                            "{path}: the key '{key}' is given both as '{key}' and '{key}.$'."
                        ));
                    }
                    let child_path = format!("{path}.{k}");
                    let t = if is_expr {
                        any_expr = true;
                        match v {
                            Value::String(src) => match Expr::parse(src) {
                                Ok(e) => {
                                    check_vars(&e, &child_path, allowed, errs);
                                    Template::Expr(e)
                                }
                                Err(e) => {
                                    errs.push(format!(
                                        "{child_path}: invalid expression '{src}': {e}."
                                    ));
                                    Template::Literal(Value::Null)
                                }
                            },
                            _ => {
                                errs.push(format!("{child_path}: a key ending in '.$' must have an expression string as its value."));
                                Template::Literal(Value::Null)
                            }
                        }
                    } else {
                        let t = Template::parse(v, &child_path, allowed, errs);
                        any_expr |= !matches!(t, Template::Literal(_));
                        t
                    };
                    members.push((key, t));
                }
                if any_expr {
                    Template::Object(members)
                } else {
                    let mut m = Map::new();
                    for (k, t) in members {
                        if let Template::Literal(v) = t {
                            m.insert(k, v);
                        }
                    }
                    Template::Literal(Value::Object(m))
                }
            }
            Value::Array(items) => {
                let parsed: Vec<Template> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Template::parse(v, &format!("{path}[{i}]"), allowed, errs))
                    .collect();
                if parsed.iter().all(|t| matches!(t, Template::Literal(_))) {
                    Template::Literal(Value::Array(items.clone()))
                } else {
                    Template::Array(parsed)
                }
            }
            other => Template::Literal(other.clone()),
        }
    }

    /// Evaluate against `scope`.
    pub fn eval(&self, scope: &dyn ExprScope) -> Result<Value, EvalError> {
        match self {
            Template::Literal(v) => Ok(v.clone()),
            Template::Expr(e) => e.eval(scope),
            Template::Object(members) => {
                let mut m = Map::with_capacity(members.len());
                for (k, t) in members {
                    m.insert(k.clone(), t.eval(scope)?);
                }
                Ok(Value::Object(m))
            }
            Template::Array(items) => items
                .iter()
                .map(|t| t.eval(scope))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Template::Legacy(m) => m.eval(scope),
        }
    }

    /// Whether any expression below reads `var`.
    pub fn uses(&self, var: Var) -> bool {
        match self {
            Template::Literal(_) => false,
            Template::Expr(e) => e.variables().contains(&var),
            Template::Object(m) => m.iter().any(|(_, t)| t.uses(var)),
            Template::Array(a) => a.iter().any(|t| t.uses(var)),
            Template::Legacy(m) => m.uses(var),
        }
    }
}

/// Push an error when `expr` reads a variable not in `allowed`.
pub fn check_vars(expr: &Expr, path: &str, allowed: &[Var], errs: &mut Vec<String>) {
    for v in expr.variables() {
        if !allowed.contains(&v) {
            errs.push(format!(
                "{path}: the expression '{}' uses {}, which is not available here (allowed: {}).",
                expr.source(),
                var_name(v),
                allowed
                    .iter()
                    .map(|v| var_name(*v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
}
