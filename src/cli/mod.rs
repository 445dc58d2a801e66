//! Command-line parsing and the commands themselves. Library errors get
//! their context here, in words an editor understands.

mod allocator;
mod build;
mod check;
mod environment;
mod init;
mod output_args;
mod serve;
mod submissions;
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
    Check {
        /// Treat missing translations as errors (they are warnings otherwise).
        #[arg(long)]
        strict: bool,
    },
    /// Render the site into the output folder and write the routing manifest.
    Build {
        #[command(flatten)]
        output: output_args::OutputArgs,
    },
    /// Build, then rebuild the output folder whenever the site's files change.
    // Said of every rebuild, not of the one build `build` makes.
    #[command(mut_arg("output", |arg| arg.help("Output folder, replaced whole only when a build succeeds")))]
    Watch {
        #[command(flatten)]
        output: output_args::OutputArgs,
        #[command(flatten)]
        watching: watch::WatchArgs,
    },
    /// Serve the site from memory with live reload and a working contact form,
    /// rebuilding on every change.
    Serve(serve::ServeArgs),
    /// The messages in the local outbox: list, show, export, retry, erase, purge.
    Submissions(submissions::SubmissionsArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Init { dir } => init::run(&dir),
        Command::Check { strict } => {
            allocator::return_freed_memory_at_once();
            check::run(&cli.root, strict)
        }
        Command::Build { output } => {
            allocator::return_freed_memory_at_once();
            build::run(&cli.root, &output)
        }
        Command::Watch { output, watching } => watch::run(&cli.root, &output, &watching),
        Command::Serve(args) => serve::run(&cli.root, &args),
        Command::Submissions(args) => submissions::run(&cli.root, &args),
    }
}
