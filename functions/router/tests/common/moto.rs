//! Helpers for the tests against moto's server (`SWITCHBOARD_TEST_AWS`):
//! provisioning a table and queue, a router over them, the delivery worker,
//! and the SQS event Lambda would hand the worker.
#![allow(dead_code)]

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};
use switchboard_router::aws::{AwsClient, AwsConfig, Endpoints, Service};
use switchboard_router::config::StoreConfig;
use switchboard_router::deliver::ses::SesConfig;
use switchboard_router::store::dynamo::DynamoConfig;
use switchboard_router::worker::DeliveryWorker;
use switchboard_router::{FixedClock, MaildirMailer, Router};

use super::{MONDAY_MORNING_BERLIN, config, form_body, manifest, post_form};

pub const SENDER: &str = "Example Org <forms@example.org>";

/// moto's base URL, from `scripts/test.sh`.
pub fn endpoint() -> String {
    std::env::var("SWITCHBOARD_TEST_AWS")
        .expect("SWITCHBOARD_TEST_AWS is not set: run scripts/test.sh")
}

/// Every service at `endpoint`.
pub fn aws(endpoint: &str) -> AwsConfig {
    aws_with_ses(endpoint, endpoint)
}

/// SES at `ses`, DynamoDB, SQS and SSM at `rest`.
pub fn aws_with_ses(ses: &str, rest: &str) -> AwsConfig {
    AwsConfig {
        region: "eu-west-1".into(),
        access_key_id: "AKIDTEST".into(),
        secret_access_key: "test-secret".into(),
        session_token: Some("test-session-token".into()),
        endpoints: Endpoints {
            ses: Some(ses.into()),
            dynamodb: Some(rest.into()),
            sqs: Some(rest.into()),
            ssm: Some(rest.into()),
        },
    }
}

/// A fresh table (as the template defines it) and queue.
pub fn provision(client: &AwsClient, name: &str, max_receives: u32) -> DynamoConfig {
    provision_with(client, name, max_receives, json!({}))
}

/// A fresh table and a queue with `queue_attributes` (e.g. a `RedrivePolicy`).
pub fn provision_with(
    client: &AwsClient,
    name: &str,
    max_receives: u32,
    queue_attributes: Value,
) -> DynamoConfig {
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
    DynamoConfig {
        aws: client.config().clone(),
        table: name.into(),
        queue_url: create_queue(client, name, queue_attributes),
        retention_days: None,
        max_receives,
    }
}

/// A queue; its URL.
pub fn create_queue(client: &AwsClient, name: &str, attributes: Value) -> String {
    let queue = client
        .json_call(
            Service::Sqs,
            "CreateQueue",
            &json!({ "QueueName": name, "Attributes": attributes }),
        )
        .expect("queue created");
    queue["QueueUrl"].as_str().expect("queue url").into()
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

/// The sender's domain, verified in (moto's) SES.
pub fn verify_sender(client: &AwsClient) {
    client
        .rest_post(
            Service::Ses,
            "/v2/email/identities",
            &json!({ "EmailIdentity": "example.org" }),
        )
        .expect("identity created");
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
                "awsRegion": "eu-west-1",
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

/// The record JSON an item holds.
pub fn record_of(item: &Value) -> Value {
    serde_json::from_str(item["record"]["S"].as_str().expect("a record")).expect("record json")
}

pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        switchboard_router::hex::short_sha256([
            format!("{:?}", std::time::SystemTime::now()).as_bytes()
        ])
    )
}
