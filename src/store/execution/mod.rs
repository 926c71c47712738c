//! One execution's record: its fixed facts, and behind its own lock its status, result and
//! history. Every status change goes through [`Execution::finish`] or [`Execution::stop`], which
//! only act on a running execution, so a stop and a natural finish racing end in exactly one
//! terminal state, and the loser learns which.
//!
//! This file owns the record, its facts, its history appends, parking and journal hooks; the
//! ends themselves are in `end.rs`. The status and history types live in [`super::events`] and
//! are re-exported here.

mod end;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use super::events::{Event, EventType, Outcome, Status};
use crate::engine::definition::FlowDef;

/// Mutable part of an execution.
#[derive(Debug)]
pub struct ExecState {
    /// Current status.
    pub status: Status,
    /// When it ended.
    pub stopped_time: Option<DateTime<Utc>>,
    /// Output JSON text (succeeded executions).
    pub output: Option<String>,
    /// Error code and cause of a failed, timed-out or stopped execution.
    pub error: Option<(String, String)>,
    /// The history, in EventId order.
    pub history: Vec<Event>,
    /// While the execution waits with no task running it: what resumes it (the engine's
    /// type). Dropped by every end, so a stopped execution frees it at once.
    parked: Option<Continuation>,
}

/// What the engine needs to resume a parked execution; opaque to the store.
pub struct Continuation(pub Box<dyn std::any::Any + Send>);

impl std::fmt::Debug for Continuation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Continuation")
    }
}

/// How a restored execution ended: status, time, output, error and cause.
pub type Ended = (
    Status,
    DateTime<Utc>,
    Option<String>,
    Option<(String, String)>,
);

/// The engine tried to record into an execution that has already ended (e.g. was stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Halted;

/// The facts of an execution being started.
#[derive(Debug)]
pub struct NewExecution {
    /// Execution name.
    pub name: String,
    /// Flow name.
    pub flow_name: String,
    /// Input JSON text.
    pub input: String,
    /// Definition text snapshot.
    pub definition_text: Arc<super::DefinitionText>,
    /// Parsed definition snapshot.
    pub definition: Arc<FlowDef>,
    /// Role ARN snapshot.
    pub role_arn: Option<String>,
    /// Environment snapshot.
    pub environment: Option<serde_json::Value>,
    /// Task token of a parent task to report to when this execution ends.
    pub callback_token: Option<String>,
    /// `Qualifier` given at start (a version or an alias).
    pub qualifier: Option<String>,
    /// For a child of a distributed Map: the map run's name.
    pub map_run: Option<String>,
    /// The flow version run, when started through a qualifier.
    pub version: Option<u64>,
    /// Emulated start time.
    pub started_time: DateTime<Utc>,
}

/// One execution.
#[derive(Debug)]
pub struct Execution {
    /// Execution name.
    pub name: String,
    /// Flow name.
    pub flow_name: String,
    /// Input JSON text, as given (or `{}`).
    pub input: String,
    /// Definition text snapshot.
    pub definition_text: Arc<super::DefinitionText>,
    /// Parsed definition snapshot.
    pub definition: Arc<FlowDef>,
    /// The facts most executions do not have, boxed so a million parked executions do not
    /// each carry ~200 bytes of empty fields.
    extras: Option<Box<Extras>>,
    /// Distributed Map runs this execution started.
    pub map_runs: Mutex<Vec<Arc<super::MapRun>>>,
    /// Where changes are journaled (with `--data-dir`).
    sink: std::sync::OnceLock<super::journal::Sink>,
    /// Emulated start time.
    pub started_time: DateTime<Utc>,
    /// Cancelled when the execution must stop running.
    pub cancel: CancellationToken,
    /// Woken when the execution reaches a terminal status.
    pub finished: Notify,
    /// Most history events the execution may have (`--enforce-quotas`; unlimited otherwise).
    event_limit: AtomicUsize,
    state: Mutex<ExecState>,
}

/// Optional facts of an execution (see [`Execution::role_arn`] and its siblings).
#[derive(Debug)]
struct Extras {
    role_arn: Option<String>,
    environment: Option<serde_json::Value>,
    callback_token: Option<String>,
    qualifier: Option<String>,
    map_run: Option<String>,
    version: Option<u64>,
}

/// Error of an execution failed for having too many history events.
pub const EVENT_LIMIT_ERROR: &str = "FnF.EventLimitExceeded";

impl Execution {
    /// A new running execution whose history holds `ExecutionStarted`.
    pub fn new(spec: NewExecution) -> Self {
        let started = Event {
            id: 1,
            schedule_id: 0,
            kind: EventType::ExecutionStarted,
            step_name: Arc::from(""),
            time: spec.started_time,
            detail: serde_json::json!({ "Input": spec.input }).to_string(),
        };
        let extras = Extras {
            role_arn: spec.role_arn,
            environment: spec.environment,
            callback_token: spec.callback_token,
            qualifier: spec.qualifier,
            map_run: spec.map_run,
            version: spec.version,
        };
        let any = extras.role_arn.is_some()
            || extras.environment.is_some()
            || extras.callback_token.is_some()
            || extras.qualifier.is_some()
            || extras.map_run.is_some()
            || extras.version.is_some();
        Execution {
            name: spec.name,
            flow_name: spec.flow_name,
            input: spec.input,
            definition_text: spec.definition_text,
            definition: spec.definition,
            extras: any.then(|| Box::new(extras)),
            map_runs: Mutex::new(Vec::new()),
            sink: std::sync::OnceLock::new(),
            started_time: spec.started_time,
            cancel: CancellationToken::new(),
            finished: Notify::new(),
            event_limit: AtomicUsize::new(usize::MAX),
            state: Mutex::new(ExecState {
                status: Status::Running,
                stopped_time: None,
                output: None,
                error: None,
                history: vec![started],
                parked: None,
            }),
        }
    }

