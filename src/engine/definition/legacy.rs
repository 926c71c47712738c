//! Legacy definitions (`version: v1`/`v1beta1`, `type: flow`, `steps`) translated into the same
//! [`FlowDef`] the interpreter runs for `Type: StateMachine`. There is no second interpreter:
//!
//! | legacy | typed tree |
//! |---|---|
//! | a `steps` list | a [`Scope`] with `legacy: true`, entry at the first step |
//! | serial order / `end` | `Next::State(i + 1)` / `Next::End` |
//! | `inputMappings` | `State::input` = [`Template::Legacy`] (none: `$input` merged with `$local`) |
//! | `outputMappings` | `State::output` = [`Template::Legacy`] (none: the step's `$local`; `{}` for parallel/foreach) |
//! | `pass`, `wait`, `succeed`, `fail` | `Kind::Pass`, `Kind::Wait`, `Kind::Succeed`, `Kind::Fail` (`error`/`cause` → `Code`/`Detail`) |
//! | `task` + `resourceArn` | `Kind::Task` with `Action: FC:InvokeFunction`, `Parameters: {resourceArn, invocationType, body: <step input>}` |
//! | `pattern` | `requestResponse` → RequestComplete, `sync` → WaitForSystemCallback, `waitForCallback` → WaitForCustomCallback |
//! | `choice` | `Kind::Choice` whose branches carry their nested `steps` as bodies; `goto` (or the next step) as target |
//! | `parallel` | `Kind::Parallel` (the interpreter gives an array of branch locals) |
//! | `foreach` | `Kind::Map` with an [`IterationMapping`] |
//! | `retry` / `catch` + `errorMappings` | `RetryRule` / `CatchRule` (`errorMappings` as the Catch output) |
//!
//! Mapping sources: a string starting with `$` is a path rooted at `$input`, `$local`,
//! `$context` (or `$`, meaning `$input`) with `.key`, `['key']`, `[n]` and `[*]` steps; anything
//! else is a literal. Evaluated against an expression scope: `$input` is `$Input`, `$local` is
//! `$Output`, `$context` a legacy view of `$Context`. Conditions, `collection`, `duration` and
//! `timestamp` paths (`$.x`, `$input.x`) are rewritten to the expression language (`$Input.x`).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::parse::{
    check_keys, list, opt_bool, opt_number, opt_string, opt_uint, req_string, Ctx, ExecutionMode,
    IN_VARS, MAX_SCOPE_DEPTH,
};
use super::{
    CatchRule, ErrorHandling, FlowDef, IterationMapping, Kind, LegacyFlow, Next, RetryRule, Scope,
    State, TaskMode, TaskSpec, Template, WaitFor,
};
use crate::engine::expr::{EvalError, Expr, Scope as ExprScope, Var};

/// Most branches a legacy parallel may have.
pub const MAX_LEGACY_BRANCHES: usize = 100;
/// Most concurrent iterations of a legacy foreach (also the default).
pub const MAX_LEGACY_CONCURRENCY: usize = 100;
/// Longest legacy wait, seconds (2 days).
pub const MAX_LEGACY_WAIT_SECONDS: u64 = 2 * 24 * 3600;
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

