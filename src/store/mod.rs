//! In-memory state, per account: flows by name, each flow's executions by name. Knows nothing
//! of HTTP. Every method is synchronous and holds a lock only for a map look-up or insert: no
//! global lock is held while an execution is touched (each execution has its own, see
//! [`execution`]), and none is ever held across `.await`.
//!
//! Maps are ordered (`BTreeMap`) so listings can page from a token without scanning.

pub mod execution;
pub mod journal;
pub mod maprun;
pub mod schedule;
pub mod versions;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};

use crate::engine::definition::FlowDef;
pub use execution::{Continuation, Event, EventType, Execution, NewExecution, Outcome, Status};
use journal::{Journal, MetaRec, Record, Sink};
pub use maprun::{MapRun, MapRunState, MapRunStatus};
pub use schedule::{Schedule, ScheduleMeta};
pub use versions::{FlowAlias, FlowVersion, Route};

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// All accounts.
#[derive(Debug, Default)]
pub struct Store {
    accounts: RwLock<HashMap<String, Arc<Account>>>,
    /// The journal, with `--data-dir`.
    journal: OnceLock<Arc<Journal>>,
}

impl Store {
    /// The account with this id, created empty on first use.
    pub fn account(&self, id: &str) -> Arc<Account> {
        if let Some(a) = read(&self.accounts).get(id) {
            return a.clone();
        }
        let sink = self.journal.get().map(|j| Sink {
            journal: j.clone(),
            account: Arc::from(id),
        });
        write(&self.accounts)
            .entry(id.to_string())
            .or_insert_with(|| {
                Arc::new(Account {
                    flows: RwLock::default(),
                    sink,
                })
            })
            .clone()
    }

    /// Every account with its id.
    pub fn accounts_vec(&self) -> Vec<(String, Arc<Account>)> {
        read(&self.accounts)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Journal every change from now on (before any account exists).
    pub fn set_journal(&self, journal: Arc<Journal>) {
        let _ = self.journal.set(journal);
    }

    /// The ids of the accounts used so far, sorted.
    pub fn account_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = read(&self.accounts).keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Remove every account (or only `id`), returning what was removed; the next request
    /// of a removed account finds it empty.
    pub fn remove_accounts(&self, id: Option<&str>) -> Vec<Arc<Account>> {
        let mut accounts = write(&self.accounts);
        match id {
            None => accounts.drain().map(|(_, a)| a).collect(),
            Some(id) => accounts.remove(id).into_iter().collect(),
        }
    }
}

/// One account's resources.
#[derive(Debug, Default)]
pub struct Account {
    flows: RwLock<BTreeMap<String, Arc<Flow>>>,
    sink: Option<Sink>,
}

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

impl Account {
    /// Add a flow; `Err` with the existing one when the name is taken.
    pub fn create_flow(&self, flow: Flow) -> Result<Arc<Flow>, Arc<Flow>> {
        let mut flows = write(&self.flows);
        if let Some(existing) = flows.get(&flow.name) {
            return Err(existing.clone());
        }
        if let Some(sink) = &self.sink {
            let _ = flow.sink.set(sink.clone());
            sink.append(Record::FlowPut {
                account: sink.account.to_string(),
                id: flow.id.clone(),
                name: flow.name.clone(),
                created: flow.created_time,
                meta: meta_rec(&flow.meta()),
            });
        }
        let flow = Arc::new(flow);
        flows.insert(flow.name.clone(), flow.clone());
        Ok(flow)
    }

    /// The flow of this name.
    pub fn flow(&self, name: &str) -> Option<Arc<Flow>> {
        read(&self.flows).get(name).cloned()
    }

    /// Journal replay: put a flow (replacing one of the same name) without journaling it.
    pub fn restore_flow(&self, flow: Flow) -> Arc<Flow> {
        if let Some(sink) = &self.sink {
            let _ = flow.sink.set(sink.clone());
        }
        let flow = Arc::new(flow);
        write(&self.flows).insert(flow.name.clone(), flow.clone());
        flow
    }

    /// Journal replay: remove a flow without journaling it.
    pub fn remove_flow_silent(&self, name: &str) -> Option<Arc<Flow>> {
        write(&self.flows).remove(name)
    }

    /// Every flow.
    pub fn all_flows_vec(&self) -> Vec<Arc<Flow>> {
        read(&self.flows).values().cloned().collect()
    }

    /// Remove a flow; its executions go with it.
    pub fn delete_flow(&self, name: &str) -> Option<Arc<Flow>> {
        let mut flows = write(&self.flows);
        let f = flows.remove(name)?;
        if let Some(sink) = &self.sink {
            sink.append(Record::FlowDeleted {
                account: sink.account.to_string(),
                name: name.to_string(),
                id: f.id.clone(),
            });
        }
        Some(f)
    }

