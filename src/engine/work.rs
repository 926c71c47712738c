//! The work of each state kind (the middle step of a state, between its `InputConstructor`
//! and its `GlobalConstructor`): Pass, Succeed, Fail, Wait (which parks the execution when it
//! is at the flow's top level), Choice, Parallel, Map (inline or distributed) and Task.

use std::sync::Arc;

use chrono::Utc;
use futures_util::{stream, StreamExt, TryStreamExt};
use serde_json::{json, Map, Value};

use super::definition::{Kind, Next, State, WaitFor};
use super::interpreter::{codes, fail, require_object, Halt, Parent, ParkPoint, Run};
use super::scope::Current;
use crate::store::EventType;

impl Run {
    pub(super) async fn work_once(
        self: &Arc<Self>,
        st: &State,
        input: &Value,
        started: u64,
        retry_count: u32,
        parent: Parent<'_>,
        park_here: bool,
    ) -> Result<(Value, Option<Next>), Halt> {
        let name = &st.name;
        let legacy = parent.is_some();
        // The raw result of states that only pass data on: their input, or in legacy an empty
        // $local.
        let passed = || {
            if legacy {
                Value::Object(Map::new())
            } else {
                input.clone()
            }
        };
        match &st.kind {
            Kind::Pass => Ok((passed(), None)),
            Kind::Succeed => Ok((passed(), Some(Next::End))),
            Kind::Fail { code, detail } => Err(fail(
                code.as_deref().unwrap_or(codes::FAILED),
                detail.clone(),
            )),
            Kind::Wait(w) => {
                let deadline = match w {
                    WaitFor::Seconds(s) => self.clock.now() + chrono::Duration::seconds(*s as i64),
                    WaitFor::SecondsExpr(e) => {
                        let sc = self.scope(Current {
                            name,
                            input: Some(input),
                            ..Default::default()
                        });
                        let v = e.eval(&sc).map_err(|e| {
                            fail(codes::RUNTIME, format!("Seconds.$ of state '{name}': {e}"))
                        })?;
                        let (lo, hi) = if legacy {
                            (0.0, super::definition::MAX_LEGACY_WAIT_SECONDS as f64)
                        } else {
                            (1.0, 300.0)
                        };
                        let secs = v.as_f64().filter(|s| s.fract() == 0.0 && (lo..=hi).contains(s)).ok_or_else(|| {
                            fail(codes::RUNTIME, format!("Seconds.$ of state '{name}' must be an integer from {lo} to {hi}, got {v}."))
                        })?;
                        self.clock.now() + chrono::Duration::seconds(secs as i64)
                    }
                    WaitFor::Until(t) => *t,
                    WaitFor::UntilExpr(e) => {
                        let sc = self.scope(Current {
                            name,
                            input: Some(input),
                            ..Default::default()
                        });
                        let v = e.eval(&sc).map_err(|e| {
                            fail(
                                codes::RUNTIME,
                                format!("UntilDateTime of state '{name}': {e}"),
                            )
                        })?;
                        v.as_str()
                            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                            .map(|t| t.with_timezone(&Utc))
                            .ok_or_else(|| fail(codes::RUNTIME, format!("UntilDateTime of state '{name}' must be an RFC 3339 time, got {v}.")))?
                    }
                };
                if park_here && deadline > self.clock.now() {
                    return Err(Halt::Park(Box::new(ParkPoint {
                        deadline,
                        idx: 0,
                        input: Value::Null,
                        entered: 0,
                        started,
                    })));
                }
                self.clock.sleep_until(deadline).await;
                Ok((passed(), None))
            }
            Kind::Choice {
                branches,
                default,
                bodies,
            } => {
                let chosen = {
                    let sc = self.scope(Current {
                        name,
                        input: Some(input),
                        ..Default::default()
                    });
                    let mut chosen = None;
                    for (i, (cond, _)) in branches.iter().enumerate() {
                        match cond.eval(&sc) {
                            Ok(Value::Bool(true)) => {
                                chosen = Some(i);
                                break;
                            }
                            Ok(Value::Bool(false)) => {}
                            Ok(other) => {
                                return Err(fail(
                                    codes::RUNTIME,
                                    format!("Condition '{}' of state '{name}' must be true or false, got {other}.", cond.source()),
                                ))
                            }
                            Err(e) => return Err(fail(codes::RUNTIME, format!("Condition '{}' of state '{name}': {e}", cond.source()))),
                        }
                    }
                    chosen
                };
                let (target, body_at) = match chosen {
                    Some(i) => (branches[i].1, i),
                    None => (*default, branches.len()),
                };
                // Legacy: the chosen arm's steps run first; their $local is the choice's.
                let out = match bodies.get(body_at) {
                    Some(Some(body)) => self.run_scope(body, input.clone(), started).await?,
                    _ => passed(),
                };
                Ok((out, Some(target)))
            }
            Kind::Parallel { branches, .. } => {
                let futs = branches.iter().enumerate().map(|(i, b)| {
                    let input = input.clone();
                    async move {
                        let be = self.record(
                            EventType::BranchEntered,
                            started,
                            name,
                            json!({ "Index": i }),
                        )?;
                        let out = self.run_scope(b, input, be).await?;
                        self.record(
                            EventType::BranchExited,
                            be,
                            name,
                            json!({ "Index": i, "Output": out }),
                        )?;
                        Ok::<Value, Halt>(out)
                    }
                });
                let outs = Box::pin(futures_util::future::try_join_all(futs)).await?;
                if legacy {
                    return Ok((Value::Array(outs), None));
                }
                let mut m = Map::with_capacity(outs.len());
                for (i, o) in outs.into_iter().enumerate() {
                    m.insert(format!("Branch{i}"), o);
                }
                Ok((Value::Object(m), None))
            }
            Kind::Map {
                items_path,
                processor,
                max_concurrency,
                distributed,
                iteration,
                ..
            } => {
                let items = {
                    let sc = self.scope(Current {
                        name,
                        input: Some(input),
                        ..Default::default()
                    });
                    items_path.eval(&sc).map_err(|e| {
                        fail(codes::RUNTIME, format!("ItemsPath of state '{name}': {e}"))
                    })?
                };
                let Value::Array(items) = items else {
                    return Err(fail(
                        codes::RUNTIME,
                        format!(
                            "ItemsPath '{}' of state '{name}' must give an array, got {items}.",
                            items_path.source()
                        ),
                    ));
                };
                if distributed.is_some() {
                    let out = Box::pin(self.run_distributed_map(st, items, input, started)).await?;
                    return Ok((out, None));
                }
                let outs: Vec<Value> = Box::pin(
                    stream::iter(items.into_iter().enumerate())
                        .map(|(i, item)| async move {
                            let ie = self.record(
                                EventType::IterationEntered,
                                started,
                                name,
                                json!({ "Index": i }),
                            )?;
                            let item = match iteration {
                                // Legacy: the step input plus the element (and its index).
                                Some(im) => {
                                    let mut m = input.as_object().cloned().unwrap_or_default();
                                    m.insert(im.item.clone(), item);
                                    if let Some(k) = &im.index {
                                        m.insert(k.clone(), json!(i));
                                    }
                                    Value::Object(m)
                                }
                                None => require_object(item, "iteration input", name)?,
                            };
                            let out = self.run_scope(processor, item, ie).await?;
                            self.record(
                                EventType::IterationExited,
                                ie,
                                name,
                                json!({ "Index": i, "Output": out }),
                            )?;
                            Ok::<Value, Halt>(out)
                        })
                        .buffered((*max_concurrency).max(1))
                        .try_collect::<Vec<Value>>(),
                )
                .await?;
                if iteration.is_some() {
                    return Ok((Value::Array(outs), None));
                }
                Ok((json!({ "Items": outs }), None))
            }
            Kind::Task { spec, .. } => Ok((
                Box::pin(self.run_task(st, spec, input, started, retry_count, parent)).await?,
                None,
            )),
        }
    }
}
