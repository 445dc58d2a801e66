//! One tree per language: the default language at the site's root, every
//! other under `/<code>/` (`/de/contact/`, `/de/departments/sales/`). Each
//! tree is rendered from the site in its language, with its own strings;
//! static files and vCards are shared by all.
//!
//! Templates get, besides `t` (the strings): `lang` and `dir` (`ltr` or
//! `rtl`) for `<html>`, `home_path` (the tree's prefix, `de/`),
//! `contact_path` and `thanks_path` with that prefix, `page_path` (the
//! page's path without it), and `languages` (every tree: `code`, `name` in
//! its own language, `prefix`) for the `hreflang` alternates and the
//! language switcher, empty on a one-language site; `script_strings`, the
//! strings of each of the theme's scripts (`partials/script.html`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use switchboard_router::texts::direction;
use tera::{Context, Value};

use super::Theme;
use super::i18n::LanguageStrings;
use crate::manifest::{FORM_PAGE_PATH, THANK_YOU_PAGE_PATH};
use crate::model::Site;

/// One language's tree.
#[derive(Debug, Clone)]
pub struct Tree {
    /// BCP 47 tag, as in `site.toml`.
    pub code: String,
    /// `""` for the default language, else `<code>/`.
    pub prefix: String,
    pub strings: LanguageStrings,
    /// `script_strings` for templates: each of the theme's scripts
    /// (`assets/NAME.js`, by `NAME`) -> the JSON of the strings it names,
    /// in this language. Made once per tree, not per page.
    script_strings: Value,
}

/// What templates see of each tree (the `languages` list).
#[derive(Debug, Clone, Serialize)]
struct TreeView<'a> {
    code: &'a str,
    name: &'a str,
    prefix: &'a str,
}

/// The site's trees, the default language first.
pub fn trees(site: &Site, theme: &Theme) -> Vec<Tree> {
    let default = &site.config.language;
    site.config
        .languages
        .iter()
        .map(|code| {
            let strings = theme.strings.language(code, default);
            Tree {
                code: code.clone(),
                prefix: if code == default {
                    String::new()
                } else {
                    format!("{code}/")
                },
                script_strings: script_strings(theme, &strings),
                strings,
            }
        })
        .collect()
}

/// See [`Tree::script_strings`].
fn script_strings(theme: &Theme, strings: &LanguageStrings) -> Value {
    let by_script: BTreeMap<&str, String> = theme
        .static_files
        .iter()
        .filter_map(|(path, bytes)| {
            let name = path.strip_prefix("assets/")?.strip_suffix(".js")?;
            let source = std::str::from_utf8(bytes).ok()?;
            Some((name, strings.script_json(source)))
        })
        .collect();
    Value::from_serializable(&by_script)
}

/// The site with every translatable text in language `code`: the site
/// itself for its default language (as loaded, no copy: a one-language
/// site costs no more memory than before), a translated copy otherwise.
pub fn site_in<'s>(site: &'s Site, code: &str) -> Cow<'s, Site> {
    if code == site.config.language {
        Cow::Borrowed(site)
    } else {
        Cow::Owned(site.in_language(code))
    }
}

impl Tree {
    /// `ltr` or `rtl` (the router's rule, so its pages agree).
    pub fn dir(&self) -> &'static str {
        direction(&self.code)
    }

    /// Adds this tree's keys (see the module docs) to `ctx`.
    pub fn insert_into(&self, ctx: &mut Context, all: &[Tree]) {
        ctx.insert("lang", &self.code);
        ctx.insert("dir", self.dir());
        ctx.insert_value("t", self.strings.value());
        ctx.insert_value("script_strings", self.script_strings.clone());
        ctx.insert("home_path", &self.prefix);
        ctx.insert("contact_path", &format!("{}{FORM_PAGE_PATH}", self.prefix));
        ctx.insert(
            "thanks_path",
            &format!("{}{THANK_YOU_PAGE_PATH}", self.prefix),
        );
        let views: Vec<TreeView> = if all.len() > 1 {
            all.iter()
                .map(|t| TreeView {
                    code: &t.code,
                    name: &t.strings.name,
                    prefix: &t.prefix,
                })
                .collect()
        } else {
            Vec::new()
        };
        ctx.insert("languages", &views);
    }
}

/// The relative prefix from a page at `path` (`de/departments/sales/`)
/// back to the site root (`../../../`); `./` for the home page.
pub fn root_for(path: &str) -> String {
    let depth = path.matches('/').count();
    if depth == 0 {
        "./".to_string()
    } else {
        "../".repeat(depth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots() {
        assert_eq!(root_for(""), "./");
        assert_eq!(root_for("contact/"), "../");
        assert_eq!(root_for("contact/thanks/"), "../../");
        assert_eq!(root_for("de/departments/sales/"), "../../../");
    }

    #[test]
    fn the_default_language_is_at_the_root() {
        let site = crate::render::testsite::site_in_languages(&["en", "de", "ar"]);
        let tmp = tempfile::tempdir().unwrap();
        let theme = Theme::load(tmp.path(), "default").unwrap();
        let trees = trees(&site, &theme);
        let prefixes: Vec<&str> = trees.iter().map(|t| t.prefix.as_str()).collect();
        assert_eq!(prefixes, ["", "de/", "ar/"]);
        let dirs: Vec<&str> = trees.iter().map(Tree::dir).collect();
        assert_eq!(dirs, ["ltr", "ltr", "rtl"]);
        assert_eq!(trees[1].strings.name, "Deutsch");
    }
}
