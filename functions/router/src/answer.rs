//! Building the answers: JSON for clients that ask for it, and for a plain
//! form the site's own pages (see [`crate::pages`]): a 303 to the thank-you
//! page with the reference, or the contact page again with the errors
//! listed, each linked to its field, and what the visitor typed kept. All
//! text that reaches HTML is escaped; CORS headers are added by the handler.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde_json::json;

use std::borrow::Cow;

use crate::fields;
use crate::html::escape;
use crate::pages::{self, Pages, slots};
use crate::parse::{BodyKind, RawFields};
use crate::texts::Texts;
use crate::validate::FieldError;

/// Whether the client wants JSON: it says so in `Accept`, or it sent JSON
/// and did not ask for HTML.
pub fn wants_json(headers: &HeaderMap, kind: Option<BodyKind>) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let html_first = match (accept.find("text/html"), accept.find("application/json")) {
        (Some(h), Some(j)) => h < j,
        (Some(_), None) => true,
        _ => false,
    };
    if accept.contains("application/json") && !html_first {
        return true;
    }
    kind == Some(BodyKind::Json) && !accept.contains("text/html")
}

/// The site an HTML answer links back to: the visitor's origin when it is
/// one of ours (so `serve` on localhost works), else the published base URL;
/// its pages and the router's texts in the visitor's language.
pub struct Site<'a> {
    pub pages: &'a Pages,
    pub texts: Texts<'a>,
    /// Without a trailing `/`.
    pub origin: &'a str,
}

impl Site<'_> {
    /// The slots every page has.
    fn common(&self, name: &str) -> Option<Cow<'static, str>> {
        match name {
            slots::ROOT => Some(Cow::Owned(format!("{}/", escape(self.origin)))),
            slots::ORIGIN => pages::text(self.origin),
            _ => None,
        }
    }

    /// A page with a heading and a body the router wrote (escaped parts only).
    fn notice(&self, title: &str, body_html: &str) -> String {
        pages::fill(&self.pages.notice, |name| match name {
            slots::TITLE => pages::text(title),
            slots::BODY => Some(Cow::Owned(body_html.to_string())),
            _ => self.common(name),
        })
    }
}

/// Success: the message was kept (and, where the disk does not last, sent).
/// A page gets a 303 to this endpoint's [`sent`] page, whose address holds
/// the reference: reloading it shows the page again, never re-sends.
pub fn accepted(reference: &str, texts: &Texts<'_>, json: bool) -> Response<Bytes> {
    if json {
        return json_response(
            StatusCode::OK,
            json!({ "ok": true, "reference": reference }),
        );
    }
    let mut location = format!("?{SENT_QUERY}={reference}");
    if let Some(lang) = texts.lang_if_not_default() {
        location.push_str(&format!("&{SENT_LANGUAGE_QUERY}={lang}"));
    }
    let body = format!(
        "<!DOCTYPE html><html lang=\"{}\"><meta charset=\"utf-8\"><title>{}</title>\
         <p>{} <a href=\"{}\">{}</a></p></html>",
        escape(texts.lang),
        escape(texts.get("sent.title")),
        escape(&texts.fill("sent.body", &[("reference", reference)])),
        escape(&location),
        escape(texts.get("sent.continue")),
    );
    let mut r = html_response(StatusCode::SEE_OTHER, body);
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The query parameter of the thank-you page's address.
pub const SENT_QUERY: &str = "ref";
/// The thank-you page's language, beside the reference when it is not the
/// default (a site language; anything else gets the default).
pub const SENT_LANGUAGE_QUERY: &str = "lang";

/// The thank-you page for `reference`, which the caller has checked looks
/// like one (it comes from the address bar).
pub fn sent(site: &Site<'_>, reference: &str) -> Response<Bytes> {
    let page = pages::fill(&site.pages.sent, |name| match name {
        slots::REFERENCE => pages::text(reference),
        _ => site.common(name),
    });
    html_response(StatusCode::OK, page)
}

/// A page-level problem (no form to show): wrong method, body too large...
pub fn problem(site: &Site<'_>, status: StatusCode, message: &str, json: bool) -> Response<Bytes> {
    if json {
        return json_response(status, json!({ "ok": false, "error": message }));
    }
    let body = format!(
        "<p role=\"alert\">{}</p><p>{}</p>",
        escape(message),
        escape(site.texts.get("notice.go_back"))
    );
    html_response(
        status,
        site.notice(site.texts.get("notice.not_sent.title"), &body),
    )
}

/// What the error page needs to re-render the form.
pub struct FormPage<'a> {
    pub site: Site<'a>,
    /// The tokens of the re-rendered form; `None` when the submission's own
    /// form token was refused: then the page shows what was typed, to copy,
    /// and leads back to the contact page, but hands out no token.
    pub tokens: Option<PageTokens>,
    pub raw: &'a RawFields,
    /// Carry the submission's idempotency key into the re-rendered form
    /// (not after a 409: that key belongs to another message).
    pub keep_key: bool,
}

