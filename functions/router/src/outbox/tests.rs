//! The outbox's own promises: keys, keeping, syncing and attempts.

use super::*;
use chrono::Duration;

use crate::deliver::{BlockingMailer, DeliveryError, Envelope};

#[test]
fn references_are_short_and_readable() {
    for _ in 0..100 {
        let r = Outbox::new_reference().unwrap();
        assert!(Outbox::is_reference(&r), "{r}");
    }
    assert!(!Outbox::is_reference("../../etc"));
}

#[test]
fn backoff_grows_and_caps() {
    assert_eq!(backoff(1), Duration::minutes(1));
    assert_eq!(backoff(3), Duration::minutes(4));
    assert_eq!(backoff(30), Duration::minutes(360));
}

#[test]
fn keys_expire_and_first_claim_wins() {
    let d = tempfile::tempdir().unwrap();
    let o = Outbox::open(d.path()).unwrap();
    let now: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
    let k = Outbox::key_id("abc");
    assert_eq!(o.claim_key(&k, "AAAA-BBBB", None, now).unwrap(), Ok(()));
    assert_eq!(
        o.claim_key(&k, "CCCC-DDDD", None, now)
            .unwrap()
            .map_err(|e| e.reference),
        Err("AAAA-BBBB".into())
    );
    assert_eq!(
        o.lookup_key(&k, now)
            .unwrap()
            .map(|e| e.reference)
            .as_deref(),
        Some("AAAA-BBBB")
    );
    let later = now + Duration::hours(KEY_TTL_HOURS + 1);
    assert_eq!(o.lookup_key(&k, later).unwrap(), None);
    assert_eq!(o.claim_key(&k, "CCCC-DDDD", None, later).unwrap(), Ok(()));
}

fn record(key: Option<&str>) -> Record {
    let now: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
    let reference = Outbox::new_reference().unwrap();
    Record::new(reference, key.map(Outbox::key_id), now, vec![])
}

fn now() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

#[test]
fn keep_stores_the_record_and_its_key_and_dedupes() {
    let d = tempfile::tempdir().unwrap();
    let o = Outbox::open(d.path()).unwrap();
    let a = record(Some("k"));
    assert_eq!(o.keep(&a, now()).unwrap(), Kept::Stored);
    assert_eq!(o.load(&a.reference).unwrap().unwrap().1, State::Pending);
    let b = record(Some("k"));
    assert_eq!(
        o.keep(&b, now()).unwrap(),
        Kept::Duplicate(a.reference.clone())
    );
    // The loser's record is gone, the winner's key still maps to it.
    assert_eq!(o.load(&b.reference).unwrap(), None);
    assert_eq!(
        o.lookup_key(&Outbox::key_id("k"), now())
            .unwrap()
            .map(|e| e.reference),
        Some(a.reference.clone())
    );
    // Compact JSON on disk.
    let text = std::fs::read_to_string(o.path(State::Pending, &a.reference)).unwrap();
    assert!(!text.contains('\n'), "{text}");
}

/// The crash-ish case: a record written while a sync that started
/// before it is running is not acknowledged on that sync. `keep` returns
/// only after a sync that started after its write has completed.
#[test]
fn a_record_is_not_acknowledged_before_a_sync_that_covers_it() {
    let d = tempfile::tempdir().unwrap();
    let mut held = None;
    let o = Outbox::open_with(d.path().to_path_buf(), |dirs| {
        let (g, entered, release) = crate::durable::tests::held(dirs);
        held = Some((entered, release));
        g
    })
    .unwrap();
    let (entered, release) = held.unwrap();
    let first = {
        let o = o.clone();
        std::thread::spawn(move || o.keep(&record(None), now()))
    };
    entered.recv().unwrap();
    // The first record's sync is running (held). The second record is
    // written now, after that sync started...
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let second = {
        let o = o.clone();
        std::thread::spawn(move || {
            let r = record(None);
            let kept = o.keep(&r, now());
            let _ = done_tx.send(());
            (r, kept)
        })
    };
    crate::durable::tests::wait_for_waiters(&o.sync, 1);
    // ...and is on disk, but not acknowledged: no sync has covered it.
    assert_eq!(
        std::fs::read_dir(d.path().join("pending")).unwrap().count(),
        2
    );
    assert!(done_rx.try_recv().is_err(), "acknowledged before its sync");
    release.send(()).unwrap();
    assert_eq!(first.join().unwrap().unwrap(), Kept::Stored);
    let (r, kept) = second.join().unwrap();
    assert_eq!(kept.unwrap(), Kept::Stored);
    assert_eq!(o.load(&r.reference).unwrap().unwrap().1, State::Pending);
    // The held sync, then one that started after the second write.
    assert_eq!(o.syncs(), 2);
}

