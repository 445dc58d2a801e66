//! The ten findings of the abuse review (issue 13), one regression test each
//! where the router is the place to show it (the builder's are in the CLI
//! tests: captcha from content, one address rule, the secret hand-over,
//! `serve`'s body cap and timeouts). Each failed before its fix.

mod common;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use common::*;
use http::StatusCode;
use switchboard_router::outbox::State;
use switchboard_router::token::{self, Shown};
use switchboard_router::{ClientAddr, Clock, OutboxMode, fields};

fn from_client(ip: &str, body: String) -> http::Request<Bytes> {
    let mut req = post_form(body);
    let ip: IpAddr = ip.parse().unwrap();
    req.extensions_mut().insert(ClientAddr(ip));
    req
}

fn acknowledgements(mails: &[Delivered]) -> Vec<&Delivered> {
    mails
        .iter()
        .filter(|m| m.parsed().header_raw("Auto-Submitted").map(str::trim) == Some("auto-replied"))
        .collect()
}

fn notifications(mails: &[Delivered]) -> usize {
    mails.len() - acknowledgements(mails).len()
}

fn reference_of(r: &http::Response<Bytes>) -> String {
    let location = r.headers()["location"].to_str().unwrap();
    location.rsplit_once("ref=").unwrap().1.to_string()
}

/// Finding 1: 40 POSTs from one client naming 40 addresses sent 40
/// acknowledgements. Now the client gets its hourly share (10 by default),
/// then 429 with Retry-After and a page that keeps the text and offers the
/// department's published phone and address.
#[tokio::test]
async fn finding_1_one_client_cannot_send_acknowledgements_to_forty_addresses() {
    let h = harness();
    let mut accepted = 0;
    let mut limited = 0;
    for i in 0..40 {
        let email = format!("victim{i}@example.net");
        let r = h
            .router
            .handle(from_client(
                "198.51.100.7",
                form_body(&[("email", &email), ("message", &format!("Message {i}"))]),
            ))
            .await;
        match r.status() {
            StatusCode::SEE_OTHER => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                let retry: u64 = r.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=3600).contains(&retry), "{retry}");
                let page = body_text(&r);
                assert!(page.contains(&format!("Message {i}")), "keeps the text");
                assert!(
                    page.contains("+49 30 1234 5678"),
                    "offers the phone: {page}"
                );
                assert!(page.contains("sales@example.org"));
            }
            other => panic!("unexpected {other}: {}", body_text(&r)),
        }
    }
    assert_eq!((accepted, limited), (10, 30));
    let mails = read_eml_dir(&h.maildir());
    assert_eq!(acknowledgements(&mails).len(), 10);
    // Another client is not affected by the first one's limit.
    let r = h
        .router
        .handle(from_client("203.0.113.9", form_body(&[])))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// Finding 1, the other half: many clients naming one victim's address.
/// Every message is routed to its contact; the victim gets one acknowledgement.
#[tokio::test]
async fn finding_1_one_address_gets_one_acknowledgement_per_window() {
    let h = harness();
    for i in 0..5 {
        let r = h
            .router
            .handle(from_client(
                &format!("192.0.2.{}", i + 1),
                form_body(&[
                    ("email", "victim@example.net"),
                    ("message", &format!("Message {i}")),
                ]),
            ))
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body_text(&r));
    }
    let mails = read_eml_dir(&h.maildir());
    assert_eq!(
        notifications(&mails),
        5,
        "every message reaches its contact"
    );
    assert_eq!(acknowledgements(&mails).len(), 1);
    // After the window (60 minutes by default) the address gets one again.
    h.clock.advance(chrono::Duration::minutes(61));
    let r = h
        .router
        .handle(from_client(
            "192.0.2.99",
            form_body(&[("email", "victim@example.net"), ("message", "Later")]),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(acknowledgements(&read_eml_dir(&h.maildir())).len(), 2);
}

/// Finding 3: tokens never expired, the time token was optional, and a
/// refused POST was handed a fresh valid form token.
#[tokio::test]
async fn finding_3_tokens_expire_the_time_token_is_required_and_refusals_hand_out_nothing() {
    let h = harness();
    let now = h.clock.now().timestamp();
    // A page built 181 days ago (the default lifetime is 180).
    let old = token::sign_form_token(SECRET, "c0ffee1234", now - 181 * 86_400);
    let old_time = token::sign_time_token(SECRET, Shown::AtBuild, now - 181 * 86_400);
    let r = h
        .router
        .handle(post_form(form_body(&[
            ("sb_form_token", &old),
            ("sb_time_token", &old_time),
        ])))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = body_text(&r);
    assert!(page.contains("out of date"), "{page}");
    assert!(
        page.contains("Hello, I would like a quote."),
        "keeps the text"
    );
    assert!(
        !page.contains(fields::FORM_TOKEN) && !page.contains(fields::TIME_TOKEN),
        "a refused page hands out no token: {page}"
    );
    // Without a time token.
    let r = h
        .router
        .handle(post_form(form_body(&[("sb_time_token", "")])))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Signed with another secret: refused, and nothing in the answer passes.
    let other = token::sign_form_token(b"the build's local secret", "c0ffee1234", now - 60);
    let r = h
        .router
        .handle(post_form(form_body(&[("sb_form_token", &other)])))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!body_text(&r).contains("f2."), "{}", body_text(&r));
    // A form shown 25 hours ago (viewed tokens live 24): the form again, with
    // the visitor's own form token and a time token minted now.
    let shown = token::sign_time_token(SECRET, Shown::AtView, now - 25 * 3600);
    let r = h
        .router
        .handle(post_form(form_body(&[("sb_time_token", &shown)])))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = body_text(&r);
    let fresh = token::sign_time_token(SECRET, Shown::AtView, now);
    assert!(page.contains(&fresh), "{page}");
    assert!(page.contains(&form_token()));
    assert!(read_eml_dir(&h.maildir()).is_empty());
}

