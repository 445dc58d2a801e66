//! The table as a record of every message: what `switchboard submissions
//! --table NAME` does with it, as [`crate::outbox`]'s `records.rs` does with
//! the local outbox. Listing (a consistent, paginated `Scan` of the `ref#`
//! items), sending a failed message again (back to `queued`, its attempts
//! from zero, its delivery on the queue), erasing one (its item and its
//! key's, leaving a tombstone `erased#REF` with nothing the visitor typed),
//! and purging what is past its `expires_at` now (the table's TTL does it
//! by itself, typically within two days). Safe while the router and the
//! worker run: every change is conditional on the version it read.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::QueuedDelivery;
use super::table::{Status, Stored, Table, key_key, record_key};
use crate::aws::dynamodb::{self, Expression, KEY, get_n, get_s, n, s};
use crate::aws::{AwsError, Service, sqs};
use crate::outbox::{Record, State};

/// The key prefix of a message's item.
pub const RECORD_PREFIX: &str = "ref#";
/// The key prefix of an idempotency key's item.
pub const KEY_PREFIX: &str = "key#";
/// The key prefix of an erased message's tombstone.
pub const ERASED_PREFIX: &str = "erased#";

impl Status {
    /// Where the local outbox would keep a message in this status: new and
    /// queued are pending, delivered is sent.
    pub fn state(self) -> State {
        match self {
            Status::New | Status::Queued => State::Pending,
            Status::Delivered => State::Sent,
            Status::Failed => State::Failed,
        }
    }
}

/// What an operator's change could not do, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum TableRecordError {
    #[error(
        "no record `{reference}` in the table {table} (references look like K7QM-3XPD; `switchboard submissions --table {table} list` shows them)"
    )]
    NotFound { reference: String, table: String },
    #[error(
        "`{reference}` is {status}, not failed: only failed messages are sent again (`switchboard submissions --table {table} show {reference}`)"
    )]
    NotFailed {
        reference: String,
        status: &'static str,
        table: String,
    },
    #[error(
        "`{reference}` is {status}: the delivery worker may be sending it right now. Wait until it is delivered or failed, or pass --force"
    )]
    Pending {
        reference: String,
        status: &'static str,
    },
    #[error(
        "`{reference}` changed while this ran (the delivery worker wrote it): run the command again"
    )]
    Changed { reference: String },
    #[error("cannot read the record {1}: {0}")]
    Unreadable(AwsError, String),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// Every message in the table, and the items that could not be read.
#[derive(Default)]
pub struct TableListing {
    /// Oldest first.
    pub records: Vec<(Record, Status)>,
    /// The item's key, and why.
    pub unreadable: Vec<(String, String)>,
}

/// What [`Table::erase`] removed.
#[derive(Debug)]
pub struct TableErased {
    pub status: Status,
    /// The keys of the items removed: the message's, its idempotency key's.
    pub removed: Vec<String>,
    /// The tombstone's key.
    pub tombstone: String,
}

/// What a purge removes (or, for a dry run, would remove): items past
/// their `expires_at`, by their keys.
#[derive(Debug, Default)]
pub struct TablePurge {
    /// Messages, with their status (`None`: the item has none).
    pub records: Vec<(String, Option<Status>)>,
    pub keys: Vec<String>,
    pub tombstones: Vec<String>,
}

