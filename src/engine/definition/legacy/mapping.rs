//! Legacy `inputMappings` / `outputMappings` / `errorMappings`: the [`LegacyMapping`] type, its
//! source paths (`$input.a[0]`, `$local[*].name`, `$context.task.token`, `$.x`), how they are
//! read from a definition and how they are evaluated against an expression scope.

use serde_json::{json, Map, Value};

use super::super::fields::{check_keys, req_string, Ctx};
use super::join;
use crate::engine::expr::{EvalError, Scope as ExprScope, Var};

/// Most steps in one mapping source path.
const MAX_PATH_STEPS: usize = 64;

/// Root of a mapping source path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyRoot {
    /// `$input` (or `$`).
    Input,
    /// `$local`.
    Local,
    /// `$context`.
    Context,
}

/// One step of a mapping source path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyStep {
    /// `.key` or `['key']`.
    Field(String),
    /// `[n]`.
    Index(usize),
    /// `[*]` or `.*`: every element (or every member value).
    All,
}

/// A mapping `source`.
#[derive(Debug, Clone, PartialEq)]
pub enum LegacySource {
    /// A constant.
    Literal(Value),
    /// A path.
    Path {
        /// Where it starts.
        root: LegacyRoot,
        /// Its steps.
        steps: Vec<LegacyStep>,
    },
}

/// A legacy mapping list, or the default mapping (`$input` merged with `$local`).
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyMapping {
    /// `None`: the default merge.
    pub entries: Option<Vec<(String, LegacySource)>>,
}

impl LegacyMapping {
    /// The default input of a step: parent input merged with parent local (local wins).
    pub fn merge_default() -> Self {
        LegacyMapping { entries: None }
    }

