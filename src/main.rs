//! The `switchboard` command: init, check, build (and the editor's loop).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    one_malloc_arena();
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives every thread that allocates its own malloc arena and seldom
/// hands their freed memory back: a build parses on two threads and renders
/// on several, so a 1,000-department build peaked at 84 MB resident with
/// under 50 MB ever live at once. With one arena it peaks at 63 MB and runs
/// no slower (BENCHMARKS.md). Called first, before any thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena() {
    // SAFETY: `mallopt` only sets an allocator parameter; no thread has
    // been started yet, so nothing is allocating concurrently.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}
