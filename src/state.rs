//! The site's build-state folder, `.switchboard/` (git-ignored): the routing
//! manifest, the form secret, and under `serve` the local outbox and mail.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::output::write_file_atomic;

pub const STATE_DIR: &str = ".switchboard";
/// Environment variable holding the secret that signs form tokens; the
/// deployed router must be given the same value.
pub const FORM_SECRET_ENV: &str = "SWITCHBOARD_FORM_SECRET";

pub fn dir(root: &Path) -> PathBuf {
    root.join(STATE_DIR)
}

/// Default path of the routing manifest.
pub fn manifest_path(root: &Path) -> PathBuf {
    dir(root).join("routing.json")
}

/// The form-signing secret: from the environment when set, otherwise one
/// generated once per site and kept in `.switchboard/form-secret`.
pub fn form_secret(root: &Path) -> io::Result<Vec<u8>> {
    if let Ok(secret) = std::env::var(FORM_SECRET_ENV) {
        if !secret.is_empty() {
            return Ok(secret.into_bytes());
        }
    }
    let path = dir(root).join("form-secret");
    match fs::read_to_string(&path) {
        Ok(secret) if !secret.trim().is_empty() => Ok(secret.trim().as_bytes().to_vec()),
        Ok(_) => new_secret(&path),
        Err(error) if error.kind() == io::ErrorKind::NotFound => new_secret(&path),
        Err(error) => Err(error),
    }
}

fn new_secret(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_file_atomic(path, secret.as_bytes())?;
    Ok(secret.into_bytes())
}
