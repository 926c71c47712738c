//! `--data-dir DIR`: rebuild the store from the journal at start-up, then re-arm schedules and
//! resume the executions that were running.
//!
//! Resuming is at-least-once, as CloudFlow's standard mode documents: a running execution
//! continues from the top-level state it was in when the server stopped (that state runs again
//! with the input it had recorded; every state before it completed and is not run again).
//! Legacy (`type: flow`) executions start again from the beginning. In-flight waits start over,
//! callback tokens issued before the restart are gone (the task is re-run and issues a new
//! one), `$Global` starts empty, and distributed-Map children are resumed like any execution
//! while their map run is not (the parent's Map state starts a new one).

use std::sync::Arc;

use serde_json::Value;

use crate::api::parse_definition;
use crate::engine::definition::ExecutionMode;
use crate::store::journal::{Journal, MetaRec, Record};
use crate::store::{
    Event, EventType, Execution, Flow, FlowAlias, FlowMeta, FlowVersion, NewExecution, Route,
    Schedule, ScheduleMeta, Status,
};
use crate::AppState;

/// What a replay found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// Journal records read.
    pub records: usize,
    /// Flows restored.
    pub flows: usize,
    /// Executions restored.
    pub executions: usize,
    /// Executions resumed.
    pub resumed: usize,
}

fn mode_of(m: &MetaRec) -> ExecutionMode {
    if m.execution_mode == "Express" {
        ExecutionMode::Express
    } else {
        ExecutionMode::Standard
    }
}

fn meta_of(name: &str, m: &MetaRec) -> Option<FlowMeta> {
    let def = match parse_definition(&m.definition_text, name, mode_of(m)) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(flow = name, error = %e.message, "journal: a stored definition no longer parses; skipped");
            return None;
        }
    };
    Some(FlowMeta {
        definition_text: Arc::new(crate::store::DefinitionText::from(
            m.definition_text.as_str(),
        )),
        definition: Arc::new(def),
        description: m.description.clone(),
        flow_type: m.flow_type.clone(),
        role_arn: m.role_arn.clone(),
        environment: m.environment.clone(),
        execution_mode: m.execution_mode.clone(),
        external_storage_location: m.external_storage_location.clone(),
        resource_group_id: m.resource_group_id.clone(),
        last_modified_time: m.last_modified_time,
    })
}

/// Open the journal in `dir`, rebuild the store from it, and journal every change from now on.
/// Call before serving, inside the runtime.
pub fn restore(app: &Arc<AppState>, dir: &std::path::Path) -> Result<Replayed, String> {
    let (journal, records) =
        Journal::open(dir).map_err(|e| format!("--data-dir {}: {e}", dir.display()))?;
    app.store.set_journal(journal);
    let mut out = Replayed {
        records: records.len(),
        ..Default::default()
    };
    for rec in records {
        apply(app, rec, &mut out);
    }
    // Re-arm schedules and resume the executions that were running.
    for (account_id, account) in app.store.accounts_vec() {
        for flow in account.all_flows_vec() {
            out.flows += 1;
            for s in flow.all_schedules() {
                crate::scheduler::arm(
                    &s,
                    account.clone(),
                    account_id.clone(),
                    app.clock.clone(),
                    app.tasks.clone(),
                );
            }
            for e in flow.running_executions() {
                resume(app, &flow, e, &account_id);
                out.resumed += 1;
            }
        }
    }
    Ok(out)
}

