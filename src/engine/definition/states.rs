//! One parser per state type of the current language (`Type: StateMachine`): Wait, Choice,
//! Parallel, Map (inline and distributed) and Task. Pass, Succeed and Fail need no parser of their
//! own and are built in `parse.rs`; Retry / Catch come from `error_handling.rs`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::error_handling::parse_error_handling;
use super::fields::{
    check_keys, opt_number, opt_string, opt_uint, parse_expr, req_string, template, Ctx,
};
use super::parse::{
    sub_scope, target, ExecutionMode, IN_VARS, MAX_DISTRIBUTED_MAP_CONCURRENCY,
    MAX_INLINE_MAP_CONCURRENCY, MAX_PARALLEL_BRANCHES,
};
use super::{Distributed, Kind, Next, Scope, TaskMode, TaskSpec, Template, WaitFor};
use crate::engine::expr::Var;

pub(super) fn parse_wait(obj: &Map<String, Value>, path: &str, cx: &mut Ctx) -> Option<WaitFor> {
    let max = match cx.mode {
        ExecutionMode::Standard => 300,
        ExecutionMode::Express => 20,
    };
    let given: Vec<&str> = ["Seconds", "Seconds.$", "UntilDateTime", "UntilDateTime.$"]
        .into_iter()
        .filter(|k| obj.contains_key(*k))
        .collect();
    if given.len() != 1 {
        cx.errs.push(format!(
            "{path}: a Wait state needs exactly one of Seconds, Seconds.$, UntilDateTime (got {}).",
            if given.is_empty() {
                "none".to_string()
            } else {
                given.join(", ")
            }
        ));
        return None;
    }
    match given[0] {
        "Seconds" => opt_uint(obj, "Seconds", path, 1, max, cx).map(WaitFor::Seconds),
        "Seconds.$" => match obj.get("Seconds.$") {
            Some(Value::String(src)) => {
                parse_expr(src, &format!("{path}.Seconds.$"), IN_VARS, cx).map(WaitFor::SecondsExpr)
            }
            _ => {
                cx.errs
                    .push(format!("{path}.Seconds.$: must be an expression string."));
                None
            }
        },
        key => {
            let p = format!("{path}.{key}");
            let Some(Value::String(src)) = obj.get(key) else {
                cx.errs.push(format!("{p}: must be a string."));
                return None;
            };
            if key.ends_with(".$") || src.trim_start().starts_with('$') {
                parse_expr(src, &p, IN_VARS, cx).map(WaitFor::UntilExpr)
            } else {
                match chrono::DateTime::parse_from_rfc3339(src) {
                    Ok(t) => Some(WaitFor::Until(t.with_timezone(&chrono::Utc))),
                    Err(_) => {
                        cx.errs.push(format!(
                            "{p}: '{src}' is not an RFC 3339 time such as 2023-10-02T15:04:05Z."
                        ));
                        None
                    }
                }
            }
        }
    }
}

