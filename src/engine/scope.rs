//! The variables an expression sees while a state runs: `$Input`, `$Output`, `$Global` and a
//! `$Context` built lazily (most states never read it, so it costs nothing unless used).

use std::cell::OnceCell;
use std::sync::Mutex;

use serde_json::{json, Map, Value};

use super::expr::{Scope, Var};

/// Execution-wide facts for `$Context.Execution`.
#[derive(Debug)]
pub(crate) struct ExecutionFacts {
    /// `$Context.Execution` as a value.
    pub context_execution: Value,
}

/// What is known about the current state for `$Context.Current`.
#[derive(Debug, Default)]
pub(crate) struct Current<'a> {
    pub name: &'a str,
    pub input: Option<&'a Value>,
    pub output: Option<&'a Value>,
    pub error: Option<(&'a str, &'a str)>,
    pub retry_count: u32,
    pub task_token: Option<&'a str>,
}

/// One evaluation scope. `$Input` and `$Output` are the shorthands of `$Context.Current.Input`
/// and `$Context.Current.Output`.
pub(crate) struct StateScope<'a> {
    pub item: Option<&'a Value>,
    pub current: Current<'a>,
    pub facts: &'a ExecutionFacts,
    pub global: &'a Mutex<Map<String, Value>>,
    context: OnceCell<Value>,
    global_snapshot: OnceCell<Value>,
}

impl<'a> StateScope<'a> {
    pub fn new(
        facts: &'a ExecutionFacts,
        global: &'a Mutex<Map<String, Value>>,
        current: Current<'a>,
    ) -> Self {
        StateScope {
            item: None,
            current,
            facts,
            global,
            context: OnceCell::new(),
            global_snapshot: OnceCell::new(),
        }
    }
}

impl Scope for StateScope<'_> {
    fn get(&self, var: Var) -> Option<&Value> {
        match var {
            Var::Input => self.current.input,
            Var::Output => self.current.output,
            Var::Item => self.item,
            Var::Global => Some(self.global_snapshot.get_or_init(|| {
                Value::Object(
                    self.global
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .clone(),
                )
            })),
            Var::Context => Some(self.context.get_or_init(|| {
                let c = &self.current;
                let mut cur = Map::new();
                cur.insert("Name".into(), json!(c.name));
                if let Some(i) = c.input {
                    cur.insert("Input".into(), i.clone());
                }
                if let Some(o) = c.output {
                    cur.insert("Output".into(), o.clone());
                }
                if let Some((code, detail)) = c.error {
                    cur.insert("Error".into(), json!({ "Code": code, "Detail": detail }));
                }
                cur.insert("RetryCount".into(), json!(c.retry_count));
                if let Some(t) = c.task_token {
                    cur.insert("TaskToken".into(), json!(t));
                }
                json!({ "Execution": self.facts.context_execution, "Current": Value::Object(cur) })
            })),
        }
    }
}
