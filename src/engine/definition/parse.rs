//! Definition text (YAML or JSON) → [`FlowDef`], with every problem collected.
//!
//! Rules enforced are those of fdl.md Part A plus the obvious structural ones (unique names per
//! scope, targets that exist, `Next` or `End` on every state that continues). Unknown fields are
//! refused so that typos (`Nxt:`) surface at CreateFlow rather than as surprises at run time.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{
    CatchRule, Distributed, ErrorHandling, FlowDef, Kind, Next, RetryRule, Scope, State, TaskMode,
    TaskSpec, Template, WaitFor,
};
use crate::engine::expr::{Expr, Var};

/// Most branches a Parallel may have.
pub const MAX_PARALLEL_BRANCHES: usize = 50;
/// Most concurrent iterations of an inline Map.
pub const MAX_INLINE_MAP_CONCURRENCY: usize = 40;
/// Most concurrent child executions of a distributed Map.
pub const MAX_DISTRIBUTED_MAP_CONCURRENCY: usize = 100;
/// Deepest nesting of scopes (Parallel / Map inside each other).
pub const MAX_SCOPE_DEPTH: usize = 32;

/// The flow's execution mode, which changes some limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionMode {
    /// Asynchronous executions up to a year.
    Standard,
    /// Synchronous executions up to 5 minutes; Wait ≤ 20 s; RequestComplete tasks only.
    Express,
}

pub(super) const IN_VARS: &[Var] = &[Var::Input, Var::Context, Var::Global];
const OUT_VARS: &[Var] = &[Var::Input, Var::Output, Var::Context, Var::Global];

pub(super) struct Ctx {
    pub(super) errs: Vec<String>,
    pub(super) mode: ExecutionMode,
}

/// Drop custom YAML tags (`resourceArn: !Ref video-demo/transcode`, from Funcraft/ROS templates),
/// keeping the tagged value, so such real-world definitions load.
fn untag(v: serde_yaml::Value) -> serde_yaml::Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Tagged(t) => untag(t.value),
        Y::Sequence(items) => Y::Sequence(items.into_iter().map(untag).collect()),
        Y::Mapping(m) => Y::Mapping(m.into_iter().map(|(k, v)| (untag(k), untag(v))).collect()),
        other => other,
    }
}

/// Parse and validate a definition. `Err` lists every problem found.
pub fn parse(text: &str, mode: ExecutionMode) -> Result<FlowDef, Vec<String>> {
    let yaml: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => return Err(vec![format!("Definition is not valid YAML or JSON: {e}")]),
    };
    let value: Value = match serde_json::to_value(untag(yaml)) {
        Ok(v) => v,
        Err(e) => return Err(vec![format!("Definition is not valid YAML or JSON: {e}")]),
    };
    let Value::Object(top) = value else {
        return Err(vec!["Definition must be a YAML or JSON object.".into()]);
    };
    if !top.contains_key("Type")
        && (top.contains_key("steps") || top.contains_key("type") || top.contains_key("version"))
    {
        return super::legacy::translate(&top, mode);
    }
    let mut cx = Ctx {
        errs: Vec::new(),
        mode,
    };
    check_keys(
        &top,
        "Definition",
        &[
            "Type",
            "SpecVersion",
            "Name",
            "Description",
            "StartAt",
            "States",
            "Timeout",
        ],
        &mut cx,
    );
    match top.get("Type") {
        Some(Value::String(t)) if t == "StateMachine" => {}
        Some(other) => cx.errs.push(format!(
            "Definition.Type: must be 'StateMachine', got {other}."
        )),
        None => cx
            .errs
            .push("Definition.Type: required ('StateMachine').".into()),
    }
    match top.get("SpecVersion") {
        Some(Value::String(v)) if v == "v1" => {}
        Some(other) => cx.errs.push(format!(
            "Definition.SpecVersion: must be 'v1', got {other}."
        )),
        None => cx
            .errs
            .push("Definition.SpecVersion: required ('v1').".into()),
    }
    let name = opt_string(&top, "Name", "Definition", &mut cx);
    opt_string(&top, "Description", "Definition", &mut cx);
    let max_timeout = match mode {
        ExecutionMode::Standard => 365 * 24 * 3600,
        ExecutionMode::Express => 300,
    };
    let timeout_seconds = opt_uint(&top, "Timeout", "Definition", 0, max_timeout, &mut cx);
    let root = parse_scope(&top, "Definition", 0, &mut cx);
    match root {
        Some(root) if cx.errs.is_empty() => Ok(FlowDef {
            name,
            timeout_seconds,
            root,
            legacy: None,
        }),
        _ => Err(cx.errs),
    }
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

