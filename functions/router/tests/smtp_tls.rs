//! SMTP delivery over TLS against real aiosmtpd processes started by
//! `scripts/test.sh`, each filing what it receives into its own Maildir:
//! STARTTLS (`smtp://…?tls=required`), implicit TLS (`smtps://…`) and AUTH
//! over STARTTLS (`functions/router/tests/peers/smtp_auth_server.py`). Their
//! certificate is self-signed and made at test time; the router trusts it
//! through `SWITCHBOARD_SMTP_CA_FILE`, read by [`RouterConfig::from_vars`].

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use http::StatusCode;
use switchboard_router::deliver::{DeliveryError, Envelope, Mailer};
use switchboard_router::{OutboxMode, RouterConfig, SmtpMailer};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test.sh"))
}

/// The mail backend `SWITCHBOARD_MAIL=smtp` with this URL and the test CA
/// builds, through the same configuration path as the deployed router.
fn mailer_from_config(url: &str) -> Arc<dyn Mailer> {
    let ca = env("SWITCHBOARD_TEST_SMTP_CA");
    let url = url.to_string();
    let config = RouterConfig::from_vars(move |name| match name {
        "SWITCHBOARD_FORM_SECRET" => Some("0123456789abcdef0123".into()),
        "SWITCHBOARD_SENDER" => Some("Example Org <forms@example.org>".into()),
        "SWITCHBOARD_MAIL" => Some("smtp".into()),
        "SWITCHBOARD_SMTP_URL" => Some(url.clone()),
        "SWITCHBOARD_SMTP_CA_FILE" => Some(ca.clone()),
        _ => None,
    })
    .unwrap();
    config.build_mailer().unwrap()
}

/// Messages in `maildir` that carry `needle` (the Maildirs are shared by tests).
fn received(maildir: &Path, needle: &str) -> Vec<Vec<u8>> {
    maildir_messages(maildir, |bytes| {
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    })
}

/// Sends one contact through a router over `mailer`; the notification and
/// acknowledgement must both be in `maildir`.
async fn delivers_through(mailer: Arc<dyn Mailer>, maildir: &Path) {
    let h = harness_with(mailer, OutboxMode::Ephemeral);
    let r = h.router.handle(json_post(form_body(&[]))).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", body_text(&r));
    let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    let reference = v["reference"].as_str().unwrap();
    let mails = received(maildir, &format!("X-Switchboard-Reference: {reference}"));
    assert_eq!(mails.len(), 2, "notification and acknowledgement arrived");
    for m in &mails {
        let p = mail_parser::MessageParser::default().parse(m).unwrap();
        assert!(p.header_raw("X-RcptTo").is_some(), "filed by aiosmtpd");
    }
}

fn auth_url(password: &str) -> String {
    format!(
        "smtp://{}:{password}@{}?tls=required",
        env("SWITCHBOARD_TEST_SMTP_AUTH_USER"),
        env("SWITCHBOARD_TEST_SMTP_AUTH")
    )
}

#[tokio::test]
#[ignore = "needs an SMTP server with STARTTLS: run scripts/test.sh"]
async fn delivers_over_starttls() {
    let url = format!(
        "smtp://{}?tls=required",
        env("SWITCHBOARD_TEST_SMTP_STARTTLS")
    );
    let maildir = PathBuf::from(env("SWITCHBOARD_TEST_SMTP_STARTTLS_MAILDIR"));
    delivers_through(mailer_from_config(&url), &maildir).await;
}

/// Without the CA file the same relay is not trusted: the extra root is what
/// made the test above pass, not a check left out.
#[tokio::test]
#[ignore = "needs an SMTP server with STARTTLS: run scripts/test.sh"]
async fn an_untrusted_certificate_is_refused() {
    let url = format!(
        "smtp://{}?tls=required",
        env("SWITCHBOARD_TEST_SMTP_STARTTLS")
    );
    let mailer = SmtpMailer::from_url(&url).unwrap();
    let env = Envelope {
        from: "forms@example.org".into(),
        to: vec!["alice@example.org".into()],
    };
    let err = mailer
        .send(&env, b"Subject: untrusted\r\n\r\nx\r\n")
        .await
        .unwrap_err();
    assert!(matches!(err, DeliveryError::Temporary(_)), "{err}");
}

#[tokio::test]
#[ignore = "needs an SMTPS server: run scripts/test.sh"]
async fn delivers_over_implicit_tls() {
    let url = format!("smtps://{}", env("SWITCHBOARD_TEST_SMTPS"));
    let maildir = PathBuf::from(env("SWITCHBOARD_TEST_SMTPS_MAILDIR"));
    delivers_through(mailer_from_config(&url), &maildir).await;
}

#[tokio::test]
#[ignore = "needs an SMTP server with AUTH: run scripts/test.sh"]
async fn delivers_with_auth_over_starttls() {
    let url = auth_url(&env("SWITCHBOARD_TEST_SMTP_AUTH_PASSWORD"));
    let maildir = PathBuf::from(env("SWITCHBOARD_TEST_SMTP_AUTH_MAILDIR"));
    delivers_through(mailer_from_config(&url), &maildir).await;
}

/// A wrong password is a permanent failure that says so; the visitor is told
/// nothing was sent, the outbox gives the record up with the relay's answer,
/// and the relay filed nothing.
#[tokio::test]
#[ignore = "needs an SMTP server with AUTH: run scripts/test.sh"]
async fn a_wrong_password_fails_for_good_and_delivers_nothing() {
    let url = auth_url("not-the-password");
    let maildir = PathBuf::from(env("SWITCHBOARD_TEST_SMTP_AUTH_MAILDIR"));
    let mailer = mailer_from_config(&url);

    let env = Envelope {
        from: "forms@example.org".into(),
        to: vec!["alice@example.org".into()],
    };
    let err = mailer
        .send(&env, b"Subject: wrong password\r\n\r\nx\r\n")
        .await
        .unwrap_err();
    let DeliveryError::Permanent(why) = &err else {
        panic!("not permanent: {err}");
    };
    assert!(why.contains("535"), "{why}");
    assert!(why.contains("Authentication credentials invalid"), "{why}");
    assert!(!why.contains("not-the-password"), "{why}");

    let marker = format!("wrong-password-{}", std::process::id());
    let h = harness_with(mailer, OutboxMode::Durable);
    let r = h
        .router
        .handle(json_post(form_body(&[("message", &marker)])))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        body_text(&r)
    );
    let failed: Vec<_> = std::fs::read_dir(h.dir.path().join("outbox/failed"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let record: serde_json::Value = serde_json::from_str(&failed[0]).unwrap();
    let last = record["last_error"].as_str().unwrap();
    assert!(
        last.contains("smtp: permanent error (535)") && last.contains("Authentication"),
        "{last}"
    );
    assert!(received(&maildir, &marker).is_empty());
    assert!(received(&maildir, "wrong password").is_empty());
}
