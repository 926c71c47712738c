//! `--data-dir`: everything acknowledged survives `kill -9`, and running executions resume.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(dir: &std::path::Path, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_cloudflow-emulator"))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--access-key-id",
            AK,
            "--access-key-secret",
            SK,
        ])
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let s = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = s
            .client
            .get(format!("{}/_emulator/health", s.base))
            .send()
            .await
        {
            if r.status() == 200 {
                return s;
            }
        }
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Server {
    async fn call(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        let mut all = common_params(AK, action);
        all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let q = sign_into_query("POST", &all, SK);
        let r = self
            .client
            .post(format!("{}/?{q}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        Answer {
            status,
            body: r.json().await.unwrap(),
        }
    }

    async fn history(&self, flow: &str, exec: &str) -> Vec<Value> {
        let a = self
            .call(
                "GetExecutionHistory",
                &[
                    ("FlowName", flow),
                    ("ExecutionName", exec),
                    ("Limit", "1000"),
                ],
            )
            .await
            .ok();
        a.body["Events"].as_array().unwrap().clone()
    }

    async fn status(&self, flow: &str, exec: &str) -> String {
        self.call(
            "DescribeExecution",
            &[("FlowName", flow), ("ExecutionName", exec)],
        )
        .await
        .ok()
        .s("Status")
        .to_string()
    }
}

const PASS: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: P\nStates:\n  - Type: Pass\n    Name: P\n    Next: W\n  - Type: Wait\n    Name: W\n    Seconds: 1\n    End: true\n";

#[tokio::test]
async fn acknowledged_state_survives_kill_9_and_running_executions_resume() {
    let dir = std::env::temp_dir().join(format!("cfe-data-{}", uuid::Uuid::new_v4()));
    let port = free_port();
    let s = start(&dir, port).await;
    let hold = wait_flow("hold", 300);
    for (name, def) in [("hold", hold.as_str()), ("quick", PASS)] {
        s.call(
            "CreateFlow",
            &[
                ("Name", name),
                ("Definition", def),
                ("Description", "d"),
                ("Type", "FDL"),
            ],
        )
        .await
        .ok();
    }
    s.call(
        "UpdateFlow",
        &[("Name", "quick"), ("Description", "updated")],
    )
    .await
    .ok();
    s.call(
        "PublishFlowVersion",
        &[("FlowName", "quick"), ("Description", "v1")],
    )
    .await
    .ok();
    s.call(
        "CreateFlowAlias",
        &[
            ("FlowName", "quick"),
            ("Name", "prod"),
            ("RoutingConfigurations", r#"[{"Version":"1","Weight":100}]"#),
        ],
    )
    .await
    .ok();
    s.call(
        "CreateSchedule",
        &[
            ("FlowName", "quick"),
            ("ScheduleName", "s"),
            ("CronExpression", "@every 1h"),
        ],
    )
    .await
    .ok();
    s.call(
        "CreateFlow",
        &[
            ("Name", "gone"),
            ("Definition", PASS),
            ("Description", ""),
            ("Type", "FDL"),
        ],
    )
    .await
    .ok();
    s.call("DeleteFlow", &[("Name", "gone")]).await.ok();
    s.call(
        "StartExecution",
        &[
            ("FlowName", "quick"),
            ("ExecutionName", "done"),
            ("Input", r#"{"a":1}"#),
        ],
    )
    .await
    .ok();
    s.call(
        "StartExecution",
        &[("FlowName", "hold"), ("ExecutionName", "stopped")],
    )
    .await
    .ok();
    s.call(
        "StopExecution",
        &[
            ("FlowName", "hold"),
            ("ExecutionName", "stopped"),
            ("Error", "E"),
            ("Cause", "c"),
        ],
    )
    .await
    .ok();
    s.call(
        "StartExecution",
        &[
            ("FlowName", "hold"),
            ("ExecutionName", "running"),
            ("Input", r#"{"k":"v"}"#),
        ],
    )
    .await
    .ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.status("quick", "done").await != "Succeeded" {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done_history = s.history("quick", "done").await;
    let stopped_history = s.history("hold", "stopped").await;
    let running_history = s.history("hold", "running").await;
    let flows_before = s.call("ListFlows", &[]).await.ok();

    // kill -9: no chance to flush anything.
    let mut s = s;
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap()
        .success());
    let _ = s.child.wait();
    drop(s);

    let s = start(&dir, port).await;
    let flows_after = s.call("ListFlows", &[]).await.ok();
    assert_eq!(flows_before.body["Flows"], flows_after.body["Flows"]);
    assert_eq!(
        flows_after.body["Flows"].as_array().unwrap().len(),
        2,
        "the deleted flow stays deleted"
    );
    let d = s.call("DescribeFlow", &[("Name", "quick")]).await.ok();
    assert_eq!(d.s("Description"), "updated");
    s.call("DescribeFlow", &[("Name", "quick"), ("FlowVersion", "1")])
        .await
        .ok();
    let a = s
        .call(
            "DescribeFlowAlias",
            &[("FlowName", "quick"), ("Name", "prod")],
        )
        .await
        .ok();
    assert_eq!(a.body["Alias"]["RoutingConfigurations"][0]["Version"], "1");
    s.call(
        "DescribeSchedule",
        &[("FlowName", "quick"), ("ScheduleName", "s")],
    )
    .await
    .ok();

    assert_eq!(s.status("quick", "done").await, "Succeeded");
    assert_eq!(s.history("quick", "done").await, done_history);
    assert_eq!(s.status("hold", "stopped").await, "Stopped");
    assert_eq!(s.history("hold", "stopped").await, stopped_history);
    let d = s
        .call(
            "DescribeExecution",
            &[("FlowName", "hold"), ("ExecutionName", "stopped")],
        )
        .await
        .ok();
    assert!(d.body["StoppedTime"].is_string());

    // The running execution resumed: its history so far is kept, it runs on, and it ends.
    assert_eq!(s.status("hold", "running").await, "Running");
    let h = s.history("hold", "running").await;
    assert_eq!(&h[..running_history.len()], &running_history[..]);
    let r = s
        .client
        .post(format!("{}/_emulator/clock/advance?seconds=400", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.status("hold", "running").await != "Succeeded" {
        assert!(
            Instant::now() < deadline,
            "the resumed execution did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let h = s.history("hold", "running").await;
    let ids: Vec<u64> = h.iter().map(|e| e["EventId"].as_u64().unwrap()).collect();
    assert_eq!(
        ids,
        (1..=ids.len() as u64).collect::<Vec<_>>(),
        "event ids continue"
    );
    assert_eq!(h.last().unwrap()["Type"], "ExecutionSucceeded");
    // Names of ended executions stay taken.
    s.call(
        "StartExecution",
        &[("FlowName", "quick"), ("ExecutionName", "done")],
    )
    .await
    .err(400, "ExecutionAlreadyExists");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}
