//! Runs one execution's states: walking the typed tree inside the execution's task. Parallel
//! branches and Map iterations run concurrently *inside* that task (no task or thread per
//! item), so dropping the task's future — which StopExecution does through the execution's
//! cancellation token — stops everything at once. Every history write goes through the
//! execution's lock and is refused once the execution has ended, so nothing that was in flight
//! when a stop won can change the outcome afterwards. Starting, parking and resuming the task
//! is [`super::launch`]; each state kind's own work is in `work.rs`; the error codes, [`Failure`],
//! `Halt` and the state I/O limit are in `outcome.rs`.
//!
//! Per state, in the documented order: raw input → `InputConstructor` (`$Input`) → the state's
//! work (`$Output`) → `GlobalConstructor` (sees the raw `$Output`) → `OutputConstructor` (sees
//! `$Global` as it was before this state's GlobalConstructor) → next state's input.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

use super::definition::{ErrorHandling, FlowDef, Kind, Next, Scope, State, Template};
use super::scope::{Current, ExecutionFacts, StateScope};
use super::tasks::TaskEnv;
use crate::clock::Clock;
use crate::store::{EventType, Execution, Flow};

use super::outcome::{check_size, check_text, matches, merged, wrap_detail};
pub use super::outcome::{
    codes, Failure, MAX_GLOBAL_KEY_BYTES, MAX_GLOBAL_VALUE_BYTES, MAX_STATE_IO_BYTES,
};
pub(super) use super::outcome::{fail, require_object, Halt, ParkPoint};

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// State shared by everything one execution runs.
pub(super) struct Run {
    pub(super) exec: Arc<Execution>,
    pub(super) clock: Arc<Clock>,
    pub(super) env: Arc<TaskEnv>,
    /// The account the execution belongs to (callback tokens are per account).
    pub(super) account: String,
    /// The mock test case selected for this execution.
    pub(super) test_case: Option<String>,
    /// Invocations so far, per Task state (mocks consume one result per invocation).
    pub(super) invocations: Mutex<HashMap<Arc<str>, u32>>,
    /// The flow the execution belongs to (distributed Maps start child executions in it).
    pub(super) flow: Arc<Flow>,
    pub(super) facts: ExecutionFacts,
    pub(super) global: Mutex<Map<String, Value>>,
    /// Whether a top-level Wait may park the execution (not for legacy flows, nor for children
    /// whose end a parent task awaits).
    pub(super) can_park: bool,
}

/// The parent's input and `$local` of a state in a legacy scope.
pub(super) type Parent<'a> = Option<(&'a Value, &'a Value)>;

enum Step {
    Next(usize, Value),
    End(Value),
}

impl Run {
    pub(super) fn record(
        &self,
        kind: EventType,
        schedule: u64,
        step: &Arc<str>,
        detail: Value,
    ) -> Result<u64, Halt> {
        self.exec
            .record(kind, schedule, step, self.clock.now(), detail.to_string())
            .map_err(|_| Halt::Ended)
    }

    /// [`Run::record`] with an already serialized detail.
    fn record_text(
        &self,
        kind: EventType,
        schedule: u64,
        step: &Arc<str>,
        detail: String,
    ) -> Result<u64, Halt> {
        self.exec
            .record(kind, schedule, step, self.clock.now(), detail)
            .map_err(|_| Halt::Ended)
    }

    pub(super) fn eval(
        &self,
        t: &Template,
        scope: &StateScope<'_>,
        what: &str,
        state: &str,
    ) -> Result<Value, Halt> {
        t.eval(scope)
            .map_err(|e| fail(codes::RUNTIME, format!("{what} of state '{state}': {e}")))
    }

    pub(super) fn scope<'a>(&'a self, current: Current<'a>) -> StateScope<'a> {
        StateScope::new(&self.facts, &self.global, current)
    }