/// Rewrite legacy path roots in an expression: `$.x`, `$[..]`, `$input.x` → `$Input…`.
/// Quoted strings are left alone.
fn rewrite_expr(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 8);
    let mut quote: Option<char> = None;
    let mut it = src.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' && q == '"' {
                if let Some((_, n)) = it.next() {
                    out.push(n);
                }
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => {
                quote = Some(c);
                out.push(c);
            }
            '$' => {
                let rest = &src[i + 1..];
                let n = rest
                    .char_indices()
                    .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
                    .map_or(rest.len(), |(j, _)| j);
                match &rest[..n] {
                    "" => out.push_str("$Input"),
                    "input" => {
                        out.push_str("$Input");
                        for _ in 0..5 {
                            it.next();
                        }
                    }
                    _ => out.push('$'),
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn legacy_expr(src: &str, path: &str, what: &str, cx: &mut Ctx) -> Option<Expr> {
    match Expr::parse(&rewrite_expr(src)) {
        Ok(e) => {
            super::template::check_vars(&e, path, IN_VARS, &mut cx.errs);
            Some(e)
        }
        Err(e) => {
            cx.errs
                .push(format!("{path}: invalid {what} '{src}': {e}."));
            None
        }
    }
}

fn join(owner: &str, key: &str) -> String {
    if owner.is_empty() {
        key.to_string()
    } else {
        format!("{owner}.{key}")
    }
}

fn mappings(
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

/// Translate a legacy definition. `Err` lists every problem, each naming the step and field.
pub(super) fn translate(
    top: &Map<String, Value>,
    mode: ExecutionMode,
) -> Result<FlowDef, Vec<String>> {
    let mut cx = Ctx {
        errs: Vec::new(),
        mode,
    };
    let d = "definition";
    check_keys(
        top,
        d,
        &[
            "version",
            "type",
            "steps",
            "inputMappings",
            "outputMappings",
            "timeoutSeconds",
            "description",
        ],
        &mut cx,
    );
    match top.get("version") {
        Some(Value::String(v)) if v == "v1" || v == "v1beta1" => {}
        Some(other) => cx.errs.push(format!(
            "{d}.version: must be 'v1' or 'v1beta1', got {other}."
        )),
        None => cx.errs.push(format!("{d}.version: required ('v1').")),
    }
    match top.get("type") {
        Some(Value::String(t)) if t == "flow" => {}
        Some(other) => cx
            .errs
            .push(format!("{d}.type: must be 'flow', got {other}.")),
        None => cx.errs.push(format!("{d}.type: required ('flow').")),
    }
    opt_string(top, "description", d, &mut cx);
    let max_timeout = match mode {
        ExecutionMode::Standard => 365 * 24 * 3600,
        ExecutionMode::Express => 300,
    };
    let timeout_seconds = opt_uint(top, "timeoutSeconds", d, 0, max_timeout, &mut cx);
    let input = mappings(top, "inputMappings", d, &mut cx).map(Template::Legacy);
    let output = mappings(top, "outputMappings", d, &mut cx).map(Template::Legacy);
    let root = steps_scope(top.get("steps"), "", 0, &mut cx);
    match root {
        Some(root) if cx.errs.is_empty() => Ok(FlowDef {
            name: None,
            timeout_seconds,
            root,
            legacy: Some(LegacyFlow { input, output }),
        }),
        _ => Err(cx.errs),
    }
}

fn steps_scope(raw: Option<&Value>, owner: &str, depth: usize, cx: &mut Ctx) -> Option<Scope> {
    let sp = join(owner, "steps");
    if depth > MAX_SCOPE_DEPTH {
        cx.errs.push(format!(
            "{sp}: steps are nested more than {MAX_SCOPE_DEPTH} deep."
        ));
        return None;
    }
    let items = match raw {
        Some(Value::Array(a)) if !a.is_empty() => a.as_slice(),
        Some(Value::Array(_)) => {
            cx.errs.push(format!("{sp}: must list at least one step."));
            return None;
        }
        Some(_) => {
            cx.errs.push(format!("{sp}: must be a list of steps."));
            return None;
        }
        None => {
            cx.errs.push(format!("{sp}: required."));
            return None;
        }
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, s) in items.iter().enumerate() {
        if let Some(Value::String(n)) = s.get("name") {
            if index.insert(n.clone(), i).is_some() {
                cx.errs.push(format!(
                    "{sp}[{i}]: the name '{n}' is used by more than one step at this level."
                ));
            }
        }
    }
    let mut states = Vec::with_capacity(items.len());
    for (i, raw) in items.iter().enumerate() {
        let path = match raw.get("name").and_then(Value::as_str) {
            Some(n) => format!("{sp}[{i}]({n})"),
            None => format!("{sp}[{i}]"),
        };
        let Value::Object(obj) = raw else {
            cx.errs.push(format!("{path}: must be an object."));
            continue;
        };
        let at = Pos {
            i,
            n: items.len(),
            index: &index,
            depth,
        };
        if let Some(st) = parse_step(obj, &path, &at, cx) {
            states.push(st);
        }
    }
    (states.len() == items.len()).then_some(Scope {
        states,
        start: 0,
        legacy: true,
    })
}

/// Where a step sits in its list.
struct Pos<'a> {
    i: usize,
    n: usize,
    index: &'a HashMap<String, usize>,
    depth: usize,
}

fn goto(name: &str, path: &str, at: &Pos<'_>, cx: &mut Ctx) -> Option<usize> {
    let i = at.index.get(name).copied();
    if i.is_none() {
        cx.errs
            .push(format!("{path}: no step named '{name}' at the same level."));
    }
    i
}

fn parse_step(obj: &Map<String, Value>, path: &str, at: &Pos<'_>, cx: &mut Ctx) -> Option<State> {
    let name = req_string(obj, "name", path, cx);
    let ty = req_string(obj, "type", path, cx)?;
    const COMMON: &[&str] = &[
        "type",
        "name",
        "description",
        "end",
        "inputMappings",
        "outputMappings",
    ];
    const ERR: &[&str] = &["retry", "catch", "errorMappings"];
    let extra: Vec<&str> = match ty.as_str() {
        "pass" | "succeed" => vec![],
        "task" => [ERR, &["resourceArn", "pattern", "timeoutSeconds"]].concat(),
        "choice" => vec!["choices", "default"],
        "parallel" => [ERR, &["branches"]].concat(),
        "foreach" => [ERR, &["iterationMapping", "steps", "maxConcurrency"]].concat(),
        "wait" => vec!["duration", "timestamp"],
        "fail" => vec!["error", "cause"],
        other => {
            cx.errs.push(format!(
                "{path}.type: unknown step type '{other}' (pass, task, choice, parallel, foreach, wait, succeed, fail)."
            ));
            return None;
        }
    };
    check_keys(obj, path, &[COMMON, &extra].concat(), cx);
    opt_string(obj, "description", path, cx);
    let end = opt_bool(obj, "end", path, cx).unwrap_or(false);
    let fall = if end || at.i + 1 >= at.n {
        Next::End
    } else {
        Next::State(at.i + 1)
    };
    let input_mapping =
        mappings(obj, "inputMappings", path, cx).unwrap_or_else(LegacyMapping::merge_default);
    let output = match mappings(obj, "outputMappings", path, cx) {
        Some(m) => Some(Template::Legacy(m)),
        // parallel and foreach output nothing unless mapped.
        None if ty == "parallel" || ty == "foreach" => Some(Template::Literal(json!({}))),
        None => None,
    };
    let kind = match ty.as_str() {
        "pass" => Some(Kind::Pass),
        "succeed" => Some(Kind::Succeed),
        "fail" => Some(Kind::Fail {
            code: opt_string(obj, "error", path, cx),
            detail: opt_string(obj, "cause", path, cx).unwrap_or_default(),
        }),
        "wait" => parse_wait(obj, path, cx).map(Kind::Wait),
        "task" => parse_task(obj, path, at, &input_mapping, cx),
        "choice" => parse_choice(obj, path, at, fall, cx),
        "parallel" => parse_parallel(obj, path, at, cx),
        "foreach" => parse_foreach(obj, path, at, cx),
        _ => None,
    };
    let next = match ty.as_str() {
        "succeed" | "fail" => Next::End,
        _ => fall,
    };
    Some(State {
        name: Arc::from(name?.as_str()),
        kind: kind?,
        input: Some(Template::Legacy(input_mapping)),
        output,
        global: None,
        next,
    })
}

fn parse_wait(obj: &Map<String, Value>, path: &str, cx: &mut Ctx) -> Option<WaitFor> {
    let given: Vec<&str> = ["duration", "timestamp"]
        .into_iter()
        .filter(|k| obj.contains_key(*k))
        .collect();
    if given.len() != 1 {
        cx.errs.push(format!(
            "{path}: a wait step needs exactly one of duration, timestamp (got {}).",
            if given.is_empty() {
                "none".to_string()
            } else {
                given.join(", ")
            }
        ));
        return None;
    }
    let key = given[0];
    let p = format!("{path}.{key}");
    match (key, &obj[key]) {
        (_, Value::String(s)) if s.trim_start().starts_with('$') => {
            let e = legacy_expr(s, &p, "path", cx)?;
            Some(if key == "duration" {
                WaitFor::SecondsExpr(e)
            } else {
                WaitFor::UntilExpr(e)
            })
        }
        ("duration", v) => {
            let n = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            match n {
                Some(n)
                    if n.fract() == 0.0 && (0.0..=MAX_LEGACY_WAIT_SECONDS as f64).contains(&n) =>
                {
                    Some(WaitFor::Seconds(n as u64))
                }
                _ => {
                    cx.errs.push(format!(
                        "{p}: must be whole seconds from 0 to {MAX_LEGACY_WAIT_SECONDS} or a path such as $.wait, got {v}."
                    ));
                    None
                }
            }
        }
        (_, Value::String(s)) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(WaitFor::Until(t.with_timezone(&chrono::Utc))),
            Err(_) => {
                cx.errs.push(format!(
                    "{p}: '{s}' is not an RFC 3339 time such as 2023-10-02T15:04:05Z or a path such as $.wait_timestamp."
                ));
                None
            }
        },
        (_, v) => {
            cx.errs
                .push(format!("{p}: must be an RFC 3339 time or a path, got {v}."));
            None
        }
    }
}

fn parse_task(
    obj: &Map<String, Value>,
    path: &str,
    at: &Pos<'_>,
    input: &LegacyMapping,
    cx: &mut Ctx,
) -> Option<Kind> {
    let errors = parse_errors(obj, path, at, cx);
    let arn = req_string(obj, "resourceArn", path, cx);
    let mode = match opt_string(obj, "pattern", path, cx).as_deref() {
        None | Some("requestResponse") => Some(TaskMode::RequestComplete),
        Some("sync") => Some(TaskMode::WaitForSystemCallback),
        Some("waitForCallback") => Some(TaskMode::WaitForCustomCallback),
        Some(other) => {
            cx.errs.push(format!(
                "{path}.pattern: must be requestResponse, sync or waitForCallback, got '{other}'."
            ));
            None
        }
    };
    if cx.mode == ExecutionMode::Express && mode.is_some_and(|m| m != TaskMode::RequestComplete) {
        cx.errs.push(format!(
            "{path}.pattern: Express flows support only requestResponse."
        ));
    }
    let timeout_seconds = opt_uint(obj, "timeoutSeconds", path, 0, 604_800, cx).unwrap_or(0);
    let arn = arn?;
    let mode = mode?;
    // FC functions go through the FC:InvokeFunction stand-in; queues and flows have no local
    // stand-in (mock them), but keep a recognisable action name.
    let action = if arn.starts_with("acs:mns:") {
        "MNS:SendMessage"
    } else if arn.starts_with("acs:fnf:") {
        "FnF:StartExecution"
    } else {
        "FC:InvokeFunction"
    };
    let invocation = if mode == TaskMode::RequestComplete {
        "Sync"
    } else {
        "Async"
    };
    let parameters = Template::Object(vec![
        ("resourceArn".into(), Template::Literal(json!(arn))),
        (
            "invocationType".into(),
            Template::Literal(json!(invocation)),
        ),
        ("body".into(), Template::Legacy(input.clone())),
    ]);
    Some(Kind::Task {
        spec: TaskSpec {
            action: action.into(),
            mode,
            parameters: Some(parameters),
            timeout_seconds,
            unwrap_body: true,
        },
        errors: errors?,
    })
}

fn error_names(o: &Map<String, Value>, path: &str, cx: &mut Ctx) -> Option<Vec<String>> {
    let names = match o.get("errors") {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|e| e.as_str().filter(|s| !s.is_empty()).map(str::to_string))
            .collect::<Option<Vec<_>>>(),
        _ => None,
    };
    if names.is_none() {
        cx.errs.push(format!(
            "{path}.errors: required, a non-empty list of error names (FnF.ALL matches all)."
        ));
    }
    names
}

