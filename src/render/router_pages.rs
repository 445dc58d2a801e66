//! The router's pages: the contact page, the thank-you page and a notice
//! page, rendered from the site's own theme with slots where the router
//! puts each answer (see `switchboard_router::pages`). So a visitor
//! without JavaScript who made a mistake sees the same form again, filled
//! in, and after sending sees the site's thank-you page with their reference.
//!
//! The pages are served from the form's endpoint, not from the site: links
//! and assets start at the site's root URL, which the router fills in (the
//! published site, or `serve` on localhost), and the policy allows that origin.

use std::collections::BTreeMap;

use serde::Serialize;
use switchboard_router::fields;
use switchboard_router::pages::{Pages, slot, slot_for, slots};
use tera::{Context, Value};

use super::form::{FIELDS, FormView};
use super::languages::{self, Tree};
use super::pages::base_context;
use super::view::DepartmentView;
use super::{RenderError, RenderOptions, Theme, csp};
use crate::manifest::{FORM_PAGE_PATH, THANK_YOU_PAGE_PATH};
use crate::model::Site;

/// The form's slots, as the contact form partial reads them (`answer.*`).
#[derive(Serialize)]
struct FormSlots {
    summary: String,
    summary_hidden: String,
    error_links: String,
    /// Keyed as `form.fields` is (`name`, `idempotency_key`...).
    value: BTreeMap<&'static str, String>,
    error: BTreeMap<&'static str, String>,
    error_hidden: BTreeMap<&'static str, String>,
    invalid: BTreeMap<&'static str, String>,
    /// By topic id.
    selected: BTreeMap<String, String>,
}

/// The visible fields a visitor may get an error for, as the template
/// names them and as the router does. The captcha has no input of its own.
const ERROR_FIELDS: [(&str, &str); 7] = [
    ("name", fields::NAME),
    ("email", fields::EMAIL),
    ("phone", fields::PHONE),
    ("company", fields::COMPANY),
    ("topic", fields::TOPIC),
    ("message", fields::MESSAGE),
    ("captcha", "captcha"),
];

/// Renders the three pages in every site language, for the manifest
/// (`pages`, by language code). The language trees (their strings) are
/// made once for all of them.
pub fn router_pages(
    site: &Site,
    theme: &Theme,
    opts: &RenderOptions,
) -> Result<BTreeMap<String, Pages>, RenderError> {
    let trees = languages::trees(site, theme);
    trees
        .iter()
        .map(|tree| {
            Ok((
                tree.code.clone(),
                pages_of_tree(site, theme, opts, tree, &trees)?,
            ))
        })
        .collect()
}

/// Renders the three pages in language `code` (one of the site's), with
/// that language's strings and links into its tree (`de/contact/`).
pub fn router_pages_in(
    site: &Site,
    theme: &Theme,
    opts: &RenderOptions,
    code: &str,
) -> Result<Pages, RenderError> {
    let trees = languages::trees(site, theme);
    let tree = trees
        .iter()
        .find(|t| t.code == code)
        .ok_or_else(|| RenderError::Template {
            file: "site.toml".into(),
            line: 0,
            message: format!("`{code}` is not one of the site's `languages`"),
        })?;
    pages_of_tree(site, theme, opts, tree, &trees)
}

/// The three pages of one language `tree` of `trees`.
fn pages_of_tree(
    site: &Site,
    theme: &Theme,
    opts: &RenderOptions,
    tree: &Tree,
    trees: &[Tree],
) -> Result<Pages, RenderError> {
    let code = tree.code.as_str();
    let site = &*languages::site_in(site, code);
    let base = router_context(site, opts, tree, trees);
    let strings = &tree.strings;
    let mut departments = DepartmentView::all(site, strings);
    for d in &mut departments {
        d.path.insert_str(0, &tree.prefix);
    }

    let mut form = FormView::all(site, &departments, opts);
    form.token = slot_for(slots::VALUE, fields::FORM_TOKEN);
    form.time_token = slot_for(slots::VALUE, fields::TIME_TOKEN);
    let topics = form
        .groups
        .iter()
        .flat_map(|g| g.topics.iter().map(|t| t.id.clone()));
    let mut ctx = base.clone();
    ctx.insert("form", &form);
    ctx.insert("answer", &form_slots(topics));
    ctx.insert("title", strings.get("contact_title"));
    ctx.insert("path", &format!("{}{FORM_PAGE_PATH}", tree.prefix));
    ctx.insert("page_path", FORM_PAGE_PATH);
    let form = theme.render("contact.html", &ctx)?;

    let mut ctx = base.clone();
    ctx.insert(
        "answer",
        &BTreeMap::from([("reference", slot(slots::REFERENCE))]),
    );
    ctx.insert("title", strings.get("thanks_title"));
    ctx.insert("path", &format!("{}{THANK_YOU_PAGE_PATH}", tree.prefix));
    ctx.insert("page_path", THANK_YOU_PAGE_PATH);
    let sent = theme.render("thanks.html", &ctx)?;

    let mut ctx = base;
    ctx.insert(
        "answer",
        &BTreeMap::from([("title", slot(slots::TITLE)), ("body", slot(slots::BODY))]),
    );
    ctx.insert("title", &slot(slots::TITLE));
    ctx.insert("path", &format!("{}{FORM_PAGE_PATH}", tree.prefix));
    ctx.insert("page_path", FORM_PAGE_PATH);
    let notice = theme.render("notice.html", &ctx)?;
    Ok(Pages { form, sent, notice })
}