/// A blocking backend that answers from a script and notes what it was given.
struct Scripted {
    answers: std::sync::Mutex<Vec<Result<(), DeliveryError>>>,
    sent: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl Scripted {
    fn new(mut answers: Vec<Result<(), DeliveryError>>) -> Self {
        answers.reverse();
        Self {
            answers: std::sync::Mutex::new(answers),
            sent: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn sent(&self) -> Vec<Vec<u8>> {
        self.sent.lock().unwrap().clone()
    }
}

impl BlockingMailer for Scripted {
    fn send_blocking(&self, _: &Envelope, raw: &[u8]) -> Result<(), DeliveryError> {
        self.sent.lock().unwrap().push(raw.to_vec());
        self.answers.lock().unwrap().pop().unwrap_or(Ok(()))
    }
}

fn two_mails() -> Record {
    let envelope = Envelope {
        from: "forms@example.org".into(),
        to: vec!["ana@example.org".into()],
    };
    let mail = |kind, raw: &str| ComposedMail {
        kind,
        envelope: envelope.clone(),
        raw: raw.as_bytes().to_vec(),
    };
    Record::new(
        Outbox::new_reference().unwrap(),
        None,
        now(),
        vec![
            mail(MailKind::Notification, "notification"),
            mail(MailKind::Acknowledgement, "acknowledgement"),
        ],
    )
}

/// The blocking attempt keeps the async one's rules: no acknowledgement
/// before the notification went out, progress saved after a failure,
/// a retry never repeats a mail that went out, success moves to `sent/`.
#[test]
fn a_blocking_attempt_sends_in_order_and_saves_progress_on_failure() {
    let d = tempfile::tempdir().unwrap();
    let o = Outbox::open(d.path()).unwrap();
    let r = two_mails();
    assert!(matches!(o.keep(&r, now()).unwrap(), Kept::Stored));

    // The notification fails: the acknowledgement is not tried.
    let down = Scripted::new(vec![Err(DeliveryError::Temporary("down".into()))]);
    let a = attempt_blocking(&o, &down, r.clone(), now()).unwrap();
    assert_eq!(a, Attempt::Failed);
    assert_eq!(down.sent(), [b"notification".to_vec()]);
    let (saved, state) = o.load(&r.reference).unwrap().unwrap();
    assert_eq!((state, saved.attempts), (State::Pending, 1));
    assert_eq!(saved.next_attempt_at, now() + backoff(1));

    // The notification goes out, the acknowledgement fails: saved as such.
    let half = Scripted::new(vec![Ok(()), Err(DeliveryError::Temporary("ack".into()))]);
    let a = attempt_blocking(&o, &half, saved, now()).unwrap();
    assert_eq!(a, Attempt::NotificationOnly);
    assert_eq!(half.sent().len(), 2);
    let (saved, state) = o.load(&r.reference).unwrap().unwrap();
    assert_eq!(state, State::Pending);
    assert!(saved.notification_delivered() && !saved.all_delivered());

    // The retry sends the acknowledgement only, and the record is done.
    let up = Scripted::new(vec![]);
    let a = attempt_blocking(&o, &up, saved, now()).unwrap();
    assert_eq!(a, Attempt::Delivered);
    assert_eq!(up.sent(), [b"acknowledgement".to_vec()]);
    assert_eq!(o.load(&r.reference).unwrap().unwrap().1, State::Sent);

    // A permanent failure of the notification gives up on the record.
    let r = two_mails();
    assert!(matches!(o.keep(&r, now()).unwrap(), Kept::Stored));
    let refused = Scripted::new(vec![Err(DeliveryError::Permanent("no".into()))]);
    let a = attempt_blocking(&o, &refused, r.clone(), now()).unwrap();
    assert_eq!(a, Attempt::Parked { permanent: true });
    assert_eq!(o.load(&r.reference).unwrap().unwrap().1, State::Failed);
}

#[test]
fn a_failed_sync_is_not_acknowledged_and_leaves_nothing_to_deliver() {
    let d = tempfile::tempdir().unwrap();
    let o = Outbox::open_with(d.path().to_path_buf(), |dirs| {
        GroupSync::with_hook(
            dirs,
            crate::durable::TestHook(Box::new(|| Err(io::Error::other("disk on fire")))),
        )
    })
    .unwrap();
    let r = record(Some("k"));
    assert!(o.keep(&r, now()).is_err());
    // The visitor hears "failed": the record must not be sent later.
    assert_eq!(o.load(&r.reference).unwrap(), None);
    assert_eq!(o.lookup_key(&Outbox::key_id("k"), now()).unwrap(), None);
}

/// Records written before the router knew languages (no `language`, no
/// `by_language`) still read, in the local outbox and in the AWS table
/// (which keeps the same JSON); new ones keep both.
#[test]
fn records_without_a_language_still_read_and_new_ones_keep_it() {
    let old = r#"{"reference":"AAAA-BBBB","created_at":"2026-03-02T09:00:00Z","key_id":null,
        "attempts":0,"next_attempt_at":"2026-03-02T09:00:00Z","last_error":null,
        "route":{"topic":"sales","department":"sales","contact":"alice"},"mails":[]}"#;
    let record: Record = serde_json::from_str(old).expect("an old record reads");
    assert_eq!(record.language, None);
    assert!(!record.route.as_ref().unwrap().by_language);

    let mut record = record;
    record.language = Some("fr".into());
    if let Some(route) = record.route.as_mut() {
        route.by_language = true;
    }
    let json = serde_json::to_string(&record).unwrap();
    assert!(json.contains("\"language\":\"fr\""), "{json}");
    assert!(json.contains("\"by_language\":true"), "{json}");
    let again: Record = serde_json::from_str(&json).unwrap();
    assert_eq!(again, record);
    // A record routed as usual says nothing about languages routing.
    let plain = serde_json::to_string(&self::record(None)).unwrap();
    assert!(!plain.contains("by_language"), "{plain}");
}
