//! What a state's run can end in, and the checks on its data: the engine's error codes,
//! [`Failure`] (an error name and cause), [`Halt`] (why a scope stopped early: a failure, the
//! execution's end, or a park), the 64 KiB state I/O limit and the history-detail helpers.

use chrono::Utc;
use serde_json::Value;

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
    /// A top-level Wait parks the execution: unwind to `launch::run`, which stores the continuation
    /// and leaves the rest to the [`Parker`](super::park::Parker).
    Park(Box<ParkPoint>),
}

/// Where a parked execution resumes: after the work of the Wait state at `idx` of the root
/// scope, whose effective input was `input` and whose StepEntered/StepStarted were `entered`
/// and `started`.
#[derive(Debug)]
pub(super) struct ParkPoint {
    pub(super) deadline: chrono::DateTime<Utc>,
    pub(super) idx: usize,
    pub(super) input: Value,
    pub(super) entered: u64,
    pub(super) started: u64,
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

pub(super) fn check_size(v: &Value, what: &str, state: &str) -> Result<String, Halt> {
    check_text(v.to_string(), what, state)
}

/// [`check_size`] of an already serialized value.
pub(super) fn check_text(text: String, what: &str, state: &str) -> Result<String, Halt> {
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
pub(super) fn wrap_detail(key: &str, json_text: &str) -> String {
    let mut s = String::with_capacity(key.len() + json_text.len() + 5);
    s.push_str("{\"");
    s.push_str(key);
    s.push_str("\":");
    s.push_str(json_text);
    s.push('}');
    s
}

pub(super) fn require_object(v: Value, what: &str, state: &str) -> Result<Value, Halt> {
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
pub(super) fn merged(base: &Value, over: &Value) -> Value {
    let mut m = base.as_object().cloned().unwrap_or_default();
    if let Value::Object(o) = over {
        for (k, v) in o {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::Object(m)
}

/// Whether an error name matches a rule's `Errors`.
pub(super) fn matches(errors: &[String], error: &str) -> bool {
    errors.iter().any(|e| e == codes::ALL || e == error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
