//! The request path on AWS: median time from POST to answer through
//! `Router::handle` with the DynamoDB + SQS store (the record and its key
//! written by conditional puts, the delivery queued), against the endpoint
//! in `SWITCHBOARD_BENCH_AWS` (moto's server locally; a real region's
//! latency is another matter). Run:
//! `SWITCHBOARD_BENCH_AWS=http://127.0.0.1:5000 cargo bench -p switchboard-router --bench aws_request`
//! (`-- N` for another count). Not a test: it asserts nothing about time.

mod support;

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use switchboard_router::aws::{AwsClient, AwsConfig, Endpoints, Service};
use switchboard_router::config::StoreConfig;
use switchboard_router::store::dynamo::DynamoConfig;
use switchboard_router::{FixedClock, MaildirMailer, Router, RouterConfig};

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let Ok(endpoint) = std::env::var("SWITCHBOARD_BENCH_AWS") else {
        eprintln!(
            "set SWITCHBOARD_BENCH_AWS to an AWS endpoint (e.g. moto's server: scripts/test.sh starts one)"
        );
        std::process::exit(2);
    };
    let aws = AwsConfig {
        region: "eu-west-1".into(),
        access_key_id: "AKIDBENCH".into(),
        secret_access_key: "bench-secret".into(),
        session_token: None,
        endpoints: Endpoints {
            ses: Some(endpoint.clone()),
            dynamodb: Some(endpoint.clone()),
            sqs: Some(endpoint.clone()),
            ssm: Some(endpoint.clone()),
        },
    };
    let client = AwsClient::new(aws.clone());
    let name = format!("bench-{}", std::process::id());
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
        .expect("table");
    let queue = client
        .json_call(Service::Sqs, "CreateQueue", &json!({ "QueueName": name }))
        .expect("queue");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = RouterConfig::local(dir.path(), support::SECRET.to_vec());
    config.sender = "Example Org <forms@example.org>".into();
    config.store = StoreConfig::Dynamo(Box::new(DynamoConfig {
        aws,
        table: name,
        queue_url: queue["QueueUrl"].as_str().expect("queue url").into(),
        retention_days: None,
        max_receives: 8,
    }));
    let unused = Arc::new(MaildirMailer::new(dir.path().join("mail")));
    let clock = Arc::new(FixedClock::at(support::NOW));
    let router = Router::new(support::manifest(), config, unused, clock).expect("router");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    let mut times = Vec::with_capacity(n);
    for i in 0..n + 10 {
        let req = support::submission(i);
        let start = Instant::now();
        let resp = rt.block_on(router.handle(req));
        let took = start.elapsed();
        assert_eq!(resp.status(), 303, "submission {i} was not accepted");
        if i >= 10 {
            times.push(took);
        }
    }
    println!(
        "{}",
        support::summary(
            &format!("POST to answer, DynamoDB + SQS at {endpoint}"),
            &mut times
        )
    );
}
