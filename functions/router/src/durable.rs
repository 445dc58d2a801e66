//! Durable file writes: write a temp file in the same directory, fsync it,
//! rename (or hard-link, to claim a name exactly once) into place, and fsync
//! the directory so the new name survives a crash too.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Atomically replaces `path` with `bytes`.
pub fn write_replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = write_temp(path, bytes)?;
    let res = fs::rename(&tmp, path);
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res?;
    sync_dir(path)
}

/// Atomically creates `path` with `bytes`; fails with `AlreadyExists` if it
/// exists (the hard link is the atomic "first writer wins").
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = write_temp(path, bytes)?;
    let res = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    res?;
    sync_dir(path)
}

/// Moves a file to another name in the same file system, durably.
pub fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    sync_dir(to)?;
    sync_dir(from)
}

fn write_temp(path: &Path, bytes: &[u8]) -> io::Result<std::path::PathBuf> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("path has no parent directory"))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut rnd = [0u8; 6];
    getrandom::fill(&mut rnd).map_err(|e| io::Error::other(e.to_string()))?;
    let suffix: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = dir.join(format!(".{name}.{suffix}.tmp"));
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        // Outbox records hold visitors' messages: readable by the owner only.
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    let res = f.write_all(bytes).and_then(|()| f.sync_all());
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res.map(|()| tmp)
}

fn sync_dir(path: &Path) -> io::Result<()> {
    match path.parent() {
        // Directories can be opened and fsynced on Unix; elsewhere this is a no-op.
        Some(dir) if cfg!(unix) => File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_new_and_move() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.json");
        write_replace(&p, b"1").unwrap();
        write_replace(&p, b"2").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"2");
        assert_eq!(
            write_new(&p, b"3").unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(fs::read(&p).unwrap(), b"2");
        let q = d.path().join("b.json");
        move_file(&p, &q).unwrap();
        assert!(!p.exists() && q.exists());
        // No temp files left behind.
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
