//! In-memory state, per account: flows by name, each flow's executions by name. Knows nothing
//! of HTTP. Every method is synchronous and holds a lock only for a map look-up or insert: no
//! global lock is held while an execution is touched (each execution has its own, see
//! [`execution`]), and none is ever held across `.await`.
//!
//! Maps are ordered (`BTreeMap`) so listings can page from a token without scanning.
//!
//! This file owns [`Store`] (the accounts), [`Account`] (one account's flows) and the listing
//! types ([`Page`], [`NameTaken`], [`UnknownToken`]). The rest is re-exported here from:
//! * [`flow`]: a flow, its attributes and its executions, by name and newest first;
//! * [`versions`] and [`schedule`]: a flow's published versions, aliases and schedules;
//! * [`execution`]: one execution's record; [`events`]: its status, outcome and history;
//! * [`maprun`]: distributed Map runs; [`journal`]: opt-in durability.

mod definition_text;
pub mod events;
pub mod execution;
pub mod flow;
pub mod journal;
pub mod maprun;
pub mod schedule;
pub mod versions;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use definition_text::DefinitionText;
pub use events::{Event, EventType, Outcome, Status};
pub use execution::{Continuation, Execution, NewExecution};
pub use flow::{meta_rec, Flow, FlowMeta, Started};
use journal::{Journal, Record, Sink};
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
