//! Time-based schedules of a flow: the record, and the `impl Flow` methods that add, look up,
//! list and remove a flow's schedules. The timer that fires them lives in `crate::scheduler`.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::journal::Record;
use super::{read, write, Flow, NameTaken, Page};

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

impl Flow {
    /// Journal replay: put a schedule (replacing one of the same name).
    pub fn restore_schedule(&self, schedule: Schedule) -> Arc<Schedule> {
        if let Some(sink) = self.sink.get() {
            schedule.attach(sink.clone());
        }
        let schedule = Arc::new(schedule);
        write(&self.schedules).insert(schedule.name.clone(), schedule.clone());
        schedule
    }

    /// Journal replay: remove a schedule.
    pub fn remove_schedule_silent(&self, name: &str) {
        write(&self.schedules).remove(name);
    }

    /// Add a schedule; `Err` when the name is taken.
    pub fn add_schedule(&self, schedule: Schedule) -> Result<Arc<Schedule>, NameTaken> {
        let mut s = write(&self.schedules);
        if s.contains_key(&schedule.name) {
            return Err(NameTaken);
        }
        if let Some(sink) = self.sink.get() {
            schedule.attach(sink.clone());
        }
        let schedule = Arc::new(schedule);
        s.insert(schedule.name.clone(), schedule.clone());
        schedule.journal();
        Ok(schedule)
    }

    /// The schedule of this name.
    pub fn schedule(&self, name: &str) -> Option<Arc<Schedule>> {
        read(&self.schedules).get(name).cloned()
    }

    /// Remove a schedule.
    pub fn remove_schedule(&self, name: &str) -> Option<Arc<Schedule>> {
        let s = write(&self.schedules).remove(name)?;
        self.journal(|account| Record::ScheduleDeleted {
            account,
            flow: self.name.clone(),
            name: name.to_string(),
        });
        Some(s)
    }

    /// Schedules by name from `after` (inclusive).
    pub fn list_schedules(&self, after: Option<&str>, limit: usize) -> Page<Arc<Schedule>> {
        let all = read(&self.schedules);
        let mut iter = match after {
            Some(a) => {
                all.range::<str, _>((std::ops::Bound::Included(a), std::ops::Bound::Unbounded))
            }
            None => all.range::<str, _>(..),
        };
        let items: Vec<Arc<Schedule>> = iter.by_ref().take(limit).map(|(_, s)| s.clone()).collect();
        let next_token = iter.next().map(|(k, _)| k.clone());
        Page { items, next_token }
    }

    /// All schedules.
    pub fn all_schedules(&self) -> Vec<Arc<Schedule>> {
        read(&self.schedules).values().cloned().collect()
    }
}
