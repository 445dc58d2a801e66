//! Theme strings: every word the theme shows a visitor, per language.
//!
//! The default theme ships `i18n/<code>.toml` tables (flat `key = "text"`);
//! a theme of its own may ship more, and a site overrides or adds a
//! language with `i18n/<code>.toml` at its root (beside `content/`). For a
//! page in language `L` a key is looked up in: the site's `L`, the theme's
//! `L`, the site's default language, the theme's default language, English
//! (each also by its primary subtag: `de-CH` finds `de`). English is the
//! reference: every theme table has exactly its keys, and a site table may
//! only use them. A site table's `[router]` table belongs to the router's
//! texts and is skipped here.
//!
//! Templates read the strings as `{{ t.key }}` from one value per language,
//! built once per build ([`LanguageStrings::value`]); the page's script reads
//! the `js_` keys from a JSON island ([`LanguageStrings::script_json`]).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use switchboard_router::texts::primary_subtag as primary;
use toml::Spanned;

use super::RenderError;
use crate::diagnostic::{SourceFile, did_you_mean};

/// The reference language: its table in the theme defines the keys.
const REFERENCE: &str = "en";

/// The default theme's tables, embedded. A unit test checks the list
/// against `themes/default/i18n/`.
pub(super) const BUILTIN: &[(&str, &str)] = &[
    ("en", include_str!("../../themes/default/i18n/en.toml")),
    ("de", include_str!("../../themes/default/i18n/de.toml")),
    ("fr", include_str!("../../themes/default/i18n/fr.toml")),
    ("es", include_str!("../../themes/default/i18n/es.toml")),
    ("ar", include_str!("../../themes/default/i18n/ar.toml")),
];

/// Keys whose value is a comma-separated list of a fixed length.
const LISTS: [(&str, usize); 3] = [
    ("weekdays_short", 7),
    ("weekdays_long", 7),
    ("months_short", 12),
];

/// One language's table: key -> text.
type Table = BTreeMap<String, String>;

/// Every table a site's pages may draw from: the theme's and the site's.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    theme: HashMap<String, Table>,
    site: HashMap<String, Table>,
}

impl Strings {
    /// The built-in tables, overlaid by `theme_i18n` (a theme's own
    /// `i18n/` folder, if any), and the site's tables from `site_i18n`.
    pub fn load(theme_i18n: Option<&Path>, site_i18n: &Path) -> Result<Strings, RenderError> {
        let mut theme: HashMap<String, Table> = HashMap::new();
        for (code, text) in BUILTIN {
            let shown = format!("(built-in) themes/default/i18n/{code}.toml");
            theme.insert(code.to_string(), parse(&shown, text, None)?);
        }
        if let Some(dir) = theme_i18n {
            for (code, path, text) in read_tables(dir)? {
                let table = parse(&path, &text, None)?;
                theme.entry(code).or_default().extend(table);
            }
        }
        let keys = theme.get(REFERENCE).cloned().unwrap_or_default();
        let mut site = HashMap::new();
        for (code, path, text) in read_tables(site_i18n)? {
            site.insert(code, parse(&path, &text, Some(&keys))?);
        }
        Ok(Strings { theme, site })
    }

    /// The default theme's tables alone (tests, the render bench).
    pub fn default_theme() -> Strings {
        // The embedded tables are checked by this module's tests.
        Strings::load(None, Path::new("")).unwrap_or_default()
    }

