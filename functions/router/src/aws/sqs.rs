//! The SQS calls: queue a delivery, and push a failed one's next try back.

use serde_json::json;

use super::{AwsClient, AwsError, Service};

/// Queues `body`; the message's id.
pub fn send(client: &AwsClient, queue_url: &str, body: &str) -> Result<String, AwsError> {
    let answer = client.json_call(
        Service::Sqs,
        "SendMessage",
        &json!({ "QueueUrl": queue_url, "MessageBody": body }),
    )?;
    Ok(answer["MessageId"].as_str().unwrap_or_default().to_string())
}

/// Makes a received message visible again only after `seconds`: the backoff
/// between delivery attempts.
pub fn retry_after(
    client: &AwsClient,
    queue_url: &str,
    receipt_handle: &str,
    seconds: u32,
) -> Result<(), AwsError> {
    client
        .json_call(
            Service::Sqs,
            "ChangeMessageVisibility",
            &json!({
                "QueueUrl": queue_url,
                "ReceiptHandle": receipt_handle,
                "VisibilityTimeout": seconds,
            }),
        )
        .map(|_| ())
}
