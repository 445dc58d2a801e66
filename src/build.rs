//! One build, start to finish: load and check the content, render the site
//! in memory, fill the routing manifest. Writing to disk is separate
//! ([`write_build`]) so `serve` can keep everything in memory.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use switchboard_router::manifest::RoutingManifest;

use crate::diagnostic::Diagnostics;
use crate::manifest::routing_manifest;
use crate::model::{Site, load_site};
use crate::output::{replace_dir, write_file_atomic};
use crate::render::{RenderError, RenderOptions, SiteOutput, Theme, render_site};
use crate::state;

/// Settings that do not come from the content.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Post the form here instead of the site's configured endpoint (`serve`).
    pub form_endpoint: Option<String>,
    /// Origins allowed to post besides the site's own (`serve`'s address).
    pub extra_origins: Vec<String>,
    /// Script URL injected into every page for live reload (`serve`).
    pub live_reload: Option<String>,
}

/// A finished build, still in memory.
pub struct Build {
    pub site: Site,
    pub output: SiteOutput,
    pub manifest: RoutingManifest,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Problems in the editor's files, each with file and line.
    #[error("{0}")]
    Content(Diagnostics),
    #[error("{0}")]
    Render(#[from] RenderError),
    #[error("cannot set up the form secret in {path}: {source}")]
    Secret {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Loads, checks and renders the site under `root`.
pub fn build(root: &Path, options: &BuildOptions) -> Result<Build, BuildError> {
    let started = Instant::now();
    let site = load_site(root).map_err(BuildError::Content)?;
    let theme = Theme::load(root, &site.config.theme)?;
    let manifest = routing_manifest(&site, &options.extra_origins);
    let secret = state::form_secret(root).map_err(|source| BuildError::Secret {
        path: state::dir(root),
        source,
    })?;
    let render_options = RenderOptions {
        form_endpoint: options
            .form_endpoint
            .clone()
            .unwrap_or_else(|| site.form.endpoint.clone()),
        content_hash: manifest.content_hash.clone(),
        form_token: switchboard_router::sign_form_token(&secret, &manifest.content_hash),
        live_reload: options.live_reload.clone(),
    };
    let output = render_site(&site, &theme, &render_options)?;
    Ok(Build {
        site,
        output,
        manifest,
        elapsed: started.elapsed(),
    })
}

/// Writes the site to `output_dir` (swapped in whole) and the manifest to `manifest_path`.
pub fn write_build(build: &Build, output_dir: &Path, manifest_path: &Path) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(&build.manifest).map_err(io::Error::other)?;
    replace_dir(output_dir, &build.output.files)?;
    write_file_atomic(manifest_path, &json)
}
