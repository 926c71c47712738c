//! Where the server's log lines go: stdout, with the lines of busy runtime workers batched.
//!
//! Every API request logs one INFO line. Written with one `write(2)` each, the log costs a system
//! call per request (and, on a pipe, a wake-up of the reader). So a runtime worker keeps its
//! INFO/DEBUG/TRACE lines in a thread-local buffer that is written out when it reaches
//! [`BATCH_BYTES`] and whenever the worker is about to park, i.e. has nothing left to do: an
//! idle or lightly loaded server logs as promptly as an unbuffered one, a busy one writes ~50
//! lines per call. Lines are formatted (and time-stamped) when they happen; only the write is
//! deferred. WARN and ERROR lines, and every line of other threads (the main thread, the
//! blocking pool), are written at once. A buffer left when its thread ends is written then.

use std::cell::RefCell;
use std::io::{self, Write};

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// A worker's buffer is written when it holds this much.
pub const BATCH_BYTES: usize = 8 * 1024;

struct Batch {
    /// Set on a worker's first park: only runtime workers batch.
    on: bool,
    buf: Vec<u8>,
}

impl Drop for Batch {
    fn drop(&mut self) {
        write_out(&mut self.buf);
    }
}

thread_local! {
    static BATCH: RefCell<Batch> = const {
        RefCell::new(Batch {
            on: false,
            buf: Vec::new(),
        })
    };
}

fn write_out(buf: &mut Vec<u8>) {
    if !buf.is_empty() {
        // Nowhere to report a failed log write; the line is dropped, as tracing's own
        // writer would.
        let _ = sink(buf);
        buf.clear();
    }
}

#[cfg(not(test))]
fn sink(data: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(data)?;
    out.flush()
}

#[cfg(test)]
thread_local! {
    static WRITTEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Unit tests count what would have been written instead of writing it.
#[cfg(test)]
fn sink(data: &[u8]) -> io::Result<()> {
    WRITTEN.with(|w| w.set(w.get() + data.len()));
    Ok(())
}

/// Whether lines of `level` may wait in a worker's buffer.
fn batches(level: &Level) -> bool {
    // In tracing, more verbose levels compare greater: INFO > WARN > ERROR.
    *level > Level::WARN
}

/// For the runtime's `on_thread_park`: this thread batches from now on, and what it holds is
/// written now.
pub fn on_worker_park() {
    let _ = BATCH.try_with(|b| {
        if let Ok(mut b) = b.try_borrow_mut() {
            b.on = true;
            write_out(&mut b.buf);
        }
    });
}

/// The writer for one formatted event.
pub struct Stdout {
    batch: bool,
}

impl Write for Stdout {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.batch {
            let kept = BATCH
                .try_with(|b| {
                    let Ok(mut b) = b.try_borrow_mut() else {
                        return false;
                    };
                    if !b.on {
                        return false;
                    }
                    b.buf.extend_from_slice(data);
                    if b.buf.len() >= BATCH_BYTES {
                        write_out(&mut b.buf);
                    }
                    true
                })
                .unwrap_or(false);
            if kept {
                return Ok(data.len());
            }
        }
        sink(data)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `tracing_subscriber`'s writer factory for the server's log.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeStdout;

impl<'a> MakeWriter<'a> for MakeStdout {
    type Writer = Stdout;

    fn make_writer(&'a self) -> Stdout {
        Stdout { batch: false }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Stdout {
        Stdout {
            batch: batches(meta.level()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held() -> usize {
        BATCH.with(|b| b.borrow().buf.len())
    }

    fn written() -> usize {
        WRITTEN.with(|w| w.get())
    }

    #[test]
    fn verbose_levels_batch_warnings_do_not() {
        assert!(batches(&Level::INFO));
        assert!(batches(&Level::DEBUG));
        assert!(!batches(&Level::WARN));
        assert!(!batches(&Level::ERROR));
    }

    #[test]
    fn only_parked_threads_batch() {
        std::thread::spawn(|| {
            let mut info = Stdout { batch: true };
            let mut warn = Stdout { batch: false };
            // Not a worker yet: written through.
            info.write_all(b"a\n").unwrap();
            assert_eq!((held(), written()), (0, 2));
            on_worker_park();
            info.write_all(b"x\n").unwrap();
            assert_eq!((held(), written()), (2, 2));
            warn.write_all(b"w\n").unwrap();
            assert_eq!((held(), written()), (2, 4), "WARN lines are not kept");
            info.write_all(&vec![b'y'; BATCH_BYTES]).unwrap();
            assert_eq!(
                (held(), written()),
                (0, 6 + BATCH_BYTES),
                "a full buffer is written"
            );
            info.write_all(b"z\n").unwrap();
            assert_eq!(held(), 2);
            on_worker_park();
            assert_eq!(
                (held(), written()),
                (0, 8 + BATCH_BYTES),
                "parking writes what is held"
            );
            info.write_all(b"v\n").unwrap();
            on_worker_park();
            assert_eq!((held(), written()), (0, 10 + BATCH_BYTES));
        })
        .join()
        .unwrap();
    }
}
