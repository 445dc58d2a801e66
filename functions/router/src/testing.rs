//! AWS resources for this workspace's tests and benches, against a local
//! endpoint (moto's server): the credentials, the table in the template's
//! shape, a queue, the verified sender. Compiled only with the
//! `test-support` feature, which the router's and the builder's
//! dev-dependencies turn on; never part of the Lambda binary or a release.

use serde_json::{Value, json};

use crate::aws::{AwsClient, AwsConfig, Endpoints, Service};
use crate::store::dynamo::DynamoConfig;

pub const REGION: &str = "eu-west-1";

/// Test credentials with every service at `endpoint`.
pub fn aws_config(endpoint: &str) -> AwsConfig {
    aws_config_with_ses(endpoint, endpoint)
}

/// Test credentials with SES at `ses`, DynamoDB, SQS and SSM at `rest`.
pub fn aws_config_with_ses(ses: &str, rest: &str) -> AwsConfig {
    AwsConfig {
        region: REGION.into(),
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

/// A table named `name` as the template defines it.
pub fn create_table(client: &AwsClient, name: &str) {
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
}

/// A queue with `attributes` (e.g. a `RedrivePolicy`); its URL.
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

/// A fresh table and queue, both named `name`, as the store's settings.
pub fn provision(client: &AwsClient, name: &str, max_receives: u32) -> DynamoConfig {
    provision_with(client, name, max_receives, json!({}))
}

/// [`provision`] with a queue that has `queue_attributes`.
pub fn provision_with(
    client: &AwsClient,
    name: &str,
    max_receives: u32,
    queue_attributes: Value,
) -> DynamoConfig {
    create_table(client, name);
    DynamoConfig {
        aws: client.config().clone(),
        table: name.into(),
        queue_url: create_queue(client, name, queue_attributes),
        retention_days: None,
        max_receives,
    }
}

/// The sender's domain (`example.org`), verified in SES.
pub fn verify_sender(client: &AwsClient) {
    client
        .rest_post(
            Service::Ses,
            "/v2/email/identities",
            &json!({ "EmailIdentity": "example.org" }),
        )
        .expect("identity created");
}

/// `prefix` and a suffix no other run has: a fresh resource name.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        crate::hex::short_sha256([format!("{:?}", std::time::SystemTime::now()).as_bytes()])
    )
}
