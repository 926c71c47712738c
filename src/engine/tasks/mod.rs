//! What a Task state does in the emulator, under the user's control: mocked results
//! ([`mocks`]), local function endpoints for `FC:InvokeFunction` ([`invoke_function`]), real
//! `HTTP:Request` calls ([`http_request`]), and callback tokens ([`callback`]). A task with none of
//! these fails with `Emulator.TaskNotConfigured`: the emulator never invents a success.

pub mod callback;
pub mod mocks;

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::interpreter::Failure;

/// Error when no stand-in is configured for a task.
pub const NOT_CONFIGURED: &str = "Emulator.TaskNotConfigured";
/// Error when a function endpoint cannot be reached.
pub const FC_UNREACHABLE: &str = "FC.InternalServerError";

/// Everything tasks need at run time.
#[derive(Debug)]
pub struct TaskEnv {
    /// Function name -> local endpoint URL (`--function NAME=URL`).
    pub functions: HashMap<String, String>,
    /// Mocked results.
    pub mocks: mocks::Mocks,
    /// Callback tokens.
    pub tokens: callback::Tokens,
    /// Outgoing HTTP client.
    pub http: reqwest::Client,
    /// History events allowed per execution (`--enforce-quotas`; `usize::MAX` otherwise).
    pub max_events: usize,
    /// Executions parked in a top-level Wait, with no task running them.
    pub parker: std::sync::Arc<super::park::Parker>,
}

impl TaskEnv {
    /// A task environment with these endpoints and mocks.
    pub fn new(functions: Vec<(String, String)>, mocks: mocks::MockConfig) -> Self {
        TaskEnv {
            functions: functions.into_iter().collect(),
            mocks: mocks::Mocks::new(mocks),
            tokens: callback::Tokens::default(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .unwrap_or_default(),
            max_events: usize::MAX,
            parker: Default::default(),
        }
    }
}

fn failure(error: impl Into<String>, cause: impl Into<String>) -> Failure {
    Failure {
        error: error.into(),
        cause: cause.into(),
    }
}

/// The function name in an FC resource ARN: `acs:fc:{region}:{uid}:functions/{name}[/{qualifier}]`,
/// `acs:fc:::services/{service}.{qualifier}/functions/{name}`, or a bare name.
pub fn function_name(resource_arn: &str) -> Option<&str> {
    if !resource_arn.contains(':') && !resource_arn.contains('/') {
        return (!resource_arn.is_empty()).then_some(resource_arn);
    }
    let rest = resource_arn.split("functions/").nth(1)?;
    let name = rest.split('/').next()?;
    (!name.is_empty()).then_some(name)
}

fn body_bytes(body: Option<&Value>) -> (Vec<u8>, &'static str) {
    match body {
        None | Some(Value::Null) => (Vec::new(), "application/json"),
        Some(Value::String(s)) => (s.clone().into_bytes(), "text/plain; charset=utf-8"),
        Some(other) => (other.to_string().into_bytes(), "application/json"),
    }
}

fn parse_body(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// FC error name for a non-2xx answer: the answer's own code if it has one, else by status.
fn fc_error(status: u16, body: &Value) -> String {
    let own = ["ErrorCode", "errorCode", "Code", "code"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str));
    let code = own.map(str::to_string).unwrap_or_else(|| {
        match status {
            400 => "InvalidArgument",
            403 => "AccessDenied",
            404 => "FunctionNotFound",
            429 => "ResourceThrottled",
            500 => "InternalServerError",
            503 => "ResourceExhausted",
            _ => "Unknown",
        }
        .to_string()
    });
    format!("FC.{code}")
}

/// Call the local endpoint of an `FC:InvokeFunction` task. `Ok(None)` when the task's function
/// has no endpoint configured.
pub async fn invoke_function(
    env: &TaskEnv,
    params: &Map<String, Value>,
) -> Option<Result<Value, Failure>> {
    let arn = params.get("resourceArn").and_then(Value::as_str)?;
    let name = function_name(arn)?;
    let url = env.functions.get(name)?;
    let invocation = params
        .get("invocationType")
        .and_then(Value::as_str)
        .unwrap_or("Sync");
    let (bytes, ctype) = body_bytes(params.get("body"));
    let resp = env
        .http
        .post(url)
        .header("content-type", ctype)
        .header("x-fc-invocation-type", invocation)
        .header("x-fc-function-name", name)
        .body(bytes)
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            return Some(Err(failure(
                FC_UNREACHABLE,
                format!("function '{name}' at {url} could not be reached: {e}"),
            )))
        }
    };
    let status = resp.status().as_u16();
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => {
            return Some(Err(failure(
                FC_UNREACHABLE,
                format!("function '{name}': reading the answer failed: {e}"),
            )))
        }
    };
    let body = parse_body(&bytes);
    if !(200..300).contains(&status) {
        let cause = match &body {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return Some(Err(failure(
            fc_error(status, &body),
            format!("function '{name}' answered HTTP {status}: {cause}"),
        )));
    }
    Some(Ok(json!({ "Body": body })))
}

