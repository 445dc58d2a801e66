//! The alert about a message that could not reach its contact, shared by
//! both stores (the local outbox and the AWS delivery worker): who gets it
//! (the department inbox and the routed contact's backup, each once, from
//! the manifest only), what it says (reference, topic, department, contact,
//! what failed; never the visitor's text) and the note the record keeps.

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;

use crate::compose::{self, AlertFacts, ComposeError, ComposedMail, Context};
use crate::manifest::RoutingManifest;
// Notes about alerts start with this: a record that has one was alerted about.
use crate::outbox::ALERT_NOTE as NOTE_PREFIX;
use crate::outbox::RouteIds;
use crate::route::Recipient;

/// The department inbox and the routed contact's backup, each once; none
/// for a record without a route.
pub fn recipients(manifest: &RoutingManifest, route: Option<&RouteIds>) -> Vec<Recipient> {
    let Some(route) = route else {
        return Vec::new();
    };
    let mut to: Vec<Recipient> = Vec::new();
    if let Some(d) = manifest.department(&route.department) {
        to.push(Recipient {
            name: d.name.clone(),
            email: d.inbox.clone(),
        });
    }
    let backup = route
        .contact
        .as_deref()
        .and_then(|c| manifest.contact(c))
        .and_then(|c| c.backup.as_deref())
        .and_then(|b| manifest.contact(b));
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

/// What happens next to a message the local outbox parked (a text key).
pub const NEXT_OUTBOX: &str = "alert.next.outbox";
/// What happens next to a message the AWS worker parked.
pub const NEXT_TABLE: &str = "alert.next.table";
/// What happened to a message whose contact's address bounced.
pub const NEXT_REROUTED: &str = "alert.next.rerouted";

/// What an alert is about: the message and why it is being alerted.
pub struct About<'a> {
    pub reference: &'a str,
    pub route: Option<&'a RouteIds>,
    pub what_failed: &'a str,
    /// What happens next: one of the `NEXT_*` text keys.
    pub next: &'static str,
}

/// The alert to `to` about a message, its topic, department and contact
/// named as the manifest names them (the ids when the manifest no longer
/// has them), in the site's default language (the staff's).
pub fn compose(
    manifest: &RoutingManifest,
    sender: &Mailbox,
    to: &[Recipient],
    about: &About<'_>,
    now: DateTime<Utc>,
) -> Result<ComposedMail, ComposeError> {
    let unknown = RouteIds {
        topic: "-".into(),
        department: "-".into(),
        contact: None,
        by_language: false,
    };
    let route = about.route.unwrap_or(&unknown);
    let facts = AlertFacts {
        topic: manifest
            .topic(&route.topic)
            .map_or(route.topic.as_str(), |t| t.label.as_str()),
        department: manifest
            .department(&route.department)
            .map_or(route.department.as_str(), |d| d.name.as_str()),
        contact: route
            .contact
            .as_deref()
            .map(|c| manifest.contact(c).map_or(c, |c| c.name.as_str())),
        what_failed: about.what_failed,
        next: about.next,
    };
    let ctx = Context {
        site_title: &manifest.site.title,
        sender,
        reference: about.reference,
        received: now,
    };
    let staff = manifest.texts(manifest.default_language());
    compose::alert(&ctx, to, &facts, &staff)
}

/// The note a record keeps about its alert: to whom, and whether it went.
pub fn note(to: &[Recipient], sent: Result<(), String>, what_failed: &str) -> String {
    if to.is_empty() {
        return format!("{NOTE_PREFIX}: no department inbox or backup to tell");
    }
    let who = to
        .iter()
        .map(|r| r.email.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match sent {
        Ok(()) => format!("{NOTE_PREFIX} sent to {who}: {what_failed}"),
        Err(e) => format!("{NOTE_PREFIX} to {who} failed ({e}): {what_failed}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::manifest;

    fn alert_text(manifest: &RoutingManifest, next: &'static str) -> (String, String) {
        let sender: Mailbox = "forms@example.org".parse().unwrap();
        let route = RouteIds {
            topic: "sales".into(),
            department: "sales".into(),
            contact: None,
            by_language: false,
        };
        let about = About {
            reference: "K7QM-3XPD",
            route: Some(&route),
            what_failed: "550: mailbox unavailable",
            next,
        };
        let to = recipients(manifest, Some(&route));
        let mail = compose(manifest, &sender, &to, &about, Utc::now()).unwrap();
        let parsed = mail_parser::MessageParser::default()
            .parse(&mail.raw)
            .unwrap();
        (
            parsed.subject().unwrap_or_default().to_string(),
            parsed.body_text(0).unwrap().into_owned(),
        )
    }

    #[test]
    fn the_alert_is_in_the_staffs_language() {
        let (subject, text) = alert_text(&manifest(), NEXT_OUTBOX);
        assert!(
            subject.starts_with("Undelivered contact message K7QM-3XPD"),
            "{subject}"
        );
        assert!(text.contains("Contact: the department inbox"), "{text}");
        assert!(
            text.contains("`switchboard submissions retry K7QM-3XPD` sends it again"),
            "the reference fills the command: {text}"
        );

        let mut german = manifest();
        german.site.languages = vec!["de".into(), "en".into()];
        german
            .strings
            .insert("de".into(), crate::texts::shipped("de").unwrap());
        let (subject, text) = alert_text(&german, NEXT_TABLE);
        assert!(
            subject.starts_with("Nicht zugestellte Kontaktnachricht K7QM-3XPD"),
            "{subject}"
        );
        assert!(
            text.contains("Kontakt: das Postfach der Abteilung"),
            "{text}"
        );
        assert!(text.contains("Fehler: 550: mailbox unavailable"), "{text}");
        assert!(text.contains("Tabelle der Einsendungen"), "{text}");
    }
}
