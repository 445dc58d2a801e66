//! The real Lambda binary, as separate OS processes, under cargo-lambda's
//! Runtime API emulator (`cargo lambda watch --only-lambda-apis`; base URL in
//! `SWITCHBOARD_TEST_LAMBDA`) against moto's DynamoDB, SQS, SES v2 and SSM
//! (`SWITCHBOARD_TEST_AWS`); `scripts/test.sh` starts both. Two processes
//! stand for the template's two functions: the form function (invoked as
//! `switchboard-router`, the emulator knows functions by binary name) and the
//! delivery function (the emulator's default function, `_`). The form
//! secret comes from an SSM SecureString, as the template deploys it.
//! Also: without its store variables the binary refuses to start, by name.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use common::moto::{
    REGION, SENDER, aws_config, create_queue, create_table, item, receive_as_event, sent_with,
    unique, verify_sender,
};
use common::{SECRET, form_body};
use serde_json::{Value, json};
use switchboard_router::aws::{AwsClient, Service};
use switchboard_router::{Shown, sign_form_token, sign_time_token};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard-router");
/// The names the emulator knows the two functions by.
const FORM_FUNCTION: &str = "switchboard-router";
const DELIVERY_FUNCTION: &str = "_";

fn peer(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("{var} is not set: run scripts/test.sh"))
}

/// What the template creates: the table, the queue, the verified sender and
/// the form secret as a SecureString. Returns the queue's URL.
fn provision(client: &AwsClient, name: &str, secret_parameter: &str) -> String {
    create_table(client, name);
    verify_sender(client);
    client
        .json_call(
            Service::Ssm,
            "PutParameter",
            &json!({
                "Name": secret_parameter,
                "Type": "SecureString",
                "Value": std::str::from_utf8(SECRET).unwrap(),
            }),
        )
        .expect("parameter created");
    create_queue(client, name, json!({}))
}

/// One bootstrap process, registered with the emulator as `function`;
/// killed when dropped.
struct Function {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Function {
    /// `function` is the emulator's name for it, `lambda_name` the
    /// function's own (`AWS_LAMBDA_FUNCTION_NAME`).
    fn start(
        function: &'static str,
        lambda_name: &str,
        env: &[(&str, String)],
        dir: &Path,
    ) -> Self {
        let log = dir.join(format!("{lambda_name}.log"));
        let out = File::create(&log).unwrap();
        let child = bootstrap(env)
            .env("AWS_LAMBDA_FUNCTION_NAME", lambda_name)
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("{}/.rt/{function}", peer("SWITCHBOARD_TEST_LAMBDA")),
            )
            .env(
                "SWITCHBOARD_OUTBOX_DIR",
                dir.join(format!("outbox-{lambda_name}")),
            )
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("the bootstrap starts");
        Function {
            name: function,
            child,
            log,
        }
    }