/// The site's page context, with links from the root slot and a policy
/// that also allows the site's origin (the page is served from the endpoint's).
fn router_context(site: &Site, opts: &RenderOptions, tree: &Tree, trees: &[Tree]) -> Context {
    let mut ctx = base_context(site, opts, tree, trees);
    let policy = csp::policy(
        &opts.form_endpoint,
        site.form.captcha.as_ref().map(|c| c.provider),
    )
    .replace("'self'", &format!("'self' {}", slot(slots::ORIGIN)));
    ctx.insert_value("csp", Value::safe_string(&policy));
    ctx.insert("live_reload", &None::<String>);
    ctx.insert("root", &slot(slots::ROOT));
    ctx
}

fn form_slots(topics: impl Iterator<Item = String>) -> FormSlots {
    let per_field = |kind: &str| {
        ERROR_FIELDS
            .iter()
            .map(|(key, field)| (*key, slot_for(kind, field)))
            .collect::<BTreeMap<_, _>>()
    };
    let mut value = per_field(slots::VALUE);
    value.insert(
        "idempotency_key",
        slot_for(slots::VALUE, FIELDS.idempotency_key),
    );
    FormSlots {
        summary: slot(slots::SUMMARY),
        summary_hidden: slot(slots::SUMMARY_HIDDEN),
        error_links: slot(slots::ERROR_LINKS),
        value,
        error: per_field(slots::ERROR),
        error_hidden: per_field(slots::ERROR_HIDDEN),
        invalid: per_field(slots::INVALID),
        selected: topics
            .map(|id| {
                let s = slot_for(slots::SELECTED, &id);
                (id, s)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> RenderOptions {
        RenderOptions {
            form_endpoint: "https://api.example.org/contact".into(),
            content_hash: "hash".into(),
            form_token: "token".into(),
            time_token: "time".into(),
            live_reload: None,
        }
    }

    #[test]
    fn each_language_gets_its_own_router_pages() {
        let site = crate::render::testsite::site_in_languages(&["en", "de", "ar"]);
        let tmp = tempfile::tempdir().unwrap();
        let theme = Theme::load(tmp.path(), "default").unwrap();
        let all = router_pages(&site, &theme, &options()).unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["ar", "de", "en"]);
        let en = &all["en"];
        assert!(en.form.contains("<html lang=\"en\" dir=\"ltr\">"));
        assert!(en.form.contains("name=\"language\" value=\"en\""));
        assert!(en.sent.contains("Thank you, your message was sent"));

        let de = router_pages_in(&site, &theme, &options(), "de").unwrap();
        assert!(de.form.contains("<html lang=\"de\" dir=\"ltr\">"));
        assert!(de.form.contains(">Nachricht senden</button>"));
        assert!(de.form.contains("name=\"language\" value=\"de\""));
        assert!(
            de.sent
                .contains("Vielen Dank, Ihre Nachricht wurde gesendet")
        );
        assert!(de.notice.contains(">Zurück zum Kontaktformular</a>"));
        // Links lead into the German tree, from the root the router fills in.
        let root = slot(slots::ROOT);
        assert!(
            de.notice.contains(&format!("href=\"{root}de/contact/\"")),
            "{}",
            de.notice
        );

        let ar = router_pages_in(&site, &theme, &options(), "ar").unwrap();
        assert!(ar.sent.contains("<html lang=\"ar\" dir=\"rtl\">"));

        let err = router_pages_in(&site, &theme, &options(), "fr").unwrap_err();
        assert!(err.to_string().contains("`fr`"), "{err}");
    }
}
