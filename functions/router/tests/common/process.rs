//! `switchboard-server` as a process (tests/server.rs): started from its
//! binary with environment variables, driven with HTTP written by hand, and
//! what it delivered read back from the relays' Maildirs and its outbox.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::SECRET;
use switchboard_router::{Shown, fields, sign_form_token, sign_time_token};

pub const SERVER: &str = env!("CARGO_BIN_EXE_switchboard-server");

// ---------------------------------------------------------------- the process

/// A running server; killed (SIGKILL) when dropped, if still running.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the binary on a free loopback port with the fixture manifest
    /// in `state` (outbox in `state/outbox`), plus `env`.
    pub fn start(state: &Path, env: &[(&str, String)]) -> Server {
        write_manifest(state);
        let mut cmd = Command::new(SERVER);
        cmd.env_clear()
            .env("SWITCHBOARD_LISTEN", "127.0.0.1:0")
            .env(
                "SWITCHBOARD_FORM_SECRET",
                std::str::from_utf8(SECRET).unwrap(),
            )
            .env("SWITCHBOARD_MANIFEST", state.join("routing.json"))
            .env("SWITCHBOARD_OUTBOX_DIR", state.join("outbox"))
            .env("SWITCHBOARD_MAILDIR", state.join("mail"))
            .env("SWITCHBOARD_SENDER", "Example Org <forms@example.org>");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start switchboard-server");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::clone(&log);
        // Drains stderr for the whole run (a full pipe would stall the server).
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line
                    .split_once("event=listening addr=")
                    .and_then(|(_, rest)| rest.split(' ').next())
                {
                    let _ = tx.send(addr.parse::<SocketAddr>().unwrap());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("server did not start: {:?}", log.lock().unwrap()));
        Server { child, addr, log }
    }

    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{signal}");
    }

    /// Waits for the process to exit; its exit code (`None`: killed by a signal).
    pub fn wait(&mut self, within: Duration) -> Option<i32> {
        let until = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < until,
                "still running: {:?}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log_has(&self, needle: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(needle))
    }

    pub fn pending(&self) -> u64 {
        let (status, body) = request(self.addr, &get("/healthz"));
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["ok"], true);
        v["pending"].as_u64().unwrap()
    }

    /// Waits until the outbox has nothing pending.
    pub fn drained(&self, within: Duration) {
        let until = Instant::now() + within;
        while self.pending() > 0 {
            assert!(
                Instant::now() < until,
                "outbox not drained: {:?}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fixture manifest without rate limits (these tests post a lot from one address).
pub fn write_manifest(state: &Path) {
    let mut m: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/manifest.json")).unwrap();
    m["form"]["limits"] = serde_json::json!({
        "per_client_per_hour": 1_000_000,
        "overall_per_hour": 1_000_000,
        "acknowledgement_window_minutes": 60
    });
    std::fs::create_dir_all(state).unwrap();
    std::fs::write(state.join("routing.json"), m.to_string()).unwrap();
}

/// Fast retries for tests: the first after 0.2 s, passes every 0.2 s.
pub fn fast_retries() -> Vec<(&'static str, String)> {
    vec![
        ("SWITCHBOARD_RETRY_SECONDS", "0.2".into()),
        ("SWITCHBOARD_RETRY_BASE_SECONDS", "0.2".into()),
    ]
}

pub fn smtp_env(relay: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SWITCHBOARD_MAIL", "smtp".into()),
        ("SWITCHBOARD_SMTP_URL", format!("smtp://{relay}")),
    ]
}

// ---------------------------------------------------------------- HTTP by hand

/// A valid submission (JSON answer) with its own idempotency key.
pub fn post(key: &str) -> String {
    let issued = chrono::Utc::now().timestamp() - 3600;
    let body = format!(
        "name=Ann+Example&email=ann%40example.net&topic=sales&message=Hello+{key}&website=\
         &{}={}&{}={}&{}={key}",
        fields::FORM_TOKEN,
        sign_form_token(SECRET, "c0ffee1234", issued),
        fields::TIME_TOKEN,
        sign_time_token(SECRET, Shown::AtBuild, issued),
        fields::IDEMPOTENCY_KEY,
    );
    format!(
        "POST /api/contact HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

pub fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
}

/// Sends `raw`, reads the whole answer: (status, body).
pub fn request(addr: SocketAddr, raw: &str) -> (u16, String) {
    try_request(addr, raw).expect("an answer")
}

pub fn try_request(addr: SocketAddr, raw: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(raw.as_bytes())?;
    read_answer(&mut s)
}

pub fn read_answer(s: &mut TcpStream) -> std::io::Result<(u16, String)> {
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {text:?}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}

/// The reference of an accepted submission's JSON answer.
pub fn reference(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["reference"].as_str().unwrap().to_string()
}

// ---------------------------------------------------------------- what was delivered

/// Messages in a Maildir by `X-Switchboard-Reference`: each reference's Message-IDs.
pub fn at_relay(maildir: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for sub in ["new", "cur"] {
        let Ok(rd) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for e in rd {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            let p = mail_parser::MessageParser::default()
                .parse(&bytes)
                .expect("a whole message");
            // Nothing half-written: every message has its body.
            assert!(p.body_text(0).is_some_and(|t| !t.is_empty()));
            if let Some(r) = p.header_raw("X-Switchboard-Reference") {
                out.entry(r.trim().to_string())
                    .or_default()
                    .push(p.message_id().unwrap_or_default().to_string());
            }
        }
    }
    out
}

/// The references in one of the outbox's folders (`pending`, `sent`, `failed`).
pub fn records(state: &Path, folder: &str) -> BTreeSet<String> {
    std::fs::read_dir(state.join("outbox").join(folder))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect()
}
