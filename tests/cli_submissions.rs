//! `switchboard submissions` on a real outbox: a built fixture site, a few
//! messages accepted by the router library into `.switchboard/outbox` with
//! the mail directory backend, then the real binary.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use switchboard_router::outbox::Record;

const SECRET: &str = "cli-submissions-test-secret-0123456789";

/// A built site whose outbox holds three messages: (reference, name, email, message).
async fn site_with_messages() -> (tempfile::TempDir, Vec<[String; 4]>) {
    let (site, contact, router) = site_router(SECRET, None);
    let messages = send_three(&router, &contact).await;
    (site, messages)
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
    assert!(show.contains("Language:      en"), "{show}");
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
    assert!(text.starts_with("reference,received_at,status,topic,department,contact,visitor_name,visitor_email,phone,company,message,attempts,last_error,language\r\n"));
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.len() == 14), "{rows:?}");
    let vera = rows.iter().find(|r| r[0] == messages[0][0]).unwrap();
    assert_eq!(vera[10], TRICKY, "the message round-trips");
    assert_eq!(vera[6], "Vera Visitor");
    assert_eq!(vera[2], "sent");
    assert_eq!(vera[13], "en", "the language the visitor wrote in");
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
