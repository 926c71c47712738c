//! Task states through a real server: local function endpoints (a small function server started
//! by the test), HTTP:Request, mocks, callbacks, Retry/Catch and timeouts. Time is controlled
//! through the emulated clock, never slept for real.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use cloudflow_emulator::config::Config;
use common::*;
use serde_json::{json, Value};

fn js(v: Value) -> ([(&'static str, &'static str); 1], String) {
    ([("content-type", "application/json")], v.to_string())
}

/// A local "function" server; returns its base URL and a call counter.
async fn function_server() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let c2 = calls.clone();
    let app = Router::new()
        .route(
            "/echo",
            post(|body: Bytes| async move {
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                js(json!({ "echo": v }))
            }),
        )
        .route(
            "/throttle",
            post(|| async { (StatusCode::TOO_MANY_REQUESTS, "slow down") }),
        )
        .route(
            "/coded",
            post(|| async {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    js(json!({"ErrorCode": "UnhandledInvocationError"})),
                )
            }),
        )
        .route(
            "/flaky",
            post(move |body: Bytes| {
                let c = c.clone();
                async move {
                    let n = c.fetch_add(1, Ordering::SeqCst);
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    if n < 2 {
                        (StatusCode::TOO_MANY_REQUESTS, js(json!({ "seen": v })))
                    } else {
                        (StatusCode::OK, js(json!({ "seen": v, "calls": n + 1 })))
                    }
                }
            }),
        )
        .route(
            "/hang",
            post(move || {
                let c = c2.clone();
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    "never"
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), calls)
}

async fn server(time_scale: f64) -> (TestServer, Arc<AtomicUsize>) {
    let (base, calls) = function_server().await;
    let mut cfg = Config::for_tests(AK, SK);
    cfg.time_scale = time_scale;
    cfg.functions = vec![
        format!("echo={base}/echo"),
        format!("throttle={base}/throttle"),
        format!("coded={base}/coded"),
        format!("flaky={base}/flaky"),
        format!("hang={base}/hang"),
        // Nothing listens on port 9 of loopback: a connection failure.
        "down=http://127.0.0.1:9/x".to_string(),
    ];
    (TestServer::start_with(cfg).await, calls)
}

fn task_flow(name: &str, function: &str, extra: &str) -> String {
    format!(
        "Type: StateMachine
SpecVersion: v1
Name: {name}
StartAt: Call
States:
  - Type: Task
    Name: Call
    Action: FC:InvokeFunction
    Parameters:
      resourceArn: acs:fc:cn-hangzhou:123:functions/{function}/LATEST
      invocationType: Sync
      body:
        id.$: $Input.id
        nested:
          - attempt.$: $Context.Current.RetryCount
{extra}    End: true
"
    )
}

