//! Published flow versions (immutable snapshots) and aliases routing to them by weight; and a
//! flow's table of them, with the `impl Flow` methods that publish, list and delete versions
//! and add, change, list and remove aliases.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::journal::Record;
use super::{meta_rec, read, write, Flow, FlowMeta, NameTaken, Page};

/// One published version.
#[derive(Debug, Clone)]
pub struct FlowVersion {
    /// `1`, `2`, … in publish order.
    pub version: u64,
    /// `Description` given at publish.
    pub description: String,
    /// Emulated publish time.
    pub created_time: DateTime<Utc>,
    /// The flow as it was when published.
    pub meta: FlowMeta,
}

/// One route of an alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Version number.
    pub version: u64,
    /// Weight, 0-100; the routes of an alias add up to 100.
    pub weight: u32,
}

/// An alias.
#[derive(Debug, Clone)]
pub struct FlowAlias {
    /// Alias name.
    pub name: String,
    /// Description.
    pub description: String,
    /// One or two routes.
    pub routes: Vec<Route>,
    /// Emulated creation time.
    pub created_time: DateTime<Utc>,
    /// Emulated time of the last change.
    pub last_modified_time: DateTime<Utc>,
}

impl FlowAlias {
    /// Pick a version by weight; `roll` is uniform in `0..100`.
    pub fn pick(&self, roll: u32) -> u64 {
        let mut acc = 0;
        for r in &self.routes {
            acc += r.weight;
            if roll < acc {
                return r.version;
            }
        }
        self.routes.last().map(|r| r.version).unwrap_or(0)
    }
}

/// Published versions and aliases of a flow.
#[derive(Debug, Default)]
pub(super) struct Versions {
    by_number: BTreeMap<u64, Arc<FlowVersion>>,
    last: u64,
    aliases: BTreeMap<String, FlowAlias>,
}

impl Flow {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_split_the_rolls() {
        let a = FlowAlias {
            name: "a".into(),
            description: String::new(),
            routes: vec![
                Route {
                    version: 1,
                    weight: 30,
                },
                Route {
                    version: 2,
                    weight: 70,
                },
            ],
            created_time: Utc::now(),
            last_modified_time: Utc::now(),
        };
        assert_eq!(a.pick(0), 1);
        assert_eq!(a.pick(29), 1);
        assert_eq!(a.pick(30), 2);
        assert_eq!(a.pick(99), 2);
    }
}
