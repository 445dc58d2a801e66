//! The AWS store and the delivery worker against moto's server (DynamoDB,
//! SQS and SES v2 in one process; `scripts/test.sh` starts it and sets
//! `SWITCHBOARD_TEST_AWS` to its base URL): a POST leaves a record in the
//! table and a message on the queue; the worker sends the routed contact's
//! email; the same POST on a second router gets the same reference and no
//! second email.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::*;
use serde_json::{Value, json};
use switchboard_router::aws::{AwsClient, AwsConfig, Endpoints, Service};
use switchboard_router::config::StoreConfig;
use switchboard_router::deliver::ses::SesConfig;
use switchboard_router::store::dynamo::DynamoConfig;
use switchboard_router::worker::DeliveryWorker;
use switchboard_router::{FixedClock, MaildirMailer, Router};

const SENDER: &str = "Example Org <forms@example.org>";

/// moto's base URL, from `scripts/test.sh`.
fn endpoint() -> String {
    std::env::var("SWITCHBOARD_TEST_AWS")
        .expect("SWITCHBOARD_TEST_AWS is not set: run scripts/test.sh")
}

fn aws(endpoint: &str) -> AwsConfig {
    AwsConfig {
        region: "eu-west-1".into(),
        access_key_id: "AKIDTEST".into(),
        secret_access_key: "test-secret".into(),
        session_token: Some("test-session-token".into()),
        endpoints: Endpoints {
            ses: Some(endpoint.into()),
            dynamodb: Some(endpoint.into()),
            sqs: Some(endpoint.into()),
            ssm: Some(endpoint.into()),
        },
    }
}

/// A fresh table (as the template defines it) and queue, and a verified sender.
fn provision(client: &AwsClient, name: &str, max_receives: u32) -> DynamoConfig {
    client
        .json_call(
            Service::DynamoDb,
            "CreateTable",
            &json!({
                "TableName": name,
                "AttributeDefinitions": [{ "AttributeName": "key", "AttributeType": "S" }],
                "KeySchema": [{ "AttributeName": "key", "KeyType": "HASH" }],
                "BillingMode": "PAY_PER_REQUEST",
            }),
        )
        .expect("table created");
    let queue = client
        .json_call(Service::Sqs, "CreateQueue", &json!({ "QueueName": name }))
        .expect("queue created");
    client
        .rest_post(
            Service::Ses,
            "/v2/email/identities",
            &json!({ "EmailIdentity": "example.org" }),
        )
        .expect("identity created");
    DynamoConfig {
        aws: client.config().clone(),
        table: name.into(),
        queue_url: queue["QueueUrl"].as_str().expect("queue url").into(),
        retention_days: 90,
        max_receives,
    }
}

fn router_over(store: &DynamoConfig) -> (tempfile::TempDir, Router) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.sender = SENDER.into();
    config.store = StoreConfig::Dynamo(Box::new(store.clone()));
    // Never used with this store: a mail directory that must stay empty.
    let unused = Arc::new(MaildirMailer::new(dir.path().join("mail")));
    let clock = Arc::new(FixedClock::at(MONDAY_MORNING_BERLIN));
    let router = Router::new(manifest(), config, unused, clock).expect("router");
    (dir, router)
}

fn worker_over(store: &DynamoConfig, endpoint: &str) -> DeliveryWorker {
    DeliveryWorker::new(
        store,
        SesConfig {
            aws: aws(endpoint),
            configuration_set: None,
        },
        Arc::new(manifest()),
        SENDER.parse().unwrap(),
    )
}

async fn post_json(router: &Router, extra: &[(&str, &str)]) -> http::Response<Bytes> {
    let mut req = post_form(form_body(extra));
    req.headers_mut().insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/json"),
    );
    router.handle(req).await
}

