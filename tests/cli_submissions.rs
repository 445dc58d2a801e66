//! `switchboard submissions` on a real outbox: a built fixture site, a few
//! messages accepted by the router library into `.switchboard/outbox` with
//! the mail directory backend, then the real binary.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use common::*;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use switchboard_router::outbox::Record;
use switchboard_router::{MaildirMailer, Router, RouterConfig, RoutingManifest, SystemClock};

const SECRET: &str = "cli-submissions-test-secret-0123456789";
const TRICKY: &str = "Hello, \"team\"\nsecond line, with ümlauts";

fn hidden_value(html: &str, name: &str) -> String {
    let tag = format!("name=\"{name}\" value=\"");
    let start = html.find(&tag).unwrap_or_else(|| panic!("no {name}")) + tag.len();
    let len = html[start..].find('"').expect("end of value");
    html[start..start + len].to_string()
}

fn post(body: &[(&str, &str)]) -> http::Request<Bytes> {
    let body: Vec<String> = body
        .iter()
        .map(|(n, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(n, NON_ALPHANUMERIC),
                utf8_percent_encode(v, NON_ALPHANUMERIC)
            )
        })
        .collect();
    http::Request::post("https://forms.fixture.example/")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Bytes::from(body.join("&")))
        .expect("request")
}

/// A built site whose outbox holds three messages: (reference, name, email, message).
async fn site_with_messages() -> (tempfile::TempDir, Vec<[String; 4]>) {
    let site = site_with(None);
    let built = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("build")
        .current_dir(site.path())
        .env("SWITCHBOARD_FORM_SECRET", SECRET)
        .output()
        .expect("run switchboard build");
    assert!(built.status.success(), "{}", stderr(&built));
    let contact = fs::read_to_string(site.path().join("public/contact/index.html")).unwrap();
    let state = site.path().join(".switchboard");
    let manifest = RoutingManifest::load(state.join("routing.json")).unwrap();
    let mut config = RouterConfig::local(&state, SECRET.as_bytes().to_vec());
    config.sender = "Fixture <forms@fixture.example>".into();
    let mailer = Arc::new(MaildirMailer::new(state.join("mail")));
    let router = Router::new(manifest, config, mailer, Arc::new(SystemClock)).unwrap();
    let form_token = hidden_value(&contact, "sb_form_token");
    let time_token = hidden_value(&contact, "sb_time_token");
    let mut out = Vec::new();
    for (name, email, topic, message) in [
        ("Vera Visitor", "vera@visitor.example", "help", TRICKY),
        (
            "Sam Sample",
            "sam@sample.example",
            "sales",
            "Quote for 40 widgets",
        ),
        (
            "Pia Private",
            "pia@private.example",
            "help",
            "Please forget me soon",
        ),
    ] {
        let fields = [
            ("name", name),
            ("email", email),
            ("topic", topic),
            ("message", message),
            ("website", ""),
            ("sb_form_token", &form_token),
            ("sb_time_token", &time_token),
        ];
        let r = router.handle(post(&fields)).await;
        assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        let reference = v["reference"].as_str().unwrap().to_string();
        out.push([reference, name.into(), email.into(), message.into()]);
    }
    (site, out)
}

fn run(root: &Path, args: &[&str]) -> String {
    let mut all = vec!["submissions"];
    all.extend_from_slice(args);
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(&all)
        .current_dir(root)
        .env("TZ", "UTC")
        .output()
        .expect("run switchboard");
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// RFC 4180 parsing, enough to read back what the export wrote.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("a bare LF ends a line"),
            (false, c) => field.push(c),
        }
    }
    assert!(
        row.is_empty() && field.is_empty(),
        "last line ends with CRLF"
    );
    rows
}

