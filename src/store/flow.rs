//! One flow: its updatable attributes ([`FlowMeta`], and [`meta_rec`], their stored form) and
//! its executions, indexed by name and newest first, with their start and listing. The flow's
//! published versions and aliases are handled in [`super::versions`], its schedules in
//! [`super::schedule`] (each an `impl Flow` next to its records).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock};

use chrono::{DateTime, Utc};

use super::journal::{MetaRec, Record, Sink};
use super::versions::Versions;
use super::{read, write, Execution, Page, Schedule, UnknownToken};
use crate::engine::definition::FlowDef;

/// The stored form of a flow's attributes.
pub fn meta_rec(m: &FlowMeta) -> MetaRec {
    MetaRec {
        definition_text: m.definition_text.to_string(),
        description: m.description.clone(),
        flow_type: m.flow_type.clone(),
        role_arn: m.role_arn.clone(),
        environment: m.environment.clone(),
        execution_mode: m.execution_mode.clone(),
        external_storage_location: m.external_storage_location.clone(),
        resource_group_id: m.resource_group_id.clone(),
        last_modified_time: m.last_modified_time,
    }
}

/// The updatable attributes of a flow.
#[derive(Debug, Clone)]
pub struct FlowMeta {
    /// Definition text exactly as submitted.
    pub definition_text: Arc<super::DefinitionText>,
    /// The parsed definition.
    pub definition: Arc<FlowDef>,
    /// Description.
    pub description: String,
    /// `FDL`.
    pub flow_type: String,
    /// RAM role ARN, if any.
    pub role_arn: Option<String>,
    /// `Environment` object, if any.
    pub environment: Option<serde_json::Value>,
    /// `Standard` or `Express`.
    pub execution_mode: String,
    /// `ExternalStorageLocation`, if any.
    pub external_storage_location: Option<String>,
    /// `ResourceGroupId`, if any.
    pub resource_group_id: Option<String>,
    /// Emulated time of the last change.
    pub last_modified_time: DateTime<Utc>,
}

/// A flow and its executions.
#[derive(Debug)]
pub struct Flow {
    /// Unique id (UUID).
    pub id: String,
    /// Name (immutable).
    pub name: String,
    /// Emulated creation time.
    pub created_time: DateTime<Utc>,
    meta: RwLock<FlowMeta>,
    /// Where changes are journaled (with `--data-dir`).
    pub(super) sink: OnceLock<Sink>,
    executions: RwLock<ExecIndex>,
    pub(super) schedules: RwLock<BTreeMap<String, Arc<Schedule>>>,
    pub(super) versions: RwLock<Versions>,
}

/// A flow's executions, by name and newest first.
#[derive(Debug, Default)]
struct ExecIndex {
    /// Name -> (order key, execution). A B-tree rather than a hash map: a hash map doubling
    /// past 917,504 executions stalled the flow's lock for 0.2–0.6 s; a tree never moves more
    /// than a node.
    by_name: BTreeMap<String, (u64, Arc<Execution>)>,
    /// Order key (`u64::MAX - start sequence`) -> execution: ascending is newest first.
    newest_first: BTreeMap<u64, Arc<Execution>>,
    /// Next start sequence number.
    next_seq: u64,
    /// Set by DeleteFlow: no execution may start any more.
    deleted: bool,
}

/// What [`Flow::start_execution`] found or did.
#[derive(Debug)]
pub enum Started {
    /// A new execution was registered (the caller must run it).
    New(Arc<Execution>),
    /// An execution of that name is in progress: it is returned, nothing new starts.
    InProgress(Arc<Execution>),
    /// An execution of that name has ended.
    Ended(Arc<Execution>),
    /// The flow was deleted meanwhile: nothing started.
    FlowDeleted,
}

impl Flow {
    /// A new flow.
    pub fn new(id: String, name: String, created_time: DateTime<Utc>, meta: FlowMeta) -> Self {
        Flow {
            id,
            name,
            created_time,
            meta: RwLock::new(meta),
            sink: OnceLock::new(),
            executions: RwLock::default(),
            schedules: RwLock::default(),
            versions: RwLock::default(),
        }
    }