    /// Run the whole flow. A legacy flow maps the execution input through its
    /// `inputMappings`, and its output is its `$local` (or its `outputMappings` of it).
    pub(super) async fn run_flow(
        self: &Arc<Self>,
        def: &FlowDef,
        input: Value,
    ) -> Result<Value, Halt> {
        let Some(legacy) = &def.legacy else {
            return self.run_scope(&def.root, input, 1).await;
        };
        let flow = self.exec.flow_name.as_str();
        let empty = Value::Object(Map::new());
        let input = match &legacy.input {
            None => input,
            Some(t) => {
                let sc = self.scope(Current {
                    name: flow,
                    input: Some(&input),
                    output: Some(&empty),
                    ..Default::default()
                });
                self.eval(t, &sc, "inputMappings", flow)?
            }
        };
        let local = self.run_scope(&def.root, input.clone(), 1).await?;
        match &legacy.output {
            None => Ok(local),
            Some(t) => {
                let sc = self.scope(Current {
                    name: flow,
                    input: Some(&input),
                    output: Some(&local),
                    ..Default::default()
                });
                self.eval(t, &sc, "outputMappings", flow)
            }
        }
    }

    /// Run a scope from its StartAt until a state ends it; returns the last state's output, or
    /// for a legacy scope its `$local` (the union of its states' outputs, later ones winning).
    pub(super) fn run_scope<'a>(
        self: &'a Arc<Self>,
        scope: &'a Scope,
        input: Value,
        opener: u64,
    ) -> BoxFut<'a, Result<Value, Halt>> {
        Box::pin(async move {
            if scope.legacy {
                let mut idx = scope.start;
                let mut local = Value::Object(Map::new());
                loop {
                    let st = &scope.states[idx];
                    let step = self
                        .run_state(st, input.clone(), opener, Some(&local))
                        .await?;
                    let (next, out) = match step {
                        Step::Next(i, out) => (Some(i), out),
                        Step::End(out) => (None, out),
                    };
                    local = merged(&local, &out);
                    match next {
                        Some(i) => idx = i,
                        None => return Ok(local),
                    }
                }
            }
            self.states_from(scope, scope.start, input, opener).await
        })
    }

    /// Run a (non-legacy) scope from the state at `start` (resuming an execution).
    pub(super) fn run_scope_at<'a>(
        self: &'a Arc<Self>,
        scope: &'a Scope,
        start: usize,
        input: Value,
        opener: u64,
    ) -> BoxFut<'a, Result<Value, Halt>> {
        Box::pin(self.states_from(scope, start, input, opener))
    }

    /// The state loop of a non-legacy scope. Not boxed itself: its callers box it once, so a
    /// scope costs one heap future (a second one per scope added ~1.3 KiB per parked execution).
    async fn states_from(
        self: &Arc<Self>,
        scope: &Scope,
        start: usize,
        input: Value,
        opener: u64,
    ) -> Result<Value, Halt> {
        let mut idx = start;
        let mut input = input;
        loop {
            let step = match self
                .run_state(&scope.states[idx], input, opener, None)
                .await
            {
                Err(Halt::Park(mut p)) => {
                    p.idx = idx;
                    return Err(Halt::Park(p));
                }
                other => other?,
            };
            match step {
                Step::Next(i, out) => {
                    idx = i;
                    input = out;
                }
                Step::End(out) => return Ok(out),
            }
        }
    }

    async fn run_state(
        self: &Arc<Self>,
        st: &State,
        raw: Value,
        opener: u64,
        parent_local: Option<&Value>,
    ) -> Result<Step, Halt> {
        let name = &st.name;
        // Legacy: the raw input is the parent's input merged with the parent's $local.
        let legacy_raw = parent_local.map(|l| merged(&raw, l));
        // Each value is serialized once and the text reused for its history events.
        let raw_text = legacy_raw.as_ref().unwrap_or(&raw).to_string();
        let entered = self.record_text(
            EventType::StepEntered,
            opener,
            name,
            wrap_detail("Input", &raw_text),
        )?;
        let parent_input = parent_local.map(|_| raw.clone());
        let (input, input_text) = match (&st.input, legacy_raw) {
            (None, None) => (raw, raw_text),
            (None, Some(r)) => (r, raw_text),
            (Some(t), _) => {
                let (what, output) = match parent_local {
                    Some(l) => ("inputMappings", Some(l)),
                    None => ("InputConstructor", None),
                };
                let sc = self.scope(Current {
                    name,
                    input: Some(&raw),
                    output,
                    ..Default::default()
                });
                let v = self.eval(t, &sc, what, name)?;
                let v = require_object(v, "input", name)?;
                let text = v.to_string();
                (v, text)
            }
        };
        let parent: Parent<'_> = parent_input.as_ref().zip(parent_local);
        let input_text = check_text(input_text, "input", name)?;
        let started = self.record_text(
            EventType::StepStarted,
            entered,
            name,
            wrap_detail("Input", &input_text),
        )?;

        let park_here = opener == 1 && parent.is_none() && self.can_park;
        let work = self.work(st, &input, started, parent, park_here).await;
        let done = match work {
            Ok(r) => r,
            Err(Halt::Park(mut p)) => {
                p.input = input;
                p.entered = entered;
                p.started = started;
                return Err(Halt::Park(p));
            }
            Err(Halt::Failure(f)) => {
                self.record(
                    EventType::StepFailed,
                    entered,
                    name,
                    json!({ "Error": f.error, "Cause": f.cause }),
                )?;
                // Catch rules of this state, if any (Retry is handled inside `work`).
                let catch = match &st.kind {
                    Kind::Task { errors, .. }
                    | Kind::Parallel { errors, .. }
                    | Kind::Map { errors, .. } => {
                        errors.catch.iter().find(|c| matches(&c.errors, &f.error))
                    }
                    _ => None,
                };
                let Some(rule) = catch else {
                    return Err(Halt::Failure(f));
                };
                let out = match &rule.output {
                    Some(t) => {
                        // `$Output` here is the legacy errorMappings' `$local`.
                        let err_local = json!({ "error": f.error, "cause": f.cause });
                        let sc = self.scope(Current {
                            name,
                            input: Some(&input),
                            output: Some(&err_local),
                            error: Some((&f.error, &f.cause)),
                            ..Default::default()
                        });
                        let v = self.eval(t, &sc, "Catch OutputConstructor", name)?;
                        require_object(v, "output", name)?
                    }
                    None => json!({ "Error": f.error, "Cause": f.cause }),
                };
                check_size(&out, "output", name)?;
                self.record(
                    EventType::StepExited,
                    entered,
                    name,
                    json!({ "Output": out }),
                )?;
                return Ok(Step::Next(rule.next, out));
            }
            Err(halt) => return Err(halt),
        };
        self.finish_state(st, &input, done, (entered, started), parent)
    }

    /// Resume a parked execution: finish the Wait state it parked in, then go on from the state
    /// after it.
    pub(super) fn resume_after_wait<'a>(
        self: &'a Arc<Self>,
        root: &'a Scope,
        p: ParkPoint,
    ) -> BoxFut<'a, Result<Value, Halt>> {
        Box::pin(async move {
            let st = root.states.get(p.idx).ok_or(Halt::Ended)?;
            let input = p.input;
            let step = self.finish_state(
                st,
                &input,
                (input.clone(), None, 0),
                (p.entered, p.started),
                None,
            )?;
            match step {
                Step::Next(i, out) => self.states_from(root, i, out, 1).await,
                Step::End(out) => Ok(out),
            }
        })
    }

    /// A state after its work: `GlobalConstructor`, `OutputConstructor`, the size check and the
    /// StepSucceeded/StepExited events; returns where to go next.
    fn finish_state(
        self: &Arc<Self>,
        st: &State,
        input: &Value,
        (raw_output, next, retry_count): (Value, Option<Next>, u32),
        (entered, started): (u64, u64),
        parent: Parent<'_>,
    ) -> Result<Step, Halt> {
        let name = &st.name;
        // A legacy parallel/foreach $local is an array; everything else must be an object.
        let raw_output =
            if parent.is_some() && matches!(st.kind, Kind::Parallel { .. } | Kind::Map { .. }) {
                raw_output
            } else {
                require_object(raw_output, "result", name)?
            };

        let global_before = st
            .output
            .as_ref()
            .filter(|t| t.uses(super::expr::Var::Global))
            .map(|_| {
                Value::Object(
                    self.global
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .clone(),
                )
            });
        if let Some(t) = &st.global {
            let sc = self.scope(Current {
                name,
                input: Some(input),
                output: Some(&raw_output),
                retry_count,
                ..Default::default()
            });
            let v = self.eval(t, &sc, "GlobalConstructor", name)?;
            let Value::Object(updates) = v else {
                return Err(fail(
                    codes::RUNTIME,
                    format!("GlobalConstructor of state '{name}' must build an object."),
                ));
            };
            check_size(
                &Value::Object(updates.clone()),
                "GlobalConstructor result",
                name,
            )?;
            for (k, v) in &updates {
                if k.len() > MAX_GLOBAL_KEY_BYTES {
                    return Err(fail(codes::DATA_LIMIT, format!(
                        "GlobalConstructor of state '{name}': the key '{k}' is {} bytes; the limit is {MAX_GLOBAL_KEY_BYTES}.", k.len()
                    )));
                }
                let n = v.to_string().len();
                if n > MAX_GLOBAL_VALUE_BYTES {
                    return Err(fail(codes::DATA_LIMIT, format!(
                        "GlobalConstructor of state '{name}': the value of '{k}' is {n} bytes; the limit is {MAX_GLOBAL_VALUE_BYTES}."
                    )));
                }
            }
            let mut g = self.global.lock().unwrap_or_else(|e| e.into_inner());
            for (k, v) in updates {
                g.insert(k, v);
            }
        }
        let output = match &st.output {
            None => raw_output,
            Some(t) => {
                let snapshot = Mutex::new(match global_before {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                });
                let sc = StateScope::new(
                    &self.facts,
                    &snapshot,
                    Current {
                        name,
                        input: Some(input),
                        output: Some(&raw_output),
                        retry_count,
                        ..Default::default()
                    },
                );
                let v = self.eval(t, &sc, "OutputConstructor", name)?;
                require_object(v, "output", name)?
            }
        };
        let detail = wrap_detail("Output", &check_size(&output, "output", name)?);
        self.record_text(EventType::StepSucceeded, started, name, detail.clone())?;
        self.record_text(EventType::StepExited, entered, name, detail)?;
        Ok(match next.unwrap_or(st.next) {
            Next::State(i) => Step::Next(i, output),
            Next::End => Step::End(output),
        })
    }

    /// The state's own work, with its Retry rules applied. Returns the raw `$Output` and, for
    /// Choice, the chosen target.
    async fn work(
        self: &Arc<Self>,
        st: &State,
        input: &Value,
        started: u64,
        parent: Parent<'_>,
        park_here: bool,
    ) -> Result<(Value, Option<Next>, u32), Halt> {
        let retry = match &st.kind {
            Kind::Task { errors, .. }
            | Kind::Parallel { errors, .. }
            | Kind::Map { errors, .. } => Some(errors),
            _ => None,
        };
        let mut attempts_per_rule = vec![0u32; retry.map_or(0, |e| e.retry.len())];
        let mut retry_count = 0u32;
        loop {
            match self
                .work_once(st, input, started, retry_count, parent, park_here)
                .await
            {
                Err(Halt::Failure(f)) => {
                    let Some(ErrorHandling { retry: rules, .. }) = retry else {
                        return Err(Halt::Failure(f));
                    };
                    let Some(ri) = rules.iter().position(|r| matches(&r.errors, &f.error)) else {
                        return Err(Halt::Failure(f));
                    };
                    let rule = &rules[ri];
                    if attempts_per_rule[ri] >= rule.max_attempts {
                        return Err(Halt::Failure(f));
                    }
                    let mut interval = rule.interval_seconds
                        * rule.backoff_rate.powi(attempts_per_rule[ri] as i32);
                    if let Some(cap) = rule.max_backoff_seconds {
                        interval = interval.min(cap);
                    }
                    attempts_per_rule[ri] += 1;
                    retry_count += 1;
                    self.clock.sleep(interval).await;
                }
                Ok((v, next)) => return Ok((v, next, retry_count)),
                Err(h) => return Err(h),
            }
        }
    }
}
