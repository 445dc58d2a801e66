//! `switchboard-server` as a process: started from its binary with
//! environment variables, driven over TCP, stopped with signals. The SMTP
//! tests need the relay `scripts/test.sh` starts (aiosmtpd filing into a
//! Maildir: `SWITCHBOARD_TEST_SMTP`, `SWITCHBOARD_TEST_MAILDIR`); the "relay
//! down" test starts its own aiosmtpd (`PEERS_PYTHON`, else the peers venv).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::SECRET;
use switchboard_router::{Shown, fields, sign_form_token, sign_time_token};

const SERVER: &str = env!("CARGO_BIN_EXE_switchboard-server");
const NEEDS: &str =
    "SWITCHBOARD_TEST_SMTP / SWITCHBOARD_TEST_MAILDIR are not set: run scripts/test.sh";

// ---------------------------------------------------------------- the process

/// A running server; killed (SIGKILL) when dropped, if still running.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the binary on a free loopback port with the fixture manifest
    /// in `state` (outbox in `state/outbox`), plus `env`.
    fn start(state: &Path, env: &[(&str, String)]) -> Server {
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

    fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{signal}");
    }

    /// Waits for the process to exit; its exit code (`None`: killed by a signal).
    fn wait(&mut self, within: Duration) -> Option<i32> {
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

    fn log_has(&self, needle: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(needle))
    }

    fn pending(&self) -> u64 {
        let (status, body) = request(self.addr, &get("/healthz"));
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["ok"], true);
        v["pending"].as_u64().unwrap()
    }

    /// Waits until the outbox has nothing pending.
    fn drained(&self, within: Duration) {
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
fn write_manifest(state: &Path) {
    let mut m: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/manifest.json")).unwrap();
    m["form"]["limits"] = serde_json::json!({
        "per_client_per_hour": 1_000_000,
        "overall_per_hour": 1_000_000,
        "acknowledgement_window_minutes": 60
    });
    std::fs::create_dir_all(state).unwrap();
    std::fs::write(state.join("routing.json"), m.to_string()).unwrap();
}

/// Fast retries for tests: the first after 0.2 s, passes every 0.2 s.
fn fast_retries() -> Vec<(&'static str, String)> {
    vec![
        ("SWITCHBOARD_RETRY_SECONDS", "0.2".into()),
        ("SWITCHBOARD_RETRY_BASE_SECONDS", "0.2".into()),
    ]
}

fn smtp_env(relay: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SWITCHBOARD_MAIL", "smtp".into()),
        ("SWITCHBOARD_SMTP_URL", format!("smtp://{relay}")),
    ]
}

// ---------------------------------------------------------------- HTTP by hand

/// A valid submission (JSON answer) with its own idempotency key.
fn post(key: &str) -> String {
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

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
}

/// Sends `raw`, reads the whole answer: (status, body).
fn request(addr: SocketAddr, raw: &str) -> (u16, String) {
    try_request(addr, raw).expect("an answer")
}

fn try_request(addr: SocketAddr, raw: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(raw.as_bytes())?;
    read_answer(&mut s)
}