fn apply(app: &Arc<AppState>, rec: Record, out: &mut Replayed) {
    match rec {
        Record::FlowPut {
            account,
            id,
            name,
            created,
            meta,
        } => {
            let Some(meta) = meta_of(&name, &meta) else {
                return;
            };
            let acct = app.store.account(&account);
            match acct.flow(&name) {
                Some(f) if f.id == id => f.set_meta_silent(meta),
                _ => {
                    acct.restore_flow(Flow::new(id, name, created, meta));
                }
            }
        }
        Record::FlowDeleted { account, name, id } => {
            let acct = app.store.account(&account);
            if acct.flow(&name).is_some_and(|f| f.id == id) {
                acct.remove_flow_silent(&name);
            }
        }
        Record::VersionPut {
            account,
            flow,
            version,
            description,
            created,
            meta,
        } => {
            let Some(f) = app.store.account(&account).flow(&flow) else {
                return;
            };
            let Some(meta) = meta_of(&flow, &meta) else {
                return;
            };
            f.restore_version(FlowVersion {
                version,
                description,
                created_time: created,
                meta,
            });
        }
        Record::VersionDeleted {
            account,
            flow,
            version,
        } => {
            if let Some(f) = app.store.account(&account).flow(&flow) {
                f.remove_version_silent(version);
            }
        }
        Record::AliasPut {
            account,
            flow,
            name,
            description,
            routes,
            created,
            modified,
        } => {
            if let Some(f) = app.store.account(&account).flow(&flow) {
                f.put_alias_silent(FlowAlias {
                    name,
                    description,
                    routes: routes
                        .into_iter()
                        .map(|(version, weight)| Route { version, weight })
                        .collect(),
                    created_time: created,
                    last_modified_time: modified,
                });
            }
        }
        Record::AliasDeleted {
            account,
            flow,
            name,
        } => {
            if let Some(f) = app.store.account(&account).flow(&flow) {
                f.remove_alias_silent(&name);
            }
        }
        Record::SchedulePut {
            account,
            flow,
            id,
            name,
            created,
            cron,
            payload,
            description,
            enable,
            modified,
        } => {
            let Some(f) = app.store.account(&account).flow(&flow) else {
                return;
            };
            let meta = ScheduleMeta {
                cron_expression: cron,
                payload,
                description,
                enable,
                last_modified_time: modified,
            };
            f.restore_schedule(Schedule::new(id, name, flow, created, meta));
        }
        Record::ScheduleDeleted {
            account,
            flow,
            name,
        } => {
            if let Some(f) = app.store.account(&account).flow(&flow) {
                f.remove_schedule_silent(&name);
            }
        }
        Record::ExecStarted {
            account,
            flow,
            exec,
        } => {
            let Some(f) = app.store.account(&account).flow(&flow) else {
                return;
            };
            let mode = if f.meta().execution_mode == "Express" {
                ExecutionMode::Express
            } else {
                ExecutionMode::Standard
            };
            let def = match crate::engine::definition::parse(&exec.definition_text, mode) {
                Ok(d) => Arc::new(d),
                Err(_) => return,
            };
            // (A distributed-Map child gets the whole flow's tree here, not its processor's; it
            // is only read back, never resumed: see `resume`.)
            let e = Execution::new(NewExecution {
                name: exec.name,
                flow_name: flow,
                input: exec.input,
                definition_text: Arc::new(crate::store::DefinitionText::from(
                    exec.definition_text.as_str(),
                )),
                definition: def,
                role_arn: exec.role_arn,
                environment: exec.environment,
                callback_token: exec.callback_token,
                qualifier: exec.qualifier,
                map_run: exec.map_run,
                version: exec.version,
                started_time: exec.started_time,
            });
            f.restore_execution(e);
            out.executions += 1;
        }
        Record::Event {
            account,
            flow,
            exec,
            ev,
        } => {
            let Some(e) = app
                .store
                .account(&account)
                .flow(&flow)
                .and_then(|f| f.execution(&exec))
            else {
                return;
            };
            let Some(kind) = EventType::parse(&ev.kind) else {
                return;
            };
            e.restore(
                vec![Event {
                    id: ev.id,
                    schedule_id: ev.schedule_id,
                    kind,
                    step_name: Arc::from(ev.step.as_str()),
                    time: ev.time,
                    detail: ev.detail,
                }],
                None,
            );
        }
        Record::ExecEnded {
            account,
            flow,
            exec,
            status,
            stopped,
            output,
            error,
        } => {
            let Some(e) = app
                .store
                .account(&account)
                .flow(&flow)
                .and_then(|f| f.execution(&exec))
            else {
                return;
            };
            let Some(status) = Status::parse(&status) else {
                return;
            };
            e.restore(Vec::new(), Some((status, stopped, output, error)));
        }
    }
}

/// Where a running execution continues: the last top-level state it entered, with the raw
/// input recorded when it entered it.
fn resume_point(e: &Execution) -> Option<(usize, Value)> {
    let st = e.lock();
    let entered = st
        .history
        .iter()
        .rev()
        .find(|ev| ev.kind == EventType::StepEntered && ev.schedule_id == 1)?;
    let idx = e
        .definition
        .root
        .states
        .iter()
        .position(|s| *s.name == *entered.step_name)?;
    let detail: Value = serde_json::from_str(&entered.detail).ok()?;
    Some((idx, detail.get("Input")?.clone()))
}

fn resume(app: &Arc<AppState>, flow: &Arc<Flow>, e: Arc<Execution>, account: &str) {
    if e.map_run().is_some() {
        // A distributed-Map child: its processor tree is not stored; its parent's Map state
        // runs again and starts a new map run, so this child is stopped.
        let _ = e.stop(
            Some("FnF.Restarted"),
            Some("The emulator restarted; the map run starts again."),
            app.clock.now(),
        );
        return;
    }
    let start = resume_point(&e);
    crate::engine::launch::spawn_at(
        e,
        flow.clone(),
        app.clock.clone(),
        app.tasks.clone(),
        account.to_string(),
        start,
    );
}
