//! The self-hosted server's own settings (`switchboard-server`), on top of
//! the router's.

use std::time::Duration;

use super::{ConfigError, DEFAULT_RETRY_BASE, RouterConfig};

/// The self-hosted server's settings (`switchboard-server`): the router's
/// own ([`RouterConfig::from_vars`], unchanged) plus how it listens.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub router: RouterConfig,
    /// `SWITCHBOARD_LISTEN`, default `127.0.0.1:8787`.
    pub listen: std::net::SocketAddr,
    /// `SWITCHBOARD_TRUST_PROXY=true`: the client is the last `X-Forwarded-For`
    /// hop (what the reverse proxy in front appended), not the socket's peer.
    pub trust_proxy: bool,
    /// `SWITCHBOARD_MAX_CONNECTIONS`, default 256: further connections wait
    /// in the listen backlog until one closes.
    pub max_connections: usize,
    /// `SWITCHBOARD_RETRY_SECONDS`, default 60: how often due deliveries are retried.
    pub retry_every: Duration,
    /// `SWITCHBOARD_HEADER_TIMEOUT_SECONDS`, default 10: a request's headers
    /// (and an idle keep-alive connection's next request) must arrive within it.
    pub header_timeout: Duration,
    /// `SWITCHBOARD_BODY_TIMEOUT_SECONDS`, default 10: a request's body must
    /// arrive within it once the headers are in.
    pub body_timeout: Duration,
    /// `SWITCHBOARD_SHUTDOWN_GRACE_SECONDS`, default 20: on SIGTERM, how long
    /// open requests may take to finish.
    pub shutdown_grace: Duration,
    /// `SWITCHBOARD_LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: crate::log::LogFormat,
}

/// The server's default address: loopback, for a reverse proxy in front.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

impl ServerConfig {
    /// Reads the environment, like [`RouterConfig::from_env`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// [`ServerConfig::from_env`] over any variable source.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut router = RouterConfig::from_vars(&var)?;
        router.retry_base = seconds(&var, "SWITCHBOARD_RETRY_BASE_SECONDS", DEFAULT_RETRY_BASE)?;
        let listen = var("SWITCHBOARD_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen = listen.parse().map_err(|_| ConfigError::Invalid {
            name: "SWITCHBOARD_LISTEN",
            why: format!(
                "`{listen}`: expected an address and port, e.g. 0.0.0.0:8787 or [::]:8787"
            ),
        })?;
        let trust_proxy = match var("SWITCHBOARD_TRUST_PROXY").as_deref() {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "SWITCHBOARD_TRUST_PROXY",
                    why: "expected true or false".into(),
                });
            }
        };
        let max_connections = match var("SWITCHBOARD_MAX_CONNECTIONS") {
            None => 256,
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(ConfigError::Invalid {
                    name: "SWITCHBOARD_MAX_CONNECTIONS",
                    why: "expected a positive whole number".into(),
                })?,
        };
        let log_format = match var("SWITCHBOARD_LOG_FORMAT").as_deref() {
            None | Some("text") => crate::log::LogFormat::Text,
            Some("json") => crate::log::LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "SWITCHBOARD_LOG_FORMAT",
                    why: format!("`{other}`: expected text or json"),
                });
            }
        };
        Ok(Self {
            router,
            listen,
            trust_proxy,
            max_connections,
            retry_every: seconds(&var, "SWITCHBOARD_RETRY_SECONDS", Duration::from_secs(60))?,
            header_timeout: seconds(
                &var,
                "SWITCHBOARD_HEADER_TIMEOUT_SECONDS",
                Duration::from_secs(10),
            )?,
            body_timeout: seconds(
                &var,
                "SWITCHBOARD_BODY_TIMEOUT_SECONDS",
                Duration::from_secs(10),
            )?,
            shutdown_grace: seconds(
                &var,
                "SWITCHBOARD_SHUTDOWN_GRACE_SECONDS",
                Duration::from_secs(20),
            )?,
            log_format,
        })
    }
}

/// A positive number of seconds (fractions allowed: `0.5`) from `name`, or `default`.
fn seconds(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
            .map(Duration::from_secs_f64)
            .ok_or(ConfigError::Invalid {
                name,
                why: "expected a positive number of seconds".into(),
            }),
    }
}
