//! Runs one execution: one tokio task per execution, walking the typed tree. Parallel branches
//! and Map iterations run concurrently *inside* that task (no task or thread per item), so
//! dropping the task's future — which StopExecution does through the execution's cancellation
//! token — stops everything at once. Every history write goes through the execution's lock
//! and is refused once the execution has ended, so nothing that was in flight when a stop won
//! can change the outcome afterwards.
//!
//! Per state, in the documented order: raw input → `InputConstructor` (`$Input`) → the state's
//! work (`$Output`) → `GlobalConstructor` (sees the raw `$Output`) → `OutputConstructor` (sees
//! `$Global` as it was before this state's GlobalConstructor) → next state's input.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use futures_util::{stream, StreamExt, TryStreamExt};
use serde_json::{json, Map, Value};

use super::definition::{ErrorHandling, FlowDef, Kind, Next, Scope, State, Template, WaitFor};
use super::scope::{Current, ExecutionFacts, StateScope};
use super::tasks::TaskEnv;
use crate::clock::Clock;
use crate::store::{Continuation, EventType, Execution, Flow, Outcome};

/// Largest state input or output, in bytes of JSON (64 KiB).
pub const MAX_STATE_IO_BYTES: usize = 64 * 1024;

/// Longest `$Global` key, in bytes.
pub const MAX_GLOBAL_KEY_BYTES: usize = 128;
/// Largest `$Global` value, in bytes of JSON (256 KiB).
pub const MAX_GLOBAL_VALUE_BYTES: usize = 256 * 1024;

/// Error codes the engine itself raises (documented in docs/fdl.md).
pub mod codes {
    /// Matches every error in Retry/Catch.
    pub const ALL: &str = "FnF.ALL";
    /// An expression failed at run time, or produced a value of the wrong type.
    pub const RUNTIME: &str = "FnF.RuntimeError";
    /// A state input or output over 64 KiB.
    pub const DATA_LIMIT: &str = "FnF.DataLimitExceeded";
    /// The flow-level Timeout elapsed.
    pub const TIMEOUT: &str = "FnF.Timeout";
    /// A Fail state without `Code`.
    pub const FAILED: &str = "FnF.Failed";
    /// A feature the emulator does not execute yet.
    pub const UNSUPPORTED: &str = "Emulator.Unsupported";
    /// A Task state's Timeout elapsed.
    pub const TASK_TIMEOUT: &str = "FnF.TaskTimeout";
}

/// A workflow-level error: an error name and a human-readable cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// Error name, matched by Retry/Catch `Errors`.
    pub error: String,
    /// Cause / detail.
    pub cause: String,
}

/// Why a scope stopped early.
#[derive(Debug)]
pub(super) enum Halt {
    /// An uncaught error.
    Failure(Failure),
    /// The execution ended meanwhile (stopped or timed out): just unwind.
    Ended,
    /// A top-level Wait parks the execution: unwind to [`run`], which stores the continuation
    /// and leaves the rest to the [`Parker`](super::park::Parker).
    Park(Box<ParkPoint>),
}

/// Where a parked execution resumes: after the work of the Wait state at `idx` of the root
/// scope, whose effective input was `input` and whose StepEntered/StepStarted were `entered`
/// and `started`.
#[derive(Debug)]
pub(super) struct ParkPoint {
    deadline: chrono::DateTime<Utc>,
    idx: usize,
    input: Value,
    entered: u64,
    started: u64,
}

/// Mock invocation counts per Task state, and `$Global`.
type Kept = (HashMap<Arc<str>, u32>, Map<String, Value>);

/// Everything a parked execution keeps (besides its record): the run's mutable state and where
/// it resumes.
struct AfterWait {
    flow: Arc<Flow>,
    clock: Arc<Clock>,
    env: Arc<TaskEnv>,
    account: String,
    test_case: Option<String>,
    /// Mock invocation counts and `$Global`, when either is not empty (most flows use neither).
    kept: Option<Box<Kept>>,
    point: ParkPoint,
    /// Its timer entry: removed when this continuation is dropped (e.g. by a stop).
    _ticket: super::park::Ticket,
}

/// Where a task starts running an execution.
enum Entry {
    /// From the flow's start.
    Begin,
    /// From the top-level state at this index with this input (an execution resumed after a
    /// restart).
    At(usize, Value),
    /// After a parked Wait.
    AfterWait(Box<AfterWait>),
}

