//! Command-line parsing and the commands themselves. Library errors get
//! their context here, in words an editor understands.

mod allocator;
mod build;
mod check;
mod init;
mod serve;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Publish your organisation's contact site and route every message to the right person"
)]
pub struct Cli {
    /// The site folder (holding `content/`).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new site in DIR that passes `check` and builds.
    Init { dir: PathBuf },
    /// Check the content and report every problem with its file and line.
    Check,
    /// Render the site into the output folder and write the routing manifest.
    Build {
        /// Output folder, replaced whole only when the build succeeds.
        #[arg(long, short, default_value = "public")]
        output: PathBuf,
        /// Where to write the routing manifest (keep it out of the output folder).
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
    /// Build, then rebuild the output folder whenever the site's files change.
    Watch {
        /// Output folder, replaced whole only when a build succeeds.
        #[arg(long, short, default_value = "public")]
        output: PathBuf,
        /// Where to write the routing manifest (keep it out of the output folder).
        #[arg(long)]
        manifest: Option<PathBuf>,
        #[command(flatten)]
        watching: watch::WatchArgs,
    },
    /// Serve the site from memory with live reload and a working contact form,
    /// rebuilding on every change.
    Serve(serve::ServeArgs),
}

/// `SWITCHBOARD_FORM_SECRET`, the one variable the builder reads; here, so
/// the library takes it as an argument.
fn form_secret_from_env() -> Option<String> {
    std::env::var(switchboard::state::FORM_SECRET_ENV)
        .ok()
        .filter(|s| !s.is_empty())
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Init { dir } => init::run(&dir),
        Command::Check => {
            allocator::return_freed_memory_at_once();
            check::run(&cli.root)
        }
        Command::Build { output, manifest } => {
            allocator::return_freed_memory_at_once();
            build::run(&cli.root, &output, manifest.as_deref())
        }
        Command::Watch {
            output,
            manifest,
            watching,
        } => watch::run(&cli.root, &output, manifest.as_deref(), &watching),
        Command::Serve(args) => serve::run(&cli.root, &args),
    }
}