pub(super) fn parse_choice(
    obj: &Map<String, Value>,
    path: &str,
    index: &HashMap<String, usize>,
    cx: &mut Ctx,
) -> Option<Kind> {
    let default = req_string(obj, "Default", path, cx)
        .and_then(|d| target(&d, &format!("{path}.Default"), index, cx));
    let raw = match obj.get("Branches") {
        Some(Value::Array(a)) if !a.is_empty() => a.as_slice(),
        _ => {
            cx.errs.push(format!(
                "{path}.Branches: required, a non-empty list of {{Condition, Next}}."
            ));
            return None;
        }
    };
    let mut branches = Vec::new();
    let mut ok = true;
    for (i, b) in raw.iter().enumerate() {
        let bpath = format!("{path}.Branches[{i}]");
        let Value::Object(bo) = b else {
            cx.errs.push(format!(
                "{bpath}: must be an object with Condition and Next."
            ));
            ok = false;
            continue;
        };
        check_keys(bo, &bpath, &["Condition", "Next", "Description"], cx);
        let cond = req_string(bo, "Condition", &bpath, cx)
            .and_then(|c| parse_expr(&c, &format!("{bpath}.Condition"), IN_VARS, cx));
        let next = req_string(bo, "Next", &bpath, cx)
            .and_then(|n| target(&n, &format!("{bpath}.Next"), index, cx));
        match (cond, next) {
            (Some(c), Some(n)) => branches.push((c, Next::State(n))),
            _ => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(Kind::Choice {
        branches,
        default: Next::State(default?),
        bodies: Vec::new(),
    })
}

pub(super) fn parse_parallel(
    obj: &Map<String, Value>,
    path: &str,
    index: &HashMap<String, usize>,
    depth: usize,
    cx: &mut Ctx,
) -> Option<Kind> {
    let errors = parse_error_handling(obj, path, index, cx);
    let raw = match obj.get("Branches") {
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_PARALLEL_BRANCHES => a.as_slice(),
        Some(Value::Array(a)) if !a.is_empty() => {
            cx.errs.push(format!(
                "{path}.Branches: at most {MAX_PARALLEL_BRANCHES} branches, got {}.",
                a.len()
            ));
            return None;
        }
        _ => {
            cx.errs.push(format!(
                "{path}.Branches: required, a non-empty list of {{StartAt, States}}."
            ));
            return None;
        }
    };
    let branches: Vec<Option<Scope>> = raw
        .iter()
        .enumerate()
        .map(|(i, b)| sub_scope(Some(b), &format!("{path}.Branches[{i}]"), depth, cx))
        .collect();
    let branches: Option<Vec<Scope>> = branches.into_iter().collect();
    Some(Kind::Parallel {
        branches: branches?,
        errors: errors?,
    })
}

pub(super) fn parse_map(
    obj: &Map<String, Value>,
    path: &str,
    index: &HashMap<String, usize>,
    depth: usize,
    cx: &mut Ctx,
) -> Option<Kind> {
    let errors = parse_error_handling(obj, path, index, cx);
    let items_path = req_string(obj, "ItemsPath", path, cx)
        .and_then(|s| parse_expr(&s, &format!("{path}.ItemsPath"), IN_VARS, cx));
    let processor = sub_scope(
        obj.get("Processor"),
        &format!("{path}.Processor"),
        depth,
        cx,
    );
    let distributed = match obj.get("ProcessorConfig") {
        None => None,
        Some(Value::Object(pc)) => {
            let p = format!("{path}.ProcessorConfig");
            check_keys(pc, &p, &["ExecutionMode"], cx);
            match opt_string(pc, "ExecutionMode", &p, cx).as_deref() {
                Some(m @ ("Standard" | "Express")) => Some(parse_distributed(obj, path, m, cx)),
                None => None,
                Some(other) => {
                    cx.errs.push(format!(
                        "{p}.ExecutionMode: must be Standard or Express, got '{other}'."
                    ));
                    None
                }
            }
        }
        Some(_) => {
            cx.errs
                .push(format!("{path}.ProcessorConfig: must be an object."));
            None
        }
    };
    let max = if distributed.is_some() {
        MAX_DISTRIBUTED_MAP_CONCURRENCY
    } else {
        MAX_INLINE_MAP_CONCURRENCY
    };
    if obj.contains_key("MaxConcurrency") && obj.contains_key("MaxConcuccency") {
        cx.errs.push(format!(
            "{path}: give MaxConcurrency or MaxConcuccency, not both."
        ));
    }
    let key = if obj.contains_key("MaxConcuccency") {
        "MaxConcuccency"
    } else {
        "MaxConcurrency"
    };
    let mc = opt_uint(obj, key, path, 0, max as u64, cx).unwrap_or(0) as usize;
    if distributed.is_none() {
        for k in [
            "ItemReader",
            "ItemConstructor",
            "ItemBatcher",
            "ResultWriter",
            "MaxItems",
            "ToleratedFailurePercentage",
            "ToleratedFailureCount",
        ] {
            if obj.contains_key(k) {
                cx.errs.push(format!(
                    "{path}.{k}: only for distributed mode (set ProcessorConfig.ExecutionMode)."
                ));
            }
        }
    }
    Some(Kind::Map {
        items_path: items_path?,
        processor: processor?,
        max_concurrency: if mc == 0 { max } else { mc },
        distributed,
        errors: errors?,
        iteration: None,
    })
}

/// The distributed-mode fields of a Map (`ProcessorConfig.ExecutionMode` given).
fn parse_distributed(
    obj: &Map<String, Value>,
    path: &str,
    mode: &str,
    cx: &mut Ctx,
) -> Distributed {
    const ITEM_VARS: &[Var] = &[Var::Item, Var::Input, Var::Context, Var::Global];
    let item_constructor = match obj.get("ItemConstructor") {
        None => None,
        Some(v) => Some(Template::parse(
            v,
            &format!("{path}.ItemConstructor"),
            ITEM_VARS,
            &mut cx.errs,
        )),
    };
    let max_items = opt_uint(obj, "MaxItems", path, 0, 1_000_000, cx).filter(|n| *n > 0);
    let tolerated_failure_count =
        opt_uint(obj, "ToleratedFailureCount", path, 0, u64::MAX >> 11, cx);
    let tolerated_failure_percentage =
        opt_number(obj, "ToleratedFailurePercentage", path, 0.0, 100.0, cx);
    let unsupported = ["ItemReader", "ItemBatcher", "ResultWriter"]
        .into_iter()
        .filter(|k| obj.contains_key(*k))
        .map(str::to_string)
        .collect();
    Distributed {
        execution_mode: mode.to_string(),
        item_constructor,
        max_items,
        tolerated_failure_count,
        tolerated_failure_percentage,
        unsupported,
    }
}

pub(super) fn parse_task(
    obj: &Map<String, Value>,
    path: &str,
    index: &HashMap<String, usize>,
    cx: &mut Ctx,
) -> Option<Kind> {
    let errors = parse_error_handling(obj, path, index, cx);
    let action = req_string(obj, "Action", path, cx);
    if let Some(a) = &action {
        let ok = a.split_once(':').is_some_and(|(s, api)| {
            !s.is_empty()
                && !api.is_empty()
                && !a.chars().any(char::is_whitespace)
                && !api.contains(':')
        });
        if !ok {
            cx.errs.push(format!(
                "{path}.Action: must be '<Service>:<API>' such as FC:InvokeFunction, got '{a}'."
            ));
        }
    }
    let mode = match opt_string(obj, "TaskMode", path, cx).as_deref() {
        None | Some("RequestComplete") => Some(TaskMode::RequestComplete),
        Some("WaitForSystemCallback") => Some(TaskMode::WaitForSystemCallback),
        Some("WaitForCustomCallback") => Some(TaskMode::WaitForCustomCallback),
        Some(other) => {
            cx.errs.push(format!(
                "{path}.TaskMode: must be RequestComplete, WaitForSystemCallback or WaitForCustomCallback, got '{other}'."
            ));
            None
        }
    };
    if cx.mode == ExecutionMode::Express && mode.is_some_and(|m| m != TaskMode::RequestComplete) {
        cx.errs.push(format!(
            "{path}.TaskMode: Express flows support only RequestComplete."
        ));
    }
    let parameters = template(obj, "Parameters", path, IN_VARS, cx);
    let timeout_seconds = opt_uint(obj, "Timeout", path, 0, 604_800, cx).unwrap_or(0);
    Some(Kind::Task {
        spec: TaskSpec {
            action: action?,
            mode: mode?,
            parameters,
            timeout_seconds,
            unwrap_body: false,
        },
        errors: errors?,
    })
}