impl From<Failure> for Halt {
    fn from(f: Failure) -> Self {
        Halt::Failure(f)
    }
}

pub(super) fn fail(error: &str, cause: impl Into<String>) -> Halt {
    Halt::Failure(Failure {
        error: error.into(),
        cause: cause.into(),
    })
}

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
    facts: ExecutionFacts,
    global: Mutex<Map<String, Value>>,
    /// Whether a top-level Wait may park the execution (not for legacy flows, nor for children
    /// whose end a parent task awaits).
    can_park: bool,
}

/// Start running `exec` of `account` on the runtime; returns immediately.
pub fn spawn(
    exec: Arc<Execution>,
    flow: Arc<Flow>,
    clock: Arc<Clock>,
    env: Arc<TaskEnv>,
    account: String,
) {
    spawn_at(exec, flow, clock, env, account, None);
}

/// Like [`spawn`], but (for a resumed execution) from the top-level state at `start.0` with
/// input `start.1`.
pub fn spawn_at(
    exec: Arc<Execution>,
    flow: Arc<Flow>,
    clock: Arc<Clock>,
    env: Arc<TaskEnv>,
    account: String,
    start: Option<(usize, Value)>,
) {
    let test_case = env.mocks.select(&exec.flow_name, &exec.name);
    if env.max_events != usize::MAX {
        exec.set_event_limit(env.max_events);
    }
    let entry = match start {
        Some((idx, input)) => Entry::At(idx, input),
        None => Entry::Begin,
    };
    launch(exec, flow, clock, env, account, test_case, entry);
}

/// Resume a parked execution (the [`Parker`](super::park::Parker) calls this when its Wait
/// ends).
fn resume(exec: Arc<Execution>, cont: Continuation) {
    let Ok(aw) = cont.0.downcast::<AfterWait>() else {
        return;
    };
    let (flow, clock, env, account) = (
        aw.flow.clone(),
        aw.clock.clone(),
        aw.env.clone(),
        aw.account.clone(),
    );
    let test_case = aw.test_case.clone();
    launch(
        exec,
        flow,
        clock,
        env,
        account,
        test_case,
        Entry::AfterWait(aw),
    );
}

fn launch(
    exec: Arc<Execution>,
    flow: Arc<Flow>,
    clock: Arc<Clock>,
    env: Arc<TaskEnv>,
    account: String,
    test_case: Option<String>,
    entry: Entry,
) {
    let fut = async move {
        let cancel = exec.cancel.clone();
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = run(exec.clone(), flow, clock.clone(), env.clone(), account.clone(), test_case, entry) => {}
        }
        // Every end (finish, stop, timeout) cancels the token; a parked execution has not ended.
        if let Some(token) = exec.callback_token() {
            if !exec.status().in_progress() {
                let result = child_result(&exec);
                let _ = env.tokens.report(&account, token, result, clock.now());
            }
        }
    };
    tokio::spawn(fut);
}

/// What a finished child execution reports to its parent task.
fn child_result(exec: &Execution) -> Result<Value, Failure> {
    let st = exec.lock();
    match st.status {
        crate::store::Status::Succeeded => Ok(st
            .output
            .as_deref()
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or_else(|| json!({}))),
        status => {
            let (error, cause) = st.error.clone().unwrap_or_default();
            let error = if error.is_empty() {
                format!("FnF.Execution{}", status.as_str())
            } else {
                error
            };
            Err(Failure {
                error,
                cause: format!(
                    "child execution {} of flow {} ended {}: {cause}",
                    exec.name,
                    exec.flow_name,
                    status.as_str()
                ),
            })
        }
    }
}

