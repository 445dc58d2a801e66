//! `switchboard serve`: build in memory, serve with live reload and a working
//! contact form, rebuild on every change.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use switchboard::build::{BuildOptions, build};
use switchboard::dot_switchboard;
use switchboard::output::write_file_atomic;
use switchboard::serve::{ContactSettings, DevSite, FORM_ENDPOINT, listen, live};
use switchboard::watch::Watcher;

use super::environment;
use super::watch::{Reporter, WatchArgs, shutdown_signal};

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, short, default_value_t = 8080)]
    port: u16,
    /// Address to listen on. The default is reachable from this computer only.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Open the site in the default browser once it is served.
    #[arg(long)]
    open: bool,
    /// Send the form's messages through this SMTP server instead of writing
    /// them to .switchboard/mail, e.g. smtp://127.0.0.1:2525 or smtps://user:pass@host.
    #[arg(long, value_name = "URL")]
    smtp: Option<String>,
    /// The From address of the form's emails (a real relay may insist on one it knows).
    #[arg(long, value_name = "ADDRESS")]
    sender: Option<String>,
    #[command(flatten)]
    watching: WatchArgs,
}

/// How often messages the mail server refused for now are tried again.
const RETRY_EVERY: Duration = Duration::from_secs(30);
/// After Ctrl-C, how long open connections get to finish.
const GRACE: Duration = Duration::from_secs(3);

pub fn run(root: &Path, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    // Two async workers are enough: the contact form's file work (outbox
    // records, `.eml` files, their fsyncs and group syncs) runs on tokio's
    // blocking pool, so a slow disk never stalls the workers.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    runtime.block_on(serve(root, args))
}

async fn serve(root: &Path, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    // `serve` builds in memory, but what killed builds left in the
    // build-state folder and beside the default output goes now, as a
    // build would remove it (never a running build's).
    let _ = switchboard::output::leftovers::remove(
        &root.join("public"),
        &switchboard::dot_switchboard::dir(root),
    );
    let (listener, address) = bind(args).await?;
    let url = site_url(address);
    let options = BuildOptions {
        form_endpoint: Some(FORM_ENDPOINT.into()),
        extra_origins: origins(address),
        live_reload: Some(live::SCRIPT_PATH.into()),
        parse_cache: Some(Default::default()),
        ..environment::build_options()
    };
    let site = dev_site(root, &options, args)?;

    let watcher = Watcher::new(root, &args.watching.options(Vec::new()))
        .with_context(|| format!("watching {}", root.display()))?;
    let stop = watcher.stop_handle();

    let mut reporter = Reporter::default();
    rebuild(root, &options, &site, &mut reporter, None);
    println!("Serving {url} (Ctrl-C to stop)");
    print_where_messages_go(root, args);
    if args.open {
        open_browser(&url);
    }

    let builder = spawn_rebuilds(root, watcher, options, Arc::clone(&site), reporter)?;
    let retries = spawn_retries(Arc::clone(&site));
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(listen::serve(
        listener,
        site.app(),
        listen::HEADER_TIMEOUT,
        async move {
            let _ = stopping_rx.await;
        },
        GRACE,
    ));
    shutdown_signal().await;
    println!("Stopping…");
    site.close_sockets();
    let _ = stopping_tx.send(());
    stop.stop();
    retries.abort();
    match server.await {
        Ok(true) => {}
        Ok(false) => {
            eprintln!("warning: some connections were still open after {GRACE:?}; closed them")
        }
        Err(error) => eprintln!("warning: the server task failed: {error}"),
    }
    // A build in progress finishes first; it only touches memory, so nothing is left half-written.
    let _ = tokio::task::spawn_blocking(move || builder.join()).await;
    println!("Stopped.");
    Ok(ExitCode::SUCCESS)
}

/// Listens on `--bind` and `--port`; returns the address actually bound
/// (`--port 0` picks one).
async fn bind(args: &ServeArgs) -> anyhow::Result<(tokio::net::TcpListener, SocketAddr)> {
    let address = SocketAddr::new(args.bind, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {address}: pass --port 0 to pick a free port, or another --port"
            )
        })?;
    let address = listener
        .local_addr()
        .context("reading the server's address")?;
    Ok((listener, address))
}

/// The dev server's state: the contact form's router, signing with the
/// build's secret and delivering into `.switchboard/` or through `--smtp`.
fn dev_site(root: &Path, options: &BuildOptions, args: &ServeArgs) -> anyhow::Result<Arc<DevSite>> {
    let state_dir = dot_switchboard::dir(root);
    let form_secret = dot_switchboard::form_secret(root, options.form_secret.as_deref())
        .with_context(|| format!("setting up the form secret in {}", state_dir.display()))?
        .bytes;
    let settings = ContactSettings {
        state_dir,
        form_secret,
        smtp: args.smtp.clone(),
        sender: args.sender.clone(),
        on_routed: Arc::new(|routed| println!("{routed}")),
    };
    DevSite::new(settings).context("setting up the contact form's mail")
}

