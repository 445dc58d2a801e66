//! The alert: a message that could not reach its contact is reported,
//! once, to the department inbox and the contact's backup (reference,
//! topic, department, contact and what failed; never the visitor's text).

use chrono::Utc;

use super::DeliveryWorker;
use crate::alert;
use crate::log;
use crate::outbox::Record;
use crate::route::Recipient;

impl DeliveryWorker {
    /// Sends the alert for `record`; the note the record keeps about it.
    pub(super) fn alert(&self, record: &Record, what_failed: &str, next: &'static str) -> String {
        let to = self.alert_recipients(record);
        if to.is_empty() {
            log::event(&format!(
                "event=alert-without-recipients ref={}",
                record.reference
            ));
            return alert::note(&to, Ok(()), what_failed);
        }
        let about = alert::About {
            reference: &record.reference,
            route: record.route.as_ref(),
            what_failed,
            next,
        };
        let sent = alert::compose(&self.manifest, &self.sender, &to, &about, Utc::now())
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
        match &sent {
            Ok(()) => log::event(&format!("event=alert-sent ref={}", record.reference)),
            Err(e) => log::event(&format!(
                "event=alert-failed ref={} error={e}",
                record.reference
            )),
        }
        alert::note(&to, sent, what_failed)
    }

    /// The department inbox and the routed contact's backup, each once.
    pub(super) fn alert_recipients(&self, record: &Record) -> Vec<Recipient> {
        alert::recipients(&self.manifest, record.route.as_ref())
    }
}
