//! Starting, resuming and finishing an execution's task: [`spawn`] runs an execution from its
//! start (or, after a restart, from a top-level state), `run` records how it ended (its
//! result, the flow's `Timeout`), and a top-level Wait unwinds to `run`, which parks the
//! execution with a continuation (see [`super::park`]) until `resume` starts a new task after
//! the Wait. A child execution reports its end to its parent task's token here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

use super::interpreter::{codes, Failure, Halt, ParkPoint, Run};
use super::scope::ExecutionFacts;
use super::tasks::TaskEnv;
use crate::clock::Clock;
use crate::store::{Continuation, Execution, Flow, Outcome};

/// Mock invocation counts per Task state, and `$Global`.
type Kept = (HashMap<Arc<str>, u32>, Map<String, Value>);

/// What every task of an execution starts from, besides the execution itself.
struct Parts {
    flow: Arc<Flow>,
    clock: Arc<Clock>,
    env: Arc<TaskEnv>,
    account: String,
    /// The mock test case selected when the execution started.
    test_case: Option<String>,
}

/// Everything a parked execution keeps (besides its record): what its next task starts from,
/// the run's mutable state and where it resumes.
struct AfterWait {
    parts: Parts,
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
    AfterWait {
        kept: Option<Box<Kept>>,
        point: ParkPoint,
    },
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
    let parts = Parts {
        flow,
        clock,
        env,
        account,
        test_case,
    };
    launch(exec, parts, entry);
}

/// Resume a parked execution (the [`Parker`](super::park::Parker) calls this when its Wait
/// ends).
fn resume(exec: Arc<Execution>, cont: Continuation) {
    let Ok(aw) = cont.0.downcast::<AfterWait>() else {
        return;
    };
    // The ticket goes with it: the parker has already removed the timer entry.
    let AfterWait {
        parts, kept, point, ..
    } = *aw;
    launch(exec, parts, Entry::AfterWait { kept, point });
}

fn launch(exec: Arc<Execution>, parts: Parts, entry: Entry) {
    let (clock, env, account) = (
        parts.clock.clone(),
        parts.env.clone(),
        parts.account.clone(),
    );
    let fut = async move {
        let cancel = exec.cancel.clone();
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = run(exec.clone(), parts, entry) => {}
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

async fn run(exec: Arc<Execution>, parts: Parts, mut entry: Entry) {
    let Parts {
        flow,
        clock,
        env,
        account,
        test_case,
    } = parts;
    let input: Value = serde_json::from_str(&exec.input).unwrap_or_else(|_| json!({}));
    let mut ctx_exec = Map::new();
    ctx_exec.insert("Name".into(), json!(exec.name));
    ctx_exec.insert("Input".into(), input.clone());
    if let Some(r) = exec.role_arn() {
        ctx_exec.insert("RoleArn".into(), json!(r));
    }
    let def = exec.definition.clone();
    let (invocations, global) = match &mut entry {
        Entry::AfterWait { kept, .. } => kept.take().map(|k| *k).unwrap_or_default(),
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
        Entry::AfterWait { point, .. } => {
            if let Some((t, _)) = timeout.filter(|(_, d)| *d <= clock.now()) {
                exec.finish(timed_out(t), clock.now());
                return;
            }
            run.resume_after_wait(&def.root, point)
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
                parts: Parts {
                    flow: run.flow.clone(),
                    clock: clock.clone(),
                    env: run.env.clone(),
                    account: run.account.clone(),
                    test_case: run.test_case.clone(),
                },
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