    /// The resolved strings of language `code` on a site whose default
    /// language is `default`.
    pub fn language(&self, code: &str, default: &str) -> LanguageStrings {
        let reference = self.theme.get(REFERENCE).cloned().unwrap_or_default();
        let mut chain: Vec<&Table> = Vec::new();
        for lang in [code, default, REFERENCE] {
            for tag in [lang, primary(lang)] {
                chain.extend(self.site.get(tag));
                chain.extend(self.theme.get(tag));
            }
        }
        let resolved: Table = reference
            .keys()
            .filter_map(|k| {
                chain
                    .iter()
                    .find_map(|t| t.get(k))
                    .map(|v| (k.clone(), v.clone()))
            })
            .collect();
        // The language's own name only from its own tables: a fallback
        // table would name another language.
        let own_name = [code, primary(code)].iter().find_map(|tag| {
            self.site
                .get(*tag)
                .and_then(|t| t.get("language_name"))
                .or_else(|| self.theme.get(*tag).and_then(|t| t.get("language_name")))
                .cloned()
        });
        LanguageStrings {
            code: code.to_string(),
            name: own_name.unwrap_or_else(|| code.to_string()),
            table: Arc::new(resolved),
        }
    }
}

impl Strings {
    /// How many of the theme's texts language `code` has in no table of
    /// its own (they fall back to the default language's, then English).
    pub fn missing_in(&self, code: &str) -> usize {
        let own: Vec<&Table> = [code, primary(code)]
            .iter()
            .flat_map(|tag| [self.site.get(*tag), self.theme.get(*tag)])
            .flatten()
            .collect();
        self.theme.get(REFERENCE).map_or(0, |reference| {
            reference
                .keys()
                .filter(|k| !own.iter().any(|t| t.contains_key(*k)))
                .count()
        })
    }
}

/// One language's strings, every key resolved.
#[derive(Debug, Clone)]
pub struct LanguageStrings {
    /// The BCP 47 tag of the language.
    pub code: String,
    /// The language's name in itself (`Deutsch`), or its tag.
    pub name: String,
    table: Arc<Table>,
}

impl LanguageStrings {
    /// The text of `key` (empty when no table has it: templates then fail
    /// on the missing `t.key`, naming the template and line).
    pub fn get(&self, key: &str) -> &str {
        self.table.get(key).map(String::as_str).unwrap_or("")
    }

    /// `key` with each `{name}` replaced by its value.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Item `index` of the comma-separated list `key` (see [`LISTS`]).
    pub fn item(&self, key: &str, index: usize) -> &str {
        self.get(key).split(',').nth(index).unwrap_or("").trim()
    }

    /// The table as the templates' `t`.
    pub fn value(&self) -> tera::Value {
        tera::Value::from_serializable(&*self.table)
    }

    /// The strings the script `source` names, as JSON safe inside
    /// `<script type="application/json">`: each `js_` key (without the
    /// prefix), `weekdays` (the short weekday names) and `list_separator`
    /// that the source writes in quotes or as `.name`. So a page carries
    /// only the words of the scripts it loads.
    pub fn script_json(&self, source: &str) -> String {
        let mut map = serde_json::Map::new();
        for (k, v) in self.table.iter() {
            if let Some(name) = k.strip_prefix("js_").filter(|n| names(source, n)) {
                map.insert(name.to_string(), v.clone().into());
            }
        }
        if names(source, "weekdays") {
            let days: Vec<serde_json::Value> = (0..7)
                .map(|i| self.item("weekdays_short", i).into())
                .collect();
            map.insert("weekdays".into(), days.into());
        }
        if names(source, "list_separator") {
            map.insert("list_separator".into(), self.get("list_separator").into());
        }
        // Plain strings cannot fail to serialize.
        let json = serde_json::to_string(&map).unwrap_or_default();
        json.replace('<', "\\u003c")
    }

    /// `date` as the language writes it ("24 Dec 2025", "24. Dez. 2025").
    pub fn date(&self, date: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let month = self.item("months_short", date.month0() as usize);
        self.fill(
            "date_format",
            &[
                ("day", &date.day().to_string()),
                ("month", month),
                ("year", &date.year().to_string()),
            ],
        )
    }
}

/// Whether `source` names `key` as `"key"`, `'key'` or `.key`.
fn names(source: &str, key: &str) -> bool {
    source.match_indices(key).any(|(at, _)| {
        let before = source[..at].chars().next_back();
        let after = source[at + key.len()..].chars().next();
        match before {
            Some(q @ ('"' | '\'')) => after == Some(q),
            Some('.') => !after.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$'),
            _ => false,
        }
    })
}