fn parse_errors(
    obj: &Map<String, Value>,
    path: &str,
    at: &Pos<'_>,
    cx: &mut Ctx,
) -> Option<ErrorHandling> {
    let before = cx.errs.len();
    let mut eh = ErrorHandling::default();
    if obj.contains_key("errorMappings") && !obj.contains_key("catch") {
        cx.errs.push(format!(
            "{path}.errorMappings: only with catch (it builds the output handed to the catch's goto)."
        ));
    }
    // Without errorMappings a caught step outputs nothing.
    let catch_output = mappings(obj, "errorMappings", path, cx)
        .map(Template::Legacy)
        .unwrap_or(Template::Literal(json!({})));
    for (i, r) in list(obj, "retry", path, cx).iter().enumerate() {
        let p = format!("{path}.retry[{i}]");
        let Value::Object(ro) = r else {
            cx.errs.push(format!("{p}: must be an object."));
            continue;
        };
        check_keys(
            ro,
            &p,
            &[
                "errors",
                "intervalSeconds",
                "maxAttempts",
                "multiplier",
                "maxIntervalSeconds",
                "description",
            ],
            cx,
        );
        let errors = error_names(ro, &p, cx);
        let interval = opt_number(ro, "intervalSeconds", &p, 0.0, 86_400.0, cx).unwrap_or(1.0);
        let max_attempts = opt_uint(ro, "maxAttempts", &p, 0, 1000, cx).unwrap_or(3);
        let multiplier = opt_number(ro, "multiplier", &p, 1.0, 1000.0, cx).unwrap_or(2.0);
        let cap = opt_number(ro, "maxIntervalSeconds", &p, 0.0, 86_400.0, cx);
        if let Some(errors) = errors {
            eh.retry.push(RetryRule {
                errors,
                max_attempts: max_attempts as u32,
                interval_seconds: interval,
                backoff_rate: multiplier,
                max_backoff_seconds: cap,
            });
        }
    }
    for (i, c) in list(obj, "catch", path, cx).iter().enumerate() {
        let p = format!("{path}.catch[{i}]");
        let Value::Object(co) = c else {
            cx.errs.push(format!("{p}: must be an object."));
            continue;
        };
        check_keys(co, &p, &["errors", "goto", "description"], cx);
        let errors = error_names(co, &p, cx);
        let next =
            req_string(co, "goto", &p, cx).and_then(|g| goto(&g, &format!("{p}.goto"), at, cx));
        if let (Some(errors), Some(next)) = (errors, next) {
            eh.catch.push(CatchRule {
                errors,
                output: Some(catch_output.clone()),
                next,
            });
        }
    }
    (cx.errs.len() == before).then_some(eh)
}

