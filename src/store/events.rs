//! What an execution reports: its [`Status`], the engine's [`Outcome`], and its history, as
//! [`Event`]s of an [`EventType`]. Status and event type carry their wire spellings.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Execution status, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Status {
    /// Accepted, not yet running.
    Starting,
    /// In progress.
    Running,
    /// Ended by StopExecution.
    Stopped,
    /// Ended normally.
    Succeeded,
    /// Ended by an uncaught error.
    Failed,
    /// Ended by the flow's Timeout.
    TimedOut,
}

impl Status {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Starting => "Starting",
            Status::Running => "Running",
            Status::Stopped => "Stopped",
            Status::Succeeded => "Succeeded",
            Status::Failed => "Failed",
            Status::TimedOut => "TimedOut",
        }
    }

    /// Parse the wire spelling.
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Starting,
            Status::Running,
            Status::Stopped,
            Status::Succeeded,
            Status::Failed,
            Status::TimedOut,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// Still in progress (`Starting` or `Running`).
    pub fn in_progress(self) -> bool {
        matches!(self, Status::Starting | Status::Running)
    }
}

/// History event types (api.md GetExecutionHistory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum EventType {
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionStopped,
    ExecutionTimedOut,
    StepEntered,
    StepStarted,
    StepSucceeded,
    StepFailed,
    StepExited,
    BranchEntered,
    BranchExited,
    IterationEntered,
    IterationExited,
    TaskScheduled,
    TaskStarted,
    TaskSubmitted,
    TaskSubmitFailed,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    MapRunStarted,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 22] = [
        EventType::ExecutionStarted,
        EventType::ExecutionSucceeded,
        EventType::ExecutionFailed,
        EventType::ExecutionStopped,
        EventType::ExecutionTimedOut,
        EventType::StepEntered,
        EventType::StepStarted,
        EventType::StepSucceeded,
        EventType::StepFailed,
        EventType::StepExited,
        EventType::BranchEntered,
        EventType::BranchExited,
        EventType::IterationEntered,
        EventType::IterationExited,
        EventType::TaskScheduled,
        EventType::TaskStarted,
        EventType::TaskSubmitted,
        EventType::TaskSubmitFailed,
        EventType::TaskSucceeded,
        EventType::TaskFailed,
        EventType::TaskTimedOut,
        EventType::MapRunStarted,
    ];

    /// Parse the wire spelling.
    pub fn parse(s: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The wire spelling (the variant name).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ExecutionStarted => "ExecutionStarted",
            EventType::ExecutionSucceeded => "ExecutionSucceeded",
            EventType::ExecutionFailed => "ExecutionFailed",
            EventType::ExecutionStopped => "ExecutionStopped",
            EventType::ExecutionTimedOut => "ExecutionTimedOut",
            EventType::StepEntered => "StepEntered",
            EventType::StepStarted => "StepStarted",
            EventType::StepSucceeded => "StepSucceeded",
            EventType::StepFailed => "StepFailed",
            EventType::StepExited => "StepExited",
            EventType::BranchEntered => "BranchEntered",
            EventType::BranchExited => "BranchExited",
            EventType::IterationEntered => "IterationEntered",
            EventType::IterationExited => "IterationExited",
            EventType::TaskScheduled => "TaskScheduled",
            EventType::TaskStarted => "TaskStarted",
            EventType::TaskSubmitted => "TaskSubmitted",
            EventType::TaskSubmitFailed => "TaskSubmitFailed",
            EventType::TaskSucceeded => "TaskSucceeded",
            EventType::TaskFailed => "TaskFailed",
            EventType::TaskTimedOut => "TaskTimedOut",
            EventType::MapRunStarted => "MapRunStarted",
        }
    }
}

/// One history event.
#[derive(Debug, Clone)]
pub struct Event {
    /// 1-based, increasing.
    pub id: u64,
    /// The event that scheduled this one (0 for the first).
    pub schedule_id: u64,
    /// Event type.
    pub kind: EventType,
    /// The state it concerns ("" for execution-level events).
    pub step_name: Arc<str>,
    /// Emulated time.
    pub time: DateTime<Utc>,
    /// JSON text.
    pub detail: String,
}

/// How an execution ended, as the engine reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Output JSON text.
    Succeeded(String),
    /// Error code and cause.
    Failed { error: String, cause: String },
    /// The flow-level Timeout elapsed.
    TimedOut { error: String, cause: String },
}
