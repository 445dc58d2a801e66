//! One build, start to finish: load and check the content, fill the routing
//! manifest, render the site. [`build`] keeps the site in memory (`serve`
//! answers from it); [`build_to_disk`] streams each rendered file into a
//! staging tree beside the output folder and swaps it in whole, so a large
//! site is never held in memory at once and writing overlaps rendering.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use switchboard_router::manifest::{ManifestError, RoutingManifest};
use switchboard_router::token::{Shown, sign_form_token, sign_time_token};

use crate::diagnostic::Diagnostics;
use crate::dot_switchboard;
use crate::manifest::routing_manifest;
use crate::model::load::ParseCache;
use crate::model::{Site, load_site_cached};
use crate::output::{Staging, Written, leftovers, stage_file};
use crate::render::{
    self, FileSink, RenderError, RenderOptions, SiteOutput, Theme, render_site, render_site_into,
};

/// Settings that do not come from the content.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Post the form here instead of the site's configured endpoint (`serve`).
    pub form_endpoint: Option<String>,
    /// Origins allowed to post besides the site's own (`serve`'s address).
    pub extra_origins: Vec<String>,
    /// Script URL injected into every page for live reload (`serve`).
    pub live_reload: Option<String>,
    /// Parses kept between builds (`serve`, `watch`): only changed files are parsed again.
    pub parse_cache: Option<Arc<ParseCache>>,
    /// The form secret the CLI read from `SWITCHBOARD_FORM_SECRET`; `None`:
    /// the site's generated one in `.switchboard/form-secret`.
    pub form_secret: Option<String>,
    /// Print each phase's duration to stderr after [`build_to_disk`]
    /// (benchmarks, profiling); the CLI sets it from `SWITCHBOARD_TIMINGS`.
    pub print_timings: bool,
    /// Stops [`build_to_disk`] before it swaps anything in (the CLI cancels
    /// it on Ctrl-C or SIGTERM): it removes what it wrote and returns
    /// [`BuildError::Cancelled`].
    pub cancel: Option<Cancel>,
}

/// A request, from another thread, that a build stop.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The build's file sink, refusing every file once the build is cancelled
/// so that rendering ends soon.
struct Cancellable<'a> {
    staging: &'a Staging,
    cancel: Option<&'a Cancel>,
}

impl FileSink for Cancellable<'_> {
    fn put(&self, path: &str, pieces: &[&[u8]]) -> io::Result<()> {
        if self.cancel.is_some_and(Cancel::is_cancelled) {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "build cancelled",
            ));
        }
        self.staging.put(path, pieces)
    }
}

/// A finished build, still in memory.
pub struct Build {
    pub site: Site,
    pub output: SiteOutput,
    pub manifest: RoutingManifest,
    pub elapsed: Duration,
    /// How long each phase took (see [`BuildOptions::print_timings`]).
    pub timings: Timings,
}

