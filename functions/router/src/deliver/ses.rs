//! Amazon SES v2 `SendEmail` with raw content, through a small SigV4 signer
//! over ureq. Hand-written instead of aws-sdk-sesv2 to keep the Lambda
//! binary small and the build short: one endpoint, one request shape.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::hex::hex;

use super::{BoxFuture, DeliveryError, Envelope, Mailer};
use crate::config::ConfigError;

const TIMEOUT: Duration = Duration::from_secs(15);
const PATH: &str = "/v2/email/outbound-emails";

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
    /// Reads the standard AWS variables (Lambda sets all of them from the
    /// function's role) plus `SWITCHBOARD_SES_REGION` and `SWITCHBOARD_SES_CONFIGURATION_SET`.
    pub fn from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            region: var("SWITCHBOARD_SES_REGION")
                .or_else(|| var("AWS_REGION"))
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .ok_or(ConfigError::Missing("AWS_REGION"))?,
            endpoint: var("AWS_ENDPOINT_URL_SESV2").or_else(|| var("AWS_ENDPOINT_URL")),
            access_key_id: var("AWS_ACCESS_KEY_ID")
                .ok_or(ConfigError::Missing("AWS_ACCESS_KEY_ID"))?,
            secret_access_key: var("AWS_SECRET_ACCESS_KEY")
                .ok_or(ConfigError::Missing("AWS_SECRET_ACCESS_KEY"))?,
            session_token: var("AWS_SESSION_TOKEN"),
            configuration_set: var("SWITCHBOARD_SES_CONFIGURATION_SET"),
        })
    }

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
    fn call(
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

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    m.update(msg);
    m.finalize().into_bytes().to_vec()
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
    fn config_from_vars() {
        let v = |k: &str| match k {
            "AWS_REGION" => Some("eu-west-1".to_string()),
            "AWS_ACCESS_KEY_ID" => Some("AKID".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("verysecret".to_string()),
            _ => None,
        };
        let c = SesConfig::from_vars(&v).unwrap();
        assert_eq!(c.endpoint(), "https://email.eu-west-1.amazonaws.com");
        assert!(!format!("{c:?}").contains("verysecret"));
    }

    /// Posts the test manifest's sales form, signed as the built page would
    /// be, plus `extra` fields, asking for JSON as the page's script does.
    async fn post_sales_form(router: &crate::Router, extra: &str) -> http::Response<bytes::Bytes> {
        // Signed an hour before the tests' pinned clock.
        let issued = 1_772_442_000 - 3_600;
        let form = format!(
            "name=Ann&email=ann%40example.net&topic=sales&message=Quote+please&website=&{}={}&{}={}{extra}",
            crate::fields::FORM_TOKEN,
            crate::sign_form_token(b"ses-test-secret-0123", "c0ffee1234", issued),
            crate::fields::TIME_TOKEN,
            crate::sign_time_token(b"ses-test-secret-0123", crate::Shown::AtBuild, issued),
        );
        let req = http::Request::post("/api/contact")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(bytes::Bytes::from(form))
            .unwrap();
        router.handle(req).await
    }

    /// Against moto's SES v2 server, started by `scripts/test.sh`
    /// (`SWITCHBOARD_TEST_SES` is its base URL): a signed request through
    /// the whole router, then moto's record of what it would have sent.
    #[tokio::test]
    #[ignore = "needs an SES-compatible server: run scripts/test.sh"]
    async fn sends_raw_email_through_an_ses_endpoint() {
        use crate::{FixedClock, Router, RouterConfig};
        use std::sync::Arc;

        let endpoint = std::env::var("SWITCHBOARD_TEST_SES")
            .expect("SWITCHBOARD_TEST_SES is not set: run scripts/test.sh");
        let vars = |k: &str| match k {
            "AWS_REGION" => Some("eu-west-1".to_string()),
            "AWS_ACCESS_KEY_ID" => Some("AKIDTEST".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("test-secret".to_string()),
            "AWS_SESSION_TOKEN" => Some("test-session-token".to_string()),
            "AWS_ENDPOINT_URL_SESV2" => Some(endpoint.clone()),
            _ => None,
        };
        let config = SesConfig::from_vars(&vars).unwrap();
        let mailer = SesMailer::new(config);
        // SES only sends from verified identities; verify the sender's domain.
        let (status, body) = mailer
            .call(
                "POST",
                "/v2/email/identities",
                br#"{"EmailIdentity":"example.org"}"#,
                Utc::now(),
            )
            .unwrap();
        assert_eq!(status, 200, "{body}");

        let dir = tempfile::tempdir().unwrap();
        let mut rc = RouterConfig::local(dir.path(), b"ses-test-secret-0123".to_vec());
        rc.sender = "Example Org <forms@example.org>".into();
        rc.outbox_mode = crate::OutboxMode::Ephemeral;
        let clock = Arc::new(FixedClock::at("2026-03-02T09:00:00Z"));
        let router =
            Router::new(crate::test_support::manifest(), rc, Arc::new(mailer), clock).unwrap();
        // The visitor's body also names a `bcc`: it must reach no one.
        let resp = post_sales_form(&router, "&bcc=victim%40example.com").await;
        assert_eq!(
            resp.status(),
            200,
            "{}",
            String::from_utf8_lossy(resp.body())
        );
        let v: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
        let reference = v["reference"].as_str().unwrap().to_string();

        let data: serde_json::Value = {
            let text = ureq::get(&format!("{endpoint}/moto-api/data.json"))
                .call()
                .unwrap()
                .into_body()
                .read_to_string()
                .unwrap();
            serde_json::from_str(&text).unwrap()
        };
        let sent: Vec<&serde_json::Value> = data["ses"]["RawMessage"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| {
                m["raw_data"]
                    .as_str()
                    .is_some_and(|r| r.contains(&reference))
            })
            .collect();
        assert_eq!(sent.len(), 2, "notification and acknowledgement");
        let dests = |m: &serde_json::Value| -> Vec<String> {
            let mut d: Vec<String> = m["destinations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    let s = a.as_str().unwrap();
                    s.rsplit('<')
                        .next()
                        .unwrap()
                        .trim_end_matches('>')
                        .to_string()
                })
                .collect();
            d.sort();
            d.dedup();
            d
        };
        let note = sent
            .iter()
            .find(|m| m["raw_data"].as_str().unwrap().contains("Reply-To:"))
            .unwrap();
        assert_eq!(dests(note), ["alice@example.org", "sales@example.org"]);
        assert_eq!(note["source"], "forms@example.org");
        let raw = note["raw_data"].as_str().unwrap();
        assert!(raw.contains(&format!(
            "Subject: [Example Org] Buying our products (ref {reference})"
        )));
        assert!(raw.contains("Reply-To: Ann <ann@example.net>"), "{raw}");
        let ack = sent
            .iter()
            .find(|m| !m["raw_data"].as_str().unwrap().contains("Reply-To:"))
            .unwrap();
        assert_eq!(dests(ack), ["ann@example.net"]);
        for m in &sent {
            assert!(!m.to_string().contains("victim"));
        }

        // A sender SES refuses (unverified identity) is a permanent failure:
        // the visitor is told, and the record is kept in `failed/` for the operator.
        let dir = tempfile::tempdir().unwrap();
        let mut rc = RouterConfig::local(dir.path(), b"ses-test-secret-0123".to_vec());
        rc.sender = "forms@unverified.example".into();
        let clock = Arc::new(FixedClock::at("2026-03-02T09:00:00Z"));
        let mailer = SesMailer::new(SesConfig::from_vars(&vars).unwrap());
        let router =
            Router::new(crate::test_support::manifest(), rc, Arc::new(mailer), clock).unwrap();
        let resp = post_sales_form(&router, "").await;
        assert_eq!(
            resp.status(),
            503,
            "{}",
            String::from_utf8_lossy(resp.body())
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("outbox/failed"))
                .unwrap()
                .count(),
            1
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("outbox/pending"))
                .unwrap()
                .count(),
            0
        );
    }
}
