//! Property tests over the whole path a visitor's bytes take: parse ->
//! screen -> validate -> compose. For any body, no panic and no server
//! error; for any field values, no header line that compose did not write,
//! and no recipient outside the manifest plus the one acknowledgement address.
//! (Case counts: `PROPTEST_CASES` overrides the defaults below.)

mod common;

use bytes::Bytes;
use common::*;
use lettre::message::Mailbox;
use proptest::prelude::*;
use switchboard_router::compose::{self, Context};
use switchboard_router::parse::{self, BodyKind};
use switchboard_router::{route, validate};

/// Text a hostile visitor would try: header breaks, separators, quotes,
/// angle brackets, bidi controls, and anything else.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 .,:;'\"<>@()\\r\\n\\t\\u{0}\\u{85}\\u{2028}\\u{2029}\\u{202e}\\u{200b}=?-]{0,60}",
        Just("Ann\r\nBcc: victim@example.com".to_string()),
        Just("=?utf-8?b?QmNjOiB2aWN0aW1AZXhhbXBsZS5jb20=?=".to_string()),
    ]
}

fn hostile_email() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9.+_-]{1,12}@[a-z0-9-]{1,10}\\.[a-z]{2,4}",
        "[a-z]{1,6}@[a-z]{1,6}\\.[a-z]{2,3}[\\r\\n,;<> ]{1,3}[a-z@. :]{0,20}",
        any::<String>(),
    ]
}

/// The header names compose writes at the top level of a message.
const COMPOSED_HEADERS: [&str; 13] = [
    "from",
    "reply-to",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "auto-submitted",
    "x-auto-response-suppress",
    "x-switchboard-reference",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

fn header_names(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    head.split("\r\n")
        .filter(|line| !line.starts_with([' ', '\t']))
        .map(|line| {
            line.split_once(':')
                .map_or(line, |(name, _)| name)
                .to_ascii_lowercase()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Any bytes, as either body kind: parsing never panics.
    #[test]
    fn parsing_any_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse::parse_body(BodyKind::Form, &body, 64 * 1024);
        let _ = parse::parse_body(BodyKind::Json, &body, 64 * 1024);
    }

    /// Any field values that validate compose into messages whose header
    /// lines are all compose's own, addressed only to the manifest's
    /// recipients and (the acknowledgement) the visitor's validated address.
    #[test]
    fn any_fields_compose_only_our_headers_and_recipients(
        name in hostile_text(),
        email in hostile_email(),
        message in hostile_text(),
        phone in prop_oneof![Just(String::new()), "[0-9 +()-]{1,20}", hostile_text()],
        company in hostile_text(),
        topic in prop_oneof![Just("sales".to_string()), Just("press".to_string()), hostile_text()],
    ) {
        let manifest = manifest();
        let mut raw = parse::RawFields::default();
        for (k, v) in [("name", &name), ("email", &email), ("message", &message),
                       ("phone", &phone), ("company", &company), ("topic", &topic)] {
            raw.insert(k, v.as_str());
        }
        let Ok(sub) = validate::validate(&raw, &manifest) else { return Ok(()) };
        let now = "2026-03-02T09:00:00Z".parse().unwrap();
        let route = route::route(&manifest, &sub.topic, now).unwrap();
        let sender: Mailbox = "Example Org <forms@example.org>".parse().unwrap();
        let ctx = Context { site_title: "Example Org", sender: &sender, reference: "K7QM-3XPD", received: now };
        let allowed = manifest.routable_addresses();
        for mail in [compose::notification(&ctx, &sub, &route, &manifest.texts("en")), compose::acknowledgement(&ctx, &sub, &route, &manifest.texts(&sub.language))] {
            // An address lettre would not take is refused (a 422), not sent.
            let Ok(mail) = mail else { continue };
            for name in header_names(&mail.raw) {
                prop_assert!(COMPOSED_HEADERS.contains(&name.as_str()), "header {name:?} in {:?}", String::from_utf8_lossy(&mail.raw));
            }
            for to in &mail.envelope.to {
                prop_assert!(allowed.contains(&to.as_str()) || *to == sub.email, "recipient {to}");
            }
            if mail.kind == compose::MailKind::Acknowledgement {
                prop_assert_eq!(&mail.envelope.to, &vec![sub.email.clone()]);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any bytes POSTed to the handler, with a valid form token in front so
    /// they reach validation: an answer, never a panic or a server error.
    #[test]
    fn the_handler_answers_any_body_without_a_server_error(
        tail in proptest::collection::vec(any::<u8>(), 0..512),
        json in any::<bool>(),
    ) {
        let h = harness();
        let mut body = form_body(&[]).into_bytes();
        body.push(b'&');
        body.extend(tail);
        let req = http::Request::post("/api/contact")
            .header("content-type", if json { "application/json" } else { "application/x-www-form-urlencoded" })
            .body(Bytes::from(body))
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let r = rt.block_on(h.router.handle(req));
        prop_assert!(!r.status().is_server_error() || r.status() == http::StatusCode::SERVICE_UNAVAILABLE, "{}", r.status());
        assert_only_manifest_recipients(&read_eml_dir(&h.maildir()), "ann@example.net");
    }
}
