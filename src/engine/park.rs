//! Parked executions: an execution waiting in a top-level `Wait` state needs no task. The
//! interpreter stores what resumes it in the execution itself ([`Execution::park`]) and hands
//! the execution to the [`Parker`], one timer per server ordered by emulated deadline. When the
//! deadline comes (or the clock is advanced past it) the parker takes the continuation back and
//! a fresh task resumes the execution where it stopped. StopExecution needs no help from here:
//! ending an execution drops its continuation, and the `Ticket` inside it removes the timer
//! entry, so a stopped (or reset, or deleted) execution is not kept alive until its deadline.
//!
//! This keeps a million waiting executions to their record and history (no task, no future
//! state machine, no timer per execution).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::store::{Continuation, Execution};

/// Resumes a parked execution from its continuation (set by the interpreter).
pub(crate) type Resume = fn(Arc<Execution>, Continuation);

/// Entries resumed per lock: a clock jump that releases a million executions lets other
/// requests in between batches.
const BATCH: usize = 4096;

/// (deadline, sequence): the sequence keeps equal deadlines apart.
pub(crate) type Key = (DateTime<Utc>, u64);

#[derive(Default)]
struct Timers {
    due: BTreeMap<Key, Arc<Execution>>,
}

/// A parked execution's place in the timer. Kept inside its continuation: dropping the
/// continuation (the execution ended, or it was taken back to resume) removes the entry.
pub(crate) struct Ticket {
    parker: Weak<Parker>,
    key: Key,
}

impl Ticket {
    /// Its place in the timer.
    pub(crate) fn key(&self) -> Key {
        self.key
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(p) = self.parker.upgrade() {
            p.forget(self.key);
        }
    }
}

/// The timer of parked executions.
#[derive(Default)]
pub struct Parker {
    timers: Mutex<Timers>,
    /// Woken when an entry is due earlier than the one the loop sleeps for (and on drop).
    changed: Arc<Notify>,
    /// The loop task, started by the first park.
    started: OnceLock<()>,
    /// Last sequence number handed out.
    seq: AtomicU64,
}

impl std::fmt::Debug for Parker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parker")
            .field("entries", &self.len())
            .finish()
    }
}

impl Drop for Parker {
    fn drop(&mut self) {
        // Let the loop see that the parker is gone.
        self.changed.notify_one();
    }
}

impl Parker {
    /// Entries not yet due.
    pub fn len(&self) -> usize {
        self.timers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .due
            .len()
    }

    /// Whether no entry is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A place in the timer at emulated time `deadline`, for a continuation to carry.
    pub(crate) fn ticket(self: &Arc<Self>, deadline: DateTime<Utc>) -> Ticket {
        Ticket {
            parker: Arc::downgrade(self),
            key: (deadline, self.seq.fetch_add(1, Ordering::Relaxed) + 1),
        }
    }

    /// Resume `exec`, already parked with a continuation carrying the ticket of `key`, with
    /// `resume` at the key's deadline. Must be called on the runtime.
    pub(crate) fn insert(
        self: &Arc<Self>,
        key: Key,
        exec: Arc<Execution>,
        clock: &Arc<Clock>,
        resume: Resume,
    ) {
        self.started.get_or_init(|| {
            let changed = self.changed.clone();
            tokio::spawn(run(Arc::downgrade(self), changed, clock.clone(), resume));
        });
        let earliest = {
            let mut t = self.timers.lock().unwrap_or_else(|e| e.into_inner());
            t.due.insert(key, exec.clone());
            t.due.keys().next() == Some(&key)
        };
        if earliest {
            self.changed.notify_one();
        }
        // Ended between parking and here: its ticket found no entry to remove.
        if !exec.is_parked() {
            self.forget(key);
        }
    }

    /// Remove the entry of `key`, if still there.
    fn forget(&self, key: Key) {
        let removed = self
            .timers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .due
            .remove(&key);
        // The execution is released after the parker's lock.
        drop(removed);
    }

    /// Remove and return up to [`BATCH`] entries due at `now`, and the next deadline.
    fn pop_due(&self, now: DateTime<Utc>) -> (Vec<Arc<Execution>>, Option<DateTime<Utc>>) {
        let mut t = self.timers.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        while out.len() < BATCH {
            match t.due.first_entry() {
                Some(e) if e.key().0 <= now => out.push(e.remove()),
                _ => break,
            }
        }
        let next = t.due.keys().next().map(|k| k.0);
        (out, next)
    }
}