async fn run(
    exec: Arc<Execution>,
    flow: Arc<Flow>,
    clock: Arc<Clock>,
    env: Arc<TaskEnv>,
    account: String,
    test_case: Option<String>,
    entry: Entry,
) {
    let input: Value = serde_json::from_str(&exec.input).unwrap_or_else(|_| json!({}));
    let mut ctx_exec = Map::new();
    ctx_exec.insert("Name".into(), json!(exec.name));
    ctx_exec.insert("Input".into(), input.clone());
    if let Some(r) = exec.role_arn() {
        ctx_exec.insert("RoleArn".into(), json!(r));
    }
    let def = exec.definition.clone();
    let (invocations, global) = match &entry {
        Entry::AfterWait(aw) => aw.kept.as_deref().cloned().unwrap_or_default(),
        _ => Default::default(),
    };
    let run = Arc::new(Run {
        exec: exec.clone(),
        flow,
        clock: clock.clone(),
        env,
        account,
        test_case,
        invocations: Mutex::new(invocations),
        facts: ExecutionFacts {
            context_execution: Value::Object(ctx_exec),
        },
        global: Mutex::new(global),
        can_park: def.legacy.is_none()
            && !def.root.legacy
            && exec.callback_token().is_none()
            && exec.map_run().is_none(),
    });
    let timeout = def
        .timeout_seconds
        .filter(|t| *t > 0)
        .map(|t| (t, exec.started_time + chrono::Duration::seconds(t as i64)));
    let body = match entry {
        Entry::At(idx, state_input)
            if idx < def.root.states.len() && def.legacy.is_none() && !def.root.legacy =>
        {
            run.run_scope_at(&def.root, idx, state_input, 1)
        }
        Entry::AfterWait(aw) => {
            if let Some((t, _)) = timeout.filter(|(_, d)| *d <= clock.now()) {
                exec.finish(timed_out(t), clock.now());
                return;
            }
            run.resume_after_wait(&def.root, aw.point)
        }
        _ => Box::pin(run.run_flow(&def, input)),
    };
    let result = match timeout {
        None => body.await,
        Some((t, deadline)) => {
            tokio::select! {
                r = body => r,
                _ = clock.sleep_until(deadline) => {
                    exec.finish(timed_out(t), clock.now());
                    return;
                }
            }
        }
    };
    let outcome = match result {
        Ok(output) => Outcome::Succeeded(output.to_string()),
        Err(Halt::Failure(f)) => Outcome::Failed {
            error: f.error,
            cause: f.cause,
        },
        Err(Halt::Ended) => return,
        Err(Halt::Park(point)) => {
            // Wake at the Wait's end, or at the flow's Timeout if that comes first.
            let wake = match timeout {
                Some((_, d)) if d < point.deadline => d,
                _ => point.deadline,
            };
            let ticket = run.env.parker.ticket(wake);
            let key = ticket.key();
            let aw = AfterWait {
                flow: run.flow.clone(),
                clock: clock.clone(),
                env: run.env.clone(),
                account: run.account.clone(),
                test_case: run.test_case.clone(),
                kept: {
                    let invocations = std::mem::take(
                        &mut *run.invocations.lock().unwrap_or_else(|e| e.into_inner()),
                    );
                    let global =
                        std::mem::take(&mut *run.global.lock().unwrap_or_else(|e| e.into_inner()));
                    (!invocations.is_empty() || !global.is_empty())
                        .then(|| Box::new((invocations, global)))
                },
                point: *point,
                _ticket: ticket,
            };
            if exec.park(Continuation(Box::new(aw))) {
                run.env.parker.insert(key, exec.clone(), &clock, resume);
            }
            return;
        }
    };
    exec.finish(outcome, clock.now());
}

fn timed_out(t: u64) -> Outcome {
    Outcome::TimedOut {
        error: codes::TIMEOUT.into(),
        cause: format!("The execution did not finish within the flow's Timeout of {t} seconds."),
    }
}

fn check_size(v: &Value, what: &str, state: &str) -> Result<String, Halt> {
    check_text(v.to_string(), what, state)
}

/// [`check_size`] of an already serialized value.
fn check_text(text: String, what: &str, state: &str) -> Result<String, Halt> {
    if text.len() > MAX_STATE_IO_BYTES {
        return Err(fail(
            codes::DATA_LIMIT,
            format!("The {what} of state '{state}' is {} bytes; the limit is {MAX_STATE_IO_BYTES} bytes.", text.len()),
        ));
    }
    Ok(text)
}

/// `{"key":<json>}` from serialized JSON: the same text as `json!({key: v}).to_string()`, without
/// cloning and serializing `v` again for each history event.
fn wrap_detail(key: &str, json_text: &str) -> String {
    let mut s = String::with_capacity(key.len() + json_text.len() + 5);
    s.push_str("{\"");
    s.push_str(key);
    s.push_str("\":");
    s.push_str(json_text);
    s.push('}');
    s
}

fn require_object(v: Value, what: &str, state: &str) -> Result<Value, Halt> {
    if v.is_object() {
        Ok(v)
    } else {
        Err(fail(
            codes::RUNTIME,
            format!("The {what} of state '{state}' must be a JSON object, got {v}."),
        ))
    }
}

