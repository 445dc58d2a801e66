//! Composing the two emails of a submission with lettre's message builder,
//! which encodes every header value (RFC 2047) so visitor text can never add
//! a header or a recipient. Recipients come from the [`Route`] (the
//! manifest) and, for the acknowledgement only, the visitor's validated address.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use serde::{Deserialize, Serialize};

use crate::deliver::Envelope;
use crate::html::escape;
use crate::route::{Recipient, Route};
use crate::texts::Texts;
use crate::validate::Submission;

/// Which of a submission's two emails this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// To the point of contact; its delivery is what "sent" means.
    Notification,
    /// To the visitor; best effort where the disk does not last.
    Acknowledgement,
    /// To the department inbox and the backup contact: a message that could
    /// not reach its contact.
    Alert,
}

/// A fully formatted message and the envelope to send it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposedMail {
    pub kind: MailKind,
    pub envelope: Envelope,
    pub raw: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("invalid address for {0}")]
    Address(&'static str),
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
}

/// The facts both emails are made from.
pub struct Context<'a> {
    pub site_title: &'a str,
    pub sender: &'a Mailbox,
    pub reference: &'a str,
    pub received: DateTime<Utc>,
}

/// The notification to the routed contact, in the site's default language
/// (`staff`, the staff's texts), naming the language the visitor wrote in.
pub fn notification(
    ctx: &Context<'_>,
    sub: &Submission,
    route: &Route,
    staff: &Texts<'_>,
) -> Result<ComposedMail, ComposeError> {
    let visitor = Mailbox::new(
        Some(one_line(&sub.name)),
        sub.email
            .parse()
            .map_err(|_| ComposeError::Address("the visitor"))?,
    );
    let mut b = Message::builder()
        .from(ctx.sender.clone())
        .reply_to(visitor)
        .subject(one_line(&format!(
            "[{}] {} (ref {})",
            ctx.site_title, route.topic_label, ctx.reference
        )))
        .date(SystemTime::from(ctx.received))
        .message_id(Some(message_id(ctx, "n")))
        // Sent by a machine: a helpdesk must not auto-reply to the Reply-To,
        // an address the visitor chose.
        .header(AutoSubmitted("auto-generated"))
        .header(AutoResponseSuppress)
        .header(SwitchboardReference(ctx.reference.to_string()));
    for r in &route.to {
        b = b.to(mailbox(r)?);
    }
    for r in &route.cc {
        b = b.cc(mailbox(r)?);
    }

    let label = |key: &str| staff.get(key).to_string();
    let mut facts = vec![
        (label("notification.reference"), ctx.reference.to_string()),
        (label("notification.topic"), route.topic_label.to_string()),
        (
            label("notification.department"),
            route.department_name.to_string(),
        ),
        (label("notification.language"), route.language_name.clone()),
        (label("notification.routed"), route.rule.clone()),
        (
            label("notification.received"),
            ctx.received.format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
        (
            label("notification.from"),
            format!("{} <{}>", sub.name, sub.email),
        ),
    ];
    if let Some(p) = &sub.phone {
        facts.push((label("notification.phone"), p.clone()));
    }
    if let Some(c) = &sub.company {
        facts.push((label("notification.company"), c.clone()));
    }
    let intro = staff.fill("notification.intro", &[("site", ctx.site_title)]);
    let reply = staff.fill("notification.reply", &[("name", &sub.name)]);
    let message_label = staff.get("notification.message");

    // The values line up after the longest label and its colon.
    let width = facts
        .iter()
        .map(|(k, _)| k.chars().count() + 1)
        .max()
        .unwrap_or(0);
    let mut text = format!("{intro}\n\n");
    for (k, v) in &facts {
        text.push_str(&format!("{:<width$} {v}\n", format!("{k}:")));
    }
    text.push_str(&format!(
        "\n{message_label}:\n\n{}\n\n--\n{reply}\n",
        sub.message
    ));

    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\" dir=\"{}\"><body style=\"font-family:sans-serif\">",
        escape(staff.lang),
        crate::texts::direction(staff.lang)
    );
    html.push_str(&format!("<p>{}</p><table>", escape(&intro)));
    for (k, v) in &facts {
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            escape(k),
            escape(v)
        ));
    }
    html.push_str(&format!(
        "</table><h2>{}</h2><div style=\"white-space:pre-wrap\">{}</div><hr><p>{}</p></body></html>",
        escape(message_label),
        escape(&sub.message),
        escape(&reply)
    ));

    finish(
        MailKind::Notification,
        b.multipart(MultiPart::alternative_plain_html(text, html))?,
    )
}

