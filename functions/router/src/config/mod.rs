//! Configuration: from environment variables for the Lambda binary
//! ([`RouterConfig::from_env`]), or built in code by `switchboard serve`
//! ([`RouterConfig::local`]). Secrets are redacted from `Debug`. Only this
//! module reads the environment: the mail backends get plain values.

mod server;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::deliver::{MaildirMailer, Mailer};
use crate::manifest::MANIFEST_FILE_NAME;
pub use crate::outbox::OutboxMode;
use crate::parse::DEFAULT_MAX_BODY_BYTES;
pub use server::{DEFAULT_LISTEN, ServerConfig};

/// Where accepted messages are kept (see [`crate::store`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// The durable outbox in [`RouterConfig::outbox_dir`].
    Local,
    /// A DynamoDB table and an SQS queue (`SWITCHBOARD_STORE=dynamodb`).
    #[cfg(feature = "ses")]
    Dynamo(Box<crate::store::dynamo::DynamoConfig>),
}

#[derive(Clone, PartialEq, Eq)]
pub enum MailConfig {
    /// Write `.eml` files to this directory.
    Maildir(PathBuf),
    /// An SMTP relay.
    Smtp {
        /// The relay URL, e.g. `smtps://user:pass@smtp.example.com`.
        url: String,
        /// A PEM file of extra root certificates to trust for the relay's
        /// TLS (`SWITCHBOARD_SMTP_CA_FILE`): a private CA or a self-signed
        /// certificate; the webpki roots stay trusted.
        ca_file: Option<PathBuf>,
    },
    /// Amazon SES v2.
    #[cfg(feature = "ses")]
    Ses(crate::deliver::ses::SesConfig),
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailConfig::Maildir(p) => write!(f, "Maildir({})", p.display()),
            MailConfig::Smtp { url, ca_file } => {
                write!(f, "Smtp({}", redact_url(url))?;
                if let Some(ca) = ca_file {
                    write!(f, ", CA file {}", ca.display())?;
                }
                f.write_str(")")
            }
            #[cfg(feature = "ses")]
            MailConfig::Ses(c) => write!(f, "{c:?}"),
        }
    }
}

#[derive(Clone)]
pub struct RouterConfig {
    pub manifest_path: PathBuf,
    /// HMAC key for form and time tokens; the builder signs with the same one.
    pub form_secret: Vec<u8>,
    /// `From` of every email, e.g. `Example Org <forms@example.org>`; must be
    /// an address the mail backend may send as (SES: a verified identity).
    pub sender: String,
    pub outbox_dir: PathBuf,
    pub outbox_mode: OutboxMode,
    pub store: StoreConfig,
    pub mail: MailConfig,
    pub max_body_bytes: usize,
    /// Send the visitor an acknowledgement email.
    pub acknowledge: bool,
    /// Secret key for the captcha provider named in the manifest.
    pub captcha_secret: Option<String>,
    /// The local outbox's first retry delay (then doubling); a minute. The
    /// server sets it from `SWITCHBOARD_RETRY_BASE_SECONDS` ([`ServerConfig`]).
    pub retry_base: Duration,
}

