//! The AWS store and the delivery worker against moto's server (DynamoDB,
//! SQS and SES v2 in one process; `scripts/test.sh` starts it and sets
//! `SWITCHBOARD_TEST_AWS` to its base URL): a POST leaves a record in the
//! table and a message on the queue; the worker sends the routed contact's
//! email; the same POST on a second router gets the same reference and no
//! second email.

mod common;

use common::moto::*;
use common::*;
use serde_json::{Value, json};
use switchboard_router::aws::AwsClient;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto's server (DynamoDB, SQS, SES): run scripts/test.sh"]
async fn a_post_is_kept_queued_and_sent_once_across_instances() {
    let endpoint = endpoint();
    let client = AwsClient::new(aws_config(&endpoint));
    let store = provision(&client, &unique("kept"), 3);
    verify_sender(&client);
    let (dir, router) = router_over(&store);

    let first = post_json(&router, &[("sb_idempotency_key", "retry-me-1")]).await;
    assert_eq!(first.status(), 200, "{}", body_text(&first));
    let reference = serde_json::from_slice::<Value>(first.body()).unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_string();
    // Kept in the table, queued, and nothing sent yet: sending is the worker's.
    let kept = item(&client, &store.table, &reference);
    assert_eq!(kept["status"]["S"], "queued", "{kept}");
    assert_eq!(kept["topic"]["S"], "sales");
    assert!(kept["expires_at"]["N"].is_string(), "a TTL: {kept}");
    assert!(sent_with(&endpoint, &reference).is_empty());
    assert!(
        !dir.path().join("mail").exists(),
        "no local mail on this store"
    );

    // The worker, with the SQS event Lambda would hand it.
    let event = receive_as_event(&client, &store.queue_url);
    assert_eq!(event["Records"].as_array().unwrap().len(), 1, "{event}");
    let worker = worker_over(&store, aws_config(&endpoint));
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
