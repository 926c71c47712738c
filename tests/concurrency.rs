//! Races, with the invariants checked after each: one terminal state per execution, history
//! consistent with status, every acknowledged answer consistent with the final state.

mod common;

use std::sync::Arc;

use cloudflow_emulator::engine::definition::{parse, ExecutionMode};
use cloudflow_emulator::store::{EventType, Execution, NewExecution, Outcome, Status};
use common::*;
use futures_util::{stream, StreamExt};

fn terminal(k: EventType) -> bool {
    matches!(
        k,
        EventType::ExecutionSucceeded
            | EventType::ExecutionFailed
            | EventType::ExecutionStopped
            | EventType::ExecutionTimedOut
    )
}

/// 100,000 stop-vs-finish races on the execution record itself, from two threads each.
#[test]
fn one_hundred_thousand_stop_vs_finish_races() {
    let def = Arc::new(parse(&wait_flow("r", 1), ExecutionMode::Standard).unwrap());
    let text = Arc::new(cloudflow_emulator::store::DefinitionText::from(wait_flow(
        "r", 1,
    )));
    let now = chrono::Utc::now();
    let mut stops_won = 0usize;
    for round in 0..1000 {
        let execs: Vec<Arc<Execution>> = (0..100)
            .map(|i| {
                Arc::new(Execution::new(NewExecution {
                    name: format!("e{round}_{i}"),
                    flow_name: "r".into(),
                    input: "{}".into(),
                    definition_text: text.clone(),
                    definition: def.clone(),
                    role_arn: None,
                    environment: None,
                    callback_token: None,
                    qualifier: None,
                    map_run: None,
                    version: None,
                    started_time: now,
                }))
            })
            .collect();
        let a = execs.clone();
        let finisher = std::thread::spawn(move || {
            a.iter()
                .map(|e| e.finish(Outcome::Succeeded("{}".into()), now))
                .collect::<Vec<Status>>()
        });
        let stopper_results: Vec<Result<(), Status>> = execs
            .iter()
            .map(|e| e.stop(Some("E"), Some("c"), now))
            .collect();
        let finish_results = finisher.join().unwrap();
        for ((e, stop), fin) in execs.iter().zip(&stopper_results).zip(&finish_results) {
            let st = e.lock();
            let terminals: Vec<EventType> = st
                .history
                .iter()
                .map(|ev| ev.kind)
                .filter(|k| terminal(*k))
                .collect();
            assert_eq!(terminals.len(), 1, "{}", e.name);
            match stop {
                Ok(()) => {
                    stops_won += 1;
                    assert_eq!(st.status, Status::Stopped);
                    assert_eq!(*fin, Status::Stopped, "the finisher learns the stop won");
                    assert_eq!(terminals[0], EventType::ExecutionStopped);
                    assert!(st.output.is_none());
                }
                Err(s) => {
                    assert_eq!(*s, Status::Succeeded);
                    assert_eq!(st.status, Status::Succeeded);
                    assert_eq!(terminals[0], EventType::ExecutionSucceeded);
                }
            }
            assert!(e.cancel.is_cancelled());
        }
    }
    eprintln!("stop won {stops_won} of 100000 races");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_same_name_starts_make_exactly_one_execution() {
    let s = TestServer::start().await;
    s.create_flow("w", &wait_flow("w", 300)).await.ok();
    let s = &s;
    for round in 0..20 {
        let name = format!("same{round}");
        let answers: Vec<Answer> = stream::iter(0..16)
            .map(|i| {
                let name = name.clone();
                async move { s.start_exec("w", &name, &format!(r#"{{"i": {i}}}"#)).await }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        let started: Vec<&str> = answers
            .iter()
            .map(|a| a.ok_ref().s("StartedTime"))
            .collect();
        assert!(
            started.iter().all(|t| *t == started[0]),
            "one execution, the same for everyone: {started:?}"
        );
        let inputs: Vec<&str> = answers.iter().map(|a| a.s("Input")).collect();
        assert!(inputs.iter().all(|i| *i == inputs[0]));
        let l = s
            .get(
                "ListExecutions",
                &[("FlowName", "w"), ("ExecutionNamePrefix", &name)],
            )
            .await
            .ok();
        assert_eq!(l.body["Executions"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn update_flow_racing_start_execution_gives_whole_snapshots() {
    let s = TestServer::start().await;
    let defs = [wait_flow("u", 100), wait_flow("u", 200)];
    s.create_flow("u", &defs[0]).await.ok();
    let s = &s;
    let defs = &defs;
    let updater = async {
        for i in 0..100 {
            s.call("UpdateFlow", &[("Name", "u"), ("Definition", &defs[i % 2])])
                .await
                .ok_ref();
        }
    };
    let starter = async {
        stream::iter(0..200)
            .map(|i| async move {
                let a = s.start_exec("u", &format!("e{i}"), "{}").await;
                let d = a.ok_ref().s("FlowDefinition").to_string();
                assert!(defs.contains(&d), "a mixed or unknown snapshot: {d}");
            })
            .buffer_unordered(8)
            .collect::<Vec<()>>()
            .await
    };
    tokio::join!(updater, starter);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delete_flow_racing_start_execution_leaves_nothing_running() {
    let s = TestServer::start().await;
    let s = &s;
    for round in 0..20 {
        let flow = format!("d{round}");
        s.create_flow(&flow, &wait_flow(&flow, 300)).await.ok();
        let f = s
            .state
            .store
            .account(cloudflow_emulator::config::DEFAULT_ACCOUNT_ID)
            .flow(&flow)
            .unwrap();
        let flow = &flow;
        let starts = stream::iter(0..20)
            .map(|i| async move { s.start_exec(flow, &format!("e{i}"), "{}").await })
            .buffer_unordered(10)
            .collect::<Vec<Answer>>();
        let delete = async {
            tokio::time::sleep(std::time::Duration::from_micros(300)).await;
            s.call("DeleteFlow", &[("Name", flow)]).await.ok_ref();
        };
        let (answers, _) = tokio::join!(starts, delete);
        for a in &answers {
            assert!(
                a.status == 200 || (a.status == 404 && a.code() == "FlowNotExists"),
                "{:?}",
                a.body
            );
        }
        // Every execution the deleted flow ever had has ended.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(
            f.running_executions().is_empty(),
            "an execution of a deleted flow is still running"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn callback_reports_racing_a_stop_agree_with_the_final_state() {
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
    let s = &s;
    stream::iter(0..100)
        .map(|i| async move {
            let name = format!("e{i}");
            s.start_exec("cb", &name, "{}").await.ok_ref();
            let token = loop {
                let h = s.history("cb", &name).await;
                if h.iter().any(|e| e["Type"] == "TaskSubmitted") {
                    let ev = h.iter().find(|e| e["Type"] == "TaskScheduled").unwrap();
                    let d: serde_json::Value =
                        serde_json::from_str(ev["EventDetail"].as_str().unwrap()).unwrap();
                    break d["TaskToken"].as_str().unwrap().to_string();
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            };
            let report_params = [("TaskToken", token.as_str()), ("Output", r#"{"ok":true}"#)];
            let stop_params = [("FlowName", "cb"), ("ExecutionName", name.as_str())];
            let (report, stop) = tokio::join!(
                s.call("ReportTaskSucceeded", &report_params),
                s.call("StopExecution", &stop_params)
            );
            let d = s.wait_done("cb", &name, 10).await;
            match (report.status, stop.status) {
                (200, 200) => {
                    // The report was recorded first, then the stop won before the task finished.
                    assert_eq!(d.s("Status"), "Stopped");
                }
                (200, _) => {
                    assert_eq!(stop.code(), "ExecutionAlreadyCompleted");
                    assert_eq!(d.s("Status"), "Succeeded");
                }
                (_, 200) => {
                    assert_eq!(report.code(), "TaskInvalidState");
                    assert_eq!(d.s("Status"), "Stopped");
                }
                other => panic!("both refused: {other:?} {:?} {:?}", report.body, stop.body),
            }
            let h = s.history("cb", &name).await;
            let terminals = h
                .iter()
                .filter(|e| {
                    matches!(
                        e["Type"].as_str().unwrap(),
                        "ExecutionSucceeded"
                            | "ExecutionFailed"
                            | "ExecutionStopped"
                            | "ExecutionTimedOut"
                    )
                })
                .count();
            assert_eq!(terminals, 1);
            assert_eq!(
                h.last().unwrap()["Type"],
                format!("Execution{}", d.s("Status"))
            );
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}
