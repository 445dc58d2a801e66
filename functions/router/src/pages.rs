//! The router's HTML pages, as the builder rendered them from the site's
//! theme: the contact page, the thank-you page and a page for one notice,
//! each with slots the router fills per answer. One form, two callers: the
//! static page and the router's "please check your message" page are the
//! same template, so they cannot drift apart.
//!
//! A slot is `[[sb:NAME]]` (see [`slot`]): text the theme's HTML escaping
//! leaves alone, so the builder can pass it through any template variable.
//! The router fills it with escaped text, or with one of a few fixed
//! attribute strings; a slot it does not know is left empty.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::html::escape;

/// The three pages, complete HTML documents with slots. Empty until the
/// builder renders them (the manifest's check refuses empty pages).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pages {
    /// The contact page, with slots for the error summary, each field's
    /// value and error, and the hidden tokens.
    pub form: String,
    /// The thank-you page, with a slot for the reference.
    pub sent: String,
    /// A page with a title and a few paragraphs: a problem with the request
    /// as a whole, or a refused page's typed text to copy.
    pub notice: String,
}

const OPEN: &str = "[[sb:";
const CLOSE: &str = "]]";

/// The slots, by name. The builder writes them with [`slot`]; the router
/// fills them in [`crate::answer`].
pub mod slots {
    /// The site's root URL with its trailing `/` (the page's origin varies:
    /// the published site, or `serve` on localhost).
    pub const ROOT: &str = "root";
    /// The site's origin, for the page's Content-Security-Policy.
    pub const ORIGIN: &str = "origin";
    /// The error summary's sentence; `SUMMARY_HIDDEN` is ` hidden` without one.
    pub const SUMMARY: &str = "summary";
    pub const SUMMARY_HIDDEN: &str = "summary-hidden";
    /// `<li><a href="#f-FIELD">message</a></li>` per field error.
    pub const ERROR_LINKS: &str = "error-links";
    /// Per form field: `value:NAME`, `error:NAME`, `error-hidden:NAME`, `invalid:NAME`.
    pub const VALUE: &str = "value";
    pub const ERROR: &str = "error";
    pub const ERROR_HIDDEN: &str = "error-hidden";
    pub const INVALID: &str = "invalid";
    /// Per topic: `selected:TOPIC` is ` selected` for the visitor's choice.
    pub const SELECTED: &str = "selected";
    /// Thank-you page: the message's reference.
    pub const REFERENCE: &str = "reference";
    /// Notice page: its heading and its body (HTML the router writes).
    pub const TITLE: &str = "title";
    pub const BODY: &str = "body";
}

/// The slot for `name`, e.g. `slot("value:email")`.
pub fn slot(name: &str) -> String {
    format!("{OPEN}{name}{CLOSE}")
}

/// The slot for a per-field or per-topic `kind`, e.g. `slot_for("value", "email")`.
pub fn slot_for(kind: &str, id: &str) -> String {
    format!("{OPEN}{kind}:{id}{CLOSE}")
}

/// `template` with each slot replaced by what `fill` gives for its name
/// (already HTML: the caller escapes text), or nothing.
pub fn fill<'a>(template: &str, fill: impl Fn(&str) -> Option<Cow<'a, str>>) -> String {
    let mut out = String::with_capacity(template.len() + 512);
    let mut rest = template;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        match after.find(CLOSE) {
            Some(end) => {
                if let Some(value) = fill(&after[..end]) {
                    out.push_str(&value);
                }
                rest = &after[end + CLOSE.len()..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escaped text for a slot.
pub fn text(s: &str) -> Option<Cow<'static, str>> {
    Some(Cow::Owned(escape(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_filled_escaped_and_unknown_ones_left_empty() {
        let t = format!(
            "<input value=\"{}\"{}><p>{}</p>[[sb:",
            slot_for(slots::VALUE, "name"),
            slot_for(slots::INVALID, "name"),
            slot("unknown")
        );
        let page = fill(&t, |name| match name {
            "value:name" => text("Zoë \"<b>\""),
            "invalid:name" => Some(Cow::Borrowed(" aria-invalid=\"true\"")),
            _ => None,
        });
        assert_eq!(
            page,
            "<input value=\"Zoë &quot;&lt;b&gt;&quot;\" aria-invalid=\"true\"><p></p>[[sb:"
        );
    }
}
