//! The renderer: turns a validated [`Site`] into the finished static site, in
//! memory.
//!
//! Rendering never touches the disk except to read the theme (in
//! [`Theme::load`]); the build writes [`SiteOutput`] aside and swaps it in,
//! `serve` answers from it directly, and `watch` re-renders everything on each
//! change. So a [`Theme`] compiles its templates once and [`render_site`] only
//! fills them.
//!
//! Templates never see the [`Site`] itself: they get a public *view* of it
//! ([`view`]) from which unpublished addresses have already been removed, so
//! no theme, built-in or overridden, can leak an address an editor chose to
//! keep off the site.

mod collisions;
mod contact_page;
mod csp;
mod department;
mod directory;
pub mod form;
mod home;
pub mod hours;
pub mod i18n;
pub mod jsonld;
mod languages;
mod markdown_page;
mod minify;
mod not_found_page;
mod pages;
mod router_pages;
mod search_index;
pub mod sitemap;
mod theme;
pub mod vcard;
pub mod view;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use pages::{render_site, render_site_into};
pub use router_pages::{router_pages, router_pages_in};
pub use theme::{BUILTIN_THEME, Theme};

/// Per-build settings that do not come from the content.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Where the form posts: `site.form.endpoint` when building,
    /// [`crate::serve::FORM_ENDPOINT`] under `serve`. Also the only `form-action` the CSP allows.
    pub form_endpoint: String,
    /// Hash of the content; rendered into the form and a `<meta>` so the router
    /// can tell a stale page from a current one.
    pub content_hash: String,
    /// Signed token rendered into the form (see the router's `sign_form_token`).
    pub form_token: String,
    /// The build's time token, for visitors without JavaScript (the page's
    /// script replaces it with one minted when the form is shown).
    pub time_token: String,
    /// Under `serve`: the URL of a same-origin script to load on every HTML page
    /// (live reload). It is loaded with `<script src>`, never inlined, so the
    /// CSP can stay `script-src 'self'`. `None` when building.
    pub live_reload: Option<String>,
}

/// The rendered site: site-relative path (`/`-separated, no leading slash) to
/// file contents. A `BTreeMap` so listings and writes are deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteOutput {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl SiteOutput {
    /// The file at `path` as text, if it exists and is UTF-8 (tests, `serve`).
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .get(path)
            .and_then(|b| std::str::from_utf8(b).ok())
    }

    /// Total size of all files (the render benchmark, `tests/render_perf.rs`,
    /// reports it; the build's summary counts what it wrote instead).
    pub fn total_bytes(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }
}

/// Where [`render_site_into`] puts each file as soon as it is rendered, from
/// several threads at once. The build writes them straight into its staging
/// tree (so a large site is never held in memory whole); `serve` and tests
/// collect them into a [`SiteOutput`].
pub trait FileSink: Sync {
    /// One finished file at `path`, given as pieces to be joined (the home
    /// page of a large site is spliced from many). Called once per path.
    fn put(&self, path: &str, pieces: &[&[u8]]) -> std::io::Result<()>;
}

/// Collects every file in memory.
#[derive(Default)]
pub struct MemorySink(std::sync::Mutex<BTreeMap<String, Vec<u8>>>);

impl MemorySink {
    pub fn into_output(self) -> SiteOutput {
        SiteOutput {
            files: self.0.into_inner().unwrap_or_else(|p| p.into_inner()),
        }
    }
}

impl FileSink for MemorySink {
    fn put(&self, path: &str, pieces: &[&[u8]]) -> std::io::Result<()> {
        let bytes = pieces.concat();
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_string(), bytes);
        Ok(())
    }
}

/// Everything that can go wrong while loading a theme or rendering.
/// Every variant names the file at fault, so an editor knows where to look.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template failed to parse or to render.
    #[error("{file}:{line}: {message}")]
    Template {
        /// Template name, as found under `templates/` (e.g. `department.html`).
        file: String,
        /// 1-based line in that template; 0 when tera did not say.
        line: usize,
        message: String,
    },
    /// A theme's or the site's string table (`i18n/<code>.toml`) is wrong.
    #[error("{file}:{line}: {message}")]
    Strings {
        file: String,
        /// 1-based line in that file.
        line: usize,
        message: String,
    },
    /// The theme lacks a template every site needs.
    #[error("theme `{theme}` has no template `{template}` (looked in {searched})")]
    MissingTemplate {
        theme: String,
        template: String,
        searched: String,
    },
    #[error("theme `{theme}` not found: no folder {path}")]
    ThemeNotFound { theme: String, path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not valid UTF-8 (templates must be UTF-8 text)")]
    NotUtf8 { path: PathBuf },
    /// A rendered file could not be written out.
    #[error("writing `{path}`: {source}")]
    Write {
        /// Site-relative path of the file.
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Two sources want to write the same output file (e.g. a page slug `contact`).
    #[error("two things want to be `{path}`: {first} and {second}")]
    Collision {
        path: String,
        first: String,
        second: String,
    },
}

impl RenderError {
    /// Converts a tera error, recovering the template name and line from its report.
    pub(crate) fn from_tera(fallback_file: &str, err: tera::Error) -> Self {
        use tera::ErrorKind;
        match err.kind() {
            ErrorKind::SyntaxError(report) | ErrorKind::RenderingError(report) => {
                let file = if report.filename().is_empty() {
                    fallback_file.to_string()
                } else {
                    report.filename().to_string()
                };
                RenderError::Template {
                    file,
                    line: report.span().start_line,
                    message: report.message().to_string(),
                }
            }
            _ => RenderError::Template {
                file: fallback_file.to_string(),
                line: 0,
                message: err.to_string(),
            },
        }
    }
}

/// The fixture organisation for tests and the render bench; not part of
/// the builder's API.
#[cfg(any(test, feature = "test-support"))]
#[doc(hidden)]
pub mod testsite;
