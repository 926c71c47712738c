//! Distributed Map (a Map with `ProcessorConfig.ExecutionMode`): every item runs as a child
//! execution of the same flow running the `Processor`, tracked by a map run (DescribeMapRun,
//! UpdateMapRun, ListExecutions `MapRunName`). Children run at most `Concurrency` at once — read
//! again before each start, and UpdateMapRun wakes the run, so a raised Concurrency starts more
//! children at once. When more children fail than tolerated, the rest are stopped and the Map
//! fails with the first child's error; stopping the parent stops the children and marks the run
//! `Aborted`.

use std::sync::Arc;

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::{json, Value};

use super::definition::{FlowDef, Kind, State};
use super::interpreter::{codes, fail, Failure, Halt, Run};
use super::scope::Current;
use crate::store::{
    EventType, Execution, MapRun, MapRunState, MapRunStatus, NewExecution, Started, Status,
};

/// Stops the children still running when dropped (the parent was stopped or failed).
struct Children {
    running: Vec<Arc<Execution>>,
    run: Arc<MapRun>,
    clock: Arc<crate::clock::Clock>,
}

impl Drop for Children {
    fn drop(&mut self) {
        let now = self.clock.now();
        let mut aborted = 0;
        for e in &self.running {
            if e.stop(
                Some("FnF.MapRunAborted"),
                Some("The map run ended before this item finished."),
                now,
            )
            .is_ok()
            {
                aborted += 1;
            }
        }
        self.run.update(|s| {
            s.aborted += aborted + s.pending;
            s.running = s.running.saturating_sub(aborted);
            s.pending = 0;
            if matches!(s.status, MapRunStatus::Running | MapRunStatus::Pending) {
                s.status = MapRunStatus::Aborted;
                s.stopped_time = Some(now);
            }
        });
    }
}

async fn wait_end(e: Arc<Execution>, index: usize) -> (usize, Arc<Execution>) {
    loop {
        {
            let n = e.finished.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            if e.status().in_progress() {
                n.await;
                continue;
            }
        }
        return (index, e);
    }
}

