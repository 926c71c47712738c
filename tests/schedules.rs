//! Schedules: the CRUD actions and their errors, and executions really started on the emulated
//! clock.

mod common;

use common::*;
use serde_json::Value;

const PASS: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: P\nStates:\n  - Type: Pass\n    Name: P\n    End: true\n";

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

async fn executions(s: &TestServer, flow: &str) -> Vec<Value> {
    s.get("ListExecutions", &[("FlowName", flow), ("Limit", "100")])
        .await
        .ok()
        .body["Executions"]
        .as_array()
        .unwrap()
        .clone()
}

async fn wait_count(s: &TestServer, flow: &str, n: usize) -> Vec<Value> {
    for _ in 0..500 {
        let e = executions(s, flow).await;
        if e.len() >= n {
            return e;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    executions(s, flow).await
}

#[tokio::test]
async fn schedule_crud_and_errors() {
    let s = TestServer::start().await;
    s.create_flow("f", PASS).await.ok();
    let a = s
        .call(
            "CreateSchedule",
            &[
                ("FlowName", "f"),
                ("ScheduleName", "s1"),
                ("CronExpression", "0 * * * * *"),
                ("Payload", r#"{"k": "v"}"#),
                ("Description", "d"),
                ("Enable", "True"),
            ],
        )
        .await
        .ok();
    assert_eq!(a.body["Enable"], Value::Bool(true));
    assert_eq!(a.s("CronExpression"), "0 * * * * *");
    assert_eq!(a.s("Payload"), r#"{"k": "v"}"#);
    assert!(!a.s("ScheduleId").is_empty());
    let e = s
        .call(
            "CreateSchedule",
            &[
                ("FlowName", "f"),
                ("ScheduleName", "s1"),
                ("CronExpression", "0 * * * * *"),
            ],
        )
        .await
        .err(409, "ScheduleAlreadyExists");
    assert_eq!(e.s("Message"), "The schedule s1 already exists in flow f.");
    for bad in ["* * * * *", "99 * * * * *", "@every 0s", "every minute"] {
        s.call(
            "CreateSchedule",
            &[
                ("FlowName", "f"),
                ("ScheduleName", "bad"),
                ("CronExpression", bad),
            ],
        )
        .await
        .err(400, "InvalidArgument");
    }
    s.call(
        "CreateSchedule",
        &[
            ("FlowName", "f"),
            ("ScheduleName", "bad"),
            ("CronExpression", "@every 1m"),
            ("Payload", "[1]"),
        ],
    )
    .await
    .err(400, "InvalidArgument");
    s.call(
        "CreateSchedule",
        &[
            ("FlowName", "nope"),
            ("ScheduleName", "x"),
            ("CronExpression", "@every 1m"),
        ],
    )
    .await
    .err(404, "FlowNotExists");
    s.call(
        "CreateSchedule",
        &[("FlowName", "f"), ("ScheduleName", "x")],
    )
    .await
    .err(400, "MissingRequiredParams");

    let d = s
        .get(
            "DescribeSchedule",
            &[("FlowName", "f"), ("ScheduleName", "s1")],
        )
        .await
        .ok();
    assert_eq!(d.s("ScheduleId"), a.s("ScheduleId"));
    let e = s
        .get(
            "DescribeSchedule",
            &[("FlowName", "f"), ("ScheduleName", "zz")],
        )
        .await
        .err(404, "ScheduleNotExists");
    assert_eq!(e.s("Message"), "The schedule zz for flow f does not exist.");

    let u = s
        .call(
            "UpdateSchedule",
            &[
                ("FlowName", "f"),
                ("ScheduleName", "s1"),
                ("Enable", "false"),
            ],
        )
        .await
        .ok();
    assert_eq!(u.body["Enable"], Value::Bool(false));
    assert_eq!(u.s("CronExpression"), "0 * * * * *", "omitted fields stay");
    assert_eq!(u.s("Description"), "d");
    s.call(
        "UpdateSchedule",
        &[
            ("FlowName", "f"),
            ("ScheduleName", "s1"),
            ("CronExpression", "bad"),
        ],
    )
    .await
    .err(400, "InvalidArgument");

    for i in 2..6 {
        s.call(
            "CreateSchedule",
            &[
                ("FlowName", "f"),
                ("ScheduleName", &format!("s{i}")),
                ("CronExpression", "@every 1h"),
            ],
        )
        .await
        .ok();
    }
    let p1 = s
        .get("ListSchedules", &[("FlowName", "f"), ("Limit", "3")])
        .await
        .ok();
    assert_eq!(p1.body["Schedules"].as_array().unwrap().len(), 3);
    let p2 = s
        .get(
            "ListSchedules",
            &[
                ("FlowName", "f"),
                ("Limit", "3"),
                ("NextToken", p1.s("NextToken")),
            ],
        )
        .await
        .ok();
    assert_eq!(p2.body["Schedules"].as_array().unwrap().len(), 2);
    assert!(p2.body.get("NextToken").is_none());

    s.call(
        "DeleteSchedule",
        &[("FlowName", "f"), ("ScheduleName", "s1")],
    )
    .await
    .ok();
    s.call(
        "DeleteSchedule",
        &[("FlowName", "f"), ("ScheduleName", "s1")],
    )
    .await
    .err(404, "ScheduleNotExists");
}

#[tokio::test]
async fn enabled_schedules_start_executions_on_the_emulated_clock() {
    let s = TestServer::start().await;
    s.create_flow("tick", PASS).await.ok();
    s.call(
        "CreateSchedule",
        &[
            ("FlowName", "tick"),
            ("ScheduleName", "every_minute"),
            ("CronExpression", "0 * * * * *"),
            ("Payload", r#"{"from": "schedule"}"#),
            ("Enable", "true"),
        ],
    )
    .await
    .ok();
    s.call(
        "CreateSchedule",
        &[
            ("FlowName", "tick"),
            ("ScheduleName", "off"),
            ("CronExpression", "@every 1s"),
        ],
    )
    .await
    .ok();
    assert!(executions(&s, "tick").await.is_empty());
    advance(&s, 180).await;
    let e = wait_count(&s, "tick", 3).await;
    assert_eq!(
        e.len(),
        3,
        "one execution per minute boundary crossed: {e:?}"
    );
    for x in &e {
        assert_eq!(x["Input"], r#"{"from": "schedule"}"#);
        assert!(x["Name"].as_str().unwrap().starts_with("every_minute-"));
    }
    // Disable: nothing more; enable the @every 1s one: it fires.
    s.call(
        "UpdateSchedule",
        &[
            ("FlowName", "tick"),
            ("ScheduleName", "every_minute"),
            ("Enable", "false"),
        ],
    )
    .await
    .ok();
    s.call(
        "UpdateSchedule",
        &[
            ("FlowName", "tick"),
            ("ScheduleName", "off"),
            ("Enable", "true"),
        ],
    )
    .await
    .ok();
    advance(&s, 5).await;
    let e = wait_count(&s, "tick", 8).await;
    assert_eq!(e.len(), 8);
    s.call(
        "DeleteSchedule",
        &[("FlowName", "tick"), ("ScheduleName", "off")],
    )
    .await
    .ok();
    advance(&s, 120).await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(
        executions(&s, "tick").await.len(),
        8,
        "deleted and disabled schedules fire no more"
    );
}

#[tokio::test]
async fn init_file_schedules_are_created_and_fire() {
    let dir = std::env::temp_dir().join(format!("cfe-init-sched-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let init = dir.join("init.yaml");
    std::fs::write(
        &init,
        format!(
            "flows:\n  - name: tick\n    definition: |\n{}\nschedules:\n  - flow_name: tick\n    name: m\n    cron_expression: '0 * * * * *'\n    payload: {{from: init}}\n    enable: true\n",
            PASS.lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n")
        ),
    )
    .unwrap();
    let mut cfg = cloudflow_emulator::config::Config::for_tests(AK, SK);
    cfg.init = Some(init);
    let s = TestServer::start_with(cfg).await;
    let d = s
        .get(
            "DescribeSchedule",
            &[("FlowName", "tick"), ("ScheduleName", "m")],
        )
        .await
        .ok();
    assert_eq!(d.body["Enable"], Value::Bool(true));
    advance(&s, 120).await;
    let e = wait_count(&s, "tick", 2).await;
    assert_eq!(e.len(), 2);
    assert_eq!(e[0]["Input"], r#"{"from":"init"}"#);
}