/// `base` with the members of `over` added (a member of `over` wins). Non-objects count as `{}`.
fn merged(base: &Value, over: &Value) -> Value {
    let mut m = base.as_object().cloned().unwrap_or_default();
    if let Value::Object(o) = over {
        for (k, v) in o {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::Object(m)
}

/// The parent's input and `$local` of a state in a legacy scope.
type Parent<'a> = Option<(&'a Value, &'a Value)>;

/// Whether an error name matches a rule's `Errors`.
fn matches(errors: &[String], error: &str) -> bool {
    errors.iter().any(|e| e == codes::ALL || e == error)
}

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
    async fn run_flow(self: &Arc<Self>, def: &FlowDef, input: Value) -> Result<Value, Halt> {
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
    fn run_scope<'a>(
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
    fn run_scope_at<'a>(
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
    fn resume_after_wait<'a>(
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

    async fn work_once(
        self: &Arc<Self>,
        st: &State,
        input: &Value,
        started: u64,
        retry_count: u32,
        parent: Parent<'_>,
        park_here: bool,
    ) -> Result<(Value, Option<Next>), Halt> {
        let name = &st.name;
        let legacy = parent.is_some();
        // The raw result of states that only pass data on: their input, or in legacy an empty
        // $local.
        let passed = || {
            if legacy {
                Value::Object(Map::new())
            } else {
                input.clone()
            }
        };
        match &st.kind {
            Kind::Pass => Ok((passed(), None)),
            Kind::Succeed => Ok((passed(), Some(Next::End))),
            Kind::Fail { code, detail } => Err(fail(
                code.as_deref().unwrap_or(codes::FAILED),
                detail.clone(),
            )),
            Kind::Wait(w) => {
                let deadline = match w {
                    WaitFor::Seconds(s) => self.clock.now() + chrono::Duration::seconds(*s as i64),
                    WaitFor::SecondsExpr(e) => {
                        let sc = self.scope(Current {
                            name,
                            input: Some(input),
                            ..Default::default()
                        });
                        let v = e.eval(&sc).map_err(|e| {
                            fail(codes::RUNTIME, format!("Seconds.$ of state '{name}': {e}"))
                        })?;
                        let (lo, hi) = if legacy {
                            (0.0, super::definition::MAX_LEGACY_WAIT_SECONDS as f64)
                        } else {
                            (1.0, 300.0)
                        };
                        let secs = v.as_f64().filter(|s| s.fract() == 0.0 && (lo..=hi).contains(s)).ok_or_else(|| {
                            fail(codes::RUNTIME, format!("Seconds.$ of state '{name}' must be an integer from {lo} to {hi}, got {v}."))
                        })?;
                        self.clock.now() + chrono::Duration::seconds(secs as i64)
                    }
                    WaitFor::Until(t) => *t,
                    WaitFor::UntilExpr(e) => {
                        let sc = self.scope(Current {
                            name,
                            input: Some(input),
                            ..Default::default()
                        });
                        let v = e.eval(&sc).map_err(|e| {
                            fail(
                                codes::RUNTIME,
                                format!("UntilDateTime of state '{name}': {e}"),
                            )
                        })?;
                        v.as_str()
                            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                            .map(|t| t.with_timezone(&Utc))
                            .ok_or_else(|| fail(codes::RUNTIME, format!("UntilDateTime of state '{name}' must be an RFC 3339 time, got {v}.")))?
                    }
                };
                if park_here && deadline > self.clock.now() {
                    return Err(Halt::Park(Box::new(ParkPoint {
                        deadline,
                        idx: 0,
                        input: Value::Null,
                        entered: 0,
                        started,
                    })));
                }
                self.clock.sleep_until(deadline).await;
                Ok((passed(), None))
            }
            Kind::Choice {
                branches,
                default,
                bodies,
            } => {
                let chosen = {
                    let sc = self.scope(Current {
                        name,
                        input: Some(input),
                        ..Default::default()
                    });
                    let mut chosen = None;
                    for (i, (cond, _)) in branches.iter().enumerate() {
                        match cond.eval(&sc) {
                            Ok(Value::Bool(true)) => {
                                chosen = Some(i);
                                break;
                            }
                            Ok(Value::Bool(false)) => {}
                            Ok(other) => {
                                return Err(fail(
                                    codes::RUNTIME,
                                    format!("Condition '{}' of state '{name}' must be true or false, got {other}.", cond.source()),
                                ))
                            }
                            Err(e) => return Err(fail(codes::RUNTIME, format!("Condition '{}' of state '{name}': {e}", cond.source()))),
                        }
                    }
                    chosen
                };
                let (target, body_at) = match chosen {
                    Some(i) => (branches[i].1, i),
                    None => (*default, branches.len()),
                };
                // Legacy: the chosen arm's steps run first; their $local is the choice's.
                let out = match bodies.get(body_at) {
                    Some(Some(body)) => self.run_scope(body, input.clone(), started).await?,
                    _ => passed(),
                };
                Ok((out, Some(target)))
            }
            Kind::Parallel { branches, .. } => {
                let futs = branches.iter().enumerate().map(|(i, b)| {
                    let input = input.clone();
                    async move {
                        let be = self.record(
                            EventType::BranchEntered,
                            started,
                            name,
                            json!({ "Index": i }),
                        )?;
                        let out = self.run_scope(b, input, be).await?;
                        self.record(
                            EventType::BranchExited,
                            be,
                            name,
                            json!({ "Index": i, "Output": out }),
                        )?;
                        Ok::<Value, Halt>(out)
                    }
                });
                let outs = Box::pin(futures_util::future::try_join_all(futs)).await?;
                if legacy {
                    return Ok((Value::Array(outs), None));
                }
                let mut m = Map::with_capacity(outs.len());
                for (i, o) in outs.into_iter().enumerate() {
                    m.insert(format!("Branch{i}"), o);
                }
                Ok((Value::Object(m), None))
            }
            Kind::Map {
                items_path,
                processor,
                max_concurrency,
                distributed,
                iteration,
                ..
            } => {
                let items = {
                    let sc = self.scope(Current {
                        name,
                        input: Some(input),
                        ..Default::default()
                    });
                    items_path.eval(&sc).map_err(|e| {
                        fail(codes::RUNTIME, format!("ItemsPath of state '{name}': {e}"))
                    })?
                };
                let Value::Array(items) = items else {
                    return Err(fail(
                        codes::RUNTIME,
                        format!(
                            "ItemsPath '{}' of state '{name}' must give an array, got {items}.",
                            items_path.source()
                        ),
                    ));
                };
                if distributed.is_some() {
                    let out = Box::pin(self.run_distributed_map(st, items, input, started)).await?;
                    return Ok((out, None));
                }
                let outs: Vec<Value> = Box::pin(
                    stream::iter(items.into_iter().enumerate())
                        .map(|(i, item)| async move {
                            let ie = self.record(
                                EventType::IterationEntered,
                                started,
                                name,
                                json!({ "Index": i }),
                            )?;
                            let item = match iteration {
                                // Legacy: the step input plus the element (and its index).
                                Some(im) => {
                                    let mut m = input.as_object().cloned().unwrap_or_default();
                                    m.insert(im.item.clone(), item);
                                    if let Some(k) = &im.index {
                                        m.insert(k.clone(), json!(i));
                                    }
                                    Value::Object(m)
                                }
                                None => require_object(item, "iteration input", name)?,
                            };
                            let out = self.run_scope(processor, item, ie).await?;
                            self.record(
                                EventType::IterationExited,
                                ie,
                                name,
                                json!({ "Index": i, "Output": out }),
                            )?;
                            Ok::<Value, Halt>(out)
                        })
                        .buffered((*max_concurrency).max(1))
                        .try_collect::<Vec<Value>>(),
                )
                .await?;
                if iteration.is_some() {
                    return Ok((Value::Array(outs), None));
                }
                Ok((json!({ "Items": outs }), None))
            }
            Kind::Task { spec, .. } => Ok((
                Box::pin(self.run_task(st, spec, input, started, retry_count, parent)).await?,
                None,
            )),
        }
    }
}

#[cfg(test)]
mod detail_tests {
    use super::*;

    #[test]
    fn wrapped_detail_is_the_serialized_object() {
        for v in [
            json!({}),
            json!({"a": [1, 2.5, null], "é\"": {"b": "x\ny"}}),
            json!("s"),
        ] {
            assert_eq!(
                wrap_detail("Input", &v.to_string()),
                json!({ "Input": v }).to_string()
            );
        }
    }
}
