//! The contact form under `serve`: the router's own handler, rebuilt from
//! each good build's manifest, with a mailer wrapper that tells the editor
//! where each routed message went.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use switchboard_router::deliver::BoxFuture;
use switchboard_router::{
    BlockingMailer, DeliveryError, Envelope, MailConfig, Mailer, Router, RouterConfig, RouterError,
    RoutingManifest, SystemClock,
};

/// One routed message, as the terminal shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub reference: String,
    /// The topic's label, as in the subject line.
    pub topic: String,
    pub recipients: Vec<String>,
    /// "maildir" or "smtp".
    pub backend: &'static str,
}

impl std::fmt::Display for Routed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Message {} · {} → {} (via {})",
            self.reference,
            self.topic,
            self.recipients.join(", "),
            self.backend
        )
    }
}

/// Called once per delivered notification.
pub type OnRouted = Arc<dyn Fn(&Routed) + Send + Sync>;

/// Where the form's messages go under `serve`.
#[derive(Clone)]
pub struct ContactSettings {
    /// The site's `.switchboard/` folder: outbox and local mail live under it.
    pub state_dir: PathBuf,
    pub form_secret: Vec<u8>,
    /// `None`: `.eml` files in `.switchboard/mail`; `Some(url)`: that SMTP server.
    pub smtp: Option<String>,
    /// `From` address; needed for a real SMTP relay, local mail has a default.
    pub sender: Option<String>,
    pub on_routed: OnRouted,
}

impl ContactSettings {
    pub fn router_config(&self) -> RouterConfig {
        let mut config = RouterConfig::local(&self.state_dir, self.form_secret.clone());
        if let Some(url) = &self.smtp {
            config.mail = MailConfig::Smtp {
                url: url.clone(),
                ca_file: None,
            };
        }
        if let Some(sender) = &self.sender {
            config.sender = sender.clone();
        }
        config
    }

    /// The mail backend, built once and shared by every build's router.
    pub fn mailer(&self) -> Result<Arc<dyn Mailer>, RouterError> {
        let inner = self.router_config().build_mailer()?;
        Ok(Arc::new(Reporting {
            inner,
            on_routed: Arc::clone(&self.on_routed),
        }))
    }

    /// A router for one build's manifest. A captcha is shown on the pages
    /// but not verified here: its secret belongs to the deployed router, and
    /// `serve` works offline; the deployed router verifies every message.
    pub fn router(
        &self,
        mut manifest: RoutingManifest,
        mailer: Arc<dyn Mailer>,
    ) -> Result<Router, RouterError> {
        manifest.form.captcha = None;
        Router::new(
            manifest,
            self.router_config(),
            mailer,
            Arc::new(SystemClock),
        )
    }
}

/// Passes every message on, and reports each delivered notification (the
/// acknowledgement to the visitor is marked `Auto-Submitted: auto-replied`
/// and not reported).
struct Reporting {
    inner: Arc<dyn Mailer>,
    on_routed: OnRouted,
}

impl Mailer for Reporting {
    fn send<'a>(
        &'a self,
        envelope: &'a Envelope,
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            self.inner.send(envelope, raw).await?;
            if let Some(routed) = summarize(envelope, raw, self.inner.kind()) {
                (self.on_routed)(&routed);
            }
            Ok(())
        })
    }

    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    fn blocking(&self) -> Option<Arc<dyn BlockingMailer>> {
        let inner = self.inner.blocking()?;
        Some(Arc::new(ReportingBlocking {
            inner,
            kind: self.inner.kind(),
            on_routed: Arc::clone(&self.on_routed),
        }))
    }
}

/// [`Reporting`] for a blocking backend (the mail directory).
struct ReportingBlocking {
    inner: Arc<dyn BlockingMailer>,
    kind: &'static str,
    on_routed: OnRouted,
}

impl BlockingMailer for ReportingBlocking {
    fn send_blocking(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), DeliveryError> {
        self.inner.send_blocking(envelope, raw)?;
        if let Some(routed) = summarize(envelope, raw, self.kind) {
            (self.on_routed)(&routed);
        }
        Ok(())
    }
}

/// The summary of a notification; `None` for acknowledgements and anything unreadable.
fn summarize(envelope: &Envelope, raw: &[u8], backend: &'static str) -> Option<Routed> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next()?;
    if header(head, "Auto-Submitted").is_some_and(|v| v.trim() == "auto-replied") {
        return None;
    }
    let reference = header(head, "X-Switchboard-Reference")?.trim().to_string();
    let subject = decode_words(&header(head, "Subject")?);
    // The router writes "[Site title] Topic label (ref REFERENCE)".
    let topic = subject
        .split_once("] ")
        .map_or(subject.as_str(), |(_, rest)| rest);
    let topic = topic
        .rsplit_once(" (ref ")
        .map_or(topic, |(label, _)| label)
        .to_string();
    Some(Routed {
        reference,
        topic,
        recipients: envelope.to.clone(),
        backend,
    })
}

/// The unfolded value of header `name` in `head`.
fn header(head: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        match &mut value {
            Some(v) if line.starts_with([' ', '\t']) => v.push_str(line),
            Some(_) => break,
            None => {
                if let Some((n, v)) = line.split_once(':') {
                    if n.eq_ignore_ascii_case(name) {
                        value = Some(v.trim_start().to_string());
                    }
                }
            }
        }
    }
    value
}

/// Decodes RFC 2047 `=?utf-8?b?…?=` words (what lettre writes for non-ASCII
/// text); the whitespace between adjacent encoded words is dropped.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    for word in value.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        let encoded = lower
            .strip_prefix("=?utf-8?b?")
            .and_then(|_| word.get(10..word.len().saturating_sub(2)))
            .filter(|_| lower.ends_with("?="));
        match encoded.and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok()) {
            Some(bytes) => pending.extend(bytes),
            None => {
                if !pending.is_empty() {
                    out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
                    out.push(' ');
                }
                out.push_str(word);
                out.push(' ');
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            from: "forms@example.org".into(),
            to: vec!["ana@example.org".into()],
        }
    }

    #[test]
    fn summarizes_a_notification() {
        let raw = "From: x\r\nSubject: [Fixture Co.] Billing question (ref 7K2M-9QXD)\r\nAuto-Submitted: auto-generated\r\nX-Switchboard-Reference: 7K2M-9QXD\r\n\r\nbody";
        let routed = summarize(&envelope(), raw.as_bytes(), "maildir").expect("summary");
        assert_eq!(routed.reference, "7K2M-9QXD");
        assert_eq!(routed.topic, "Billing question");
        assert_eq!(
            routed.to_string(),
            "Message 7K2M-9QXD · Billing question → ana@example.org (via maildir)"
        );
    }

    #[test]
    fn decodes_folded_non_ascii_subjects() {
        let raw = "Subject: =?utf-8?b?W0ZpeHR1cmVdIFLDvGNr?=\r\n =?utf-8?b?ZnJhZ2UgKHJlZiBBQkMp?=\r\nX-Switchboard-Reference: ABC\r\n\r\n";
        let routed = summarize(&envelope(), raw.as_bytes(), "smtp").expect("summary");
        assert_eq!(routed.topic, "Rückfrage");
    }

    #[test]
    fn acknowledgements_are_not_reported() {
        let raw = "Subject: We received your message (ref A)\r\nAuto-Submitted: auto-replied\r\nX-Switchboard-Reference: A\r\n\r\n";
        assert_eq!(summarize(&envelope(), raw.as_bytes(), "maildir"), None);
    }
}
