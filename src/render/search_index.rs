//! The search index the home page's script fetches when a visitor starts
//! typing (never before): people and departments as JSON. One file,
//! `search/all.json`, for a small organisation; for a large one, one file
//! per key, the first [`KEY_CHARS`] characters of a word of the name
//! (folded as the script folds the query), so a search loads only the
//! entries whose name has a word starting like the query's first word.
//!
//! An entry is `{"n": name, "u": url, "l": "en de"}`, plus `"r"` (role) and
//! `"d"` (department) for a person; the script tells departments by the
//! missing `"d"`. People come first in each file, then departments.

use std::collections::BTreeMap;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::RenderError;
use super::collisions::{Origin, Output};
use super::directory::people;
use super::pages::{Done, Shared};
use crate::model::Site;

/// Where the index goes.
pub(super) const PATH: &str = "search/";

/// Up to this many entries (people and departments), one file holds all.
const SINGLE_FILE_MAX: usize = 500;

/// Characters of a word that make its key.
const KEY_CHARS: usize = 2;

/// Whether the index is split into one file per key.
pub(super) fn chunked(site: &Site) -> bool {
    let people: usize = site.departments.iter().map(|d| d.contacts.len()).sum();
    people + site.departments.len() > SINGLE_FILE_MAX
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Entry<'a> {
    n: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    r: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<&'a str>,
    u: &'a str,
    l: &'a str,
}

/// `text` as the script compares it: accents removed (NFD without the
/// combining marks U+0300–U+036F), lowercased.
pub(super) fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The keys of `name`: one per word, a run of letters and digits (a file name:
/// `a`–`z` and `0`–`9` as they are, anything else as `_` and its hex code).
fn keys(name: &str) -> Vec<String> {
    let mut keys: Vec<String> = fold(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.chars()
                .take(KEY_CHARS)
                .map(|c| match c {
                    'a'..='z' | '0'..='9' => c.to_string(),
                    _ => format!("_{:x}", c as u32),
                })
                .collect()
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Writes the index: `search/all.json`, or one `search/KEY.json` per key
/// (under the language's prefix, `de/search/all.json`).
pub(super) fn render<'a>(shared: &Shared<'a>, out: &Output<'a>) -> Result<Done, RenderError> {
    let people = people(shared.departments);
    // People first: the script lists the first matches, and a visitor
    // searching for a name is looking for a person.
    let entries = people
        .iter()
        .map(|p| Entry {
            n: p.name,
            r: p.role,
            d: Some(p.department),
            u: &p.url,
            l: p.language_codes,
        })
        .chain(shared.departments.iter().map(|d| Entry {
            n: &d.name,
            r: "",
            d: None,
            u: &d.path,
            l: &d.language_codes,
        }));
    let mut files: BTreeMap<String, Vec<Entry<'_>>> = BTreeMap::new();
    if chunked(shared.site) {
        for entry in entries {
            for key in keys(entry.n) {
                files.entry(key).or_default().push(entry);
            }
        }
    } else {
        files.insert("all".into(), entries.collect());
    }
    for (key, list) in files {
        // Serializing strings cannot fail.
        let json = serde_json::to_vec(&list).unwrap_or_default();
        let origin = Origin::Named("the search index");
        // One index per language tree (`de/search/…`): names and paths differ.
        let prefix = &shared.tree.prefix;
        out.add(format!("{prefix}{PATH}{key}.json"), &[&json], origin)?;
    }
    Ok(Done::Written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_word_starts_as_the_script_folds_them() {
        assert_eq!(keys("Émile Ó Briain"), ["br", "em", "o"]);
        assert_eq!(keys("Łukasz Yıldız"), ["_142u", "y_131"]);
        assert_eq!(keys("Department 12 — Müller"), ["12", "de", "mu"]);
        assert_eq!(keys("Kenji (O'Brien-Watanabe)"), ["br", "ke", "o", "wa"]);
        assert_eq!(fold("Anaïs DUBOIS"), "anais dubois");
    }
}
