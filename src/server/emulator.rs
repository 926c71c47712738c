//! The emulator-only endpoints under `/_emulator/`: health, the emulated clock, task mocks,
//! reset, fault rules, and the 404 for any other path there. Their bodies are plain JSON, not the
//! API's envelopes.

use super::*;

pub(super) async fn health(State(app): State<Arc<AppState>>) -> Response<Body> {
    json_ok(json!({
        "Status": "ok",
        "Version": env!("CARGO_PKG_VERSION"),
        "UptimeSeconds": app.started.elapsed().as_secs_f64(),
    }))
}

pub(super) fn json_ok(v: Value) -> Response<Body> {
    let mut r = Response::new(Body::from(v.to_string()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

pub(super) fn emulator_error(status: StatusCode, code: &str, message: String) -> Response<Body> {
    let mut r = json_ok(json!({ "Code": code, "Message": message, "RequestId": new_request_id() }));
    *r.status_mut() = status;
    r
}

pub(super) async fn clock_now(State(app): State<Arc<AppState>>) -> Response<Body> {
    json_ok(
        json!({ "Now": crate::clock::format_time(app.clock.now()), "TimeScale": app.clock.scale() }),
    )
}

pub(super) async fn clock_advance(State(app): State<Arc<AppState>>, uri: Uri) -> Response<Body> {
    let raw = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "seconds")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    match raw.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=31_536_000.0 * 10.0).contains(&s) => {
            app.clock.advance(s);
            json_ok(
                json!({ "Now": crate::clock::format_time(app.clock.now()), "AdvancedSeconds": s }),
            )
        }
        _ => emulator_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            format!("seconds must be a number from 0 to 315360000, got '{raw}'."),
        ),
    }
}

/// Largest body accepted by the emulator endpoints.
pub(super) const MAX_EMULATOR_BODY: usize = 4 * 1024 * 1024;

pub(super) async fn read_text(app: &AppState, req: Request) -> Result<String, Response<Body>> {
    let limit = Duration::from_secs(app.config.request_timeout);
    let bytes = tokio::time::timeout(
        limit,
        axum::body::to_bytes(req.into_body(), MAX_EMULATOR_BODY),
    )
    .await
    .map_err(|_| {
        emulator_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            format!(
                "The request body was not received within {} seconds.",
                limit.as_secs()
            ),
        )
    })?
    .map_err(|_| {
        emulator_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "EntityTooLarge",
            format!("The body exceeds {MAX_EMULATOR_BODY} bytes."),
        )
    })?;
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        emulator_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "The body is not UTF-8.".into(),
        )
    })
}

pub(super) async fn mocks_get(State(app): State<Arc<AppState>>) -> Response<Body> {
    json_ok(serde_json::to_value(app.tasks.mocks.config()).unwrap_or_default())
}

/// Replace the whole mock configuration (YAML or JSON body, the `--mocks` format).
pub(super) async fn mocks_put(State(app): State<Arc<AppState>>, req: Request) -> Response<Body> {
    let text = match read_text(&app, req).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match crate::engine::tasks::mocks::MockConfig::parse(&text) {
        Ok(cfg) => {
            app.tasks.mocks.set_config(cfg);
            mocks_get(State(app)).await
        }
        Err(e) => emulator_error(StatusCode::BAD_REQUEST, "InvalidArgument", e),
    }
}

pub(super) async fn mocks_delete(State(app): State<Arc<AppState>>) -> Response<Body> {
    app.tasks.mocks.set_config(Default::default());
    mocks_get(State(app)).await
}

/// Bind an execution name to a test case: `{"FlowName", "ExecutionName", "TestCase"}`.
pub(super) async fn mocks_bind(State(app): State<Arc<AppState>>, req: Request) -> Response<Body> {
    let text = match read_text(&app, req).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let v: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return emulator_error(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                format!("The body is not JSON: {e}"),
            )
        }
    };
    let field = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (Some(flow), Some(exec), Some(case)) =
        (field("FlowName"), field("ExecutionName"), field("TestCase"))
    else {
        return emulator_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "The body must be {\"FlowName\", \"ExecutionName\", \"TestCase\"}.".into(),
        );
    };
    match app.tasks.mocks.bind(flow, exec, case) {
        Ok(()) => json_ok(json!({ "FlowName": flow, "ExecutionName": exec, "TestCase": case })),
        Err(e) => emulator_error(StatusCode::BAD_REQUEST, "InvalidArgument", e),
    }
}

/// Clear all state, or one account's (`?account=ID`); see [`crate::reset`].
pub(super) async fn reset(State(app): State<Arc<AppState>>, uri: Uri) -> Response<Body> {
    let account = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "account")
        .map(|(_, v)| v.into_owned());
    if account.as_deref() == Some("") {
        return emulator_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "account must not be empty.".into(),
        );
    }
    match app.reset(account.as_deref()) {
        Ok(report) => {
            tracing::info!(
                account = account.as_deref().unwrap_or("*"),
                ?report,
                "reset"
            );
            let mut v = serde_json::to_value(report).unwrap_or_default();
            v["Account"] = account.map(Value::String).unwrap_or(Value::Null);
            json_ok(v)
        }
        Err(e) => emulator_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", e),
    }
}

pub(super) async fn faults_get(State(app): State<Arc<AppState>>) -> Response<Body> {
    json_ok(serde_json::to_value(app.faults.config()).unwrap_or_default())
}

/// Replace the fault rules (YAML or JSON body, the `--faults` format).
pub(super) async fn faults_put(State(app): State<Arc<AppState>>, req: Request) -> Response<Body> {
    let text = match read_text(&app, req).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match crate::faults::FaultConfig::parse(&text) {
        Ok(cfg) => {
            app.faults.set_config(cfg);
            faults_get(State(app)).await
        }
        Err(e) => emulator_error(StatusCode::BAD_REQUEST, "InvalidArgument", e),
    }
}

pub(super) async fn faults_delete(State(app): State<Arc<AppState>>) -> Response<Body> {
    app.faults.set_config(Default::default());
    faults_get(State(app)).await
}

pub(super) async fn emulator_not_found(method: Method, req: Request) -> Response<Body> {
    emulator_error(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("No emulator endpoint {method} {}.", req.uri().path()),
    )
}
