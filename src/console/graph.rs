//! The state graph of a definition as JSON for the console to draw, and the progress of an
//! execution over it (which states were entered, succeeded, failed or are running), derived
//! from the execution's history.
//!
//! Every state gets an `Id`: its name, prefixed for nested scopes by the enclosing Parallel's
//! name and branch index (`Par/0/Step`) or the enclosing Map's name and `items` (`Map/items/Step`;
//! all iterations of a Map share the processor's nodes).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::engine::definition::{ErrorHandling, FlowDef, Kind, Next, Scope};
use crate::store::{Event, EventType, Status};

/// The segment of a node id for Map processors.
const ITEMS: &str = "items";

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// The graph of `def`: `{"StartAt", "States": [node…]}` (nested scopes alike).
pub fn graph(def: &FlowDef) -> Value {
    scope(&def.root, "")
}

fn scope(sc: &Scope, prefix: &str) -> Value {
    let name_of = |i: usize| {
        sc.states
            .get(i)
            .map(|s| Value::String(s.name.to_string()))
            .unwrap_or(Value::Null)
    };
    let states: Vec<Value> = sc
        .states
        .iter()
        .map(|st| {
            let id = join(prefix, &st.name);
            let mut o = Map::new();
            o.insert("Id".into(), json!(id));
            o.insert("Name".into(), json!(&*st.name));
            o.insert("Type".into(), json!(st.kind.type_name()));
            match st.next {
                Next::State(i) => {
                    o.insert("Next".into(), name_of(i));
                }
                Next::End => {
                    o.insert("End".into(), json!(true));
                }
            }
            let catch = |e: &ErrorHandling| -> Value {
                e.catch
                    .iter()
                    .map(|c| json!({ "Errors": c.errors, "Next": name_of(c.next) }))
                    .collect()
            };
            match &st.kind {
                Kind::Choice {
                    branches, default, ..
                } => {
                    o.remove("End");
                    // A legacy choice may fall through (Next::End): no edge is drawn for it.
                    let target = |n: &Next| match n {
                        Next::State(i) => name_of(*i),
                        Next::End => Value::Null,
                    };
                    let choices: Vec<Value> = branches
                        .iter()
                        .map(|(cond, n)| json!({ "Condition": cond.source(), "Next": target(n) }))
                        .collect();
                    o.insert("Choices".into(), Value::Array(choices));
                    o.insert("Default".into(), target(default));
                }
                Kind::Parallel { branches, errors } => {
                    let bs: Vec<Value> = branches
                        .iter()
                        .enumerate()
                        .map(|(i, b)| scope(b, &join(&id, &i.to_string())))
                        .collect();
                    o.insert("Branches".into(), Value::Array(bs));
                    o.insert("Catch".into(), catch(errors));
                }
                Kind::Map {
                    processor, errors, ..
                } => {
                    o.insert("Processor".into(), scope(processor, &join(&id, ITEMS)));
                    o.insert("Catch".into(), catch(errors));
                }
                Kind::Task { errors, spec } => {
                    o.insert("Action".into(), json!(spec.action));
                    o.insert("Catch".into(), catch(errors));
                }
                _ => {}
            }
            Value::Object(o)
        })
        .collect();
    json!({ "StartAt": name_of(sc.start), "States": states })
}

/// Progress of one state id.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NodeProgress {
    /// Times entered.
    pub entered: usize,
    /// Of those, how many succeeded (a caught failure counts as failed).
    pub succeeded: usize,
    /// Failed.
    pub failed: usize,
    /// Still running (or cut short, when the execution has ended).
    pub running: usize,
}

impl NodeProgress {
    /// One word: `running`, `failed`, `interrupted` (running when the execution ended),
    /// `succeeded` or `entered`.
    pub fn status(&self, execution_in_progress: bool) -> &'static str {
        if self.running > 0 {
            if execution_in_progress {
                "running"
            } else {
                "interrupted"
            }
        } else if self.failed > 0 {
            "failed"
        } else if self.succeeded > 0 {
            "succeeded"
        } else {
            "entered"
        }
    }
}

/// Progress per state id, from a history.
pub fn progress(history: &[Event]) -> HashMap<String, NodeProgress> {
    let by_id: HashMap<u64, &Event> = history.iter().map(|e| (e.id, e)).collect();
    let mut ids: HashMap<u64, String> = HashMap::new();
    // Events are recorded in order, so a StepEntered's enclosing state is entered before it.
    for ev in history {
        if ev.kind != EventType::StepEntered {
            continue;
        }
        let prefix = by_id
            .get(&ev.schedule_id)
            .and_then(|opener| {
                let seg = match opener.kind {
                    EventType::BranchEntered => serde_json::from_str::<Value>(&opener.detail)
                        .ok()
                        .and_then(|d| d["Index"].as_u64())
                        .map(|i| i.to_string())?,
                    EventType::IterationEntered => ITEMS.to_string(),
                    _ => return None,
                };
                // opener → StepStarted of the Parallel/Map → its StepEntered.
                let started = by_id.get(&opener.schedule_id)?;
                let parent = ids.get(&started.schedule_id)?;
                Some(join(parent, &seg))
            })
            .unwrap_or_default();
        ids.insert(ev.id, join(&prefix, &ev.step_name));
    }
    let mut out: HashMap<String, NodeProgress> = HashMap::new();
    let mut ended: HashMap<u64, (bool, bool)> = HashMap::new(); // entered id → (succeeded, failed)
    for ev in history {
        let e = ended.entry(ev.schedule_id).or_default();
        match ev.kind {
            EventType::StepFailed => e.1 = true,
            EventType::StepSucceeded | EventType::StepExited => e.0 = true,
            _ => {}
        }
    }
    for (eid, id) in &ids {
        let p = out.entry(id.clone()).or_default();
        p.entered += 1;
        match ended.get(eid).copied().unwrap_or_default() {
            (_, true) => p.failed += 1,
            (true, false) => p.succeeded += 1,
            _ => p.running += 1,
        }
    }
    out
}

