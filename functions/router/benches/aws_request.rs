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

use switchboard_router::aws::AwsClient;
use switchboard_router::config::StoreConfig;
use switchboard_router::{FixedClock, MaildirMailer, Router, RouterConfig, testing};

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
    let client = AwsClient::new(testing::aws_config(&endpoint));
    let store = testing::provision(&client, &format!("bench-{}", std::process::id()), 8);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = RouterConfig::local(dir.path(), support::SECRET.to_vec());
    config.sender = "Example Org <forms@example.org>".into();
    config.store = StoreConfig::Dynamo(Box::new(store));
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
