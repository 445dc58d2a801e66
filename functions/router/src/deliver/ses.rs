//! Amazon SES v2 `SendEmail` with raw content, through [`crate::aws`]
//! (signed by the official `aws-sigv4` crate): one endpoint, one request shape.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::{BoxFuture, DeliveryError, Envelope, Mailer};
use crate::aws::{AwsClient, AwsConfig, AwsError, Service};

const PATH: &str = "/v2/email/outbound-emails";

/// Where and as whom to call SES; [`crate::RouterConfig::from_env`] fills it
/// from the standard AWS variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesConfig {
    pub aws: AwsConfig,
    /// The configuration set whose event destination reports bounces.
    pub configuration_set: Option<String>,
}

#[derive(Clone)]
pub struct SesMailer {
    client: AwsClient,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(config: SesConfig) -> Self {
        Self {
            client: AwsClient::new(config.aws),
            configuration_set: config.configuration_set,
        }
    }

    /// Sends one message; tags name what it is, so SES's bounce and complaint
    /// events can be matched to the record without reading the message.
    pub fn send_tagged(
        &self,
        envelope: &Envelope,
        raw: &[u8],
        tags: &[(&str, &str)],
    ) -> Result<(), AwsError> {
        let mut body = json!({
            "FromEmailAddress": envelope.from,
            "Destination": { "ToAddresses": envelope.to },
            "Content": { "Raw": { "Data": STANDARD.encode(raw) } },
        });
        if let Some(cs) = &self.configuration_set {
            body["ConfigurationSetName"] = json!(cs);
        }
        if !tags.is_empty() {
            body["EmailTags"] = tags
                .iter()
                .map(|(name, value)| json!({ "Name": name, "Value": value }))
                .collect();
        }
        self.client.rest_post(Service::Ses, PATH, &body).map(|_| ())
    }
}

impl From<AwsError> for DeliveryError {
    fn from(e: AwsError) -> Self {
        if e.is_retryable() {
            DeliveryError::Temporary(e.to_string())
        } else {
            DeliveryError::Permanent(e.to_string())
        }
    }
}

impl Mailer for SesMailer {
    fn send<'a>(
        &'a self,
        envelope: &'a Envelope,
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            // ureq blocks; run it on the blocking pool, not a runtime worker.
            let (this, envelope, raw) = (self.clone(), envelope.clone(), raw.to_vec());
            crate::aws::blocking(Service::Ses, move || this.send_tagged(&envelope, &raw, &[]))
                .await
                .map_err(DeliveryError::from)
        })
    }

    fn kind(&self) -> &'static str {
        "ses"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Endpoints;

    #[test]
    fn endpoint_defaults_to_the_region_and_debug_hides_the_secret() {
        let c = SesConfig {
            aws: AwsConfig {
                region: "eu-west-1".into(),
                access_key_id: "AKID".into(),
                secret_access_key: "verysecret".into(),
                session_token: Some("token".into()),
                endpoints: Endpoints::default(),
            },
            configuration_set: None,
        };
        assert_eq!(
            c.aws.endpoint(Service::Ses),
            "https://email.eu-west-1.amazonaws.com"
        );
        assert!(!format!("{c:?}").contains("verysecret"));
        assert!(!format!("{c:?}").contains("token\""));
    }
}
