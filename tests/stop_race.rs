//! A stop and a natural finish racing on the same execution, and two stops racing each other:
//! each execution ends in exactly one terminal state, and every answer agrees with it.

mod common;

use common::*;
use futures_util::{stream, StreamExt};
use serde_json::Value;

const N: usize = 1000;

fn terminal(t: &str) -> bool {
    matches!(
        t,
        "ExecutionSucceeded" | "ExecutionFailed" | "ExecutionStopped" | "ExecutionTimedOut"
    )
}

async fn check_history(s: &TestServer, flow: &str, exec: &str, status: &str) {
    let h = s.history(flow, exec).await;
    let terminals: Vec<&Value> = h
        .iter()
        .filter(|e| terminal(e["Type"].as_str().unwrap()))
        .collect();
    assert_eq!(terminals.len(), 1, "{exec}: {h:?}");
    assert_eq!(
        h.last().unwrap()["Type"],
        format!("Execution{status}"),
        "{exec}"
    );
}

async fn stop(s: &TestServer, flow: &str, exec: &str) -> Answer {
    s.call(
        "StopExecution",
        &[
            ("FlowName", flow),
            ("ExecutionName", exec),
            ("Error", "Race"),
            ("Cause", "test"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn double_stops_on_running_executions_succeed_exactly_once() {
    let s = TestServer::start().await;
    s.create_flow("slow", &wait_flow("slow", 300)).await.ok();
    let s = &s;
    stream::iter(0..N)
        .map(|i| async move {
            let name = format!("e{i}");
            s.start_exec("slow", &name, "{}").await.ok();
            let (a, b) = tokio::join!(stop(s, "slow", &name), stop(s, "slow", &name));
            let answers = [a, b];
            let wins: Vec<&Answer> = answers.iter().filter(|a| a.status == 200).collect();
            assert_eq!(wins.len(), 1, "{name}: {answers:?}");
            assert_eq!(wins[0].s("Status"), "Stopped");
            let loser = answers.iter().find(|a| a.status != 200).unwrap();
            assert_eq!(
                (loser.status, loser.code()),
                (400, "ExecutionAlreadyCompleted")
            );
            let d = s.describe("slow", &name).await.ok();
            assert_eq!(d.s("Status"), "Stopped");
            assert_eq!(d.s("StoppedTime"), wins[0].s("StoppedTime"));
            check_history(s, "slow", &name, "Stopped").await;
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stop_racing_a_natural_finish_ends_one_way() {
    // 1 emulated second lasts 1 ms: the Wait ends while the stops are in flight.
    let mut cfg = cloudflow_emulator::config::Config::for_tests(AK, SK);
    cfg.time_scale = 0.001;
    let s = TestServer::start_with(cfg).await;
    s.create_flow("fast", &wait_flow("fast", 1)).await.ok();
    let s = &s;
    let outcomes: Vec<bool> = stream::iter(0..N)
        .map(|i| async move {
            let name = format!("e{i}");
            s.start_exec("fast", &name, "{}").await.ok();
            if i % 2 == 0 {
                tokio::time::sleep(std::time::Duration::from_micros((i % 7) as u64 * 150)).await;
            }
            let (a, b) = tokio::join!(stop(s, "fast", &name), stop(s, "fast", &name));
            let answers = [a, b];
            let wins = answers.iter().filter(|a| a.status == 200).count();
            assert!(wins <= 1, "{name}: {answers:?}");
            for a in answers.iter().filter(|a| a.status != 200) {
                assert_eq!(
                    (a.status, a.code()),
                    (400, "ExecutionAlreadyCompleted"),
                    "{name}"
                );
            }
            let d = s.wait_done("fast", &name, 10).await;
            let expected = if wins == 1 { "Stopped" } else { "Succeeded" };
            assert_eq!(d.s("Status"), expected, "{name}: {answers:?}");
            if wins == 0 {
                assert!(d.body.get("Output").is_some());
            }
            check_history(s, "fast", &name, expected).await;
            wins == 1
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let stopped = outcomes.iter().filter(|w| **w).count();
    eprintln!("stop won {stopped} of {N} races");
}