/// A choice arm's `steps` (optional) and `goto` (optional: else the step after the choice).
fn choice_arm(
    o: &Map<String, Value>,
    p: &str,
    at: &Pos<'_>,
    fall: Next,
    cx: &mut Ctx,
) -> Option<(Option<Scope>, Next)> {
    let body = match o.get("steps") {
        None => Some(None),
        Some(v) => steps_scope(Some(v), p, at.depth + 1, cx).map(Some),
    };
    let next = match opt_string(o, "goto", p, cx) {
        None => Some(fall),
        Some(g) => goto(&g, &format!("{p}.goto"), at, cx).map(Next::State),
    };
    Some((body?, next?))
}

fn parse_choice(
    obj: &Map<String, Value>,
    path: &str,
    at: &Pos<'_>,
    fall: Next,
    cx: &mut Ctx,
) -> Option<Kind> {
    let raw = match obj.get("choices") {
        Some(Value::Array(a)) if !a.is_empty() => a.as_slice(),
        _ => {
            cx.errs.push(format!(
                "{path}.choices: required, a non-empty list of {{condition, steps, goto}}."
            ));
            return None;
        }
    };
    let mut branches = Vec::with_capacity(raw.len());
    let mut bodies = Vec::with_capacity(raw.len() + 1);
    let mut ok = true;
    for (i, b) in raw.iter().enumerate() {
        let bp = format!("{path}.choices[{i}]");
        let Value::Object(bo) = b else {
            cx.errs
                .push(format!("{bp}: must be an object with condition."));
            ok = false;
            continue;
        };
        check_keys(bo, &bp, &["condition", "steps", "goto", "description"], cx);
        let cond = req_string(bo, "condition", &bp, cx)
            .and_then(|c| legacy_expr(&c, &format!("{bp}.condition"), "condition", cx));
        let arm = choice_arm(bo, &bp, at, fall, cx);
        match (cond, arm) {
            (Some(c), Some((body, next))) => {
                branches.push((c, next));
                bodies.push(body);
            }
            _ => ok = false,
        }
    }
    let dp = format!("{path}.default");
    let default = match obj.get("default") {
        // "If no default is defined, the choice step ends": continue after it.
        None => Some((None, fall)),
        Some(Value::Object(d)) => {
            check_keys(d, &dp, &["steps", "goto", "description"], cx);
            choice_arm(d, &dp, at, fall, cx)
        }
        Some(_) => {
            cx.errs
                .push(format!("{dp}: must be an object with steps and/or goto."));
            None
        }
    };
    let (dbody, dnext) = default?;
    bodies.push(dbody);
    ok.then_some(Kind::Choice {
        branches,
        default: dnext,
        bodies,
    })
}

