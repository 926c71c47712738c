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

use super::definition::{ErrorHandling, Kind, Next, Scope, State, Template, WaitFor};
use super::scope::{Current, ExecutionFacts, StateScope};
use super::tasks::TaskEnv;
use crate::clock::Clock;
use crate::store::{EventType, Execution, Outcome};

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
    facts: ExecutionFacts,
    global: Mutex<Map<String, Value>>,
}

/// Start running `exec` of `account` on the runtime; returns immediately.
pub fn spawn(exec: Arc<Execution>, clock: Arc<Clock>, env: Arc<TaskEnv>, account: String) {
    let test_case = env.mocks.select(&exec.flow_name, &exec.name);
    tokio::spawn(async move {
        let cancel = exec.cancel.clone();
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = run(exec.clone(), clock.clone(), env.clone(), account.clone(), test_case) => {}
        }
        // Every end (finish, stop, timeout) cancels the token, so this runs once the status is final.
        if let Some(token) = &exec.callback_token {
            let result = child_result(&exec);
            let _ = env.tokens.report(&account, token, result, clock.now());
        }
    });
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
    clock: Arc<Clock>,
    env: Arc<TaskEnv>,
    account: String,
    test_case: Option<String>,
) {
    let input: Value = serde_json::from_str(&exec.input).unwrap_or_else(|_| json!({}));
    let mut ctx_exec = Map::new();
    ctx_exec.insert("Name".into(), json!(exec.name));
    ctx_exec.insert("Input".into(), input.clone());
    if let Some(r) = &exec.role_arn {
        ctx_exec.insert("RoleArn".into(), json!(r));
    }
    let run = Arc::new(Run {
        exec: exec.clone(),
        clock: clock.clone(),
        env,
        account,
        test_case,
        invocations: Mutex::new(HashMap::new()),
        facts: ExecutionFacts {
            context_execution: Value::Object(ctx_exec),
        },
        global: Mutex::new(Map::new()),
    });
    let def = exec.definition.clone();
    let body = run.run_scope(&def.root, input, 1);
    let result = match def.timeout_seconds.filter(|t| *t > 0) {
        None => body.await,
        Some(t) => {
            let deadline = exec.started_time + chrono::Duration::seconds(t as i64);
            tokio::select! {
                r = body => r,
                _ = clock.sleep_until(deadline) => {
                    exec.finish(
                        Outcome::TimedOut {
                            error: codes::TIMEOUT.into(),
                            cause: format!("The execution did not finish within the flow's Timeout of {t} seconds."),
                        },
                        clock.now(),
                    );
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
    };
    exec.finish(outcome, clock.now());
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

    /// Run a scope from its StartAt until a state ends it; returns the last state's output.
    fn run_scope<'a>(
        self: &'a Arc<Self>,
        scope: &'a Scope,
        input: Value,
        opener: u64,
    ) -> BoxFut<'a, Result<Value, Halt>> {
        Box::pin(async move {
            let mut idx = scope.start;
            let mut input = input;
            loop {
                match self
                    .run_state(scope, &scope.states[idx], input, opener)
                    .await?
                {
                    Step::Next(i, out) => {
                        idx = i;
                        input = out;
                    }
                    Step::End(out) => return Ok(out),
                }
            }
        })
    }

    async fn run_state(
        self: &Arc<Self>,
        scope: &Scope,
        st: &State,
        raw: Value,
        opener: u64,
    ) -> Result<Step, Halt> {
        let name = &st.name;
        // Each value is serialized once and the text reused for its history events.
        let raw_text = raw.to_string();
        let entered = self.record_text(
            EventType::StepEntered,
            opener,
            name,
            wrap_detail("Input", &raw_text),
        )?;
        let (input, input_text) = match &st.input {
            None => (raw, raw_text),
            Some(t) => {
                let sc = self.scope(Current {
                    name,
                    input: Some(&raw),
                    ..Default::default()
                });
                let v = self.eval(t, &sc, "InputConstructor", name)?;
                let v = require_object(v, "input", name)?;
                let text = v.to_string();
                (v, text)
            }
        };
        let input_text = check_text(input_text, "input", name)?;
        let started = self.record_text(
            EventType::StepStarted,
            entered,
            name,
            wrap_detail("Input", &input_text),
        )?;

        let work = self.work(st, &input, started).await;
        let (raw_output, next) = match work {
            Ok(r) => r,
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
                        let sc = self.scope(Current {
                            name,
                            input: Some(&input),
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
        let raw_output = require_object(raw_output, "result", name)?;

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
                input: Some(&input),
                output: Some(&raw_output),
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
                        input: Some(&input),
                        output: Some(&raw_output),
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
        let _ = scope;
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
    ) -> Result<(Value, Option<Next>), Halt> {
        let retry = match &st.kind {
            Kind::Task { errors, .. }
            | Kind::Parallel { errors, .. }
            | Kind::Map { errors, .. } => Some(errors),
            _ => None,
        };
        let mut attempts_per_rule = vec![0u32; retry.map_or(0, |e| e.retry.len())];
        let mut retry_count = 0u32;
        loop {
            match self.work_once(st, input, started, retry_count).await {
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
                other => return other,
            }
        }
    }

    async fn work_once(
        self: &Arc<Self>,
        st: &State,
        input: &Value,
        started: u64,
        retry_count: u32,
    ) -> Result<(Value, Option<Next>), Halt> {
        let name = &st.name;
        match &st.kind {
            Kind::Pass => Ok((input.clone(), None)),
            Kind::Succeed => Ok((input.clone(), Some(Next::End))),
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
                        let secs = v.as_f64().filter(|s| s.fract() == 0.0 && (1.0..=300.0).contains(s)).ok_or_else(|| {
                            fail(codes::RUNTIME, format!("Seconds.$ of state '{name}' must be an integer from 1 to 300, got {v}."))
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
                self.clock.sleep_until(deadline).await;
                Ok((input.clone(), None))
            }
            Kind::Choice { branches, default } => {
                let sc = self.scope(Current {
                    name,
                    input: Some(input),
                    ..Default::default()
                });
                for (cond, target) in branches {
                    match cond.eval(&sc) {
                        Ok(Value::Bool(true)) => return Ok((input.clone(), Some(Next::State(*target)))),
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
                Ok((input.clone(), Some(Next::State(*default))))
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
                ..
            } => {
                if distributed.is_some() {
                    return Err(fail(
                        codes::UNSUPPORTED,
                        format!("Map state '{name}' uses distributed mode (ProcessorConfig), which this emulator does not execute yet."),
                    ));
                }
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
                let outs: Vec<Value> = Box::pin(
                    stream::iter(items.into_iter().enumerate())
                        .map(|(i, item)| async move {
                            let ie = self.record(
                                EventType::IterationEntered,
                                started,
                                name,
                                json!({ "Index": i }),
                            )?;
                            let item = require_object(item, "iteration input", name)?;
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
                Ok((json!({ "Items": outs }), None))
            }
            Kind::Task { spec, .. } => Ok((
                Box::pin(self.run_task(st, spec, input, started, retry_count)).await?,
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
