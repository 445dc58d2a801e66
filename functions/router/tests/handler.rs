//! The handler through plain `http` requests: routing with a pinned clock,
//! hostile input, spam screening, answers, idempotency and the outbox.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use common::*;
use http::{Request, StatusCode};
use switchboard_router::{MaildirMailer, OutboxMode, fields, token};

fn json_of(r: &http::Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(r.body()).unwrap_or_else(|_| panic!("not JSON: {}", body_text(r)))
}

fn post_json_accept(body: String) -> Request<Bytes> {
    Request::post("/api/contact")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Bytes::from(body))
        .unwrap()
}

// ---- routing, pinned clock ----

#[tokio::test]
async fn away_primary_goes_to_backup() {
    // Alice is away 2026-07-01..14; Wednesday 07-08 12:00 Berlin is in hours.
    let h = harness_at("2026-07-08T10:00:00Z");
    let r = h.router.handle(post_form(form_body(&[]))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body_text(&r));
    let mails = read_eml_dir(&h.maildir());
    let note = mails
        .iter()
        .find(|m| m.envelope_to.contains(&"bob@example.org".into()))
        .unwrap();
    assert_eq!(note.envelope_to, ["bob@example.org", "sales@example.org"]);
    assert!(
        note.text()
            .contains("Bob Brown covers for Alice Adams, who is away")
    );
    assert!(
        !mails
            .iter()
            .any(|m| m.envelope_to.contains(&"alice@example.org".into()))
    );
}

#[tokio::test]
async fn outside_hours_applies_the_after_hours_rule() {
    // Saturday 2026-03-07 12:00 Berlin: sales is closed, rule "backup".
    let h = harness_at("2026-03-07T11:00:00Z");
    let r = h.router.handle(post_form(form_body(&[]))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mails = read_eml_dir(&h.maildir());
    let note = mails
        .iter()
        .find(|m| m.envelope_to.contains(&"bob@example.org".into()))
        .unwrap();
    assert!(
        note.text().contains("outside Sales's business hours"),
        "{}",
        note.text()
    );
}

#[tokio::test]
async fn unknown_topic_is_422_with_the_field_named() {
    let h = harness();
    let r = h
        .router
        .handle(post_json_accept(form_body(&[("topic", "billing")])))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v = json_of(&r);
    assert_eq!(v["ok"], false);
    assert!(
        v["errors"]["topic"]
            .as_str()
            .unwrap()
            .contains("topics in the list")
    );
    assert!(read_eml_dir(&h.maildir()).is_empty());
}

// ---- answers ----

#[tokio::test]
async fn validation_error_page_lists_errors_links_fields_and_keeps_values() {
    let h = harness();
    let r = h
        .router
        .handle(post_form(form_body(&[
            ("email", "not-an-address"),
            ("message", "Dear <b>team</b> \"quoted\""),
            ("name", ""),
        ])))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://contact.example.org"
    );
    let html = body_text(&r);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("role=\"alert\""));
    // The site's own contact page (the manifest's `pages.form`), filled in.
    assert!(html.contains("<a href=\"#f-name\">Please enter your name.</a>"));
    assert!(html.contains("<a href=\"#f-email\">Please enter a valid email address"));
    assert!(html.contains("id=\"f-email\" name=\"email\" type=\"email\" value=\"not-an-address\" aria-invalid=\"true\" aria-describedby=\"f-email-error\""));
    assert!(html.contains("id=\"f-email-error\">Please enter a valid email address"));
    assert!(
        html.contains("id=\"f-phone-error\" hidden></p>"),
        "no error, hidden"
    );
    assert!(html.contains("href=\"https://contact.example.org/assets/site.css\""));
    assert!(!html.contains("[[sb:"), "every slot filled");
    assert!(
        html.contains("Dear &lt;b&gt;team&lt;/b&gt; &quot;quoted&quot;</textarea>"),
        "typed message kept, escaped"
    );
    assert!(html.contains("<option value=\"sales\" selected>"));
    // A fresh form token lets the corrected form be sent again.
    assert!(html.contains(&form_token()));
    assert!(read_eml_dir(&h.maildir()).is_empty());
}

