//! One parser per legacy step type that needs one: `wait`, `task`, `choice`, `parallel` and
//! `foreach`. (`pass`, `succeed` and `fail` are built directly in `legacy/mod.rs`.)

use serde_json::{json, Map, Value};

use super::super::fields::{check_keys, opt_string, opt_uint, req_string, Ctx};
use super::super::parse::ExecutionMode;
use super::super::{IterationMapping, Kind, Next, Scope, TaskMode, TaskSpec, Template, WaitFor};
use super::error_handling::parse_errors;
use super::mapping::LegacyMapping;
use super::rewrite::legacy_expr;
use super::{
    goto, steps_scope, Pos, MAX_LEGACY_BRANCHES, MAX_LEGACY_CONCURRENCY, MAX_LEGACY_WAIT_SECONDS,
};

pub(super) fn parse_wait(obj: &Map<String, Value>, path: &str, cx: &mut Ctx) -> Option<WaitFor> {
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

pub(super) fn parse_task(
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

pub(super) fn parse_choice(
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

pub(super) fn parse_parallel(
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

pub(super) fn parse_foreach(
    obj: &Map<String, Value>,
    path: &str,
    at: &Pos<'_>,
    cx: &mut Ctx,
) -> Option<Kind> {
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
