//! Building the answers: a 303 to the thank-you page for a plain form, JSON
//! for clients that ask for it, and an accessible HTML page that lists the
//! errors, links each to its field and keeps what the visitor typed. All
//! text that reaches HTML is escaped; CORS headers are added by the handler.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde_json::json;

use crate::fields;
use crate::html::escape;
use crate::manifest::RoutingManifest;
use crate::parse::{BodyKind, RawFields};
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

/// Success: the message was kept (and, where the disk does not last, sent).
pub fn accepted(thank_you_url: &str, reference: &str, json: bool) -> Response<Bytes> {
    if json {
        return json_response(
            StatusCode::OK,
            json!({ "ok": true, "reference": reference }),
        );
    }
    let sep = if thank_you_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let location = format!("{thank_you_url}{sep}ref={reference}");
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>Message sent</title>\
         <p>Thank you, your message was sent. Your reference is {}. <a href=\"{}\">Continue</a></p></html>",
        escape(reference),
        escape(&location)
    );
    let mut r = html_response(StatusCode::SEE_OTHER, body);
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A page-level problem (no form to show): wrong method, body too large...
pub fn problem(status: StatusCode, message: &str, json: bool) -> Response<Bytes> {
    if json {
        return json_response(status, json!({ "ok": false, "error": message }));
    }
    html_response(
        status,
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Message not sent</title></head>\
             <body><main><h1>Your message was not sent</h1><p role=\"alert\">{}</p>\
             <p>Please go back, check the form and try again.</p></main></body></html>",
            escape(message)
        ),
    )
}

/// What the error page needs to re-render the form.
pub struct FormPage<'a> {
    pub manifest: &'a RoutingManifest,
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

/// Errors with the submission: per-field JSON, or the form again with the
/// errors listed at the top (focusable, `role="alert"`), each linked to its
/// field, and every typed value kept.
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
    html_response(status, render_form_page(summary, errors, page))
}

