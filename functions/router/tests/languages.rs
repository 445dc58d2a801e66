//! A submission in the visitor's language (issue 14): the answers, the
//! acknowledgement and the routing follow the form's `language` field; the
//! contact's notification stays in the site's language and names the
//! visitor's.

mod common;

use bytes::Bytes;
use common::*;
use http::{Request, StatusCode};

fn post_json_accept(body: String) -> Request<Bytes> {
    Request::post("/api/contact")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://contact.example.org")
        .header("accept", "application/json")
        .body(Bytes::from(body))
        .unwrap()
}

fn json_of(r: &http::Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(r.body()).unwrap_or_else(|_| panic!("not JSON: {}", body_text(r)))
}

#[tokio::test]
async fn a_german_visitor_without_javascript_gets_a_german_error_page() {
    let h = harness();
    let r = h
        .router
        .handle(post_form(form_body(&[
            ("language", "de"),
            ("email", "not-an-address"),
        ])))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(&r);
    assert!(
        html.contains("<html lang=\"de\">"),
        "the German page: {html}"
    );
    assert!(
        html.contains("Mit Ihrer Nachricht gibt es ein Problem:"),
        "{html}"
    );
    assert!(
        html.contains(
            "<a href=\"#f-email\">Bitte geben Sie eine gültige E-Mail-Adresse ein, etwa name@example.com.</a>"
        ),
        "{html}"
    );
    assert!(!html.contains("Please enter"), "{html}");
    assert!(read_eml_dir(&h.maildir()).is_empty());
}

#[tokio::test]
async fn a_german_visitor_with_javascript_gets_german_json_errors() {
    let h = harness();
    let r = h
        .router
        .handle(post_json_accept(form_body(&[
            ("language", "de-AT"),
            ("email", "not-an-address"),
            ("name", ""),
        ])))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v = json_of(&r);
    assert_eq!(v["error"], "Mit Ihrer Nachricht gibt es mehrere Probleme:");
    assert_eq!(v["errors"]["name"], "Bitte geben Sie Ihren Namen ein.");
    assert_eq!(
        v["errors"]["email"],
        "Bitte geben Sie eine gültige E-Mail-Adresse ein, etwa name@example.com."
    );
}

#[tokio::test]
async fn a_language_the_site_does_not_have_is_answered_in_the_default() {
    let h = harness();
    for posted in ["sv", "<b>", ""] {
        let r = h
            .router
            .handle(post_json_accept(form_body(&[
                ("language", posted),
                ("name", ""),
            ])))
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{posted}");
        assert_eq!(
            json_of(&r)["errors"]["name"],
            "Please enter your name.",
            "{posted}"
        );
    }
}

#[tokio::test]
async fn a_german_message_gets_a_german_acknowledgement_and_the_contact_learns_the_language() {
    let h = harness();
    let r = h
        .router
        .handle(post_form(form_body(&[("language", "de")])))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body_text(&r));
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let reference = location
        .strip_prefix("?ref=")
        .and_then(|rest| rest.strip_suffix("&lang=de"))
        .unwrap_or_else(|| panic!("{location}"))
        .to_string();

    let mails = read_eml_dir(&h.maildir());
    let ack = mails
        .iter()
        .find(|m| m.envelope_to == ["ann@example.net"])
        .expect("an acknowledgement");
    assert_eq!(
        ack.subject(),
        format!("Wir haben Ihre Nachricht erhalten (Ref. {reference})")
    );
    let text = ack.text();
    assert!(text.starts_with("Guten Tag Ann Example,"), "{text}");
    assert!(
        text.contains("Ihre Nachricht zum Thema „Kauf unserer Produkte“ ist bei unserem Team Vertrieb angekommen, das in der Regel innerhalb eines Werktags antwortet."),
        "{text}"
    );
    assert!(text.contains(&format!("Ihre Referenz lautet {reference}.")));

    // The contact reads the staff's language, and which one the visitor wrote in.
    let note = mails
        .iter()
        .find(|m| m.envelope_to.contains(&"alice@example.org".to_string()))
        .expect("a notification");
    let text = note.text();
    assert!(text.contains("New message from the Example Org contact form."));
    assert!(text.contains("Language:   Deutsch (de)"), "{text}");
    assert!(text.contains("Department: Sales"), "{text}");

    // The thank-you page the redirect leads to is the German one.
    let page = h
        .router
        .handle(
            Request::get(format!("https://fn.example/{location}"))
                .header("host", "contact.example.org")
                .body(Bytes::new())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_text(&page);
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains(&reference), "{html}");
}

#[tokio::test]
async fn a_french_visitor_is_routed_to_the_french_speaker_and_the_contact_is_told_why() {
    let h = harness();
    let r = h
        .router
        .handle(post_form(form_body(&[("language", "fr")])))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body_text(&r));
    let mails = read_eml_dir(&h.maildir());
    let note = mails
        .iter()
        .find(|m| m.envelope_to.contains(&"bob@example.org".to_string()))
        .expect("Bob, who speaks French, has it");
    assert_eq!(note.envelope_to, ["bob@example.org", "sales@example.org"]);
    let text = note.text();
    assert!(
        text.contains("chosen because Bob Brown speaks Français (fr), the visitor's language"),
        "{text}"
    );
    assert!(text.contains("Language:   Français (fr)"), "{text}");
    assert!(
        !mails
            .iter()
            .any(|m| m.envelope_to.contains(&"alice@example.org".to_string()))
    );
    // French has no department translation: the acknowledgement falls back.
    let ack = mails
        .iter()
        .find(|m| m.envelope_to == ["ann@example.net"])
        .unwrap();
    assert!(
        ack.text()
            .contains("« Acheter nos produits » est parvenu à notre équipe Sales, qui répond habituellement within one business day."),
        "{}",
        ack.text()
    );
    // The record keeps the language and why the contact was chosen.
    let outbox = h.router.outbox().expect("a local outbox");
    let listing = outbox.records().expect("listing");
    let record = &listing.records[0].0;
    assert_eq!(record.language.as_deref(), Some("fr"));
    assert!(record.route.as_ref().unwrap().by_language);
}
