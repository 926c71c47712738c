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

// ---------------------------------------------------------------------------------------------
// Signing and one keep-alive connection

#[derive(Clone)]
struct Signer {
    ak: String,
    sk: String,
}

impl Signer {
    /// `(path-and-query, form body)` of a signed POST, as the Tea SDK sends it.
    fn sign(&self, action: &str, params: &[(&str, &str)]) -> (String, String) {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let common: [(&str, &str); 8] = [
            ("Action", action),
            ("Version", "2019-03-15"),
            ("Format", "JSON"),
            ("AccessKeyId", &self.ak),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", &nonce),
            ("Timestamp", &ts),
        ];
        let mut all: Vec<(&str, &str)> = common.iter().chain(params.iter()).copied().collect();
        all.sort_unstable();
        let sts = v1_string_to_sign("POST", all.into_iter());
        let sig = v1_signature(&sts, &self.sk);
        let mut query = String::from("/?");
        query.push_str(&encode(&common));
        query.push_str("&Signature=");
        query.push_str(&percent_encode(&sig));
        (query, encode(params))
    }
}

fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&percent_encode(k));
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

/// One keep-alive HTTP/1.1 connection. Requests are written and answers read on the calling
/// task itself (no connection task and channel hop as with hyper's client): the tool's CPU per
/// request stays small next to the server's, so its own queueing barely shows in the latency.
/// Answers are parsed with `httparse`; they must carry a `Content-Length` (the emulator's and
/// the baseline's always do).
struct Conn {
    addr: SocketAddr,
    authority: String,
    stream: tokio::net::TcpStream,
    /// Bytes read and not yet consumed.
    inbuf: Vec<u8>,
    /// The request being written.
    outbuf: Vec<u8>,
}

/// Largest answer head or body the tool accepts.
const MAX_ANSWER: usize = 16 * 1024 * 1024;

