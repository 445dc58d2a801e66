use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use switchboard::build::{BuildError, BuildOptions, build_to_disk};
use switchboard::state;

pub fn run(root: &Path, output: &Path, manifest: Option<&Path>) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    // Relative output paths are relative to the site, like the content.
    let output_dir = root.join(output);
    let manifest_path = manifest.map_or_else(|| state::manifest_path(root), |m| root.join(m));
    if manifest_path.starts_with(&output_dir) {
        anyhow::bail!(
            "the routing manifest {} would be published inside {}: it may hold unpublished addresses, so write it elsewhere",
            manifest_path.display(),
            output_dir.display()
        );
    }
    let built = match build_to_disk(root, &BuildOptions::default(), &output_dir, &manifest_path) {
        Ok(built) => built,
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
    // The process ends right after this: freeing a large organisation's
    // model piece by piece (tens of thousands of allocations, ~15 ms at
    // 1,000 departments) would only delay the prompt.
    std::mem::forget(built);
    Ok(ExitCode::SUCCESS)
}
