//! Replay protection: remembers each `SignatureNonce` for as long as its signed timestamp is
//! acceptable, in bounded memory.
//!
//! A nonce only needs remembering while a request carrying it could still pass the clock-skew
//! check, i.e. while its (signed) timestamp is within the window. Nonces are kept as 64-bit keyed
//! hashes in buckets by request timestamp (10 s wide); buckets whose whole span has left the
//! window are dropped. Memory is capped at [`NonceCache::capacity`] entries: when a burst would
//! exceed it, the oldest bucket is dropped *and* the acceptance floor moves past it, so a request
//! whose nonce might have been forgotten is refused as too old instead of being replayable. Under
//! extreme load the window shrinks; memory never grows past the cap (16 bytes an entry, about
//! 32 MiB at the default of 2 million).

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::Mutex;

const BUCKET_SECONDS: i64 = 10;

/// Outcome of recording a nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    /// First use: recorded.
    Fresh,
    /// Seen before within the window.
    Reused,
    /// The request is older than what the cache can still vouch for.
    TooOld,
}

/// Bounded, thread-safe nonce memory.
#[derive(Debug)]
pub struct NonceCache {
    hasher: RandomState,
    capacity: usize,
    inner: Mutex<Inner>,
}

/// The kept values are already keyed hashes: hashing them again would only cost time.
#[derive(Debug, Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type HashSet64 = HashSet<u64, BuildHasherDefault<PreHashed>>;

#[derive(Debug, Default)]
struct Inner {
    /// Per 10 s bucket of request timestamps; dropping a bucket frees it in one go.
    buckets: BTreeMap<i64, HashSet64>,
    len: usize,
    /// Requests with a timestamp below this (unix seconds) are refused.
    floor: i64,
}

impl NonceCache {
    /// A cache holding at most `capacity` nonces.
    pub fn new(capacity: usize) -> Self {
        NonceCache {
            hasher: RandomState::new(),
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                floor: i64::MIN,
                ..Default::default()
            }),
        }
    }

    /// The most nonces kept at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Record `nonce` of `access_key_id`, sent with timestamp `ts` (unix seconds), at time `now`
    /// with a skew window of `skew` seconds (the caller has already checked `|now - ts| <= skew`).
    pub fn check(
        &self,
        access_key_id: &str,
        nonce: &str,
        ts: i64,
        now: i64,
        skew: i64,
    ) -> NonceCheck {
        let key = self.hasher.hash_one((access_key_id, nonce));
        let bucket = ts.div_euclid(BUCKET_SECONDS);
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // Forget buckets that lie wholly before the window.
        let oldest_live = (now - skew).div_euclid(BUCKET_SECONDS);
        while let Some((&b, _)) = inner.buckets.first_key_value() {
            if b >= oldest_live {
                break;
            }
            if let Some((_, set)) = inner.buckets.pop_first() {
                inner.len -= set.len();
            }
        }
        if ts < inner.floor {
            return NonceCheck::TooOld;
        }
        if inner.buckets.values().any(|set| set.contains(&key)) {
            return NonceCheck::Reused;
        }
        while inner.len >= self.capacity {
            let Some((b, set)) = inner.buckets.pop_first() else {
                break;
            };
            inner.len -= set.len();
            inner.floor = inner.floor.max((b + 1) * BUCKET_SECONDS);
        }
        if ts < inner.floor {
            return NonceCheck::TooOld;
        }
        if !inner.buckets.contains_key(&bucket) {
            // A new bucket starts with room for as many nonces as the newest one holds, so a
            // steady request rate does not make it double (moving every entry) again and again
            // while the lock is held.
            let room = inner
                .buckets
                .last_key_value()
                .map_or(0, |(_, set)| set.len());
            let set = HashSet64::with_capacity_and_hasher(room, Default::default());
            inner.buckets.insert(bucket, set);
        }
        if let Some(set) = inner.buckets.get_mut(&bucket) {
            set.insert(key);
        }
        inner.len += 1;
        NonceCheck::Fresh
    }

    /// How many nonces are held now.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).len
    }

    /// True when no nonce is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuse_is_caught_and_keys_are_separate() {
        let c = NonceCache::new(100);
        assert_eq!(c.check("ak", "n1", 1000, 1000, 900), NonceCheck::Fresh);
        assert_eq!(c.check("ak", "n1", 1000, 1001, 900), NonceCheck::Reused);
        assert_eq!(c.check("ak2", "n1", 1000, 1001, 900), NonceCheck::Fresh);
    }

    #[test]
    fn old_buckets_expire() {
        let c = NonceCache::new(100);
        c.check("ak", "n1", 1000, 1000, 900);
        assert_eq!(c.len(), 1);
        // Long after the window, the entry is gone (and the request would fail the skew check).
        assert_eq!(c.check("ak", "n2", 5000, 5000, 900), NonceCheck::Fresh);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn memory_is_capped_and_forgotten_nonces_cannot_replay() {
        let c = NonceCache::new(50);
        for i in 0..1000 {
            let ts = 10_000 + i / 10;
            assert_ne!(
                c.check("ak", &format!("n{i}"), ts, 10_100, 900),
                NonceCheck::Reused
            );
            assert!(c.len() <= 50);
        }
        // n0 was forgotten when its bucket was evicted: replaying it is refused as too old.
        assert_eq!(c.check("ak", "n0", 10_000, 10_100, 900), NonceCheck::TooOld);
    }
}
