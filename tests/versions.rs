//! Flow versions, aliases and `Qualifier`.

mod common;

use common::*;
use serde_json::Value;

fn pass_flow(tag: &str) -> String {
    format!("Type: StateMachine\nSpecVersion: v1\nStartAt: P\nStates:\n  - Type: Pass\n    Name: P\n    OutputConstructor:\n      tag: {tag}\n    End: true\n")
}

async fn output_of(s: &TestServer, flow: &str, exec: &str) -> Value {
    serde_json::from_str(s.wait_done(flow, exec, 10).await.s("Output")).unwrap()
}

#[tokio::test]
async fn versions_are_snapshots_and_qualifiers_pick_them() {
    let s = TestServer::start().await;
    s.create_flow("v", &pass_flow("one")).await.ok();
    let v1 = s
        .call(
            "PublishFlowVersion",
            &[("FlowName", "v"), ("Description", "first")],
        )
        .await
        .ok();
    assert_eq!(
        (v1.s("Version"), v1.s("FlowName"), v1.s("Description")),
        ("1", "v", "first")
    );
    s.call(
        "UpdateFlow",
        &[("Name", "v"), ("Definition", &pass_flow("two"))],
    )
    .await
    .ok();
    let v2 = s
        .call("PublishFlowVersion", &[("FlowName", "v")])
        .await
        .ok();
    assert_eq!(v2.s("Version"), "2");
    s.call(
        "UpdateFlow",
        &[("Name", "v"), ("Definition", &pass_flow("three"))],
    )
    .await
    .ok();

    let d = s
        .get("DescribeFlow", &[("Name", "v"), ("FlowVersion", "1")])
        .await
        .ok();
    assert_eq!(d.s("Definition"), pass_flow("one"));
    s.get("DescribeFlow", &[("Name", "v"), ("FlowVersion", "9")])
        .await
        .err(404, "FlowVersionNotExists");

    s.call(
        "StartExecution",
        &[
            ("FlowName", "v"),
            ("ExecutionName", "q1"),
            ("Qualifier", "1"),
        ],
    )
    .await
    .ok();
    s.call(
        "StartExecution",
        &[("FlowName", "v"), ("ExecutionName", "latest")],
    )
    .await
    .ok();
    assert_eq!(output_of(&s, "v", "q1").await["tag"], "one");
    assert_eq!(output_of(&s, "v", "latest").await["tag"], "three");
    s.call(
        "StartExecution",
        &[
            ("FlowName", "v"),
            ("ExecutionName", "x"),
            ("Qualifier", "7"),
        ],
    )
    .await
    .err(404, "FlowVersionNotExists");
    s.call(
        "StartExecution",
        &[
            ("FlowName", "v"),
            ("ExecutionName", "x"),
            ("Qualifier", "nosuch"),
        ],
    )
    .await
    .err(404, "FlowAliasNotExists");

    let l = s
        .get("ListFlowVersions", &[("FlowName", "v"), ("Limit", "1")])
        .await
        .ok();
    assert_eq!(l.body["FlowVersions"][0]["Version"], "2");
    assert_eq!(l.s("NextToken"), "1");
    let l2 = s
        .get(
            "ListFlowVersions",
            &[("FlowName", "v"), ("Limit", "1"), ("NextToken", "1")],
        )
        .await
        .ok();
    assert_eq!(l2.body["FlowVersions"][0]["Version"], "1");
    assert!(l2.body.get("NextToken").is_none());

    // Aliases route by weight.
    let a = s
        .call(
            "CreateFlowAlias",
            &[
                ("FlowName", "v"),
                ("Name", "prod"),
                ("RoutingConfigurations", r#"[{"Version":"1","Weight":100}]"#),
                ("Description", "p"),
            ],
        )
        .await
        .ok();
    assert_eq!(a.body["RoutingConfigurations"][0]["Weight"], 100);
    s.call(
        "CreateFlowAlias",
        &[
            ("FlowName", "v"),
            ("Name", "prod"),
            ("RoutingConfigurations", r#"[{"Version":"1","Weight":100}]"#),
        ],
    )
    .await
    .err(409, "FlowAliasAlreadyExists");
    for bad in [
        r#"[{"Version":"1","Weight":50}]"#,
        r#"[]"#,
        r#"{"Version":"1"}"#,
        r#"[{"Version":"1","Weight":50},{"Version":"1","Weight":50}]"#,
    ] {
        s.call(
            "CreateFlowAlias",
            &[
                ("FlowName", "v"),
                ("Name", "bad"),
                ("RoutingConfigurations", bad),
            ],
        )
        .await
        .err(400, "InvalidArgument");
    }
    s.call(
        "CreateFlowAlias",
        &[
            ("FlowName", "v"),
            ("Name", "bad"),
            ("RoutingConfigurations", r#"[{"Version":"5","Weight":100}]"#),
        ],
    )
    .await
    .err(404, "FlowVersionNotExists");
    s.call(
        "StartExecution",
        &[
            ("FlowName", "v"),
            ("ExecutionName", "viaAlias"),
            ("Qualifier", "prod"),
        ],
    )
    .await
    .ok();
    assert_eq!(output_of(&s, "v", "viaAlias").await["tag"], "one");
    let u = s
        .call(
            "UpdateFlowAlias",
            &[
                ("FlowName", "v"),
                ("Name", "prod"),
                (
                    "RoutingConfigurations",
                    r#"[{"Version":"1","Weight":0},{"Version":"2","Weight":100}]"#,
                ),
            ],
        )
        .await
        .ok();
    assert_eq!(u.body["Alias"]["Description"], "p");
    s.call(
        "StartExecution",
        &[
            ("FlowName", "v"),
            ("ExecutionName", "viaAlias2"),
            ("Qualifier", "prod"),
        ],
    )
    .await
    .ok();
    assert_eq!(output_of(&s, "v", "viaAlias2").await["tag"], "two");
    let d = s
        .get("DescribeFlowAlias", &[("FlowName", "v"), ("Name", "prod")])
        .await
        .ok();
    assert_eq!(
        d.body["Alias"]["RoutingConfigurations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let la = s.get("ListFlowAliases", &[("FlowName", "v")]).await.ok();
    assert_eq!(la.body["Aliases"][0]["Name"], "prod");

    // ListExecutions by qualifier (the alias, or the version it resolved to).
    let byalias = s
        .get(
            "ListExecutions",
            &[("FlowName", "v"), ("Qualifier", "prod")],
        )
        .await
        .ok();
    assert_eq!(byalias.body["Executions"].as_array().unwrap().len(), 2);
    let byv1 = s
        .get("ListExecutions", &[("FlowName", "v"), ("Qualifier", "1")])
        .await
        .ok();
    assert_eq!(
        byv1.body["Executions"].as_array().unwrap().len(),
        2,
        "q1 and viaAlias ran version 1"
    );

    // A version an alias routes to cannot be deleted.
    s.call(
        "DeleteFlowVersion",
        &[("FlowName", "v"), ("FlowVersion", "2")],
    )
    .await
    .err(400, "InvalidArgument");
    s.call("DeleteFlowAlias", &[("FlowName", "v"), ("Name", "prod")])
        .await
        .ok();
    s.call("DeleteFlowAlias", &[("FlowName", "v"), ("Name", "prod")])
        .await
        .err(404, "FlowAliasNotExists");
    s.get("DescribeFlowAlias", &[("FlowName", "v"), ("Name", "prod")])
        .await
        .err(404, "FlowAliasNotExists");
    s.call(
        "DeleteFlowVersion",
        &[("FlowName", "v"), ("FlowVersion", "2")],
    )
    .await
    .ok();
    s.call(
        "DeleteFlowVersion",
        &[("FlowName", "v"), ("FlowVersion", "2")],
    )
    .await
    .err(404, "FlowVersionNotExists");
    s.call(
        "DeleteFlowVersion",
        &[("FlowName", "v"), ("FlowVersion", "x")],
    )
    .await
    .err(400, "InvalidArgument");
    s.call("PublishFlowVersion", &[("FlowName", "nope")])
        .await
        .err(404, "FlowNotExists");
    let v3 = s
        .call("PublishFlowVersion", &[("FlowName", "v")])
        .await
        .ok();
    assert_eq!(v3.s("Version"), "3", "numbers are never reused");
}
