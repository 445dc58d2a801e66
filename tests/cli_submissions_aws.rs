//! `switchboard submissions --table` on the AWS store, against moto's server
//! (`scripts/test.sh` starts it and sets `SWITCHBOARD_TEST_AWS`): a built
//! fixture site, three messages accepted by the router library into a
//! DynamoDB table (and queued on SQS), then the real binary with the
//! standard AWS variables pointing at moto.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use serde_json::{Value, json};
use switchboard_router::aws::{AwsClient, AwsConfig, Service};
use switchboard_router::config::StoreConfig;
use switchboard_router::store::dynamo::DynamoConfig;
use switchboard_router::store::dynamo::table::{Status, Table};
use switchboard_router::testing;

const SECRET: &str = "cli-submissions-aws-secret-0123456789";

fn endpoint() -> String {
    std::env::var("SWITCHBOARD_TEST_AWS")
        .expect("SWITCHBOARD_TEST_AWS is not set: run scripts/test.sh")
}

/// A built site and three messages kept in `store`'s table:
/// (reference, name, email, message).
async fn messages_in(store: &DynamoConfig) -> (tempfile::TempDir, Vec<[String; 4]>) {
    let (site, contact, router) =
        site_router(SECRET, Some(StoreConfig::Dynamo(Box::new(store.clone()))));
    let messages = send_three(&router, &contact).await;
    (site, messages)
}

/// `switchboard submissions --table TABLE ARGS…` with the AWS variables set.
fn submissions(root: &Path, endpoint: &str, table: &str, args: &[&str]) -> Output {
    let mut all = vec!["submissions", "--table", table];
    all.extend_from_slice(args);
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(&all)
        .current_dir(root)
        .env("TZ", "UTC")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env_remove("AWS_ENDPOINT_URL_SQS")
        .output()
        .expect("run switchboard")
}