/// Every `<code>.toml` in `dir` as (code, shown path, text); nothing when
/// `dir` does not exist.
fn read_tables(dir: &Path) -> Result<Vec<(String, String, String)>, RenderError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let io = |source| RenderError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(code) = name.strip_suffix(".toml") else {
            continue;
        };
        if code.starts_with('.') {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|source| RenderError::Io {
            path: path.clone(),
            source,
        })?;
        let text =
            String::from_utf8(bytes).map_err(|_| RenderError::NotUtf8 { path: path.clone() })?;
        out.push((code.to_string(), path.display().to_string(), text));
    }
    Ok(out)
}

/// Parses one table. With `known` (a site's table), every key must be one
/// of them; `[router]` is skipped.
fn parse(file: &str, text: &str, known: Option<&Table>) -> Result<Table, RenderError> {
    let source = SourceFile::new(file, text);
    let error = |offset: usize, message: String| {
        let (line, _) = source.line_col(offset);
        RenderError::Strings {
            file: file.to_string(),
            line,
            message,
        }
    };
    let raw: BTreeMap<Spanned<String>, Spanned<toml::Value>> =
        toml::from_str(text).map_err(|e: toml::de::Error| {
            let offset = e.span().map_or(0, |s| s.start);
            error(offset, e.message().to_string())
        })?;
    let mut table = Table::new();
    for (key, value) in raw {
        let at = key.span().start;
        let key = key.into_inner();
        if known.is_some() && key == "router" && value.get_ref().is_table() {
            continue;
        }
        if let Some(known) = known
            && !known.contains_key(&key)
        {
            let hint = match did_you_mean(&key, known.keys().map(String::as_str)) {
                Some(k) => format!(" (did you mean `{k}`?)"),
                None => " (the keys are those of the theme's i18n/en.toml)".to_string(),
            };
            return Err(error(at, format!("unknown key `{key}`{hint}")));
        }
        let Some(text) = value.get_ref().as_str() else {
            return Err(error(
                value.span().start,
                format!("`{key}` must be a string, like `{key} = \"…\"`"),
            ));
        };
        if let Some((_, n)) = LISTS.iter().find(|(k, _)| *k == key)
            && text.split(',').count() != *n
        {
            return Err(error(
                value.span().start,
                format!("`{key}` must list {n} names, separated by commas"),
            ));
        }
        table.insert(key, text.to_string());
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> Strings {
        Strings::load(None, Path::new("/nonexistent")).unwrap()
    }

    #[test]
    fn builtin_list_matches_the_i18n_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/i18n");
        let on_disk: Vec<String> = read_tables(&dir)
            .unwrap()
            .into_iter()
            .map(|(code, _, _)| code)
            .collect();
        let mut embedded: Vec<String> = BUILTIN.iter().map(|(c, _)| c.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "update BUILTIN in i18n.rs");
    }

    #[test]
    fn every_theme_table_has_exactly_the_english_keys() {
        let strings = builtin();
        let english: Vec<&String> = strings.theme[REFERENCE].keys().collect();
        for (code, _) in BUILTIN {
            let keys: Vec<&String> = strings.theme[*code].keys().collect();
            let missing: Vec<_> = english.iter().filter(|k| !keys.contains(k)).collect();
            let extra: Vec<_> = keys.iter().filter(|k| !english.contains(k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{code}.toml: missing {missing:?}, extra {extra:?}"
            );
        }
    }

    #[test]
    fn placeholders_survive_translation() {
        let strings = builtin();
        let en = &strings.theme[REFERENCE];
        for (code, _) in BUILTIN {
            for (key, text) in &strings.theme[*code] {
                let wanted: Vec<&str> = en[key].matches(['{', '[']).collect();
                let got: Vec<&str> = text.matches(['{', '[']).collect();
                assert_eq!(got.len(), wanted.len(), "{code}.toml: `{key}`");
                for name in en[key]
                    .split('{')
                    .skip(1)
                    .filter_map(|s| s.split('}').next())
                {
                    assert!(
                        text.contains(&format!("{{{name}}}")),
                        "{code}: `{key}` lacks {{{name}}}"
                    );
                }
            }
        }
    }

    #[test]
    fn lookup_falls_back_to_the_default_language_then_english() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("de.toml"), "nav_directory = \"Leute\"\n").unwrap();
        std::fs::write(
            tmp.path().join("it.toml"),
            "language_name = \"Italiano\"\nnav_directory = \"Elenco\"\n[router]\nanything = 1\n",
        )
        .unwrap();
        let strings = Strings::load(None, tmp.path()).unwrap();
        let it = strings.language("it", "de");
        assert_eq!(it.get("nav_directory"), "Elenco");
        assert_eq!(it.get("contact_title"), "Kontakt");
        assert_eq!(it.name, "Italiano");
        let de_ch = strings.language("de-CH", "en");
        assert_eq!(de_ch.get("nav_directory"), "Leute");
        assert_eq!(de_ch.get("form_send"), "Nachricht senden");
        assert_eq!(de_ch.name, "Deutsch");
        assert_eq!(
            strings.language("sv", "sv").get("form_send"),
            "Send message"
        );
        assert_eq!(strings.language("sv", "sv").name, "sv");
    }

    #[test]
    fn site_table_errors_name_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("de.toml"),
            "# x\nnav_directry = \"Leute\"\n",
        )
        .unwrap();
        let err = Strings::load(None, tmp.path()).unwrap_err().to_string();
        assert!(err.contains("de.toml:2:"), "{err}");
        assert!(err.contains("did you mean `nav_directory`"), "{err}");

        std::fs::write(tmp.path().join("de.toml"), "a = \"x\"\nb = = 1\n").unwrap();
        let err = Strings::load(None, tmp.path()).unwrap_err().to_string();
        assert!(err.contains("de.toml:2:"), "{err}");

        std::fs::write(tmp.path().join("de.toml"), "weekdays_short = \"Mo,Di\"\n").unwrap();
        let err = Strings::load(None, tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains("de.toml:1:") && err.contains("7 names"),
            "{err}"
        );
    }

    #[test]
    fn a_language_without_tables_misses_every_text() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("sv.toml"),
            "skip_link = \"Hoppa till innehållet\"\n",
        )
        .unwrap();
        let strings = Strings::load(None, tmp.path()).unwrap();
        let all = strings.theme[REFERENCE].len();
        assert_eq!(strings.missing_in("de"), 0);
        assert_eq!(
            strings.missing_in("de-CH"),
            0,
            "the primary subtag's table counts"
        );
        assert_eq!(strings.missing_in("ja"), all);
        assert_eq!(strings.missing_in("sv"), all - 1);
    }

    #[test]
    fn dates_follow_the_language() {
        let strings = builtin();
        let day = chrono::NaiveDate::from_ymd_opt(2025, 12, 24).unwrap();
        assert_eq!(strings.language("en", "en").date(day), "24 Dec 2025");
        assert_eq!(strings.language("de", "en").date(day), "24. Dez. 2025");
        assert_eq!(strings.language("ar", "en").date(day), "24 ديسمبر 2025");
    }

    #[test]
    fn script_json_cannot_close_its_script() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("en.toml"), "js_sending = \"</script>\"\n").unwrap();
        let json = Strings::load(None, tmp.path())
            .unwrap()
            .language("en", "en")
            .script_json("tr(\"sending\"); STRINGS.weekdays;");
        assert!(!json.contains("</"), "{json}");
        assert!(json.contains("\"weekdays\":[\"Mon\""), "{json}");
    }

    #[test]
    fn script_json_carries_only_what_the_script_names() {
        let en = builtin().language("en", "en");
        let json = en.script_json("tr('sent'); x.try_again; tr(\"sending_more\"); search_none;");
        let keys: Vec<String> = serde_json::from_str::<serde_json::Map<_, _>>(&json)
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["sent", "try_again"], "{json}");
    }
}