/// Phase durations of one build. With [`BuildOptions::print_timings`],
/// [`build_to_disk`] prints them to stderr (benchmarks, profiling).
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

    fn print(&self) {
        for (phase, took) in &self.phases {
            eprintln!("timing: {phase}: {:.1} ms", took.as_secs_f64() * 1000.0);
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
    /// The output folder or the manifest could not be written; the
    /// previous output is still in place.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot set up the form secret in {path}: {source}")]
    Secret {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The content passed its checks but the router would refuse the
    /// manifest: a gap between the two checks, reported rather than deployed.
    #[error(
        "the routing manifest would not start the router: {0}\nPlease report this: `switchboard check` should have caught it."
    )]
    Manifest(#[from] ManifestError),
    /// Stopped through [`BuildOptions::cancel`]; nothing was swapped in.
    #[error("the build was stopped")]
    Cancelled,
}

/// A build written to disk by [`build_to_disk`].
pub struct DiskBuild {
    pub site: Site,
    pub manifest: RoutingManifest,
    /// The files of the output folder, as written.
    pub written: Written,
    /// Which secret signed the form.
    pub secret_source: dot_switchboard::SecretSource,
    /// When the form's tokens were issued (seconds since the Unix epoch, a
    /// UTC midnight): the pages work for the manifest's `token_max_age_days` after.
    pub tokens_issued: i64,
    pub elapsed: Duration,
    pub timings: Timings,
}

/// What every build has before it renders.
struct Prepared {
    started: Instant,
    timings: Timings,
    site: Site,
    theme: Theme,
    manifest: RoutingManifest,
    render_options: RenderOptions,
    secret_source: dot_switchboard::SecretSource,
    tokens_issued: i64,
}

/// Tokens are dated by the UTC day they were issued: a rebuild on the same
/// day renders the same pages (so unchanged files are not written again),
/// and a page's lifetime is counted in days anyway.
fn token_day(now: i64) -> i64 {
    now - now.rem_euclid(86_400)
}

fn prepare(root: &Path, options: &BuildOptions) -> Result<Prepared, BuildError> {
    let started = Instant::now();
    let mut timings = Timings::default();
    let site =
        load_site_cached(root, options.parse_cache.as_deref()).map_err(BuildError::Content)?;
    timings.mark("load and check content");
    let theme = Theme::load(root, &site.config.theme)?;
    timings.mark("load theme");
    let mut manifest = routing_manifest(&site, &options.extra_origins);
    let secret =
        dot_switchboard::form_secret(root, options.form_secret.as_deref()).map_err(|source| {
            BuildError::Secret {
                path: dot_switchboard::dir(root),
                source,
            }
        })?;
    let tokens_issued = token_day(chrono::Utc::now().timestamp());
    let render_options = RenderOptions {
        form_endpoint: options
            .form_endpoint
            .clone()
            .unwrap_or_else(|| site.form.endpoint.clone()),
        content_hash: manifest.content_hash.clone(),
        form_token: sign_form_token(&secret.bytes, &manifest.content_hash, tokens_issued),
        time_token: sign_time_token(&secret.bytes, Shown::AtBuild, tokens_issued),
        live_reload: options.live_reload.clone(),
    };
    timings.mark("manifest and form secret");
    manifest.pages = render::router_pages(&site, &theme, &render_options)?;
    manifest.strings = crate::router_texts::router_strings(&site).map_err(BuildError::Content)?;
    // The router's own check, before anything is written: a site that
    // builds is a site the router starts on.
    manifest.check()?;
    timings.mark("router pages, strings and manifest check");
    Ok(Prepared {
        started,
        timings,
        site,
        theme,
        manifest,
        render_options,
        secret_source: secret.source,
        tokens_issued,
    })
}

/// Loads, checks and renders the site under `root`, in memory.
pub fn build(root: &Path, options: &BuildOptions) -> Result<Build, BuildError> {
    let Prepared {
        started,
        mut timings,
        site,
        theme,
        manifest,
        render_options,
        ..
    } = prepare(root, options)?;
    let output = render_site(&site, &theme, &render_options)?;
    timings.mark("render");
    Ok(Build {
        site,
        output,
        manifest,
        elapsed: started.elapsed(),
        timings,
    })
}

/// Builds the site under `root` into `output_dir` (swapped in whole, only
/// once every file is written) and the manifest into `manifest_path`. On any
/// error the output folder and the manifest are left as they were.
pub fn build_to_disk(
    root: &Path,
    options: &BuildOptions,
    output_dir: &Path,
    manifest_path: &Path,
) -> Result<DiskBuild, BuildError> {
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Write { path, source }
    };
    let cancel = options.cancel.as_ref();
    let cancelled = || cancel.is_some_and(Cancel::is_cancelled);
    // What killed builds left (their staging folders, temp files); never a
    // running build's (super::output::leftovers). Only tidying: a build that
    // cannot remove them still builds.
    let _ = leftovers::remove(output_dir, &dot_switchboard::dir(root));
    // Claiming the recycled tree (and reading what the last builds wrote)
    // happens while the content loads; a build that fails gives it back.
    let recycle = dot_switchboard::recycle_dir(root);
    let (prepared, staging) = std::thread::scope(|scope| {
        let staging = scope.spawn(|| Staging::begin(output_dir, Some(&recycle)));
        let prepared = prepare(root, options);
        let staging = staging
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (prepared, staging)
    });
    let Prepared {
        started,
        mut timings,
        site,
        theme,
        manifest,
        render_options,
        secret_source,
        tokens_issued,
    } = prepared?;
    let staging = staging.map_err(write_error(output_dir))?;
    if cancelled() {
        return Err(BuildError::Cancelled);
    }
    // The manifest is written (and synced) to a temp file while the site
    // renders, and renamed into place only after the site is swapped in.
    let (rendered, staged_manifest) = std::thread::scope(|scope| {
        let manifest_thread = scope.spawn(|| {
            // Compact: the router parses it at every cold start, and the
            // indentation of a large manifest is a good part of its size;
            // `jq .` shows it indented.
            let json = serde_json::to_vec(&manifest).map_err(io::Error::other)?;
            stage_file(manifest_path, &json)
        });
        let sink = Cancellable {
            staging: &staging,
            cancel,
        };
        let rendered = render_site_into(&site, &theme, &render_options, &sink);
        let staged = manifest_thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (rendered, staged)
    });
    // Past this check the build finishes: the swap is two renames.
    if cancelled() {
        return Err(BuildError::Cancelled);
    }
    rendered?;
    let staged_manifest = staged_manifest.map_err(write_error(manifest_path))?;
    timings.mark("render and write the files and the manifest");
    let written = staging.commit().map_err(write_error(output_dir))?;
    timings.mark("swap the site in");
    staged_manifest
        .persist(manifest_path)
        .map_err(|error| error.error)
        .map_err(write_error(manifest_path))?;
    timings.mark("rename the manifest into place");
    if options.print_timings {
        timings.print();
    }
    Ok(DiskBuild {
        site,
        manifest,
        written,
        secret_source,
        tokens_issued,
        elapsed: started.elapsed(),
        timings,
    })
}
