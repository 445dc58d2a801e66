//! The delivery worker when SES misbehaves: DynamoDB and SQS are moto's
//! server (`SWITCHBOARD_TEST_AWS`), SES is a scripted fake on a local port
//! (`common::fake_ses`). Throttling and server errors are retried through
//! the queue until the mail goes out, once; a contact SES never takes is
//! parked after the queue's last receive, moved to the dead-letter queue and
//! reported once to the department inbox and the backup; a malformed request
//! is parked at once; a bounced notification is re-routed.

mod common;

use common::fake_ses::{FakeSes, Reply, Request};
use common::moto::*;
use common::*;
use serde_json::{Value, json};
use switchboard_router::aws::{AwsClient, Service};
use switchboard_router::store::dynamo::DynamoConfig;
use switchboard_router::worker::DeliveryWorker;

const CONTACT: &str = "alice@example.org";
const INBOX: &str = "sales@example.org";
const BACKUP: &str = "bob@example.org";
const VISITOR: &str = "ann@example.net";
/// The visitor's words: never in an alert.
const VISITOR_TEXT: &str = "Please quote forty crates of zanzibar widgets.";

/// moto for the table and queue, `ses` for sending.
struct Rig {
    client: AwsClient,
    store: DynamoConfig,
    worker: DeliveryWorker,
    ses: FakeSes,
}

impl Rig {
    fn new(name: &str, max_receives: u32, queue_attributes: Value) -> Self {
        let moto = endpoint();
        let ses = FakeSes::start();
        let client = AwsClient::new(aws_config(&moto));
        let store = provision_with(&client, &unique(name), max_receives, queue_attributes);
        let worker = worker_over(&store, aws_config_with_ses(&ses.url, &moto));
        Self {
            client,
            store,
            worker,
            ses,
        }
    }