fn parse_parallel(
    obj: &Map<String, Value>,
    path: &str,
    at: &Pos<'_>,
    cx: &mut Ctx,
) -> Option<Kind> {
    let errors = parse_errors(obj, path, at, cx);
    let raw = match obj.get("branches") {
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_LEGACY_BRANCHES => a.as_slice(),
        Some(Value::Array(a)) if !a.is_empty() => {
            cx.errs.push(format!(
                "{path}.branches: at most {MAX_LEGACY_BRANCHES} branches, got {}.",
                a.len()
            ));
            return None;
        }
        _ => {
            cx.errs.push(format!(
                "{path}.branches: required, a non-empty list of {{steps}}."
            ));
            return None;
        }
    };
    let mut branches = Vec::with_capacity(raw.len());
    for (i, b) in raw.iter().enumerate() {
        let bp = format!("{path}.branches[{i}]");
        let Value::Object(bo) = b else {
            cx.errs.push(format!("{bp}: must be an object with steps."));
            continue;
        };
        check_keys(bo, &bp, &["steps"], cx);
        if let Some(s) = steps_scope(bo.get("steps"), &bp, at.depth + 1, cx) {
            branches.push(s);
        }
    }
    if branches.len() != raw.len() {
        return None;
    }
    Some(Kind::Parallel {
        branches,
        errors: errors?,
    })
}