    /// Invokes this function with `event` through the emulator's Lambda
    /// API (`Invoke`); the function's answer.
    fn invoke(&mut self, event: &Value) -> Value {
        let url = format!(
            "{}/2015-03-31/functions/{}/invocations",
            peer("SWITCHBOARD_TEST_LAMBDA"),
            self.name
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false)
            .build()
            .into();
        let answer = agent
            .post(&url)
            .header("content-type", "application/json")
            .send(event.to_string())
            .and_then(|mut r| r.body_mut().read_to_string().map(|b| (r.status(), b)));
        match answer {
            Ok((status, body)) if status == 200 => serde_json::from_str(&body).unwrap(),
            other => panic!(
                "invoking {}: {other:?}; the process: {:?}; its log:\n{}",
                self.name,
                self.child.try_wait(),
                std::fs::read_to_string(&self.log).unwrap_or_default()
            ),
        }
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bootstrap with only the environment given (and what Lambda itself sets).
fn bootstrap(env: &[(&str, String)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// The standard variables Lambda sets from the function's role and region,
/// with every service pointed at moto.
fn aws_env(moto: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_REGION", REGION.into()),
        ("AWS_ACCESS_KEY_ID", "AKIDTEST".into()),
        ("AWS_SECRET_ACCESS_KEY", "test-secret".into()),
        ("AWS_SESSION_TOKEN", "test-session-token".into()),
        ("AWS_ENDPOINT_URL", moto.into()),
    ]
}

fn manifest_path() -> String {
    format!(
        "{}/tests/fixtures/manifest.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Tokens as a page built a minute ago carries them (the process runs on
/// the real clock, not the fixture's).
fn fresh_tokens() -> (String, String) {
    let built = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 60;
    (
        sign_form_token(SECRET, "c0ffee1234", built),
        sign_time_token(SECRET, Shown::AtBuild, built),
    )
}

fn fixture_event(name: &str) -> Value {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The Function URL fixture (JSON body, `Idempotency-Key` header) with fresh
/// tokens and `key`.
fn function_url_json(key: &str) -> Value {
    let mut event = fixture_event("function_url_json.json");
    let mut body: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    let (form, time) = fresh_tokens();
    body["sb_form_token"] = json!(form);
    body["sb_time_token"] = json!(time);
    let body = body.to_string();
    event["headers"]["content-length"] = json!(body.len().to_string());
    event["headers"]["idempotency-key"] = json!(key);
    event["body"] = json!(body);
    event
}

/// The HTTP API fixture (a base64 form body, as API Gateway sends it) with
/// fresh tokens and `key`, from another visitor than the Function URL
/// fixture's (one acknowledgement per address and hour).
fn http_api_form(key: &str) -> Value {
    let mut event = fixture_event("apigw_v2_form_base64.json");
    let (form, time) = fresh_tokens();
    let body = form_body(&[
        ("email", "ben@example.net"),
        ("sb_form_token", &form),
        ("sb_time_token", &time),
        ("sb_idempotency_key", key),
    ]);
    event["headers"]["content-length"] = json!(body.len().to_string());
    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
    event
}

fn record_status(client: &AwsClient, table: &str, reference: &str) -> Value {
    item(client, table, reference)["status"]["S"].clone()
}

#[test]
#[ignore = "needs cargo-lambda's emulator and moto: run scripts/test.sh"]
fn two_bootstrap_processes_keep_queue_send_and_replay_under_the_emulator() {
    let moto = peer("SWITCHBOARD_TEST_AWS");
    let client = AwsClient::new(aws_config(&moto));
    let name = unique("emu");
    let parameter = format!("/{name}/form-secret");
    let queue_url = provision(&client, &name, &parameter);
    let dir = tempfile::tempdir().unwrap();
    let mut env = aws_env(&moto);
    env.extend([
        ("SWITCHBOARD_STORE", "dynamodb".to_string()),
        ("SWITCHBOARD_TABLE", name.clone()),
        ("SWITCHBOARD_QUEUE_URL", queue_url.clone()),
        ("SWITCHBOARD_MAIL", "ses".into()),
        ("SWITCHBOARD_SENDER", SENDER.into()),
        ("SWITCHBOARD_FORM_SECRET_PARAMETER", parameter),
        ("SWITCHBOARD_MANIFEST", manifest_path()),
    ]);
    let mut form = Function::start(FORM_FUNCTION, "switchboard-form", &env, dir.path());
    let mut delivery = Function::start(DELIVERY_FUNCTION, "switchboard-delivery", &env, dir.path());

    // The Function URL with JSON: 200 and the reference.
    let answer = form.invoke(&function_url_json(&unique("url-key")));
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["ok"], true, "{body}");
    let support_ref = body["reference"].as_str().unwrap().to_string();

    // The HTTP API with a form: 303 to the thank-you page with the reference.
    let key = unique("form-key");
    let answer = form.invoke(&http_api_form(&key));
    assert_eq!(answer["statusCode"], 303, "{answer}");
    let location = answer["headers"]["location"].as_str().unwrap().to_string();
    let sales_ref = location
        .strip_prefix("?ref=")
        .unwrap_or_else(|| panic!("{location}"))
        .to_string();

    // Both kept in the table and queued; nothing sent: sending is the worker's.
    for reference in [&support_ref, &sales_ref] {
        assert_eq!(record_status(&client, &name, reference), "queued");
        assert!(sent_with(&moto, reference).is_empty());
    }
    let event = receive_as_event(&client, &queue_url);
    assert_eq!(event["Records"].as_array().unwrap().len(), 2, "{event}");

    // The delivery function, with the SQS event Lambda would hand it.
    let answer = delivery.invoke(&event);
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    let sent = sent_with(&moto, &sales_ref);
    assert_eq!(sent.len(), 2, "the notification and the acknowledgement");
    let to = |m: &Value| m["destinations"].to_string();
    assert!(
        sent.iter().any(|m| to(m).contains("sales@example.org")),
        "{sent:?}"
    );
    assert!(
        sent.iter().any(|m| to(m).contains("ben@example.net")),
        "{sent:?}"
    );
    assert_eq!(sent_with(&moto, &support_ref).len(), 2);
    assert_eq!(record_status(&client, &name, &sales_ref), "delivered");

    // The same POST (same key) reaching the other process: the same
    // reference, nothing queued, nothing sent.
    let again = delivery.invoke(&http_api_form(&key));
    assert_eq!(again["statusCode"], 303, "{again}");
    assert_eq!(again["headers"]["location"], location.as_str());
    let nothing = receive_as_event(&client, &queue_url);
    assert_eq!(nothing["Records"], json!([]), "{nothing}");
    assert_eq!(sent_with(&moto, &sales_ref).len(), 2);
}

#[test]
fn on_lambda_the_bootstrap_refuses_to_start_without_its_store() {
    let moto = "http://127.0.0.1:9";
    let mut env = aws_env(moto);
    env.extend([
        ("AWS_LAMBDA_FUNCTION_NAME", "switchboard-form".to_string()),
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9".into()),
        ("SWITCHBOARD_MAIL", "ses".into()),
        ("SWITCHBOARD_SENDER", SENDER.into()),
        (
            "SWITCHBOARD_FORM_SECRET",
            "test-form-secret-0123456789".into(),
        ),
        ("SWITCHBOARD_MANIFEST", manifest_path()),
    ]);
    let refused = |env: &[(&str, String)], missing: &str| {
        let out = bootstrap(env).output().expect("the bootstrap runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(stderr.contains("cannot start"), "{stderr}");
        assert!(stderr.contains(missing), "names {missing}: {stderr}");
        assert!(!stderr.contains("test-form-secret"), "no secret: {stderr}");
    };
    refused(&env, "SWITCHBOARD_STORE");
    env.push(("SWITCHBOARD_STORE", "dynamodb".into()));
    refused(&env, "SWITCHBOARD_TABLE is not set");
    env.push(("SWITCHBOARD_TABLE", "submissions".into()));
    refused(&env, "SWITCHBOARD_QUEUE_URL is not set");
}
