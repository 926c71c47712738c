//! The workloads and the load loop: connections, limits, one signed call per iteration.

use super::*;

#[derive(Clone)]
pub(crate) enum Work {
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
    pub(crate) fn cap(&self) -> Option<u64> {
        match self {
            Work::Stop { names, .. } => Some(names.len() as u64),
            _ => None,
        }
    }
}

/// One signed call; records latency and errors. `true` on a 200.
pub(crate) async fn call(
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

pub(crate) async fn iteration(
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

pub(crate) struct Limits {
    pub(crate) connections: usize,
    pub(crate) duration: f64,
    pub(crate) requests: Option<u64>,
    pub(crate) rate: Option<f64>,
}

/// Run `work` against `addr` until the limits say stop.
pub(crate) async fn run_load(
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