fn template(
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

/// A scope's `StartAt` + `States`; names are resolved within it.
fn parse_scope(obj: &Map<String, Value>, path: &str, depth: usize, cx: &mut Ctx) -> Option<Scope> {
    if depth > MAX_SCOPE_DEPTH {
        cx.errs.push(format!(
            "{path}: scopes are nested more than {MAX_SCOPE_DEPTH} deep."
        ));
        return None;
    }
    let start_at = req_string(obj, "StartAt", path, cx);
    let raw_states = match obj.get("States") {
        Some(Value::Array(a)) if !a.is_empty() => a.as_slice(),
        Some(Value::Array(_)) => {
            cx.errs
                .push(format!("{path}.States: must list at least one state."));
            &[]
        }
        Some(_) => {
            cx.errs
                .push(format!("{path}.States: must be a list of states."));
            &[]
        }
        None => {
            cx.errs.push(format!("{path}.States: required."));
            &[]
        }
    };
    // First pass: names, so targets can be resolved.
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, s) in raw_states.iter().enumerate() {
        if let Some(Value::String(n)) = s.get("Name") {
            if index.insert(n.clone(), i).is_some() {
                cx.errs.push(format!("{path}.States[{i}]: the name '{n}' is used by more than one state in this scope."));
            }
        }
    }
    let mut states = Vec::with_capacity(raw_states.len());
    for (i, raw) in raw_states.iter().enumerate() {
        let spath = match raw.get("Name").and_then(Value::as_str) {
            Some(n) => format!("{path}.States[{i}]({n})"),
            None => format!("{path}.States[{i}]"),
        };
        let Value::Object(sobj) = raw else {
            cx.errs.push(format!("{spath}: must be an object."));
            continue;
        };
        if let Some(st) = parse_state(sobj, &spath, &index, depth, cx) {
            states.push(st);
        }
    }
    let start = match start_at {
        Some(s) => match index.get(&s) {
            Some(&i) => Some(i),
            None => {
                cx.errs.push(format!(
                    "{path}.StartAt: no state named '{s}' in this scope."
                ));
                None
            }
        },
        None => None,
    };
    if states.len() != raw_states.len() {
        return None;
    }
    Some(Scope {
        states,
        start: start?,
        legacy: false,
    })
}

pub(super) fn target(
    name: &str,
    field_path: &str,
    index: &HashMap<String, usize>,
    cx: &mut Ctx,
) -> Option<usize> {
    match index.get(name) {
        Some(&i) => Some(i),
        None => {
            cx.errs.push(format!(
                "{field_path}: no state named '{name}' in this scope."
            ));
            None
        }
    }
}

