//! Shared integration-test helpers: a real server on 127.0.0.1:0 and a client that signs
//! requests the way the official SDKs do (V1 HMAC-SHA1: common parameters in the query, action
//! parameters in a form body).
#![allow(dead_code)]

pub mod fixtures;

use std::sync::Arc;
use std::time::Duration;

use cloudflow_emulator::config::Config;
use cloudflow_emulator::protocol::signature::{percent_encode, v1_signature, v1_string_to_sign};
use cloudflow_emulator::AppState;
use serde_json::Value;

/// Access key the test server accepts.
pub const AK: &str = "testKeyId";
/// Its secret.
pub const SK: &str = "testKeySecret";

/// A running server.
pub struct TestServer {
    pub base: String,
    pub state: Arc<AppState>,
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// An API answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The error `Code`, if any.
    pub fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or("")
    }
    /// A string field.
    pub fn s(&self, field: &str) -> &str {
        self.body[field].as_str().unwrap_or("")
    }
    /// Assert a success.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.status, 200, "expected success, got {:?}", self.body);
        assert!(self.body["RequestId"].is_string());
        self
    }
    /// Assert a success, by reference.
    #[track_caller]
    pub fn ok_ref(&self) -> &Self {
        assert_eq!(self.status, 200, "expected success, got {:?}", self.body);
        self
    }
    /// Assert an error with this status and code, with the documented body shape.
    #[track_caller]
    pub fn err(self, status: u16, code: &str) -> Self {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "body: {}",
            self.body
        );
        for f in ["RequestId", "HostId", "Code", "Message"] {
            assert!(self.body[f].is_string(), "{f} missing in {}", self.body);
        }
        self
    }
}

impl TestServer {
    /// Start with the default test config.
    pub async fn start() -> Self {
        Self::start_with(Config::for_tests(AK, SK)).await
    }

    /// Start with `config` (its `listen` is ignored: 127.0.0.1:0).
    pub async fn start_with(config: Config) -> Self {
        let state = AppState::new(config).expect("config");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        tokio::spawn(async move {
            let _ = cloudflow_emulator::serve(listener, st, async {
                let _ = rx.await;
            })
            .await;
        });
        TestServer {
            base: format!("http://{addr}"),
            state,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(90))
                .build()
                .unwrap(),
            shutdown: Some(tx),
        }
    }

    /// Signed POST of `action` with `params` in the body (as the Tea SDK sends it).
    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.call_as(AK, SK, action, params).await
    }

    /// Signed GET of `action` with everything in the query.
    pub async fn get(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        let common = common_params(AK, action);
        let mut all: Vec<(String, String)> = common;
        all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let q = sign_into_query("GET", &all, SK);
        self.send(self.client.get(format!("{}/?{q}", self.base)))
            .await
    }

    /// Signed POST as another key.
    pub async fn call_as(
        &self,
        ak: &str,
        sk: &str,
        action: &str,
        params: &[(&str, &str)],
    ) -> Answer {
        let common = common_params(ak, action);
        let body: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut all = common.clone();
        all.extend(body.iter().cloned());
        all.sort();
        let sts = v1_string_to_sign("POST", all.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let sig = v1_signature(&sts, sk);
        let mut q = encode_pairs(&common);
        q.push_str(&format!("&Signature={}", percent_encode(&sig)));
        let req = self
            .client
            .post(format!("{}/?{q}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_pairs(&body));
        self.send(req).await
    }

    /// Send a prepared request and parse the JSON answer.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let text = resp.text().await.unwrap();
        assert_eq!(
            ctype.as_deref(),
            Some("application/json"),
            "status {status}: {text}"
        );
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
        }
    }

    /// Create a flow from a definition.
    pub async fn create_flow(&self, name: &str, definition: &str) -> Answer {
        self.call(
            "CreateFlow",
            &[
                ("Name", name),
                ("Definition", definition),
                ("Description", "test"),
                ("Type", "FDL"),
            ],
        )
        .await
    }

    /// Start an execution.
    pub async fn start_exec(&self, flow: &str, exec: &str, input: &str) -> Answer {
        self.call(
            "StartExecution",
            &[
                ("FlowName", flow),
                ("ExecutionName", exec),
                ("Input", input),
            ],
        )
        .await
    }

    /// DescribeExecution.
    pub async fn describe(&self, flow: &str, exec: &str) -> Answer {
        self.get(
            "DescribeExecution",
            &[("FlowName", flow), ("ExecutionName", exec)],
        )
        .await
    }

    /// Poll DescribeExecution until the status is not Running (at most `secs`).
    pub async fn wait_done(&self, flow: &str, exec: &str, secs: u64) -> Answer {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let a = self.describe(flow, exec).await.ok();
            if a.s("Status") != "Running" && a.s("Status") != "Starting" {
                return a;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "execution {exec} still running: {:?}",
                a.body
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// All history events of an execution.
    pub async fn history(&self, flow: &str, exec: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut p = vec![
                ("FlowName", flow),
                ("ExecutionName", exec),
                ("Limit", "1000"),
            ];
            if let Some(t) = &token {
                p.push(("NextToken", t.as_str()));
            }
            let a = self.get("GetExecutionHistory", &p).await.ok();
            out.extend(a.body["Events"].as_array().unwrap().iter().cloned());
            match a.body["NextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return out,
            }
        }
    }
}

/// The common parameters an SDK sends.
pub fn common_params(ak: &str, action: &str) -> Vec<(String, String)> {
    vec![
        ("Action".into(), action.into()),
        ("Version".into(), "2019-03-15".into()),
        ("Format".into(), "json".into()),
        ("AccessKeyId".into(), ak.into()),
        ("SignatureMethod".into(), "HMAC-SHA1".into()),
        ("SignatureVersion".into(), "1.0".into()),
        (
            "SignatureNonce".into(),
            uuid::Uuid::new_v4().simple().to_string(),
        ),
        (
            "Timestamp".into(),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
    ]
}

/// `k=v&…` with RFC 3986 encoding.
pub fn encode_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Sign `params` (all in the query) and return the query string with `Signature`.
pub fn sign_into_query(method: &str, params: &[(String, String)], sk: &str) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let sts = v1_string_to_sign(method, sorted.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    format!(
        "{}&Signature={}",
        encode_pairs(params),
        percent_encode(&v1_signature(&sts, sk))
    )
}

/// A new-style definition: one Wait of `seconds`, then Succeed.
pub fn wait_flow(name: &str, seconds: u64) -> String {
    format!(
        "Type: StateMachine\nSpecVersion: v1\nName: {name}\nStartAt: Hold\nStates:\n  - Type: Wait\n    Name: Hold\n    Seconds: {seconds}\n    Next: Done\n  - Type: Succeed\n    Name: Done\n"
    )
}
