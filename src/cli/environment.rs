//! The only place the builder reads environment variables: the library
//! takes what they say as arguments, so its behaviour shows in its calls.

use switchboard::build::BuildOptions;
use switchboard::dot_switchboard::FORM_SECRET_ENV;
use switchboard_router::ConfigError;
use switchboard_router::aws::AwsConfig;

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

/// Where and as whom to call AWS (`switchboard submissions --table`): the
/// standard variables, read as the router reads them on Lambda (`AWS_REGION`
/// or `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, `AWS_ENDPOINT_URL[_DYNAMODB|_SQS]`).
pub fn aws_config() -> Result<AwsConfig, ConfigError> {
    switchboard_router::config::aws_from_vars(&|name| {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    })
}
