//! Opt-in durability (`--data-dir`): every change to the store is appended, before the call
//! that made it is answered, to `journal.jsonl` as one JSON line, written straight to the file
//! (no user-space buffer), so a `kill -9` loses nothing that was acknowledged. At start-up the
//! journal is replayed to rebuild the store (see `crate::durability`). A torn last line (a
//! crash in the middle of a write) is ignored.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A flow's updatable attributes as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetaRec {
    pub definition_text: String,
    pub description: String,
    pub flow_type: String,
    pub role_arn: Option<String>,
    pub environment: Option<Value>,
    pub execution_mode: String,
    pub external_storage_location: Option<String>,
    pub resource_group_id: Option<String>,
    pub last_modified_time: DateTime<Utc>,
}

/// One history event as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventRec {
    pub id: u64,
    pub schedule_id: u64,
    pub kind: String,
    pub step: String,
    pub time: DateTime<Utc>,
    pub detail: String,
}

/// An execution's fixed facts as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExecRec {
    pub name: String,
    pub input: String,
    pub definition_text: String,
    pub role_arn: Option<String>,
    pub environment: Option<Value>,
    pub callback_token: Option<String>,
    pub qualifier: Option<String>,
    pub map_run: Option<String>,
    pub version: Option<u64>,
    pub started_time: DateTime<Utc>,
}

/// One journal line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t")]
#[allow(missing_docs)]
pub enum Record {
    FlowPut {
        account: String,
        id: String,
        name: String,
        created: DateTime<Utc>,
        meta: MetaRec,
    },
    FlowDeleted {
        account: String,
        name: String,
        id: String,
    },
    VersionPut {
        account: String,
        flow: String,
        version: u64,
        description: String,
        created: DateTime<Utc>,
        meta: MetaRec,
    },
    VersionDeleted {
        account: String,
        flow: String,
        version: u64,
    },
    AliasPut {
        account: String,
        flow: String,
        name: String,
        description: String,
        routes: Vec<(u64, u32)>,
        created: DateTime<Utc>,
        modified: DateTime<Utc>,
    },
    AliasDeleted {
        account: String,
        flow: String,
        name: String,
    },
    SchedulePut {
        account: String,
        flow: String,
        id: String,
        name: String,
        created: DateTime<Utc>,
        cron: String,
        payload: Option<String>,
        description: String,
        enable: bool,
        modified: DateTime<Utc>,
    },
    ScheduleDeleted {
        account: String,
        flow: String,
        name: String,
    },
    ExecStarted {
        account: String,
        flow: String,
        exec: ExecRec,
    },
    Event {
        account: String,
        flow: String,
        exec: String,
        ev: EventRec,
    },
    ExecEnded {
        account: String,
        flow: String,
        exec: String,
        status: String,
        stopped: DateTime<Utc>,
        output: Option<String>,
        error: Option<(String, String)>,
    },
}

/// The append-only journal file.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

/// Where a store object writes its changes: the journal and the owning account.
#[derive(Debug, Clone)]
pub struct Sink {
    /// The journal.
    pub journal: Arc<Journal>,
    /// The account id.
    pub account: Arc<str>,
}

impl Journal {
    /// Open (creating) `dir/journal.jsonl`; returns the journal and the records already in it.
    pub fn open(dir: &Path) -> std::io::Result<(Arc<Journal>, Vec<Record>)> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("journal.jsonl");
        let mut records = Vec::new();
        if path.exists() {
            let reader = BufReader::new(File::open(&path)?);
            let mut lines = reader.lines().peekable();
            while let Some(line) = lines.next() {
                let line = line?;
                match serde_json::from_str::<Record>(&line) {
                    Ok(r) => records.push(r),
                    // Only the last line may be torn by a crash; anything else is corruption.
                    Err(_) if lines.peek().is_none() => break,
                    Err(e) => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("{}: bad record: {e}", path.display()),
                        ))
                    }
                }
            }
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok((
            Arc::new(Journal {
                path,
                file: Mutex::new(file),
            }),
            records,
        ))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one record (one `write` of a whole line). A write failure is logged: the
    /// emulator keeps serving from memory.
    pub fn append(&self, rec: &Record) {
        let mut line = match serde_json::to_vec(rec) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "journal: cannot encode a record");
                return;
            }
        };
        line.push(b'\n');
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = f.write_all(&line) {
            tracing::error!(error = %e, path = %self.path.display(), "journal: write failed");
        }
    }
}

impl Sink {
    /// Append a record.
    pub fn append(&self, rec: Record) {
        self.journal.append(&rec);
    }
}