fn read_answer(s: &mut TcpStream) -> std::io::Result<(u16, String)> {
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
fn reference(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["reference"].as_str().unwrap().to_string()
}

// ---------------------------------------------------------------- what was delivered

/// Messages in a Maildir by `X-Switchboard-Reference`: each reference's Message-IDs.
fn at_relay(maildir: &Path) -> BTreeMap<String, Vec<String>> {
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
fn records(state: &Path, folder: &str) -> BTreeSet<String> {
    std::fs::read_dir(state.join("outbox").join(folder))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect()
}

/// Checks that every record sent from `state` reached `maildir` (its
/// messages counted once per Message-ID; the copies beyond one are
/// returned: a crash between the relay's 250 and the move to `sent/`
/// repeats a mail, as the outbox's at-least-once promise says),
/// that every `accepted` reference is among them, and that nothing is left.
fn delivered_once(state: &Path, maildir: &Path, accepted: &BTreeSet<String>) -> usize {
    assert!(records(state, "pending").is_empty());
    assert!(records(state, "failed").is_empty());
    let sent = records(state, "sent");
    let lost: Vec<_> = accepted.difference(&sent).collect();
    assert!(lost.is_empty(), "accepted but not sent: {lost:?}");
    let relay = at_relay(maildir);
    let mut copies = 0;
    for r in &sent {
        let ids = relay
            .get(r)
            .unwrap_or_else(|| panic!("{r} is in sent/ but not at the relay"));
        let distinct: BTreeSet<_> = ids.iter().collect();
        copies += ids.len() - distinct.len();
    }
    copies
}

fn shared_relay() -> (String, PathBuf) {
    (
        std::env::var("SWITCHBOARD_TEST_SMTP").expect(NEEDS),
        PathBuf::from(std::env::var("SWITCHBOARD_TEST_MAILDIR").expect(NEEDS)),
    )
}

// ---------------------------------------------------------------- the tests

#[test]
#[ignore = "needs an SMTP server: run scripts/test.sh"]
fn delivers_a_post_over_smtp_and_answers_healthz() {
    let (relay, maildir) = shared_relay();
    let state = tempfile::tempdir().unwrap();
    let server = Server::start(state.path(), &smtp_env(&relay));
    assert_eq!(server.pending(), 0);
    let (status, body) = request(server.addr, &post("a-1"));
    assert_eq!(status, 200, "{body}");
    let r = reference(&body);
    // The notification and the acknowledgement, delivered within the request.
    assert_eq!(at_relay(&maildir)[&r].len(), 2);
    assert_eq!(server.pending(), 0);
    assert_eq!(records(state.path(), "sent"), BTreeSet::from([r.clone()]));
    // The same key again: the same reference, nothing sent twice.
    let (status, body) = request(server.addr, &post("a-1"));
    assert_eq!((status, reference(&body)), (200, r.clone()));
    assert_eq!(at_relay(&maildir)[&r].len(), 2);
    // The form's token, CORS preflight refused for a foreign origin, any path.
    let (status, body) = request(server.addr, &get("/"));
    assert_eq!(status, 200);
    assert!(body.contains("sb_time_token"), "{body}");
    let preflight = "OPTIONS /x HTTP/1.1\r\nHost: t\r\nOrigin: https://evil.example\r\n\
                     Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n";
    assert_eq!(request(server.addr, preflight).0, 403);
    assert!(server.log_has(&format!("ref={r}")));
}

#[test]
fn slow_clients_are_cut_off_while_others_are_served() {
    let state = tempfile::tempdir().unwrap();
    let server = Server::start(
        state.path(),
        &[
            ("SWITCHBOARD_HEADER_TIMEOUT_SECONDS", "1".into()),
            ("SWITCHBOARD_BODY_TIMEOUT_SECONDS", "1".into()),
        ],
    );
    let addr = server.addr;
    let started = Instant::now();
    // Headers one byte at a time, every 100 ms: never done within the deadline.
    let trickle = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let head = "POST / HTTP/1.1\r\nHost: t\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
        for b in head.bytes() {
            if s.write_all(&[b]).is_err() {
                return started.elapsed();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the server read the whole trickled head");
    });
    // A body that never ends: 10 of 100 bytes.
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled
        .write_all(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 100\r\n\r\nname=Ann&e",
        )
        .unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Meanwhile, a whole submission and a token request are served at once.
    let t = Instant::now();
    let (status, body) = request(addr, &post("slow-1"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(request(addr, &get("/")).0, 200);
    assert!(
        t.elapsed() < Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    // The stalled body: 408 after the body deadline, and the connection closes.
    let (status, _) = read_answer(&mut stalled).unwrap();
    assert_eq!(status, 408);
    let cut_after = trickle.join().unwrap();
    assert!(
        cut_after < Duration::from_secs(4),
        "trickling client cut off after {cut_after:?}"
    );
    assert!(server.log_has("event=body-timeout"));
    // The body cap: declared too large (not read), or too long while read.
    let big = "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
               Content-Length: 10000000\r\n\r\n";
    assert_eq!(request(addr, big).0, 413);
    let chunk = "a".repeat(70_000);
    let chunked = format!(
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    assert_eq!(request(addr, &chunked).0, 413);
    assert_eq!(server.pending(), 0);
}

#[test]
#[ignore = "needs an SMTP server: run scripts/test.sh"]
fn sigterm_finishes_open_requests_and_the_next_start_delivers_what_waits() {
    let (relay, maildir) = shared_relay();
    let state = tempfile::tempdir().unwrap();
    // The relay is unreachable (nothing listens on port 9 here): accepted
    // messages are kept and wait for their retry (records keep their
    // schedule across a restart: short here).
    let env = [smtp_env("127.0.0.1:9"), fast_retries()].concat();
    let mut server = Server::start(state.path(), &env);
    let addr = server.addr;
    // Three requests in flight: headers and half the body sent.
    let mut open: Vec<(TcpStream, String)> = (0..3)
        .map(|i| {
            let raw = post(&format!("term-{i}"));
            let split = raw.len() - 20;
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(&raw.as_bytes()[..split]).unwrap();
            (s, raw[split..].to_string())
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    // No longer accepting...
    assert!(try_request(addr, &get("/healthz")).is_err());
    // ...but the open requests get their answers.
    let mut accepted = BTreeSet::new();
    for (s, rest) in &mut open {
        s.write_all(rest.as_bytes()).unwrap();
        let (status, body) = read_answer(s).unwrap();
        assert_eq!(status, 200, "{body}");
        accepted.insert(reference(&body));
    }
    assert_eq!(server.wait(Duration::from_secs(10)), Some(0));
    assert!(server.log_has("event=shutdown signal=SIGTERM"));
    assert!(server.log_has("event=stopped requests_finished=true"));
    assert_eq!(records(state.path(), "pending"), accepted);
    // The next start, with the relay back: everything waiting goes out.
    let env = [smtp_env(&relay), fast_retries()].concat();
    let server = Server::start(state.path(), &env);
    server.drained(Duration::from_secs(20));
    assert_eq!(delivered_once(state.path(), &maildir, &accepted), 0);
}

#[test]
#[ignore = "needs an SMTP server: run scripts/test.sh"]
fn kill_9_under_load_loses_nothing_accepted() {
    let (relay, maildir) = shared_relay();
    let state = tempfile::tempdir().unwrap();
    let env = [
        smtp_env(&relay),
        fast_retries(),
        vec![("SWITCHBOARD_ACKNOWLEDGE", "false".into())],
    ]
    .concat();
    let mut server = Server::start(state.path(), &env);
    let addr = server.addr;
    let accepted = Arc::new(Mutex::new(BTreeSet::new()));
    let clients: Vec<_> = (0..16)
        .map(|c| {
            let accepted = Arc::clone(&accepted);
            std::thread::spawn(move || {
                for i in 0.. {
                    match try_request(addr, &post(&format!("crash-{c}-{i}"))) {
                        Ok((200, body)) => {
                            accepted.lock().unwrap().insert(reference(&body));
                        }
                        Ok((status, body)) => panic!("{status}: {body}"),
                        // The server is gone.
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    server.signal("KILL");
    assert_eq!(server.wait(Duration::from_secs(5)), None);
    for c in clients {
        c.join().unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();
    assert!(accepted.len() > 16, "only {} accepted", accepted.len());
    // Restart on the same outbox: what was kept goes out, once.
    let server = Server::start(state.path(), &env);
    server.drained(Duration::from_secs(30));
    drop(server);
    let sent = records(state.path(), "sent").len();
    let repeated = delivered_once(state.path(), &maildir, &accepted);
    eprintln!(
        "kill -9: {} accepted, {sent} kept and delivered, {repeated} repeated copies",
        accepted.len()
    );
}

#[test]
#[ignore = "needs an SMTP server: run scripts/test.sh"]
fn a_relay_that_goes_down_and_comes_back_gets_everything_once() {
    let relay = Relay::start();
    let state = tempfile::tempdir().unwrap();
    let env = [
        smtp_env(&relay.addr),
        fast_retries(),
        vec![("SWITCHBOARD_ACKNOWLEDGE", "false".into())],
    ]
    .concat();
    let server = Server::start(state.path(), &env);
    let post_some = |from: usize| -> BTreeSet<String> {
        (from..from + 10)
            .map(|i| {
                let (status, body) = request(server.addr, &post(&format!("down-{i}")));
                assert_eq!(status, 200, "{body}");
                reference(&body)
            })
            .collect()
    };
    let mut accepted = post_some(0);
    assert_eq!(at_relay(&relay.maildir).len(), 10);
    // Down: still accepted (kept durably), waiting in the outbox.
    let relay = relay.stop();
    accepted.extend(post_some(10));
    assert_eq!(server.pending(), 10);
    std::thread::sleep(Duration::from_millis(1000));
    assert!(server.log_has("event=retry-failed"));
    // Back on the same port: the retries deliver them.
    let relay = relay.restart();
    server.drained(Duration::from_secs(30));
    assert_eq!(
        delivered_once(state.path(), &relay.maildir, &accepted),
        0,
        "no copies without a crash"
    );
    assert_eq!(at_relay(&relay.maildir).len(), 20);
}

/// An aiosmtpd of this test's own, filing into its own Maildir.
struct Relay {
    addr: String,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Relay {
    fn start() -> Relay {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Relay {
            addr: format!("127.0.0.1:{port}"),
            maildir,
            _dir: dir,
            child: None,
        }
        .restart()
    }

    fn restart(mut self) -> Relay {
        let python = std::env::var("PEERS_PYTHON").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../target/peers-venv/bin/python"
            )
            .into()
        });
        self.child = Some(
            Command::new(python)
                .args(["-m", "aiosmtpd", "-n", "-l", &self.addr])
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(&self.maildir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start aiosmtpd (PEERS_PYTHON)"),
        );
        let until = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(&self.addr).is_err() {
            assert!(Instant::now() < until, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        self
    }

    fn stop(mut self) -> Relay {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
