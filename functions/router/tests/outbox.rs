//! The outbox under concurrency: many submissions at once through the
//! handler, on a multi-threaded runtime, against a real outbox and mail
//! directory. Nothing here measures time: only what is on disk.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;
use common::*;
use http::Request;
use switchboard_router::{FixedClock, MaildirMailer, Router};

fn post_json(body: String) -> Request<Bytes> {
    Request::post("/api/contact")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Bytes::from(body))
        .unwrap()
}

struct Site {
    dir: tempfile::TempDir,
    router: Arc<Router>,
    mailer: MaildirMailer,
}

fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let mailer = MaildirMailer::new(dir.path().join("mail"));
    // Many messages from one client at once: the outbox is under test, not the limits.
    let mut manifest = manifest();
    manifest.form.limits.per_client_per_hour = u32::MAX;
    manifest.form.limits.overall_per_hour = u32::MAX;
    let router = Router::new(
        manifest,
        config(dir.path()),
        Arc::new(mailer.clone()),
        Arc::new(FixedClock::at(MONDAY_MORNING_BERLIN)),
    )
    .unwrap();
    Site {
        dir,
        router: Arc::new(router),
        mailer,
    }
}

/// Sends every body at once; returns each answer's status and reference.
async fn submit_all(router: &Arc<Router>, bodies: Vec<String>) -> Vec<(u16, Option<String>)> {
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let router = Arc::clone(router);
            tokio::spawn(async move {
                let r = router.handle(post_json(body)).await;
                let json: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
                (
                    r.status().as_u16(),
                    json["reference"].as_str().map(str::to_string),
                )
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// References named by the `.eml` files, with how many files name each.
fn mails_by_reference(site: &Site) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for mail in read_eml_dir(&site.dir.path().join("mail")) {
        let reference = mail
            .parsed()
            .header_raw("X-Switchboard-Reference")
            .map(|r| r.trim().to_string())
            .expect("every mail names its reference");
        *out.entry(reference).or_insert(0) += 1;
    }
    out
}

fn files_in(site: &Site, sub: &str) -> HashSet<String> {
    std::fs::read_dir(site.dir.path().join(sub))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submissions_are_all_kept_and_delivered() {
    let site = site();
    let n = 64;
    let bodies = (0..n)
        .map(|i| {
            form_body(&[
                ("message", &format!("Message number {i}")),
                ("email", &format!("visitor{i}@example.net")),
                ("sb_idempotency_key", &format!("key-{i}")),
            ])
        })
        .collect();
    let answers = submit_all(&site.router, bodies).await;

    let references: HashSet<String> = answers
        .iter()
        .map(|(status, reference)| {
            assert_eq!(*status, 200, "every submission is accepted");
            reference.clone().expect("a reference")
        })
        .collect();
    assert_eq!(references.len(), n, "one reference per submission");
    // Every accepted reference: its record in sent/, nothing left pending,
    // and exactly its two mails (notification and acknowledgement).
    let sent = files_in(&site, "outbox/sent");
    for r in &references {
        assert!(sent.contains(&format!("{r}.json")), "record of {r}");
    }
    assert_eq!(sent.len(), n);
    assert!(files_in(&site, "outbox/pending").is_empty());
    let mails = mails_by_reference(&site);
    assert_eq!(mails.len(), n);
    assert!(
        references.iter().all(|r| mails.get(r) == Some(&2)),
        "{mails:?}"
    );
    // No temp file left behind anywhere.
    for sub in ["outbox/pending", "outbox/sent", "outbox/keys", "mail"] {
        assert!(
            files_in(&site, sub).iter().all(|f| !f.ends_with(".tmp")),
            "{sub}"
        );
    }
    // Each submission waited for a group sync of the outbox and two of the
    // mail directory; however they were grouped, none was skipped.
    assert!((1..=n as u64).contains(&site.router.outbox().expect("a local outbox").syncs()));
    assert!((1..=2 * n as u64).contains(&site.mailer.syncs()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_idempotency_key_sent_many_times_at_once_is_kept_and_mailed_once() {
    let site = site();
    let body = form_body(&[("sb_idempotency_key", "same-key")]);
    let answers = submit_all(&site.router, vec![body; 24]).await;

    let references: HashSet<Option<String>> = answers.iter().map(|(_, r)| r.clone()).collect();
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    assert_eq!(references.len(), 1, "one reference for all: {references:?}");
    let reference = references.into_iter().next().flatten().unwrap();
    assert_eq!(
        files_in(&site, "outbox/sent"),
        HashSet::from([format!("{reference}.json")])
    );
    assert!(files_in(&site, "outbox/pending").is_empty());
    assert_eq!(files_in(&site, "outbox/keys").len(), 1);
    assert_eq!(mails_by_reference(&site), HashMap::from([(reference, 2)]));
}

/// A lone request (Lambda answers one at a time) syncs once per step: the
/// group commit adds no wait and skips nothing.
#[tokio::test]
async fn one_submission_alone_syncs_the_outbox_once_and_the_mail_directory_twice() {
    let site = site();
    let answers = submit_all(&site.router, vec![form_body(&[])]).await;
    assert_eq!(answers[0].0, 200);
    assert_eq!(site.router.outbox().expect("a local outbox").syncs(), 1);
    assert_eq!(site.mailer.syncs(), 2);
}
