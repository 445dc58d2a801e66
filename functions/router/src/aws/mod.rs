//! Calls to AWS (SES v2, DynamoDB, SQS, SSM) as JSON requests over ureq,
//! signed by the official `aws-sigv4` crate. Not the AWS SDK: four small
//! request shapes do not need its runtime, and the Lambda binary stays small.
//!
//! Every answer other than success becomes an [`AwsError`] that says whether
//! trying again later can help ([`AwsError::is_retryable`]): throttling,
//! quotas, expired credentials, clock skew and server errors can; a request
//! AWS refused as malformed cannot.

pub mod dynamodb;
mod error;
pub mod sqs;
pub mod ssm;

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use serde_json::Value;

pub use error::AwsError;

const TIMEOUT: Duration = Duration::from_secs(10);

/// The services the router calls, with their signing names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Ses,
    DynamoDb,
    Sqs,
    Ssm,
}

impl Service {
    fn signing_name(self) -> &'static str {
        match self {
            Service::Ses => "ses",
            Service::DynamoDb => "dynamodb",
            Service::Sqs => "sqs",
            Service::Ssm => "ssm",
        }
    }

    /// The public endpoint's host prefix.
    fn host_prefix(self) -> &'static str {
        match self {
            Service::Ses => "email",
            other => other.signing_name(),
        }
    }

    /// How the JSON protocols name a call's target (`X-Amz-Target`).
    fn target_prefix(self) -> &'static str {
        match self {
            Service::Ses => "",
            Service::DynamoDb => "DynamoDB_20120810",
            Service::Sqs => "AmazonSQS",
            Service::Ssm => "AmazonSSM",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Service::Ses => "ses",
            Service::DynamoDb => "dynamodb",
            Service::Sqs => "sqs",
            Service::Ssm => "ssm",
        }
    }
}

/// Where and as whom to call AWS: filled by [`crate::config`] from the
/// standard AWS variables (on Lambda, the function role's credentials).
#[derive(Clone, PartialEq, Eq)]
pub struct AwsConfig {
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Temporary credentials (Lambda's role) come with a session token.
    pub session_token: Option<String>,
    /// Endpoint overrides (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`):
    /// a local stand-in in tests, a VPC endpoint in production.
    pub endpoints: Endpoints,
}

/// Per-service endpoint overrides; `None` means the public endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub ses: Option<String>,
    pub dynamodb: Option<String>,
    pub sqs: Option<String>,
    pub ssm: Option<String>,
}

impl std::fmt::Debug for AwsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsConfig")
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl AwsConfig {
    /// The base URL for `service`, without a trailing `/`.
    pub fn endpoint(&self, service: Service) -> String {
        let custom = match service {
            Service::Ses => &self.endpoints.ses,
            Service::DynamoDb => &self.endpoints.dynamodb,
            Service::Sqs => &self.endpoints.sqs,
            Service::Ssm => &self.endpoints.ssm,
        };
        match custom {
            Some(e) => e.trim_end_matches('/').to_string(),
            None => format!(
                "https://{}.{}.amazonaws.com",
                service.host_prefix(),
                self.region
            ),
        }
    }
}

/// A blocking client for signed JSON calls; cheap to clone.
#[derive(Clone)]
pub struct AwsClient {
    config: AwsConfig,
    agent: ureq::Agent,
}

impl AwsClient {
    pub fn new(config: AwsConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        Self { config, agent }
    }

    pub fn config(&self) -> &AwsConfig {
        &self.config
    }

    /// One call of a JSON-protocol API (DynamoDB, SQS, SSM): `operation`
    /// (e.g. `PutItem`) with `input`; the answer's JSON.
    pub fn json_call(
        &self,
        service: Service,
        operation: &str,
        input: &Value,
    ) -> Result<Value, AwsError> {
        let target = format!("{}.{operation}", service.target_prefix());
        let content_type = match service {
            Service::DynamoDb => "application/x-amz-json-1.0",
            Service::Sqs => "application/x-amz-json-1.0",
            _ => "application/x-amz-json-1.1",
        };
        let body = serde_json::to_vec(input).map_err(|e| AwsError::local(service, e))?;
        self.send(
            service,
            "/",
            &[("content-type", content_type), ("x-amz-target", &target)],
            &body,
        )
    }

    /// One `POST` to a REST-JSON API (SES v2) at `path`.
    pub fn rest_post(
        &self,
        service: Service,
        path: &str,
        input: &Value,
    ) -> Result<Value, AwsError> {
        let body = serde_json::to_vec(input).map_err(|e| AwsError::local(service, e))?;
        self.send(
            service,
            path,
            &[("content-type", "application/json")],
            &body,
        )
    }

    fn send(
        &self,
        service: Service,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Value, AwsError> {
        let url = format!("{}{path}", self.config.endpoint(service));
        let signed = self.signed_headers(service, &url, headers, body)?;
        let mut request = self.agent.post(&url);
        for (name, value) in headers
            .iter()
            .copied()
            .chain(signed.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        {
            request = request.header(name, value);
        }
        let response = request.send(body).map_err(|e| AwsError::Unreachable {
            service: service.name(),
            message: e.to_string(),
        })?;
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response.into_body().read_to_string().unwrap_or_default();
        if (200..300).contains(&status) {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text).map_err(|e| AwsError::local(service, e));
        }
        Err(AwsError::from_response(
            service,
            status,
            error_type.as_deref(),
            &text,
        ))
    }

    /// The signature headers (`authorization`, `x-amz-date`, the session token).
    fn signed_headers(
        &self,
        service: Service,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>, AwsError> {
        let identity = Credentials::new(
            &self.config.access_key_id,
            &self.config.secret_access_key,
            self.config.session_token.clone(),
            None,
            "switchboard",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.config.region)
            .name(service.signing_name())
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| AwsError::local(service, e))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| AwsError::local(service, e))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| AwsError::local(service, e))?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect())
    }
}

/// Runs a blocking AWS call off the async workers.
pub async fn blocking<T: Send + 'static>(
    service: Service,
    work: impl FnOnce() -> Result<T, AwsError> + Send + 'static,
) -> Result<T, AwsError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AwsError::local(service, e))?
}