/// Finding 4: the same form body POSTed twice without JavaScript (no key)
/// gave two references and four emails.
#[tokio::test]
async fn finding_4_a_double_submit_without_javascript_mails_once() {
    let h = harness();
    let first = h.router.handle(post_form(form_body(&[]))).await;
    let second = h.router.handle(post_form(form_body(&[]))).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(reference_of(&first), reference_of(&second));
    assert_eq!(
        read_eml_dir(&h.maildir()).len(),
        2,
        "one notification, one acknowledgement"
    );
    // Fifteen minutes later the same text is a new message.
    h.clock.advance(chrono::Duration::minutes(16));
    let third = h.router.handle(post_form(form_body(&[]))).await;
    assert_ne!(reference_of(&third), reference_of(&first));
}

/// Finding 5: a key whose record failed was answered "failed" for 24 hours,
/// so after the operator fixed the mail backend the visitor's retries from
/// the error page (same key) still got 503.
#[tokio::test]
async fn finding_5_after_a_failure_the_same_page_can_send_again() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Arc::new(RefusingMailer::new(
        None,
        "sending paused for the account",
        &dir.path().join("mail"),
    ));
    let h = harness_with(mailer.clone(), OutboxMode::Durable);
    let body = form_body(&[("sb_idempotency_key", "page-view-1")]);
    let r = h.router.handle(post_form(body.clone())).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    // The error page sends the same key again.
    assert!(body_text(&r).contains("page-view-1"));
    mailer.refusing.store(false, Ordering::SeqCst);
    let r = h.router.handle(post_form(body)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body_text(&r));
    assert_eq!(read_eml_dir(&dir.path().join("mail")).len(), 2);
}

/// Finding 6: the same key with another message silently returned the first
/// reference and dropped the new message.
#[tokio::test]
async fn finding_6_a_key_sent_again_with_another_message_is_409() {
    let h = harness();
    let first = h
        .router
        .handle(post_form(form_body(&[("sb_idempotency_key", "k-1")])))
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let again = h
        .router
        .handle(post_form(form_body(&[
            ("sb_idempotency_key", "k-1"),
            ("message", "A different message"),
        ])))
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let page = body_text(&again);
    assert!(page.contains("A different message"), "keeps the text");
    assert!(
        !page.contains("k-1"),
        "the re-rendered form drops the spent key"
    );
    // The same message with the same key is a replay, not a conflict.
    let replay = h
        .router
        .handle(post_form(form_body(&[("sb_idempotency_key", "k-1")])))
        .await;
    assert_eq!(reference_of(&replay), reference_of(&first));
    assert_eq!(read_eml_dir(&h.maildir()).len(), 2);
}

/// Finding 7: a name with U+202E or `"<@>` was accepted, and notifications
/// lacked `Auto-Submitted`, so a helpdesk could auto-reply to the Reply-To.
#[tokio::test]
async fn finding_7_spoofing_names_are_refused_and_notifications_say_auto_generated() {
    let h = harness();
    for name in ["Ann\u{202E}elpmaxE", "\"CEO <ceo@example.org>\""] {
        let r = h
            .router
            .handle(post_form(form_body(&[("name", name)])))
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert!(body_text(&r).contains("href=\"#f-name\""));
    }
    assert!(read_eml_dir(&h.maildir()).is_empty());
    let r = h.router.handle(post_form(form_body(&[]))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mails = read_eml_dir(&h.maildir());
    let note = mails
        .iter()
        .find(|m| m.envelope_to.contains(&"alice@example.org".to_string()))
        .unwrap();
    let parsed = note.parsed();
    assert_eq!(
        parsed.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
    assert_eq!(
        parsed.header_raw("X-Auto-Response-Suppress").map(str::trim),
        Some("All")
    );
}

/// The fix for finding 5 frees a failed message's key; a message whose
/// notification went out and only its acknowledgement failed for good must
/// not be freed: sent again, the contact would get it twice.
#[tokio::test]
async fn finding_5_a_message_whose_acknowledgement_failed_is_not_sent_twice() {
    let dir = tempfile::tempdir().unwrap();
    // A visitor's typo that bounces; the rest is delivered.
    let mailer = Arc::new(RefusingMailer::new(
        Some("ann@example.net"),
        "550 no such user",
        &dir.path().join("mail"),
    ));
    let h = harness_with(mailer, OutboxMode::Durable);
    let body = form_body(&[("sb_idempotency_key", "page-view-2")]);
    let first = h.router.handle(post_form(body.clone())).await;
    assert_eq!(
        first.status(),
        StatusCode::SEE_OTHER,
        "{}",
        body_text(&first)
    );
    let reference = reference_of(&first);
    // The acknowledgement bounces until the outbox gives up on it, as it
    // does after its last attempt: the record moves to failed/.
    let outbox = h.router.outbox().expect("a local outbox");
    let (record, state) = outbox.load(&reference).unwrap().unwrap();
    assert_eq!(state, State::Pending);
    assert!(record.notification_delivered());
    outbox.finish(&record, State::Failed).unwrap();

    let again = h.router.handle(post_form(body)).await;
    assert_eq!(
        again.status(),
        StatusCode::SEE_OTHER,
        "{}",
        body_text(&again)
    );
    assert_eq!(reference_of(&again), reference);
    let mails = read_eml_dir(&dir.path().join("mail"));
    assert_eq!(notifications(&mails), 1, "the contact got it once");
}
