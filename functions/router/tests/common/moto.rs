//! Helpers for the tests against moto's server (`SWITCHBOARD_TEST_AWS`):
//! provisioning a table and queue, a router over them, the delivery worker,
//! and the SQS event Lambda would hand the worker.
#![allow(dead_code)]

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};
use switchboard_router::aws::{AwsClient, AwsConfig, Service};
use switchboard_router::config::StoreConfig;
use switchboard_router::deliver::ses::SesConfig;
use switchboard_router::store::dynamo::DynamoConfig;
// The shared AWS set-up (`switchboard_router::testing`); each test uses some.
#[allow(unused_imports)]
pub use switchboard_router::testing::{
    REGION, aws_config, aws_config_with_ses, create_queue, create_table, provision, provision_with,
    unique, verify_sender,
};
use switchboard_router::worker::DeliveryWorker;
use switchboard_router::{FixedClock, MaildirMailer, Router};

use super::{MONDAY_MORNING_BERLIN, config, form_body, manifest, post_form};

pub const SENDER: &str = "Example Org <forms@example.org>";

/// moto's base URL, from `scripts/test.sh`.
pub fn endpoint() -> String {
    std::env::var("SWITCHBOARD_TEST_AWS")
        .expect("SWITCHBOARD_TEST_AWS is not set: run scripts/test.sh")
}

/// A queue's ARN (for a redrive policy).
pub fn queue_arn(client: &AwsClient, queue_url: &str) -> String {
    let answer = client
        .json_call(
            Service::Sqs,
            "GetQueueAttributes",
            &json!({ "QueueUrl": queue_url, "AttributeNames": ["QueueArn"] }),
        )
        .expect("queue attributes");
    answer["Attributes"]["QueueArn"]
        .as_str()
        .expect("queue arn")
        .into()
}

pub fn router_over(store: &DynamoConfig) -> (tempfile::TempDir, Router) {
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

/// The worker, sending through SES at `ses`.
pub fn worker_over(store: &DynamoConfig, ses: AwsConfig) -> DeliveryWorker {
    DeliveryWorker::new(
        store,
        SesConfig {
            aws: ses,
            configuration_set: None,
        },
        Arc::new(manifest()),
        SENDER.parse().unwrap(),
    )
}

pub async fn post_json(router: &Router, extra: &[(&str, &str)]) -> http::Response<Bytes> {
    let mut req = post_form(form_body(extra));
    req.headers_mut().insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/json"),
    );
    router.handle(req).await
}

/// The queue's waiting messages, as the SQS event Lambda would receive.
pub fn receive_as_event(client: &AwsClient, queue_url: &str) -> Value {
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
                "eventSourceARN": format!("arn:aws:sqs:{REGION}:123456789012:queue"),
                "awsRegion": REGION,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The message item `reference` in the table.
pub fn item(client: &AwsClient, table: &str, reference: &str) -> Value {
    client
        .json_call(
            Service::DynamoDb,
            "GetItem",
            &json!({ "TableName": table, "Key": { "key": { "S": format!("ref#{reference}") } } }),
        )
        .expect("get item")["Item"]
        .clone()
}

/// moto's record of its services' state (`/moto-api/data.json`).
pub fn moto_data(endpoint: &str) -> Value {
    let text = ureq::get(&format!("{endpoint}/moto-api/data.json"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// What moto's SES at `endpoint` has sent with `reference` in it.
pub fn sent_with(endpoint: &str, reference: &str) -> Vec<Value> {
    moto_data(endpoint)["ses"]["RawMessage"]
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

/// The record JSON an item holds.
pub fn record_of(item: &Value) -> Value {
    serde_json::from_str(item["record"]["S"].as_str().expect("a record")).expect("record json")
}
