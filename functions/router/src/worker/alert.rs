//! The alert: a message that could not reach its contact is reported,
//! once, to the department inbox and the contact's backup (reference,
//! topic, department, contact and what failed; never the visitor's text).

use chrono::Utc;

use super::DeliveryWorker;
use crate::compose::{self, AlertFacts, Context};
use crate::log;
use crate::outbox::Record;
use crate::route::Recipient;

/// What the alert for a parked message says happens next.
pub(super) const UNDELIVERED: &str = "Nothing more will be tried. The message is kept in the \
    submissions table under its reference; please contact the sender another way or resend it \
    once the cause is fixed.";

/// What the alert for a bounced contact address says happens next.
pub(super) const REROUTED: &str = "The contact's address bounced. The message was sent again \
    to the department inbox and the backup contact; please check the contact's address in the \
    site's content.";

impl DeliveryWorker {
    /// Sends the alert for `record`; the note the record keeps about it.
    pub(super) fn alert(
        &self,
        record: &Record,
        what_failed: &str,
        what_happens_now: &str,
    ) -> String {
        let to = self.alert_recipients(record);
        if to.is_empty() {
            log::event(&format!(
                "event=alert-without-recipients ref={}",
                record.reference
            ));
            return "alert: no department inbox or backup to tell".into();
        }
        let route = record
            .route
            .clone()
            .unwrap_or_else(|| crate::outbox::RouteIds {
                topic: "-".into(),
                department: "-".into(),
                contact: None,
            });
        let department = self.manifest.department(&route.department);
        let contact = route
            .contact
            .as_deref()
            .and_then(|c| self.manifest.contact(c));
        let facts = AlertFacts {
            topic: self
                .manifest
                .topic(&route.topic)
                .map_or(route.topic.as_str(), |t| t.label.as_str()),
            department: department.map_or(route.department.as_str(), |d| d.name.as_str()),
            contact: contact.map_or("the department inbox", |c| c.name.as_str()),
            what_failed,
            what_happens_now,
        };
        let ctx = Context {
            site_title: &self.manifest.site.title,
            sender: &self.sender,
            reference: &record.reference,
            received: Utc::now(),
        };
        let sent = compose::alert(&ctx, &to, &facts)
            .map_err(|e| e.to_string())
            .and_then(|mail| {
                self.ses
                    .send_tagged(
                        &mail.envelope,
                        &mail.raw,
                        &[("sb_ref", &record.reference), ("sb_mail", "alert")],
                    )
                    .map_err(|e| e.to_string())
            });
        let who = to
            .iter()
            .map(|r| r.email.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        match sent {
            Ok(()) => {
                log::event(&format!("event=alert-sent ref={}", record.reference));
                format!("alert sent to {who}: {what_failed}")
            }
            Err(e) => {
                log::event(&format!(
                    "event=alert-failed ref={} error={e}",
                    record.reference
                ));
                format!("alert to {who} failed ({e}): {what_failed}")
            }
        }
    }

    /// The department inbox and the routed contact's backup, each once.
    pub(super) fn alert_recipients(&self, record: &Record) -> Vec<Recipient> {
        let Some(route) = &record.route else {
            return Vec::new();
        };
        let mut to: Vec<Recipient> = Vec::new();
        if let Some(d) = self.manifest.department(&route.department) {
            to.push(Recipient {
                name: d.name.clone(),
                email: d.inbox.clone(),
            });
        }
        let backup = route
            .contact
            .as_deref()
            .and_then(|c| self.manifest.contact(c))
            .and_then(|c| c.backup.as_deref())
            .and_then(|b| self.manifest.contact(b));
        if let Some(b) = backup
            && !to.iter().any(|r| r.email.eq_ignore_ascii_case(&b.email))
        {
            to.push(Recipient {
                name: b.name.clone(),
                email: b.email.clone(),
            });
        }
        to
    }
}
