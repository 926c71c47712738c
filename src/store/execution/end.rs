//! How an execution ends. [`Execution::finish`] (the engine's outcome) and
//! [`Execution::stop`] (StopExecution) only act on a running execution, so a stop and a natural
//! finish racing end in exactly one terminal state, and the loser learns which. Both, and the
//! event-limit failure in [`Execution::record`], go through `end`, which sets the terminal
//! status, appends the terminal event and journals the end.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Event, EventType, ExecState, Execution, Outcome, Status};

impl Execution {
    pub(super) fn end(
        &self,
        st: &mut ExecState,
        status: Status,
        kind: EventType,
        time: DateTime<Utc>,
        detail: String,
    ) {
        st.status = status;
        st.stopped_time = Some(time);
        st.parked = None;
        let id = st.history.len() as u64 + 1;
        let ev = Event {
            id,
            schedule_id: 1,
            kind,
            step_name: Arc::from(""),
            time,
            detail,
        };
        self.journal_event(&ev);
        st.history.push(ev);
        if let Some(sink) = self.sink.get() {
            sink.append(super::super::journal::Record::ExecEnded {
                account: sink.account.to_string(),
                flow: self.flow_name.clone(),
                exec: self.name.clone(),
                status: status.as_str().to_string(),
                stopped: time,
                output: st.output.clone(),
                error: st.error.clone(),
            });
        }
    }

    /// End with an error: `{"Error", "Cause"}` is the event's detail and the execution's error.
    pub(super) fn end_with_error(
        &self,
        st: &mut ExecState,
        status: Status,
        kind: EventType,
        time: DateTime<Utc>,
        error: String,
        cause: String,
    ) {
        let detail = serde_json::json!({ "Error": error, "Cause": cause }).to_string();
        st.error = Some((error, cause));
        self.end(st, status, kind, time, detail);
    }

    pub(super) fn after_end(&self) {
        self.cancel.cancel();
        self.finished.notify_waiters();
    }

    /// Record the engine's outcome if the execution is still running. Returns the status the
    /// execution has afterwards (which is not the outcome's when a stop won the race).
    pub fn finish(&self, outcome: Outcome, time: DateTime<Utc>) -> Status {
        let mut st = self.lock();
        if !st.status.in_progress() {
            return st.status;
        }
        match outcome {
            Outcome::Succeeded(output) => {
                let detail = serde_json::json!({ "Output": output }).to_string();
                st.output = Some(output);
                self.end(
                    &mut st,
                    Status::Succeeded,
                    EventType::ExecutionSucceeded,
                    time,
                    detail,
                );
            }
            Outcome::Failed { error, cause } => self.end_with_error(
                &mut st,
                Status::Failed,
                EventType::ExecutionFailed,
                time,
                error,
                cause,
            ),
            Outcome::TimedOut { error, cause } => self.end_with_error(
                &mut st,
                Status::TimedOut,
                EventType::ExecutionTimedOut,
                time,
                error,
                cause,
            ),
        }
        let status = st.status;
        drop(st);
        self.after_end();
        status
    }

    /// StopExecution: stop a running execution. `Err(status)` when it had already ended.
    pub fn stop(
        &self,
        error: Option<&str>,
        cause: Option<&str>,
        time: DateTime<Utc>,
    ) -> Result<(), Status> {
        let mut st = self.lock();
        if !st.status.in_progress() {
            return Err(st.status);
        }
        let mut detail = serde_json::Map::new();
        if let Some(e) = error {
            detail.insert("Error".into(), e.into());
        }
        if let Some(c) = cause {
            detail.insert("Cause".into(), c.into());
        }
        st.error = Some((
            error.unwrap_or_default().to_string(),
            cause.unwrap_or_default().to_string(),
        ));
        self.end(
            &mut st,
            Status::Stopped,
            EventType::ExecutionStopped,
            time,
            serde_json::Value::Object(detail).to_string(),
        );
        drop(st);
        self.after_end();
        Ok(())
    }
}
