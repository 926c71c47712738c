//! `--enforce-quotas` end to end: token buckets, the flow, running-execution and event limits
//! (made small through `Config::quota_limits`), and that nothing is enforced by default.

mod common;
#[path = "common/raw.rs"]
mod raw;

use std::time::Duration;

use cloudflow_emulator::config::Config;
use cloudflow_emulator::quotas::{QuotaLimits, Rate};
use common::*;
use raw::call_raw;

fn generous() -> Rate {
    Rate {
        burst: 100_000.0,
        per_second: 100_000.0,
    }
}

/// Quotas on, with every rate generous unless changed by `f`.
async fn server(f: impl FnOnce(&mut QuotaLimits)) -> TestServer {
    let mut cfg = Config::for_tests(AK, SK);
    cfg.enforce_quotas = true;
    let mut l = QuotaLimits {
        start_execution: generous(),
        describe_execution: generous(),
        get_execution_history: generous(),
        other: generous(),
        ..Default::default()
    };
    f(&mut l);
    cfg.quota_limits = l;
    TestServer::start_with(cfg).await
}

#[tokio::test]
async fn off_by_default() {
    let s = TestServer::start().await;
    assert!(!s.state.quotas.enabled());
    for _ in 0..30 {
        s.get("ListFlows", &[]).await.ok();
    }
}

#[tokio::test]
async fn documented_numbers_are_the_defaults() {
    let l = QuotaLimits::default();
    assert_eq!(
        (l.start_execution.burst, l.start_execution.per_second),
        (100.0, 100.0)
    );
    assert_eq!(
        (l.describe_execution.burst, l.describe_execution.per_second),
        (50.0, 5.0)
    );
    assert_eq!(
        (
            l.get_execution_history.burst,
            l.get_execution_history.per_second
        ),
        (50.0, 5.0)
    );
    assert_eq!((l.other.burst, l.other.per_second), (10.0, 2.0));
    assert_eq!(
        (
            l.max_flows,
            l.max_running_executions,
            l.max_events_per_execution
        ),
        (10_000, 10_000, 5_000)
    );
    // With the documented numbers, DescribeFlow is throttled after about 10 quick calls.
    let mut cfg = Config::for_tests(AK, SK);
    cfg.enforce_quotas = true;
    let s = TestServer::start_with(cfg).await;
    s.create_flow("f", &wait_flow("f", 1)).await.ok();
    let mut ok = 0;
    let mut throttled = false;
    for _ in 0..40 {
        let a = s.get("DescribeFlow", &[("Name", "f")]).await;
        if a.status == 429 {
            a.err(429, "ResourceThrottled");
            throttled = true;
            break;
        }
        a.ok();
        ok += 1;
    }
    assert!(throttled && ok >= 10, "ok {ok}");
}

#[tokio::test]
async fn bucket_empties_answers_retry_after_and_refills() {
    let s = server(|l| {
        l.other = Rate {
            burst: 3.0,
            per_second: 0.5,
        }
    })
    .await;
    for _ in 0..3 {
        s.get("ListFlows", &[]).await.ok();
    }
    let r = call_raw(&s, AK, SK, &[], "ListFlows", &[]).await;
    assert_eq!(r.header("x-acs-retry-after").as_deref(), Some("2"));
    r.answer.err(429, "ResourceThrottled");
    // Each action has its own bucket.
    s.get("DescribeRegions", &[]).await.ok();
    // Two seconds give a token back.
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    s.get("ListFlows", &[]).await.ok();
    s.get("ListFlows", &[]).await.err(429, "ResourceThrottled");
}

#[tokio::test]
async fn flow_limit() {
    let s = server(|l| l.max_flows = 2).await;
    s.create_flow("a", &wait_flow("a", 1)).await.ok();
    s.create_flow("b", &wait_flow("b", 1)).await.ok();
    let e = s
        .create_flow("c", &wait_flow("c", 1))
        .await
        .err(400, "InvalidArgument");
    assert!(e.s("Message").contains("limit of 2 flows"), "{}", e.body);
    s.call("DeleteFlow", &[("Name", "a")]).await.ok();
    s.create_flow("c", &wait_flow("c", 1)).await.ok();
}

#[tokio::test]
async fn running_execution_limit() {
    let s = server(|l| l.max_running_executions = 1).await;
    s.create_flow("f", &wait_flow("f", 300)).await.ok();
    s.start_exec("f", "one", "{}").await.ok();
    let r = call_raw(
        &s,
        AK,
        SK,
        &[],
        "StartExecution",
        &[("FlowName", "f"), ("ExecutionName", "two")],
    )
    .await;
    assert_eq!(r.header("x-acs-retry-after").as_deref(), Some("1"));
    let e = r.answer.err(429, "ResourceThrottled");
    assert!(
        e.s("Message").contains("1 running executions"),
        "{}",
        e.body
    );
    // Starting the running namesake again returns it.
    s.start_exec("f", "one", "{}").await.ok();
    s.call(
        "StopExecution",
        &[("FlowName", "f"), ("ExecutionName", "one")],
    )
    .await
    .ok();
    s.start_exec("f", "two", "{}").await.ok();
}

#[tokio::test]
async fn event_limit_fails_the_execution() {
    let s = server(|l| l.max_events_per_execution = 10).await;
    let mut def =
        String::from("Type: StateMachine\nSpecVersion: v1\nName: many\nStartAt: P0\nStates:\n");
    for i in 0..20 {
        def.push_str(&format!(
            "  - Type: Pass\n    Name: P{i}\n    Next: P{}\n",
            i + 1
        ));
    }
    def.push_str("  - Type: Succeed\n    Name: P20\n");
    s.create_flow("many", &def).await.ok();
    s.start_exec("many", "e", "{}").await.ok();
    let d = s.wait_done("many", "e", 30).await;
    assert_eq!(d.s("Status"), "Failed");
    let h = s.history("many", "e").await;
    assert_eq!(h.len(), 10);
    let last = h.last().unwrap();
    assert_eq!(last["Type"], "ExecutionFailed");
    let detail: serde_json::Value =
        serde_json::from_str(last["EventDetail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["Error"], "FnF.EventLimitExceeded");
    // Below the limit nothing changes.
    let short = "Type: StateMachine\nSpecVersion: v1\nName: short\nStartAt: A\nStates:\n  - Type: Pass\n    Name: A\n    End: true\n";
    s.create_flow("short", short).await.ok();
    s.start_exec("short", "e", "{}").await.ok();
    assert_eq!(s.wait_done("short", "e", 30).await.s("Status"), "Succeeded");
}
