//! StopExecution interrupts an execution wherever it waits — inside a Wait in a Parallel branch,
//! inside a Map iteration, between retries, while a callback task waits — within milliseconds,
//! and nothing that was in flight records anything afterwards.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

async fn stop_and_check(s: &TestServer, flow: &str, exec: &str, running_marker: &str) {
    // Wait until the execution is inside the waiting state.
    let mut seen = false;
    for _ in 0..1000 {
        let h = s.history(flow, exec).await;
        if h.iter().filter(|e| e["Type"] == running_marker).count() > 0 {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(seen, "{exec} never reached {running_marker}");
    let t = Instant::now();
    let a = s
        .call(
            "StopExecution",
            &[
                ("FlowName", flow),
                ("ExecutionName", exec),
                ("Error", "E"),
                ("Cause", "c"),
            ],
        )
        .await
        .ok();
    assert_eq!(a.s("Status"), "Stopped");
    assert!(t.elapsed() < Duration::from_secs(1));
    let before = s.history(flow, exec).await;
    assert_eq!(before.last().unwrap()["Type"], "ExecutionStopped");
    // Let time pass (real and emulated): nothing more is recorded.
    let r = s
        .client
        .post(format!("{}/_emulator/clock/advance?seconds=100000", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after = s.history(flow, exec).await;
    assert_eq!(
        before.len(),
        after.len(),
        "{exec}: events after the stop: {:?}",
        &after[before.len()..]
    );
    assert_eq!(s.describe(flow, exec).await.s("Status"), "Stopped");
}

#[tokio::test]
async fn stop_inside_a_parallel_branch() {
    let s = TestServer::start().await;
    let def = "Type: StateMachine
SpecVersion: v1
StartAt: Par
States:
  - Type: Parallel
    Name: Par
    Branches:
      - StartAt: Quick
        States:
          - Type: Pass
            Name: Quick
            End: true
      - StartAt: Hold
        States:
          - Type: Wait
            Name: Hold
            Seconds: 300
            End: true
    Next: After
  - Type: Pass
    Name: After
    End: true
";
    s.create_flow("par", def).await.ok();
    s.start_exec("par", "e", "{}").await.ok();
    stop_and_check(&s, "par", "e", "BranchEntered").await;
    let h = s.history("par", "e").await;
    assert!(!h.iter().any(|e| e["StepName"] == "After"));
}

#[tokio::test]
async fn stop_inside_a_map_iteration() {
    let s = TestServer::start().await;
    let def = "Type: StateMachine
SpecVersion: v1
StartAt: M
States:
  - Type: Map
    Name: M
    ItemsPath: $Input.items
    MaxConcurrency: 2
    Processor:
      StartAt: Hold
      States:
        - Type: Wait
          Name: Hold
          Seconds: 300
          End: true
    End: true
";
    s.create_flow("map", def).await.ok();
    s.start_exec("map", "e", r#"{"items": [{}, {}, {}, {}]}"#)
        .await
        .ok();
    stop_and_check(&s, "map", "e", "IterationEntered").await;
}

#[tokio::test]
async fn stop_between_retries() {
    let mut cfg = cloudflow_emulator::config::Config::for_tests(AK, SK);
    cfg.functions = vec!["down=http://127.0.0.1:9/x".into()];
    let s = TestServer::start_with(cfg).await;
    let def = "Type: StateMachine
SpecVersion: v1
StartAt: T
States:
  - Type: Task
    Name: T
    Action: FC:InvokeFunction
    Parameters:
      resourceArn: down
      invocationType: Sync
    Retry:
      - Errors: [FnF.ALL]
        MaxAttempts: 5
        IntervalSeconds: 3600
    End: true
";
    s.create_flow("retry", def).await.ok();
    s.start_exec("retry", "e", "{}").await.ok();
    stop_and_check(&s, "retry", "e", "TaskFailed").await;
    let h = s.history("retry", "e").await;
    assert_eq!(
        h.iter().filter(|e| e["Type"] == "TaskScheduled").count(),
        1,
        "no retry after the stop"
    );
}

#[tokio::test]
async fn stop_while_a_callback_waits() {
    let s = TestServer::start().await;
    let mocks = "StateMachines:\n  cb:\n    DefaultTestCase: W\n    TestCases:\n      W: { T: Wait }\nMockedResponses:\n  Wait:\n    \"0\": { WaitForCallback: true }\n";
    let r = s
        .client
        .put(format!("{}/_emulator/mocks", s.base))
        .body(mocks)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let def = "Type: StateMachine\nSpecVersion: v1\nStartAt: T\nStates:\n  - Type: Task\n    Name: T\n    Action: MNS:SendMessage\n    TaskMode: WaitForCustomCallback\n    End: true\n";
    s.create_flow("cb", def).await.ok();
    s.start_exec("cb", "e", "{}").await.ok();
    stop_and_check(&s, "cb", "e", "TaskSubmitted").await;
    let h = s.history("cb", "e").await;
    let sched = h.iter().find(|e| e["Type"] == "TaskScheduled").unwrap();
    let token = serde_json::from_str::<Value>(sched["EventDetail"].as_str().unwrap()).unwrap()
        ["TaskToken"]
        .as_str()
        .unwrap()
        .to_string();
    s.call(
        "ReportTaskSucceeded",
        &[("TaskToken", &token), ("Output", "{}")],
    )
    .await
    .err(409, "TaskInvalidState");
}

#[tokio::test]
async fn a_parallel_of_50_branches_and_a_map_of_5000_items_run_in_one_task() {
    let s = TestServer::start().await;
    let branches: String = (0..50)
        .map(|i| format!("      - StartAt: B{i}\n        States:\n          - Type: Pass\n            Name: B{i}\n            End: true\n"))
        .collect();
    let def = format!("Type: StateMachine\nSpecVersion: v1\nStartAt: P\nStates:\n  - Type: Parallel\n    Name: P\n    Branches:\n{branches}    End: true\n");
    s.create_flow("p50", &def).await.ok();
    s.start_exec("p50", "e", "{}").await.ok();
    let d = s.wait_done("p50", "e", 30).await;
    assert_eq!(d.s("Status"), "Succeeded");
    assert_eq!(
        serde_json::from_str::<Value>(d.s("Output"))
            .unwrap()
            .as_object()
            .unwrap()
            .len(),
        50
    );

    // 5000 items: the input stays under the 64 KiB state limit; the output of empty objects too.
    let items = vec!["{}"; 5000].join(",");
    let def = "Type: StateMachine\nSpecVersion: v1\nStartAt: M\nStates:\n  - Type: Map\n    Name: M\n    ItemsPath: $Input.items\n    Processor:\n      StartAt: X\n      States:\n        - Type: Pass\n          Name: X\n          End: true\n    End: true\n";
    s.create_flow("m5k", def).await.ok();
    s.start_exec("m5k", "e", &format!(r#"{{"items": [{items}]}}"#))
        .await
        .ok();
    let d = s.wait_done("m5k", "e", 60).await;
    assert_eq!(d.s("Status"), "Succeeded");
    let out: Value = serde_json::from_str(d.s("Output")).unwrap();
    assert_eq!(out["Items"].as_array().unwrap().len(), 5000);
}