#[tokio::test]
async fn list_show_and_export_read_the_outbox() {
    let (site, messages) = site_with_messages().await;
    let root = site.path();
    let list = run(root, &["list"]);
    assert!(list.lines().all(|l| l.chars().count() <= 80), "{list}");
    assert!(list.starts_with("REFERENCE"), "{list}");
    for m in &messages {
        assert!(list.contains(&m[0]), "{list}");
    }
    assert!(
        !list.contains("Vera"),
        "no visitor data in the listing: {list}"
    );
    let help = run(root, &["list", "--topic", "help", "--status", "sent"]);
    assert_eq!(help.lines().count(), 3, "{help}");
    assert!(!help.contains(&messages[1][0]), "{help}");
    assert_eq!(
        run(root, &["list", "--until", "2000-01-01"])
            .lines()
            .count(),
        1
    );

    let show = run(root, &["show", &messages[0][0]]);
    assert!(
        show.contains("Vera Visitor") && show.contains("second line"),
        "{show}"
    );
    assert!(show.contains("Status:        sent"), "{show}");
    assert!(!show.contains("Content-Type"), "{show}");
    let raw = run(root, &["show", &messages[0][0], "--raw"]);
    assert!(raw.contains("X-Switchboard-Reference"), "{raw}");

    let out = root.join("export.csv");
    run(
        root,
        &[
            "export",
            "--format",
            "csv",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    let bytes = fs::read(&out).unwrap();
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.starts_with("reference,received_at,status,topic,department,contact,visitor_name,visitor_email,phone,company,message,attempts,last_error\r\n"));
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.len() == 13), "{rows:?}");
    let vera = rows.iter().find(|r| r[0] == messages[0][0]).unwrap();
    assert_eq!(vera[10], TRICKY, "the message round-trips");
    assert_eq!(vera[6], "Vera Visitor");
    assert_eq!(vera[2], "sent");
    assert!(
        chrono::DateTime::parse_from_rfc3339(&vera[1]).is_ok(),
        "{}",
        vera[1]
    );

    let jsonl = run(
        root,
        &["export", "--format", "jsonl", "--department", "sales"],
    );
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{jsonl}");
    assert_eq!(lines[0]["message"], "Quote for 40 widgets");
}

#[tokio::test]
async fn retry_erase_and_purge_change_the_outbox() {
    let (site, messages) = site_with_messages().await;
    let root = site.path();
    let outbox = root.join(".switchboard/outbox");
    let mail = root.join(".switchboard/mail");

    // A failed record (as the router parks one) goes back to pending, due now.
    let r0 = &messages[0][0];
    fs::rename(
        outbox.join(format!("sent/{r0}.json")),
        outbox.join(format!("failed/{r0}.json")),
    )
    .unwrap();
    let said = run(root, &["retry", "--failed"]);
    assert!(said.contains(r0), "{said}");
    let record: Record =
        serde_json::from_slice(&fs::read(outbox.join(format!("pending/{r0}.json"))).unwrap())
            .unwrap();
    assert_eq!(record.attempts, 0);
    assert!(!outbox.join(format!("failed/{r0}.json")).exists());
    let again = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["submissions", "retry", r0])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not failed"), "{}", stderr(&again));

    // Erase: nothing of the visitor is left in the outbox or the mail.
    let [r2, name, email, text] = &messages[2];
    let erased = run(root, &["erase", r2]);
    assert!(erased.contains(".eml"), "{erased}");
    assert!(erased.contains(&format!("erased/{r2}.json")), "{erased}");
    let tomb = fs::read_to_string(outbox.join(format!("erased/{r2}.json"))).unwrap();
    assert!(
        tomb.contains("\"status\":\"sent\"") && tomb.contains("\"topic\":\"help\""),
        "{tomb}"
    );
    for (path, bytes) in snapshot_tree(&outbox)
        .into_iter()
        .chain(snapshot_tree(&mail))
    {
        let content = String::from_utf8_lossy(&bytes);
        for secret in [name.as_str(), email.as_str(), text.as_str(), r2.as_str()] {
            if secret == r2 && path.starts_with("erased") {
                continue;
            }
            assert!(!content.contains(secret), "{secret} in {}", path.display());
        }
    }
    let missing = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["submissions", "show", r2])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains(&format!("no record `{r2}`")),
        "{}",
        stderr(&missing)
    );

    // Purge: only what is past the retention goes; a dry run removes nothing.
    let r1 = &messages[1][0];
    let path = outbox.join(format!("sent/{r1}.json"));
    let mut record: Record = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    record.created_at -= chrono::Duration::days(100);
    fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    let before = snapshot_tree(root);
    let dry = run(root, &["purge", "--dry-run"]);
    assert!(dry.contains("Would remove 1 record(s)"), "{dry}");
    assert!(dry.contains(&format!("{r1}.json")), "{dry}");
    assert_eq!(snapshot_tree(root), before, "a dry run removes nothing");
    let done = run(root, &["purge"]);
    assert!(
        done.contains("Retention: 90 days (the built manifest)"),
        "{done}"
    );
    assert!(!path.exists());
    let list = run(root, &["list"]);
    assert!(
        !list.contains(r1.as_str()) && list.contains(r0.as_str()),
        "{list}"
    );
    for (_, bytes) in snapshot_tree(&mail) {
        assert!(!String::from_utf8_lossy(&bytes).contains(r1.as_str()));
    }
}

#[test]
fn a_missing_outbox_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let out = switchboard(dir.path(), &["submissions", "list"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--outbox DIR"), "{}", stderr(&out));
}