    /// Flows by name, from `after` (inclusive: the previous page's token).
    pub fn list_flows(&self, after: Option<&str>, limit: usize) -> Page<Arc<Flow>> {
        let flows = read(&self.flows);
        let mut iter = match after {
            Some(a) => {
                flows.range::<str, _>((std::ops::Bound::Included(a), std::ops::Bound::Unbounded))
            }
            None => flows.range::<str, _>(..),
        };
        let items: Vec<Arc<Flow>> = iter.by_ref().take(limit).map(|(_, f)| f.clone()).collect();
        let next_token = iter.next().map(|(k, _)| k.clone());
        Page { items, next_token }
    }

    /// Every flow, by name.
    pub fn all_flows(&self) -> Vec<Arc<Flow>> {
        read(&self.flows).values().cloned().collect()
    }

    /// Number of flows.
    pub fn flow_count(&self) -> usize {
        read(&self.flows).len()
    }
}

/// The updatable attributes of a flow.
#[derive(Debug, Clone)]
pub struct FlowMeta {
    /// Definition text exactly as submitted.
    pub definition_text: Arc<str>,
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
    sink: OnceLock<Sink>,
    executions: RwLock<ExecIndex>,
    schedules: RwLock<BTreeMap<String, Arc<Schedule>>>,
    versions: RwLock<Versions>,
}

/// Published versions and aliases of a flow.
#[derive(Debug, Default)]
struct Versions {
    by_number: BTreeMap<u64, Arc<FlowVersion>>,
    last: u64,
    aliases: BTreeMap<String, FlowAlias>,
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

/// A name already in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameTaken;

/// A `NextToken` that names nothing this listing returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownToken;

/// A page of a listing and the token of the next page.
#[derive(Debug)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts (absent on the last page).
    pub next_token: Option<String>,
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