impl std::fmt::Debug for RouterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterConfig")
            .field("manifest_path", &self.manifest_path)
            .field("form_secret", &"<redacted>")
            .field("sender", &self.sender)
            .field("outbox_dir", &self.outbox_dir)
            .field("outbox_mode", &self.outbox_mode)
            .field("store", &self.store)
            .field("mail", &self.mail)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("acknowledge", &self.acknowledge)
            .field(
                "captcha_secret",
                &self.captcha_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("retry_base", &self.retry_base)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {why}")]
    Invalid { name: &'static str, why: String },
}

/// The local outbox's default first retry delay.
pub const DEFAULT_RETRY_BASE: Duration =
    Duration::from_secs(crate::outbox::DEFAULT_RETRY_BASE_SECONDS as u64);

/// Default sender for local use, where nothing leaves the machine.
pub const LOCAL_SENDER: &str = "Switchboard local <forms@switchboard.localhost>";

impl RouterConfig {
    /// The `From` of every mail, parsed from [`RouterConfig::sender`].
    pub fn sender_mailbox(&self) -> Result<lettre::message::Mailbox, ConfigError> {
        parse_sender(&self.sender)
    }

    /// The configuration `switchboard serve` uses: everything under the
    /// site's build-state folder (`.switchboard/`): the manifest, a durable
    /// outbox in `outbox/`, and `.eml` files in `mail/`.
    pub fn local(state_dir: &Path, form_secret: Vec<u8>) -> Self {
        Self {
            manifest_path: state_dir.join(MANIFEST_FILE_NAME),
            form_secret,
            sender: LOCAL_SENDER.to_string(),
            outbox_dir: state_dir.join("outbox"),
            outbox_mode: OutboxMode::Durable,
            store: StoreConfig::Local,
            mail: MailConfig::Maildir(state_dir.join("mail")),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            acknowledge: true,
            captcha_secret: None,
            retry_base: DEFAULT_RETRY_BASE,
        }
    }

    /// Reads the `SWITCHBOARD_*` variables (and `AWS_*` for SES); see the
    /// crate README for the full list.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// [`RouterConfig::from_env`] over any variable source, so tests need not
    /// touch the process environment.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let on_lambda = var("AWS_LAMBDA_FUNCTION_NAME").is_some();
        let state = PathBuf::from(if on_lambda {
            "/tmp/switchboard"
        } else {
            ".switchboard"
        });
        let manifest_path = match (var("SWITCHBOARD_MANIFEST"), var("LAMBDA_TASK_ROOT")) {
            (Some(p), _) => PathBuf::from(p),
            (None, Some(root)) => Path::new(&root).join(MANIFEST_FILE_NAME),
            (None, None) => state.join(MANIFEST_FILE_NAME),
        };
        let form_secret = form_secret_from_vars(&var)?;
        let mail = mail_from_vars(&var, &state)?;
        let store = store_from_vars(&var)?;
        if on_lambda {
            refuse_what_loses_mail_on_lambda(&mail, &store)?;
        }
        let sender = match (var("SWITCHBOARD_SENDER"), &mail) {
            (Some(s), _) => s,
            (None, MailConfig::Maildir(_)) => LOCAL_SENDER.to_string(),
            (None, _) => return Err(ConfigError::Missing("SWITCHBOARD_SENDER")),
        };
        parse_sender(&sender)?;
        let outbox_mode = outbox_mode_from_vars(&var, on_lambda)?;
        let max_body_bytes = match var("SWITCHBOARD_MAX_BODY_BYTES") {
            None => DEFAULT_MAX_BODY_BYTES,
            Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
                name: "SWITCHBOARD_MAX_BODY_BYTES",
                why: "expected a number of bytes".into(),
            })?,
        };
        let acknowledge = match var("SWITCHBOARD_ACKNOWLEDGE").as_deref() {
            None | Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "SWITCHBOARD_ACKNOWLEDGE",
                    why: "expected true or false".into(),
                });
            }
        };
        Ok(Self {
            manifest_path,
            form_secret,
            sender,
            outbox_dir: var("SWITCHBOARD_OUTBOX_DIR")
                .map_or_else(|| state.join("outbox"), PathBuf::from),
            outbox_mode,
            store,
            mail,
            max_body_bytes,
            acknowledge,
            captcha_secret: var("SWITCHBOARD_CAPTCHA_SECRET"),
            retry_base: DEFAULT_RETRY_BASE,
        })
    }

    /// Builds the mail backend this configuration names.
    pub fn build_mailer(&self) -> Result<Arc<dyn Mailer>, ConfigError> {
        match &self.mail {
            MailConfig::Maildir(dir) => Ok(Arc::new(MaildirMailer::new(dir))),
            #[cfg(feature = "smtp")]
            MailConfig::Smtp { url, ca_file } => {
                use crate::deliver::smtp::{SmtpMailer, SmtpSetupError};
                let url_error = |e: &dyn std::fmt::Display| ConfigError::Invalid {
                    name: "SWITCHBOARD_SMTP_URL",
                    why: e.to_string(),
                };
                let mailer = match ca_file {
                    None => SmtpMailer::from_url(url).map_err(|e| url_error(&e))?,
                    Some(path) => {
                        let ca_error = |why: String| ConfigError::Invalid {
                            name: "SWITCHBOARD_SMTP_CA_FILE",
                            why: format!("{}: {why}", path.display()),
                        };
                        let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
                        SmtpMailer::from_url_trusting(url, &pem).map_err(|e| match e {
                            SmtpSetupError::Url(e) => url_error(&e),
                            SmtpSetupError::Roots(why) => ca_error(why),
                        })?
                    }
                };
                Ok(Arc::new(mailer))
            }
            #[cfg(not(feature = "smtp"))]
            MailConfig::Smtp { .. } => Err(ConfigError::Invalid {
                name: "SWITCHBOARD_MAIL",
                why: "this build has no SMTP support (cargo feature `smtp`)".into(),
            }),
            #[cfg(feature = "ses")]
            MailConfig::Ses(c) => Ok(Arc::new(crate::deliver::ses::SesMailer::new(c.clone()))),
        }
    }
}

