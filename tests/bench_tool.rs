//! The load tool behind BENCHMARKS.md, run as a process against the server binary: each
//! subcommand completes, reports no errors and prints the figures it promises. Small counts and
//! short durations: this checks the instrument works, it measures nothing.

use std::process::Command;
use std::time::{Duration, Instant};

const BENCH: &str = env!("CARGO_BIN_EXE_cloudflow-bench");
const SERVER: &str = env!("CARGO_BIN_EXE_cloudflow-emulator");

/// Run the tool with `args` (plus `--server-bin`), bounded by the tool itself; its stdout.
fn bench(args: &[&str]) -> String {
    let started = Instant::now();
    let out = Command::new(BENCH)
        .args(args)
        .args(["--server-bin", SERVER, "--server-log", "warn"])
        .output()
        .expect("cloudflow-bench runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "{args:?} took {:?}",
        started.elapsed()
    );
    stdout
}

/// The number before `what` on the first line that starts with `label` and contains `what`.
fn figure(out: &str, label: &str, what: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.starts_with(label) && l.contains(what))
        .unwrap_or_else(|| panic!("no line {label:?} in:\n{out}"));
    let before = line
        .split(what)
        .next()
        .unwrap_or_else(|| panic!("no {what:?} in {line:?}"));
    before
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number before {what:?} in {line:?}"))
}

fn no_errors(out: &str) {
    for line in out.lines().filter(|l| l.contains("with errors")) {
        assert!(line.contains(", 0 with errors"), "{line}\n{out}");
    }
    assert!(!out.contains("errors: {"), "{out}");
}

#[test]
fn describe_runs_against_the_server_and_the_baseline() {
    let out = bench(&[
        "--threads",
        "1",
        "describe",
        "-c",
        "4",
        "-n",
        "400",
        "-d",
        "20",
    ]);
    no_errors(&out);
    assert!(out.contains("load tool: 1 runtime thread(s)"), "{out}");
    assert_eq!(figure(&out, "[DescribeExecution] ", "requests,"), 400.0);
    assert_eq!(
        figure(&out, "[baseline: bare axum", "requests,"),
        400.0,
        "{out}"
    );
    let pct = figure(&out, "[DescribeExecution] ", "% of the baseline");
    assert!(pct > 0.0, "{out}");
    assert!(
        figure(&out, "[after load] server RSS", "MiB") > 1.0,
        "{out}"
    );
}

#[test]
fn lifecycle_starts_describes_and_stops() {
    let out = bench(&[
        "lifecycle",
        "-c",
        "2",
        "-n",
        "100",
        "-d",
        "20",
        "--no-baseline",
    ]);
    no_errors(&out);
    assert!(out.contains("all 200: 100)"), "{out}");
}

#[test]
fn park_stop_and_list_report_memory_and_latency() {
    let out = bench(&[
        "park",
        "--executions",
        "300",
        "-c",
        "2",
        "--stop",
        "30",
        "--rate",
        "1000",
        "--list",
        "5",
        "--no-baseline",
    ]);
    no_errors(&out);
    assert!(
        figure(&out, "[300 executions parked] server RSS", "MiB") > 1.0,
        "{out}"
    );
    assert!(out.contains("[ListExecutions first page]"), "{out}");
    assert!(out.contains("[ListExecutions last page]"), "{out}");
    assert!(
        figure(
            &out,
            "[StopExecution of 30 while 270 others run]",
            "requests,"
        ) == 30.0,
        "{out}"
    );
    let all = bench(&["stop", "--executions", "50", "-c", "4", "--no-baseline"]);
    no_errors(&all);
    assert!(
        all.contains("[StopExecution of all 50 parked executions]"),
        "{all}"
    );
}

#[test]
fn startup_reports_time_and_idle_rss() {
    let out = bench(&["startup", "--runs", "2"]);
    assert!(out.contains("[startup] spawn -> first 200"), "{out}");
    assert!(figure(&out, "[startup] idle RSS", "MiB") > 0.5, "{out}");
}