    fn journal(&self, rec: impl FnOnce(String) -> Record) {
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

    /// Journal replay: put a published version.
    pub fn restore_version(&self, v: FlowVersion) {
        let mut vs = write(&self.versions);
        vs.last = vs.last.max(v.version);
        vs.by_number.insert(v.version, Arc::new(v));
    }

    /// Journal replay: remove a version.
    pub fn remove_version_silent(&self, n: u64) {
        write(&self.versions).by_number.remove(&n);
    }

    /// Journal replay: put an alias.
    pub fn put_alias_silent(&self, a: FlowAlias) {
        write(&self.versions).aliases.insert(a.name.clone(), a);
    }

    /// Journal replay: remove an alias.
    pub fn remove_alias_silent(&self, name: &str) {
        write(&self.versions).aliases.remove(name);
    }

    /// Journal replay: put a schedule (replacing one of the same name).
    pub fn restore_schedule(&self, schedule: Schedule) -> Arc<Schedule> {
        if let Some(sink) = self.sink.get() {
            schedule.attach(sink.clone());
        }
        let schedule = Arc::new(schedule);
        write(&self.schedules).insert(schedule.name.clone(), schedule.clone());
        schedule
    }

    /// Journal replay: remove a schedule.
    pub fn remove_schedule_silent(&self, name: &str) {
        write(&self.schedules).remove(name);
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

    /// Publish the current attributes as the next version.
    pub fn publish_version(&self, description: String, now: DateTime<Utc>) -> Arc<FlowVersion> {
        let meta = self.meta();
        let mut v = write(&self.versions);
        v.last += 1;
        let fv = Arc::new(FlowVersion {
            version: v.last,
            description,
            created_time: now,
            meta,
        });
        v.by_number.insert(fv.version, fv.clone());
        self.journal(|account| Record::VersionPut {
            account,
            flow: self.name.clone(),
            version: fv.version,
            description: fv.description.clone(),
            created: fv.created_time,
            meta: meta_rec(&fv.meta),
        });
        fv
    }

    /// A published version.
    pub fn version(&self, n: u64) -> Option<Arc<FlowVersion>> {
        read(&self.versions).by_number.get(&n).cloned()
    }

    /// Versions newest first, from version `before_or_at` (inclusive) down.
    pub fn list_versions(&self, from: Option<u64>, limit: usize) -> Page<Arc<FlowVersion>> {
        let v = read(&self.versions);
        let mut iter = v.by_number.range(..=from.unwrap_or(u64::MAX)).rev();
        let items: Vec<Arc<FlowVersion>> = iter
            .by_ref()
            .take(limit)
            .map(|(_, fv)| fv.clone())
            .collect();
        let next_token = iter.next().map(|(k, _)| k.to_string());
        Page { items, next_token }
    }

    /// Delete a version. `Err(Some(alias))` when an alias routes to it, `Err(None)` when absent.
    pub fn delete_version(&self, n: u64) -> Result<(), Option<String>> {
        let mut v = write(&self.versions);
        if let Some(a) = v
            .aliases
            .values()
            .find(|a| a.routes.iter().any(|r| r.version == n))
        {
            return Err(Some(a.name.clone()));
        }
        v.by_number.remove(&n).ok_or(None)?;
        self.journal(|account| Record::VersionDeleted {
            account,
            flow: self.name.clone(),
            version: n,
        });
        Ok(())
    }

    /// Add an alias; `Err` when the name is taken.
    pub fn add_alias(&self, alias: FlowAlias) -> Result<FlowAlias, NameTaken> {
        let mut v = write(&self.versions);
        if v.aliases.contains_key(&alias.name) {
            return Err(NameTaken);
        }
        v.aliases.insert(alias.name.clone(), alias.clone());
        self.journal_alias(&alias);
        Ok(alias)
    }

    /// An alias.
    pub fn alias(&self, name: &str) -> Option<FlowAlias> {
        read(&self.versions).aliases.get(name).cloned()
    }

    /// Change an alias; `None` when absent.
    pub fn update_alias(&self, name: &str, f: impl FnOnce(&mut FlowAlias)) -> Option<FlowAlias> {
        let mut v = write(&self.versions);
        let a = v.aliases.get_mut(name)?;
        f(a);
        let a = a.clone();
        self.journal_alias(&a);
        Some(a)
    }

    /// Remove an alias.
    pub fn remove_alias(&self, name: &str) -> Option<FlowAlias> {
        let mut v = write(&self.versions);
        let a = v.aliases.remove(name)?;
        self.journal(|account| Record::AliasDeleted {
            account,
            flow: self.name.clone(),
            name: name.to_string(),
        });
        Some(a)
    }

    fn journal_alias(&self, a: &FlowAlias) {
        self.journal(|account| Record::AliasPut {
            account,
            flow: self.name.clone(),
            name: a.name.clone(),
            description: a.description.clone(),
            routes: a.routes.iter().map(|r| (r.version, r.weight)).collect(),
            created: a.created_time,
            modified: a.last_modified_time,
        });
    }

    /// Aliases by name from `after` (inclusive).
    pub fn list_aliases(&self, after: Option<&str>, limit: usize) -> Page<FlowAlias> {
        let v = read(&self.versions);
        let mut iter = match after {
            Some(a) => v
                .aliases
                .range::<str, _>((std::ops::Bound::Included(a), std::ops::Bound::Unbounded)),
            None => v.aliases.range::<str, _>(..),
        };
        let items: Vec<FlowAlias> = iter.by_ref().take(limit).map(|(_, a)| a.clone()).collect();
        let next_token = iter.next().map(|(k, _)| k.clone());
        Page { items, next_token }
    }

    /// Add a schedule; `Err` when the name is taken.
    pub fn add_schedule(&self, schedule: Schedule) -> Result<Arc<Schedule>, NameTaken> {
        let mut s = write(&self.schedules);
        if s.contains_key(&schedule.name) {
            return Err(NameTaken);
        }
        if let Some(sink) = self.sink.get() {
            schedule.attach(sink.clone());
        }
        let schedule = Arc::new(schedule);
        s.insert(schedule.name.clone(), schedule.clone());
        schedule.journal();
        Ok(schedule)
    }

    /// The schedule of this name.
    pub fn schedule(&self, name: &str) -> Option<Arc<Schedule>> {
        read(&self.schedules).get(name).cloned()
    }

    /// Remove a schedule.
    pub fn remove_schedule(&self, name: &str) -> Option<Arc<Schedule>> {
        let s = write(&self.schedules).remove(name)?;
        self.journal(|account| Record::ScheduleDeleted {
            account,
            flow: self.name.clone(),
            name: name.to_string(),
        });
        Some(s)
    }

    /// Schedules by name from `after` (inclusive).
    pub fn list_schedules(&self, after: Option<&str>, limit: usize) -> Page<Arc<Schedule>> {
        let all = read(&self.schedules);
        let mut iter = match after {
            Some(a) => {
                all.range::<str, _>((std::ops::Bound::Included(a), std::ops::Bound::Unbounded))
            }
            None => all.range::<str, _>(..),
        };
        let items: Vec<Arc<Schedule>> = iter.by_ref().take(limit).map(|(_, s)| s.clone()).collect();
        let next_token = iter.next().map(|(k, _)| k.clone());
        Page { items, next_token }
    }

    /// All schedules.
    pub fn all_schedules(&self) -> Vec<Arc<Schedule>> {
        read(&self.schedules).values().cloned().collect()
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
