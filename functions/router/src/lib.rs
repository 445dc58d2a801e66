//! The Switchboard contact-form router: parse, validate, screen, route, keep,
//! deliver and answer one form submission. Independent of AWS Lambda, so the
//! builder's `serve` can mount the same handler locally; the Lambda binary
//! (`src/bin/lambda.rs`, feature `lambda`) is a thin adapter around it.
//!
//! Start at [`Router`]: build it from a [`RoutingManifest`], a
//! [`RouterConfig`], a [`Mailer`] and a [`Clock`], then call
//! [`Router::handle`] for each request and [`Router::retry_pending`] now and then.

pub mod alert;
pub mod answer;
#[cfg(feature = "ses")]
pub mod aws;
pub mod captcha;
pub mod clock;
pub mod compose;
pub mod config;
pub mod deliver;
mod durable;
pub mod fields;
pub mod handler;
pub mod hex;
pub mod html;
pub mod limit;
mod log;
pub mod manifest;
pub mod outbox;
pub mod pages;
pub mod parse;
pub mod route;
pub mod screen;
#[cfg(feature = "server")]
pub mod server;
pub mod store;
#[cfg(all(feature = "test-support", feature = "ses"))]
#[doc(hidden)]
pub mod testing;
pub mod texts;
pub mod token;
pub mod validate;
#[cfg(feature = "ses")]
pub mod worker;

pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{ConfigError, MailConfig, OutboxMode, RouterConfig, ServerConfig};
pub use deliver::{BlockingMailer, DeliveryError, Envelope, MaildirMailer, Mailer};
pub use handler::{RetryReport, Router, RouterError};
pub use limit::ClientAddr;
pub use log::{LogFormat, set_format as set_log_format};
pub use manifest::{ManifestError, RoutingManifest};
pub use token::{Shown, sign_form_token, sign_time_token};

#[cfg(feature = "smtp")]
pub use deliver::smtp::SmtpMailer;

#[cfg(test)]
pub(crate) mod test_support {
    use crate::manifest::RoutingManifest;

    /// The fixture organisation shared with the integration tests.
    pub fn manifest() -> RoutingManifest {
        RoutingManifest::from_json(include_str!("../tests/fixtures/manifest.json"))
            .expect("fixture manifest")
    }
}