/// `SWITCHBOARD_FORM_SECRET`, or on AWS the SSM SecureString parameter
/// `SWITCHBOARD_FORM_SECRET_PARAMETER` names (read at start-up, so the secret
/// is never a plain value in the function's configuration).
fn form_secret_from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<Vec<u8>, ConfigError> {
    let secret = match (
        var("SWITCHBOARD_FORM_SECRET"),
        var("SWITCHBOARD_FORM_SECRET_PARAMETER"),
    ) {
        (Some(s), _) => s,
        #[cfg(feature = "ses")]
        (None, Some(name)) => {
            let aws = aws_from_vars(var)?;
            crate::aws::ssm::secure_parameter(&crate::aws::AwsClient::new(aws), &name).map_err(
                |e| ConfigError::Invalid {
                    name: "SWITCHBOARD_FORM_SECRET_PARAMETER",
                    why: format!("cannot read `{name}` from SSM Parameter Store: {e}"),
                },
            )?
        }
        _ => return Err(ConfigError::Missing("SWITCHBOARD_FORM_SECRET")),
    };
    if secret.len() < 16 {
        return Err(ConfigError::Invalid {
            name: "SWITCHBOARD_FORM_SECRET",
            why: "use at least 16 random characters".into(),
        });
    }
    Ok(secret.into_bytes())
}

/// `SWITCHBOARD_STORE`: `outbox` (default) or `dynamodb` with its table and queue.
fn store_from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<StoreConfig, ConfigError> {
    match var("SWITCHBOARD_STORE").as_deref() {
        None | Some("outbox") => Ok(StoreConfig::Local),
        #[cfg(feature = "ses")]
        Some("dynamodb") => {
            use crate::store::dynamo::{DEFAULT_MAX_RECEIVES, DynamoConfig};
            Ok(StoreConfig::Dynamo(Box::new(DynamoConfig {
                aws: aws_from_vars(var)?,
                table: var("SWITCHBOARD_TABLE").ok_or(ConfigError::Missing("SWITCHBOARD_TABLE"))?,
                queue_url: var("SWITCHBOARD_QUEUE_URL")
                    .ok_or(ConfigError::Missing("SWITCHBOARD_QUEUE_URL"))?,
                retention_days: match var("SWITCHBOARD_RETENTION_DAYS") {
                    None => None,
                    Some(_) => Some(positive(var, "SWITCHBOARD_RETENTION_DAYS", 1)?),
                },
                max_receives: positive(var, "SWITCHBOARD_MAX_RECEIVES", DEFAULT_MAX_RECEIVES)?,
            })))
        }
        Some(other) => Err(ConfigError::Invalid {
            name: "SWITCHBOARD_STORE",
            why: format!("`{other}`: expected outbox or dynamodb"),
        }),
    }
}

/// A positive whole number from `name`, or `default` when it is not set.
#[cfg(feature = "ses")]
fn positive(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
) -> Result<u32, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or(ConfigError::Invalid {
                name,
                why: "expected a positive whole number".into(),
            }),
    }
}

/// On Lambda, `/tmp` vanishes with the instance: a mail directory there is
/// mail nobody reads, an outbox there is a record that dies. Refuse to
/// start rather than answer "sent" for a message that is not kept.
fn refuse_what_loses_mail_on_lambda(
    mail: &MailConfig,
    store: &StoreConfig,
) -> Result<(), ConfigError> {
    if matches!(mail, MailConfig::Maildir(_)) {
        return Err(ConfigError::Invalid {
            name: "SWITCHBOARD_MAIL",
            why: "on AWS Lambda a mail directory is lost with the instance: set SWITCHBOARD_MAIL=ses (with SWITCHBOARD_SENDER) or smtp (with SWITCHBOARD_SMTP_URL)".into(),
        });
    }
    if *store == StoreConfig::Local {
        return Err(ConfigError::Invalid {
            name: "SWITCHBOARD_STORE",
            why: "on AWS Lambda the local outbox is lost with the instance: set SWITCHBOARD_STORE=dynamodb with SWITCHBOARD_TABLE and SWITCHBOARD_QUEUE_URL (deploy/aws/template.yaml sets them)".into(),
        });
    }
    Ok(())
}

