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
//! | `foreach` | `Kind::Map` with an [`IterationMapping`](super::IterationMapping) |
//! | `retry` / `catch` + `errorMappings` | `RetryRule` / `CatchRule` (`errorMappings` as the Catch output) |
//!
//! Mapping sources: a string starting with `$` is a path rooted at `$input`, `$local`,
//! `$context` (or `$`, meaning `$input`) with `.key`, `['key']`, `[n]` and `[*]` steps; anything
//! else is a literal. Evaluated against an expression scope: `$input` is `$Input`, `$local` is
//! `$Output`, `$context` a legacy view of `$Context`. Conditions, `collection`, `duration` and
//! `timestamp` paths (`$.x`, `$input.x`) are rewritten to the expression language (`$Input.x`).
//!
//! This file owns the translation entry point, step lists and the dispatch on a step's `type`.
//! Mappings (and their source paths) live in `mapping.rs`, the rewriting of legacy paths in
//! conditions into the expression language in `rewrite.rs`, the per-type step parsers in
//! `steps.rs`, and `retry` / `catch` / `errorMappings` in `error_handling.rs`.

mod error_handling;
mod mapping;
mod rewrite;
mod steps;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::fields::{check_keys, opt_bool, opt_string, opt_uint, req_string, Ctx};
use super::parse::{ExecutionMode, MAX_SCOPE_DEPTH};
use super::{FlowDef, Kind, LegacyFlow, Next, Scope, State, Template};
use mapping::mappings;
pub use mapping::{LegacyMapping, LegacySource};
use steps::{parse_choice, parse_foreach, parse_parallel, parse_task, parse_wait};

/// Most branches a legacy parallel may have.
pub const MAX_LEGACY_BRANCHES: usize = 100;
/// Most concurrent iterations of a legacy foreach (also the default).
pub const MAX_LEGACY_CONCURRENCY: usize = 100;
/// Longest legacy wait, seconds (2 days).
pub const MAX_LEGACY_WAIT_SECONDS: u64 = 2 * 24 * 3600;

fn join(owner: &str, key: &str) -> String {
    if owner.is_empty() {
        key.to_string()
    } else {
        format!("{owner}.{key}")
    }
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
