//! The table: one item per message (`ref#REFERENCE`) and one per
//! idempotency key (`key#ID`), both expiring through the `expires_at` TTL
//! attribute. A message's item holds its record (the mails, what was
//! delivered, the last error) as JSON, plus the attributes an operator
//! filters on (status, topic, department, contact, dates).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::aws::dynamodb::{self, Expression, KEY, get_n, get_s, n, s};
use crate::aws::{AwsClient, AwsError};
use crate::outbox::Record;

/// Where a message is on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Kept; its delivery is not queued yet (the queue failed): the visitor
    /// was told to try again, and a retry with the same key queues it.
    New,
    /// Queued for the delivery worker.
    Queued,
    /// Every mail went out.
    Delivered,
    /// Given up on: the operator was alerted.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Queued => "queued",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "new" => Status::New,
            "queued" => Status::Queued,
            "delivered" => Status::Delivered,
            "failed" => Status::Failed,
            _ => return None,
        })
    }
}

/// A message's item, read back.
pub struct Stored {
    pub record: Record,
    pub status: Status,
    /// Bumped by every write: a write on a stale read fails instead of
    /// undoing another's progress.
    pub version: i64,
}

/// What an idempotency key stands for.
pub struct KeyEntry {
    pub reference: String,
    pub body_digest: String,
}

#[derive(Clone)]
pub struct Table {
    pub client: AwsClient,
    pub name: String,
}

pub(crate) fn record_key(reference: &str) -> String {
    format!("ref#{reference}")
}

pub(crate) fn key_key(key_id: &str) -> String {
    format!("key#{key_id}")
}

const ABSENT: &str = "attribute_not_exists(#k)";

impl Table {
    /// Writes a new message's item; `Ok(false)` if the reference is taken.
    pub fn put_new(&self, record: &Record, expires_at: DateTime<Utc>) -> Result<bool, AwsError> {
        let mut item = Map::new();
        item.insert(KEY.into(), s(&record_key(&record.reference)));
        item.insert("status".into(), s(Status::New.as_str()));
        item.insert("version".into(), n(0));
        item.insert("expires_at".into(), n(expires_at.timestamp()));
        self.fill(&mut item, record)?;
        dynamodb::put_if(
            &self.client,
            &self.name,
            item,
            &Expression {
                text: ABSENT,
                names: &[("#k", KEY)],
                values: json!({}),
            },
        )
    }

    /// The attributes written on every save of a record.
    fn fill(&self, item: &mut Map<String, Value>, record: &Record) -> Result<(), AwsError> {
        let json = serde_json::to_string(record)
            .map_err(|e| AwsError::local(crate::aws::Service::DynamoDb, e))?;
        item.insert("record".into(), s(&json));
        item.insert("reference".into(), s(&record.reference));
        item.insert("created_at".into(), s(&record.created_at.to_rfc3339()));
        item.insert("attempts".into(), n(i64::from(record.attempts)));
        if let Some(route) = &record.route {
            item.insert("topic".into(), s(&route.topic));
            item.insert("department".into(), s(&route.department));
            if let Some(c) = &route.contact {
                item.insert("contact".into(), s(c));
            }
        }
        if let Some(e) = &record.last_error {
            item.insert("last_error".into(), s(e));
        }
        if let Some(language) = &record.language {
            item.insert("language".into(), s(language));
        }
        Ok(())
    }

    /// The message `reference`, if the table still holds it.
    pub fn load(&self, reference: &str) -> Result<Option<Stored>, AwsError> {
        let Some(item) = dynamodb::get(&self.client, &self.name, &record_key(reference))? else {
            return Ok(None);
        };
        Self::stored(&item, reference).map(Some)
    }

    /// A message's item read back (`reference` names it in an error).
    pub(crate) fn stored(item: &Value, reference: &str) -> Result<Stored, AwsError> {
        let bad = |what: &str| {
            AwsError::local(
                crate::aws::Service::DynamoDb,
                format!("item {reference}: {what}"),
            )
        };
        let record: Record =
            serde_json::from_str(get_s(item, "record").ok_or_else(|| bad("no record"))?)
                .map_err(|e| bad(&e.to_string()))?;
        let status = get_s(item, "status")
            .and_then(Status::parse)
            .ok_or_else(|| bad("no status"))?;
        let version = get_n(item, "version").unwrap_or(0);
        Ok(Stored {
            record,
            status,
            version,
        })
    }

