//! The router's answers to a page without JavaScript are the site's own
//! pages: the built manifest carries the contact page and the thank-you
//! page, rendered from the theme, and the router fills them in.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::*;
use switchboard_router::{MaildirMailer, Router, RouterConfig, RoutingManifest, SystemClock};

const SECRET: &str = "router-pages-test-secret-0123456789";

/// A form POST as the contact page makes it.
fn post(fields: &[(&str, &str)]) -> http::Request<Bytes> {
    form_post(fields, ("host", "forms.fixture.example"))
}

fn text(r: &http::Response<Bytes>) -> String {
    String::from_utf8_lossy(r.body()).into_owned()
}

#[tokio::test]
async fn a_visitor_without_javascript_gets_the_sites_own_pages_back() {
    let (site, contact) = built_site(SECRET);
    let manifest = RoutingManifest::load(site.path().join(".switchboard/routing.json"))
        .expect("the router loads the manifest");
    let base_url = manifest.site.base_url.clone();
    let state = tempfile::tempdir().expect("tempdir");
    let mut config = RouterConfig::local(state.path(), SECRET.as_bytes().to_vec());
    config.sender = "Fixture <forms@fixture.example>".into();
    let mailer = Arc::new(MaildirMailer::new(state.path().join("mail")));
    let router = Router::new(manifest, config, mailer, Arc::new(SystemClock)).expect("router");

    let form_token = hidden_value(&contact, "sb_form_token");
    let time_token = hidden_value(&contact, "sb_time_token");
    let mut fields = vec![
        ("name", "Vera & Visitor"),
        ("email", "not-an-address"),
        ("topic", "help"),
        ("message", "My widget squeaks & rattles."),
        ("website", ""),
        ("sb_form_token", &form_token),
        ("sb_time_token", &time_token),
    ];
    let page = router.handle(post(&fields)).await;
    assert_eq!(page.status(), 422, "{}", text(&page));
    let html = text(&page);
    // The site's page: its header, its stylesheet from the site, its form.
    assert!(html.contains("<header class=\"site-header\">"), "{html}");
    assert!(
        html.contains(&format!("href=\"{base_url}/assets/site.css\"")),
        "{html}"
    );
    // And the form's own style and script, from the site too.
    for asset in ["form.css\"", "form.js\" defer"] {
        assert!(
            html.contains(&format!("=\"{base_url}/assets/{asset}")),
            "{asset}: {html}"
        );
    }
    assert!(html.contains("class=\"contact-form\""), "{html}");
    // The errors, linked to their fields; what was typed, kept and escaped.
    assert!(
        html.contains("<a href=\"#f-email\">Please enter a valid email address"),
        "{html}"
    );
    assert!(
        html.contains("id=\"f-email-error\">Please enter a valid email address"),
        "{html}"
    );
    assert!(html.contains("id=\"f-phone-error\" hidden></p>"), "{html}");
    assert!(html.contains("value=\"Vera &amp; Visitor\""), "{html}");
    assert!(
        html.contains(">My widget squeaks &amp; rattles.</textarea>"),
        "{html}"
    );
    assert!(html.contains("<option value=\"help\" selected>"), "{html}");
    assert!(
        html.contains(&format!("value=\"{form_token}\"")),
        "the visitor's own token"
    );
    assert!(!html.contains("[[sb:"), "every slot filled: {html}");

    // Corrected and sent: a 303 to the thank-you page, with the reference on it.
    fields[1] = ("email", "vera@visitor.example");
    let sent = router.handle(post(&fields)).await;
    assert_eq!(sent.status(), 303, "{}", text(&sent));
    let location = sent.headers()["location"].to_str().expect("location");
    let reference = location.strip_prefix("?ref=").expect(location);
    let thanks = router
        .handle(
            http::Request::get(format!("https://forms.fixture.example/{location}"))
                .body(Bytes::new())
                .expect("request"),
        )
        .await;
    let html = text(&thanks);
    assert!(html.contains("Thank you, your message was sent"), "{html}");
    assert!(
        html.contains(&format!(
            "id=\"reference\">Your reference is <strong id=\"reference-value\">{reference}</strong>"
        )),
        "{html}"
    );
}
