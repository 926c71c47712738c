//! Fault injection end to end: `--faults FILE` and `/_emulator/faults`, with signed requests.

mod common;
#[path = "common/raw.rs"]
mod raw;

use std::time::{Duration, Instant};

use cloudflow_emulator::config::Config;
use common::*;
use raw::call_raw;
use serde_json::Value;

async fn put_faults(s: &TestServer, body: &str) -> (u16, Value) {
    let r = s
        .client
        .put(format!("{}/_emulator/faults", s.base))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn get_faults(s: &TestServer) -> Value {
    s.client
        .get(format!("{}/_emulator/faults", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn file_rules_throttle_the_next_n_calls_with_retry_after() {
    let dir = std::env::temp_dir().join(format!("cfe-faults-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("faults.yaml");
    std::fs::write(
        &file,
        "- Action: StartExecution\n  Error: ResourceThrottled\n  Count: 2\n  RetryAfterSeconds: 3\n",
    )
    .unwrap();
    let mut cfg = Config::for_tests(AK, SK);
    cfg.faults = Some(file);
    let s = TestServer::start_with(cfg).await;
    s.create_flow("f", &wait_flow("f", 1)).await.ok();
    for _ in 0..2 {
        let r = call_raw(
            &s,
            AK,
            SK,
            &[],
            "StartExecution",
            &[("FlowName", "f"), ("ExecutionName", "e")],
        )
        .await;
        assert_eq!(r.header("x-acs-retry-after").as_deref(), Some("3"));
        let a = r.answer.err(429, "ResourceThrottled");
        assert_eq!(
            a.s("Message"),
            "The request is throttled. Please try again later."
        );
    }
    // Spent: the third call goes through, and the rule shows Count 0.
    let r = call_raw(
        &s,
        AK,
        SK,
        &[],
        "StartExecution",
        &[("FlowName", "f"), ("ExecutionName", "e")],
    )
    .await;
    assert!(r.header("x-acs-retry-after").is_none());
    r.answer.ok();
    let cfg = get_faults(&s).await;
    assert_eq!(cfg["Rules"][0]["Count"], 0);
    // Other actions were never affected.
    s.describe("f", "e").await.ok();
}

#[tokio::test]
async fn endpoint_rules_by_flow_probability_and_delete() {
    let s = TestServer::start().await;
    s.create_flow("a", &wait_flow("a", 300)).await.ok();
    s.create_flow("b", &wait_flow("b", 300)).await.ok();
    s.start_exec("a", "e", "{}").await.ok();
    s.start_exec("b", "e", "{}").await.ok();
    let (status, body) = put_faults(
        &s,
        r#"{"Rules": [
            {"Action": "StopExecution", "FlowName": "a", "Error": "ConcurrentUpdateError", "Count": 1},
            {"Action": "DescribeFlow", "Error": "InternalServerError", "Probability": 1},
            {"Action": "ListFlows", "Error": "InternalServerError", "Probability": 0}
        ]}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Rules"].as_array().unwrap().len(), 3);
    // Flow filter: b is untouched, a conflicts once.
    s.call(
        "StopExecution",
        &[("FlowName", "b"), ("ExecutionName", "e")],
    )
    .await
    .ok();
    let a = s
        .call(
            "StopExecution",
            &[("FlowName", "a"), ("ExecutionName", "e")],
        )
        .await
        .err(409, "ConcurrentUpdateError");
    assert_eq!(a.s("Message"), "Update conflict, please retry.");
    assert_eq!(a.s("HostId"), "cn-hangzhou.fnf.aliyuncs.com");
    s.call(
        "StopExecution",
        &[("FlowName", "a"), ("ExecutionName", "e")],
    )
    .await
    .ok();
    // Probability 1: always; probability 0: never.
    for _ in 0..10 {
        s.get("DescribeFlow", &[("Name", "a")])
            .await
            .err(500, "InternalServerError");
        s.get("ListFlows", &[]).await.ok();
    }
    // A bad signature still gets its own error, not the injected one.
    s.call_as(AK, "wrong", "DescribeFlow", &[("Name", "a")])
        .await
        .err(403, "SignatureNotMatch");
    // DELETE clears every rule.
    let r = s
        .client
        .delete(format!("{}/_emulator/faults", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(get_faults(&s).await["Rules"], serde_json::json!([]));
    s.get("DescribeFlow", &[("Name", "a")]).await.ok();
}

#[tokio::test]
async fn half_probability_hits_some_calls() {
    let s = TestServer::start().await;
    put_faults(
        &s,
        "- Action: '*'\n  Error: InternalServerError\n  Probability: 0.5\n",
    )
    .await;
    let mut failed = 0;
    for _ in 0..60 {
        if s.get("ListFlows", &[]).await.status == 500 {
            failed += 1;
        }
    }
    // Loose: the chance of falling outside is about 1e-9.
    assert!((5..=55).contains(&failed), "{failed}");
}

#[tokio::test]
async fn latency_is_injected_and_rules_are_validated() {
    let s = TestServer::start().await;
    let (status, _) = put_faults(&s, "- Action: ListFlows\n  LatencyMs: 300\n  Count: 1\n").await;
    assert_eq!(status, 200);
    let t = Instant::now();
    s.get("ListFlows", &[]).await.ok();
    assert!(
        t.elapsed() >= Duration::from_millis(280),
        "{:?}",
        t.elapsed()
    );
    // Latency and an error together: the error comes after the wait.
    put_faults(
        &s,
        "- Action: '*'\n  LatencyMs: 200\n  Error: ResourceThrottled\n  Count: 1\n",
    )
    .await;
    let t = Instant::now();
    let r = call_raw(&s, AK, SK, &[], "ListFlows", &[]).await;
    assert!(t.elapsed() >= Duration::from_millis(180));
    assert_eq!(r.header("x-acs-retry-after").as_deref(), Some("1"));
    r.answer.err(429, "ResourceThrottled");
    s.get("ListFlows", &[]).await.ok();
    // Invalid rules are refused and leave the old ones in place.
    for bad in [
        "- Action: Nope\n  Error: InternalServerError\n",
        "- Action: ListFlows\n",
        "- Action: ListFlows\n  Error: Boom\n",
        "- Action: ListFlows\n  Error: InternalServerError\n  Probability: 1.5\n",
        "{\"Rules\": 3}",
    ] {
        let (status, body) = put_faults(&s, bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["Code"], "InvalidArgument");
    }
    assert_eq!(get_faults(&s).await["Rules"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_calls_consume_count_exactly() {
    let s = std::sync::Arc::new(TestServer::start().await);
    put_faults(
        &s,
        "- Action: ListFlows\n  Error: InternalServerError\n  Count: 5\n",
    )
    .await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(
            async move { s.get("ListFlows", &[]).await.status },
        ));
    }
    let mut failed = 0;
    for t in tasks {
        if t.await.unwrap() == 500 {
            failed += 1;
        }
    }
    assert_eq!(failed, 5);
}
