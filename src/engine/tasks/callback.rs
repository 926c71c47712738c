//! Task tokens of callback tasks (`WaitForCustomCallback`, and child executions started with
//! `CallbackFnFTaskToken`). A token is issued when the task is scheduled; the task then waits
//! until ReportTaskSucceeded / ReportTaskFailed completes it. Each token completes at most once:
//! the report, the task's timeout and the end of its execution race under the token's lock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use crate::engine::interpreter::Failure;
use crate::store::{EventType, Execution};

/// Why a report was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportError {
    /// No such token (for this account).
    Unknown,
    /// The task already has a result (reported, or timed out).
    AlreadyCompleted,
    /// The task's execution has ended without the task completing.
    InvalidState,
}

enum SlotState {
    Pending(Option<oneshot::Sender<Result<Value, Failure>>>),
    Done,
}

/// One issued token.
pub struct Slot {
    account: String,
    exec: Arc<Execution>,
    step: Arc<str>,
    schedule_id: u64,
    state: Mutex<SlotState>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("execution", &self.exec.name)
            .field("step", &self.step)
            .finish()
    }
}

impl Slot {
    /// Mark done without a result (timeout). False when a result got there first.
    pub fn close(&self) -> bool {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match *st {
            SlotState::Done => false,
            SlotState::Pending(_) => {
                *st = SlotState::Done;
                true
            }
        }
    }
}

/// All tokens ever issued. A B-tree: a hash map of a million tokens would double (moving them
/// all) under this lock.
#[derive(Debug, Default)]
pub struct Tokens {
    map: Mutex<BTreeMap<String, Arc<Slot>>>,
}

impl Tokens {
    /// Issue a token for a task of `exec`; returns it and the receiver its result arrives on.
    pub fn issue(
        &self,
        account: &str,
        exec: &Arc<Execution>,
        step: &Arc<str>,
        schedule_id: u64,
    ) -> (String, Arc<Slot>, oneshot::Receiver<Result<Value, Failure>>) {
        let raw = format!(
            "v1#{}#{}#{}#{}",
            exec.flow_name,
            exec.name,
            schedule_id,
            uuid::Uuid::new_v4().simple()
        );
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let (tx, rx) = oneshot::channel();
        let slot = Arc::new(Slot {
            account: account.to_string(),
            exec: exec.clone(),
            step: step.clone(),
            schedule_id,
            state: Mutex::new(SlotState::Pending(Some(tx))),
        });
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), slot.clone());
        (token, slot, rx)
    }

    /// Drop the tokens of `account` (or all); returns how many were dropped. Their tasks'
    /// executions should be stopped first: a dropped token can no longer be reported.
    pub fn forget(&self, account: Option<&str>) -> usize {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let before = map.len();
        map.retain(|_, s| account.is_some_and(|a| a != s.account));
        before - map.len()
    }

    /// Whether `token` is pending for `account` (used to accept `CallbackFnFTaskToken`).
    pub fn is_pending(&self, account: &str, token: &str) -> bool {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .is_some_and(|s| {
                s.account == account
                    && matches!(
                        *s.state.lock().unwrap_or_else(|e| e.into_inner()),
                        SlotState::Pending(_)
                    )
            })
    }

    /// Complete `token` with `result`, recording TaskSucceeded/TaskFailed; returns its EventId.
    pub fn report(
        &self,
        account: &str,
        token: &str,
        result: Result<Value, Failure>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, ReportError> {
        let slot = self
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned();
        let slot = slot
            .filter(|s| s.account == account)
            .ok_or(ReportError::Unknown)?;
        let mut st = slot.state.lock().unwrap_or_else(|e| e.into_inner());
        let SlotState::Pending(tx) = &mut *st else {
            return Err(ReportError::AlreadyCompleted);
        };
        let (kind, detail) = match &result {
            Ok(out) => (EventType::TaskSucceeded, json!({ "Output": out })),
            Err(f) => (
                EventType::TaskFailed,
                json!({ "Error": f.error, "Cause": f.cause }),
            ),
        };
        let id = slot
            .exec
            .record(kind, slot.schedule_id, &slot.step, now, detail.to_string())
            .map_err(|_| ReportError::InvalidState)?;
        if let Some(tx) = tx.take() {
            let _ = tx.send(result);
        }
        *st = SlotState::Done;
        Ok(id)
    }
}
