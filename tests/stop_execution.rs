//! StopExecution against a real server: the happy path and every row of the seed page's error
//! table that the emulator can produce (ResourceThrottled, ConcurrentUpdateError and
//! AccessDenied need the fault-injection and policy features; InternalServerError only a bug).

mod common;

use common::*;
use serde_json::Value;

async fn running(s: &TestServer, flow: &str, exec: &str) {
    s.create_flow(flow, &wait_flow(flow, 300)).await.ok();
    let a = s.start_exec(flow, exec, r#"{"key":"value"}"#).await.ok();
    assert_eq!(a.s("Status"), "Running");
}

#[tokio::test]
async fn stop_answers_the_execution_after_the_stop() {
    let s = TestServer::start().await;
    running(&s, "f1", "e1").await;
    let before = s.describe("f1", "e1").await.ok();
    assert_eq!(before.s("Status"), "Running");
    assert!(before.body.get("StoppedTime").is_none());
    assert!(
        before.body.get("RoleArn").is_none(),
        "no role: RoleArn absent"
    );

    let a = s
        .call(
            "StopExecution",
            &[
                ("FlowName", "f1"),
                ("ExecutionName", "e1"),
                ("Error", "InvalidArgument"),
                ("Cause", "for test"),
            ],
        )
        .await
        .ok();
    assert_eq!(a.s("Status"), "Stopped");
    assert_eq!(a.s("Name"), "e1");
    assert_eq!(a.s("FlowName"), "f1");
    assert_eq!(a.s("Input"), r#"{"key":"value"}"#);
    assert_eq!(a.s("FlowDefinition"), wait_flow("f1", 300));
    let time_re = |t: &str| {
        t.len() == 24
            && t.ends_with('Z')
            && chrono::DateTime::parse_from_rfc3339(t).is_ok()
            && t.as_bytes()[19] == b'.'
    };
    assert!(time_re(a.s("StartedTime")), "{}", a.s("StartedTime"));
    assert!(time_re(a.s("StoppedTime")), "{}", a.s("StoppedTime"));
    assert!(a.s("StoppedTime") >= a.s("StartedTime"));
    assert!(a.body.get("Output").is_none());
    assert!(a.body.get("RoleArn").is_none());

    let d = s.describe("f1", "e1").await.ok();
    assert_eq!(d.s("Status"), "Stopped");
    assert_eq!(d.s("StoppedTime"), a.s("StoppedTime"));

    let h = s.history("f1", "e1").await;
    assert_eq!(h[0]["Type"], "ExecutionStarted");
    let last = h.last().unwrap();
    assert_eq!(last["Type"], "ExecutionStopped");
    let detail: Value = serde_json::from_str(last["EventDetail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["Error"], "InvalidArgument");
    assert_eq!(detail["Cause"], "for test");
    for (i, ev) in h.iter().enumerate() {
        assert_eq!(ev["EventId"].as_u64(), Some(i as u64 + 1));
        assert!(ev["ScheduleEventId"].is_u64());
    }
}

#[tokio::test]
async fn stop_without_error_or_cause() {
    let s = TestServer::start().await;
    running(&s, "f", "e").await;
    s.call(
        "StopExecution",
        &[("FlowName", "f"), ("ExecutionName", "e")],
    )
    .await
    .ok();
    assert_eq!(s.describe("f", "e").await.s("Status"), "Stopped");
}

#[tokio::test]
async fn role_arn_is_a_snapshot_taken_at_start() {
    let s = TestServer::start().await;
    let def = wait_flow("rf", 300);
    s.call(
        "CreateFlow",
        &[
            ("Name", "rf"),
            ("Definition", &def),
            ("Description", ""),
            ("Type", "FDL"),
            ("RoleArn", "acs:ram::1:role/a"),
        ],
    )
    .await
    .ok();
    s.start_exec("rf", "e", "{}").await.ok();
    let a = s
        .call(
            "StopExecution",
            &[("FlowName", "rf"), ("ExecutionName", "e")],
        )
        .await
        .ok();
    assert_eq!(a.s("RoleArn"), "acs:ram::1:role/a");
}

#[tokio::test]
async fn second_stop_is_already_completed() {
    let s = TestServer::start().await;
    running(&s, "f", "e").await;
    s.call(
        "StopExecution",
        &[("FlowName", "f"), ("ExecutionName", "e")],
    )
    .await
    .ok();
    let a = s
        .call(
            "StopExecution",
            &[("FlowName", "f"), ("ExecutionName", "e")],
        )
        .await
        .err(400, "ExecutionAlreadyCompleted");
    assert_eq!(
        a.s("Message"),
        "Execution 'e' for flow 'f' has already completed."
    );
}

#[tokio::test]
async fn stopping_a_succeeded_execution_is_already_completed() {
    let s = TestServer::start().await;
    let def = "Type: StateMachine\nSpecVersion: v1\nStartAt: P\nStates:\n  - Type: Pass\n    Name: P\n    End: true\n";
    s.create_flow("quick", def).await.ok();
    s.start_exec("quick", "e", "{}").await.ok();
    assert_eq!(s.wait_done("quick", "e", 5).await.s("Status"), "Succeeded");
    s.call(
        "StopExecution",
        &[("FlowName", "quick"), ("ExecutionName", "e")],
    )
    .await
    .err(400, "ExecutionAlreadyCompleted");
}

#[tokio::test]
async fn not_found_rows() {
    let s = TestServer::start().await;
    running(&s, "f", "e").await;
    let a = s
        .call(
            "StopExecution",
            &[("FlowName", "nope"), ("ExecutionName", "e")],
        )
        .await
        .err(404, "FlowNotExists");
    assert_eq!(a.s("Message"), "Flow nope does not exist.");
    let a = s
        .call(
            "StopExecution",
            &[("FlowName", "f"), ("ExecutionName", "nope")],
        )
        .await
        .err(404, "ExecutionNotExists");
    assert_eq!(a.s("Message"), "Execution nope for flow f does not exist.");
}

#[tokio::test]
async fn parameter_rows() {
    let s = TestServer::start().await;
    running(&s, "f", "e").await;
    let a = s
        .call("StopExecution", &[("ExecutionName", "e")])
        .await
        .err(400, "MissingRequiredParams");
    assert_eq!(
        a.s("Message"),
        "The HTTP query 'FlowName' must be specified."
    );
    s.call("StopExecution", &[("FlowName", "f")])
        .await
        .err(400, "MissingRequiredParams");
    let long_error = "E".repeat(129);
    let long_cause = "c".repeat(4097);
    let a = s
        .call(
            "StopExecution",
            &[
                ("FlowName", "f"),
                ("ExecutionName", "e"),
                ("Error", &long_error),
            ],
        )
        .await
        .err(400, "InvalidArgument");
    assert!(
        a.s("Message").starts_with("Parameter error."),
        "{}",
        a.s("Message")
    );
    s.call(
        "StopExecution",
        &[
            ("FlowName", "f"),
            ("ExecutionName", "e"),
            ("Cause", &long_cause),
        ],
    )
    .await
    .err(400, "InvalidArgument");
    s.call(
        "StopExecution",
        &[("FlowName", "f"), ("ExecutionName", "e"), ("Error", "")],
    )
    .await
    .err(400, "InvalidArgument");
    // The limits themselves are accepted (characters, not bytes), and nothing was half-applied.
    assert_eq!(s.describe("f", "e").await.s("Status"), "Running");
    let max_error = "流".repeat(128);
    let max_cause = "c".repeat(4096);
    s.call(
        "StopExecution",
        &[
            ("FlowName", "f"),
            ("ExecutionName", "e"),
            ("Error", &max_error),
            ("Cause", &max_cause),
        ],
    )
    .await
    .ok();
}

#[tokio::test]
async fn protocol_rows() {
    let s = TestServer::start().await;
    running(&s, "f", "e").await;
    let a = s
        .call(
            "StopExecutionX",
            &[("FlowName", "f"), ("ExecutionName", "e")],
        )
        .await
        .err(400, "ActionNotSupported");
    assert_eq!(
        a.s("Message"),
        "The requested API operation 'StopExecutionX' is incorrect. Please check."
    );

    // Wrong version (signed correctly).
    let mut params = common_params(AK, "StopExecution");
    params.retain(|(k, _)| k != "Version");
    params.push(("Version".into(), "2020-01-01".into()));
    params.push(("FlowName".into(), "f".into()));
    params.push(("ExecutionName".into(), "e".into()));
    let q = sign_into_query("POST", &params, SK);
    let a = s
        .send(s.client.post(format!("{}/?{q}", s.base)))
        .await
        .err(400, "APIVersionNotSupported");
    assert_eq!(
        a.s("Message"),
        "The requested API version '2020-01-01' is not supported yet. Please check."
    );

    // Over 1 MiB.
    let big = "x".repeat(1024 * 1024 + 10);
    let a = s
        .call(
            "StopExecution",
            &[("FlowName", "f"), ("ExecutionName", "e"), ("Cause", &big)],
        )
        .await
        .err(400, "EntityTooLarge");
    assert_eq!(
        a.s("Message"),
        "The payload size exceeds maximum allowed size (1048576 bytes)."
    );

    // A body that is neither form nor JSON.
    let q = sign_into_query("POST", &common_params(AK, "StopExecution"), SK);
    s.send(
        s.client
            .post(format!("{}/?{q}", s.base))
            .header("content-type", "text/plain")
            .body("FlowName=f"),
    )
    .await
    .err(415, "UnsupportedMediaType");

    // Unknown key, wrong secret, stale timestamp.
    let a = s
        .call_as(
            "nobody",
            SK,
            "StopExecution",
            &[("FlowName", "f"), ("ExecutionName", "e")],
        )
        .await
        .err(403, "InvalidAccessKeyID");
    assert_eq!(a.s("Message"), "The AccessKey ID nobody is invalid.");
    s.call_as(
        AK,
        "wrong",
        "StopExecution",
        &[("FlowName", "f"), ("ExecutionName", "e")],
    )
    .await
    .err(403, "SignatureNotMatch");
    let mut params = common_params(AK, "StopExecution");
    params.retain(|(k, _)| k != "Timestamp");
    params.push(("Timestamp".into(), "2019-01-01T12:00:00Z".into()));
    params.push(("FlowName".into(), "f".into()));
    params.push(("ExecutionName".into(), "e".into()));
    let q = sign_into_query("POST", &params, SK);
    let a = s
        .send(s.client.post(format!("{}/?{q}", s.base)))
        .await
        .err(403, "RequestTimeTooSkewed");
    assert!(a.s("Message").starts_with(
        "The difference between the request time 2019-01-01T12:00:00Z and the current time "
    ));

    // ACS3 request without its date header.
    s.send(
        s.client
            .post(format!("{}/", s.base))
            .header("x-acs-action", "StopExecution")
            .header("x-acs-version", "2019-03-15")
            .header("x-acs-signature-nonce", "n")
            .header(
                "x-acs-content-sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            )
            .header(
                "authorization",
                "ACS3-HMAC-SHA256 Credential=testKeyId,SignedHeaders=host,Signature=00",
            ),
    )
    .await
    .err(400, "MissingRequiredHeader");

    // None of this touched the execution.
    assert_eq!(s.describe("f", "e").await.s("Status"), "Running");
}

#[tokio::test]
async fn replayed_request_is_refused() {
    let s = TestServer::start().await;
    running(&s, "f", "e").await;
    let mut params = common_params(AK, "DescribeExecution");
    params.push(("FlowName".into(), "f".into()));
    params.push(("ExecutionName".into(), "e".into()));
    let q = sign_into_query("GET", &params, SK);
    s.send(s.client.get(format!("{}/?{q}", s.base))).await.ok();
    s.send(s.client.get(format!("{}/?{q}", s.base)))
        .await
        .err(400, "SignatureNonceUsed");
}
