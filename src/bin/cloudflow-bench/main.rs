//! `cloudflow-bench`: the load tool behind BENCHMARKS.md.
//!
//! It signs every request exactly as the official SDKs do (V1 HMAC-SHA1: common parameters in the
//! query, action parameters in a form body, POST) and drives a server over keep-alive HTTP/1.1
//! connections, one connection per worker. By default it spawns the release server binary next to
//! itself on a free 127.0.0.1 port (so it can read that process's RSS from `/proc`), and it also
//! spawns a *baseline*: a bare axum handler answering a fixed JSON body, driven with the very same
//! signed requests, so every figure is also given as a ratio to what this machine can do at all.
//!
//! Everything is bounded: each load phase stops after `--duration` seconds (default 10, at most
//! 300) or `--requests` iterations, setup phases after `--setup-timeout` seconds, and only
//! 127.0.0.1 is ever contacted.
//!
//! Modules: [`conn`] (signing, one keep-alive connection), [`load`] (the workloads and the load
//! loop), [`stats`] (latencies, errors, the report), [`procs`] (server and baseline processes,
//! RSS), [`cmds`] (the subcommands).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use cloudflow_emulator::protocol::signature::{percent_encode, v1_signature, v1_string_to_sign};
use hyper::body::Bytes;

/// Access key the spawned server is started with.
const AK: &str = "benchAccessKeyId";
/// Its secret.
const SK: &str = "benchAccessKeySecret";
/// Longest load phase.
const MAX_DURATION_SECS: f64 = 300.0;
/// How long after a load phase's deadline the tool waits for answers still outstanding.
const STUCK_GRACE: Duration = Duration::from_secs(30);
/// A flow whose executions park in a Wait until a fixed far-future time.
const PARK_FLOW: &str = "Type: StateMachine\nSpecVersion: v1\nName: bench_park\nStartAt: Hold\nStates:\n  - Type: Wait\n    Name: Hold\n    UntilDateTime: \"2099-01-01T00:00:00Z\"\n    Next: Done\n  - Type: Succeed\n    Name: Done\n";
/// The baseline's fixed answer: about the size of a DescribeExecution answer.
const BASELINE_BODY: &str = r#"{"RequestId":"3C1F2A9E-4B7D-4E8A-9C61-0D2B5E7F8A91","Name":"w0","FlowName":"bench_park","FlowDefinition":"Type: StateMachine\nSpecVersion: v1\nName: bench_park\nStartAt: Hold\nStates:\n  - Type: Wait\n    Name: Hold\n    UntilDateTime: \"2099-01-01T00:00:00Z\"\n    Next: Done\n  - Type: Succeed\n    Name: Done\n","Input":"{}","Status":"Running","StartedTime":"2026-01-01T00:00:00.000Z"}"#;

#[derive(Parser, Debug)]
#[command(
    name = "cloudflow-bench",
    about = "Load tool for cloudflow-emulator (signed requests, keep-alive, bounded)"
)]
struct Cli {
    /// Runtime threads of this load tool (default: half the cores, at least 1). With the server's
    /// default of cores − 1 workers, one thread on a 2-core machine keeps the two processes from
    /// preempting each other (three busy threads on two cores make the tail follow the
    /// scheduler's time slices).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// (a) DescribeExecution loop over running executions (one per connection).
    Describe(Load),
    /// (b) StopExecution: park `--executions` executions, then stop every one of them.
    Stop(Park),
    /// (c) Lifecycle loop: StartExecution -> DescribeExecution -> StopExecution.
    Lifecycle(Load),
    /// (d) StartExecution of executions that park in a Wait; then RSS, optional stops of a
    /// sample while the rest run, and ListExecutions first page vs last page.
    Park(Park),
    /// Only the bare-axum baseline (the machine's limit for these requests).
    Baseline(Load),
    /// Start-up time to a 200 from /_emulator/health, and idle RSS.
    Startup(StartupOpts),
    /// (internal) serve the baseline: a bare axum handler with a fixed JSON body.
    #[command(hide = true)]
    ServeBaseline {
        #[arg(long)]
        listen: SocketAddr,
        /// Worker threads (the emulator's default: cores − 1, at least 1).
        #[arg(long)]
        workers: Option<usize>,
    },
}