fn parse_foreach(obj: &Map<String, Value>, path: &str, at: &Pos<'_>, cx: &mut Ctx) -> Option<Kind> {
    let errors = parse_errors(obj, path, at, cx);
    let ip = format!("{path}.iterationMapping");
    let mapping = match obj.get("iterationMapping") {
        Some(Value::Object(m)) => {
            check_keys(m, &ip, &["collection", "item", "index"], cx);
            let collection = req_string(m, "collection", &ip, cx)
                .and_then(|c| legacy_expr(&c, &format!("{ip}.collection"), "path", cx));
            let item = req_string(m, "item", &ip, cx);
            let index = opt_string(m, "index", &ip, cx);
            match (collection, item) {
                (Some(c), Some(item)) => Some((c, IterationMapping { item, index })),
                _ => None,
            }
        }
        _ => {
            cx.errs.push(format!(
                "{ip}: required, an object with collection, item and (optional) index."
            ));
            None
        }
    };
    let processor = steps_scope(obj.get("steps"), path, at.depth + 1, cx);
    let mc = opt_uint(
        obj,
        "maxConcurrency",
        path,
        0,
        MAX_LEGACY_CONCURRENCY as u64,
        cx,
    )
    .unwrap_or(0) as usize;
    let (items_path, iteration) = mapping?;
    Some(Kind::Map {
        items_path,
        processor: processor?,
        max_concurrency: if mc == 0 { MAX_LEGACY_CONCURRENCY } else { mc },
        distributed: None,
        errors: errors?,
        iteration: Some(iteration),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(text: &str) -> Vec<String> {
        match super::super::parse(text, ExecutionMode::Standard) {
            Ok(_) => panic!("expected errors for:\n{text}"),
            Err(e) => e,
        }
    }

    fn has(errs: &[String], needle: &str) {
        assert!(
            errs.iter().any(|e| e.contains(needle)),
            "no error containing {needle:?} in {errs:#?}"
        );
    }

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

    #[test]
    fn expressions_are_rewritten_outside_strings() {
        assert_eq!(
            rewrite_expr(r#"$.status == "$.x" && $input.n > 1"#),
            r#"$Input.status == "$.x" && $Input.n > 1"#
        );
        assert_eq!(rewrite_expr("$Input.a"), "$Input.a");
    }

    #[test]
    fn top_level_fields() {
        let e = errs("type: flow\nsteps: []\nbogus: 1\n");
        has(&e, "definition.version: required");
        has(&e, "steps: must list at least one step");
        has(&e, "definition: unknown field 'bogus'");
        let e = errs("version: v2\ntype: flo\nsteps:\n  - type: pass\n    name: a\n");
        has(&e, "definition.version: must be 'v1' or 'v1beta1'");
        has(&e, "definition.type: must be 'flow'");
    }

    #[test]
    fn every_problem_names_step_and_field() {
        let e = errs(
            r#"version: v1
type: flow
steps:
  - type: pass
    name: a
    outputMappings:
      - target: x
  - type: task
    name: a
  - type: task
    name: resize
    resourceArn: acs:fc:::services/s/functions/resize
    pattern: later
    retry:
      - intervalSeconds: 1
    catch:
      - errors: [FnF.ALL]
        goto: nowhere
  - type: choice
    name: c
    choices:
      - condition: $.x ==
        goto: a
  - type: foreach
    name: f
    iterationMapping:
      item: x
    steps:
      - type: loop
        name: l
  - type: wait
    name: w
  - type: pass
    name: p
    errorMappings: []
"#,
        );
        has(&e, "steps[0](a).outputMappings[0].source: required");
        has(&e, "steps[1]: the name 'a' is used by more than one step");
        has(&e, "steps[1](a).resourceArn: required");
        has(
            &e,
            "steps[2](resize).pattern: must be requestResponse, sync or waitForCallback",
        );
        has(&e, "steps[2](resize).retry[0].errors: required");
        has(
            &e,
            "steps[2](resize).catch[0].goto: no step named 'nowhere'",
        );
        has(
            &e,
            "steps[3](c).choices[0].condition: invalid condition '$.x =='",
        );
        has(&e, "steps[4](f).iterationMapping.collection: required");
        has(&e, "steps[4](f).steps[0](l).type: unknown step type 'loop'");
        has(
            &e,
            "steps[5](w): a wait step needs exactly one of duration, timestamp",
        );
        has(&e, "steps[6](p): unknown field 'errorMappings'");
    }

    #[test]
    fn nested_paths_and_limits() {
        let e = errs(
            r#"version: v1
type: flow
steps:
  - type: parallel
    name: par
    branches:
      - steps:
          - type: wait
            name: w
            duration: 200000
      - steps: []
    errorMappings:
      - target: e
        source: $local.error
  - type: choice
    name: c
    choices:
      - condition: $.a == 1
        steps:
          - type: fail
            name: f
            reason: x
    default:
      goto: missing
"#,
        );
        has(&e, "steps[0](par).branches[0].steps[0](w).duration: must be whole seconds from 0 to 172800");
        has(
            &e,
            "steps[0](par).branches[1].steps: must list at least one step",
        );
        has(&e, "steps[0](par).errorMappings: only with catch");
        has(
            &e,
            "steps[1](c).choices[0].steps[0](f): unknown field 'reason'",
        );
        has(&e, "steps[1](c).default.goto: no step named 'missing'");
    }

    #[test]
    fn translation_shapes() {
        let def = super::super::parse(
            r#"version: v1beta1
type: flow
steps:
  - type: task
    name: t
    resourceArn: acs:fc:::services/s/functions/f
    pattern: waitForCallback
    timeoutSeconds: 30
    retry:
      - errors: [FnF.ALL]
  - type: choice
    name: c
    end: true
    choices:
      - condition: $.x == 1
        steps:
          - type: pass
            name: inner
  - type: pass
    name: after
"#,
            ExecutionMode::Standard,
        )
        .unwrap();
        assert!(def.legacy.is_some() && def.root.legacy);
        let st = &def.root.states;
        assert_eq!(st[0].next, Next::State(1));
        let Kind::Task { spec, errors } = &st[0].kind else {
            panic!()
        };
        assert_eq!(spec.mode, TaskMode::WaitForCustomCallback);
        assert_eq!(spec.timeout_seconds, 30);
        assert!(spec.unwrap_body);
        let r = &errors.retry[0];
        assert_eq!(
            (r.max_attempts, r.interval_seconds, r.backoff_rate),
            (3, 1.0, 2.0)
        );
        let Kind::Choice {
            branches,
            default,
            bodies,
        } = &st[1].kind
        else {
            panic!()
        };
        // end: true on the choice: after the branch, the scope ends.
        assert_eq!(branches[0].1, Next::End);
        assert_eq!(*default, Next::End);
        assert_eq!(bodies.len(), 2);
        assert!(bodies[0].as_ref().is_some_and(|s| s.legacy));
        assert!(bodies[1].is_none());
        assert_eq!(st[2].next, Next::End);
    }
}