impl TablePurge {
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.keys.is_empty() && self.tombstones.is_empty()
    }

    /// Every item key, messages first.
    pub fn items(&self) -> impl Iterator<Item = &str> {
        self.records
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(self.keys.iter().map(String::as_str))
            .chain(self.tombstones.iter().map(String::as_str))
    }

    /// Deletes the items, each only if it is still past its `expires_at` at
    /// `now` (one written again since the plan stays); how many went.
    pub fn apply(&self, table: &Table, now: DateTime<Utc>) -> Result<usize, AwsError> {
        let mut removed = 0;
        for key in self.items() {
            if dynamodb::delete_if(
                &table.client,
                &table.name,
                key,
                &Expression {
                    text: "#exp < :now",
                    names: &[("#exp", "expires_at")],
                    values: json!({ ":now": n(now.timestamp()) }),
                },
            )? {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

impl Table {
    /// Every message, oldest first. An item that cannot be read is listed
    /// apart, never skipped silently.
    pub fn records(&self) -> Result<TableListing, AwsError> {
        let items = dynamodb::scan(
            &self.client,
            &self.name,
            &Expression {
                text: "begins_with(#k, :prefix)",
                names: &[("#k", KEY)],
                values: json!({ ":prefix": s(RECORD_PREFIX) }),
            },
        )?;
        let mut listing = TableListing::default();
        for item in &items {
            let key = get_s(item, KEY).unwrap_or_default();
            let reference = key.strip_prefix(RECORD_PREFIX).unwrap_or(key);
            match Table::stored(item, reference) {
                Ok(stored) => listing.records.push((stored.record, stored.status)),
                Err(e) => listing.unreadable.push((key.to_string(), e.to_string())),
            }
        }
        listing.records.sort_by(|a, b| {
            (a.0.created_at, &a.0.reference).cmp(&(b.0.created_at, &b.0.reference))
        });
        Ok(listing)
    }

    /// The message `reference`, or an error that says what to do.
    pub fn find(&self, reference: &str) -> Result<Stored, TableRecordError> {
        self.find_item(reference).map(|(stored, _)| stored)
    }

    /// The message and its raw item.
    fn find_item(&self, reference: &str) -> Result<(Stored, Value), TableRecordError> {
        let item =
            dynamodb::get(&self.client, &self.name, &record_key(reference))?.ok_or_else(|| {
                TableRecordError::NotFound {
                    reference: reference.to_string(),
                    table: self.name.clone(),
                }
            })?;
        let stored = Table::stored(&item, reference)
            .map_err(|e| TableRecordError::Unreadable(e, reference.to_string()))?;
        Ok((stored, item))
    }

    /// Sends a failed message again: it is marked queued, its attempts
    /// counted from zero, and its delivery goes on the queue at
    /// `queue_url`; the worker sends what did not go out (never a mail
    /// twice). If the queue refuses, the message is failed again, as it was.
    pub fn requeue(
        &self,
        queue_url: &str,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<Record, TableRecordError> {
        let stored = self.find(reference)?;
        if stored.status != Status::Failed {
            return Err(TableRecordError::NotFailed {
                reference: reference.to_string(),
                status: stored.status.as_str(),
                table: self.name.clone(),
            });
        }
        let mut record = stored.record.clone();
        record.requeue(now);
        // Queued before it is on the queue: the worker skips a failed message.
        if !self.save(&record, Status::Queued, stored.version)? {
            return Err(TableRecordError::Changed {
                reference: reference.to_string(),
            });
        }
        let body = serde_json::to_string(&QueuedDelivery {
            reference: reference.to_string(),
        })
        .map_err(|e| AwsError::local(Service::Sqs, e))?;
        if let Err(e) = sqs::send(&self.client, queue_url, &body) {
            let _ = self.save(&stored.record, Status::Failed, stored.version + 1);
            return Err(e.into());
        }
        Ok(record)
    }

    /// Erases a message: its item and its idempotency key's, leaving a
    /// tombstone `erased#REF` (reference, when, its status then, topic and
    /// department; no name, address or text) that expires with the message.
    /// A message not yet delivered or failed is refused unless `force` (the
    /// worker may be sending it).
    pub fn erase(
        &self,
        reference: &str,
        now: DateTime<Utc>,
        force: bool,
    ) -> Result<TableErased, TableRecordError> {
        let (stored, item) = self.find_item(reference)?;
        if matches!(stored.status, Status::New | Status::Queued) && !force {
            return Err(TableRecordError::Pending {
                reference: reference.to_string(),
                status: stored.status.as_str(),
            });
        }
        let tombstone = format!("{ERASED_PREFIX}{reference}");
        let mut tomb = Map::new();
        tomb.insert(KEY.into(), s(&tombstone));
        tomb.insert("reference".into(), s(reference));
        tomb.insert("erased_at".into(), s(&now.to_rfc3339()));
        tomb.insert("status".into(), s(stored.status.as_str()));
        if let Some(route) = &stored.record.route {
            tomb.insert("topic".into(), s(&route.topic));
            tomb.insert("department".into(), s(&route.department));
        }
        if let Some(expires) = get_n(&item, "expires_at") {
            tomb.insert("expires_at".into(), n(expires));
        }
        // The tombstone first: an erasure cut short still says it was asked for.
        dynamodb::put_if(
            &self.client,
            &self.name,
            tomb,
            &Expression {
                text: "attribute_not_exists(#k) OR begins_with(#k, :erased)",
                names: &[("#k", KEY)],
                values: json!({ ":erased": s(ERASED_PREFIX) }),
            },
        )?;
        let mut removed = Vec::new();
        if let Some(key_id) = &stored.record.key_id {
            let key = key_key(key_id);
            let ours = dynamodb::delete_if(
                &self.client,
                &self.name,
                &key,
                &Expression {
                    text: "#ref = :ref",
                    names: &[("#ref", "reference")],
                    values: json!({ ":ref": s(reference) }),
                },
            )?;
            if ours {
                removed.push(key);
            }
        }
        let key = record_key(reference);
        let deleted = dynamodb::delete_if(
            &self.client,
            &self.name,
            &key,
            &Expression {
                text: "#version = :v",
                names: &[("#version", "version")],
                values: json!({ ":v": n(stored.version) }),
            },
        )?;
        if !deleted {
            return Err(TableRecordError::Changed {
                reference: reference.to_string(),
            });
        }
        removed.push(key);
        Ok(TableErased {
            status: stored.status,
            removed,
            tombstone,
        })
    }

    /// What a purge at `now` removes: every item past its `expires_at`
    /// (what the table's TTL removes by itself, later): messages, keys and
    /// tombstones.
    pub fn plan_purge(&self, now: DateTime<Utc>) -> Result<TablePurge, AwsError> {
        let items = dynamodb::scan(
            &self.client,
            &self.name,
            &Expression {
                text: "#exp < :now",
                names: &[("#exp", "expires_at")],
                values: json!({ ":now": n(now.timestamp()) }),
            },
        )?;
        let mut purge = TablePurge::default();
        for item in &items {
            let key = get_s(item, KEY).unwrap_or_default().to_string();
            if key.starts_with(RECORD_PREFIX) {
                let status = get_s(item, "status").and_then(Status::parse);
                purge.records.push((key, status));
            } else if key.starts_with(KEY_PREFIX) {
                purge.keys.push(key);
            } else if key.starts_with(ERASED_PREFIX) {
                purge.tombstones.push(key);
            }
        }
        purge.records.sort_by(|a, b| a.0.cmp(&b.0));
        purge.keys.sort();
        purge.tombstones.sort();
        Ok(purge)
    }
}
