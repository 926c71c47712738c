//! Definition text (YAML or JSON) → [`FlowDef`], with every problem collected.
//!
//! Rules enforced are those of fdl.md Part A plus the obvious structural ones (unique names per
//! scope, targets that exist, `Next` or `End` on every state that continues). Unknown fields are
//! refused so that typos (`Nxt:`) surface at CreateFlow rather than as surprises at run time.
//!
//! This file owns the entry point, the limits, and the scope and state dispatch. The field
//! readers live in `fields.rs`, the per-type parsers in `states.rs`, and Retry / Catch /
//! OnErrors in `error_handling.rs`; legacy (`type: flow`) definitions are handed to `legacy/`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::fields::{check_keys, opt_bool, opt_string, opt_uint, req_string, template, Ctx};
use super::states::{parse_choice, parse_map, parse_parallel, parse_task, parse_wait};
use super::{FlowDef, Kind, Next, Scope, State};
use crate::engine::expr::Var;

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

pub(super) fn sub_scope(
    v: Option<&Value>,
    path: &str,
    depth: usize,
    cx: &mut Ctx,
) -> Option<Scope> {
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