#[derive(Args, Debug, Clone)]
struct Target {
    /// Use a running server at this address instead of spawning one (e.g. 127.0.0.1:8080);
    /// it must accept --access-key-id/--access-key-secret below.
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// PID of the server at --addr, to report its RSS.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Server binary to spawn (default: cloudflow-emulator next to this binary).
    #[arg(long)]
    server_bin: Option<String>,
    /// Extra argument for the spawned server (repeatable), e.g. --server-arg=--auth=off.
    #[arg(long, allow_hyphen_values = true)]
    server_arg: Vec<String>,
    /// RUST_LOG of the spawned server (its default is info: one line per request).
    #[arg(long, default_value = "info")]
    server_log: String,
    /// AccessKeyId to sign with.
    #[arg(long, default_value = AK)]
    access_key_id: String,
    /// AccessKeySecret to sign with.
    #[arg(long, default_value = SK)]
    access_key_secret: String,
    /// Skip the bare-axum baseline.
    #[arg(long)]
    no_baseline: bool,
    /// Longest setup phase (creating and parking executions), seconds.
    #[arg(long, default_value_t = 300.0)]
    setup_timeout: f64,
}

#[derive(Args, Debug, Clone)]
struct Load {
    #[command(flatten)]
    target: Target,
    /// Concurrent keep-alive connections (one worker each).
    #[arg(long, short = 'c', default_value_t = 64)]
    connections: usize,
    /// Length of the load phase, seconds (at most 300).
    #[arg(long, short = 'd', default_value_t = 10.0)]
    duration: f64,
    /// Stop after this many iterations (whichever of this and --duration comes first).
    #[arg(long, short = 'n')]
    requests: Option<u64>,
    /// Iterations per second over all connections (default: as fast as possible).
    #[arg(long)]
    rate: Option<f64>,
}

#[derive(Args, Debug, Clone)]
struct Park {
    #[command(flatten)]
    load: Load,
    /// Executions to start (they park in a Wait until 2099).
    #[arg(long, default_value_t = 20_000)]
    executions: u64,
    /// `park`: stop this many of them (evenly spread) while the rest keep running.
    #[arg(long, default_value_t = 0)]
    stop: u64,
    /// `park`: ListExecutions requests for the first page and for the last page (Limit=100).
    #[arg(long, default_value_t = 0)]
    list: u64,
}

#[derive(Args, Debug, Clone)]
struct StartupOpts {
    #[command(flatten)]
    target: Target,
    /// How many times to start the server.
    #[arg(long, default_value_t = 10)]
    runs: u32,
}

mod cmds;
mod conn;
mod load;
mod procs;
mod stats;

use cmds::*;
use conn::*;
use load::*;
use procs::*;
use stats::*;

fn main() {
    let cli = Cli::parse();
    if let Cmd::Startup(o) = cli.cmd {
        cmd_startup(o);
        return;
    }
    let threads = match &cli.cmd {
        Cmd::ServeBaseline { workers, .. } => workers.unwrap_or_else(server_default_workers),
        _ => cli.threads.unwrap_or_else(|| (cores() / 2).max(1)),
    }
    .max(1);
    if !matches!(cli.cmd, Cmd::ServeBaseline { .. }) {
        println!(
            "load tool: {threads} runtime thread(s) on {} core(s); servers: {} worker(s) by default",
            cores(),
            server_default_workers()
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        match cli.cmd {
            Cmd::Describe(o) => cmd_describe(o).await,
            Cmd::Lifecycle(o) => cmd_lifecycle(o).await,
            Cmd::Park(o) => cmd_park(o, false).await,
            Cmd::Stop(o) => cmd_park(o, true).await,
            Cmd::Baseline(o) => cmd_baseline(o).await,
            Cmd::ServeBaseline { listen, .. } => serve_baseline(listen).await,
            Cmd::Startup(_) => unreachable!("handled above"),
        }
    });
}