/// The queue's waiting messages, as the SQS event Lambda would receive.
fn receive_as_event(client: &AwsClient, queue_url: &str) -> Value {
    let answer = client
        .json_call(
            Service::Sqs,
            "ReceiveMessage",
            &json!({
                "QueueUrl": queue_url,
                "MaxNumberOfMessages": 10,
                "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
                "AttributeNames": ["ApproximateReceiveCount"],
            }),
        )
        .expect("receive");
    let records: Vec<Value> = answer["Messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            json!({
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": { "ApproximateReceiveCount": m["Attributes"]["ApproximateReceiveCount"] },
                "eventSource": "aws:sqs",
                "awsRegion": "eu-west-1",
            })
        })
        .collect();
    json!({ "Records": records })
}

/// What moto's SES would have sent with `reference` in it.
fn sent_with(endpoint: &str, reference: &str) -> Vec<Value> {
    let text = ureq::get(&format!("{endpoint}/moto-api/data.json"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    data["ses"]["RawMessage"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| {
            m["raw_data"]
                .as_str()
                .is_some_and(|r| r.contains(reference))
        })
        .cloned()
        .collect()
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        switchboard_router::hex::short_sha256([
            format!("{:?}", std::time::SystemTime::now()).as_bytes()
        ])
    )
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto's server (DynamoDB, SQS, SES): run scripts/test.sh"]
async fn a_post_is_kept_queued_and_sent_once_across_instances() {
    let endpoint = endpoint();
    let client = AwsClient::new(aws(&endpoint));
    let store = provision(&client, &unique("kept"), 3);
    let (dir, router) = router_over(&store);

    let first = post_json(&router, &[("sb_idempotency_key", "retry-me-1")]).await;
    assert_eq!(first.status(), 200, "{}", body_text(&first));
    let reference = serde_json::from_slice::<Value>(first.body()).unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_string();
    // Kept in the table, queued, and nothing sent yet: sending is the worker's.
    let item = client
        .json_call(
            Service::DynamoDb,
            "GetItem",
            &json!({ "TableName": store.table, "Key": { "key": { "S": format!("ref#{reference}") } } }),
        )
        .unwrap();
    assert_eq!(item["Item"]["status"]["S"], "queued", "{item}");
    assert_eq!(item["Item"]["topic"]["S"], "sales");
    assert!(item["Item"]["expires_at"]["N"].is_string(), "a TTL: {item}");
    assert!(sent_with(&endpoint, &reference).is_empty());
    assert!(
        !dir.path().join("mail").exists(),
        "no local mail on this store"
    );

    // The worker, with the SQS event Lambda would hand it.
    let event = receive_as_event(&client, &store.queue_url);
    assert_eq!(event["Records"].as_array().unwrap().len(), 1, "{event}");
    let worker = worker_over(&store, &endpoint);
    let answer = worker.handle_queue(&event).await;
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    let sent = sent_with(&endpoint, &reference);
    assert_eq!(sent.len(), 2, "the notification and the acknowledgement");
    assert!(
        sent.iter()
            .any(|m| m["destinations"].to_string().contains("alice@example.org"))
    );

    // The same POST on another instance: the same reference, nothing new queued.
    let (_dir2, other) = router_over(&store);
    let again = post_json(&other, &[("sb_idempotency_key", "retry-me-1")]).await;
    assert_eq!(again.status(), 200, "{}", body_text(&again));
    assert_eq!(
        serde_json::from_slice::<Value>(again.body()).unwrap()["reference"],
        reference.as_str()
    );
    let nothing = receive_as_event(&client, &store.queue_url);
    assert_eq!(nothing["Records"], json!([]), "{nothing}");
    // SQS may deliver a message twice: the second time sends nothing.
    let answer = worker.handle_queue(&event).await;
    assert_eq!(answer["batchItemFailures"], json!([]));
    assert_eq!(sent_with(&endpoint, &reference).len(), 2);

    // Another message with the same key is a conflict, not a replay.
    let conflict = post_json(
        &other,
        &[
            ("sb_idempotency_key", "retry-me-1"),
            ("message", "Something else entirely."),
        ],
    )
    .await;
    assert_eq!(conflict.status(), 409, "{}", body_text(&conflict));
}
