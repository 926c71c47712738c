//! The one closed table of API error codes, and the error value handlers return.
//!
//! Every request-level failure the emulator can answer is an [`ErrorCode`] from this table:
//! its HTTP status and message template come from the fnf reference (the StopExecution seed page
//! wins where it and the older metadata differ, e.g. `Flow %s does not exist.` with one space).
//! Turning an [`ApiError`] into bytes happens in exactly one place, `protocol::response`.
//! Workflow failures (a state failing, a task erroring) are *not* API errors: they end an
//! execution as `Failed` and never reach this table.

use std::fmt;

/// Every error code the emulator answers with. Closed: adding one means adding a row here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 400: unknown `Action`.
    ActionNotSupported,
    /// 400: `Version` other than 2019-03-15.
    ApiVersionNotSupported,
    /// 400: request over the size limit.
    EntityTooLarge,
    /// 400: StopExecution on an execution that has ended.
    ExecutionAlreadyCompleted,
    /// 400: StartExecution with the name of an ended execution.
    ExecutionAlreadyExists,
    /// 400: a parameter (or definition) is invalid.
    InvalidArgument,
    /// 400: a required header is missing.
    MissingRequiredHeader,
    /// 400: a required parameter is missing.
    MissingRequiredParams,
    /// 400: a callback report for a task that has already completed.
    TaskAlreadyCompleted,
    /// 400: a `SignatureNonce` was used already within the replay window (POP-generic code).
    SignatureNonceUsed,
    /// 403: the caller may not touch the resource.
    AccessDenied,
    /// 403: unknown AccessKeyId.
    InvalidAccessKeyId,
    /// 403: the request timestamp is outside the allowed skew.
    RequestTimeTooSkewed,
    /// 403: the signature does not verify.
    SignatureNotMatch,
    /// 404: no such execution.
    ExecutionNotExists,
    /// 404: no such flow.
    FlowNotExists,
    /// 404: no such schedule.
    ScheduleNotExists,
    /// 404: no such flow version (emulator choice: the newer APIs document no code).
    FlowVersionNotExists,
    /// 404: no such flow alias (emulator choice).
    FlowAliasNotExists,
    /// 404: no such map run (emulator choice).
    MapRunNotExists,
    /// 409: the resource changed concurrently.
    ConcurrentUpdateError,
    /// 409: CreateFlow with a name in use.
    FlowAlreadyExists,
    /// 409: CreateSchedule with a name in use.
    ScheduleAlreadyExists,
    /// 409: CreateFlowAlias with a name in use (emulator choice).
    FlowAliasAlreadyExists,
    /// 409: a callback report for a task not waiting for one.
    TaskInvalidState,
    /// 412: the resource to be modified has been changed.
    PreconditionFailed,
    /// 415: a body of a content type the API does not take.
    UnsupportedMediaType,
    /// 429: throttled.
    ResourceThrottled,
    /// 500: the emulator itself failed.
    InternalServerError,
    /// 501: an action or parameter the emulator does not implement yet (emulator-only code).
    NotImplemented,
}

impl ErrorCode {
    /// Every code, for table-driven tests.
    pub const ALL: [ErrorCode; 30] = [
        Self::ActionNotSupported,
        Self::ApiVersionNotSupported,
        Self::EntityTooLarge,
        Self::ExecutionAlreadyCompleted,
        Self::ExecutionAlreadyExists,
        Self::InvalidArgument,
        Self::MissingRequiredHeader,
        Self::MissingRequiredParams,
        Self::TaskAlreadyCompleted,
        Self::SignatureNonceUsed,
        Self::AccessDenied,
        Self::InvalidAccessKeyId,
        Self::RequestTimeTooSkewed,
        Self::SignatureNotMatch,
        Self::ExecutionNotExists,
        Self::FlowNotExists,
        Self::ScheduleNotExists,
        Self::FlowVersionNotExists,
        Self::FlowAliasNotExists,
        Self::MapRunNotExists,
        Self::ConcurrentUpdateError,
        Self::FlowAlreadyExists,
        Self::ScheduleAlreadyExists,
        Self::FlowAliasAlreadyExists,
        Self::TaskInvalidState,
        Self::PreconditionFailed,
        Self::UnsupportedMediaType,
        Self::ResourceThrottled,
        Self::InternalServerError,
        Self::NotImplemented,
    ];

