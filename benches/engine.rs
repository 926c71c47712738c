//! Engine costs: expression evaluation, and the interpreter on a chain of Pass states and on an
//! inline Map of 100,000 Pass items, with the history recorded as the server records it.
//! Run: `cargo bench --bench engine`.
//!
//! The executions are built and spawned exactly as StartExecution does (`Execution::new` +
//! `engine::spawn`), without HTTP. The 100,000 Map items come from `$Context.Execution.Input`
//! (the Map state's own input is shrunk by its InputConstructor and its output by its
//! OutputConstructor), so the 64 KiB state-I/O limit holds without changing the engine.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use cloudflow_emulator::clock::Clock;
use cloudflow_emulator::engine::definition::{parse, ExecutionMode, FlowDef};
use cloudflow_emulator::engine::expr::{Expr, Var};
use cloudflow_emulator::engine::tasks::{mocks::MockConfig, TaskEnv};
use cloudflow_emulator::store::{DefinitionText, Execution, NewExecution, Status};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};

fn expressions(c: &mut Criterion) {
    let mut scope: HashMap<Var, Value> = HashMap::new();
    scope.insert(
        Var::Input,
        json!({"order": {"id": 123, "total": 99.5, "items": ["a", "b", "c"], "customer": {"tier": "gold"}}}),
    );
    scope.insert(Var::Output, json!({"Body": {"charged": true}}));
    let cases = [
        ("path", "$Input.order.customer.tier"),
        (
            "condition",
            r#"$Input.order.total > 50 && $Input.order.customer.tier == "gold""#,
        ),
        (
            "functions",
            r#"format("{}-{}", $Input.order.id, length($Input.order.items))"#,
        ),
        (
            "jsonMerge",
            r#"jsonMerge($Input.order, {"charged": $Output.Body.charged})"#,
        ),
    ];
    let mut g = c.benchmark_group("expr");
    g.throughput(Throughput::Elements(1));
    for (name, src) in cases {
        g.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| Expr::parse(black_box(src)).unwrap())
        });
        let e = Expr::parse(src).unwrap();
        e.eval(&scope).unwrap();
        g.bench_function(format!("eval/{name}"), |b| {
            b.iter(|| e.eval(black_box(&scope)).unwrap())
        });
    }
    g.finish();
}

fn pass_chain(n: usize) -> String {
    let mut d =
        String::from("Type: StateMachine\nSpecVersion: v1\nName: chain\nStartAt: P0\nStates:\n");
    for i in 0..n {
        d.push_str(&format!("  - Type: Pass\n    Name: P{i}\n"));
        if i + 1 == n {
            d.push_str("    End: true\n");
        } else {
            d.push_str(&format!("    Next: P{}\n", i + 1));
        }
    }
    d
}

const MAP_FLOW: &str = r#"Type: StateMachine
SpecVersion: v1
Name: bigmap
StartAt: M
States:
  - Type: Map
    Name: M
    InputConstructor:
      note: items come from $Context.Execution.Input
    ItemsPath: $Context.Execution.Input.items
    MaxConcurrency: 40
    Processor:
      StartAt: Item
      States:
        - Type: Pass
          Name: Item
          End: true
    OutputConstructor:
      count.$: length($Output.Items)
    End: true
"#;

struct Env {
    clock: Arc<Clock>,
    tasks: Arc<TaskEnv>,
}

fn definition(text: &str) -> Arc<FlowDef> {
    Arc::new(parse(text, ExecutionMode::Standard).unwrap_or_else(|e| panic!("{e:?}")))
}

/// Start one execution as StartExecution does and wait for its end; returns it.
async fn run_once(
    env: &Env,
    text: &Arc<DefinitionText>,
    def: &Arc<FlowDef>,
    input: &str,
) -> Arc<Execution> {
    let exec = Arc::new(Execution::new(NewExecution {
        name: "bench".into(),
        flow_name: "bench".into(),
        input: input.to_string(),
        definition_text: text.clone(),
        definition: def.clone(),
        role_arn: None,
        environment: None,
        callback_token: None,
        qualifier: None,
        map_run: None,
        version: None,
        started_time: env.clock.now(),
    }));
    let flow = Arc::new(cloudflow_emulator::store::Flow::new(
        "bench".into(),
        "bench".into(),
        env.clock.now(),
        cloudflow_emulator::store::FlowMeta {
            definition_text: text.clone(),
            definition: def.clone(),
            description: String::new(),
            flow_type: "FDL".into(),
            role_arn: None,
            environment: None,
            execution_mode: "Standard".into(),
            external_storage_location: None,
            resource_group_id: None,
            last_modified_time: env.clock.now(),
        },
    ));
    cloudflow_emulator::engine::spawn(
        exec.clone(),
        flow,
        env.clock.clone(),
        env.tasks.clone(),
        "bench".into(),
    );
    // Every end cancels the execution's token.
    exec.cancel.cancelled().await;
    exec
}

fn interpreter(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let env = Env {
        clock: Arc::new(Clock::new(1.0)),
        tasks: Arc::new(TaskEnv::new(Vec::new(), MockConfig::default())),
    };

    // A chain of 1,000 Pass states: 1,000 transitions, 4 history events each.
    const N: usize = 1000;
    let text = Arc::new(DefinitionText::from(pass_chain(N)));
    let def = definition(&text);
    let input = r#"{"order":{"id":123,"items":["a","b","c"]}}"#;
    let e = rt.block_on(run_once(&env, &text, &def, input));
    assert_eq!(e.status(), Status::Succeeded);
    assert_eq!(e.lock().history.len(), 2 + 4 * N, "history is recorded");
    let mut g = c.benchmark_group("interpreter");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("pass_chain_1000 (elements = transitions)", |b| {
        b.iter_with_large_drop(|| rt.block_on(run_once(&env, &text, &def, input)))
    });
    g.finish();

    // An inline Map of 100,000 Pass items.
    const ITEMS: usize = 100_000;
    let text = Arc::new(DefinitionText::from(MAP_FLOW));
    let def = definition(&text);
    let items: Vec<Value> = (0..ITEMS).map(|i| json!({ "i": i })).collect();
    let input = json!({ "items": items }).to_string();
    let e = rt.block_on(run_once(&env, &text, &def, &input));
    let (status, output, events) = {
        let st = e.lock();
        (st.status, st.output.clone(), st.history.len())
    };
    assert_eq!(status, Status::Succeeded, "{output:?}");
    assert_eq!(output.as_deref(), Some(r#"{"count":100000}"#));
    assert!(events > 6 * ITEMS, "history is recorded ({events} events)");
    let mut g = c.benchmark_group("interpreter");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(ITEMS as u64));
    g.bench_function("map_100000_pass (elements = items)", |b| {
        b.iter_with_large_drop(|| rt.block_on(run_once(&env, &text, &def, &input)))
    });
    g.finish();
}

criterion_group!(engine, expressions, interpreter);
criterion_main!(engine);
