//! The content model: the TOML schema, loading with source spans, and validation.
//!
//! `load_site` is the one entry point: files → [`schema`] (serde, spans) →
//! [`resolve`] (checks, references) → [`Site`].

pub mod hours;
mod languages;
pub mod load;
pub mod markdown;
pub mod resolve;
pub mod schema;
mod site;
pub mod translations;
pub mod value_checks;

use std::path::Path;

pub use site::*;

use crate::diagnostic::Diagnostics;
pub use resolve::TranslationGaps;

/// Reads, checks and resolves the site under `root`; all problems at once on failure.
pub fn load_site(root: &Path) -> Result<Site, Diagnostics> {
    load_site_cached(root, None)
}

/// [`load_site`], re-parsing only the department files that changed since
/// the last load with the same `cache` (`serve`, `watch`).
pub fn load_site_cached(
    root: &Path,
    cache: Option<&load::ParseCache>,
) -> Result<Site, Diagnostics> {
    load_site_with_gaps(root, cache).0
}

/// [`load_site_cached`], and the translations the site lacks (warnings:
/// they fall back to the default language), found even when it has errors.
pub fn load_site_with_gaps(
    root: &Path,
    cache: Option<&load::ParseCache>,
) -> (Result<Site, Diagnostics>, TranslationGaps) {
    let mut diagnostics = Diagnostics::default();
    let mut gaps = TranslationGaps::default();
    let raw = load::read_site(root, cache, &mut diagnostics);
    let site = resolve::resolve(root, raw, &mut diagnostics, &mut gaps);
    diagnostics.sort();
    let site = match site {
        Some(site) if diagnostics.is_empty() => Ok(site),
        _ => Err(diagnostics),
    };
    (site, gaps)
}