    /// Role ARN snapshot taken at start; `None` when the flow has none.
    pub fn role_arn(&self) -> Option<&str> {
        self.extras.as_ref()?.role_arn.as_deref()
    }

    /// Flow `Environment` snapshot taken at start.
    pub fn environment(&self) -> Option<&serde_json::Value> {
        self.extras.as_ref()?.environment.as_ref()
    }

    /// Parent task token (`CallbackFnFTaskToken`).
    pub fn callback_token(&self) -> Option<&str> {
        self.extras.as_ref()?.callback_token.as_deref()
    }

    /// `Qualifier` given at start.
    pub fn qualifier(&self) -> Option<&str> {
        self.extras.as_ref()?.qualifier.as_deref()
    }

    /// Map run of a distributed-Map child.
    pub fn map_run(&self) -> Option<&str> {
        self.extras.as_ref()?.map_run.as_deref()
    }

    /// Flow version run.
    pub fn version(&self) -> Option<u64> {
        self.extras.as_ref()?.version
    }

    /// Lock the mutable part (never held across `.await`).
    pub fn lock(&self) -> MutexGuard<'_, ExecState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Current status.
    pub fn status(&self) -> Status {
        self.lock().status
    }

    /// Limit the history to `n` events (at least 2): recording the event that would reach the
    /// limit fails the execution with [`EVENT_LIMIT_ERROR`] instead (that failure is event n).
    pub fn set_event_limit(&self, n: usize) {
        self.event_limit.store(n.max(2), Ordering::Relaxed);
    }

    /// Append an event while the execution runs; `Err(Halted)` once it has ended.
    pub fn record(
        &self,
        kind: EventType,
        schedule_id: u64,
        step_name: &Arc<str>,
        time: DateTime<Utc>,
        detail: String,
    ) -> Result<u64, Halted> {
        let mut st = self.lock();
        if !st.status.in_progress() {
            return Err(Halted);
        }
        let limit = self.event_limit.load(Ordering::Relaxed);
        if st.history.len() + 1 >= limit {
            self.end_with_error(
                &mut st,
                Status::Failed,
                EventType::ExecutionFailed,
                time,
                EVENT_LIMIT_ERROR.to_string(),
                format!("The execution exceeded the limit of {limit} history events."),
            );
            drop(st);
            self.after_end();
            return Err(Halted);
        }
        let id = st.history.len() as u64 + 1;
        let ev = Event {
            id,
            schedule_id,
            kind,
            step_name: step_name.clone(),
            time,
            detail,
        };
        self.journal_event(&ev);
        st.history.push(ev);
        Ok(id)
    }

    /// Park the execution with `cont` while it is still running: no task runs it until
    /// [`Execution::take_parked`]. `false` (and `cont` dropped) when it has ended meanwhile.
    pub fn park(&self, cont: Continuation) -> bool {
        let mut st = self.lock();
        if !st.status.in_progress() {
            return false;
        }
        st.parked = Some(cont);
        // A parked execution may wait a long time: give back the history's spare capacity.
        st.history.shrink_to_fit();
        true
    }

    /// Take the continuation of a parked execution (`None` once it has ended, e.g. was stopped).
    pub fn take_parked(&self) -> Option<Continuation> {
        self.lock().parked.take()
    }

    /// Whether the execution is parked (no task runs it).
    pub fn is_parked(&self) -> bool {
        self.lock().parked.is_some()
    }

    /// Journal changes through `sink` from now on, starting with this execution's start.
    pub fn attach(&self, sink: super::journal::Sink) {
        sink.append(super::journal::Record::ExecStarted {
            account: sink.account.to_string(),
            flow: self.flow_name.clone(),
            exec: super::journal::ExecRec {
                name: self.name.clone(),
                input: self.input.clone(),
                definition_text: self.definition_text.to_string(),
                role_arn: self.role_arn().map(str::to_string),
                environment: self.environment().cloned(),
                callback_token: self.callback_token().map(str::to_string),
                qualifier: self.qualifier().map(str::to_string),
                map_run: self.map_run().map(str::to_string),
                version: self.version(),
                started_time: self.started_time,
            },
        });
        let _ = self.sink.set(sink);
    }

    /// Journal changes through `sink` from now on (journal replay: the start is already there).
    pub fn attach_silent(&self, sink: super::journal::Sink) {
        let _ = self.sink.set(sink);
    }

    fn journal_event(&self, ev: &Event) {
        let Some(sink) = self.sink.get() else { return };
        sink.append(super::journal::Record::Event {
            account: sink.account.to_string(),
            flow: self.flow_name.clone(),
            exec: self.name.clone(),
            ev: super::journal::EventRec {
                id: ev.id,
                schedule_id: ev.schedule_id,
                kind: ev.kind.as_str().to_string(),
                step: ev.step_name.to_string(),
                time: ev.time,
                detail: ev.detail.clone(),
            },
        });
    }

    /// Rebuild from the journal: the history (after `ExecutionStarted`) and the end, if any.
    pub fn restore(&self, events: Vec<Event>, end: Option<Ended>) {
        let mut st = self.lock();
        st.history.extend(events);
        if let Some((status, stopped, output, error)) = end {
            st.status = status;
            st.stopped_time = Some(stopped);
            st.output = output;
            st.error = error;
            drop(st);
            self.cancel.cancel();
        }
    }
}
