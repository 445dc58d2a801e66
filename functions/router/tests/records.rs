//! The local outbox as a record of every message: the retry pass purges
//! what is past the manifest's retention (at most hourly), and a message
//! that cannot reach its contact is alerted, once, to the department inbox
//! and the contact's backup.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::Duration;
use common::*;
use switchboard_router::OutboxMode;
use switchboard_router::outbox::Record;

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_refused_notification_is_parked_and_alerted_once_without_the_visitors_text() {
    let mail = tempfile::tempdir().unwrap();
    let mailer = Arc::new(RefusingMailer::new(
        Some("alice@example.org"),
        "550 5.1.1 mailbox unavailable",
        mail.path(),
    ));
    let h = harness_with(mailer.clone(), OutboxMode::Durable);
    let body = form_body(&[("message", "Secret plans for the widget")]);
    let r = h.router.handle(json_post(body)).await;
    assert_eq!(r.status(), 503, "{}", body_text(&r));
    let failed = files(&h.dir.path().join("outbox/failed"));
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(files(&h.dir.path().join("outbox/pending")).is_empty());

    let alerts = read_eml_dir(mail.path());
    assert_eq!(alerts.len(), 1, "one alert");
    let alert = &alerts[0];
    assert_eq!(alert.envelope_to, ["sales@example.org", "bob@example.org"]);
    let text = alert.text();
    let reference = failed[0].trim_end_matches(".json");
    assert!(alert.subject().contains(reference), "{}", alert.subject());
    assert!(text.contains("Buying our products"), "{text}");
    assert!(text.contains("Alice Adams"), "{text}");
    assert!(text.contains("550 5.1.1"), "{text}");
    assert!(text.contains("switchboard submissions retry"), "{text}");
    let raw = String::from_utf8_lossy(&alert.raw);
    for secret in ["Secret plans", "Ann Example", "ann@example.net"] {
        assert!(!raw.contains(secret), "{secret} in the alert: {raw}");
    }
    let record: Record = serde_json::from_slice(
        &std::fs::read(h.dir.path().join("outbox/failed").join(&failed[0])).unwrap(),
    )
    .unwrap();
    assert!(record.alerted(), "{:?}", record.notes);
    assert!(record.notes[0].starts_with("alert sent to sales@example.org, bob@example.org"));

    // Later retry passes leave a failed record alone: no second alert.
    h.clock.advance(Duration::hours(2));
    assert_eq!(h.router.retry_pending().await.attempted, 0);
    assert_eq!(read_eml_dir(mail.path()).len(), 1);
    assert_eq!(mailer.refusals.load(Ordering::SeqCst), 1);
}

/// Rewrites a record's `created_at`, as if it had been kept `days` ago.
fn age(path: &Path, days: i64) {
    let mut record: Record = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    record.created_at -= Duration::days(days);
    std::fs::write(path, serde_json::to_vec(&record).unwrap()).unwrap();
}

#[tokio::test]
async fn the_retry_pass_purges_records_past_retention_hourly_with_their_mail_and_keys() {
    let h = harness();
    let sent = h.dir.path().join("outbox/sent");
    let mut refs = Vec::new();
    for i in 0..3 {
        let body = form_body(&[("message", &format!("Message number {i}"))]);
        let r = h.router.handle(json_post(body)).await;
        assert_eq!(r.status(), 200, "{}", body_text(&r));
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        refs.push(v["reference"].as_str().unwrap().to_string());
    }
    assert_eq!(files(&sent).len(), 3);
    assert_eq!(files(&h.dir.path().join("outbox/keys")).len(), 3);
    // One acknowledgement per address per hour: 3 notifications, 1 acknowledgement.
    assert_eq!(read_eml_dir(&h.maildir()).len(), 4);

    // The first is past the 90 days; the others are not.
    age(&sent.join(format!("{}.json", refs[0])), 91);
    assert_eq!(h.router.retry_pending().await.attempted, 0);
    let mut expected = [format!("{}.json", refs[1]), format!("{}.json", refs[2])];
    expected.sort();
    assert_eq!(files(&sent), expected);
    let left = read_eml_dir(&h.maildir());
    assert_eq!(
        left.len(),
        2,
        "the first message's notification and acknowledgement went"
    );
    assert!(left.iter().all(|m| !m.subject().contains(&refs[0])));
    // Content keys live 15 minutes: the clock has not moved, they stay.
    assert_eq!(files(&h.dir.path().join("outbox/keys")).len(), 3);

    // At most once an hour.
    age(&sent.join(format!("{}.json", refs[1])), 91);
    h.clock.advance(Duration::minutes(30));
    h.router.retry_pending().await;
    assert_eq!(files(&sent).len(), 2);
    h.clock.advance(Duration::minutes(31));
    h.router.retry_pending().await;
    assert_eq!(files(&sent), [format!("{}.json", refs[2])]);
    assert_eq!(read_eml_dir(&h.maildir()).len(), 1);
    // Expired keys went with that purge.
    assert!(files(&h.dir.path().join("outbox/keys")).is_empty());
}
