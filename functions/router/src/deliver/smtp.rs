//! SMTP delivery through lettre: `smtp://host:port` (plain, or STARTTLS with
//! `?tls=required`), `smtps://user:pass@host` (implicit TLS), with AUTH when
//! the URL carries credentials. TLS is rustls with the webpki roots, so the
//! Lambda binary needs no system certificates.

use std::time::Duration;

use lettre::address::Envelope as LettreEnvelope;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{BoxFuture, DeliveryError, Envelope, Mailer};

/// A relay that does not answer in this time is treated as a temporary failure.
const TIMEOUT: Duration = Duration::from_secs(15);

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "invalid SMTP URL (expected smtp://host:port, smtp://user:pass@host:587?tls=required or smtps://user:pass@host): {0}"
)]
pub struct SmtpUrlError(String);

impl SmtpMailer {
    /// Builds a mailer from a URL such as `smtp://127.0.0.1:2525`,
    /// `smtp://user:pass@relay.example:587?tls=required` or `smtps://user:pass@relay.example`.
    pub fn from_url(url: &str) -> Result<Self, SmtpUrlError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            // lettre's message may echo the URL; never log credentials.
            .map_err(|_| SmtpUrlError(redact(url)))?
            .timeout(Some(TIMEOUT))
            .build();
        Ok(Self { transport })
    }
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpMailer")
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(
        &'a self,
        envelope: &'a Envelope,
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let parse = |a: &str| {
                a.parse::<Address>()
                    .map_err(|e| DeliveryError::Permanent(format!("address: {e}")))
            };
            let from = parse(&envelope.from)?;
            let to = envelope
                .to
                .iter()
                .map(|a| parse(a))
                .collect::<Result<Vec<_>, _>>()?;
            let env = LettreEnvelope::new(Some(from), to)
                .map_err(|e| DeliveryError::Permanent(e.to_string()))?;
            match self.transport.send_raw(&env, raw).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(DeliveryError::Permanent(format!("smtp: {e}"))),
                Err(e) => Err(DeliveryError::Temporary(format!("smtp: {e}"))),
            }
        })
    }

    fn kind(&self) -> &'static str {
        "smtp"
    }
}

/// The URL with any password replaced, for error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(SmtpMailer::from_url("smtp://127.0.0.1:2525").is_ok());
        assert!(SmtpMailer::from_url("smtps://u:p@relay.example").is_ok());
        assert!(SmtpMailer::from_url("smtp://u:p@relay.example:587?tls=required").is_ok());
        let e = SmtpMailer::from_url("http://u:secret@x")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("secret"), "{e}");
        assert_eq!(redact("smtps://user:pw@host:465"), "smtps://***@host:465");
    }

    #[tokio::test]
    async fn refused_connection_is_temporary() {
        // Bind then drop a listener to get a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let m = SmtpMailer::from_url(&format!("smtp://127.0.0.1:{port}")).unwrap();
        let env = Envelope {
            from: "a@example.org".into(),
            to: vec!["b@example.org".into()],
        };
        let err = m.send(&env, b"Subject: x\r\n\r\nx\r\n").await.unwrap_err();
        assert!(matches!(err, DeliveryError::Temporary(_)), "{err}");
    }
}
