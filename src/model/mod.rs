//! The content model: the TOML schema, loading with source spans, and validation.
//!
//! `load_site` is the one entry point: files → [`schema`] (serde, spans) →
//! [`resolve`] (checks, references) → [`Site`].

pub mod hours;
pub mod load;
pub mod markdown;
pub mod resolve;
pub mod schema;
mod site;
pub mod value_checks;

use std::path::Path;

pub use site::*;

use crate::diagnostic::Diagnostics;

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
    let mut diagnostics = Diagnostics::default();
    let raw = load::read_site(root, cache, &mut diagnostics);
    let site = resolve::resolve(root, raw, &mut diagnostics);
    diagnostics.sort();
    match site {
        Some(site) if diagnostics.is_empty() => Ok(site),
        _ => Err(diagnostics),
    }
}