    /// Evaluate: `$input` ← `$Input`, `$local` ← `$Output`, `$context` ← `$Context`.
    pub fn eval(&self, scope: &dyn ExprScope) -> Result<Value, EvalError> {
        let mut m = Map::new();
        match &self.entries {
            None => {
                for var in [Var::Input, Var::Output] {
                    if let Some(Value::Object(o)) = scope.get(var) {
                        for (k, v) in o {
                            m.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            Some(entries) => {
                for (target, source) in entries {
                    if let Some(v) = source.resolve(scope) {
                        m.insert(target.clone(), v);
                    }
                }
            }
        }
        Ok(Value::Object(m))
    }

    /// Whether evaluating reads `var`.
    pub fn uses(&self, var: Var) -> bool {
        match &self.entries {
            None => matches!(var, Var::Input | Var::Output),
            Some(entries) => entries.iter().any(|(_, s)| match s {
                LegacySource::Literal(_) => false,
                LegacySource::Path { root, .. } => {
                    matches!(
                        (root, var),
                        (LegacyRoot::Input, Var::Input)
                            | (LegacyRoot::Local, Var::Output)
                            | (LegacyRoot::Context, Var::Context)
                    )
                }
            }),
        }
    }
}

impl LegacySource {
    /// The value, or `None` when the path finds nothing (the target is then left out).
    fn resolve(&self, scope: &dyn ExprScope) -> Option<Value> {
        match self {
            LegacySource::Literal(v) => Some(v.clone()),
            LegacySource::Path { root, steps } => match root {
                LegacyRoot::Input => walk(scope.get(Var::Input)?, steps),
                LegacyRoot::Local => walk(scope.get(Var::Output)?, steps),
                LegacyRoot::Context => walk(&context_view(scope.get(Var::Context)?), steps),
            },
        }
    }
}

/// The legacy `$context`: `{"execution": {"name", "input"}, "step": {"name", "retryCount"},
/// "task": {"token"?}}`, built from the current language's `$Context`.
fn context_view(ctx: &Value) -> Value {
    let e = &ctx["Execution"];
    let c = &ctx["Current"];
    let mut task = Map::new();
    if let Some(t) = c.get("TaskToken") {
        task.insert("token".into(), t.clone());
    }
    json!({
        "execution": { "name": e["Name"], "input": e["Input"] },
        "step": { "name": c["Name"], "retryCount": c["RetryCount"] },
        "task": task,
    })
}

fn walk(v: &Value, steps: &[LegacyStep]) -> Option<Value> {
    let Some((first, rest)) = steps.split_first() else {
        return Some(v.clone());
    };
    match first {
        LegacyStep::Field(k) => walk(v.as_object()?.get(k)?, rest),
        LegacyStep::Index(i) => walk(v.as_array()?.get(*i)?, rest),
        LegacyStep::All => {
            let items: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                Value::Object(o) => o.values().collect(),
                _ => return None,
            };
            Some(Value::Array(
                items.into_iter().filter_map(|x| walk(x, rest)).collect(),
            ))
        }
    }
}

/// Parse a path such as `$input.a[0]`, `$local[*].name`, `$context.task.token`, `$.x`.
fn parse_path(src: &str) -> Result<(LegacyRoot, Vec<LegacyStep>), String> {
    let ident_end = |s: &str| {
        s.char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(s.len(), |(i, _)| i)
    };
    let after = &src[1..];
    let word = &after[..ident_end(after)];
    let (root, mut rest) = match word {
        "" => (LegacyRoot::Input, after),
        "input" => (LegacyRoot::Input, &after[5..]),
        "local" => (LegacyRoot::Local, &after[5..]),
        "context" => (LegacyRoot::Context, &after[7..]),
        other => {
            return Err(format!(
                "unknown root '${other}' (use $input, $local, $context or $)"
            ))
        }
    };
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if steps.len() >= MAX_PATH_STEPS {
            return Err(format!("more than {MAX_PATH_STEPS} steps"));
        }
        if let Some(r) = rest.strip_prefix(".*") {
            steps.push(LegacyStep::All);
            rest = r;
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return Err("empty key after '.'".into());
            }
            steps.push(LegacyStep::Field(r[..end].to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']').ok_or("unclosed '['")?;
            let inner = r[..close].trim();
            let step = if inner == "*" {
                LegacyStep::All
            } else if let Ok(n) = inner.parse::<usize>() {
                LegacyStep::Index(n)
            } else if inner.len() >= 2
                && ((inner.starts_with('\'') && inner.ends_with('\''))
                    || (inner.starts_with('"') && inner.ends_with('"')))
            {
                LegacyStep::Field(inner[1..inner.len() - 1].to_string())
            } else {
                return Err(format!("'[{inner}]' is not [n], [*] or ['key']"));
            };
            steps.push(step);
            rest = &r[close + 1..];
        } else {
            return Err(format!("unexpected '{rest}'"));
        }
    }
    Ok((root, steps))
}

pub(super) fn mappings(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    cx: &mut Ctx,
) -> Option<LegacyMapping> {
    let raw = obj.get(key)?;
    let p = join(path, key);
    let Value::Array(items) = raw else {
        cx.errs
            .push(format!("{p}: must be a list of {{target, source}}."));
        return None;
    };
    let mut entries = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        let ip = format!("{p}[{i}]");
        let Value::Object(o) = it else {
            cx.errs
                .push(format!("{ip}: must be an object with target and source."));
            continue;
        };
        check_keys(o, &ip, &["target", "source"], cx);
        let target = req_string(o, "target", &ip, cx);
        let source = match o.get("source") {
            None => {
                cx.errs.push(format!("{ip}.source: required."));
                None
            }
            Some(Value::String(s)) if s.starts_with('$') => match parse_path(s) {
                Ok((root, steps)) => Some(LegacySource::Path { root, steps }),
                Err(e) => {
                    cx.errs
                        .push(format!("{ip}.source: invalid path '{s}': {e}."));
                    None
                }
            },
            Some(v) => Some(LegacySource::Literal(v.clone())),
        };
        if let (Some(t), Some(s)) = (target, source) {
            entries.push((t, s));
        }
    }
    Some(LegacyMapping {
        entries: Some(entries),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse() {
        assert_eq!(
            parse_path("$input.a[0]['b c'][*].d").unwrap(),
            (
                LegacyRoot::Input,
                vec![
                    LegacyStep::Field("a".into()),
                    LegacyStep::Index(0),
                    LegacyStep::Field("b c".into()),
                    LegacyStep::All,
                    LegacyStep::Field("d".into()),
                ]
            )
        );
        assert_eq!(parse_path("$local").unwrap(), (LegacyRoot::Local, vec![]));
        assert_eq!(
            parse_path("$.x").unwrap(),
            (LegacyRoot::Input, vec![LegacyStep::Field("x".into())])
        );
        assert!(parse_path("$foo.x").is_err());
        assert!(parse_path("$input.").is_err());
        assert!(parse_path("$input[x]").is_err());
    }

    #[test]
    fn wildcard_walks() {
        let v = json!([{"name": "a"}, {"other": 1}, {"name": "b"}]);
        assert_eq!(
            walk(&v, &[LegacyStep::All, LegacyStep::Field("name".into())]),
            Some(json!(["a", "b"]))
        );
        assert_eq!(walk(&v, &[LegacyStep::Index(7)]), None);
    }
}