    /// Change the updatable attributes; returns them as changed.
    pub fn update_meta(&self, f: impl FnOnce(&mut FlowMeta)) -> FlowMeta {
        let mut m = write(&self.meta);
        f(&mut m);
        if let Some(sink) = self.sink.get() {
            sink.append(Record::FlowPut {
                account: sink.account.to_string(),
                id: self.id.clone(),
                name: self.name.clone(),
                created: self.created_time,
                meta: meta_rec(&m),
            });
        }
        m.clone()
    }

    pub(super) fn journal(&self, rec: impl FnOnce(String) -> Record) {
        if let Some(sink) = self.sink.get() {
            sink.append(rec(sink.account.to_string()));
        }
    }

    /// The journal sink, if any.
    pub fn sink(&self) -> Option<&Sink> {
        self.sink.get()
    }

    /// Journal replay: set the attributes without journaling.
    pub fn set_meta_silent(&self, meta: FlowMeta) {
        *write(&self.meta) = meta;
    }

    /// Journal replay: register an execution without journaling its start.
    pub fn restore_execution(&self, exec: Execution) -> Arc<Execution> {
        if let Some(sink) = self.sink.get() {
            exec.attach_silent(sink.clone());
        }
        let exec = Arc::new(exec);
        let mut execs = write(&self.executions);
        let key = u64::MAX - execs.next_seq;
        execs.next_seq += 1;
        execs.by_name.insert(exec.name.clone(), (key, exec.clone()));
        execs.newest_first.insert(key, exec.clone());
        exec
    }

    /// A snapshot of the updatable attributes.
    pub fn meta(&self) -> FlowMeta {
        read(&self.meta).clone()
    }

    /// Register an execution named `name`, built by `make` only if the name is free.
    pub fn start_execution(&self, name: &str, make: impl FnOnce() -> Execution) -> Started {
        if let Some((_, existing)) = read(&self.executions).by_name.get(name) {
            return Self::found(existing);
        }
        let mut execs = write(&self.executions);
        if execs.deleted {
            return Started::FlowDeleted;
        }
        if let Some((_, existing)) = execs.by_name.get(name) {
            return Self::found(existing);
        }
        let exec = make();
        if let Some(sink) = self.sink.get() {
            exec.attach(sink.clone());
        }
        let exec = Arc::new(exec);
        let key = u64::MAX - execs.next_seq;
        execs.next_seq += 1;
        execs.by_name.insert(name.to_string(), (key, exec.clone()));
        execs.newest_first.insert(key, exec.clone());
        Started::New(exec)
    }

    /// Executions newest first, from the one named `after` (a previous page's token), keeping
    /// those `keep` accepts. `Err` when the token names no execution.
    pub fn list_executions(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&Execution) -> bool,
    ) -> Result<Page<Arc<Execution>>, UnknownToken> {
        let execs = read(&self.executions);
        let start = match after {
            None => 0,
            Some(name) => execs
                .by_name
                .get(name)
                .map(|(k, _)| *k)
                .ok_or(UnknownToken)?,
        };
        let mut items = Vec::with_capacity(limit.min(128));
        let mut next_token = None;
        for e in execs
            .newest_first
            .range(start..)
            .map(|(_, e)| e)
            .filter(|e| keep(e))
        {
            if items.len() == limit {
                next_token = Some(e.name.clone());
                break;
            }
            items.push(e.clone());
        }
        Ok(Page { items, next_token })
    }

    /// Mark the flow deleted (no execution starts afterwards) and return those still running.
    pub fn mark_deleted(&self) -> Vec<Arc<Execution>> {
        let mut execs = write(&self.executions);
        execs.deleted = true;
        execs
            .newest_first
            .values()
            .filter(|e| e.status().in_progress())
            .cloned()
            .collect()
    }

    /// Every execution still in progress.
    pub fn running_executions(&self) -> Vec<Arc<Execution>> {
        read(&self.executions)
            .newest_first
            .values()
            .filter(|e| e.status().in_progress())
            .cloned()
            .collect()
    }

    fn found(existing: &Arc<Execution>) -> Started {
        if existing.status().in_progress() {
            Started::InProgress(existing.clone())
        } else {
            Started::Ended(existing.clone())
        }
    }

    /// The execution of this name.
    pub fn execution(&self, name: &str) -> Option<Arc<Execution>> {
        read(&self.executions)
            .by_name
            .get(name)
            .map(|(_, e)| e.clone())
    }

    /// Number of executions.
    pub fn execution_count(&self) -> usize {
        read(&self.executions).by_name.len()
    }
}
