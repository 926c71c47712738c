//! The web console at `/_emulator/ui/`: static assets embedded in the binary, and the JSON
//! endpoints it uses under `/_emulator/console/`.
//!
//! Every read and every change goes through [`api::dispatch`] — the same action functions a
//! signed request reaches — via `POST /_emulator/console/call?account=ID`, so a Stop clicked in
//! the console is a StopExecution like any other. The console endpoints take no signature: the
//! console is for local use, like the rest of `/_emulator/`. The only extra endpoints are
//! read-only: the list of accounts, and the state graph of a flow or an execution.

pub mod graph;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, Response, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::api::{self, Call};
use crate::error::{ApiError, ErrorCode};
use crate::protocol::params::Params;
use crate::protocol::response;
use crate::AppState;

/// The embedded assets: (file name, content type, bytes).
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("ui/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("ui/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("ui/style.css"),
    ),
];

/// Largest body of a console call.
const MAX_CALL_BODY: usize = 4 * 1024 * 1024;

/// The console's routes, merged into [`crate::server::app`].
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/_emulator/ui", get(redirect_to_ui))
        .route("/_emulator/ui/", get(|| async { asset("index.html") }))
        .route(
            "/_emulator/ui/{file}",
            get(|Path(file): Path<String>| async move { asset(&file) }),
        )
        .route("/_emulator/console/accounts", get(accounts))
        .route("/_emulator/console/call", post(call))
        .route("/_emulator/console/graph", get(graph_endpoint))
}

fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string().to_ascii_uppercase()
}

async fn redirect_to_ui() -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::PERMANENT_REDIRECT;
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/_emulator/ui/"));
    r
}

fn asset(file: &str) -> Response<Body> {
    let Some((_, ctype, text)) = ASSETS.iter().find(|(n, _, _)| *n == file) else {
        return error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("No console asset '{file}'."),
        );
    };
    let mut r = Response::new(Body::from(*text));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'",
        ),
    );
    r
}

fn json_response(status: StatusCode, v: &Value) -> Response<Body> {
    let mut r = Response::new(Body::from(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: StatusCode, code: &str, message: String) -> Response<Body> {
    json_response(
        status,
        &json!({ "Code": code, "Message": message, "RequestId": new_request_id() }),
    )
}

/// Every account id the server knows: those of the configured credentials (in order), then
/// any other account holding resources.
pub fn known_accounts(app: &AppState) -> Vec<String> {
    let mut ids = app.auth.account_ids();
    for id in app.store.account_ids() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

async fn accounts(State(app): State<Arc<AppState>>) -> Response<Body> {
    let list: Vec<Value> = known_accounts(&app)
        .into_iter()
        .map(|id| {
            let keys = app.auth.access_key_ids(&id);
            json!({ "AccountId": id, "AccessKeyIds": keys })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({ "Accounts": list, "Region": app.config.region }),
    )
}

#[derive(Deserialize)]
struct AccountQuery {
    account: Option<String>,
}

/// The account named by `?account=`, which must be one the server knows.
fn account_of(app: &AppState, q: Option<&str>) -> Result<String, ApiError> {
    let known = known_accounts(app);
    match q {
        Some(id) if known.iter().any(|k| k == id) => Ok(id.to_string()),
        Some(id) => Err(ApiError::invalid(format!(
            "The account '{id}' is not one this server knows."
        ))),
        None => known
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::missing("account")),
    }
}

/// `{"Action": "...", "Params": {...}}` → the action run by [`api::dispatch`] for the account,
/// answered with the API's own envelopes.
async fn call(
    State(app): State<Arc<AppState>>,
    Query(q): Query<AccountQuery>,
    req: Request,
) -> Response<Body> {
    let started = Instant::now();
    let request_id = new_request_id();
    let mut action = String::new();
    let result = async {
        let account_id = account_of(&app, q.account.as_deref())?;
        let bytes = axum::body::to_bytes(req.into_body(), MAX_CALL_BODY)
            .await
            .map_err(|_| ApiError::new(ErrorCode::EntityTooLarge, &[&MAX_CALL_BODY.to_string()]))?;
        let body: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::invalid(format!("The body is not JSON: {e}")))?;
        action = body["Action"]
            .as_str()
            .ok_or_else(|| ApiError::missing("Action"))?
            .to_string();
        let params = params_of(body.get("Params"))?;
        if !api::is_known(&action) {
            return Err(ApiError::new(ErrorCode::ActionNotSupported, &[&action]));
        }
        let account = app.store.account(&account_id);
        api::dispatch(
            &action,
            Call {
                app: &app,
                account,
                account_id,
                params: &params,
            },
        )
        .await
    }
    .await;
    let resp = match result {
        Ok(reply) => response::success(&request_id, reply),
        Err(e) => response::error(&e, &request_id, &app.host_id),
    };
    tracing::info!(
        console = true,
        action = %action,
        request_id = %request_id,
        status = resp.status().as_u16(),
        latency_us = started.elapsed().as_micros() as u64,
        "request"
    );
    resp
}

/// `Params` from a JSON object of scalars (numbers and booleans are sent as their text).
fn params_of(v: Option<&Value>) -> Result<Params, ApiError> {
    let empty = Map::new();
    let obj = match v {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => return Err(ApiError::invalid("Params must be a JSON object.")),
    };
    let mut pairs = Vec::with_capacity(obj.len());
    for (k, v) in obj {
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            _ => {
                return Err(ApiError::invalid(format!(
                    "The parameter '{k}' must be a string, number or boolean."
                )))
            }
        };
        pairs.push((k.clone(), s));
    }
    Params::from_pairs(pairs)
}

#[derive(Deserialize)]
struct GraphQuery {
    account: Option<String>,
    flow: String,
    execution: Option<String>,
}

/// The state graph of a flow's current definition, or of an execution's definition with each
/// state's progress.
async fn graph_endpoint(
    State(app): State<Arc<AppState>>,
    Query(q): Query<GraphQuery>,
) -> Response<Body> {
    let result = (|| {
        let account_id = account_of(&app, q.account.as_deref())?;
        let flow = app
            .store
            .account(&account_id)
            .flow(&q.flow)
            .ok_or_else(|| ApiError::new(ErrorCode::FlowNotExists, &[&q.flow]))?;
        match q.execution.as_deref().filter(|e| !e.is_empty()) {
            None => Ok(json!({ "Graph": graph::graph(&flow.meta().definition) })),
            Some(name) => {
                let exec = flow.execution(name).ok_or_else(|| {
                    ApiError::new(ErrorCode::ExecutionNotExists, &[name, &q.flow])
                })?;
                let (history, status) = {
                    let st = exec.lock();
                    (st.history.clone(), st.status)
                };
                Ok(json!({
                    "Status": status.as_str(),
                    "Graph": graph::graph_with_progress(&exec.definition, &history, status),
                }))
            }
        }
    })();
    match result {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => response::error(&e, &new_request_id(), &app.host_id),
    }
}
