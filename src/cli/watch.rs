//! `switchboard watch`: rebuild `public/` on every change, and the pieces
//! `serve` shares with it (the watching flags, the one-line reports, Ctrl-C).

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use switchboard::build::{BuildError, BuildOptions, Cancel, build_to_disk};
use switchboard::watch::{StopHandle, WatchOptions, Watcher};

use super::environment;
use super::output_args::{OutputArgs, ResolvedOutput};

/// Flags shared by `watch` and `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct WatchArgs {
    /// Wait this many milliseconds after the last change before rebuilding.
    #[arg(long, value_name = "MS", default_value_t = 200, value_parser = parse_debounce)]
    debounce: u64,
    /// Look for changes by polling every 500 ms instead of OS events (for network
    /// drives, WSL mounts and containers that deliver no events).
    #[arg(long)]
    poll: bool,
}

impl WatchArgs {
    pub fn options(&self, ignored: Vec<std::path::PathBuf>) -> WatchOptions {
        WatchOptions {
            debounce: Duration::from_millis(self.debounce),
            poll: self.poll,
            ignored,
        }
    }
}

/// Refuses 0: a rebuild would start on every half-written file of a save.
fn parse_debounce(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err(
            "must be at least 1 ms: with 0, every half-saved file would start a rebuild (the default is 200)"
                .into(),
        ),
        Ok(ms) if ms > 60_000 => Err("must be at most 60000 ms (one minute)".into()),
        Ok(ms) => Ok(ms),
        Err(_) => Err(format!("`{text}` is not a number of milliseconds")),
    }
}

/// Remembers whether the last build failed, so the next good one can say "fixed".
#[derive(Debug, Default)]
pub struct Reporter {
    failing: bool,
}

impl Reporter {
    /// Prints the one line for a good build of `files` files; `what` is what changed, if anything.
    pub fn built(&mut self, what: Option<&str>, files: usize, elapsed: Duration) {
        let ms = elapsed.as_millis();
        let fixed = if std::mem::take(&mut self.failing) {
            "Fixed: "
        } else {
            ""
        };
        match what {
            Some(what) => {
                println!("{fixed}{what} changed: rebuilt {files} files in {ms} ms.")
            }
            None => println!("{fixed}Built {files} files in {ms} ms."),
        }
    }

    /// Prints the full report (to stderr) and the one line saying what is kept.
    pub fn failed(
        &mut self,
        what: Option<&str>,
        error: &BuildError,
        elapsed: Duration,
        kept: &str,
    ) {
        self.failing = true;
        eprintln!("{error}");
        let ms = elapsed.as_millis();
        match what {
            Some(what) => {
                println!("{what} changed: the build failed after {ms} ms (report above); {kept}.")
            }
            None => println!("The build failed after {ms} ms (report above); {kept}."),
        }
    }
}

/// Stops `handle` and cancels the build in progress on Ctrl-C or SIGTERM
/// (see [`on_signal`]).
pub fn stop_on_signal(handle: StopHandle, cancel: Cancel) -> anyhow::Result<()> {
    on_signal(move || {
        cancel.cancel();
        handle.stop();
    })
}

/// Calls `first` on the first Ctrl-C or SIGTERM, from a thread that lives as
/// long as the process; a second signal exits at once, for a build that
/// hangs (what it leaves, the next build removes). No global state: tokio's
/// signal driver owns the process's handlers, and `first` reaches the build
/// through what it captured (a [`Cancel`], a [`StopHandle`]).
pub fn on_signal(first: impl FnOnce() + Send + 'static) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .context("setting up the Ctrl-C handler")?;
    // Listening starts here, before the thread runs: a signal from now on
    // is handled, not the default death.
    let signals = runtime
        .block_on(async { Signals::new() })
        .context("setting up the Ctrl-C handler")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            runtime.block_on(async move {
                let mut signals = signals;
                signals.next().await;
                first();
                signals.next().await;
                eprintln!("Stopped without waiting for the build.");
                std::process::exit(130);
            })
        })
        .context("starting the Ctrl-C handler")?;
    Ok(())
}

/// SIGINT and SIGTERM, listened to from creation on.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Resolves on the first Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub fn run(root: &Path, output: &OutputArgs, args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let ResolvedOutput {
        output_dir,
        manifest_path,
    } = output.resolve(root)?;
    let ignored = output.ignored_by_watcher();
    let mut watcher = Watcher::new(root, &args.options(ignored.into_iter().collect()))
        .with_context(|| format!("watching {}", root.display()))?;
    let cancel = Cancel::default();
    stop_on_signal(watcher.stop_handle(), cancel.clone())?;
    let kept = format!("{} is unchanged", output_dir.display());
    let mut reporter = Reporter::default();
    let options = BuildOptions {
        parse_cache: Some(Default::default()),
        cancel: Some(cancel),
        ..environment::build_options()
    };
    let rebuild = |what: Option<&str>, reporter: &mut Reporter| {
        let started = Instant::now();
        // A write error (disk full, permissions) is reported like a content
        // error: the previous output is still in place, and the editor may fix it.
        match build_to_disk(root, &options, &output_dir, &manifest_path) {
            Ok(built) => reporter.built(what, built.written.files.len(), started.elapsed()),
            // Stopping: the loop below ends and says so.
            Err(BuildError::Cancelled) => {}
            Err(error) => reporter.failed(what, &error, started.elapsed(), &kept),
        }
    };
    rebuild(None, &mut reporter);
    println!(
        "Watching {} for changes to content/, templates/, static/ and themes/ (Ctrl-C to stop).",
        watcher.root().display()
    );
    while let Some(changes) = watcher.next_batch() {
        for warning in &changes.warnings {
            eprintln!("warning: {warning}");
        }
        if changes.needs_rebuild() {
            rebuild(Some(&changes.describe()), &mut reporter);
        }
    }
    println!("Stopped.");
    Ok(ExitCode::SUCCESS)
}