/// The parker's loop: sleep until the earliest deadline (waking on clock jumps and on earlier
/// entries), then resume what is due. Ends when the parker is dropped (server gone).
async fn run(
    parker: std::sync::Weak<Parker>,
    changed: Arc<Notify>,
    clock: Arc<Clock>,
    resume: Resume,
) {
    loop {
        let changed = changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let Some(p) = parker.upgrade() else { return };
        let (due, next) = p.pop_due(clock.now());
        let full = due.len() == BATCH;
        for exec in due {
            if let Some(cont) = exec.take_parked() {
                resume(exec, cont);
            }
        }
        if full {
            tokio::task::yield_now().await;
            continue;
        }
        drop(p);
        match next {
            None => changed.await,
            Some(t) => {
                tokio::select! {
                    _ = clock.sleep_until(t) => {}
                    _ = changed => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use crate::engine::definition;
    use crate::store::{NewExecution, Status};

    static RESUMED: AtomicUsize = AtomicUsize::new(0);

    /// What the tests park: a ticket, as the interpreter's continuation carries one.
    struct Cont(#[allow(dead_code)] Ticket);

    fn count(exec: Arc<Execution>, cont: Continuation) {
        assert!(cont.0.downcast_ref::<Cont>().is_some());
        assert!(exec.status().in_progress());
        RESUMED.fetch_add(1, Ordering::SeqCst);
    }

    /// Park `e` until `deadline` the way the interpreter does.
    fn park(
        parker: &Arc<Parker>,
        clock: &Arc<Clock>,
        e: &Arc<Execution>,
        deadline: DateTime<Utc>,
        resume: Resume,
    ) {
        let ticket = parker.ticket(deadline);
        let key = ticket.key();
        assert!(e.park(Continuation(Box::new(Cont(ticket)))));
        parker.insert(key, e.clone(), clock, resume);
    }

    fn execution(name: &str) -> Arc<Execution> {
        let text = "Type: StateMachine\nSpecVersion: v1\nName: f\nStartAt: p\nStates:\n  - Type: Pass\n    Name: p\n    End: true\n";
        let def = definition::parse(text, definition::ExecutionMode::Standard).expect("definition");
        Arc::new(Execution::new(NewExecution {
            name: name.into(),
            flow_name: "f".into(),
            input: "{}".into(),
            definition_text: Arc::new(crate::store::DefinitionText::from(text)),
            definition: Arc::new(def),
            role_arn: None,
            environment: None,
            callback_token: None,
            qualifier: None,
            map_run: None,
            version: None,
            started_time: Utc::now(),
        }))
    }

    #[tokio::test]
    async fn resumes_at_the_deadline_and_forgets_stopped_executions() {
        let clock = Arc::new(Clock::new(1.0));
        let parker = Arc::new(Parker::default());
        let waiting = execution("w");
        let stopped = execution("s");
        let weak = Arc::downgrade(&stopped);
        for e in [&waiting, &stopped] {
            park(
                &parker,
                &clock,
                e,
                clock.now() + chrono::Duration::seconds(3600),
                count,
            );
            assert!(e.is_parked());
        }
        assert_eq!(parker.len(), 2);
        stopped.stop(None, None, clock.now()).expect("stop");
        assert!(!stopped.is_parked(), "an end drops the continuation");
        assert_eq!(stopped.status(), Status::Stopped);
        assert_eq!(parker.len(), 1, "and its ticket removes the timer entry");
        drop(stopped);
        assert!(
            weak.upgrade().is_none(),
            "the parker does not keep it alive"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(RESUMED.load(Ordering::SeqCst), 0, "not due yet");
        clock.advance(3600.0);
        for _ in 0..200 {
            if !waiting.is_parked() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(parker.is_empty());
        assert_eq!(RESUMED.load(Ordering::SeqCst), 1, "the running one resumed");
        assert!(!waiting.is_parked());
    }

    #[tokio::test]
    async fn an_earlier_entry_wakes_the_loop() {
        let clock = Arc::new(Clock::new(1.0));
        let parker = Arc::new(Parker::default());
        let late = execution("late");
        park(
            &parker,
            &clock,
            &late,
            clock.now() + chrono::Duration::seconds(3600),
            |_, _| {},
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
        let soon = execution("soon");
        park(
            &parker,
            &clock,
            &soon,
            clock.now() + chrono::Duration::milliseconds(30),
            |_, _| {},
        );
        for _ in 0..200 {
            if !soon.is_parked() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(!soon.is_parked(), "resumed at its own deadline");
        assert_eq!(parker.len(), 1);
        assert!(late.is_parked());
    }

    #[tokio::test]
    async fn an_execution_that_ended_before_its_insert_leaves_no_entry() {
        let clock = Arc::new(Clock::new(1.0));
        let parker = Arc::new(Parker::default());
        let e = execution("raced");
        let ticket = parker.ticket(clock.now() + chrono::Duration::seconds(60));
        let key = ticket.key();
        assert!(e.park(Continuation(Box::new(Cont(ticket)))));
        e.stop(None, None, clock.now()).expect("stop");
        parker.insert(key, e.clone(), &clock, |_, _| {});
        assert!(parker.is_empty());
    }

    static BATCHED: AtomicUsize = AtomicUsize::new(0);

    #[tokio::test]
    async fn more_than_a_batch_due_at_once_all_resume() {
        let clock = Arc::new(Clock::new(1.0));
        let parker = Arc::new(Parker::default());
        let n = BATCH * 2 + 17;
        let deadline = clock.now() + chrono::Duration::seconds(60);
        let execs: Vec<_> = (0..n).map(|i| execution(&format!("e{i}"))).collect();
        for e in &execs {
            park(&parker, &clock, e, deadline, |_, _| {
                BATCHED.fetch_add(1, Ordering::SeqCst);
            });
        }
        assert_eq!(parker.len(), n);
        clock.advance(60.0);
        for _ in 0..400 {
            if BATCHED.load(Ordering::SeqCst) == n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(BATCHED.load(Ordering::SeqCst), n);
        assert!(parker.is_empty());
    }
}