/// `graph` with each node's progress added (`Status`, `Entered`, `Succeeded`, `Failed`,
/// `Running`); nodes never entered get no `Status`.
pub fn graph_with_progress(def: &FlowDef, history: &[Event], status: Status) -> Value {
    let mut g = graph(def);
    let prog = progress(history);
    annotate(&mut g, &prog, status.in_progress());
    g
}

fn annotate(scope: &mut Value, prog: &HashMap<String, NodeProgress>, live: bool) {
    let Some(states) = scope.get_mut("States").and_then(Value::as_array_mut) else {
        return;
    };
    for node in states {
        let id = node["Id"].as_str().unwrap_or_default().to_string();
        if let (Some(p), Some(o)) = (prog.get(&id), node.as_object_mut()) {
            o.insert("Status".into(), json!(p.status(live)));
            o.insert("Entered".into(), json!(p.entered));
            o.insert("Succeeded".into(), json!(p.succeeded));
            o.insert("Failed".into(), json!(p.failed));
            o.insert("Running".into(), json!(p.running));
        }
        if let Some(bs) = node.get_mut("Branches").and_then(Value::as_array_mut) {
            for b in bs {
                annotate(b, prog, live);
            }
        }
        if let Some(p) = node.get_mut("Processor") {
            annotate(p, prog, live);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::definition::{parse, ExecutionMode};
    use std::sync::Arc;

    const DEF: &str = r#"
Type: StateMachine
SpecVersion: v1
Name: g
StartAt: Pick
States:
  - Type: Choice
    Name: Pick
    Branches:
      - Condition: $Input.x > 1
        Next: Par
    Default: Done
  - Type: Parallel
    Name: Par
    Branches:
      - StartAt: A
        States:
          - Type: Pass
            Name: A
            End: true
      - StartAt: B
        States:
          - Type: Map
            Name: B
            ItemsPath: $Input.items
            Processor:
              StartAt: C
              States:
                - Type: Pass
                  Name: C
                  End: true
            End: true
    Next: Done
  - Type: Succeed
    Name: Done
"#;

    fn ev(id: u64, sched: u64, kind: EventType, step: &str, detail: &str) -> Event {
        Event {
            id,
            schedule_id: sched,
            kind,
            step_name: Arc::from(step),
            time: chrono::Utc::now(),
            detail: detail.to_string(),
        }
    }

    #[test]
    fn graph_has_nested_ids_and_edges() {
        let def = parse(DEF, ExecutionMode::Standard).expect("valid");
        let g = graph(&def);
        assert_eq!(g["StartAt"], "Pick");
        let pick = &g["States"][0];
        assert_eq!(pick["Type"], "Choice");
        assert_eq!(pick["Choices"][0]["Next"], "Par");
        assert_eq!(pick["Default"], "Done");
        let par = &g["States"][1];
        assert_eq!(par["Next"], "Done");
        assert_eq!(par["Branches"][0]["States"][0]["Id"], "Par/0/A");
        let map = &par["Branches"][1]["States"][0];
        assert_eq!(map["Id"], "Par/1/B");
        assert_eq!(map["Processor"]["States"][0]["Id"], "Par/1/B/items/C");
        assert_eq!(g["States"][2]["End"], true);
    }

    #[test]
    fn progress_follows_the_event_tree() {
        use EventType::*;
        let h = vec![
            ev(1, 0, ExecutionStarted, "", "{}"),
            ev(2, 1, StepEntered, "Par", "{}"),
            ev(3, 2, StepStarted, "Par", "{}"),
            ev(4, 3, BranchEntered, "Par", r#"{"Index":0}"#),
            ev(5, 3, BranchEntered, "Par", r#"{"Index":1}"#),
            ev(6, 4, StepEntered, "A", "{}"),
            ev(7, 6, StepStarted, "A", "{}"),
            ev(8, 6, StepSucceeded, "A", "{}"),
            ev(9, 6, StepExited, "A", "{}"),
            ev(10, 5, StepEntered, "B", "{}"),
            ev(11, 10, StepStarted, "B", "{}"),
            ev(12, 11, IterationEntered, "B", r#"{"Index":0}"#),
            ev(13, 11, IterationEntered, "B", r#"{"Index":1}"#),
            ev(14, 12, StepEntered, "C", "{}"),
            ev(15, 14, StepSucceeded, "C", "{}"),
            ev(16, 13, StepEntered, "C", "{}"),
            ev(17, 16, StepFailed, "C", "{}"),
        ];
        let p = progress(&h);
        assert_eq!(p["Par/0/A"].succeeded, 1);
        assert_eq!(p["Par"].running, 1);
        assert_eq!(p["Par/1/B"].status(true), "running");
        let c = &p["Par/1/B/items/C"];
        assert_eq!((c.entered, c.succeeded, c.failed), (2, 1, 1));
        assert_eq!(c.status(true), "failed");
        assert_eq!(p["Par"].status(false), "interrupted");
    }
}
