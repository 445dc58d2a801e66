//! Reading the configuration from variables: defaults, refusals, redaction.

use super::*;
use std::collections::HashMap;

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| m.get(k).cloned()
}

#[test]
fn defaults_locally() {
    let c =
        RouterConfig::from_vars(vars(&[("SWITCHBOARD_FORM_SECRET", "0123456789abcdef")])).unwrap();
    assert_eq!(c.manifest_path, PathBuf::from(".switchboard/routing.json"));
    assert_eq!(c.mail, MailConfig::Maildir(".switchboard/mail".into()));
    assert_eq!(c.outbox_mode, OutboxMode::Durable);
    assert!(c.acknowledge);
}

#[cfg(feature = "ses")]
#[test]
fn on_lambda_only_a_lasting_store_and_a_real_mail_backend_start() {
    let lambda = [
        ("SWITCHBOARD_FORM_SECRET", "0123456789abcdef"),
        ("AWS_LAMBDA_FUNCTION_NAME", "f"),
        ("LAMBDA_TASK_ROOT", "/var/task"),
    ];
    // The defaults would write mail and records to /tmp: refused, by name.
    let e = RouterConfig::from_vars(vars(&lambda)).unwrap_err();
    assert!(e.to_string().contains("SWITCHBOARD_MAIL"), "{e}");
    let smtp = [
        ("SWITCHBOARD_MAIL", "smtp"),
        (
            "SWITCHBOARD_SMTP_URL",
            "smtps://user:hunter2@smtp.example.com",
        ),
        ("SWITCHBOARD_SENDER", "Forms <forms@example.org>"),
    ];
    let e = RouterConfig::from_vars(vars(&[&lambda[..], &smtp[..]].concat())).unwrap_err();
    assert!(e.to_string().contains("SWITCHBOARD_STORE=dynamodb"), "{e}");
    let store = [
        ("SWITCHBOARD_STORE", "dynamodb"),
        ("SWITCHBOARD_TABLE", "submissions"),
        (
            "SWITCHBOARD_QUEUE_URL",
            "https://sqs.eu-west-1.amazonaws.com/1/q",
        ),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", "verysecret"),
    ];
    let c = RouterConfig::from_vars(vars(&[&lambda[..], &smtp[..], &store[..]].concat())).unwrap();
    assert_eq!(c.manifest_path, PathBuf::from("/var/task/routing.json"));
    let StoreConfig::Dynamo(d) = &c.store else {
        panic!("{:?}", c.store);
    };
    assert_eq!(d.retention_days, None, "the manifest's retention_days then");
    let dbg = format!("{c:?}");
    for secret in ["hunter2", "0123456789abcdef", "verysecret"] {
        assert!(!dbg.contains(secret), "{dbg}");
    }
    assert!(c.build_mailer().is_ok());
}

#[cfg(feature = "ses")]
#[test]
fn ses_from_the_aws_variables() {
    let c = RouterConfig::from_vars(vars(&[
        ("SWITCHBOARD_FORM_SECRET", "0123456789abcdef"),
        ("SWITCHBOARD_MAIL", "ses"),
        ("SWITCHBOARD_SENDER", "Forms <forms@example.org>"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", "verysecret"),
    ]))
    .unwrap();
    let MailConfig::Ses(ses) = &c.mail else {
        panic!("{:?}", c.mail);
    };
    assert_eq!(ses.aws.region, "eu-west-1");
    assert_eq!(ses.aws.endpoints, crate::aws::Endpoints::default());
    assert!(!format!("{c:?}").contains("verysecret"));
    let e = RouterConfig::from_vars(vars(&[
        ("SWITCHBOARD_FORM_SECRET", "0123456789abcdef"),
        ("SWITCHBOARD_MAIL", "ses"),
        ("SWITCHBOARD_SENDER", "Forms <forms@example.org>"),
    ]))
    .unwrap_err();
    assert!(e.to_string().contains("AWS_REGION"), "{e}");
}

#[test]
fn server_defaults_and_errors() {
    let secret = ("SWITCHBOARD_FORM_SECRET", "0123456789abcdef");
    let c = ServerConfig::from_vars(vars(&[secret])).unwrap();
    assert_eq!(c.listen, DEFAULT_LISTEN.parse().unwrap());
    assert_eq!(c.max_connections, 256);
    assert_eq!(c.retry_every, Duration::from_secs(60));
    assert_eq!(c.router.retry_base, DEFAULT_RETRY_BASE);
    assert!(!c.trust_proxy);
    assert_eq!(c.log_format, crate::log::LogFormat::Text);
    let c = ServerConfig::from_vars(vars(&[
        secret,
        ("SWITCHBOARD_LISTEN", "[::]:80"),
        ("SWITCHBOARD_TRUST_PROXY", "true"),
        ("SWITCHBOARD_RETRY_BASE_SECONDS", "0.5"),
        ("SWITCHBOARD_LOG_FORMAT", "json"),
    ]))
    .unwrap();
    assert_eq!(c.listen.port(), 80);
    assert!(c.trust_proxy);
    assert_eq!(c.router.retry_base, Duration::from_millis(500));
    assert_eq!(c.log_format, crate::log::LogFormat::Json);
    for (name, bad) in [
        ("SWITCHBOARD_LISTEN", "localhost"),
        ("SWITCHBOARD_MAX_CONNECTIONS", "0"),
        ("SWITCHBOARD_RETRY_SECONDS", "-1"),
        ("SWITCHBOARD_LOG_FORMAT", "xml"),
    ] {
        let e = ServerConfig::from_vars(vars(&[secret, (name, bad)])).unwrap_err();
        assert!(e.to_string().contains(name), "{e}");
    }
}

#[test]
fn errors_name_the_variable() {
    let e = RouterConfig::from_vars(vars(&[])).unwrap_err();
    assert!(e.to_string().contains("SWITCHBOARD_FORM_SECRET"));
    let e = RouterConfig::from_vars(vars(&[
        ("SWITCHBOARD_FORM_SECRET", "0123456789abcdef"),
        ("SWITCHBOARD_MAIL", "smtp"),
    ]))
    .unwrap_err();
    assert!(e.to_string().contains("SWITCHBOARD_SMTP_URL"));
    let e = RouterConfig::from_vars(vars(&[
        ("SWITCHBOARD_FORM_SECRET", "0123456789abcdef"),
        ("SWITCHBOARD_SENDER", "not an address"),
    ]))
    .unwrap_err();
    assert!(e.to_string().contains("SWITCHBOARD_SENDER"));
}
