//! Time-based schedules of a flow. The record only; the timer that fires them lives in
//! `crate::scheduler`.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

/// The updatable attributes of a schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleMeta {
    /// `CronExpression` as given.
    pub cron_expression: String,
    /// `Payload` (JSON object text), if any.
    pub payload: Option<String>,
    /// `Description`.
    pub description: String,
    /// `Enable`.
    pub enable: bool,
    /// Emulated time of the last change.
    pub last_modified_time: DateTime<Utc>,
}

/// One schedule.
#[derive(Debug)]
pub struct Schedule {
    /// Unique id.
    pub id: String,
    /// `ScheduleName`.
    pub name: String,
    /// The flow it starts.
    pub flow_name: String,
    /// Emulated creation time.
    pub created_time: DateTime<Utc>,
    meta: Mutex<ScheduleMeta>,
    sink: std::sync::OnceLock<super::journal::Sink>,
    /// Cancels the running timer (replaced whenever the schedule changes).
    timer: Mutex<CancellationToken>,
}

impl Schedule {
    /// A new schedule (its timer is not running yet).
    pub fn new(
        id: String,
        name: String,
        flow_name: String,
        created_time: DateTime<Utc>,
        meta: ScheduleMeta,
    ) -> Self {
        Schedule {
            id,
            name,
            flow_name,
            created_time,
            meta: Mutex::new(meta),
            sink: std::sync::OnceLock::new(),
            timer: Mutex::new(CancellationToken::new()),
        }
    }

    /// A snapshot of the attributes.
    pub fn meta(&self) -> ScheduleMeta {
        self.meta.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Change the attributes.
    pub fn update(&self, f: impl FnOnce(&mut ScheduleMeta)) -> ScheduleMeta {
        let mut m = self.meta.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut m);
        let out = m.clone();
        drop(m);
        self.journal();
        out
    }

    /// Journal changes through `sink` from now on.
    pub fn attach(&self, sink: super::journal::Sink) {
        let _ = self.sink.set(sink);
    }

    /// Write the whole schedule to the journal (if any).
    pub fn journal(&self) {
        let Some(sink) = self.sink.get() else { return };
        let m = self.meta();
        sink.append(super::journal::Record::SchedulePut {
            account: sink.account.to_string(),
            flow: self.flow_name.clone(),
            id: self.id.clone(),
            name: self.name.clone(),
            created: self.created_time,
            cron: m.cron_expression,
            payload: m.payload,
            description: m.description,
            enable: m.enable,
            modified: m.last_modified_time,
        });
    }

    /// Stop the current timer and return the token for a new one.
    pub fn rearm(&self) -> CancellationToken {
        let mut t = self.timer.lock().unwrap_or_else(|e| e.into_inner());
        t.cancel();
        *t = CancellationToken::new();
        t.clone()
    }

    /// Stop the current timer for good.
    pub fn disarm(&self) {
        self.timer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .cancel();
    }
}