/// The acknowledgement carries no free text from the visitor except a name
/// that cannot pass for a link, so it is useless for sending spam to a third
/// party through our form. It is in the submission's language (`texts`),
/// with the route's texts for the visitor.
pub fn acknowledgement(
    ctx: &Context<'_>,
    sub: &Submission,
    route: &Route,
    texts: &Texts<'_>,
) -> Result<ComposedMail, ComposeError> {
    let to = Mailbox::new(
        None,
        sub.email
            .parse()
            .map_err(|_| ComposeError::Address("the visitor"))?,
    );
    let b = Message::builder()
        .from(ctx.sender.clone())
        .to(to)
        .subject(one_line(
            &texts.fill("ack.subject", &[("reference", ctx.reference)]),
        ))
        .date(SystemTime::from(ctx.received))
        .message_id(Some(message_id(ctx, "a")))
        .header(AutoSubmitted("auto-replied"))
        .header(AutoResponseSuppress)
        .header(SwitchboardReference(ctx.reference.to_string()));

    let greeting = match safe_name(&sub.name) {
        Some(n) => texts.fill("ack.greeting.name", &[("name", &n)]),
        None => texts.get("ack.greeting").to_string(),
    };
    let shown = &route.for_visitor;
    let lines = [
        texts.fill("ack.thanks", &[("site", ctx.site_title)]),
        texts.fill(
            "ack.routed",
            &[
                ("topic", &shown.topic_label),
                ("department", &shown.department_name),
                ("response_time", &shown.response_time),
            ],
        ),
        texts.fill("ack.reference", &[("reference", ctx.reference)]),
        texts.get("ack.ignore").to_string(),
    ];
    let text = format!("{greeting}\n\n{}\n", lines.join("\n\n"));
    let dir = crate::texts::direction(texts.lang);
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\" dir=\"{dir}\"><body style=\"font-family:sans-serif\"><p>{}</p>",
        escape(texts.lang),
        escape(&greeting)
    );
    for l in &lines {
        html.push_str(&format!("<p>{}</p>", escape(l)));
    }
    html.push_str("</body></html>");
    finish(
        MailKind::Acknowledgement,
        b.multipart(MultiPart::alternative_plain_html(text, html))?,
    )
}

/// What an alert says about a message that did not reach its contact.
/// Ids and names from the manifest, the reference and the failure: never
/// the visitor's text.
pub struct AlertFacts<'a> {
    pub topic: &'a str,
    pub department: &'a str,
    /// `None`: the message went to the department inbox.
    pub contact: Option<&'a str>,
    pub what_failed: &'a str,
    /// The key of the text saying what happens next (`alert.next.*`).
    pub next: &'a str,
}

/// The alert for `ctx.reference`, to `to` (the department inbox and the
/// backup contact), once, in the staff's language (`staff`).
pub fn alert(
    ctx: &Context<'_>,
    to: &[Recipient],
    facts: &AlertFacts<'_>,
    staff: &Texts<'_>,
) -> Result<ComposedMail, ComposeError> {
    let mut b = Message::builder()
        .from(ctx.sender.clone())
        .subject(one_line(&staff.fill(
            "alert.subject",
            &[("reference", ctx.reference), ("topic", facts.topic)],
        )))
        .date(SystemTime::from(ctx.received))
        .message_id(Some(message_id(ctx, "alert")))
        .header(AutoSubmitted("auto-generated"))
        .header(AutoResponseSuppress)
        .header(SwitchboardReference(ctx.reference.to_string()));
    for r in to {
        b = b.to(mailbox(r)?);
    }
    let label = |key: &'static str| staff.get(key);
    let text = format!(
        "{}\n\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n\n{}\n",
        staff.fill("alert.intro", &[("site", ctx.site_title)]),
        label("notification.reference"),
        ctx.reference,
        label("notification.topic"),
        facts.topic,
        label("notification.department"),
        facts.department,
        label("alert.contact"),
        facts.contact.unwrap_or_else(|| staff.get("alert.inbox")),
        label("alert.what_failed"),
        facts.what_failed,
        staff.fill(facts.next, &[("reference", ctx.reference)])
    );
    finish(MailKind::Alert, b.body(text)?)
}

