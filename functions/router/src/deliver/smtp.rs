//! SMTP delivery through lettre: `smtp://host:port` (plain, or STARTTLS with
//! `?tls=required`), `smtps://user:pass@host` (implicit TLS), with AUTH when
//! the URL carries credentials. TLS is rustls with the webpki roots, so the
//! Lambda binary needs no system certificates; a relay with a private CA (or
//! a test server's throwaway certificate) is trusted through extra roots
//! (`SWITCHBOARD_SMTP_CA_FILE`, [`SmtpMailer::from_url_trusting`]).

use std::time::Duration;

use lettre::address::Envelope as LettreEnvelope;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
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

/// Why a mailer with extra root certificates could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SmtpSetupError {
    #[error(transparent)]
    Url(#[from] SmtpUrlError),
    /// The PEM text of the extra roots is unusable.
    #[error("{0}")]
    Roots(String),
}

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

    /// Like [`SmtpMailer::from_url`], trusting the certificates in `roots_pem`
    /// (one or more PEM `CERTIFICATE` blocks) as roots beside the webpki ones
    /// when the URL asks for TLS (`?tls=required`, `?tls=opportunistic`,
    /// `smtps://`). A plain `smtp://` URL has no TLS to apply them to.
    pub fn from_url_trusting(url: &str, roots_pem: &[u8]) -> Result<Self, SmtpSetupError> {
        let roots = parse_roots(roots_pem)?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| SmtpUrlError(redact(url)))?
            .timeout(Some(TIMEOUT));
        // lettre chose the TLS mode from the URL; the same mode again, with
        // parameters that also trust the extra roots.
        let parsed = url::Url::parse(url).map_err(|_| SmtpUrlError(redact(url)))?;
        let host = parsed.host_str().ok_or_else(|| SmtpUrlError(redact(url)))?;
        let tls_query = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let params = || {
            roots
                .iter()
                .cloned()
                .fold(TlsParameters::builder(host.to_string()), |b, c| {
                    b.add_root_certificate(c)
                })
                .build_rustls()
                .map_err(|e| SmtpSetupError::Roots(format!("TLS set-up: {e}")))
        };
        builder = match (parsed.scheme(), tls_query.as_deref()) {
            ("smtps", _) => builder.tls(Tls::Wrapper(params()?)),
            ("smtp", Some("required")) => builder.tls(Tls::Required(params()?)),
            ("smtp", Some("opportunistic")) => builder.tls(Tls::Opportunistic(params()?)),
            _ => builder,
        };
        Ok(Self {
            transport: builder.build(),
        })
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

/// The certificates of a PEM file, at least one.
fn parse_roots(pem: &[u8]) -> Result<Vec<Certificate>, SmtpSetupError> {
    let text = std::str::from_utf8(pem)
        .map_err(|_| SmtpSetupError::Roots("not a PEM text file".into()))?;
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = vec![];
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let Some(len) = rest[start..].find(END) else {
            return Err(SmtpSetupError::Roots(
                "a certificate block has no END line".into(),
            ));
        };
        let block = &rest[start..start + len + END.len()];
        let cert = Certificate::from_pem(block.as_bytes())
            .map_err(|e| SmtpSetupError::Roots(format!("certificate {}: {e}", out.len() + 1)))?;
        out.push(cert);
        rest = &rest[start + len + END.len()..];
    }
    if out.is_empty() {
        return Err(SmtpSetupError::Roots(
            "no PEM certificate (-----BEGIN CERTIFICATE-----) in it".into(),
        ));
    }
    Ok(out)
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

    /// A self-signed certificate (CN=localhost), only parsed here.
    const PEM: &str = include_str!("../../tests/fixtures/localhost-cert.pem");

    #[test]
    fn extra_roots() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtps://u:p@relay.example",
            "smtp://u:p@relay.example:587?tls=required",
            "smtp://relay.example:587?tls=opportunistic",
        ] {
            assert!(
                SmtpMailer::from_url_trusting(url, PEM.as_bytes()).is_ok(),
                "{url}"
            );
        }
        let two = format!("{PEM}\n{PEM}");
        assert!(SmtpMailer::from_url_trusting("smtps://h", two.as_bytes()).is_ok());
        for bad in ["", "not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA"] {
            let e = SmtpMailer::from_url_trusting("smtps://h", bad.as_bytes()).unwrap_err();
            assert!(matches!(e, SmtpSetupError::Roots(_)), "{bad:?}: {e}");
        }
        let e = SmtpMailer::from_url_trusting("http://u:secret@x", PEM.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(!e.contains("secret"), "{e}");
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