fn print_where_messages_go(root: &Path, args: &ServeArgs) {
    // Absolute in messages, so an editor can paste it into a file manager.
    let shown_state_dir = std::fs::canonicalize(root)
        .map(|r| dot_switchboard::dir(&r))
        .unwrap_or_else(|_| dot_switchboard::dir(root));
    match &args.smtp {
        None => println!(
            "Form messages land as .eml files in {} (outbox: {}).",
            shown_state_dir.join("mail").display(),
            shown_state_dir.join("outbox").display()
        ),
        Some(_) => println!(
            "Form messages go out through the SMTP server given with --smtp (outbox: {}).",
            shown_state_dir.join("outbox").display()
        ),
    }
}

/// Builds run on their own thread, one at a time; the server keeps
/// answering from the last good build meanwhile.
fn spawn_rebuilds(
    root: &Path,
    mut watcher: Watcher,
    options: BuildOptions,
    site: Arc<DevSite>,
    mut reporter: Reporter,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let root = root.to_path_buf();
    std::thread::Builder::new()
        .name("rebuild".into())
        .spawn(move || {
            while let Some(changes) = watcher.next_batch() {
                for warning in &changes.warnings {
                    eprintln!("warning: {warning}");
                }
                if changes.needs_rebuild() {
                    let what = changes.describe();
                    rebuild(&root, &options, &site, &mut reporter, Some(&what));
                }
            }
        })
        .context("starting the rebuild thread")
}

/// Tries the messages the mail server refused for now again, every [`RETRY_EVERY`].
fn spawn_retries(site: Arc<DevSite>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(RETRY_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            site.retry_pending().await;
        }
    })
}

/// Builds once and hands the result to the server, printing one line.
fn rebuild(
    root: &Path,
    options: &BuildOptions,
    site: &DevSite,
    reporter: &mut Reporter,
    what: Option<&str>,
) {
    let started = Instant::now();
    match build(root, options) {
        Ok(built) => {
            let files = built.output.files.len();
            let router = site.publish(Ok(built));
            // The time until the new pages were served, which is what the editor waits for.
            reporter.built(what, files, started.elapsed());
            // The manifest the mounted router uses goes on disk too, for anyone
            // inspecting routing (or testing it) while serving; only when it
            // changed, and after the pages are out.
            if let Some(manifest) = router.manifest() {
                let path = dot_switchboard::manifest_path(root);
                let written = serde_json::to_vec(manifest)
                    .map_err(io::Error::other)
                    .and_then(|json| write_file_atomic(&path, &json));
                if let Err(error) = written {
                    eprintln!("warning: cannot write {}: {error}", path.display());
                }
            }
            if let Err(error) = router.apply() {
                eprintln!("warning: the contact form cannot work: {error}");
            }
        }
        Err(error) => {
            reporter.failed(
                what,
                &error,
                started.elapsed(),
                "still serving the last good build",
            );
            // Nothing to apply: a failed build keeps the previous router.
            let _ = site.publish(Err(error)).apply();
        }
    }
}

fn site_url(address: SocketAddr) -> String {
    match address.ip() {
        ip if ip.is_unspecified() => format!("http://localhost:{}/", address.port()),
        IpAddr::V6(ip) => format!("http://[{ip}]:{}/", address.port()),
        IpAddr::V4(ip) => format!("http://{ip}:{}/", address.port()),
    }
}

/// Origins a browser may name when posting the form to this server.
fn origins(address: SocketAddr) -> Vec<String> {
    let port = address.port();
    let mut origins = vec![
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("http://[::1]:{port}"),
    ];
    let own = site_url(address).trim_end_matches('/').to_string();
    if !origins.contains(&own) {
        origins.push(own);
    }
    origins
}

fn open_browser(url: &str) {
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    let opened = std::process::Command::new(program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if opened.is_err() {
        eprintln!("Could not open a browser ({program} failed): open {url} yourself.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_origins() {
        let local: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        assert_eq!(site_url(local), "http://127.0.0.1:8080/");
        let any: SocketAddr = "0.0.0.0:9000".parse().expect("addr");
        assert_eq!(site_url(any), "http://localhost:9000/");
        let v6: SocketAddr = "[::1]:81".parse().expect("addr");
        assert_eq!(site_url(v6), "http://[::1]:81/");
        assert!(origins(local).contains(&"http://localhost:8080".to_string()));
        assert_eq!(origins(local).len(), 3);
    }
}