fn finish(kind: MailKind, msg: Message) -> Result<ComposedMail, ComposeError> {
    let env = msg.envelope();
    let envelope = Envelope {
        from: env
            .from()
            .map(|a| a.to_string())
            .ok_or(ComposeError::Address("the sender"))?,
        to: env.to().iter().map(|a| a.to_string()).collect(),
    };
    Ok(ComposedMail {
        kind,
        envelope,
        raw: msg.formatted(),
    })
}

fn mailbox(r: &Recipient) -> Result<Mailbox, ComposeError> {
    Ok(Mailbox::new(
        Some(one_line(&r.name)),
        r.email
            .parse()
            .map_err(|_| ComposeError::Address("a manifest recipient"))?,
    ))
}

fn message_id(ctx: &Context<'_>, kind: &str) -> String {
    let domain = ctx.sender.email.domain();
    format!(
        "<{}.{kind}.{}@{domain}>",
        ctx.reference,
        ctx.received.timestamp_millis()
    )
}

/// Defence in depth for header-bound text: validation already refused
/// control characters, but manifest text reaches headers too.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The visitor's name for the greeting, unless it could carry a link or an
/// address (a spammer's favourite use of a "name" field).
fn safe_name(name: &str) -> Option<String> {
    let lower = name.to_lowercase();
    let linky = ["http", "www", "://", "@", "/"]
        .iter()
        .any(|p| lower.contains(p))
        || name.char_indices().any(|(i, c)| {
            c == '.'
                && name[i + 1..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
        });
    (!linky && name.chars().count() <= 60).then(|| one_line(name))
}

/// `Auto-Submitted` (RFC 3834): `auto-replied` on the acknowledgement,
/// `auto-generated` on the notification; stops out-of-office loops.
#[derive(Clone)]
struct AutoSubmitted(&'static str);

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self("auto-generated"))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.into())
    }
}

/// `X-Auto-Response-Suppress: All`: Exchange and Outlook send no automatic
/// answers (out of office, read receipts) to what we send.
#[derive(Clone)]
struct AutoResponseSuppress;

impl Header for AutoResponseSuppress {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "All".into())
    }
}

/// `X-Switchboard-Reference`: lets mail rules and the operator find a message by reference.
#[derive(Clone)]
struct SwitchboardReference(String);

impl Header for SwitchboardReference {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Switchboard-Reference")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), one_line(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::route;
    use crate::test_support::manifest;

    fn sub(name: &str, message: &str) -> Submission {
        Submission {
            name: name.into(),
            email: "ann@example.net".into(),
            topic: "sales".into(),
            message: message.into(),
            phone: Some("+1 555".into()),
            company: None,
            language: "en".into(),
        }
    }

