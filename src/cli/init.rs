use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

/// The starter site, embedded so `init` works from an installed binary.
const SCAFFOLD: [(&str, &str); 5] = [
    (
        "content/site.toml",
        include_str!("scaffold/content/site.toml"),
    ),
    (
        "content/topics.toml",
        include_str!("scaffold/content/topics.toml"),
    ),
    (
        "content/departments/office.toml",
        include_str!("scaffold/content/departments/office.toml"),
    ),
    (
        "content/pages/about.md",
        include_str!("scaffold/content/pages/about.md"),
    ),
    (".gitignore", include_str!("scaffold/gitignore")),
];

pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    if dir.join("content").exists() {
        bail!(
            "{} already has a content/ folder; init only creates new sites",
            dir.display()
        );
    }
    for (relative, text) in SCAFFOLD {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    fs::create_dir_all(dir.join("static"))
        .with_context(|| format!("creating {}/static", dir.display()))?;
    println!("Created a new site in {}.", dir.display());
    println!(
        "Next: cd {} && switchboard check && switchboard build",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
