//! Executions waiting in a top-level Wait are parked: no task runs them until the Wait ends.
//! These tests check that nothing a user can see changes: `$Global`, mock sequences, the
//! Wait's OutputConstructor and history, the flow Timeout, and StopExecution while parked.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

async fn advance(s: &TestServer, seconds: u64) {
    let r = s
        .client
        .post(format!(
            "{}/_emulator/clock/advance?seconds={seconds}",
            s.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Wait until `exec` is parked in the Wait state `step` (the only timer entry).
async fn until_parked(s: &TestServer, flow: &str, exec: &str, step: &str) {
    for _ in 0..2000 {
        if s.state.tasks.parker.len() == 1 {
            let h = s.history(flow, exec).await;
            let last = h.last().unwrap();
            if last["Type"] == "StepStarted" && last["StepName"] == step {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!(
        "{exec} did not park ({} entries)",
        s.state.tasks.parker.len()
    );
}

const TWO_WAITS: &str = "Type: StateMachine
SpecVersion: v1
Name: twowaits
StartAt: Count
States:
  - Type: Pass
    Name: Count
    GlobalConstructor:
      seen.$: $Input.n
    Next: Hold
  - Type: Wait
    Name: Hold
    Seconds: 300
    OutputConstructor:
      before.$: $Global.seen
      input.$: $Input.n
    Next: Call
  - Type: Task
    Name: Call
    Action: FC:InvokeFunction
    Parameters:
      resourceArn: acs:fc:cn-hangzhou:123:functions/nothing/LATEST
      invocationType: Sync
    OutputConstructor:
      before.$: $Input.before
      call.$: $Output.call
    Next: HoldAgain
  - Type: Wait
    Name: HoldAgain
    Seconds: 60
    Next: CallAgain
  - Type: Task
    Name: CallAgain
    Action: FC:InvokeFunction
    Parameters:
      resourceArn: acs:fc:cn-hangzhou:123:functions/nothing/LATEST
      invocationType: Sync
    OutputConstructor:
      first.$: $Input
      second.$: $Output.call
      global.$: $Global.seen
    End: true
";

/// A mock whose answers depend on the invocation count of the state: the count survives parks.
const MOCKS: &str = r#"
StateMachines:
  twowaits:
    DefaultTestCase: Counted
    TestCases:
      Counted: { Call: First, CallAgain: Second }
MockedResponses:
  First:
    "0": { Return: { call: 1 } }
  Second:
    "0": { Return: { call: 2 } }
"#;

#[tokio::test]
async fn waits_park_and_resume_with_global_mocks_and_history() {
    let s = TestServer::start().await;
    let r = s
        .client
        .put(format!("{}/_emulator/mocks", s.base))
        .body(MOCKS)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    s.create_flow("twowaits", TWO_WAITS).await.ok();
    s.start_exec("twowaits", "e", r#"{"n": 7}"#).await.ok();

    until_parked(&s, "twowaits", "e", "Hold").await;
    assert_eq!(
        s.describe("twowaits", "e").await.ok().s("Status"),
        "Running"
    );
    advance(&s, 300).await;
    until_parked(&s, "twowaits", "e", "HoldAgain").await;
    let h = s.history("twowaits", "e").await;
    let hold: Vec<&Value> = h.iter().filter(|e| e["StepName"] == "Hold").collect();
    let kinds: Vec<&str> = hold.iter().map(|e| e["Type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["StepEntered", "StepStarted", "StepSucceeded", "StepExited"]
    );
    let exited: Value = serde_json::from_str(hold[3]["EventDetail"].as_str().unwrap()).unwrap();
    assert_eq!(exited, json!({"Output": {"before": 7, "input": 7}}));

    advance(&s, 60).await;
    let d = s.wait_done("twowaits", "e", 10).await;
    assert_eq!(d.s("Status"), "Succeeded", "{d:?}");
    assert_eq!(
        serde_json::from_str::<Value>(d.s("Output")).unwrap(),
        json!({"first": {"before": 7, "call": 1}, "second": 2, "global": 7})
    );
    let ids: Vec<u64> = s
        .history("twowaits", "e")
        .await
        .iter()
        .map(|e| e["EventId"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    assert_eq!(s.state.tasks.parker.len(), 0);
}

#[tokio::test]
async fn the_flow_timeout_ends_a_parked_execution() {
    let s = TestServer::start().await;
    let def = "Type: StateMachine\nSpecVersion: v1\nName: late\nTimeout: 60\nStartAt: Hold\nStates:\n  - Type: Wait\n    Name: Hold\n    Seconds: 300\n    End: true\n";
    s.create_flow("late", def).await.ok();
    s.start_exec("late", "e", "{}").await.ok();
    until_parked(&s, "late", "e", "Hold").await;
    advance(&s, 59).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(s.describe("late", "e").await.ok().s("Status"), "Running");
    advance(&s, 2).await;
    let d = s.wait_done("late", "e", 10).await;
    assert_eq!(d.s("Status"), "TimedOut");
    let h = s.history("late", "e").await;
    assert_eq!(h.last().unwrap()["Type"], "ExecutionTimedOut");
    assert!(!h.iter().any(|e| e["Type"] == "StepSucceeded"));
}

#[tokio::test]
async fn stop_while_parked_ends_it_for_good() {
    let s = TestServer::start().await;
    s.create_flow("w", &wait_flow("w", 300)).await.ok();
    s.start_exec("w", "e", "{}").await.ok();
    until_parked(&s, "w", "e", "Hold").await;
    let exec = s
        .state
        .store
        .account(cloudflow_emulator::config::DEFAULT_ACCOUNT_ID)
        .flow("w")
        .and_then(|f| f.execution("e"));
    let exec = exec.expect("execution in the store");
    assert!(exec.is_parked());
    s.call(
        "StopExecution",
        &[("FlowName", "w"), ("ExecutionName", "e"), ("Error", "E")],
    )
    .await
    .ok();
    assert!(!exec.is_parked(), "the stop dropped the continuation");
    assert!(
        s.state.tasks.parker.is_empty(),
        "and with it the timer entry, not kept until the deadline"
    );
    let before = s.history("w", "e").await;
    advance(&s, 300).await;
    for _ in 0..500 {
        if s.state.tasks.parker.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(s.state.tasks.parker.is_empty(), "the timer entry is gone");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        s.history("w", "e").await,
        before,
        "nothing ran after the stop"
    );
    assert_eq!(s.describe("w", "e").await.ok().s("Status"), "Stopped");
}

#[tokio::test]
async fn nested_waits_do_not_park_and_still_run() {
    let s = TestServer::start().await;
    let def = "Type: StateMachine
SpecVersion: v1
Name: nested
StartAt: Both
States:
  - Type: Parallel
    Name: Both
    End: true
    Branches:
      - StartAt: Hold
        States:
          - {Type: Wait, Name: Hold, Seconds: 100, End: true}
";
    s.create_flow("nested", def).await.ok();
    s.start_exec("nested", "e", r#"{"a": 1}"#).await.ok();
    for _ in 0..500 {
        let h = s.history("nested", "e").await;
        if h.iter()
            .any(|e| e["Type"] == "StepStarted" && e["StepName"] == "Hold")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(
        s.state.tasks.parker.len(),
        0,
        "a branch's Wait keeps its task"
    );
    advance(&s, 100).await;
    let d = s.wait_done("nested", "e", 10).await;
    assert_eq!(d.s("Status"), "Succeeded");
    assert_eq!(
        serde_json::from_str::<Value>(d.s("Output")).unwrap(),
        json!({"Branch0": {"a": 1}})
    );
}

#[tokio::test]
async fn reset_and_delete_flow_release_parked_executions() {
    let s = TestServer::start().await;
    s.create_flow("a", &wait_flow("a", 300)).await.ok();
    s.create_flow("b", &wait_flow("b", 300)).await.ok();
    for i in 0..3 {
        s.start_exec("a", &format!("e{i}"), "{}").await.ok();
        s.start_exec("b", &format!("e{i}"), "{}").await.ok();
    }
    for _ in 0..1000 {
        if s.state.tasks.parker.len() == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(s.state.tasks.parker.len(), 6);
    s.call("DeleteFlow", &[("Name", "a")]).await.ok();
    assert_eq!(
        s.state.tasks.parker.len(),
        3,
        "DeleteFlow stopped a's three"
    );
    let r = s
        .client
        .post(format!("{}/_emulator/reset", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(s.state.tasks.parker.is_empty(), "reset stopped the rest");
}

#[tokio::test]
async fn a_clock_jump_resumes_every_parked_execution() {
    let s = TestServer::start().await;
    s.create_flow("many", &wait_flow("many", 120)).await.ok();
    let n = 600;
    for i in 0..n {
        s.start_exec("many", &format!("e{i}"), &format!(r#"{{"i": {i}}}"#))
            .await
            .ok();
    }
    for _ in 0..2000 {
        if s.state.tasks.parker.len() == n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(s.state.tasks.parker.len(), n);
    advance(&s, 120).await;
    for i in 0..n {
        let d = s.wait_done("many", &format!("e{i}"), 20).await;
        assert_eq!(d.s("Status"), "Succeeded");
        assert_eq!(
            serde_json::from_str::<Value>(d.s("Output")).unwrap(),
            json!({ "i": i })
        );
    }
    assert!(s.state.tasks.parker.is_empty());
}