#[tokio::test]
async fn json_body_and_json_answer() {
    let h = harness();
    let body = serde_json::json!({
        "name": "Ann", "email": "ann@example.net", "topic": "press", "message": "Interview?",
        "website": "", "sb_form_token": form_token(), "sb_time_token": build_time_token()
    });
    let req = Request::post("/api/contact")
        .header("content-type", "application/json")
        .header("origin", "http://localhost:1111")
        .body(Bytes::from(body.to_string()))
        .unwrap();
    let r = h.router.handle(req).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://localhost:1111"
    );
    assert!(json_of(&r)["reference"].as_str().unwrap().len() == 9);
}

#[tokio::test]
async fn a_plain_form_is_answered_with_the_sites_thank_you_page_and_its_reference() {
    let h = harness();
    let r = h.router.handle(post_form(form_body(&[]))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let reference = location.strip_prefix("?ref=").expect(&location).to_string();

    // The browser follows the 303 with a GET to the endpoint: no Origin
    // header then, so the Host says which of our sites the links go to.
    let get = |query: &str, host: &str| {
        http::Request::get(format!("https://fn.example/{query}"))
            .header("host", host)
            .body(Bytes::new())
            .unwrap()
    };
    let page = h.router.handle(get(&location, "localhost:1111")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_text(&page);
    assert!(
        html.contains(&format!("Your reference is <strong>{reference}</strong>")),
        "{html}"
    );
    assert!(
        html.contains("href=\"http://localhost:1111/assets/site.css\""),
        "{html}"
    );
    // Another host: the published site's links.
    let html = body_text(&h.router.handle(get(&location, "fn.example")).await);
    assert!(html.contains("href=\"https://contact.example.org/assets/site.css\""));
    // Nothing but a reference's shape reaches the page.
    let other = h
        .router
        .handle(get("?ref=%3Cscript%3E", "fn.example"))
        .await;
    assert_eq!(other.headers()["content-type"], "application/json");
    assert!(!body_text(&other).contains("script"));
}

// ---- hostile input ----

#[tokio::test]
async fn crlf_in_name_and_company_is_refused_and_nothing_sent() {
    let h = harness();
    let r = h
        .router
        .handle(post_json_accept(form_body(&[
            ("name", "Ann\r\nBcc: victim@example.com"),
            ("company", "X\r\nSubject: pills"),
        ])))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v = json_of(&r);
    assert!(v["errors"]["name"].is_string() && v["errors"]["company"].is_string());
    assert!(read_eml_dir(&h.maildir()).is_empty());
}

#[tokio::test]
async fn recipient_fields_in_the_body_are_ignored() {
    let h = harness();
    let r = h
        .router
        .handle(post_form(form_body(&[
            ("cc", "victim@example.com"),
            ("bcc", "victim2@example.com"),
            ("to", "victim3@example.com"),
            ("reply-to", "victim4@example.com"),
        ])))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mails = read_eml_dir(&h.maildir());
    assert_eq!(mails.len(), 2);
    assert_only_manifest_recipients(&mails, "ann@example.net");
    for m in &mails {
        assert!(!String::from_utf8_lossy(&m.raw).contains("victim"));
    }
}

#[tokio::test]
async fn ten_megabyte_body_is_413() {
    let h = harness();
    let big = vec![b'a'; 10 * 1024 * 1024];
    let r = h.router.handle(post_form(big.clone())).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Declared too large is refused before the body is looked at.
    let mut req = post_form(Bytes::new());
    req.headers_mut()
        .insert("content-length", "10485760".parse().unwrap());
    assert_eq!(
        h.router.handle(req).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert!(read_eml_dir(&h.maildir()).is_empty());
}

#[tokio::test]
async fn invalid_utf8_is_400() {
    let h = harness();
    let mut body = form_body(&[]).into_bytes();
    body.extend_from_slice(b"&message=%FF%FE%FD");
    let r = h.router.handle(post_form(body)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let mut raw = b"name=\xff\xfe&".to_vec();
    raw.extend_from_slice(form_body(&[]).as_bytes());
    assert_eq!(
        h.router.handle(post_form(raw)).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert!(read_eml_dir(&h.maildir()).is_empty());
}

#[tokio::test]
async fn wrong_method_and_content_type() {
    let h = harness();
    let r = h
        .router
        .handle(Request::put("/api/contact").body(Bytes::new()).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET, POST, OPTIONS");
    let req = Request::post("/api/contact")
        .header("content-type", "multipart/form-data; boundary=x")
        .body(Bytes::from("--x--"))
        .unwrap();
    assert_eq!(
        h.router.handle(req).await.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let req = Request::post("/api/contact")
        .body(Bytes::from(form_body(&[])))
        .unwrap();
    assert_eq!(
        h.router.handle(req).await.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[tokio::test]
async fn script_tags_are_escaped_in_html_and_kept_in_text() {
    let h = harness();
    let r = h
        .router
        .handle(post_form(form_body(&[(
            "message",
            "<script>alert('x')</script><img src=x onerror=alert(1)>",
        )])))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mails = read_eml_dir(&h.maildir());
    let note = mails
        .iter()
        .find(|m| m.envelope_to.contains(&"alice@example.org".into()))
        .unwrap();
    let p = note.parsed();
    let html = p.body_html(0).unwrap();
    assert!(!html.contains("<script>") && !html.contains("<img"));
    assert!(html.contains("&lt;script&gt;"));
    assert!(note.text().contains("<script>alert('x')</script>"));
}

#[tokio::test]
async fn foreign_origin_is_refused_without_cors() {
    let h = harness();
    let mut req = post_form(form_body(&[]));
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    let r = h.router.handle(req).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert!(read_eml_dir(&h.maildir()).is_empty());
}

// ---- spam screening ----

#[tokio::test]
async fn blind_post_without_form_token_is_refused_and_keeps_text() {
    let h = harness();
    let r = h
        .router
        .handle(post_form(form_body(&[("sb_form_token", "")])))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(body_text(&r).contains("Hello, I would like a quote."));
    let forged = token::sign_form_token(b"guessed-secret", "c0ffee1234", TOKENS_ISSUED);
    let r = h
        .router
        .handle(post_form(form_body(&[("sb_form_token", &forged)])))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(read_eml_dir(&h.maildir()).is_empty());
}

#[tokio::test]
async fn honeypot_filled_or_missing_is_screened_out_silently() {
    let h = harness();
    let person = h.router.handle(post_form(form_body(&[]))).await;
    let filled = h
        .router
        .handle(post_form(form_body(&[("website", "http://spam.example")])))
        .await;
    let missing_body: String = form_body(&[])
        .split('&')
        .filter(|p| !p.starts_with("website="))
        .collect::<Vec<_>>()
        .join("&");
    let missing = h.router.handle(post_form(missing_body)).await;
    for bot in [&filled, &missing] {
        assert_eq!(bot.status(), person.status());
        let loc = bot.headers()["location"].to_str().unwrap();
        assert!(loc.starts_with("?ref="), "{loc}");
    }
    assert_eq!(
        read_eml_dir(&h.maildir()).len(),
        2,
        "only the person's two emails"
    );
}

#[tokio::test]
async fn minimum_fill_time_from_the_get_token() {
    let h = harness();
    let r = h
        .router
        .handle(
            Request::get("/api/contact?token")
                .body(Bytes::new())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v = json_of(&r);
    assert_eq!(v["field"], fields::TIME_TOKEN);
    let t = v["token"].as_str().unwrap().to_string();

    h.clock.advance(chrono::Duration::seconds(1));
    let fast = h
        .router
        .handle(post_json_accept(form_body(&[(fields::TIME_TOKEN, &t)])))
        .await;
    assert_eq!(fast.status(), StatusCode::OK, "a bot sees success");
    assert!(read_eml_dir(&h.maildir()).is_empty(), "but nothing is sent");

    h.clock.advance(chrono::Duration::seconds(5));
    let slow = h
        .router
        .handle(post_json_accept(form_body(&[(fields::TIME_TOKEN, &t)])))
        .await;
    assert_eq!(slow.status(), StatusCode::OK);
    assert_eq!(read_eml_dir(&h.maildir()).len(), 2);
}

// ---- keeping ----

#[tokio::test]
async fn idempotency_key_header_and_field() {
    let h = harness();
    let body = form_body(&[("sb_idempotency_key", "k-1")]);
    let a = json_of(&h.router.handle(post_json_accept(body.clone())).await);
    let b = json_of(&h.router.handle(post_json_accept(body)).await);
    assert_eq!(a["reference"], b["reference"]);
    assert_eq!(read_eml_dir(&h.maildir()).len(), 2);

    let mut req = post_json_accept(form_body(&[]));
    req.headers_mut()
        .insert("idempotency-key", "k-2".parse().unwrap());
    let c = json_of(&h.router.handle(req).await);
    let mut req = post_json_accept(form_body(&[]));
    req.headers_mut()
        .insert("idempotency-key", "k-2".parse().unwrap());
    let d = json_of(&h.router.handle(req).await);
    assert_eq!(c["reference"], d["reference"]);
    assert_ne!(a["reference"], c["reference"]);
    // Two notifications; one acknowledgement, as the second message went to
    // the same address within the hour.
    assert_eq!(read_eml_dir(&h.maildir()).len(), 3);
}

#[tokio::test]
async fn durable_outbox_keeps_failed_delivery_and_retries_with_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Arc::new(FlakyMailer {
        failures_left: AtomicUsize::new(2),
        inner: MaildirMailer::new(dir.path().join("mail")),
        calls: AtomicUsize::new(0),
    });
    let h = harness_with(mailer.clone(), OutboxMode::Durable);
    let r = h.router.handle(post_json_accept(form_body(&[]))).await;
    // Kept durably: the visitor is told it was received.
    assert_eq!(r.status(), StatusCode::OK);
    let reference = json_of(&r)["reference"].as_str().unwrap().to_string();
    let pending = h
        .dir
        .path()
        .join(format!("outbox/pending/{reference}.json"));
    assert!(pending.exists());
    assert!(read_eml_dir(&dir.path().join("mail")).is_empty());

    // Not yet due: nothing is retried.
    assert_eq!(h.router.retry_pending().await.attempted, 0);
    h.clock.advance(chrono::Duration::minutes(2));
    let report = h.router.retry_pending().await;
    assert_eq!(
        (report.attempted, report.delivered, report.still_pending),
        (1, 0, 1)
    );
    // Second failure: the next try waits longer (2 minutes).
    h.clock.advance(chrono::Duration::seconds(90));
    assert_eq!(h.router.retry_pending().await.attempted, 0);
    h.clock.advance(chrono::Duration::seconds(60));
    let report = h.router.retry_pending().await;
    assert_eq!((report.attempted, report.delivered), (1, 1));
    assert!(!pending.exists());
    assert!(
        h.dir
            .path()
            .join(format!("outbox/sent/{reference}.json"))
            .exists()
    );
    let mails = read_eml_dir(&dir.path().join("mail"));
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| m.subject().contains(&reference)));
    assert_eq!(h.router.retry_pending().await.attempted, 0);
}

#[tokio::test]
async fn ephemeral_outbox_answers_a_failed_delivery_as_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Arc::new(FlakyMailer {
        failures_left: AtomicUsize::new(1),
        inner: MaildirMailer::new(dir.path().join("mail")),
        calls: AtomicUsize::new(0),
    });
    let h = harness_with(mailer.clone(), OutboxMode::Ephemeral);
    let body = form_body(&[
        ("sb_idempotency_key", "retry-me"),
        ("message", "Keep this text"),
    ]);
    let r = h.router.handle(post_form(body.clone())).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body_text(&r).contains("Keep this text"),
        "the visitor keeps what they typed"
    );
    assert!(read_eml_dir(&dir.path().join("mail")).is_empty());
    assert_eq!(
        std::fs::read_dir(h.dir.path().join("outbox/pending"))
            .unwrap()
            .count(),
        0
    );

    // The visitor sends again (same key): now it goes through, once.
    let r = h.router.handle(post_form(body)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(read_eml_dir(&dir.path().join("mail")).len(), 2);
    assert_eq!(mailer.calls.load(Ordering::SeqCst), 3);
}

// ---- captcha ----

struct FakeCaptcha;

impl switchboard_router::captcha::CaptchaVerifier for FakeCaptcha {
    fn verify<'a>(
        &'a self,
        _provider: switchboard_router::manifest::CaptchaProvider,
        response: &'a str,
    ) -> switchboard_router::deliver::BoxFuture<
        'a,
        Result<bool, switchboard_router::captcha::CaptchaError>,
    > {
        Box::pin(async move {
            match response {
                "good" => Ok(true),
                "down" => Err(switchboard_router::captcha::CaptchaError(
                    "unreachable".into(),
                )),
                _ => Ok(false),
            }
        })
    }
}

#[tokio::test]
async fn captcha_is_verified_when_the_manifest_names_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = manifest();
    m.form.captcha = Some(switchboard_router::manifest::Captcha {
        provider: switchboard_router::manifest::CaptchaProvider::Turnstile,
        site_key: "0x4AAA".into(),
    });
    let clock = Arc::new(switchboard_router::FixedClock::at(MONDAY_MORNING_BERLIN));
    let mailer = Arc::new(MaildirMailer::new(dir.path().join("mail")));
    let router = switchboard_router::Router::new(m, config(dir.path()), mailer, clock)
        .unwrap()
        .with_captcha(Arc::new(FakeCaptcha));

    let missing = router.handle(post_json_accept(form_body(&[]))).await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(&missing)["errors"]["captcha"].is_string());
    let bad = router
        .handle(post_json_accept(form_body(&[(
            fields::TURNSTILE_RESPONSE,
            "bad",
        )])))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let down = router
        .handle(post_json_accept(form_body(&[(
            fields::TURNSTILE_RESPONSE,
            "down",
        )])))
        .await;
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(read_eml_dir(&dir.path().join("mail")).is_empty());
    let good = router
        .handle(post_json_accept(form_body(&[(
            fields::TURNSTILE_RESPONSE,
            "good",
        )])))
        .await;
    assert_eq!(good.status(), StatusCode::OK);
    assert_eq!(read_eml_dir(&dir.path().join("mail")).len(), 2);
    // A plain form's error page links the verification's error to it.
    let page = router.handle(post_form(form_body(&[]))).await;
    assert!(body_text(&page).contains("<a href=\"#f-captcha\">Please complete the verification"));
}

#[tokio::test]
async fn from_config_loads_the_manifest_and_requires_a_captcha_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = manifest();
    std::fs::write(
        dir.path().join("routing.json"),
        serde_json::to_string(&m).unwrap(),
    )
    .unwrap();
    let router = switchboard_router::Router::from_config(config(dir.path())).unwrap();
    assert_eq!(router.manifest().content_hash, "c0ffee1234");

    m.form.captcha = Some(switchboard_router::manifest::Captcha {
        provider: switchboard_router::manifest::CaptchaProvider::Hcaptcha,
        site_key: "k".into(),
    });
    std::fs::write(
        dir.path().join("routing.json"),
        serde_json::to_string(&m).unwrap(),
    )
    .unwrap();
    let err = switchboard_router::Router::from_config(config(dir.path()))
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("SWITCHBOARD_CAPTCHA_SECRET"),
        "{err}"
    );
}

/// `serve` runs the handler on a multi-threaded runtime behind axum.
#[test]
fn router_and_its_futures_are_send_and_sync() {
    fn send<T: Send>(_: &T) {}
    fn sync<T: Sync>(_: &T) {}
    let h = harness();
    sync(&h.router);
    let fut = h.router.handle(post_form(form_body(&[])));
    send(&fut);
    let retry = h.router.retry_pending();
    send(&retry);
}
