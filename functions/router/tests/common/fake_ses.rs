//! A scripted stand-in for SES v2's `SendEmail` (`POST
//! /v2/email/outbound-emails`) on a local port: it answers from a script
//! (throttling, server errors, a malformed request) or fails every request
//! to one address, and records every request it got, decoded, with the
//! status it answered. std only: a `TcpListener` and a thread.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::Delivered;

/// One answer the fake gives.
#[derive(Debug, Clone)]
pub enum Reply {
    /// `200 {"MessageId": ...}`.
    Sent,
    /// `429 TooManyRequestsException`: SES's sending rate.
    Throttled,
    /// `500 InternalFailure`.
    ServerError,
    /// `400 BadRequestException`: a request SES will never take.
    BadRequest,
}

impl Reply {
    fn status(&self) -> u16 {
        match self {
            Reply::Sent => 200,
            Reply::Throttled => 429,
            Reply::ServerError => 500,
            Reply::BadRequest => 400,
        }
    }

    fn error(&self) -> Option<(&'static str, &'static str)> {
        match self {
            Reply::Sent => None,
            Reply::Throttled => {
                Some(("TooManyRequestsException", "Maximum sending rate exceeded."))
            }
            Reply::ServerError => Some(("InternalFailure", "An internal error occurred.")),
            Reply::BadRequest => Some(("BadRequestException", "Invalid raw message content.")),
        }
    }
}

/// One `SendEmail` request the fake got, and what it answered.
#[derive(Debug, Clone)]
pub struct Request {
    pub to: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub raw: Vec<u8>,
    pub status: u16,
}

impl Request {
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_to(&self, address: &str) -> bool {
        self.to.iter().any(|a| a.eq_ignore_ascii_case(address))
    }

    pub fn sent(&self) -> bool {
        self.status == 200
    }

    /// As a delivered message, for parsing.
    pub fn delivered(&self) -> Delivered {
        Delivered {
            envelope_to: self.to.clone(),
            raw: self.raw.clone(),
        }
    }
}

#[derive(Default)]
struct State {
    /// Answers for the next requests, in order; then [`Reply::Sent`].
    script: VecDeque<Reply>,
    /// Every request to this address gets this answer (the script is not used).
    failing: Option<(String, Reply)>,
    requests: Vec<Request>,
}

/// The fake; its thread lives as long as the test process.
#[derive(Clone)]
pub struct FakeSes {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl FakeSes {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = serve(stream, &shared);
            }
        });
        Self { url, state }
    }

    /// The next requests get these answers, in order (then 200s).
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().unwrap().script.extend(replies);
    }

    /// Every request with `address` among its recipients gets `reply`.
    pub fn fail_for(&self, address: &str, reply: Reply) {
        self.state.lock().unwrap().failing = Some((address.to_string(), reply));
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The requests tagged with `reference`.
    pub fn requests_for(&self, reference: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.tag("sb_ref") == Some(reference))
            .collect()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let path = request_line.split(' ').nth(1).unwrap_or_default();
    let (status, error, answer) = if path == "/v2/email/outbound-emails" {
        answer(state, &body)
    } else {
        (
            404,
            Some("NotFoundException"),
            r#"{"message":"no such path"}"#.into(),
        )
    };
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        if status == 200 { "OK" } else { "Error" },
        answer.len()
    );
    if let Some(kind) = error {
        head.push_str(&format!("x-amzn-ErrorType: {kind}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = stream;
    stream.write_all(head.as_bytes())?;
    stream.write_all(answer.as_bytes())?;
    stream.flush()
}

/// Decides, records and words the answer to one `SendEmail`.
fn answer(state: &Mutex<State>, body: &[u8]) -> (u16, Option<&'static str>, String) {
    let json: Value = serde_json::from_slice(body).unwrap_or_default();
    let to: Vec<String> = json["Destination"]["ToAddresses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    let tags = json["EmailTags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap_or_default().to_string();
            (s("Name"), s("Value"))
        })
        .collect();
    let raw = STANDARD
        .decode(json["Content"]["Raw"]["Data"].as_str().unwrap_or_default())
        .unwrap_or_default();
    let mut state = state.lock().unwrap();
    let reply = match &state.failing {
        Some((address, reply)) if to.iter().any(|a| a.eq_ignore_ascii_case(address)) => {
            reply.clone()
        }
        _ => state.script.pop_front().unwrap_or(Reply::Sent),
    };
    let n = state.requests.len();
    state.requests.push(Request {
        to,
        tags,
        raw,
        status: reply.status(),
    });
    match reply.error() {
        None => (200, None, format!(r#"{{"MessageId":"fake-ses-{n:04}"}}"#)),
        Some((kind, message)) => (
            reply.status(),
            Some(kind),
            format!(r#"{{"message":"{message}"}}"#),
        ),
    }
}
