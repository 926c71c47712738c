//! Callback actions: ReportTaskSucceeded, ReportTaskFailed.

use serde_json::{json, Map, Value};

use super::{check_len, ActionResult, Call};
use crate::engine::interpreter::Failure;
use crate::engine::tasks::callback::ReportError;
use crate::error::{ApiError, ErrorCode};

fn report(call: &Call<'_>, result: Result<Value, Failure>) -> ActionResult {
    let token = call.params.required("TaskToken")?;
    let now = call.app.clock.now();
    match call
        .app
        .tasks
        .tokens
        .report(&call.account_id, token, result, now)
    {
        Ok(id) => {
            let mut out = Map::new();
            out.insert("EventId".into(), json!(id));
            Ok(out)
        }
        Err(ReportError::Unknown) => Err(ApiError::invalid(format!(
            "TaskToken '{token}' is not a valid task token."
        ))),
        Err(ReportError::AlreadyCompleted) => {
            Err(ApiError::new(ErrorCode::TaskAlreadyCompleted, &[token]))
        }
        Err(ReportError::InvalidState) => Err(ApiError::new(ErrorCode::TaskInvalidState, &[])),
    }
}

/// ReportTaskSucceeded: `TaskToken` and `Output` (a JSON object as text).
pub fn report_task_succeeded(call: &Call<'_>) -> ActionResult {
    let raw = call.params.required("Output")?;
    let output = match serde_json::from_str::<Value>(raw) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Err(ApiError::invalid(
                "Output must be a JSON object, e.g. {\"key\":\"value\"}.",
            ))
        }
    };
    report(call, Ok(output))
}

/// ReportTaskFailed: `TaskToken`, `Error` (1-128 characters), `Cause` (1-4096 characters).
pub fn report_task_failed(call: &Call<'_>) -> ActionResult {
    let error = call.params.required("Error")?;
    let cause = call.params.get("Cause");
    check_len("Error", Some(error), 1, 128)?;
    check_len("Cause", cause, 1, 4096)?;
    report(
        call,
        Err(Failure {
            error: error.to_string(),
            cause: cause.unwrap_or_default().to_string(),
        }),
    )
}