fn run(root: &Path, endpoint: &str, table: &str, args: &[&str]) -> String {
    let out = submissions(root, endpoint, table, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// Every item in the table, as JSON text.
fn everything(client: &AwsClient, table: &str) -> Vec<String> {
    let answer = client
        .json_call(Service::DynamoDb, "Scan", &json!({ "TableName": table }))
        .expect("scan");
    answer["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto's server: run scripts/test.sh"]
async fn list_export_retry_erase_and_purge_work_on_the_table() {
    let endpoint = endpoint();
    // The router without a session token, as the CLI runs below.
    let client = AwsClient::new(AwsConfig {
        session_token: None,
        ..testing::aws_config(&endpoint)
    });
    let store = testing::provision(&client, &testing::unique("cli-records"), 3);
    let (site, messages) = messages_in(&store).await;
    let (root, table) = (site.path(), store.table.as_str());

    // List: all three, queued (pending, as the local outbox says it).
    let list = run(root, &endpoint, table, &["list"]);
    assert!(list.starts_with("REFERENCE"), "{list}");
    for m in &messages {
        assert!(list.contains(&m[0]), "{list}");
    }
    assert_eq!(list.matches("pending").count(), 3, "{list}");
    assert!(!list.contains("Vera"), "no visitor data in the listing");
    let help = run(root, &endpoint, table, &["list", "--topic", "help"]);
    assert_eq!(help.lines().count(), 3, "{help}");

    // Show and export: the visitor's fields, as the local outbox has them.
    let show = run(root, &endpoint, table, &["show", &messages[0][0]]);
    assert!(
        show.contains("Vera Visitor") && show.contains("second line"),
        "{show}"
    );
    let csv = run(root, &endpoint, table, &["export", "--format", "csv"]);
    assert!(csv.starts_with("reference,received_at,status,topic,department,contact,visitor_name,visitor_email,phone,company,message,attempts,last_error,language\r\n"));
    assert_eq!(csv.matches("\r\n").count(), 4, "{csv}");
    assert!(csv.contains("\"Hello, \"\"team\"\"\nsecond line, with ümlauts\""));
    assert!(csv.contains(",Sam Sample,sam@sample.example,"), "{csv}");
    let jsonl = run(
        root,
        &endpoint,
        table,
        &["export", "--format", "jsonl", "--department", "sales"],
    );
    let line: Value = serde_json::from_str(jsonl.trim()).unwrap();
    assert_eq!(line["message"], "Quote for 40 widgets");
    assert_eq!(line["status"], "pending");

    // Retry: a failed message is queued again, and on the queue.
    let handle = Table {
        client: client.clone(),
        name: table.into(),
    };
    let r0 = &messages[0][0];
    let stored = handle.load(r0).unwrap().unwrap();
    let mut record = stored.record.clone();
    record.attempts = 3;
    record.last_error = Some("554 refused".into());
    assert!(
        handle
            .save(&record, Status::Failed, stored.version)
            .unwrap()
    );
    let no_queue = submissions(root, &endpoint, table, &["retry", "--failed"]);
    assert!(!no_queue.status.success());
    assert!(
        stderr(&no_queue).contains("--queue-url"),
        "{}",
        stderr(&no_queue)
    );
    let said = run(
        root,
        &endpoint,
        table,
        &["--queue-url", &store.queue_url, "retry", "--failed"],
    );
    assert!(said.contains(r0.as_str()), "{said}");
    let again = handle.load(r0).unwrap().unwrap();
    assert_eq!(again.status, Status::Queued);
    assert_eq!(again.record.attempts, 0);
    let received = client
        .json_call(
            Service::Sqs,
            "ReceiveMessage",
            &json!({ "QueueUrl": store.queue_url, "MaxNumberOfMessages": 10 }),
        )
        .unwrap();
    let bodies: Vec<Value> = received["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| serde_json::from_str(m["Body"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        bodies
            .iter()
            .filter(|b| b["reference"] == r0.as_str())
            .count(),
        2,
        "queued when accepted, and again: {bodies:?}"
    );
    let not_failed = submissions(
        root,
        &endpoint,
        table,
        &["--queue-url", &store.queue_url, "retry", r0],
    );
    assert!(
        stderr(&not_failed).contains("not failed"),
        "{}",
        stderr(&not_failed)
    );

    // Erase: a queued message only with --force; then nothing of the visitor.
    let [r2, name, email, text] = &messages[2];
    let all = everything(&client, table).join("\n");
    assert!(
        all.contains(email.as_str()),
        "the record holds the visitor's fields"
    );
    let refused = submissions(root, &endpoint, table, &["erase", r2]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    let erased = run(root, &endpoint, table, &["erase", r2, "--force"]);
    assert!(erased.contains(&format!("ref#{r2}")), "{erased}");
    assert!(erased.contains(&format!("erased#{r2}")), "{erased}");
    let items = everything(&client, table);
    for item in &items {
        for secret in [name.as_str(), email.as_str(), text.as_str()] {
            assert!(!item.contains(secret), "{secret} in {item}");
        }
        if item.contains(r2.as_str()) {
            let item: Value = serde_json::from_str(item).unwrap();
            assert_eq!(item["key"]["S"], format!("erased#{r2}"), "{item}");
            assert_eq!(item["status"]["S"], "queued");
            assert_eq!(item["topic"]["S"], "help");
            assert!(item["expires_at"]["N"].is_string(), "{item}");
        }
    }
    let missing = submissions(root, &endpoint, table, &["show", r2]);
    assert!(
        stderr(&missing).contains(&format!("no record `{r2}`")),
        "{}",
        stderr(&missing)
    );

    // Purge: what is past its expires_at goes now; a dry run removes nothing.
    let r1 = &messages[1][0];
    client
        .json_call(
            Service::DynamoDb,
            "UpdateItem",
            &json!({
                "TableName": table,
                "Key": { "key": { "S": format!("ref#{r1}") } },
                "UpdateExpression": "SET expires_at = :past",
                "ExpressionAttributeValues": { ":past": { "N": "1000" } },
            }),
        )
        .unwrap();
    let dry = run(root, &endpoint, table, &["purge", "--dry-run"]);
    assert!(dry.contains("Would remove 1 record(s)"), "{dry}");
    assert!(dry.contains(&format!("ref#{r1}")), "{dry}");
    assert!(run(root, &endpoint, table, &["list"]).contains(r1.as_str()));
    let done = run(root, &endpoint, table, &["purge"]);
    assert!(done.contains("Removing 1 record(s)"), "{done}");
    let list = run(root, &endpoint, table, &["list"]);
    assert!(
        !list.contains(r1.as_str()) && list.contains(r0.as_str()),
        "{list}"
    );
}