impl Conn {
    async fn open(addr: SocketAddr) -> Result<Conn, String> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        Ok(Conn {
            addr,
            authority: addr.to_string(),
            stream,
            inbuf: Vec::with_capacity(8192),
            outbuf: Vec::with_capacity(2048),
        })
    }

    /// POST a form body; the status and, unless it is 200, the body.
    async fn post(&mut self, path: &str, body: &str) -> Result<(u16, Vec<u8>), String> {
        use std::io::Write as _;
        use tokio::io::AsyncWriteExt;
        self.outbuf.clear();
        let _ = write!(
            self.outbuf,
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            self.authority,
            body.len()
        );
        self.outbuf.extend_from_slice(body.as_bytes());
        self.stream
            .write_all(&self.outbuf)
            .await
            .map_err(|e| format!("write: {e}"))?;
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.inbuf) {
                Ok(httparse::Status::Complete(head)) => {
                    let status = resp.code.unwrap_or(0);
                    let len = resp
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .and_then(|h| std::str::from_utf8(h.value).ok())
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .filter(|n| *n <= MAX_ANSWER)
                        .ok_or("answer: no usable Content-Length")?;
                    while self.inbuf.len() < head + len {
                        self.read_more().await?;
                    }
                    let body = if status == 200 {
                        Vec::new()
                    } else {
                        self.inbuf[head..head + len].to_vec()
                    };
                    self.inbuf.drain(..head + len);
                    return Ok((status, body));
                }
                Ok(httparse::Status::Partial) if self.inbuf.len() < MAX_ANSWER => {
                    self.read_more().await?
                }
                Ok(httparse::Status::Partial) => return Err("answer: head too large".into()),
                Err(e) => return Err(format!("answer: {e}")),
            }
        }
    }

    async fn read_more(&mut self) -> Result<(), String> {
        use tokio::io::AsyncReadExt;
        self.inbuf.reserve(4096);
        match self.stream.read_buf(&mut self.inbuf).await {
            Ok(0) => Err("read: connection closed".into()),
            Ok(_) => Ok(()),
            Err(e) => Err(format!("read: {e}")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Statistics

#[derive(Default)]
struct Stats {
    /// Latency in nanoseconds, per action.
    lat: BTreeMap<&'static str, Vec<u64>>,
    /// Error code (or transport error) -> count.
    errors: BTreeMap<String, u64>,
    /// Completed iterations (all of their requests answered 200).
    iterations_ok: u64,
    /// Iterations with at least one error.
    iterations_err: u64,
}

impl Stats {
    fn merge(&mut self, o: Stats) {
        for (k, mut v) in o.lat {
            self.lat.entry(k).or_default().append(&mut v);
        }
        for (k, n) in o.errors {
            *self.errors.entry(k).or_default() += n;
        }
        self.iterations_ok += o.iterations_ok;
        self.iterations_err += o.iterations_err;
    }

    fn requests(&self) -> u64 {
        self.lat.values().map(|v| v.len() as u64).sum()
    }

    fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[idx.clamp(1, sorted.len()) - 1] as f64 / 1e6
}

/// The result of one load phase.
struct Report {
    label: String,
    elapsed: f64,
    stats: Stats,
}

impl Report {
    fn req_per_s(&self) -> f64 {
        self.stats.requests() as f64 / self.elapsed
    }
    fn iter_per_s(&self) -> f64 {
        (self.stats.iterations_ok + self.stats.iterations_err) as f64 / self.elapsed
    }
    fn p99_ms(&self, action: &str) -> f64 {
        let mut v = self.stats.lat.get(action).cloned().unwrap_or_default();
        v.sort_unstable();
        pct(&v, 99.0)
    }

    fn print(&mut self) {
        let s = &mut self.stats;
        println!(
            "[{}] {:.2} s: {} requests, {:.0} req/s; {} iterations ({:.0}/s), {} with errors",
            self.label,
            self.elapsed,
            s.requests(),
            s.requests() as f64 / self.elapsed,
            s.iterations_ok + s.iterations_err,
            (s.iterations_ok + s.iterations_err) as f64 / self.elapsed,
            s.iterations_err
        );
        for (action, v) in s.lat.iter_mut() {
            v.sort_unstable();
            println!(
                "    {:<18} n={:<8} p50={:.3} ms  p99={:.3} ms  p99.9={:.3} ms  max={:.3} ms",
                action,
                v.len(),
                pct(v, 50.0),
                pct(v, 99.0),
                pct(v, 99.9),
                pct(v, 100.0)
            );
        }
        if s.errors.is_empty() {
            println!("    errors: none");
        } else {
            let list: Vec<String> = s.errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            println!("    errors: {}", list.join(", "));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Workloads

#[derive(Clone)]
enum Work {
    /// DescribeExecution of `names[i % len]` of `flow`.
    Describe {
        flow: Arc<str>,
        names: Arc<Vec<String>>,
    },
    /// StopExecution of `names[i]`; ends when the list is exhausted.
    Stop {
        flow: Arc<str>,
        names: Arc<Vec<String>>,
    },
    /// StartExecution named `{prefix}{i}`.
    Start { flow: Arc<str>, prefix: Arc<str> },
    /// Start -> Describe -> Stop of `{prefix}{i}`.
    Lifecycle { flow: Arc<str>, prefix: Arc<str> },
    /// ListExecutions (Limit=100) from `token`.
    List {
        flow: Arc<str>,
        token: Option<Arc<str>>,
    },
}

impl Work {
    /// Number of iterations this work has at most.
    fn cap(&self) -> Option<u64> {
        match self {
            Work::Stop { names, .. } => Some(names.len() as u64),
            _ => None,
        }
    }
}

/// One signed call; records latency and errors. `true` on a 200.
async fn call(
    conn: &mut Option<Conn>,
    signer: &Signer,
    action: &'static str,
    params: &[(&str, &str)],
    stats: &mut Stats,
) -> bool {
    let (path, body) = signer.sign(action, params);
    let Some(c) = conn.as_mut() else {
        return false;
    };
    let t = Instant::now();
    let r = c.post(&path, &body).await;
    let ns = t.elapsed().as_nanos() as u64;
    stats.lat.entry(action).or_default().push(ns);
    match r {
        Ok((200, _)) => true,
        Ok((status, body)) => {
            let code = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["Code"].as_str().map(str::to_string))
                .unwrap_or_else(|| format!("HTTP {status}"));
            *stats.errors.entry(format!("{action}/{code}")).or_default() += 1;
            false
        }
        Err(e) => {
            let kind = e.split(':').next().unwrap_or("").to_string();
            *stats
                .errors
                .entry(format!("{action}/transport: {kind}"))
                .or_default() += 1;
            let addr = c.addr;
            *conn = Conn::open(addr).await.ok();
            false
        }
    }
}

async fn iteration(
    work: &Work,
    i: u64,
    conn: &mut Option<Conn>,
    s: &Signer,
    st: &mut Stats,
) -> bool {
    match work {
        Work::Describe { flow, names } => {
            let name = &names[(i % names.len() as u64) as usize];
            call(
                conn,
                s,
                "DescribeExecution",
                &[("FlowName", flow), ("ExecutionName", name)],
                st,
            )
            .await
        }
        Work::Stop { flow, names } => {
            let name = &names[i as usize];
            call(
                conn,
                s,
                "StopExecution",
                &[
                    ("FlowName", flow),
                    ("ExecutionName", name),
                    ("Error", "Bench"),
                    ("Cause", "stopped by cloudflow-bench"),
                ],
                st,
            )
            .await
        }
        Work::Start { flow, prefix } => {
            let name = format!("{prefix}{i}");
            call(
                conn,
                s,
                "StartExecution",
                &[
                    ("FlowName", flow),
                    ("ExecutionName", &name),
                    ("Input", "{}"),
                ],
                st,
            )
            .await
        }
        Work::Lifecycle { flow, prefix } => {
            let name = format!("{prefix}{i}");
            let p = [("FlowName", &**flow), ("ExecutionName", name.as_str())];
            let a = call(
                conn,
                s,
                "StartExecution",
                &[p[0], p[1], ("Input", "{}")],
                st,
            )
            .await;
            let b = call(conn, s, "DescribeExecution", &p, st).await;
            let c = call(
                conn,
                s,
                "StopExecution",
                &[p[0], p[1], ("Error", "Bench"), ("Cause", "lifecycle")],
                st,
            )
            .await;
            a && b && c
        }
        Work::List { flow, token } => {
            let mut p = vec![("FlowName", &**flow), ("Limit", "100")];
            if let Some(t) = token {
                p.push(("NextToken", t));
            }
            call(conn, s, "ListExecutions", &p, st).await
        }
    }
}

struct Limits {
    connections: usize,
    duration: f64,
    requests: Option<u64>,
    rate: Option<f64>,
}

/// Run `work` against `addr` until the limits say stop.
async fn run_load(
    label: &str,
    addr: SocketAddr,
    signer: &Signer,
    work: Work,
    l: &Limits,
) -> Report {
    let cap = match (l.requests, work.cap()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let next = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(l.duration.clamp(0.01, MAX_DURATION_SECS));
    let mut tasks = Vec::new();
    for _ in 0..l.connections.max(1) {
        let (next, work, signer, rate) = (next.clone(), work.clone(), signer.clone(), l.rate);
        tasks.push(tokio::spawn(async move {
            let mut st = Stats::default();
            let mut conn = match Conn::open(addr).await {
                Ok(c) => Some(c),
                Err(e) => {
                    *st.errors.entry(format!("connect: {e}")).or_default() += 1;
                    return st;
                }
            };
            loop {
                if Instant::now() >= deadline || conn.is_none() {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if cap.is_some_and(|c| i >= c) {
                    break;
                }
                if let Some(r) = rate.filter(|r| *r > 0.0) {
                    let at = t0 + Duration::from_secs_f64(i as f64 / r);
                    if at >= deadline {
                        break;
                    }
                    tokio::time::sleep_until(at.into()).await;
                }
                if iteration(&work, i, &mut conn, &signer, &mut st).await {
                    st.iterations_ok += 1;
                } else {
                    st.iterations_err += 1;
                }
            }
            st
        }));
    }
    let mut stats = Stats::default();
    // A server that stops answering must not hold the tool: connections still waiting this long
    // after the deadline are abandoned and counted.
    let give_up = deadline + STUCK_GRACE;
    for mut t in tasks {
        match tokio::time::timeout_at(give_up.into(), &mut t).await {
            Ok(Ok(s)) => stats.merge(s),
            Ok(Err(_)) => {}
            Err(_) => {
                t.abort();
                *stats
                    .errors
                    .entry("transport: no answer within 30 s of the deadline".into())
                    .or_default() += 1;
            }
        }
    }
    Report {
        label: label.to_string(),
        elapsed: t0.elapsed().as_secs_f64(),
        stats,
    }
}

// ---------------------------------------------------------------------------------------------
// Processes: the server, the baseline, /proc

struct Proc {
    child: Option<Child>,
    pid: Option<u32>,
    addr: SocketAddr,
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr")
}

fn sibling(name: &str) -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join(name)))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| name.to_string())
}

/// Poll `GET /_emulator/health` until a 200 (blocking, 0.2 ms between tries, at most `limit`).
fn wait_healthy(addr: SocketAddr, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let req = format!(
                "GET /_emulator/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
            );
            if s.write_all(req.as_bytes()).is_ok() {
                let mut buf = Vec::new();
                let _ = s.read_to_end(&mut buf);
                if buf.starts_with(b"HTTP/1.1 200") {
                    return Some(t0.elapsed());
                }
            }
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    None
}

/// Spawn the emulator on a free port; returns it with the time to its first healthy answer.
fn spawn_server(t: &Target) -> (Proc, Duration) {
    let addr = free_port();
    let bin = t
        .server_bin
        .clone()
        .unwrap_or_else(|| sibling("cloudflow-emulator"));
    let t0 = Instant::now();
    let child = Command::new(&bin)
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--access-key-id")
        .arg(&t.access_key_id)
        .arg("--access-key-secret")
        .arg(&t.access_key_secret)
        .args(&t.server_arg)
        .env("RUST_LOG", &t.server_log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let pid = child.id();
    let proc = Proc {
        child: Some(child),
        pid: Some(pid),
        addr,
    };
    let _ = t0;
    let up = wait_healthy(addr, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("{bin} did not answer /_emulator/health within 10 s"));
    (proc, up)
}

fn server(t: &Target) -> Proc {
    match t.addr {
        Some(addr) => Proc {
            child: None,
            pid: t.server_pid,
            addr,
        },
        None => {
            let (p, up) = spawn_server(t);
            println!(
                "server: spawned pid {} on {} (healthy after {:.1} ms), RUST_LOG={}",
                p.pid.unwrap_or(0),
                p.addr,
                up.as_secs_f64() * 1e3,
                t.server_log
            );
            p
        }
    }
}

/// Cores of this machine.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The emulator's default worker count (`Config::worker_threads`): cores − 1, at least 1. The
/// baseline runs with the same, so the two are compared like for like.
fn server_default_workers() -> usize {
    cores().saturating_sub(1).max(1)
}

fn spawn_baseline() -> Proc {
    let addr = free_port();
    let child = Command::new(std::env::current_exe().expect("current exe"))
        .arg("serve-baseline")
        .arg("--listen")
        .arg(addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start the baseline");
    let pid = child.id();
    let p = Proc {
        child: Some(child),
        pid: Some(pid),
        addr,
    };
    wait_healthy(addr, Duration::from_secs(10)).expect("baseline did not start");
    p
}

/// `(VmRSS, VmHWM)` of a process in KiB.
fn rss_kib(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn print_rss(label: &str, pid: Option<u32>) -> Option<(u64, u64)> {
    let r = pid.and_then(rss_kib);
    match r {
        Some((rss, hwm)) => println!(
            "[{label}] server RSS {:.1} MiB (VmRSS), peak {:.1} MiB (VmHWM)",
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        ),
        None => println!("[{label}] server RSS unknown (give --server-pid)"),
    }
    r
}

async fn serve_baseline(listen: SocketAddr) {
    async fn answer(_body: Bytes) -> impl axum::response::IntoResponse {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            BASELINE_BODY,
        )
    }
    let app = axum::Router::new().fallback(answer);
    let l = tokio::net::TcpListener::bind(listen)
        .await
        .expect("baseline bind");
    // Bounded: the parent kills it; it also exits by itself after an hour.
    let _ = tokio::time::timeout(Duration::from_secs(3600), axum::serve(l, app)).await;
}

// ---------------------------------------------------------------------------------------------
// Subcommands

fn signer(t: &Target) -> Signer {
    Signer {
        ak: t.access_key_id.clone(),
        sk: t.access_key_secret.clone(),
    }
}

fn limits(l: &Load) -> Limits {
    Limits {
        connections: l.connections,
        duration: l.duration,
        requests: l.requests,
        rate: l.rate,
    }
}

/// Create the parking flow (an existing one is fine).
async fn create_flow(addr: SocketAddr, s: &Signer) -> Arc<str> {
    let name = "bench_park";
    let mut st = Stats::default();
    let create = async {
        let mut conn = Conn::open(addr).await.ok();
        call(
            &mut conn,
            s,
            "CreateFlow",
            &[
                ("Name", name),
                ("Definition", PARK_FLOW),
                ("Description", "cloudflow-bench"),
                ("Type", "FDL"),
            ],
            &mut st,
        )
        .await;
    };
    if tokio::time::timeout(STUCK_GRACE, create).await.is_err() {
        panic!("CreateFlow: no answer within {} s", STUCK_GRACE.as_secs());
    }
    if let Some(k) = st.errors.keys().find(|k| !k.ends_with("FlowAlreadyExists")) {
        panic!("CreateFlow failed: {k}");
    }
    Arc::from(name)
}

/// Start `n` parked executions named `{prefix}{i}` (setup, bounded by --setup-timeout).
async fn park(
    addr: SocketAddr,
    s: &Signer,
    flow: &Arc<str>,
    prefix: &str,
    n: u64,
    conns: usize,
    timeout: f64,
) -> Report {
    let work = Work::Start {
        flow: flow.clone(),
        prefix: Arc::from(prefix),
    };
    let l = Limits {
        connections: conns,
        duration: timeout,
        requests: Some(n),
        rate: None,
    };
    run_load("StartExecution (parking)", addr, s, work, &l).await
}

/// Run the baseline with the same requests and limits; prints and returns its req/s.
async fn baseline(t: &Target, s: &Signer, l: &Limits) -> Option<Report> {
    if t.no_baseline {
        return None;
    }
    let b = spawn_baseline();
    let work = Work::Describe {
        flow: Arc::from("bench_park"),
        names: Arc::new((0..l.connections.max(1)).map(|i| format!("w{i}")).collect()),
    };
    let mut r = run_load(
        "baseline: bare axum, same signed requests",
        b.addr,
        s,
        work,
        l,
    )
    .await;
    r.print();
    Some(r)
}

fn ratio(label: &str, r: &Report, base: &Option<Report>) {
    if let Some(b) = base {
        println!(
            "[{label}] {:.0} req/s = {:.1} % of the baseline's {:.0} req/s",
            r.req_per_s(),
            100.0 * r.req_per_s() / b.req_per_s(),
            b.req_per_s()
        );
    }
}

async fn cmd_describe(o: Load) {
    let s = signer(&o.target);
    let l = limits(&o);
    let base = baseline(&o.target, &s, &l).await;
    let srv = server(&o.target);
    let flow = create_flow(srv.addr, &s).await;
    let k = o.connections.max(1) as u64;
    let mut setup = park(srv.addr, &s, &flow, "d", k, 4, o.target.setup_timeout).await;
    if setup.stats.error_count() > 0 {
        setup.print();
    }
    let names = Arc::new((0..k).map(|i| format!("d{i}")).collect());
    let mut r = run_load(
        "DescribeExecution",
        srv.addr,
        &s,
        Work::Describe { flow, names },
        &l,
    )
    .await;
    r.print();
    ratio("DescribeExecution", &r, &base);
    print_rss("after load", srv.pid);
}

async fn cmd_lifecycle(o: Load) {
    let s = signer(&o.target);
    let l = limits(&o);
    let base = baseline(&o.target, &s, &l).await;
    let srv = server(&o.target);
    let flow = create_flow(srv.addr, &s).await;
    let prefix: Arc<str> = Arc::from(format!("lc{}-", std::process::id()));
    let mut r = run_load(
        "lifecycle: Start -> Describe -> Stop",
        srv.addr,
        &s,
        Work::Lifecycle { flow, prefix },
        &l,
    )
    .await;
    r.print();
    println!(
        "[lifecycle] {:.0} executions/s (start + describe + stop, all 200: {})",
        r.iter_per_s(),
        r.stats.iterations_ok
    );
    ratio("lifecycle requests", &r, &base);
    print_rss("after load", srv.pid);
}

async fn cmd_park(o: Park, stop_all: bool) {
    let s = signer(&o.load.target);
    let l = limits(&o.load);
    let base = baseline(&o.load.target, &s, &l).await;
    let srv = server(&o.load.target);
    print_rss("idle", srv.pid);
    let flow = create_flow(srv.addr, &s).await;
    let prefix = format!("p{}-", std::process::id());
    // The 100 oldest first, one at a time, so the last ListExecutions page is known exactly.
    let first = o.executions.min(100);
    park(
        srv.addr,
        &s,
        &flow,
        &prefix,
        first,
        1,
        o.load.target.setup_timeout,
    )
    .await;
    let rest_prefix = format!("{prefix}r");
    let mut r = park(
        srv.addr,
        &s,
        &flow,
        &rest_prefix,
        o.executions - first,
        o.load.connections,
        o.load.target.setup_timeout,
    )
    .await;
    r.print();
    ratio("StartExecution", &r, &base);
    let names: Vec<String> = (0..first)
        .map(|i| format!("{prefix}{i}"))
        .chain((0..o.executions - first).map(|i| format!("{rest_prefix}{i}")))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    print_rss(&format!("{} executions parked", o.executions), srv.pid);
    if o.list > 0 && first == 100 {
        for (label, token) in [
            ("ListExecutions first page", None),
            (
                "ListExecutions last page",
                Some(Arc::<str>::from(format!("{prefix}99"))),
            ),
        ] {
            let lim = Limits {
                connections: 1,
                duration: l.duration,
                requests: Some(o.list),
                rate: None,
            };
            let work = Work::List {
                flow: flow.clone(),
                token,
            };
            let mut r = run_load(label, srv.addr, &s, work, &lim).await;
            r.print();
        }
    }
    let to_stop: Vec<String> = if stop_all {
        names
    } else if o.stop > 0 {
        let step = (o.executions / o.stop.min(o.executions)).max(1) as usize;
        names
            .into_iter()
            .step_by(step)
            .take(o.stop as usize)
            .collect()
    } else {
        Vec::new()
    };
    if !to_stop.is_empty() {
        let n = to_stop.len();
        let work = Work::Stop {
            flow: flow.clone(),
            names: Arc::new(to_stop),
        };
        let label = if stop_all {
            format!("StopExecution of all {n} parked executions")
        } else {
            format!(
                "StopExecution of {n} while {} others run",
                o.executions.saturating_sub(n as u64)
            )
        };
        let mut r = run_load(&label, srv.addr, &s, work, &l).await;
        r.print();
        println!("[StopExecution] p99 {:.3} ms", r.p99_ms("StopExecution"));
        ratio("StopExecution", &r, &base);
    }
    print_rss("end", srv.pid);
}

async fn cmd_baseline(o: Load) {
    let s = signer(&o.target);
    let mut t = o.target.clone();
    t.no_baseline = false;
    baseline(&t, &s, &limits(&o)).await;
}

fn cmd_startup(o: StartupOpts) {
    let mut ups = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..o.runs.clamp(1, 100) {
        let (p, up) = spawn_server(&o.target);
        std::thread::sleep(Duration::from_millis(300));
        if let Some((r, _)) = p.pid.and_then(rss_kib) {
            rss.push(r);
        }
        ups.push(up.as_secs_f64() * 1e3);
        drop(p);
    }
    ups.sort_by(f64::total_cmp);
    rss.sort_unstable();
    println!(
        "[startup] spawn -> first 200 from /_emulator/health over {} runs: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        ups.len(),
        ups[0],
        ups[ups.len() / 2],
        ups[ups.len() - 1]
    );
    if !rss.is_empty() {
        println!(
            "[startup] idle RSS 300 ms after start: median {:.1} MiB (min {:.1}, max {:.1})",
            rss[rss.len() / 2] as f64 / 1024.0,
            rss[0] as f64 / 1024.0,
            rss[rss.len() - 1] as f64 / 1024.0
        );
    }
}

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