/// The hidden tokens of a re-rendered form.
#[derive(Debug, Clone)]
pub struct PageTokens {
    /// The visitor's own form token, which passed: nothing new is handed out.
    pub form_token: String,
    /// Minted as this page is shown: the minimum fill time counts from now.
    pub time_token: String,
}

/// Errors with the submission: per-field JSON, or the contact page again
/// with the errors listed at the top (focusable, `role="alert"`), each
/// linked to its field, and every typed value kept.
pub fn form_errors(
    status: StatusCode,
    summary: &str,
    errors: &[FieldError],
    page: &FormPage<'_>,
    json: bool,
) -> Response<Bytes> {
    if json {
        let map: serde_json::Map<String, serde_json::Value> = errors
            .iter()
            .map(|e| {
                (
                    e.field.to_string(),
                    serde_json::Value::String(e.message.clone()),
                )
            })
            .collect();
        return json_response(
            status,
            json!({ "ok": false, "error": summary, "errors": map }),
        );
    }
    let html = match &page.tokens {
        Some(tokens) => render_form_page(summary, errors, page, tokens),
        None => render_typed_text(summary, page),
    };
    html_response(status, html)
}

/// The contact page's own template, filled with this answer.
fn render_form_page(
    summary: &str,
    errors: &[FieldError],
    page: &FormPage<'_>,
    tokens: &PageTokens,
) -> String {
    let error_for = |field: &str| errors.iter().find(|e| e.field == field);
    let links: String = errors
        .iter()
        .map(|e| {
            format!(
                "<li><a href=\"#f-{}\">{}</a></li>",
                escape(e.field),
                escape(&e.message)
            )
        })
        .collect();
    let fixed = |s: &'static str| Some(Cow::Borrowed(s));
    pages::fill(&page.site.pages.form, |name| {
        let (kind, id) = name.split_once(':').unwrap_or((name, ""));
        match kind {
            slots::SUMMARY => pages::text(summary),
            slots::SUMMARY_HIDDEN => None,
            slots::ERROR_LINKS => Some(Cow::Owned(links.clone())),
            slots::VALUE => match id {
                fields::FORM_TOKEN => pages::text(&tokens.form_token),
                fields::TIME_TOKEN => pages::text(&tokens.time_token),
                fields::IDEMPOTENCY_KEY if !page.keep_key => None,
                _ => page.raw.get(id).and_then(pages::text),
            },
            slots::ERROR => error_for(id).and_then(|e| pages::text(&e.message)),
            slots::ERROR_HIDDEN => error_for(id).is_none().then_some(Cow::Borrowed(" hidden")),
            slots::INVALID => error_for(id).and_then(|_| fixed(" aria-invalid=\"true\"")),
            slots::SELECTED => {
                (page.raw.get(fields::TOPIC) == Some(id)).then_some(Cow::Borrowed(" selected"))
            }
            _ => page.site.common(name),
        }
    })
}

/// The page for a refused form token: what was typed, read-only so it can
/// be copied, and the way back to a current contact page. No form: a form
/// here would need a token, and handing one out would defeat the check.
fn render_typed_text(summary: &str, page: &FormPage<'_>) -> String {
    let mut body = format!("<p role=\"alert\">{}</p>", escape(summary));
    let message = page.raw.get(fields::MESSAGE).unwrap_or("");
    if !message.is_empty() {
        body.push_str(&format!(
            "<p><label for=\"typed-message\">{}</label></p>\
             <textarea id=\"typed-message\" rows=\"8\" readonly>{}</textarea>",
            escape(page.site.texts.get("notice.typed_message")),
            escape(message)
        ));
    }
    page.site
        .notice(page.site.texts.get("notice.not_sent.title"), &body)
}

pub fn json_response(status: StatusCode, value: serde_json::Value) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(value.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn html_response(status: StatusCode, body: String) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The page holds no third-party content except an optional captcha widget.
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_negotiation() {
        let mut h = HeaderMap::new();
        assert!(!wants_json(&h, Some(BodyKind::Form)));
        assert!(wants_json(&h, Some(BodyKind::Json)));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(wants_json(&h, Some(BodyKind::Form)));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"),
        );
        assert!(!wants_json(&h, Some(BodyKind::Json)));
    }

    #[test]
    fn redirect_carries_reference() {
        let r = accepted("AB12-CD34", &Texts::english(), false);
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[header::LOCATION], "?ref=AB12-CD34");
    }
}