impl Run {
    /// Run a distributed Map over `items`; returns the raw output `{"Items": [...]}`.
    pub(super) async fn run_distributed_map(
        self: &Arc<Self>,
        st: &State,
        items: Vec<Value>,
        input: &Value,
        started: u64,
    ) -> Result<Value, Halt> {
        let name = &st.name;
        let Kind::Map {
            processor,
            max_concurrency,
            distributed: Some(d),
            ..
        } = &st.kind
        else {
            return Err(fail(
                codes::RUNTIME,
                format!("state '{name}' is not a distributed Map"),
            ));
        };
        let max_concurrency = *max_concurrency;
        if let Some(field) = d.unsupported.first() {
            return Err(fail(
                codes::UNSUPPORTED,
                format!("Map state '{name}' uses {field}, which reads or writes OSS; this emulator does not support it."),
            ));
        }
        let mut items = items;
        if let Some(max) = d.max_items {
            items.truncate(max as usize);
        }
        // Build every child input first, so a bad item fails before anything starts.
        let mut inputs = Vec::with_capacity(items.len());
        for item in &items {
            let v = match &d.item_constructor {
                None => item.clone(),
                Some(t) => {
                    let mut sc = self.scope(Current {
                        name,
                        input: Some(input),
                        ..Default::default()
                    });
                    sc.item = Some(item);
                    self.eval(t, &sc, "ItemConstructor", name)?
                }
            };
            if !v.is_object() {
                return Err(fail(
                    codes::RUNTIME,
                    format!("Map state '{name}': each item must be a JSON object, got {v}."),
                ));
            }
            inputs.push(v.to_string());
        }
        let total = inputs.len() as u64;
        let map_run = Arc::new(MapRun::new(
            format!(
                "{}-{}",
                self.exec.name.replace(':', "-"),
                uuid::Uuid::new_v4().simple()
            ),
            self.exec.name.clone(),
            self.exec.flow_name.clone(),
            self.clock.now(),
            MapRunState {
                status: MapRunStatus::Running,
                stopped_time: None,
                concurrency: max_concurrency.max(1) as u32,
                tolerated_failed_count: d.tolerated_failure_count,
                tolerated_failed_percentage: d.tolerated_failure_percentage,
                total,
                pending: total,
                running: 0,
                succeeded: 0,
                failed: 0,
                aborted: 0,
            },
        ));
        self.exec
            .map_runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(map_run.clone());
        self.record(
            EventType::MapRunStarted,
            started,
            name,
            json!({ "MapRunName": map_run.name }),
        )?;

        let child_def = Arc::new(FlowDef {
            name: None,
            timeout_seconds: None,
            root: processor.clone(),
            legacy: None,
        });
        let mut guard = Children {
            running: Vec::new(),
            run: map_run.clone(),
            clock: self.clock.clone(),
        };
        let mut outputs: Vec<Value> = vec![Value::Null; inputs.len()];
        let mut first_failure: Option<Failure> = None;
        let mut next = 0usize;
        let mut in_flight = FuturesUnordered::new();
        loop {
            while next < inputs.len()
                && (in_flight.len() as u32) < map_run.state().concurrency.max(1)
            {
                let Some(child) = self.start_child(
                    &map_run,
                    next,
                    std::mem::take(&mut inputs[next]),
                    &child_def,
                ) else {
                    // The flow was deleted; its executions (this one too) are being stopped.
                    return Err(Halt::Ended);
                };
                map_run.update(|s| {
                    s.pending -= 1;
                    s.running += 1;
                });
                guard.running.push(child.clone());
                in_flight.push(wait_end(child, next));
                next += 1;
            }
            // A child ending, or UpdateMapRun (a raised Concurrency starts more right away).
            let ended = tokio::select! {
                ended = in_flight.next() => ended,
                _ = map_run.settings_changed.notified(), if next < inputs.len() => continue,
            };
            let Some((index, child)) = ended else {
                break;
            };
            guard.running.retain(|e| !Arc::ptr_eq(e, &child));
            let st = child.lock();
            let ok = st.status == Status::Succeeded;
            outputs[index] = if ok {
                st.output
                    .as_deref()
                    .and_then(|o| serde_json::from_str(o).ok())
                    .unwrap_or_else(|| json!({}))
            } else {
                let (error, cause) = st.error.clone().unwrap_or_default();
                if first_failure.is_none() {
                    first_failure = Some(Failure {
                        error: error.clone(),
                        cause: cause.clone(),
                    });
                }
                json!({ "Error": error, "Cause": cause })
            };
            drop(st);
            let over = map_run.update(|s| {
                s.running -= 1;
                if ok {
                    s.succeeded += 1;
                } else {
                    s.failed += 1;
                }
                s.over_tolerance()
            });
            if over {
                let now = self.clock.now();
                map_run.update(|s| {
                    s.status = MapRunStatus::Failed;
                    s.stopped_time = Some(now);
                });
                drop(guard); // stops the children still running
                let f = first_failure.unwrap_or(Failure {
                    error: "FnF.MapRunFailed".into(),
                    cause: String::new(),
                });
                return Err(Halt::Failure(Failure {
                    error: f.error,
                    cause: format!(
                        "Map run {} of state '{name}' failed: {}",
                        map_run.name, f.cause
                    ),
                }));
            }
        }
        let now = self.clock.now();
        map_run.update(|s| {
            s.status = MapRunStatus::Succeeded;
            s.stopped_time = Some(now);
        });
        drop(guard);
        Ok(json!({ "Items": outputs }))
    }

    fn start_child(
        self: &Arc<Self>,
        map_run: &Arc<MapRun>,
        index: usize,
        input: String,
        def: &Arc<FlowDef>,
    ) -> Option<Arc<Execution>> {
        let name = format!("{}-{index}", map_run.name);
        let started = self.flow.start_execution(&name, || {
            Execution::new(NewExecution {
                name: name.clone(),
                flow_name: self.exec.flow_name.clone(),
                input,
                definition_text: self.exec.definition_text.clone(),
                definition: def.clone(),
                role_arn: self.exec.role_arn().map(str::to_string),
                environment: self.exec.environment().cloned(),
                callback_token: None,
                qualifier: None,
                map_run: Some(map_run.name.clone()),
                version: self.exec.version(),
                started_time: self.clock.now(),
            })
        });
        let e = match started {
            Started::New(e) | Started::InProgress(e) | Started::Ended(e) => e,
            Started::FlowDeleted => return None,
        };
        super::spawn(
            e.clone(),
            self.flow.clone(),
            self.clock.clone(),
            self.env.clone(),
            self.account.clone(),
        );
        Some(e)
    }
}
