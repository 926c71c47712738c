//! The two response envelopes. This is the one place an [`ApiError`] becomes HTTP.
//!
//! Success: HTTP 200, a JSON object with `RequestId`. Error: the table's status and
//! `{"RequestId", "HostId", "Code", "Message", "Recommend"}` (Alibaba Cloud's RPC error shape).
//! Both carry `Content-Type: application/json` and an `x-acs-request-id` header.

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use serde_json::{Map, Value};

use crate::error::ApiError;

fn json_response(status: StatusCode, request_id: &str, body: &Value) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-acs-request-id", v);
    }
    resp
}

/// A 200 answer: `fields` plus `RequestId`.
pub fn success(request_id: &str, mut fields: Map<String, Value>) -> Response<Body> {
    fields.insert("RequestId".into(), Value::String(request_id.to_string()));
    json_response(StatusCode::OK, request_id, &Value::Object(fields))
}

/// The error body for `err`, with the status from the error table.
pub fn error(err: &ApiError, request_id: &str, host_id: &str) -> Response<Body> {
    let code = err.code.as_str();
    let body = serde_json::json!({
        "RequestId": request_id,
        "HostId": host_id,
        "Code": code,
        "Message": err.message,
        "Recommend": format!(
            "https://api.alibabacloud.com/troubleshoot?q={code}&product=fnf&requestId={request_id}"
        ),
    });
    let status =
        StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = json_response(status, request_id, &body);
    if let Some(secs) = err.retry_after {
        resp.headers_mut()
            .insert("x-acs-retry-after", HeaderValue::from(secs));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn error_body_shape() {
        let e = ApiError::new(ErrorCode::FlowNotExists, &["f"]);
        let r = error(&e, "rid", "host");
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.headers()["x-acs-request-id"], "rid");
        assert!(r.headers().get("x-acs-retry-after").is_none());
        let t = ApiError::new(ErrorCode::ResourceThrottled, &[]).with_retry_after(3);
        let r = error(&t, "rid", "host");
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["x-acs-retry-after"], "3");
    }
}