fn parse_state(
    obj: &Map<String, Value>,
    path: &str,
    index: &HashMap<String, usize>,
    depth: usize,
    cx: &mut Ctx,
) -> Option<State> {
    let name = req_string(obj, "Name", path, cx);
    let ty = req_string(obj, "Type", path, cx);
    const COMMON: &[&str] = &[
        "Name",
        "Type",
        "Description",
        "InputConstructor",
        "GlobalConstructor",
    ];
    const FLOW: &[&str] = &["Next", "End", "OutputConstructor"];
    const ERR: &[&str] = &["Retry", "Catch", "OnErrors"];
    let extra: Vec<&str> = match ty.as_deref() {
        Some("Pass") => FLOW.to_vec(),
        Some("Wait") => [
            FLOW,
            &["Seconds", "Seconds.$", "UntilDateTime", "UntilDateTime.$"],
        ]
        .concat(),
        Some("Choice") => vec!["Branches", "Default"],
        Some("Parallel") => [FLOW, ERR, &["Branches"]].concat(),
        Some("Map") => [
            FLOW,
            ERR,
            &[
                "ItemsPath",
                "Processor",
                "MaxConcurrency",
                "MaxConcuccency",
                "ProcessorConfig",
                "ItemReader",
                "ItemConstructor",
                "ItemBatcher",
                "ResultWriter",
                "MaxItems",
                "ToleratedFailurePercentage",
                "ToleratedFailureCount",
            ],
        ]
        .concat(),
        Some("Task") => [FLOW, ERR, &["Action", "TaskMode", "Parameters", "Timeout"]].concat(),
        Some("Succeed") => vec!["OutputConstructor", "End"],
        Some("Fail") => vec!["OutputConstructor", "End", "Code", "Detail"],
        Some(other) => {
            cx.errs.push(format!(
                "{path}.Type: unknown state type '{other}' (Pass, Task, Choice, Parallel, Map, Wait, Succeed, Fail)."
            ));
            return None;
        }
        None => return None,
    };
    check_keys(obj, path, &[COMMON, &extra].concat(), cx);
    opt_string(obj, "Description", path, cx);
    let input = template(obj, "InputConstructor", path, IN_VARS, cx);
    let global = template(obj, "GlobalConstructor", path, OUT_VARS, cx);
    let output = template(obj, "OutputConstructor", path, OUT_VARS, cx);

    let ty = ty?;
    let continues = !matches!(ty.as_str(), "Choice" | "Succeed" | "Fail");
    let end = opt_bool(obj, "End", path, cx).unwrap_or(false);
    let next_name = opt_string(obj, "Next", path, cx);
    let next = if continues {
        match (next_name, end) {
            (Some(_), true) => {
                cx.errs
                    .push(format!("{path}: has both Next and End: true; give one."));
                None
            }
            (Some(n), false) => target(&n, &format!("{path}.Next"), index, cx).map(Next::State),
            (None, true) => Some(Next::End),
            (None, false) => {
                cx.errs.push(format!("{path}: needs Next or End: true."));
                None
            }
        }
    } else {
        if next_name.is_some() {
            cx.errs
                .push(format!("{path}.Next: a {ty} state does not take Next."));
        }
        Some(Next::End)
    };

    let kind = match ty.as_str() {
        "Pass" => Some(Kind::Pass),
        "Wait" => parse_wait(obj, path, cx).map(Kind::Wait),
        "Choice" => parse_choice(obj, path, index, cx),
        "Parallel" => parse_parallel(obj, path, index, depth, cx),
        "Map" => parse_map(obj, path, index, depth, cx),
        "Task" => parse_task(obj, path, index, cx),
        "Succeed" => Some(Kind::Succeed),
        "Fail" => {
            let code = opt_string(obj, "Code", path, cx);
            let detail = req_string(obj, "Detail", path, cx);
            detail.map(|detail| Kind::Fail { code, detail })
        }
        _ => None,
    };
    Some(State {
        name: Arc::from(name?.as_str()),
        kind: kind?,
        input,
        output,
        global,
        next: next?,
    })
}

