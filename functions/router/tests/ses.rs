//! SES delivery against moto's SES v2 server (started by `scripts/test.sh`,
//! `SWITCHBOARD_TEST_SES` is its base URL): a signed request through the
//! whole router, then moto's record of what it would have sent.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::moto::{sent_with, verify_sender};
use common::*;
use switchboard_router::aws::AwsClient;
use switchboard_router::config::MailConfig;
use switchboard_router::deliver::ses::{SesConfig, SesMailer};
use switchboard_router::{FixedClock, OutboxMode, Router, RouterConfig};

/// The SES settings for the endpoint at `endpoint`, read as the Lambda
/// binary would read them from its environment.
fn ses_config(endpoint: &str) -> SesConfig {
    let config = RouterConfig::from_vars(|k: &str| {
        match k {
            "SWITCHBOARD_FORM_SECRET" => Some("ses-test-secret-0123"),
            "SWITCHBOARD_MAIL" => Some("ses"),
            "SWITCHBOARD_SENDER" => Some("Example Org <forms@example.org>"),
            "AWS_REGION" => Some("eu-west-1"),
            "AWS_ACCESS_KEY_ID" => Some("AKIDTEST"),
            "AWS_SECRET_ACCESS_KEY" => Some("test-secret"),
            "AWS_SESSION_TOKEN" => Some("test-session-token"),
            "AWS_ENDPOINT_URL_SESV2" => Some(endpoint),
            _ => None,
        }
        .map(str::to_string)
    })
    .unwrap();
    let MailConfig::Ses(ses) = config.mail else {
        panic!("not an SES configuration: {:?}", config.mail);
    };
    ses
}

/// A router over `mailer` that sends as `sender`, in `mode`, clock pinned.
fn ses_router(dir: &std::path::Path, mailer: SesMailer, sender: &str, mode: OutboxMode) -> Router {
    let mut rc = config(dir);
    rc.sender = sender.into();
    rc.outbox_mode = mode;
    let clock = Arc::new(FixedClock::at(MONDAY_MORNING_BERLIN));
    Router::new(manifest(), rc, Arc::new(mailer), clock).unwrap()
}

/// Posts the fixture's sales form plus `extra` fields, asking for JSON as
/// the page's script does.
async fn post_sales_form(router: &Router, extra: &[(&str, &str)]) -> http::Response<Bytes> {
    let mut req = post_form(form_body(extra));
    req.headers_mut().insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/json"),
    );
    router.handle(req).await
}

/// The bare addresses moto records for one message, sorted and unique.
fn destinations(m: &serde_json::Value) -> Vec<String> {
    let mut d: Vec<String> = m["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = a.as_str().unwrap();
            s.rsplit('<')
                .next()
                .unwrap()
                .trim_end_matches('>')
                .to_string()
        })
        .collect();
    d.sort();
    d.dedup();
    d
}

#[tokio::test]
#[ignore = "needs an SES-compatible server: run scripts/test.sh"]
async fn sends_raw_email_through_an_ses_endpoint() {
    let endpoint = std::env::var("SWITCHBOARD_TEST_SES")
        .expect("SWITCHBOARD_TEST_SES is not set: run scripts/test.sh");
    let config = ses_config(&endpoint);
    // SES only sends from verified identities; verify the sender's domain.
    verify_sender(&AwsClient::new(config.aws.clone()));
    let mailer = SesMailer::new(config);

    let dir = tempfile::tempdir().unwrap();
    let router = ses_router(
        dir.path(),
        mailer,
        "Example Org <forms@example.org>",
        OutboxMode::Ephemeral,
    );
    // The visitor's body also names a `bcc`: it must reach no one.
    let resp = post_sales_form(&router, &[("name", "Ann"), ("bcc", "victim@example.com")]).await;
    assert_eq!(resp.status(), 200, "{}", body_text(&resp));
    let v: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
    let reference = v["reference"].as_str().unwrap().to_string();

    let sent = sent_with(&endpoint, &reference);
    assert_eq!(sent.len(), 2, "notification and acknowledgement");
    let note = sent
        .iter()
        .find(|m| m["raw_data"].as_str().unwrap().contains("Reply-To:"))
        .unwrap();
    assert_eq!(
        destinations(note),
        ["alice@example.org", "sales@example.org"]
    );
    assert_eq!(note["source"], "forms@example.org");
    let raw = note["raw_data"].as_str().unwrap();
    assert!(raw.contains(&format!(
        "Subject: [Example Org] Buying our products (ref {reference})"
    )));
    assert!(raw.contains("Reply-To: Ann <ann@example.net>"), "{raw}");
    let ack = sent
        .iter()
        .find(|m| !m["raw_data"].as_str().unwrap().contains("Reply-To:"))
        .unwrap();
    assert_eq!(destinations(ack), ["ann@example.net"]);
    for m in &sent {
        assert!(!m.to_string().contains("victim"));
    }

    // A sender SES refuses (unverified identity) is a permanent failure:
    // the visitor is told, and the record is kept in `failed/` for the operator.
    let dir = tempfile::tempdir().unwrap();
    let router = ses_router(
        dir.path(),
        SesMailer::new(ses_config(&endpoint)),
        "forms@unverified.example",
        OutboxMode::Durable,
    );
    let resp = post_sales_form(&router, &[]).await;
    assert_eq!(resp.status(), 503, "{}", body_text(&resp));
    let count = |sub: &str| std::fs::read_dir(dir.path().join(sub)).unwrap().count();
    assert_eq!(count("outbox/failed"), 1);
    assert_eq!(count("outbox/pending"), 0);
}