fn last_detail(h: &[Value]) -> Value {
    serde_json::from_str(h.last().unwrap()["EventDetail"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn function_endpoint_success_wraps_the_answer_in_body() {
    let (s, _) = server(1.0).await;
    s.create_flow("ok", &task_flow("ok", "echo", "")).await.ok();
    s.start_exec("ok", "e", r#"{"id": 7}"#).await.ok();
    let d = s.wait_done("ok", "e", 10).await;
    assert_eq!(
        d.s("Status"),
        "Succeeded",
        "{:?}",
        s.history("ok", "e").await
    );
    let out: Value = serde_json::from_str(d.s("Output")).unwrap();
    assert_eq!(
        out,
        json!({"Body": {"echo": {"id": 7, "nested": [{"attempt": 0}]}}})
    );
    let types: Vec<String> = s
        .history("ok", "e")
        .await
        .iter()
        .map(|e| e["Type"].as_str().unwrap().to_string())
        .collect();
    for t in ["TaskScheduled", "TaskStarted", "TaskSucceeded"] {
        assert!(types.contains(&t.to_string()), "{types:?}");
    }
}

#[tokio::test]
async fn function_errors_become_fc_error_names() {
    let (s, _) = server(1.0).await;
    for (f, code) in [
        ("throttle", "FC.ResourceThrottled"),
        ("coded", "FC.UnhandledInvocationError"),
        ("down", "FC.InternalServerError"),
    ] {
        s.create_flow(f, &task_flow(f, f, "")).await.ok();
        s.start_exec(f, "e", r#"{"id": 1}"#).await.ok();
        assert_eq!(s.wait_done(f, "e", 10).await.s("Status"), "Failed");
        let h = s.history(f, "e").await;
        assert_eq!(last_detail(&h)["Error"], code, "{f}");
        assert!(h.iter().any(|e| e["Type"] == "TaskFailed"));
    }
}

#[tokio::test]
async fn retry_with_backoff_then_success_on_the_emulated_clock() {
    // 1 emulated second = 10 ms: the 10 s and 20 s intervals take 0.3 s of real time.
    let (s, calls) = server(0.01).await;
    let retry = "    Retry:\n      - Errors: [FC.ResourceThrottled]\n        MaxAttempts: 3\n        IntervalSeconds: 10\n        BackoffRate: 2\n";
    s.create_flow("flaky", &task_flow("flaky", "flaky", retry))
        .await
        .ok();
    s.start_exec("flaky", "e", r#"{"id": 3}"#).await.ok();
    let d = s.wait_done("flaky", "e", 10).await;
    assert_eq!(d.s("Status"), "Succeeded");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let out: Value = serde_json::from_str(d.s("Output")).unwrap();
    // The third attempt saw RetryCount 2.
    assert_eq!(out["Body"]["seen"]["nested"][0]["attempt"], 2);
    let h = s.history("flaky", "e").await;
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = h
        .iter()
        .filter(|e| e["Type"] == "TaskScheduled")
        .map(|e| chrono::DateTime::parse_from_rfc3339(e["Time"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(times.len(), 3);
    let gap1 = (times[1] - times[0]).num_milliseconds();
    let gap2 = (times[2] - times[1]).num_milliseconds();
    assert!((10_000..15_000).contains(&gap1), "first interval {gap1} ms");
    assert!(
        (20_000..25_000).contains(&gap2),
        "second interval {gap2} ms"
    );
}

#[tokio::test]
async fn retries_exhausted_then_caught_with_output_constructor() {
    let (s, _) = server(0.001).await;
    let def = "Type: StateMachine
SpecVersion: v1
StartAt: Call
States:
  - Type: Task
    Name: Call
    Action: FC:InvokeFunction
    Parameters:
      resourceArn: acs:fc:::services/s.LATEST/functions/throttle
      invocationType: Sync
    Retry:
      - Errors: [FC.Other]
        MaxAttempts: 5
        IntervalSeconds: 1
      - Errors: [FnF.ALL]
        MaxAttempts: 1
        IntervalSeconds: 1
    Catch:
      - Errors: [FC.ResourceThrottled]
        Next: Handle
        OutputConstructor:
          code.$: $Context.Current.Error.Code
          original.$: $Input.id
    End: true
  - Type: Pass
    Name: Handle
    End: true
";
    s.create_flow("caught", def).await.ok();
    s.start_exec("caught", "e", r#"{"id": 5}"#).await.ok();
    let d = s.wait_done("caught", "e", 10).await;
    assert_eq!(d.s("Status"), "Succeeded");
    assert_eq!(
        serde_json::from_str::<Value>(d.s("Output")).unwrap(),
        json!({"code": "FC.ResourceThrottled", "original": 5})
    );
    let h = s.history("caught", "e").await;
    assert_eq!(
        h.iter().filter(|e| e["Type"] == "TaskScheduled").count(),
        2,
        "one retry by the FnF.ALL rule"
    );
}

#[tokio::test]
async fn task_timeout_is_fnf_task_timeout_and_stop_interrupts_a_hanging_call() {
    let (s, calls) = server(1.0).await;
    let def = task_flow("hang", "hang", "    Timeout: 30\n");
    s.create_flow("hang", &def).await.ok();
    s.start_exec("hang", "e", r#"{"id": 1}"#).await.ok();
    while calls.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    s.client
        .post(format!("{}/_emulator/clock/advance?seconds=31", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(s.wait_done("hang", "e", 10).await.s("Status"), "Failed");
    let h = s.history("hang", "e").await;
    assert!(h.iter().any(|e| e["Type"] == "TaskTimedOut"));
    assert_eq!(last_detail(&h)["Error"], "FnF.TaskTimeout");

    s.start_exec("hang", "e2", r#"{"id": 1}"#).await.ok();
    while calls.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let t = std::time::Instant::now();
    s.call(
        "StopExecution",
        &[("FlowName", "hang"), ("ExecutionName", "e2")],
    )
    .await
    .ok();
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(s.describe("hang", "e2").await.s("Status"), "Stopped");
}

#[tokio::test]
async fn http_request_task_calls_for_real() {
    let (s, _) = server(1.0).await;
    let (base, _) = function_server().await;
    let def = format!(
        "Type: StateMachine\nSpecVersion: v1\nStartAt: H\nStates:\n  - Type: Task\n    Name: H\n    Action: HTTP:Request\n    Parameters:\n      method: POST\n      url: {base}/echo\n      headers:\n        x-test: yes\n      body:\n        q.$: $Input.q\n    End: true\n  "
    );
    s.create_flow("http", &def).await.ok();
    s.start_exec("http", "e", r#"{"q": "hi"}"#).await.ok();
    let d = s.wait_done("http", "e", 10).await;
    assert_eq!(d.s("Status"), "Succeeded");
    let out: Value = serde_json::from_str(d.s("Output")).unwrap();
    assert_eq!(out["StatusCode"], 200);
    assert_eq!(out["Body"], json!({"echo": {"q": "hi"}}));
    assert!(out["Headers"].is_object());
}

const CALLBACK_FLOW: &str = "Type: StateMachine
SpecVersion: v1
StartAt: Approve
States:
  - Type: Task
    Name: Approve
    Action: MNS:SendMessage
    TaskMode: WaitForCustomCallback
    Parameters:
      token.$: $Context.Current.TaskToken
    Timeout: 3600
    End: true
";

const CALLBACK_MOCKS: &str = r#"
StateMachines:
  approval:
    DefaultTestCase: Manual
    TestCases:
      Manual: { Approve: WaitForHuman }
      Auto: { Approve: AutoApprove }
MockedResponses:
  WaitForHuman:
    "0-99": { WaitForCallback: true }
  AutoApprove:
    "0": { Return: { approved: true, by: mock }, Delay: 1 }
"#;

async fn put_mocks(s: &TestServer, body: &str) {
    let r = s
        .client
        .put(format!("{}/_emulator/mocks", s.base))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn token_of(s: &TestServer, flow: &str, exec: &str) -> String {
    for _ in 0..1000 {
        let h = s.history(flow, exec).await;
        if let Some(ev) = h.iter().find(|e| e["Type"] == "TaskScheduled") {
            let detail: Value = serde_json::from_str(ev["EventDetail"].as_str().unwrap()).unwrap();
            let token = detail["TaskToken"].as_str().unwrap().to_string();
            assert_eq!(
                detail["Parameters"]["token"],
                token.as_str(),
                "Parameters see $Context.Current.TaskToken"
            );
            if h.iter().any(|e| e["Type"] == "TaskSubmitted") {
                return token;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no task token for {exec}");
}

#[tokio::test]
async fn callbacks_succeeded_failed_twice_and_after_stop() {
    let (s, _) = server(1.0).await;
    put_mocks(&s, CALLBACK_MOCKS).await;
    s.create_flow("approval", CALLBACK_FLOW).await.ok();

    // Succeeded.
    s.start_exec("approval", "ok", "{}").await.ok();
    let token = token_of(&s, "approval", "ok").await;
    let a = s
        .call(
            "ReportTaskSucceeded",
            &[("TaskToken", &token), ("Output", r#"{"approved": true}"#)],
        )
        .await
        .ok();
    assert!(a.body["EventId"].as_u64().unwrap() > 1);
    let d = s.wait_done("approval", "ok", 10).await;
    assert_eq!(d.s("Status"), "Succeeded");
    assert_eq!(d.s("Output"), r#"{"approved":true}"#);
    // Reported twice.
    let e = s
        .call(
            "ReportTaskSucceeded",
            &[("TaskToken", &token), ("Output", "{}")],
        )
        .await
        .err(400, "TaskAlreadyCompleted");
    assert_eq!(
        e.s("Message"),
        format!("Task {token} has already completed.")
    );
    s.call("ReportTaskFailed", &[("TaskToken", &token), ("Error", "E")])
        .await
        .err(400, "TaskAlreadyCompleted");

    // Failed.
    s.start_exec("approval", "no", "{}").await.ok();
    let token = token_of(&s, "approval", "no").await;
    s.call(
        "ReportTaskFailed",
        &[
            ("TaskToken", &token),
            ("Error", "Rejected"),
            ("Cause", "by reviewer"),
        ],
    )
    .await
    .ok();
    assert_eq!(
        s.wait_done("approval", "no", 10).await.s("Status"),
        "Failed"
    );
    let h = s.history("approval", "no").await;
    assert_eq!(last_detail(&h)["Error"], "Rejected");

    // After a stop.
    s.start_exec("approval", "stopped", "{}").await.ok();
    let token = token_of(&s, "approval", "stopped").await;
    s.call(
        "StopExecution",
        &[("FlowName", "approval"), ("ExecutionName", "stopped")],
    )
    .await
    .ok();
    s.call(
        "ReportTaskSucceeded",
        &[("TaskToken", &token), ("Output", "{}")],
    )
    .await
    .err(409, "TaskInvalidState");

    // Bad input.
    s.call(
        "ReportTaskSucceeded",
        &[("TaskToken", "bogus"), ("Output", "{}")],
    )
    .await
    .err(400, "InvalidArgument");
    s.call("ReportTaskSucceeded", &[("TaskToken", &token)])
        .await
        .err(400, "MissingRequiredParams");
    s.call(
        "ReportTaskSucceeded",
        &[("TaskToken", &token), ("Output", "[1]")],
    )
    .await
    .err(400, "InvalidArgument");
    s.call("ReportTaskFailed", &[("TaskToken", &token)])
        .await
        .err(400, "MissingRequiredParams");
    let long = "E".repeat(129);
    s.call(
        "ReportTaskFailed",
        &[("TaskToken", &token), ("Error", &long)],
    )
    .await
    .err(400, "InvalidArgument");
}

#[tokio::test]
async fn mocked_callback_can_answer_by_itself_when_bound() {
    let (s, _) = server(0.001).await;
    put_mocks(&s, CALLBACK_MOCKS).await;
    s.create_flow("approval", CALLBACK_FLOW).await.ok();
    let r = s
        .client
        .post(format!("{}/_emulator/mocks/bindings", s.base))
        .body(r#"{"FlowName":"approval","ExecutionName":"auto","TestCase":"Auto"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.start_exec("approval", "auto", "{}").await.ok();
    let d = s.wait_done("approval", "auto", 10).await;
    assert_eq!(d.s("Status"), "Succeeded");
    assert_eq!(
        serde_json::from_str::<Value>(d.s("Output")).unwrap(),
        json!({"approved": true, "by": "mock"})
    );
    // Bad bindings and bad mock files are refused.
    let r = s
        .client
        .post(format!("{}/_emulator/mocks/bindings", s.base))
        .body(r#"{"FlowName":"approval","ExecutionName":"x","TestCase":"Nope"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .client
        .put(format!("{}/_emulator/mocks", s.base))
        .body("StateMachines: [")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn mock_sequences_drive_retries_and_win_over_endpoints() {
    let (s, calls) = server(0.001).await;
    let mocks = r#"
StateMachines:
  seq:
    DefaultTestCase: TwoFailures
    TestCases:
      TwoFailures: { Call: FailTwice }
MockedResponses:
  FailTwice:
    "0-1": { Throw: { Error: FC.ResourceThrottled, Cause: mocked } }
    "2": { Return: { Body: { mocked: true } } }
"#;
    put_mocks(&s, mocks).await;
    let retry = "    Retry:\n      - Errors: [FC.ResourceThrottled]\n        MaxAttempts: 2\n        IntervalSeconds: 1\n";
    s.create_flow("seq", &task_flow("seq", "flaky", retry))
        .await
        .ok();
    s.start_exec("seq", "e", r#"{"id": 1}"#).await.ok();
    let d = s.wait_done("seq", "e", 10).await;
    assert_eq!(d.s("Status"), "Succeeded");
    assert_eq!(
        serde_json::from_str::<Value>(d.s("Output")).unwrap(),
        json!({"Body": {"mocked": true}})
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "the endpoint was not called"
    );
    // A fourth invocation has no mocked entry.
    s.start_exec("seq", "e2", r#"{"id": 1}"#).await.ok();
    assert_eq!(
        s.wait_done("seq", "e2", 10).await.s("Status"),
        "Succeeded",
        "counters are per execution"
    );
    let r = s
        .client
        .get(format!("{}/_emulator/mocks", s.base))
        .send()
        .await
        .unwrap();
    let cfg: Value = r.json().await.unwrap();
    assert!(cfg["MockedResponses"]["FailTwice"].is_object());
}

#[tokio::test]
async fn child_execution_reports_to_its_parent_task() {
    let (s, _) = server(1.0).await;
    let parent = "Type: StateMachine
SpecVersion: v1
StartAt: RunChild
States:
  - Type: Task
    Name: RunChild
    Action: FnF:StartExecution
    TaskMode: WaitForCustomCallback
    Parameters:
      token.$: $Context.Current.TaskToken
    End: true
";
    let mocks = r#"
StateMachines:
  parent:
    DefaultTestCase: Real
    TestCases:
      Real: { RunChild: Submit }
MockedResponses:
  Submit:
    "0": { WaitForCallback: true }
"#;
    put_mocks(&s, mocks).await;
    s.create_flow("parent", parent).await.ok();
    let child = "Type: StateMachine\nSpecVersion: v1\nStartAt: P\nStates:\n  - Type: Pass\n    Name: P\n    OutputConstructor:\n      fromChild.$: $Input.x\n    End: true\n";
    s.create_flow("child", child).await.ok();
    s.start_exec("parent", "p", "{}").await.ok();
    let token = token_of(&s, "parent", "p").await;
    s.call(
        "StartExecution",
        &[
            ("FlowName", "child"),
            ("ExecutionName", "c"),
            ("Input", r#"{"x": 42}"#),
            ("CallbackFnFTaskToken", &token),
        ],
    )
    .await
    .ok();
    let d = s.wait_done("parent", "p", 10).await;
    assert_eq!(d.s("Status"), "Succeeded");
    assert_eq!(d.s("Output"), r#"{"fromChild":42}"#);
    s.call(
        "StartExecution",
        &[
            ("FlowName", "child"),
            ("ExecutionName", "c2"),
            ("CallbackFnFTaskToken", "nope"),
        ],
    )
    .await
    .err(400, "InvalidArgument");
}
