//! The router's own words: every text a visitor reads from the router (field
//! errors, the error summary, refusals, notice pages, JSON messages and the
//! acknowledgement email), by key, in the visitor's language; and the
//! contact's notification with its routing reasons, in the site's default
//! language (the staff's).
//!
//! The tables ship with the crate (`messages/<code>.toml`, flat
//! `"key" = "text"` with `{name}` placeholders); English is the built-in
//! fallback and names every key. The builder copies the table of each site
//! language into the manifest (`strings`), with the site's own overrides,
//! so a lookup is `strings[lang][key]`, then `strings[default][key]`, then
//! English.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// The key of a language's own name (`Deutsch`), which the contact's
/// notification gives with the code.
pub const LANGUAGE_NAME: &str = "language.name";

/// One language's texts, by key.
pub type Table = BTreeMap<String, String>;

/// The shipped tables, English first.
const SHIPPED: [(&str, &str); 5] = [
    ("en", include_str!("../../messages/en.toml")),
    ("de", include_str!("../../messages/de.toml")),
    ("fr", include_str!("../../messages/fr.toml")),
    ("es", include_str!("../../messages/es.toml")),
    ("ar", include_str!("../../messages/ar.toml")),
];

/// The English table, parsed on first use and never changed after: the
/// fallback for every lookup (a unit test proves it parses).
static ENGLISH: LazyLock<Table> = LazyLock::new(|| parse(SHIPPED[0].1).unwrap_or_default());

/// Why a table of texts could not be read.
#[derive(Debug, thiserror::Error)]
#[error("not a flat table of texts: {0}")]
pub struct TableError(#[from] toml::de::Error);

/// Reads a flat `"key" = "text"` TOML table.
pub fn parse(text: &str) -> Result<Table, TableError> {
    Ok(toml::from_str(text)?)
}

/// The English table: every key the router knows.
pub fn english() -> &'static Table {
    &ENGLISH
}

/// The codes of the languages the router ships a table for.
pub fn shipped_languages() -> impl Iterator<Item = &'static str> {
    SHIPPED.iter().map(|(code, _)| *code)
}

/// The shipped table for site language `code` (`de-AT` gets `de`'s), if any.
pub fn shipped(code: &str) -> Option<Table> {
    let primary = primary_subtag(code);
    let (_, text) = SHIPPED
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .or_else(|| {
            SHIPPED
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(primary))
        })?;
    parse(text).ok()
}

/// `de` for `de-AT` (or `de_AT`), the code itself when it has no subtag.
pub fn primary_subtag(code: &str) -> &str {
    code.split(['-', '_']).next().unwrap_or(code)
}

/// The writing direction of `lang`, as HTML's `dir` says it: `rtl` for
/// Arabic, Hebrew, Persian, Urdu and the like, else `ltr`.
pub fn direction(lang: &str) -> &'static str {
    const RIGHT_TO_LEFT: [&str; 8] = ["ar", "he", "fa", "ur", "ps", "sd", "yi", "dv"];
    let primary = primary_subtag(lang);
    if RIGHT_TO_LEFT
        .iter()
        .any(|l| l.eq_ignore_ascii_case(primary))
    {
        "rtl"
    } else {
        "ltr"
    }
}

/// The `{name}` placeholders in `text`.
pub fn placeholders(text: &str) -> BTreeSet<&str> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_placeholder_name(&after[..close]) => {
                found.insert(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    found
}

/// `placeholders` as an editor reads them: `{max} {name}`, or `none`.
pub fn placeholder_list(placeholders: &BTreeSet<&str>) -> String {
    if placeholders.is_empty() {
        return "none".to_string();
    }
    let names: Vec<String> = placeholders.iter().map(|p| format!("{{{p}}}")).collect();
    names.join(" ")
}

fn is_placeholder_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

/// `text` with each `{name}` of `args` replaced by its value (values are
/// not searched again, so a visitor's `{name}` stays as typed).
pub fn fill(text: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The texts of one language, with their fallbacks.
#[derive(Debug, Clone, Copy)]
pub struct Texts<'m> {
    /// The language's code (one of the site's).
    pub lang: &'m str,
    /// The site's default language's code.
    default_lang: &'m str,
    here: Option<&'m Table>,
    default: Option<&'m Table>,
}

impl<'m> Texts<'m> {
    /// `lang`'s texts from `here` (its table in the manifest), falling back
    /// to `default` (the table of `default_lang`, the site's default
    /// language) and then English.
    pub fn new(
        lang: &'m str,
        here: Option<&'m Table>,
        default_lang: &'m str,
        default: Option<&'m Table>,
    ) -> Self {
        Self {
            lang,
            default_lang,
            here,
            default,
        }
    }

    /// English only (no manifest at hand).
    pub fn english() -> Texts<'static> {
        Texts::new("en", None, "en", None)
    }

    /// The language's code, unless it is the site's default.
    pub fn lang_if_not_default(&self) -> Option<&'m str> {
        (self.lang != self.default_lang).then_some(self.lang)
    }

    /// The text for `key`; the key itself if no table has it (a slip
    /// that shows, rather than an empty message).
    pub fn get<'k>(&self, key: &'k str) -> &'k str
    where
        'm: 'k,
    {
        [self.here, self.default, Some(english())]
            .into_iter()
            .flatten()
            .find_map(|t| t.get(key))
            .map_or(key, String::as_str)
    }

    /// The text for `key` with its placeholders filled from `args`.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.get(key), args)
    }
}
