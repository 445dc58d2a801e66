//! The router's answers to a page without JavaScript are the site's own
//! pages: the built manifest carries the contact page and the thank-you
//! page, rendered from the theme, and the router fills them in.

mod common;

use std::fs;
use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use common::*;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use switchboard_router::{MaildirMailer, Router, RouterConfig, RoutingManifest, SystemClock};

const SECRET: &str = "router-pages-test-secret-0123456789";

/// The value of the hidden input named `name` in `html`.
fn hidden_value(html: &str, name: &str) -> String {
    let tag = format!("name=\"{name}\" value=\"");
    let start = html.find(&tag).unwrap_or_else(|| panic!("no {name}")) + tag.len();
    let len = html[start..].find('"').expect("end of value");
    html[start..start + len].to_string()
}

fn post(body: &[(&str, &str)]) -> http::Request<Bytes> {
    let body: Vec<String> = body
        .iter()
        .map(|(n, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(n, NON_ALPHANUMERIC),
                utf8_percent_encode(v, NON_ALPHANUMERIC)
            )
        })
        .collect();
    http::Request::post("https://forms.fixture.example/")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("host", "forms.fixture.example")
        .body(Bytes::from(body.join("&")))
        .expect("request")
}

fn text(r: &http::Response<Bytes>) -> String {
    String::from_utf8_lossy(r.body()).into_owned()
}

#[tokio::test]
async fn a_visitor_without_javascript_gets_the_sites_own_pages_back() {
    let site = site_with(None);
    let built = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("build")
        .current_dir(site.path())
        .env("SWITCHBOARD_FORM_SECRET", SECRET)
        .output()
        .expect("run switchboard build");
    assert!(built.status.success(), "{}", stderr(&built));
    let contact = fs::read_to_string(site.path().join("public/contact/index.html")).expect("page");
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
