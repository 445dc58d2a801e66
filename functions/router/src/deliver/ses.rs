//! Amazon SES v2 `SendEmail` with raw content, through a small SigV4 signer
//! over ureq. Hand-written instead of aws-sdk-sesv2 to keep the Lambda
//! binary small and the build short: one endpoint, one request shape.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::Mac;
use sha2::{Digest, Sha256};

use super::{BoxFuture, DeliveryError, Envelope, Mailer};
use crate::hex::hex;
use crate::token::new_mac;

const TIMEOUT: Duration = Duration::from_secs(15);
const PATH: &str = "/v2/email/outbound-emails";

/// Where and as whom to call SES; [`crate::RouterConfig::from_env`] fills it
/// from the standard AWS variables.
#[derive(Clone, PartialEq, Eq)]
pub struct SesConfig {
    pub region: String,
    /// `AWS_ENDPOINT_URL_SESV2` / `AWS_ENDPOINT_URL`, e.g. a local test server;
    /// `https://email.REGION.amazonaws.com` when absent.
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Set on Lambda (temporary role credentials).
    pub session_token: Option<String>,
    pub configuration_set: Option<String>,
}

impl std::fmt::Debug for SesConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ses")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("configuration_set", &self.configuration_set)
            .finish_non_exhaustive()
    }
}

impl SesConfig {
    fn endpoint(&self) -> String {
        match &self.endpoint {
            Some(e) => e.trim_end_matches('/').to_string(),
            None => format!("https://email.{}.amazonaws.com", self.region),
        }
    }
}

#[derive(Clone)]
pub struct SesMailer {
    config: SesConfig,
    agent: ureq::Agent,
}

impl SesMailer {
    pub fn new(config: SesConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        Self { config, agent }
    }

    /// Sends one signed JSON request to the SES v2 API; returns status and body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(u16, String), DeliveryError> {
        let endpoint = self.config.endpoint();
        let host = endpoint
            .split("://")
            .nth(1)
            .unwrap_or(&endpoint)
            .split('/')
            .next()
            .unwrap_or("");
        let mut headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("host".to_string(), host.to_string()),
            (
                "x-amz-date".to_string(),
                now.format("%Y%m%dT%H%M%SZ").to_string(),
            ),
        ];
        if let Some(t) = &self.config.session_token {
            headers.push(("x-amz-security-token".to_string(), t.clone()));
        }
        let auth = sign(
            &Credentials {
                access_key_id: &self.config.access_key_id,
                secret_access_key: &self.config.secret_access_key,
            },
            &self.config.region,
            "ses",
            method,
            path,
            &mut headers,
            body,
            now,
        );
        let url = format!("{endpoint}{path}");
        let mut req = match method {
            "POST" => self.agent.post(&url),
            _ => {
                return Err(DeliveryError::Permanent(format!(
                    "unsupported method {method}"
                )));
            }
        };
        for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
            req = req.header(k.as_str(), v.as_str());
        }
        req = req.header("authorization", auth.as_str());
        let resp = req
            .send(body)
            .map_err(|e| DeliveryError::Temporary(format!("ses: {e}")))?;
        let status = resp.status().as_u16();
        let text = resp.into_body().read_to_string().unwrap_or_default();
        Ok((status, text))
    }

    fn send_blocking(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), DeliveryError> {
        let mut body = serde_json::json!({
            "FromEmailAddress": envelope.from,
            "Destination": { "ToAddresses": envelope.to },
            "Content": { "Raw": { "Data": STANDARD.encode(raw) } },
        });
        if let Some(cs) = &self.config.configuration_set {
            body["ConfigurationSetName"] = serde_json::Value::String(cs.clone());
        }
        let bytes =
            serde_json::to_vec(&body).map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let (status, text) = self.call("POST", PATH, &bytes, Utc::now())?;
        match status {
            200..=299 => Ok(()),
            // Throttling and server trouble pass; other refusals will not.
            429 | 500..=599 => Err(DeliveryError::Temporary(format!(
                "ses: HTTP {status}: {}",
                short(&text)
            ))),
            _ => Err(DeliveryError::Permanent(format!(
                "ses: HTTP {status}: {}",
                short(&text)
            ))),
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
            tokio::task::spawn_blocking(move || this.send_blocking(&envelope, &raw))
                .await
                .map_err(|e| DeliveryError::Temporary(format!("ses: {e}")))?
        })
    }

    fn kind(&self) -> &'static str {
        "ses"
    }
}

/// AWS error bodies name the error; keep logs short.
fn short(s: &str) -> String {
    s.chars().take(300).collect()
}

pub struct Credentials<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
}

/// AWS Signature Version 4 for a request without query string. `headers`
/// are lower-case names; returns the `Authorization` header value.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    creds: &Credentials<'_>,
    region: &str,
    service: &str,
    method: &str,
    path: &str,
    headers: &mut [(String, String)],
    body: &[u8],
    now: DateTime<Utc>,
) -> String {
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let date = now.format("%Y%m%d").to_string();
    let canonical_headers: String = headers
        .iter()
        .map(|(k, v)| format!("{k}:{}\n", v.trim()))
        .collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "{method}\n{path}\n\n{canonical_headers}\n{signed_headers}\n{}",
        hex(&Sha256::digest(body))
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let hmac = |key: &[u8], msg: &[u8]| new_mac(key, msg).finalize().into_bytes().to_vec();
    let mut key = hmac(
        format!("AWS4{}", creds.secret_access_key).as_bytes(),
        date.as_bytes(),
    );
    for part in [region, service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `get-vanilla` case of AWS's published SigV4 test suite.
    #[test]
    fn sigv4_matches_the_aws_test_suite() {
        let mut headers = vec![
            ("host".to_string(), "example.amazonaws.com".to_string()),
            ("x-amz-date".to_string(), "20150830T123600Z".to_string()),
        ];
        let auth = sign(
            &Credentials {
                access_key_id: "AKIDEXAMPLE",
                secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            },
            "us-east-1",
            "service",
            "GET",
            "/",
            &mut headers,
            b"",
            "2015-08-30T12:36:00Z".parse().unwrap(),
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn endpoint_defaults_to_the_region_and_debug_hides_the_secret() {
        let c = SesConfig {
            region: "eu-west-1".into(),
            endpoint: None,
            access_key_id: "AKID".into(),
            secret_access_key: "verysecret".into(),
            session_token: None,
            configuration_set: None,
        };
        assert_eq!(c.endpoint(), "https://email.eu-west-1.amazonaws.com");
        assert!(!format!("{c:?}").contains("verysecret"));
    }
}