/// The mail backend `SWITCHBOARD_MAIL` names, with its own variables.
fn mail_from_vars(
    var: &impl Fn(&str) -> Option<String>,
    state: &Path,
) -> Result<MailConfig, ConfigError> {
    Ok(
        match var("SWITCHBOARD_MAIL").as_deref().unwrap_or("maildir") {
            "maildir" => MailConfig::Maildir(
                var("SWITCHBOARD_MAILDIR").map_or_else(|| state.join("mail"), PathBuf::from),
            ),
            "smtp" => MailConfig::Smtp {
                url: var("SWITCHBOARD_SMTP_URL")
                    .ok_or(ConfigError::Missing("SWITCHBOARD_SMTP_URL"))?,
                ca_file: var("SWITCHBOARD_SMTP_CA_FILE").map(PathBuf::from),
            },
            #[cfg(feature = "ses")]
            "ses" => MailConfig::Ses(ses_from_vars(var)?),
            other => {
                return Err(ConfigError::Invalid {
                    name: "SWITCHBOARD_MAIL",
                    why: format!("`{other}`: expected maildir, smtp or ses"),
                });
            }
        },
    )
}

/// Reads the standard AWS variables (Lambda sets all of them from the
/// function's role) plus `SWITCHBOARD_SES_REGION` and `SWITCHBOARD_SES_CONFIGURATION_SET`.
#[cfg(feature = "ses")]
fn ses_from_vars(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<crate::deliver::ses::SesConfig, ConfigError> {
    let mut aws = aws_from_vars(var)?;
    if let Some(region) = var("SWITCHBOARD_SES_REGION") {
        aws.region = region;
    }
    Ok(crate::deliver::ses::SesConfig {
        aws,
        configuration_set: var("SWITCHBOARD_SES_CONFIGURATION_SET"),
    })
}

/// The standard AWS variables: region, the role's credentials, and the
/// endpoint overrides (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`).
#[cfg(feature = "ses")]
pub fn aws_from_vars(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<crate::aws::AwsConfig, ConfigError> {
    let endpoint = |name: &str| var(name).or_else(|| var("AWS_ENDPOINT_URL"));
    Ok(crate::aws::AwsConfig {
        region: var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .ok_or(ConfigError::Missing("AWS_REGION"))?,
        access_key_id: var("AWS_ACCESS_KEY_ID").ok_or(ConfigError::Missing("AWS_ACCESS_KEY_ID"))?,
        secret_access_key: var("AWS_SECRET_ACCESS_KEY")
            .ok_or(ConfigError::Missing("AWS_SECRET_ACCESS_KEY"))?,
        session_token: var("AWS_SESSION_TOKEN"),
        endpoints: crate::aws::Endpoints {
            ses: endpoint("AWS_ENDPOINT_URL_SESV2"),
            dynamodb: endpoint("AWS_ENDPOINT_URL_DYNAMODB"),
            sqs: endpoint("AWS_ENDPOINT_URL_SQS"),
            ssm: endpoint("AWS_ENDPOINT_URL_SSM"),
        },
    })
}

/// `SWITCHBOARD_OUTBOX_MODE`; on Lambda, whose disk may vanish, ephemeral by default.
fn outbox_mode_from_vars(
    var: &impl Fn(&str) -> Option<String>,
    on_lambda: bool,
) -> Result<OutboxMode, ConfigError> {
    match var("SWITCHBOARD_OUTBOX_MODE").as_deref() {
        None if on_lambda => Ok(OutboxMode::Ephemeral),
        None | Some("durable") => Ok(OutboxMode::Durable),
        Some("ephemeral") => Ok(OutboxMode::Ephemeral),
        Some(other) => Err(ConfigError::Invalid {
            name: "SWITCHBOARD_OUTBOX_MODE",
            why: format!("`{other}`: expected durable or ephemeral"),
        }),
    }
}

fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// `SWITCHBOARD_SENDER` as a mailbox: `Name <address@domain>` or `address@domain`.
fn parse_sender(sender: &str) -> Result<lettre::message::Mailbox, ConfigError> {
    sender.parse().map_err(|_| ConfigError::Invalid {
        name: "SWITCHBOARD_SENDER",
        why: "expected `Name <address@domain>` or `address@domain`".into(),
    })
}

#[cfg(test)]
mod tests;
