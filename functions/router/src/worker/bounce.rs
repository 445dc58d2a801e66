//! SES's sending events (the configuration set's event destination, an SNS
//! topic): a hard bounce of a contact's address sends the message on to the
//! department inbox and the backup contact and alerts them; a bounce or a
//! complaint on a visitor's acknowledgement is recorded and never retried.
//! Each mail was tagged `sb_ref` (its reference) and `sb_mail` (its index)
//! when sent, so an event finds its record without reading the message.

use serde_json::Value;

use super::DeliveryWorker;
use crate::aws::{self, AwsError, Service};
use crate::compose::MailKind;
use crate::log;
use crate::store::dynamo::table::Status;

/// One SES event, as SNS delivers it (the `Message` is SES's JSON).
struct SesEvent {
    kind: String,
    /// SES's id of this bounce or complaint: SNS may deliver an event twice,
    /// and a handled one is recognised by it.
    feedback_id: Option<String>,
    permanent: bool,
    bounced: Vec<String>,
    reference: String,
    mail_index: Option<usize>,
}

impl SesEvent {
    fn parse(sns_message: &str) -> Option<Self> {
        let v: Value = serde_json::from_str(sns_message).ok()?;
        // Event publishing says `eventType`; identity notifications `notificationType`.
        let kind = v["eventType"]
            .as_str()
            .or_else(|| v["notificationType"].as_str())?
            .to_string();
        let tag = |name: &str| v["mail"]["tags"][name][0].as_str().map(str::to_string);
        let bounced = v["bounce"]["bouncedRecipients"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["emailAddress"].as_str())
            .map(str::to_ascii_lowercase)
            .collect();
        let feedback_id = v["bounce"]["feedbackId"]
            .as_str()
            .or_else(|| v["complaint"]["feedbackId"].as_str())
            .map(str::to_string);
        Some(Self {
            feedback_id,
            permanent: v["bounce"]["bounceType"].as_str() == Some("Permanent"),
            bounced,
            reference: tag("sb_ref")?,
            mail_index: tag("sb_mail").and_then(|i| i.parse().ok()),
            kind,
        })
    }
}

impl DeliveryWorker {
    /// Handles an SNS event carrying SES events. Errors are logged and the
    /// event is dropped: SNS retries on its own, and a bounce handled twice
    /// would mail the backup twice.
    pub async fn handle_ses_events(&self, event: &Value) {
        for record in event["Records"].as_array().into_iter().flatten() {
            let message = record["Sns"]["Message"].as_str().unwrap_or_default();
            let Some(ses_event) = SesEvent::parse(message) else {
                log::event("event=ses-event-ignored why=not-one-of-ours");
                continue;
            };
            let worker = self.clone();
            let reference = ses_event.reference.clone();
            let handled = aws::blocking(Service::DynamoDb, move || worker.apply(&ses_event)).await;
            if let Err(e) = handled {
                log::event(&format!("event=ses-event-failed ref={reference} error={e}"));
            }
        }
    }

    fn apply(&self, event: &SesEvent) -> Result<(), AwsError> {
        log::event(&format!(
            "event=ses-{} ref={} mail={} permanent={}",
            event.kind.to_ascii_lowercase(),
            event.reference,
            event.mail_index.map_or("-".into(), |i| i.to_string()),
            event.permanent
        ));
        if !matches!(event.kind.as_str(), "Bounce" | "Complaint") {
            return Ok(());
        }
        let Some(stored) = self.table.load(&event.reference)? else {
            return Ok(());
        };
        let (mut record, version) = (stored.record, stored.version);
        let seen = event
            .feedback_id
            .as_ref()
            .map(|id| format!("ses event {id}"));
        if let Some(seen) = &seen {
            if record.notes.contains(seen) {
                log::event(&format!("event=ses-event-repeated ref={}", event.reference));
                return Ok(());
            }
            record.notes.push(seen.clone());
        }
        let kind = event
            .mail_index
            .and_then(|i| record.mails.get(i))
            .map(|m| m.kind);
        let rerouted = match (event.kind.as_str(), kind) {
            ("Bounce", Some(MailKind::Notification)) if event.permanent => {
                let note = self.reroute(&mut record, event);
                record.notes.push(note);
                true
            }
            ("Bounce", Some(MailKind::Acknowledgement)) => {
                record
                    .notes
                    .push("the acknowledgement bounced; it is not sent again".into());
                false
            }
            ("Complaint", Some(MailKind::Acknowledgement)) => {
                record
                    .notes
                    .push("the visitor marked the acknowledgement as spam".into());
                false
            }
            (what, _) => {
                record
                    .notes
                    .push(format!("{what} on mail {:?}", event.mail_index));
                false
            }
        };
        let status = if rerouted {
            Status::Delivered
        } else {
            stored.status
        };
        self.table.save(&record, status, version).map(|_| ())
    }

    /// Sends the bounced notification on to the department inbox and the
    /// backup (those that did not bounce), and alerts them; the note.
    fn reroute(&self, record: &mut crate::outbox::Record, event: &SesEvent) -> String {
        let Some(index) = event.mail_index else {
            return "bounce without a mail index".into();
        };
        let to: Vec<String> = self
            .alert_recipients(record)
            .into_iter()
            .map(|r| r.email.to_string())
            .filter(|a| !event.bounced.contains(&a.to_ascii_lowercase()))
            .collect();
        let what_failed = format!(
            "the contact's address bounced ({} address{})",
            event.bounced.len(),
            if event.bounced.len() == 1 { "" } else { "es" }
        );
        if to.is_empty() {
            return self.alert(record, &what_failed, crate::alert::NEXT_TABLE);
        }
        let mail = &record.mails[index];
        let mut envelope = mail.envelope.clone();
        envelope.to = to;
        let resent = mail.raw().map_err(|e| e.to_string()).and_then(|raw| {
            self.ses
                .send_tagged(
                    &envelope,
                    &raw,
                    &[("sb_ref", &record.reference), ("sb_mail", "rerouted")],
                )
                .map_err(|e| e.to_string())
        });
        let note = match resent {
            Ok(()) => format!("re-routed to {}", envelope.to.join(", ")),
            Err(e) => format!("re-routing failed: {e}"),
        };
        let alert_note = self.alert(record, &what_failed, crate::alert::NEXT_REROUTED);
        format!("{note}; {alert_note}")
    }
}