fn parse_wait(obj: &Map<String, Value>, path: &str, cx: &mut Ctx) -> Option<WaitFor> {
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

fn parse_choice(
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

fn sub_scope(v: Option<&Value>, path: &str, depth: usize, cx: &mut Ctx) -> Option<Scope> {
    match v {
        Some(Value::Object(o)) => {
            check_keys(o, path, &["StartAt", "States"], cx);
            parse_scope(o, path, depth + 1, cx)
        }
        _ => {
            cx.errs.push(format!(
                "{path}: required, an object with StartAt and States."
            ));
            None
        }
    }
}

fn parse_parallel(
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

fn parse_map(
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

fn parse_task(
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

fn error_names(o: &Map<String, Value>, path: &str, cx: &mut Ctx) -> Option<Vec<String>> {
    match o.get("Errors") {
        Some(Value::Array(a)) if !a.is_empty() => {
            let names: Vec<String> = a
                .iter()
                .filter_map(|e| e.as_str().filter(|s| !s.is_empty()).map(str::to_string))
                .collect();
            if names.len() == a.len() {
                return Some(names);
            }
            cx.errs.push(format!(
                "{path}.Errors: every entry must be a non-empty string."
            ));
            None
        }
        _ => {
            cx.errs.push(format!(
                "{path}.Errors: required, a non-empty list of error names (FnF.ALL matches all)."
            ));
            None
        }
    }
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

fn parse_error_handling(
    obj: &Map<String, Value>,
    path: &str,
    index: &HashMap<String, usize>,
    cx: &mut Ctx,
) -> Option<ErrorHandling> {
    let before = cx.errs.len();
    let mut eh = ErrorHandling::default();
    for (i, r) in list(obj, "Retry", path, cx).iter().enumerate() {
        let p = format!("{path}.Retry[{i}]");
        let Value::Object(ro) = r else {
            cx.errs.push(format!("{p}: must be an object."));
            continue;
        };
        check_keys(
            ro,
            &p,
            &[
                "Errors",
                "Description",
                "MaxAttempts",
                "IntervalSeconds",
                "BackoffRate",
                "MaxBackoffSeconds",
            ],
            cx,
        );
        let errors = error_names(ro, &p, cx);
        for key in ["MaxAttempts", "IntervalSeconds"] {
            if !ro.contains_key(key) {
                cx.errs.push(format!("{p}.{key}: required."));
            }
        }
        let max_attempts = opt_uint(ro, "MaxAttempts", &p, 0, 1000, cx);
        let interval = opt_number(ro, "IntervalSeconds", &p, 0.0, 86_400.0, cx);
        let backoff_rate = opt_number(ro, "BackoffRate", &p, 1.0, 1000.0, cx).unwrap_or(1.0);
        let max_backoff = opt_number(ro, "MaxBackoffSeconds", &p, 0.0, 86_400.0, cx);
        if let (Some(errors), Some(max_attempts), Some(interval_seconds)) =
            (errors, max_attempts, interval)
        {
            eh.retry.push(RetryRule {
                errors,
                max_attempts: max_attempts as u32,
                interval_seconds,
                backoff_rate,
                max_backoff_seconds: max_backoff,
            });
        }
    }
    for (i, c) in list(obj, "Catch", path, cx).iter().enumerate() {
        let p = format!("{path}.Catch[{i}]");
        let Value::Object(co) = c else {
            cx.errs.push(format!("{p}: must be an object."));
            continue;
        };
        check_keys(
            co,
            &p,
            &["Errors", "Description", "OutputConstructor", "Next"],
            cx,
        );
        let errors = error_names(co, &p, cx);
        let output = template(co, "OutputConstructor", &p, IN_VARS, cx);
        let next = req_string(co, "Next", &p, cx)
            .and_then(|n| target(&n, &format!("{p}.Next"), index, cx));
        if let (Some(errors), Some(next)) = (errors, next) {
            eh.catch.push(CatchRule {
                errors,
                output,
                next,
            });
        }
    }
    // The older OnErrors form: each entry retries or goes to Next (mutually exclusive).
    for (i, c) in list(obj, "OnErrors", path, cx).iter().enumerate() {
        let p = format!("{path}.OnErrors[{i}]");
        let Value::Object(co) = c else {
            cx.errs.push(format!("{p}: must be an object."));
            continue;
        };
        check_keys(
            co,
            &p,
            &[
                "Errors",
                "Description",
                "Retry",
                "Next",
                "OutputConstructor",
            ],
            cx,
        );
        let errors = error_names(co, &p, cx);
        match (co.get("Retry"), co.get("Next")) {
            (Some(_), Some(_)) => cx
                .errs
                .push(format!("{p}: Retry and Next are mutually exclusive.")),
            (Some(Value::Object(ro)), None) => {
                let rp = format!("{p}.Retry");
                check_keys(ro, &rp, &["MaxAttempts", "FixedBackoff", "Multiplier"], cx);
                if !ro.contains_key("MaxAttempts") {
                    cx.errs.push(format!("{rp}.MaxAttempts: required."));
                }
                let max_attempts = opt_uint(ro, "MaxAttempts", &rp, 0, 1000, cx);
                let interval =
                    opt_number(ro, "FixedBackoff", &rp, 0.0, 86_400.0, cx).unwrap_or(1.0);
                let rate = opt_number(ro, "Multiplier", &rp, 1.0, 1000.0, cx).unwrap_or(1.0);
                if let (Some(errors), Some(max_attempts)) = (errors, max_attempts) {
                    eh.retry.push(RetryRule {
                        errors,
                        max_attempts: max_attempts as u32,
                        interval_seconds: interval,
                        backoff_rate: rate,
                        max_backoff_seconds: None,
                    });
                }
            }
            (Some(_), None) => cx.errs.push(format!("{p}.Retry: must be an object.")),
            (None, Some(_)) => {
                let output = template(co, "OutputConstructor", &p, IN_VARS, cx);
                let next = req_string(co, "Next", &p, cx)
                    .and_then(|n| target(&n, &format!("{p}.Next"), index, cx));
                if let (Some(errors), Some(next)) = (errors, next) {
                    eh.catch.push(CatchRule {
                        errors,
                        output,
                        next,
                    });
                }
            }
            (None, None) => cx.errs.push(format!("{p}: needs Retry or Next.")),
        }
    }
    (cx.errs.len() == before).then_some(eh)
}

#[cfg(test)]
mod tag_tests {
    use super::*;

    #[test]
    fn custom_yaml_tags_are_tolerated() {
        let legacy = "version: v1beta1\ntype: flow\nsteps:\n  - type: task\n    name: t\n    resourceArn: !Ref video-demo/transcode\n";
        assert!(parse(legacy, ExecutionMode::Standard).is_ok());
        let new = "Type: StateMachine\nSpecVersion: v1\nStartAt: P\nStates:\n  - Type: Pass\n    Name: P\n    InputConstructor:\n      arn: !Sub acs:fc:x\n    End: true\n";
        assert!(parse(new, ExecutionMode::Standard).is_ok());
        // Non-string keys are still refused with a message, never a panic.
        assert!(parse("{1: 2}", ExecutionMode::Standard).is_err());
    }
}
