//! The two response envelopes. This is the one place an [`ApiError`] becomes HTTP.
//!
//! Success: HTTP 200, a JSON object with `RequestId`. Error: the table's status and
//! `{"RequestId", "HostId", "Code", "Message", "Recommend"}` (Alibaba Cloud's RPC error shape).
//! Both carry `Content-Type: application/json` and an `x-acs-request-id` header.

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// What an action answers with, without `RequestId`.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Fields to serialize.
    Fields(Map<String, Value>),
    /// A JSON object already serialized (`{...}`): the hot actions write their answer directly
    /// instead of building a map of cloned strings first.
    Object(Vec<u8>),
}

/// `{<the reply's fields>, "RequestId": "..."}`, appended in place (no second buffer).
fn with_request_id(request_id: &str, reply: Reply) -> Vec<u8> {
    let mut out = match reply {
        Reply::Fields(m) => serde_json::to_vec(&m).unwrap_or_else(|_| b"{}".to_vec()),
        Reply::Object(b) => b,
    };
    // Both forms are compact JSON objects: reopen the closing brace.
    if out.first() == Some(&b'{') && out.last() == Some(&b'}') {
        out.pop();
        if out.len() > 1 {
            out.push(b',');
        }
    } else {
        out = b"{".to_vec();
    }
    out.reserve(request_id.len() + 16);
    out.extend_from_slice(b"\"RequestId\":");
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, request_id);
    out.push(b'}');
    out
}

fn json_response(status: StatusCode, request_id: &str, body: &Value) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    bytes_response(status, request_id, bytes)
}

fn bytes_response(status: StatusCode, request_id: &str, bytes: Vec<u8>) -> Response<Body> {
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

/// A 200 answer: `RequestId` and the reply's fields.
pub fn success(request_id: &str, reply: Reply) -> Response<Body> {
    bytes_response(
        StatusCode::OK,
        request_id,
        with_request_id(request_id, reply),
    )
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

    fn body_of(reply: Reply) -> Value {
        serde_json::from_slice(&with_request_id("r\"1", reply)).unwrap()
    }

    #[test]
    fn success_bodies_carry_the_request_id() {
        let mut m = Map::new();
        m.insert("Name".into(), Value::from("x"));
        let expect = serde_json::json!({"RequestId": "r\"1", "Name": "x"});
        assert_eq!(body_of(Reply::Fields(m)), expect);
        assert_eq!(body_of(Reply::Object(br#"{"Name":"x"}"#.to_vec())), expect);
        let only = serde_json::json!({"RequestId": "r\"1"});
        assert_eq!(body_of(Reply::Fields(Map::new())), only);
        assert_eq!(body_of(Reply::Object(b"{}".to_vec())), only);
        // Not an object (never produced by an action): the answer is still valid JSON.
        assert_eq!(body_of(Reply::Object(b"[1]".to_vec())), only);
        assert_eq!(
            with_request_id("r", Reply::Object(br#"{"A":1}"#.to_vec())),
            br#"{"A":1,"RequestId":"r"}"#.to_vec()
        );
        let r = success("rid", Reply::Object(b"{}".to_vec()));
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-acs-request-id"], "rid");
    }

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
