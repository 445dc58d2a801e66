//! Optional captcha verification (Cloudflare Turnstile or hCaptcha), used
//! when the manifest names a provider. Behind a trait so tests and `serve`
//! can verify without the network.

use crate::deliver::BoxFuture;
use crate::manifest::CaptchaProvider;

#[derive(Debug, thiserror::Error)]
#[error("captcha verification unavailable: {0}")]
pub struct CaptchaError(pub String);

pub trait CaptchaVerifier: Send + Sync {
    /// `Ok(true)` if the provider vouches for `response`.
    fn verify<'a>(
        &'a self,
        provider: CaptchaProvider,
        response: &'a str,
    ) -> BoxFuture<'a, Result<bool, CaptchaError>>;
}

/// Verifies against the provider's `siteverify` endpoint with the secret key.
#[cfg(feature = "captcha")]
#[derive(Clone)]
pub struct HttpCaptchaVerifier {
    secret: String,
    agent: ureq::Agent,
}

#[cfg(feature = "captcha")]
impl HttpCaptchaVerifier {
    pub fn new(secret: String) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .into();
        Self { secret, agent }
    }

    fn verify_blocking(
        &self,
        provider: CaptchaProvider,
        response: &str,
    ) -> Result<bool, CaptchaError> {
        let url = match provider {
            CaptchaProvider::Turnstile => {
                "https://challenges.cloudflare.com/turnstile/v0/siteverify"
            }
            CaptchaProvider::Hcaptcha => "https://api.hcaptcha.com/siteverify",
        };
        let resp = self
            .agent
            .post(url)
            .send_form([("secret", self.secret.as_str()), ("response", response)])
            .map_err(|e| CaptchaError(e.to_string()))?;
        let text = resp
            .into_body()
            .read_to_string()
            .map_err(|e| CaptchaError(e.to_string()))?;
        let body: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| CaptchaError(e.to_string()))?;
        Ok(body
            .get("success")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false))
    }
}

#[cfg(feature = "captcha")]
impl CaptchaVerifier for HttpCaptchaVerifier {
    fn verify<'a>(
        &'a self,
        provider: CaptchaProvider,
        response: &'a str,
    ) -> BoxFuture<'a, Result<bool, CaptchaError>> {
        Box::pin(async move {
            let (this, response) = (self.clone(), response.to_string());
            tokio::task::spawn_blocking(move || this.verify_blocking(provider, &response))
                .await
                .map_err(|e| CaptchaError(e.to_string()))?
        })
    }
}