fn render_form_page(summary: &str, errors: &[FieldError], page: &FormPage<'_>) -> String {
    let m = page.manifest;
    let value = |f: &str| escape(page.raw.get(f).unwrap_or(""));
    let error_for = |f: &str| errors.iter().find(|e| e.field == f);
    let mut h = String::with_capacity(4096);
    h.push_str(&format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Please check your message – {}</title>\
         <style>body{{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}\
         label{{display:block;margin-top:1rem;font-weight:bold}}input,select,textarea{{width:100%;font:inherit}}\
         .error{{color:#b00020}}[aria-invalid=true]{{border:2px solid #b00020}}\
         .sb-hp{{position:absolute;left:-10000px}}</style></head><body><main>",
        escape(&m.site.title)
    ));
    h.push_str(&format!(
        "<h1>Please check your message</h1><div id=\"errors\" role=\"alert\" tabindex=\"-1\"><p>{}</p>",
        escape(summary)
    ));
    if !errors.is_empty() {
        h.push_str("<ul>");
        for e in errors {
            h.push_str(&format!(
                "<li><a href=\"#{}\">{}</a></li>",
                escape(e.field),
                escape(&e.message)
            ));
        }
        h.push_str("</ul>");
    }
    h.push_str("</div>");
    let Some(tokens) = &page.tokens else {
        render_typed_text(&mut h, page);
        return h;
    };
    h.push_str("<form method=\"post\" accept-charset=\"UTF-8\" novalidate>");

    let field = |h: &mut String, name: &str, label: &str, kind: &str, required: bool| {
        let err = error_for(name);
        h.push_str(&format!(
            "<label for=\"{name}\">{}{}</label>",
            escape(label),
            if required { " (required)" } else { "" }
        ));
        if let Some(e) = err {
            h.push_str(&format!(
                "<p class=\"error\" id=\"{name}-error\">{}</p>",
                escape(&e.message)
            ));
        }
        let aria = if err.is_some() {
            format!(" aria-invalid=\"true\" aria-describedby=\"{name}-error\"")
        } else {
            String::new()
        };
        let req = if required { " required" } else { "" };
        match kind {
            "textarea" => h.push_str(&format!(
                "<textarea id=\"{name}\" name=\"{name}\" rows=\"8\"{req}{aria}>{}</textarea>",
                value(name)
            )),
            "select" => {
                let current = page.raw.get(name).unwrap_or("");
                h.push_str(&format!("<select id=\"{name}\" name=\"{name}\"{req}{aria}><option value=\"\">Choose a topic</option>"));
                for t in &m.topics {
                    let sel = if t.id == current { " selected" } else { "" };
                    h.push_str(&format!(
                        "<option value=\"{}\"{sel}>{}</option>",
                        escape(&t.id),
                        escape(&t.label)
                    ));
                }
                h.push_str("</select>");
            }
            _ => h.push_str(&format!(
                "<input id=\"{name}\" name=\"{name}\" type=\"{kind}\" value=\"{}\"{req}{aria}>",
                value(name)
            )),
        }
    };
    field(&mut h, fields::NAME, "Your name", "text", true);
    field(&mut h, fields::EMAIL, "Your email address", "email", true);
    field(&mut h, fields::PHONE, "Phone", "tel", false);
    field(
        &mut h,
        fields::COMPANY,
        "Company or organisation",
        "text",
        false,
    );
    field(&mut h, fields::TOPIC, "Topic", "select", true);
    field(&mut h, fields::MESSAGE, "Your message", "textarea", true);

    let hp = escape(&m.form.honeypot_field);
    h.push_str(&format!(
        "<div class=\"sb-hp\" aria-hidden=\"true\"><label for=\"{hp}\">Leave this empty</label>\
         <input id=\"{hp}\" name=\"{hp}\" type=\"text\" value=\"\" tabindex=\"-1\" autocomplete=\"off\"></div>"
    ));
    for (name, value) in [
        (fields::FORM_TOKEN, &tokens.form_token),
        (fields::TIME_TOKEN, &tokens.time_token),
    ] {
        h.push_str(&format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value)
        ));
    }
    if let Some(key) = page
        .raw
        .get(fields::IDEMPOTENCY_KEY)
        .filter(|_| page.keep_key)
    {
        h.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            fields::IDEMPOTENCY_KEY,
            escape(key)
        ));
    }
    if let Some(c) = &m.form.captcha {
        h.push_str(&format!(
            "<div id=\"captcha\" class=\"{}\" data-sitekey=\"{}\"></div><script src=\"{}\" async defer></script>",
            c.provider.widget_class(),
            escape(&c.site_key),
            c.provider.script_url()
        ));
    }
    h.push_str("<p><button type=\"submit\">Send message</button></p></form>");
    h.push_str(&format!(
        "<p><a href=\"{}{}\">Back to the contact page</a></p></main>\
         <script>document.getElementById('errors').focus()</script></body></html>",
        escape(&m.site.base_url),
        escape(&m.site.form_path)
    ));
    h
}

/// The page for a refused form token: what was typed, read-only so it can
/// be copied, and the way back to a current contact page. No form: a form
/// here would need a token, and handing one out would defeat the check.
fn render_typed_text(h: &mut String, page: &FormPage<'_>) {
    let m = page.manifest;
    h.push_str(&format!(
        "<p><a href=\"{}{}\">Open the contact page again</a> and send your message from there.</p>",
        escape(&m.site.base_url),
        escape(&m.site.form_path)
    ));
    let message = page.raw.get(fields::MESSAGE).unwrap_or("");
    if !message.is_empty() {
        h.push_str(&format!(
            "<label for=\"{0}\">Your message, to copy</label><textarea id=\"{0}\" rows=\"8\" readonly>{1}</textarea>",
            fields::MESSAGE,
            escape(message)
        ));
    }
    h.push_str("</main><script>document.getElementById('errors').focus()</script></body></html>");
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
        let r = accepted("https://x.example/contact/thanks/", "AB12-CD34", false);
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            r.headers()[header::LOCATION],
            "https://x.example/contact/thanks/?ref=AB12-CD34"
        );
    }
}
