//! The router's log: one line per event on stderr (CloudWatch on Lambda, the
//! journal under systemd). Lines carry references, ids and outcomes only:
//! never a visitor's name, address or message, never a secret.
//!
//! Events are written as `key=value` words (`event=kept ref=K7QM-3XPD ...`);
//! the server can write them as one JSON object per line instead
//! (`SWITCHBOARD_LOG_FORMAT=json`, for a log shipper).

use std::io::Write;
use std::sync::OnceLock;

/// How each event line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `switchboard-router: event=kept ref=K7QM-3XPD ...`
    #[default]
    Text,
    /// `{"event":"kept","ref":"K7QM-3XPD","time":"2026-...Z",...}`
    Json,
}

/// The format, chosen once at start-up by the host ([`set_format`]).
///
/// A `OnceLock` rather than a value passed along: events are logged from
/// some forty places deep in the library (the outbox, the stores, the
/// delivery worker), most of which have no handle to the router or the
/// server, and threading a logger through every one of them (and through
/// the public `Router::new` that `serve` and the tests call) would change
/// every signature for a setting that never changes while the process
/// runs. It is written at most once, before serving, and never mutated
/// after: a read-only setting, not shared mutable state. Unset (Lambda,
/// `serve`, tests) means text.
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Chooses the format for this process; call once, before serving. `false`
/// if it was already chosen (the first choice stays).
pub fn set_format(format: LogFormat) -> bool {
    FORMAT.set(format).is_ok()
}

/// Writes `switchboard-router: LINE` in one write, so lines from concurrent
/// requests never interleave (`eprintln!` writes each piece on its own).
/// A line that cannot be written is dropped: logging never fails a request.
pub(crate) fn event(line: &str) {
    let text = match FORMAT.get().copied().unwrap_or_default() {
        LogFormat::Text => {
            let mut text = String::with_capacity(line.len() + 21);
            text.push_str("switchboard-router: ");
            text.push_str(line);
            text.push('\n');
            text
        }
        LogFormat::Json => json_line(line, chrono::Utc::now()),
    };
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// The `key=value` words of `line` as a JSON object with a `time`. A word
/// without `key=` continues the value before it (error texts have spaces);
/// words before any key go to `message`.
fn json_line(line: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let mut object = serde_json::Map::new();
    object.insert(
        "time".into(),
        now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            .into(),
    );
    let mut current: Option<(String, String)> = None;
    for word in line.split(' ') {
        let key = word.split_once('=').map(|(k, _)| k).filter(|k| {
            !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        match (key, &mut current) {
            (Some(k), _) => {
                if let Some((k, v)) = current.take() {
                    object.insert(k, v.into());
                }
                current = Some((k.to_string(), word[k.len() + 1..].to_string()));
            }
            (None, Some((_, v))) => {
                v.push(' ');
                v.push_str(word);
            }
            (None, None) => current = Some(("message".into(), word.to_string())),
        }
    }
    if let Some((k, v)) = current {
        object.insert(k, v.into());
    }
    let mut text = serde_json::Value::Object(object).to_string();
    text.push('\n');
    text
}

/// `text` with every word that holds an `@` replaced by `<address>`: a
/// backend's error may quote a recipient (SES: "Email address is not
/// verified: …", SMTP: "550 <…>: Recipient address rejected"), and a
/// visitor's address never reaches a log or a record through it.
pub(crate) fn without_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "<address>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_lines_keep_every_word() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .to_utc();
        let line = super::json_line(
            "event=retry-failed ref=K7QM-3XPD error=Temporary(\"relay down: 451 try later\")",
            now,
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["event"], "retry-failed");
        assert_eq!(v["ref"], "K7QM-3XPD");
        assert_eq!(v["error"], "Temporary(\"relay down: 451 try later\")");
        assert_eq!(v["time"], "2026-03-02T09:00:00.000Z");
        assert!(line.ends_with("}\n") && line.matches('\n').count() == 1);
    }
}
