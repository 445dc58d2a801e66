//! The alert: a message that could not reach its contact is reported,
//! once, to the department inbox and the contact's backup (reference,
//! topic, department, contact and what failed; never the visitor's text).

use chrono::Utc;

use super::DeliveryWorker;
use crate::alert;
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
            return alert::note(&to, Ok(()), what_failed);
        }
        let about = alert::About {
            reference: &record.reference,
            route: record.route.as_ref(),
            what_failed,
            what_happens_now,
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
