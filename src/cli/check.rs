use std::path::Path;
use std::process::ExitCode;

use switchboard::model::load_site;

pub fn run(root: &Path) -> anyhow::Result<ExitCode> {
    match load_site(root) {
        Ok(site) => {
            println!(
                "The content is valid: {} departments, {} contacts, {} topics, {} pages.",
                site.departments.len(),
                site.contacts().count(),
                site.topics.len(),
                site.pages.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            Ok(ExitCode::FAILURE)
        }
    }
}
