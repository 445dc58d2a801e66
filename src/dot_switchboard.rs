//! The site's build-state folder, `.switchboard/` (git-ignored): where its
//! paths are, and the form secret kept there. It holds the routing manifest,
//! the form secret, the previous output tree the next build recycles, and
//! under `serve` the local outbox and mail (the router's local config names
//! those two).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::output::write_file_atomic;

pub const STATE_DIR: &str = ".switchboard";
/// Environment variable holding the secret that signs form tokens; the
/// deployed router must be given the same value. Read by the CLI only.
pub const FORM_SECRET_ENV: &str = "SWITCHBOARD_FORM_SECRET";
/// The generated secret's file, under the build-state folder.
pub const FORM_SECRET_FILE: &str = "form-secret";
/// The previous output tree, recycled by the next build.
pub const RECYCLE_DIR: &str = "recycle";

/// The secret that signs the form, and where it came from: the build says
/// which, so a site signed with a local secret is not deployed unawares.
#[derive(Clone)]
pub struct FormSecret {
    pub bytes: Vec<u8>,
    pub source: SecretSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    /// `SWITCHBOARD_FORM_SECRET`.
    Environment,
    /// `.switchboard/form-secret`; `generated` when this build created it.
    LocalFile { generated: bool },
}

pub fn dir(root: &Path) -> PathBuf {
    root.join(STATE_DIR)
}

/// Where a build keeps the previous output tree for the next build to reuse.
pub fn recycle_dir(root: &Path) -> PathBuf {
    dir(root).join(RECYCLE_DIR)
}

/// Default path of the routing manifest.
pub fn manifest_path(root: &Path) -> PathBuf {
    dir(root).join(switchboard_router::manifest::MANIFEST_FILE_NAME)
}

/// The form-signing secret: `from_env` (the CLI's `SWITCHBOARD_FORM_SECRET`)
/// when set, otherwise one generated once per site and kept in
/// `.switchboard/form-secret`.
pub fn form_secret(root: &Path, from_env: Option<&str>) -> io::Result<FormSecret> {
    if let Some(secret) = from_env.filter(|s| !s.is_empty()) {
        return Ok(FormSecret {
            bytes: secret.as_bytes().to_vec(),
            source: SecretSource::Environment,
        });
    }
    let path = dir(root).join(FORM_SECRET_FILE);
    let local = |bytes, generated| FormSecret {
        bytes,
        source: SecretSource::LocalFile { generated },
    };
    match fs::read_to_string(&path) {
        Ok(secret) if !secret.trim().is_empty() => {
            Ok(local(secret.trim().as_bytes().to_vec(), false))
        }
        Ok(_) => new_secret(&path).map(|s| local(s, true)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            new_secret(&path).map(|s| local(s, true))
        }
        Err(error) => Err(error),
    }
}

fn new_secret(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    let secret = switchboard_router::hex::hex(&bytes);
    write_file_atomic(path, secret.as_bytes())?;
    Ok(secret.into_bytes())
}