    /// Saves `record` with `status`, if nobody wrote it since `version` was
    /// read; `Ok(false)` otherwise (read it again).
    pub fn save(&self, record: &Record, status: Status, version: i64) -> Result<bool, AwsError> {
        let mut item = Map::new();
        self.fill(&mut item, record)?;
        item.insert("status".into(), s(status.as_str()));
        item.insert("version".into(), n(version + 1));
        item.insert("updated_at".into(), s(&Utc::now().to_rfc3339()));
        let mut names = vec![];
        let mut values = Map::new();
        let mut sets = vec![];
        for (i, (name, value)) in item.into_iter().enumerate() {
            sets.push(format!("#a{i} = :a{i}"));
            names.push((format!("#a{i}"), name));
            values.insert(format!(":a{i}"), value);
        }
        values.insert(":v".into(), n(version));
        let mut names: Vec<(&str, &str)> = names
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain([("#version", "version")])
            .collect();
        let mut update_text = format!("SET {}", sets.join(", "));
        if record.last_error.is_none() {
            // A retried message's old error goes with it.
            update_text.push_str(" REMOVE #last_error");
            names.push(("#last_error", "last_error"));
        }
        dynamodb::update_if(
            &self.client,
            &self.name,
            &record_key(&record.reference),
            &Expression {
                text: &update_text,
                names: &names,
                values: Value::Object(values),
            },
            &Expression {
                text: "#version = :v",
                names: &[],
                values: json!({}),
            },
        )
    }

    /// Marks a new message queued, if it is still `new`. The version is left
    /// alone: a worker that read the item before this must still be able to
    /// save its progress (a failed save would send a delivered mail again).
    pub fn mark_queued(&self, reference: &str) -> Result<bool, AwsError> {
        dynamodb::update_if(
            &self.client,
            &self.name,
            &record_key(reference),
            &Expression {
                text: "SET #status = :queued",
                names: &[("#status", "status")],
                values: json!({ ":queued": s(Status::Queued.as_str()) }),
            },
            &Expression {
                text: "#status = :new",
                names: &[],
                values: json!({ ":new": s(Status::New.as_str()) }),
            },
        )
    }

    /// Deletes a message that was never promised (its key went to another).
    pub fn delete_unpromised(&self, reference: &str) -> Result<(), AwsError> {
        dynamodb::delete_if(
            &self.client,
            &self.name,
            &record_key(reference),
            &Expression {
                text: "#status = :new",
                names: &[("#status", "status")],
                values: json!({ ":new": s(Status::New.as_str()) }),
            },
        )
        .map(|_| ())
    }

    /// Claims `key_id` for `reference` until `key_expires`, if it is free or
    /// expired, or still names `replacing` (a message it may be reused for).
    pub fn claim_key(
        &self,
        key_id: &str,
        entry: &KeyEntry,
        now: DateTime<Utc>,
        key_expires: DateTime<Utc>,
        replacing: Option<&str>,
    ) -> Result<bool, AwsError> {
        let mut item = Map::new();
        item.insert(KEY.into(), s(&key_key(key_id)));
        item.insert("reference".into(), s(&entry.reference));
        item.insert("body_digest".into(), s(&entry.body_digest));
        item.insert("expires_at".into(), n(key_expires.timestamp()));
        let (text, values) = match replacing {
            None => (
                "attribute_not_exists(#k) OR #exp < :now",
                json!({ ":now": n(now.timestamp()) }),
            ),
            Some(old) => ("#ref = :old", json!({ ":old": s(old) })),
        };
        let names: &[(&str, &str)] = match replacing {
            None => &[("#k", KEY), ("#exp", "expires_at")],
            Some(_) => &[("#ref", "reference")],
        };
        dynamodb::put_if(
            &self.client,
            &self.name,
            item,
            &Expression {
                text,
                names,
                values,
            },
        )
    }

    /// What `key_id` stands for, if it has not expired.
    pub fn key(&self, key_id: &str, now: DateTime<Utc>) -> Result<Option<KeyEntry>, AwsError> {
        let Some(item) = dynamodb::get(&self.client, &self.name, &key_key(key_id))? else {
            return Ok(None);
        };
        if get_n(&item, "expires_at").is_some_and(|t| t < now.timestamp()) {
            return Ok(None);
        }
        Ok(Some(KeyEntry {
            reference: get_s(&item, "reference").unwrap_or_default().to_string(),
            body_digest: get_s(&item, "body_digest").unwrap_or_default().to_string(),
        }))
    }
}
