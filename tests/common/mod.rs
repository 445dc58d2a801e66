//! Helpers shared by the integration tests: fixture sites in temp folders and
//! the real `switchboard` binary.
#![allow(dead_code)] // each test binary uses a different subset

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use bytes::Bytes;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use switchboard_router::config::StoreConfig;
use switchboard_router::{MaildirMailer, Router, RouterConfig, RoutingManifest, SystemClock};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Copies `from` into `to`, overwriting files that exist.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk fixture");
        let relative = entry.path().strip_prefix(from).expect("inside fixture");
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).expect("create fixture folder");
        } else {
            fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// The base fixture site with `overlay` (a folder under tests/fixtures) copied over it.
pub fn site_with(overlay: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&fixtures().join("base"), dir.path());
    if let Some(overlay) = overlay {
        copy_tree(&fixtures().join(overlay), dir.path());
    }
    dir
}

/// Runs the real binary with `args` inside `root`.
pub fn switchboard(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .current_dir(root)
        .env_remove("SWITCHBOARD_FORM_SECRET")
        .output()
        .expect("run switchboard")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every file under `dir` with its bytes, for before/after comparisons.
pub fn snapshot_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let bytes = fs::read(e.path()).expect("read file");
            (
                e.path().strip_prefix(dir).expect("inside").to_path_buf(),
                bytes,
            )
        })
        .collect();
    files.sort();
    files
}

/// The base fixture site, built by the real binary with `secret` as the form
/// secret; the HTML of its contact page.
pub fn built_site(secret: &str) -> (tempfile::TempDir, String) {
    let site = site_with(None);
    let built = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("build")
        .current_dir(site.path())
        .env("SWITCHBOARD_FORM_SECRET", secret)
        .output()
        .expect("run switchboard build");
    assert!(built.status.success(), "{}", stderr(&built));
    let contact = fs::read_to_string(site.path().join("public/contact/index.html")).expect("page");
    (site, contact)
}

/// The value of the hidden input named `name` in `html`.
pub fn hidden_value(html: &str, name: &str) -> String {
    let tag = format!("name=\"{name}\" value=\"");
    let start = html.find(&tag).unwrap_or_else(|| panic!("no {name}")) + tag.len();
    let len = html[start..].find('"').expect("end of value");
    html[start..start + len].to_string()
}

/// `fields` as an `application/x-www-form-urlencoded` body.
pub fn urlencoded<N: AsRef<str>, V: AsRef<str>>(fields: &[(N, V)]) -> String {
    let pairs: Vec<String> = fields
        .iter()
        .map(|(n, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(n.as_ref(), NON_ALPHANUMERIC),
                utf8_percent_encode(v.as_ref(), NON_ALPHANUMERIC)
            )
        })
        .collect();
    pairs.join("&")
}

/// A form POST of `fields` to the fixture's form endpoint, with `header`.
pub fn form_post(fields: &[(&str, &str)], header: (&str, &str)) -> http::Request<Bytes> {
    http::Request::post("https://forms.fixture.example/")
        .header("content-type", "application/x-www-form-urlencoded")
        .header(header.0, header.1)
        .body(Bytes::from(urlencoded(fields)))
        .expect("request")
}

/// What the `submissions` tests keep: a message with quotes, a line break
/// and non-ASCII letters, then two plain ones.
pub const TRICKY: &str = "Hello, \"team\"\nsecond line, with ümlauts";

/// The site built by [`built_site`] with `secret`, and a router over its
/// `.switchboard` state with `store` (the local outbox when `None`).
pub fn site_router(
    secret: &str,
    store: Option<StoreConfig>,
) -> (tempfile::TempDir, String, Router) {
    let (site, contact) = built_site(secret);
    let state = site.path().join(".switchboard");
    let manifest = RoutingManifest::load(state.join("routing.json")).unwrap();
    let mut config = RouterConfig::local(&state, secret.as_bytes().to_vec());
    config.sender = "Fixture <forms@fixture.example>".into();
    if let Some(store) = store {
        config.store = store;
    }
    // Unused with the AWS store.
    let mailer = Arc::new(MaildirMailer::new(state.join("mail")));
    let router = Router::new(manifest, config, mailer, Arc::new(SystemClock)).unwrap();
    (site, contact, router)
}

/// Three messages (one [`TRICKY`]) sent through `router` with the tokens of
/// the `contact` page, each accepted: (reference, name, email, message).
pub async fn send_three(router: &Router, contact: &str) -> Vec<[String; 4]> {
    let form_token = hidden_value(contact, "sb_form_token");
    let time_token = hidden_value(contact, "sb_time_token");
    let mut out = Vec::new();
    for (name, email, topic, message) in [
        ("Vera Visitor", "vera@visitor.example", "help", TRICKY),
        (
            "Sam Sample",
            "sam@sample.example",
            "sales",
            "Quote for 40 widgets",
        ),
        (
            "Pia Private",
            "pia@private.example",
            "help",
            "Please forget me soon",
        ),
    ] {
        let fields = [
            ("name", name),
            ("email", email),
            ("topic", topic),
            ("message", message),
            ("website", ""),
            ("sb_form_token", &form_token),
            ("sb_time_token", &time_token),
        ];
        let r = router
            .handle(form_post(&fields, ("accept", "application/json")))
            .await;
        assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        let reference = v["reference"].as_str().unwrap().to_string();
        out.push([reference, name.into(), email.into(), message.into()]);
    }
    out
}
