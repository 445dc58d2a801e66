//! The output flags `build` and `watch` share, and where they point.

use std::path::{Path, PathBuf};

use switchboard::dot_switchboard;

/// `--output` and `--manifest`, flattened into `build` and `watch`.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Output folder, replaced whole only when the build succeeds.
    #[arg(long, short, default_value = "public")]
    output: PathBuf,
    /// Where to write the routing manifest (keep it out of the output folder).
    #[arg(long)]
    manifest: Option<PathBuf>,
}

/// Where a build writes, relative paths resolved against the site.
#[derive(Debug, Clone)]
pub struct ResolvedOutput {
    pub output_dir: PathBuf,
    pub manifest_path: PathBuf,
}

impl OutputArgs {
    /// The output folder and manifest path under `root` (relative paths are
    /// relative to the site, like the content); refuses a manifest inside the
    /// output folder, which would publish it.
    pub fn resolve(&self, root: &Path) -> anyhow::Result<ResolvedOutput> {
        let output_dir = root.join(&self.output);
        let manifest_path = self
            .manifest
            .as_ref()
            .map_or_else(|| dot_switchboard::manifest_path(root), |m| root.join(m));
        if manifest_path.starts_with(&output_dir) {
            anyhow::bail!(
                "the routing manifest {} would be published inside {}: it may hold unpublished addresses, so write it elsewhere",
                manifest_path.display(),
                output_dir.display()
            );
        }
        Ok(ResolvedOutput {
            output_dir,
            manifest_path,
        })
    }

    /// The output folder as given, when it is relative: it may sit inside an
    /// input folder, and its own writes must not trigger builds.
    pub fn ignored_by_watcher(&self) -> Option<PathBuf> {
        self.output.is_relative().then(|| self.output.clone())
    }
}
