//! The router's texts for the manifest (`strings`): for each site language,
//! the table the router ships for it, overlaid by the site's own
//! `i18n/<code>.toml` `[router]` table (the rest of that file is the
//! theme's strings, which the theme loader reads). Every override must be a
//! text the router knows, with the English text's `{placeholders}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use switchboard_router::texts::{self, Table};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile, did_you_mean};
use crate::model::Site;
use crate::model::load::{read_file, toml_diagnostic};

/// The folder of a site's own strings, beside `content/`.
pub const I18N_DIR: &str = "i18n";

/// The part of a site's `i18n/<code>.toml` that is the router's.
#[derive(Deserialize)]
struct RouterSection {
    #[serde(default)]
    router: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// A site language whose router texts are incomplete: they fall back to
/// the default language's, then to English (`check` warns about it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextGap {
    pub language: String,
    /// How many of the router's texts it lacks.
    pub missing: usize,
}

/// The site's file of strings for `code`, relative to the site root.
pub fn i18n_file(code: &str) -> PathBuf {
    Path::new(I18N_DIR).join(format!("{code}.toml"))
}

/// The manifest's `strings`: for each site language, the router's shipped
/// table (if it has one) with the site's overrides; a language with
/// neither is left out (its texts fall back). Errors name file and line.
pub fn router_strings(site: &Site) -> Result<BTreeMap<String, Table>, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let mut strings = BTreeMap::new();
    for code in &site.config.languages {
        let mut table = texts::shipped(code).unwrap_or_default();
        let relative = i18n_file(code);
        if site.root.join(&relative).is_file()
            && let Some(source) = read_file(&site.root, &relative, &mut diagnostics)
        {
            overlay(&source, &mut table, &mut diagnostics);
        }
        if !table.is_empty() {
            strings.insert(code.clone(), table);
        }
    }
    diagnostics.sort();
    if diagnostics.is_empty() {
        Ok(strings)
    } else {
        Err(diagnostics)
    }
}

/// The site languages whose router texts are incomplete in `strings`.
pub fn router_text_gaps(site: &Site, strings: &BTreeMap<String, Table>) -> Vec<TextGap> {
    let english = texts::english();
    site.config
        .languages
        .iter()
        .filter_map(|code| {
            let table = strings.get(code);
            let missing = english
                .keys()
                .filter(|k| table.is_none_or(|t| !t.contains_key(*k)))
                .count();
            (missing > 0).then(|| TextGap {
                language: code.clone(),
                missing,
            })
        })
        .collect()
}

/// Puts the `[router]` texts of `source` over `table`.
fn overlay(source: &SourceFile, table: &mut Table, diagnostics: &mut Diagnostics) {
    let section: RouterSection = match toml::from_str(&source.text) {
        Ok(section) => section,
        Err(error) => {
            diagnostics.push(toml_diagnostic(source, &error, 0));
            return;
        }
    };
    let english = texts::english();
    for (key, text) in section.router {
        let Some(original) = english.get(key.get_ref()) else {
            let hint = match did_you_mean(key.get_ref(), english.keys().map(String::as_str)) {
                Some(close) => format!("did you mean `{close}`?"),
                None => {
                    "the router's texts and their keys are in functions/router/messages/en.toml"
                        .to_string()
                }
            };
            diagnostics.push(
                Diagnostic::at(
                    source,
                    key.span(),
                    format!("`[router] {}` is not a text the router has", key.get_ref()),
                )
                .with_hint(hint),
            );
            continue;
        };
        let (wanted, found) = (
            texts::placeholders(original),
            texts::placeholders(text.get_ref()),
        );
        if wanted != found {
            let list = texts::placeholder_list;
            diagnostics.push(
                Diagnostic::at(
                    source,
                    text.span(),
                    format!(
                        "`[router] {}` must use the placeholders {} (it uses {})",
                        key.get_ref(),
                        list(&wanted),
                        list(&found)
                    ),
                )
                .with_hint("keep each `{name}` of the English text; the router fills them in"),
            );
            continue;
        }
        table.insert(key.into_inner(), text.into_inner());
    }
}