    /// A form POST kept and queued; its reference.
    async fn post(&self) -> String {
        let (_dir, router) = router_over(&self.store);
        let answer = post_json(&router, &[("message", VISITOR_TEXT)]).await;
        assert_eq!(answer.status(), 200, "{}", body_text(&answer));
        serde_json::from_slice::<Value>(answer.body()).unwrap()["reference"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// One receive of the queue as Lambda's event source mapping does it:
    /// the worker's answer, then the handled messages deleted and the
    /// failed ones made visible again at once (the test does not wait out
    /// the worker's backoff). How many messages came, and how many failed.
    async fn lambda_round(&self) -> (usize, usize) {
        let event = receive_as_event(&self.client, &self.store.queue_url);
        let answer = self.worker.handle_queue(&event).await;
        let failed: Vec<&str> = answer["batchItemFailures"]
            .as_array()
            .expect("batchItemFailures")
            .iter()
            .filter_map(|f| f["itemIdentifier"].as_str())
            .collect();
        let records = event["Records"].as_array().unwrap();
        for record in records {
            let (operation, extra) = if failed.contains(&record["messageId"].as_str().unwrap()) {
                ("ChangeMessageVisibility", json!({ "VisibilityTimeout": 0 }))
            } else {
                ("DeleteMessage", json!({}))
            };
            let mut input = json!({
                "QueueUrl": self.store.queue_url,
                "ReceiptHandle": record["receiptHandle"],
            });
            input
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            self.client
                .json_call(Service::Sqs, operation, &input)
                .expect(operation);
        }
        (records.len(), failed.len())
    }

    fn item(&self, reference: &str) -> Value {
        item(&self.client, &self.store.table, reference)
    }
}

fn statuses(requests: &[Request]) -> Vec<u16> {
    requests.iter().map(|r| r.status).collect()
}

/// The alerts among `requests`: one expected, to the inbox and the backup,
/// naming the reference and quoting none of the visitor's words.
fn the_alert(requests: &[Request], reference: &str) -> Request {
    let alerts: Vec<&Request> = requests
        .iter()
        .filter(|r| r.tag("sb_mail") == Some("alert"))
        .collect();
    assert_eq!(alerts.len(), 1, "one alert: {requests:?}");
    let alert = alerts[0].clone();
    assert!(alert.sent());
    assert_eq!(alert.to, [INBOX, BACKUP]);
    let raw = String::from_utf8_lossy(&alert.raw).into_owned();
    let text = alert.delivered().text();
    assert!(text.contains(reference), "{text}");
    for visitor in [VISITOR_TEXT, "zanzibar", "Ann Example", VISITOR] {
        assert!(!raw.contains(visitor), "{visitor} in the alert: {raw}");
        assert!(!text.contains(visitor), "{visitor} in the alert: {text}");
    }
    alert
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto's server (DynamoDB, SQS, SES): run scripts/test.sh"]
async fn throttling_and_a_server_error_are_retried_until_sent_once() {
    let rig = Rig::new("throttled", 8, json!({}));
    rig.ses.script([
        Reply::Throttled,
        Reply::Throttled,
        Reply::Throttled,
        Reply::ServerError,
    ]);
    let reference = rig.post().await;

    let mut rounds = vec![];
    for _ in 0..8 {
        let round = rig.lambda_round().await;
        rounds.push(round);
        if round == (1, 0) {
            break;
        }
    }
    // Four receives handed back, the fifth delivered.
    assert_eq!(rounds, [(1, 1), (1, 1), (1, 1), (1, 1), (1, 0)]);
    assert_eq!(rig.lambda_round().await, (0, 0), "nothing left queued");

    let requests = rig.ses.requests_for(&reference);
    assert_eq!(statuses(&requests), [429, 429, 429, 500, 200, 200]);
    let to_contact: Vec<&Request> = requests.iter().filter(|r| r.is_to(CONTACT)).collect();
    assert_eq!(
        to_contact.len(),
        5,
        "four refused tries, then the one that went"
    );
    assert_eq!(to_contact.iter().filter(|r| r.sent()).count(), 1);
    assert!(to_contact.iter().all(|r| r.tag("sb_mail") == Some("0")));
    let acks: Vec<&Request> = requests.iter().filter(|r| r.is_to(VISITOR)).collect();
    assert_eq!(
        acks.len(),
        1,
        "the acknowledgement once, after the notification"
    );
    assert!(acks[0].sent());
    assert!(requests.iter().all(|r| r.tag("sb_mail") != Some("alert")));

    let item = rig.item(&reference);
    assert_eq!(item["status"]["S"], "delivered", "{item}");
    let record = record_of(&item);
    assert_eq!(record["attempts"], 4, "the receive of the last failure");
    let last = record["last_error"]
        .as_str()
        .expect("the last failure kept");
    assert!(last.contains("HTTP 500 InternalFailure"), "{last}");
    assert_eq!(item["last_error"]["S"], last);
    assert!(record["notes"].is_null(), "no alert: {record}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto's server (DynamoDB, SQS, SES): run scripts/test.sh"]
async fn a_contact_ses_never_takes_goes_to_the_dead_letters_with_one_alert() {
    let moto = endpoint();
    let client = AwsClient::new(aws_config(&moto));
    let dlq_url = create_queue(&client, &unique("faults-dlq"), json!({}));
    let redrive =
        json!({ "deadLetterTargetArn": queue_arn(&client, &dlq_url), "maxReceiveCount": "3" });
    let rig = Rig::new(
        "always-fails",
        3,
        json!({ "RedrivePolicy": redrive.to_string() }),
    );
    rig.ses.fail_for(CONTACT, Reply::ServerError);
    let reference = rig.post().await;

    // Three receives, each handed back: the third is parked (and alerted).
    for receive in 1..=3 {
        assert_eq!(rig.lambda_round().await, (1, 1), "receive {receive}");
        let requests = rig.ses.requests_for(&reference);
        let alerts = requests
            .iter()
            .filter(|r| r.tag("sb_mail") == Some("alert"))
            .count();
        assert_eq!(alerts, usize::from(receive == 3), "receive {receive}");
    }
    // The fourth receive finds it over maxReceiveCount: SQS moves it.
    assert_eq!(rig.lambda_round().await, (0, 0));
    let dead = receive_as_event(&client, &dlq_url);
    let dead = dead["Records"].as_array().unwrap();
    assert_eq!(dead.len(), 1, "in the dead-letter queue: {dead:?}");
    let body: Value = serde_json::from_str(dead[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["reference"], reference.as_str());

    let requests = rig.ses.requests_for(&reference);
    let to_contact: Vec<Request> = requests
        .iter()
        .filter(|r| r.is_to(CONTACT))
        .cloned()
        .collect();
    assert_eq!(statuses(&to_contact), [500, 500, 500], "three receives");
    assert!(
        !requests.iter().any(|r| r.is_to(VISITOR)),
        "no acknowledgement before the contact has it"
    );
    let alert = the_alert(&requests, &reference);
    assert!(alert.delivered().text().contains("InternalFailure"));

    let item = rig.item(&reference);
    assert_eq!(item["status"]["S"], "failed", "{item}");
    let record = record_of(&item);
    assert_eq!(record["attempts"], 3);
    assert!(
        record["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("HTTP 500 InternalFailure")),
        "{record}"
    );
    let notes = record["notes"].to_string();
    assert!(
        notes.contains("alert sent to sales@example.org, bob@example.org"),
        "{notes}"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto's server (DynamoDB, SQS, SES): run scripts/test.sh"]
async fn a_malformed_request_is_parked_at_once_and_alerted() {
    let rig = Rig::new("malformed", 8, json!({}));
    rig.ses.fail_for(CONTACT, Reply::BadRequest);
    let reference = rig.post().await;

    assert_eq!(rig.lambda_round().await, (1, 0), "not handed back");
    assert_eq!(rig.lambda_round().await, (0, 0), "and not received again");
    let requests = rig.ses.requests_for(&reference);
    assert_eq!(statuses(&requests), [400, 200], "one try, then the alert");
    assert!(requests[0].is_to(CONTACT));
    let alert = the_alert(&requests, &reference);
    assert!(alert.delivered().text().contains("BadRequestException"));

    let item = rig.item(&reference);
    assert_eq!(item["status"]["S"], "failed", "{item}");
    let record = record_of(&item);
    assert!(
        record["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("HTTP 400 BadRequestException")),
        "{record}"
    );
}

/// The SNS event SES's event publishing sends for a permanent bounce of
/// `bounced` on mail `mail` of `reference` (`tests/events/sns_ses_bounce.json`).
fn bounce_event(reference: &str, mail: usize, bounced: &str) -> Value {
    let path = format!(
        "{}/tests/events/sns_ses_bounce.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("__REFERENCE__", reference)
        .replace("__MAIL__", &mail.to_string())
        .replace("__BOUNCED__", bounced);
    serde_json::from_str(&text).expect("the fixture's JSON")
}

/// The index of the record's mail of `kind`.
fn mail_index(record: &Value, kind: &str) -> usize {
    record["mails"]
        .as_array()
        .unwrap()
        .iter()
        .position(|m| m["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {record}"))
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto's server (DynamoDB, SQS, SES): run scripts/test.sh"]
async fn a_bounced_notification_is_rerouted_and_a_bounced_acknowledgement_recorded() {
    let rig = Rig::new("bounce", 8, json!({}));
    let reference = rig.post().await;
    assert_eq!(rig.lambda_round().await, (1, 0));
    let sent = rig.ses.requests_for(&reference);
    assert_eq!(statuses(&sent), [200, 200]);
    let record = record_of(&rig.item(&reference));
    let (notification, ack) = (
        mail_index(&record, "notification"),
        mail_index(&record, "acknowledgement"),
    );
    let original = sent
        .iter()
        .find(|r| r.is_to(CONTACT))
        .expect("the notification")
        .clone();
    assert_eq!(
        original.tag("sb_mail"),
        Some(notification.to_string().as_str())
    );

    // The contact's address bounces.
    rig.worker
        .handle_ses_events(&bounce_event(&reference, notification, CONTACT))
        .await;
    let after = rig.ses.requests_for(&reference);
    let new: Vec<Request> = after[sent.len()..].to_vec();
    assert_eq!(
        new.len(),
        2,
        "the notification again, and an alert: {new:?}"
    );
    let rerouted = new
        .iter()
        .find(|r| r.tag("sb_mail") == Some("rerouted"))
        .expect("re-sent");
    assert_eq!(rerouted.to, [INBOX, BACKUP], "not to the bounced address");
    assert_eq!(rerouted.raw, original.raw, "the same message");
    let alert = the_alert(&new, &reference);
    assert!(alert.delivered().text().contains("bounced"));
    let item = rig.item(&reference);
    assert_eq!(item["status"]["S"], "delivered");
    let notes = record_of(&item)["notes"].to_string();
    assert!(
        notes.contains("re-routed to sales@example.org, bob@example.org"),
        "{notes}"
    );

    // SNS delivers the same event again: handled once only.
    rig.worker
        .handle_ses_events(&bounce_event(&reference, notification, CONTACT))
        .await;
    assert_eq!(
        rig.ses.requests_for(&reference).len(),
        after.len(),
        "a repeated bounce sends nothing again"
    );

    // The visitor's address bounces: recorded, nothing sent.
    rig.worker
        .handle_ses_events(&bounce_event(&reference, ack, VISITOR))
        .await;
    assert_eq!(rig.ses.requests_for(&reference).len(), after.len());
    let notes = record_of(&rig.item(&reference))["notes"].to_string();
    assert!(notes.contains("the acknowledgement bounced"), "{notes}");
    assert!(
        notes.contains("re-routed"),
        "the earlier note kept: {notes}"
    );
}
