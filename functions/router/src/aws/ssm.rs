//! SSM Parameter Store: the form secret, read once at start-up.

use serde_json::json;

use super::{AwsClient, AwsError, Service};

/// The decrypted value of the SecureString parameter `name`.
pub fn secure_parameter(client: &AwsClient, name: &str) -> Result<String, AwsError> {
    let answer = client.json_call(
        Service::Ssm,
        "GetParameter",
        &json!({ "Name": name, "WithDecryption": true }),
    )?;
    answer["Parameter"]["Value"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| AwsError::local(Service::Ssm, "the answer has no Parameter.Value"))
}