    fn ctx(sender: &Mailbox) -> Context<'_> {
        Context {
            site_title: "Example Org",
            sender,
            reference: "K7QM-3XPD",
            received: "2026-03-02T09:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn notification_headers_and_recipients() {
        let sender: Mailbox = "Example Org <forms@example.org>".parse().unwrap();
        let r = route(
            &manifest(),
            "sales",
            "2026-03-02T09:00:00Z".parse().unwrap(),
        )
        .unwrap();
        let m = notification(
            &ctx(&sender),
            &sub("Ann Example", "<script>alert(1)</script>"),
            &r,
            &Texts::english(),
        )
        .unwrap();
        assert_eq!(m.envelope.to, ["alice@example.org", "sales@example.org"]);
        assert_eq!(m.envelope.from, "forms@example.org");
        let p = mail_parser::MessageParser::default().parse(&m.raw).unwrap();
        let reply_to = p.reply_to().unwrap().first().unwrap();
        assert_eq!(reply_to.address(), Some("ann@example.net"));
        assert_eq!(reply_to.name(), Some("Ann Example"));
        assert_eq!(
            p.subject(),
            Some("[Example Org] Buying our products (ref K7QM-3XPD)")
        );
        let html = p.body_html(0).unwrap();
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(
            p.body_text(0)
                .unwrap()
                .contains("<script>alert(1)</script>")
        );
        assert!(p.body_text(0).unwrap().contains("primary contact"));
        assert_eq!(
            p.header_raw("X-Switchboard-Reference").map(str::trim),
            Some("K7QM-3XPD")
        );
        assert_eq!(
            p.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-generated")
        );
        assert_eq!(
            p.header_raw("X-Auto-Response-Suppress").map(str::trim),
            Some("All")
        );
    }

    #[test]
    fn acknowledgement_echoes_no_free_text() {
        let sender: Mailbox = "forms@example.org".parse().unwrap();
        let r = route(
            &manifest(),
            "sales",
            "2026-03-02T09:00:00Z".parse().unwrap(),
        )
        .unwrap();
        let m = acknowledgement(
            &ctx(&sender),
            &sub("Buy pills at spam.example", "VISIT SPAM"),
            &r,
            &Texts::english(),
        )
        .unwrap();
        assert_eq!(m.envelope.to, ["ann@example.net"]);
        let p = mail_parser::MessageParser::default().parse(&m.raw).unwrap();
        let text = p.body_text(0).unwrap();
        let html = p.body_html(0).unwrap();
        for body in [&text, &html] {
            assert!(!body.contains("VISIT SPAM"));
            assert!(!body.contains("spam.example"));
            assert!(body.contains("Hello,"));
            assert!(body.contains("within one business day"));
            assert!(body.contains("K7QM-3XPD"));
        }
        assert_eq!(
            p.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-replied")
        );
        assert_eq!(
            p.header_raw("X-Auto-Response-Suppress").map(str::trim),
            Some("All")
        );
        let m = acknowledgement(
            &ctx(&sender),
            &sub("J. R. Tolkien", "x"),
            &r,
            &Texts::english(),
        )
        .unwrap();
        let p = mail_parser::MessageParser::default().parse(&m.raw).unwrap();
        assert!(p.body_text(0).unwrap().contains("Hello J. R. Tolkien,"));
    }

    #[test]
    fn the_notification_is_in_the_sites_default_language() {
        let mut m = manifest();
        m.site.languages = vec!["de".into(), "en".into(), "fr".into()];
        let r = crate::route::route_in(&m, "sales", "fr", "2026-03-02T09:00:00Z".parse().unwrap())
            .unwrap();
        let sender: Mailbox = "forms@example.org".parse().unwrap();
        let mail = notification(
            &ctx(&sender),
            &sub("Ann Example", "Bonjour"),
            &r,
            &m.texts("de"),
        )
        .unwrap();
        let p = mail_parser::MessageParser::default()
            .parse(&mail.raw)
            .unwrap();
        let text = p.body_text(0).unwrap();
        assert!(
            text.starts_with("Neue Nachricht über das Kontaktformular von Example Org."),
            "{text}"
        );
        assert!(text.contains("Sprache:    Français (fr)"), "{text}");
        assert!(
            text.contains("Zugestellt: ausgewählt, weil Bob Brown Français (fr) spricht"),
            "{text}"
        );
        assert!(
            text.contains("Antworten Sie auf diese E-Mail, um Ann Example direkt zu antworten.")
        );
        assert!(
            p.body_html(0)
                .unwrap()
                .contains("<html lang=\"de\" dir=\"ltr\">")
        );
    }
}
