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
use crate::output::{replace_dir_recycling, write_file_atomic};
use crate::render::{RenderError, RenderOptions, SiteOutput, Theme, render_site};
use crate::state;

/// Under the build-state folder: the previous output tree, recycled by the next build.
pub const RECYCLE_DIR: &str = "recycle";

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
    /// The site's build-state folder: the previous output tree is kept there
    /// for the next build to recycle (see [`replace_dir_recycling`]).
    pub state_dir: PathBuf,
    /// How long each phase took, for `SWITCHBOARD_TIMINGS=1`.
    pub timings: Timings,
}

/// Phase durations of one build. With `SWITCHBOARD_TIMINGS` set in the
/// environment, [`write_build`] prints them to stderr (benchmarks, profiling).
#[derive(Debug, Clone)]
pub struct Timings {
    last: Instant,
    pub phases: Vec<(&'static str, Duration)>,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            last: Instant::now(),
            phases: Vec::new(),
        }
    }
}

impl Timings {
    /// Records the time since the previous mark as `phase`.
    pub fn mark(&mut self, phase: &'static str) {
        let now = Instant::now();
        self.phases.push((phase, now - self.last));
        self.last = now;
    }

    fn report(&self) {
        if std::env::var_os("SWITCHBOARD_TIMINGS").is_some() {
            for (phase, took) in &self.phases {
                eprintln!("timing: {phase}: {:.1} ms", took.as_secs_f64() * 1000.0);
            }
        }
    }
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
    let mut timings = Timings::default();
    let site = load_site(root).map_err(BuildError::Content)?;
    timings.mark("load and check content");
    let theme = Theme::load(root, &site.config.theme)?;
    timings.mark("load theme");
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
    timings.mark("manifest and form secret");
    let output = render_site(&site, &theme, &render_options)?;
    timings.mark("render");
    Ok(Build {
        site,
        output,
        manifest,
        elapsed: started.elapsed(),
        state_dir: state::dir(root),
        timings,
    })
}

/// Writes the site to `output_dir` (swapped in whole) and the manifest to `manifest_path`.
pub fn write_build(build: &Build, output_dir: &Path, manifest_path: &Path) -> io::Result<()> {
    let mut timings = build.timings.clone();
    timings.last = Instant::now();
    // Compact: the router parses it at every cold start (whitespace was 40 %
    // of a 1,000-department manifest); `jq .` shows it indented.
    let json = serde_json::to_vec(&build.manifest).map_err(io::Error::other)?;
    let recycle = build.state_dir.join(RECYCLE_DIR);
    replace_dir_recycling(output_dir, &build.output.files, Some(&recycle))?;
    timings.mark("write the site");
    write_file_atomic(manifest_path, &json)?;
    timings.mark("write the manifest");
    timings.report();
    Ok(())
}
