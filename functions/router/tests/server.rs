//! `switchboard-server` as a process: started from its binary with
//! environment variables, driven over TCP, stopped with signals. The SMTP
//! tests need the relay `scripts/test.sh` starts (aiosmtpd filing into a
//! Maildir: `SWITCHBOARD_TEST_SMTP`, `SWITCHBOARD_TEST_MAILDIR`), the TLS test
//! its STARTTLS, SMTPS and AUTH peers and their CA (`SWITCHBOARD_TEST_SMTP_CA`);
//! the "relay down" test starts its own aiosmtpd (`PEERS_PYTHON`, else the
//! peers venv). The helpers are in `common/process.rs`.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::*;

const NEEDS: &str =
    "SWITCHBOARD_TEST_SMTP / SWITCHBOARD_TEST_MAILDIR are not set: run scripts/test.sh";

// ---------------------------------------------------------------- what was delivered

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

/// The TLS peers of `scripts/test.sh`, each with its own Maildir: STARTTLS,
/// implicit TLS (SMTPS), STARTTLS with AUTH (their variables' names).
const TLS_PEERS: [(&str, &str, &str); 3] = [
    (
        "STARTTLS",
        "SWITCHBOARD_TEST_SMTP_STARTTLS",
        "SWITCHBOARD_TEST_SMTP_STARTTLS_MAILDIR",
    ),
    (
        "implicit TLS",
        "SWITCHBOARD_TEST_SMTPS",
        "SWITCHBOARD_TEST_SMTPS_MAILDIR",
    ),
    (
        "STARTTLS with AUTH",
        "SWITCHBOARD_TEST_SMTP_AUTH",
        "SWITCHBOARD_TEST_SMTP_AUTH_MAILDIR",
    ),
];

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test.sh"))
}

/// `s` for a URL's user information: everything but RFC 3986's unreserved
/// characters percent-encoded (lettre decodes the user and password).
fn userinfo(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The binary configured only through its environment (`SWITCHBOARD_SMTP_URL`,
/// `SWITCHBOARD_SMTP_CA_FILE` naming the peers' throwaway CA), once per peer:
/// each submission reaches that peer alone, within the request.
#[test]
#[ignore = "needs the TLS SMTP peers: run scripts/test.sh"]
fn delivers_over_starttls_implicit_tls_and_auth_trusting_the_ca_file() {
    let ca = var("SWITCHBOARD_TEST_SMTP_CA");
    let password = var("SWITCHBOARD_TEST_SMTP_AUTH_PASSWORD");
    let [starttls, smtps, auth] = TLS_PEERS.map(|(_, addr, _)| var(addr));
    let urls = [
        format!("smtp://{starttls}?tls=required"),
        format!("smtps://{smtps}"),
        format!(
            "smtp://{}:{}@{auth}?tls=required",
            userinfo(&var("SWITCHBOARD_TEST_SMTP_AUTH_USER")),
            userinfo(&password)
        ),
    ];
    let maildirs = TLS_PEERS.map(|(_, _, dir)| PathBuf::from(var(dir)));
    let run = format!(
        "{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    for (i, url) in urls.into_iter().enumerate() {
        let kind = TLS_PEERS[i].0;
        let state = tempfile::tempdir().unwrap();
        let env = [
            ("SWITCHBOARD_MAIL", "smtp".into()),
            ("SWITCHBOARD_SMTP_URL", url),
            ("SWITCHBOARD_SMTP_CA_FILE", ca.clone()),
        ];
        let server = Server::start(state.path(), &env);
        let (status, body) = request(server.addr, &post(&format!("tls-{i}-{run}")));
        assert_eq!(status, 200, "{kind}: {body}");
        let r = reference(&body);
        // Sent within the request, not kept for a retry.
        let log = || server.log.lock().unwrap().join("\n");
        assert_eq!(server.pending(), 0, "{kind}: {}", log());
        assert_eq!(records(state.path(), "sent"), BTreeSet::from([r.clone()]));
        // The notification and the acknowledgement, at this peer only.
        for (j, maildir) in maildirs.iter().enumerate() {
            let filed = at_relay(maildir).get(&r).map_or(0, Vec::len);
            let want = if i == j { 2 } else { 0 };
            assert_eq!(filed, want, "{kind}: {r} at the {} peer", TLS_PEERS[j].0);
        }
        assert!(!server.log_has(&password), "{kind}: the password is logged");
    }
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
