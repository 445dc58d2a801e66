use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use switchboard::build::{BuildError, BuildOptions, Cancel, DiskBuild, build_to_disk};
use switchboard::dot_switchboard::{self, SecretSource};

use super::environment;
use super::output_args::{OutputArgs, ResolvedOutput};
use super::watch::on_signal;

pub fn run(root: &Path, output: &OutputArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let ResolvedOutput {
        output_dir,
        manifest_path,
    } = output.resolve(root)?;
    // Ctrl-C or SIGTERM cancels the build, which then removes its staging
    // folder and temp files: the previous output stays as it was.
    let cancel = Cancel::default();
    let on_stop = cancel.clone();
    on_signal(move || on_stop.cancel())?;
    let options = BuildOptions {
        cancel: Some(cancel),
        ..environment::build_options()
    };
    let built = match build_to_disk(root, &options, &output_dir, &manifest_path) {
        Ok(built) => built,
        Err(BuildError::Cancelled) => {
            eprintln!(
                "Stopped: nothing was written, {} is unchanged.",
                output_dir.display()
            );
            return Ok(ExitCode::from(130));
        }
        Err(BuildError::Content(diagnostics)) => {
            eprintln!("{diagnostics}");
            eprintln!(
                "Nothing was written: {} is unchanged.",
                output_dir.display()
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(error) => {
            eprintln!("error: {error}");
            eprintln!(
                "Nothing was written: {} is unchanged.",
                output_dir.display()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let files = &built.written.files;
    let pages = files.iter().filter(|p| p.ends_with(".html")).count();
    let vcards = files.iter().filter(|p| p.ends_with(".vcf")).count();
    println!(
        "Built {} files ({} pages, {} vCards, {} KiB) into {} and the routing manifest into {} in {} ms.",
        files.len(),
        pages,
        vcards,
        built.written.bytes.div_ceil(1024),
        output_dir.display(),
        manifest_path.display(),
        started.elapsed().as_millis()
    );
    report_secret(root, &built);
    report_missing_translations(&built);
    // The process ends right after this: freeing a large organisation's
    // model piece by piece (tens of thousands of allocations) would only
    // delay the prompt.
    std::mem::forget(built);
    Ok(ExitCode::SUCCESS)
}

/// One line when a language lacks translations (they fall back to the
/// default language); `check` has the list.
fn report_missing_translations(built: &DiskBuild) {
    let missing: Vec<String> = built
        .site
        .translations
        .iter()
        .filter(|(_, text)| text.missing > 0)
        .map(|(code, text)| format!("{} in {code}", text.missing))
        .collect();
    if !missing.is_empty() {
        println!(
            "Translations missing: {}; they show the default language's text, and `switchboard check` lists them.",
            missing.join(", ")
        );
    }
}

/// Says which secret signed the form (never its value) and until when its
/// pages work, and warns when a site for a deployed router was signed with
/// the secret generated on this machine: the router would refuse every message.
fn report_secret(root: &Path, built: &DiskBuild) {
    let until = chrono::DateTime::from_timestamp(
        built.tokens_issued + i64::from(built.manifest.form.token_max_age_days) * 86_400,
        0,
    )
    .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string());
    let secret_file = dot_switchboard::dir(root).join(dot_switchboard::FORM_SECRET_FILE);
    match built.secret_source {
        SecretSource::Environment => println!(
            "The form is signed with {}; its pages work until {until}: rebuild before then.",
            dot_switchboard::FORM_SECRET_ENV
        ),
        SecretSource::LocalFile { generated } => {
            println!(
                "The form is signed with the local secret in {}{}; its pages work until {until}: rebuild before then.",
                secret_file.display(),
                if generated { " (generated now)" } else { "" }
            );
            let endpoint = &built.site.form.endpoint;
            if !is_local_endpoint(endpoint) {
                eprintln!(
                    "warning: the form posts to {endpoint}, but it was signed with the secret generated on this machine ({}).\n  \
                     The deployed router refuses every message unless its SWITCHBOARD_FORM_SECRET is the same:\n  \
                     set {} to the router's secret for this build, or give the router the value in that file.",
                    secret_file.display(),
                    dot_switchboard::FORM_SECRET_ENV
                );
            }
        }
    }
}

/// Whether the form posts to this machine (a router for local testing).
fn is_local_endpoint(endpoint: &str) -> bool {
    let Some((_, rest)) = endpoint.split_once("://") else {
        // Site-relative: served by whatever host publishes the site.
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_local_endpoint;

    #[test]
    fn local_endpoints() {
        for local in [
            "http://localhost:8080/api/contact",
            "http://127.0.0.1:9000/",
            "http://[::1]:80/x",
        ] {
            assert!(is_local_endpoint(local), "{local}");
        }
        for remote in [
            "/api/contact",
            "https://abc.lambda-url.eu-west-1.on.aws/",
            "https://localhost.example.org/",
        ] {
            assert!(!is_local_endpoint(remote), "{remote}");
        }
    }
}