fn param<'a>(params: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| params.get(*n))
}

/// Perform an `HTTP:Request` task: parameters `method` (default GET), `url`, `headers` (object of
/// strings), `body` (string, or any JSON sent as JSON); PascalCase names are accepted too. The
/// output is `{"StatusCode", "Headers", "Body"}` (Body parsed as JSON when it is JSON). A status of
/// 400 or more is the error `HTTP.StatusCode.<status>`; a failed connection `HTTP.ConnectionError`.
pub async fn http_request(env: &TaskEnv, params: &Map<String, Value>) -> Result<Value, Failure> {
    let url = param(params, &["url", "Url", "URL"])
        .and_then(Value::as_str)
        .ok_or_else(|| {
            failure(
                "HTTP.InvalidParameter",
                "HTTP:Request needs a 'url' parameter",
            )
        })?;
    let method = param(params, &["method", "Method"])
        .and_then(Value::as_str)
        .unwrap_or("GET")
        .to_ascii_uppercase();
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| {
        failure(
            "HTTP.InvalidParameter",
            format!("'{method}' is not an HTTP method"),
        )
    })?;
    let mut req = env.http.request(method, url);
    if let Some(h) = param(params, &["headers", "Headers"]) {
        let Value::Object(h) = h else {
            return Err(failure(
                "HTTP.InvalidParameter",
                "headers must be an object of strings",
            ));
        };
        for (k, v) in h {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            req = req.header(k.as_str(), v);
        }
    }
    if let Some(b) = param(params, &["body", "Body"]) {
        let (bytes, ctype) = body_bytes(Some(b));
        req = req.header("content-type", ctype).body(bytes);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| failure("HTTP.ConnectionError", format!("{url}: {e}")))?;
    let status = resp.status().as_u16();
    let mut headers = Map::new();
    for (k, v) in resp.headers() {
        headers.insert(
            k.as_str().to_string(),
            Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
        );
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| failure("HTTP.ConnectionError", format!("{url}: {e}")))?;
    let out = json!({ "StatusCode": status, "Headers": headers, "Body": parse_body(&bytes) });
    if status >= 400 {
        return Err(failure(
            format!("HTTP.StatusCode.{status}"),
            out.to_string(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_from_arns() {
        assert_eq!(
            function_name("acs:fc:cn-shanghai:123:functions/resize/LATEST"),
            Some("resize")
        );
        assert_eq!(
            function_name("acs:fc:::services/svc.LATEST/functions/resize"),
            Some("resize")
        );
        assert_eq!(function_name("resize"), Some("resize"));
        assert_eq!(function_name("acs:fc:::services/svc"), None);
    }

    #[test]
    fn fc_error_names() {
        assert_eq!(fc_error(429, &Value::Null), "FC.ResourceThrottled");
        assert_eq!(
            fc_error(500, &json!({"ErrorCode": "FunctionTimeout"})),
            "FC.FunctionTimeout"
        );
        assert_eq!(fc_error(418, &Value::Null), "FC.Unknown");
    }
}
