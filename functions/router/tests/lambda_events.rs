//! The handler driven by Lambda event JSON in the shapes AWS sends (Function
//! URL, HTTP API v2 with a base64 form body, REST API v1, ALB), converted by
//! `lambda_http` exactly as the Lambda binary does.

mod common;

use bytes::Bytes;
use common::*;
use http::StatusCode;

fn event(name: &str) -> http::Request<Bytes> {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let json = std::fs::read_to_string(path).unwrap();
    let req = lambda_http::request::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (parts, body) = req.into_parts();
    http::Request::from_parts(parts, Bytes::copy_from_slice(body.as_ref()))
}

#[tokio::test]
async fn http_api_v2_base64_form_redirects_to_thank_you_and_delivers() {
    let h = harness();
    let resp = h.router.handle(event("apigw_v2_form_base64.json")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{}", body_text(&resp));
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("?ref="), "{location}");
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://contact.example.org"
    );
    let reference = location.rsplit('=').next().unwrap().to_string();

    let mails = read_eml_dir(&h.maildir());
    assert_eq!(mails.len(), 2);
    let note = mails
        .iter()
        .find(|m| m.envelope_to.contains(&"alice@example.org".into()))
        .unwrap();
    assert_eq!(note.envelope_to, ["alice@example.org", "sales@example.org"]);
    assert!(note.subject().contains(&reference));
    assert!(note.subject().contains("Buying our products"));
    let text = note.text();
    assert!(
        text.contains("<script>alert(1)</script>"),
        "the text part shows the message as typed"
    );
    assert!(text.contains("Acme GmbH") && text.contains("+49 30 1234"));
    let ack = mails
        .iter()
        .find(|m| m.envelope_to == ["ann@example.net"])
        .unwrap();
    assert!(ack.text().contains(&reference));
    assert!(
        !ack.text().contains("would like"),
        "the acknowledgement echoes no message text"
    );
    assert_only_manifest_recipients(&mails, "ann@example.net");

    // The same event again (a retried POST: same idempotency key): same reference, nothing sent.
    let again = h.router.handle(event("apigw_v2_form_base64.json")).await;
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    assert_eq!(read_eml_dir(&h.maildir()).len(), 2);
}

#[tokio::test]
async fn function_url_json_gets_json_and_after_hours_routing() {
    let h = harness();
    let resp = h.router.handle(event("function_url_json.json")).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", body_text(&resp));
    assert_eq!(resp.headers()["content-type"], "application/json");
    let v: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(v["ok"], true);
    let reference = v["reference"].as_str().unwrap();
    // 04:00 in New York: support is closed, its after-hours rule names the on-call desk.
    let mails = read_eml_dir(&h.maildir());
    let note = mails
        .iter()
        .find(|m| m.envelope_to == ["oncall@example.org"])
        .expect("routed to on-call");
    assert!(note.subject().contains(reference));
    assert!(
        note.text()
            .contains("outside Customer Support's business hours")
    );
}

#[tokio::test]
async fn function_url_get_with_a_reference_shows_the_thank_you_page() {
    let h = harness();
    let page = h
        .router
        .handle(event("function_url_get_sent_page.json"))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_text(&page);
    assert!(
        html.contains("Your reference is <strong>K7QM-3XPD</strong>"),
        "{html}"
    );
    // The function's own host is not the site's: links go to the published site.
    assert!(html.contains("href=\"https://contact.example.org/assets/site.css\""));
}

#[tokio::test]
async fn function_url_preflight_only_for_the_site_origin() {
    let h = harness();
    let ok = h.router.handle(event("function_url_preflight.json")).await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://contact.example.org"
    );
    assert!(
        ok.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
    let evil = h
        .router
        .handle(event("function_url_preflight_evil_origin.json"))
        .await;
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    assert!(evil.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn rest_api_v1_ignores_recipient_fields_in_the_body() {
    let h = harness();
    let resp = h.router.handle(event("apigw_rest_v1_form.json")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{}", body_text(&resp));
    let mails = read_eml_dir(&h.maildir());
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().any(|m| m.envelope_to == ["carol@example.org"]));
    assert_only_manifest_recipients(&mails, "ann@example.net");
    for m in &mails {
        let raw = String::from_utf8_lossy(&m.raw);
        assert!(
            !raw.contains("victim"),
            "no cc/bcc/to from the body reaches a message"
        );
    }
}

#[tokio::test]
async fn alb_form_and_alb_bot_without_honeypot() {
    let h = harness();
    let resp = h.router.handle(event("alb_form.json")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{}", body_text(&resp));
    assert_eq!(read_eml_dir(&h.maildir()).len(), 2);

    let h = harness();
    let bot = h.router.handle(event("alb_form_no_honeypot.json")).await;
    // Same answer as a person gets...
    assert_eq!(bot.status(), StatusCode::SEE_OTHER);
    assert!(
        bot.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("?ref=")
    );
    // ...and nothing sent or kept.
    assert!(read_eml_dir(&h.maildir()).is_empty());
    assert_eq!(
        std::fs::read_dir(h.dir.path().join("outbox/pending"))
            .unwrap()
            .count(),
        0
    );
}
