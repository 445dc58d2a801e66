//! Helpers for tests that run `switchboard watch` or `serve` as a
//! long-lived child: a guard that kills it on drop, its output as lines to
//! wait for, a tiny HTTP/1.1 client, and polling with deadlines.
//!
//! Everything waits by polling against a generous deadline, never by fixed
//! sleeps, so the tests hold on a loaded 2-core CI machine.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long anything may take before a test gives up.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A running `switchboard` child, killed when dropped.
pub struct Running {
    child: Child,
    /// Every line seen so far (stdout and stderr, interleaved as they came).
    transcript: Arc<Mutex<Vec<String>>>,
    /// Lines before this index were matched by [`Running::wait_for_line`] already.
    cursor: usize,
}

impl Running {
    /// Starts the real binary in `root` with `args`.
    pub fn start(binary: &str, root: &Path, args: &[&str]) -> Running {
        let mut child = Command::new(binary)
            .args(args)
            .current_dir(root)
            .env_remove("SWITCHBOARD_FORM_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start switchboard");
        let transcript = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        for (stream, prefix) in [
            (Box::new(stdout) as Box<dyn Read + Send>, ""),
            (Box::new(stderr), "stderr: "),
        ] {
            let transcript = Arc::clone(&transcript);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let line = format!("{prefix}{line}");
                    transcript.lock().expect("transcript").push(line);
                }
            });
        }
        Running {
            child,
            transcript,
            cursor: 0,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a line containing `needle` (on stdout or stderr) after the
    /// last line this matched, and returns it.
    pub fn wait_for_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            {
                let lines = self.transcript.lock().expect("transcript");
                if let Some(offset) = lines[self.cursor..].iter().position(|l| l.contains(needle)) {
                    self.cursor += offset + 1;
                    return lines[self.cursor - 1].clone();
                }
            }
            assert!(
                Instant::now() < deadline,
                "no line with {needle:?}; output so far:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until some line printed since the start contains `needle`
    /// (order-free: stdout and stderr interleave unpredictably).
    pub fn wait_for_output(&self, needle: &str) {
        poll(&format!("output with {needle:?}"), || {
            self.output().contains(needle).then_some(())
        });
    }

    /// Everything printed so far.
    pub fn output(&self) -> String {
        self.transcript.lock().expect("transcript").join("\n")
    }

    /// Sends SIGTERM (as Ctrl-C would SIGINT) and waits for the exit.
    #[cfg(unix)]
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill failed");
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "did not stop on SIGTERM:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Calls `probe` until it returns `Some`, or panics with `what` after [`DEADLINE`].
pub fn poll<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one raw HTTP/1.1 request (with `Connection: close`) and reads the answer.
/// Raw on purpose: tests must be able to send paths a URL library would clean up.
pub fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(DEADLINE))?;
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

pub fn get(port: u16, target: &str) -> std::io::Result<Response> {
    request(port, "GET", target, &[], b"")
}

fn parse_response(raw: &[u8]) -> std::io::Result<Response> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body).ok_or_else(|| bad("bad chunked body"))?;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// The port in a line like `Serving http://127.0.0.1:PORT/`.
pub fn port_from(line: &str) -> u16 {
    let start = line.find("http://").expect("a URL in the line") + "http://".len();
    let rest = &line[start..];
    let host_port = rest.split('/').next().expect("host:port");
    host_port
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

/// Replaces `from` with `to` in `path` the way vim or JetBrains save: write a
/// temp file beside it, then rename it over the original.
pub fn replace_by_rename(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    let temp = path.with_extension("toml___jb_tmp___");
    std::fs::write(&temp, text.replace(from, to)).expect("write temp");
    std::fs::rename(&temp, path).expect("rename over");
}

/// Replaces `from` with `to` by deleting the file and creating it anew.
pub fn replace_by_delete_and_create(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::remove_file(path).expect("delete");
    std::fs::write(path, text.replace(from, to)).expect("create");
}

/// Replaces `from` with `to` by rewriting the file in place.
pub fn replace_in_place(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replace(from, to)).expect("write");
}
