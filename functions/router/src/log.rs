//! The router's log: one line per event on stderr (CloudWatch on Lambda, the
//! journal under systemd). Lines carry references, ids and outcomes only:
//! never a visitor's name, address or message, never a secret.

use std::io::Write;

/// Writes `switchboard-router: LINE` in one write, so lines from concurrent
/// requests never interleave (`eprintln!` writes each piece on its own).
/// A line that cannot be written is dropped: logging never fails a request.
pub(crate) fn event(line: &str) {
    let mut text = String::with_capacity(line.len() + 21);
    text.push_str("switchboard-router: ");
    text.push_str(line);
    text.push('\n');
    let _ = std::io::stderr().write_all(text.as_bytes());
}