    /// The wire spelling of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ActionNotSupported => "ActionNotSupported",
            Self::ApiVersionNotSupported => "APIVersionNotSupported",
            Self::EntityTooLarge => "EntityTooLarge",
            Self::ExecutionAlreadyCompleted => "ExecutionAlreadyCompleted",
            Self::ExecutionAlreadyExists => "ExecutionAlreadyExists",
            Self::InvalidArgument => "InvalidArgument",
            Self::MissingRequiredHeader => "MissingRequiredHeader",
            Self::MissingRequiredParams => "MissingRequiredParams",
            Self::TaskAlreadyCompleted => "TaskAlreadyCompleted",
            Self::SignatureNonceUsed => "SignatureNonceUsed",
            Self::AccessDenied => "AccessDenied",
            Self::InvalidAccessKeyId => "InvalidAccessKeyID",
            Self::RequestTimeTooSkewed => "RequestTimeTooSkewed",
            Self::SignatureNotMatch => "SignatureNotMatch",
            Self::ExecutionNotExists => "ExecutionNotExists",
            Self::FlowNotExists => "FlowNotExists",
            Self::ScheduleNotExists => "ScheduleNotExists",
            Self::FlowVersionNotExists => "FlowVersionNotExists",
            Self::FlowAliasNotExists => "FlowAliasNotExists",
            Self::MapRunNotExists => "MapRunNotExists",
            Self::FlowAliasAlreadyExists => "FlowAliasAlreadyExists",
            Self::ConcurrentUpdateError => "ConcurrentUpdateError",
            Self::FlowAlreadyExists => "FlowAlreadyExists",
            Self::ScheduleAlreadyExists => "ScheduleAlreadyExists",
            Self::TaskInvalidState => "TaskInvalidState",
            Self::PreconditionFailed => "PreconditionFailed",
            Self::UnsupportedMediaType => "UnsupportedMediaType",
            Self::ResourceThrottled => "ResourceThrottled",
            Self::InternalServerError => "InternalServerError",
            Self::NotImplemented => "NotImplemented",
        }
    }

    /// The HTTP status the code is answered with.
    pub fn status(self) -> u16 {
        match self {
            Self::ActionNotSupported
            | Self::ApiVersionNotSupported
            | Self::EntityTooLarge
            | Self::ExecutionAlreadyCompleted
            | Self::ExecutionAlreadyExists
            | Self::InvalidArgument
            | Self::MissingRequiredHeader
            | Self::MissingRequiredParams
            | Self::TaskAlreadyCompleted
            | Self::SignatureNonceUsed => 400,
            Self::AccessDenied
            | Self::InvalidAccessKeyId
            | Self::RequestTimeTooSkewed
            | Self::SignatureNotMatch => 403,
            Self::ExecutionNotExists
            | Self::FlowNotExists
            | Self::ScheduleNotExists
            | Self::FlowVersionNotExists
            | Self::FlowAliasNotExists
            | Self::MapRunNotExists => 404,
            Self::ConcurrentUpdateError
            | Self::FlowAlreadyExists
            | Self::ScheduleAlreadyExists
            | Self::FlowAliasAlreadyExists
            | Self::TaskInvalidState => 409,
            Self::PreconditionFailed => 412,
            Self::UnsupportedMediaType => 415,
            Self::ResourceThrottled => 429,
            Self::InternalServerError => 500,
            Self::NotImplemented => 501,
        }
    }

    /// The documented message template; each `%s` is filled in order by [`ApiError::new`].
    pub fn template(self) -> &'static str {
        match self {
            Self::ActionNotSupported => "The requested API operation '%s' is incorrect. Please check.",
            Self::ApiVersionNotSupported => {
                "The requested API version '%s' is not supported yet. Please check."
            }
            Self::EntityTooLarge => "The payload size exceeds maximum allowed size (%s bytes).",
            Self::ExecutionAlreadyCompleted => "Execution '%s' for flow '%s' has already completed.",
            Self::ExecutionAlreadyExists => "Execution %s for flow %s already exists.",
            Self::InvalidArgument => "Parameter error.",
            Self::MissingRequiredHeader => "The HTTP header '%s' must be specified.",
            Self::MissingRequiredParams => "The HTTP query '%s' must be specified.",
            Self::TaskAlreadyCompleted => "Task %s has already completed.",
            Self::SignatureNonceUsed => "Specified signature nonce was used already.",
            Self::AccessDenied => "The resources doesn't belong to you.",
            Self::InvalidAccessKeyId => "The AccessKey ID %s is invalid.",
            Self::RequestTimeTooSkewed => {
                "The difference between the request time %s and the current time %s is too large."
            }
            Self::SignatureNotMatch => {
                "The request signature we calculated does not match the signature you provided. Check your access key and signing method."
            }
            Self::ExecutionNotExists => "Execution %s for flow %s does not exist.",
            Self::FlowNotExists => "Flow %s does not exist.",
            Self::ScheduleNotExists => "The schedule %s for flow %s does not exist.",
            Self::FlowVersionNotExists => "Version %s of flow %s does not exist.",
            Self::FlowAliasNotExists => "Alias %s of flow %s does not exist.",
            Self::MapRunNotExists => "Map run %s of execution %s does not exist.",
            Self::FlowAliasAlreadyExists => "Alias %s already exists in flow %s.",
            Self::ConcurrentUpdateError => "Update conflict, please retry.",
            Self::FlowAlreadyExists => "Flow %s already exists.",
            Self::ScheduleAlreadyExists => "The schedule %s already exists in flow %s.",
            Self::TaskInvalidState => "Task is in an invalid state, please retry.",
            Self::PreconditionFailed => "The resource to be modified has been changed.",
            Self::UnsupportedMediaType => "The content type must be \"application/json\".",
            Self::ResourceThrottled => "The request is throttled. Please try again later.",
            Self::InternalServerError => "An internal error has occurred. Please retry.",
            Self::NotImplemented => "%s is not implemented by this emulator yet.",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request-level error: a code from the table and its rendered message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The table row.
    pub code: ErrorCode,
    /// The message sent to the client.
    pub message: String,
    /// Seconds the client should wait before retrying, sent as `x-acs-retry-after` (throttling).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// Fill the code's template with `args` in order; missing args leave `%s` empty.
    pub fn new(code: ErrorCode, args: &[&str]) -> Self {
        let mut message = String::new();
        let mut rest = code.template();
        let mut args = args.iter();
        while let Some(pos) = rest.find("%s") {
            message.push_str(&rest[..pos]);
            message.push_str(args.next().copied().unwrap_or(""));
            rest = &rest[pos + 2..];
        }
        message.push_str(rest);
        ApiError {
            code,
            message,
            retry_after: None,
        }
    }

    /// `InvalidArgument` with the documented text followed by what exactly is wrong.
    pub fn invalid(detail: impl fmt::Display) -> Self {
        ApiError {
            code: ErrorCode::InvalidArgument,
            message: format!("{} {}", ErrorCode::InvalidArgument.template(), detail),
            retry_after: None,
        }
    }

    /// The same error, asking the client to retry after `seconds` (`x-acs-retry-after`).
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// `MissingRequiredParams` naming the parameter.
    pub fn missing(param: &str) -> Self {
        Self::new(ErrorCode::MissingRequiredParams, &[param])
    }

    /// `FlowNotExists` naming the flow.
    pub fn flow_not_exists(flow: &str) -> Self {
        Self::new(ErrorCode::FlowNotExists, &[flow])
    }

    /// `ExecutionNotExists` naming the execution and its flow.
    pub fn execution_not_exists(execution: &str, flow: &str) -> Self {
        Self::new(ErrorCode::ExecutionNotExists, &[execution, flow])
    }

    /// The generic 500 (the cause is logged, never sent).
    pub fn internal() -> Self {
        Self::new(ErrorCode::InternalServerError, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_distinct_name_status_and_template() {
        let mut names = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(names.insert(code.as_str()), "duplicate {code}");
            assert!((400..=599).contains(&code.status()));
            assert!(!code.template().is_empty());
        }
    }

    #[test]
    fn seed_page_rows_are_exact() {
        // (status, code, message template) from the StopExecution reference page, to the letter.
        let rows = [
            (400, "ActionNotSupported", "The requested API operation '%s' is incorrect. Please check."),
            (400, "APIVersionNotSupported", "The requested API version '%s' is not supported yet. Please check."),
            (400, "EntityTooLarge", "The payload size exceeds maximum allowed size (%s bytes)."),
            (400, "ExecutionAlreadyCompleted", "Execution '%s' for flow '%s' has already completed."),
            (400, "InvalidArgument", "Parameter error."),
            (400, "MissingRequiredHeader", "The HTTP header '%s' must be specified."),
            (400, "MissingRequiredParams", "The HTTP query '%s' must be specified."),
            (500, "InternalServerError", "An internal error has occurred. Please retry."),
            (403, "AccessDenied", "The resources doesn't belong to you."),
            (403, "InvalidAccessKeyID", "The AccessKey ID %s is invalid."),
            (403, "RequestTimeTooSkewed", "The difference between the request time %s and the current time %s is too large."),
            (403, "SignatureNotMatch", "The request signature we calculated does not match the signature you provided. Check your access key and signing method."),
            (404, "ExecutionNotExists", "Execution %s for flow %s does not exist."),
            (404, "FlowNotExists", "Flow %s does not exist."),
            (415, "UnsupportedMediaType", "The content type must be \"application/json\"."),
            (429, "ResourceThrottled", "The request is throttled. Please try again later."),
            (409, "ConcurrentUpdateError", "Update conflict, please retry."),
        ];
        for (status, name, template) in rows {
            let code = ErrorCode::ALL
                .iter()
                .find(|c| c.as_str() == name)
                .expect(name);
            assert_eq!(code.status(), status, "{name}");
            assert_eq!(code.template(), template, "{name}");
        }
    }

    #[test]
    fn templates_are_filled_in_order() {
        let e = ApiError::new(ErrorCode::ExecutionAlreadyCompleted, &["e1", "f1"]);
        assert_eq!(
            e.message,
            "Execution 'e1' for flow 'f1' has already completed."
        );
        let e = ApiError::invalid("Cause: too long");
        assert_eq!(e.message, "Parameter error. Cause: too long");
    }
}
