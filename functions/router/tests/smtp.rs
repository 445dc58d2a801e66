//! SMTP delivery against a real SMTP server process (aiosmtpd, started by
//! `scripts/test.sh`), asserting on what it filed into its Maildir:
//! envelope recipients (aiosmtpd's `X-RcptTo`), Reply-To, subject, and that
//! no visitor text became a header.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use common::*;
use http::StatusCode;
use switchboard_router::{OutboxMode, SmtpMailer};

const NEEDS: &str =
    "SWITCHBOARD_TEST_SMTP / SWITCHBOARD_TEST_MAILDIR are not set: run scripts/test.sh";

struct Peer {
    url: String,
    maildir: PathBuf,
}

fn peer() -> Peer {
    let addr = std::env::var("SWITCHBOARD_TEST_SMTP").expect(NEEDS);
    let maildir = PathBuf::from(std::env::var("SWITCHBOARD_TEST_MAILDIR").expect(NEEDS));
    Peer {
        url: format!("smtp://{addr}"),
        maildir,
    }
}

/// Messages the server received that carry `reference` (the Maildir is shared by tests).
fn received(maildir: &std::path::Path, reference: &str) -> Vec<Vec<u8>> {
    maildir_messages(maildir, |bytes| {
        let p = mail_parser::MessageParser::default().parse(bytes).unwrap();
        p.header_raw("X-Switchboard-Reference").map(str::trim) == Some(reference)
    })
}

fn rcpt_to(p: &mail_parser::Message<'_>) -> Vec<String> {
    let raw = p
        .header_raw("X-RcptTo")
        .expect("aiosmtpd records the envelope in X-RcptTo");
    raw.split(',').map(|s| s.trim().to_string()).collect()
}

async fn submit(overrides: &[(&str, &str)]) -> (String, Peer) {
    let peer = peer();
    let mailer = Arc::new(SmtpMailer::from_url(&peer.url).unwrap());
    let h = harness_with(mailer, OutboxMode::Ephemeral);
    let req = http::Request::post("/api/contact")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Bytes::from(form_body(overrides)))
        .unwrap();
    let r = h.router.handle(req).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", body_text(&r));
    let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    (v["reference"].as_str().unwrap().to_string(), peer)
}

#[tokio::test]
#[ignore = "needs an SMTP server: run scripts/test.sh"]
async fn delivers_notification_and_acknowledgement_over_smtp() {
    let (reference, peer) = submit(&[
        // (Quotes, angle brackets and `@` are refused in names since the abuse
        // review; what a name may still hold must stay inside its header.)
        ("name", "Jürgen (JB), Bcc: victim; To: boss"),
        ("company", "Acme: Bcc: victim2@example.com"),
        ("message", "Hi,\nBcc: victim3@example.com\nSubject: pills\n.\nA line with only a dot came before this one."),
        ("cc", "victim4@example.com"),
    ])
    .await;
    let mails = received(&peer.maildir, &reference);
    assert_eq!(mails.len(), 2, "notification and acknowledgement arrived");
    let parsed: Vec<_> = mails
        .iter()
        .map(|m| mail_parser::MessageParser::default().parse(m).unwrap())
        .collect();

    let note = parsed
        .iter()
        .find(|p| p.subject().is_some_and(|s| s.starts_with("[Example Org]")))
        .unwrap();
    assert_eq!(rcpt_to(note), ["alice@example.org", "sales@example.org"]);
    assert_eq!(
        note.subject(),
        Some(format!("[Example Org] Buying our products (ref {reference})").as_str())
    );
    let reply_to = note.reply_to().unwrap();
    assert_eq!(reply_to.iter().count(), 1, "exactly one Reply-To address");
    let r = reply_to.first().unwrap();
    assert_eq!(r.address(), Some("ann@example.net"));
    assert_eq!(r.name(), Some("Jürgen (JB), Bcc: victim; To: boss"));
    let to: Vec<_> = note
        .to()
        .unwrap()
        .iter()
        .filter_map(|a| a.address())
        .collect();
    assert_eq!(to, ["alice@example.org"]);
    let text = note.body_text(0).unwrap();
    assert!(
        text.contains("\n.\nA line with only a dot came before this one."),
        "dot-stuffing survived: {text}"
    );

    let ack = parsed
        .iter()
        .find(|p| p.subject().is_some_and(|s| s.starts_with("We received")))
        .unwrap();
    assert_eq!(rcpt_to(ack), ["ann@example.net"]);

    for p in &parsed {
        // Exactly one of each structural header, and none that visitor text could have made.
        for h in ["Subject", "From", "To", "Date", "Message-ID"] {
            assert_eq!(
                p.headers()
                    .iter()
                    .filter(|x| x.name().eq_ignore_ascii_case(h))
                    .count(),
                1,
                "{h}"
            );
        }
        for h in ["Bcc", "Cc"] {
            let v = p.header_raw(h).unwrap_or_default();
            assert!(!v.contains("victim"), "{h}: {v}");
        }
        for rcpt in rcpt_to(p) {
            assert!(!rcpt.contains("victim") && !rcpt.contains("evil"), "{rcpt}");
        }
        let raw_headers =
            String::from_utf8_lossy(&p.raw_message()[..p.root_part().raw_body_offset() as usize])
                .into_owned();
        assert!(!raw_headers.contains("\nBcc:"), "{raw_headers}");
        assert!(!raw_headers.contains("\nSubject: pills"), "{raw_headers}");
    }
}

#[tokio::test]
#[ignore = "needs an SMTP server: run scripts/test.sh"]
async fn after_hours_route_over_smtp_has_no_inbox_cc() {
    // The clock is Monday 04:00 in New York: support's after-hours contact.
    let (reference, peer) = submit(&[("topic", "support")]).await;
    let mails = received(&peer.maildir, &reference);
    let parsed: Vec<_> = mails
        .iter()
        .map(|m| mail_parser::MessageParser::default().parse(m).unwrap())
        .collect();
    let note = parsed
        .iter()
        .find(|p| {
            p.subject()
                .is_some_and(|s| s.contains("Help with an order"))
        })
        .unwrap();
    assert_eq!(rcpt_to(note), ["oncall@example.org"]);
    assert!(note.header_raw("Cc").is_none());
}
