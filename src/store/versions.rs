//! Published flow versions (immutable snapshots) and aliases routing to them by weight.

use chrono::{DateTime, Utc};

use super::FlowMeta;

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
