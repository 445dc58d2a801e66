//! The only place the builder reads environment variables: the library
//! takes what they say as arguments, so its behaviour shows in its calls.

use switchboard::build::BuildOptions;
use switchboard::dot_switchboard::FORM_SECRET_ENV;

/// Set (to anything) to print the phase durations of each build to stderr.
const TIMINGS_ENV: &str = "SWITCHBOARD_TIMINGS";

/// Build options with what the environment says filled in: the form secret
/// and whether to print phase timings. Each command adds its own settings.
pub fn build_options() -> BuildOptions {
    BuildOptions {
        form_secret: form_secret(),
        print_timings: std::env::var_os(TIMINGS_ENV).is_some(),
        ..BuildOptions::default()
    }
}

/// `SWITCHBOARD_FORM_SECRET`, when set and not empty.
fn form_secret() -> Option<String> {
    std::env::var(FORM_SECRET_ENV)
        .ok()
        .filter(|s| !s.is_empty())
}
