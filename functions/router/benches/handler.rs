//! Median time per submission through `Router::handle` with the local mail
//! directory backend, one request at a time (as on Lambda, where the group
//! commit has nobody to share a sync with): parse, screen, validate, route,
//! compose two emails, keep the outbox record (file fsync, one sync of
//! `pending/` and `keys/`), write two `.eml` files (file fsync and a sync of
//! the directory each), move the record to `sent/` (no fsync). Run:
//! `cargo bench -p switchboard-router --bench handler` (`-- N` for another
//! iteration count). Not a test: it asserts nothing about time. The outbox
//! under concurrent load is measured by `benches/bench-contact.sh`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use switchboard_router::{
    FixedClock, MaildirMailer, Router, RouterConfig, RoutingManifest, Shown, fields,
    sign_form_token, sign_time_token,
};

const SECRET: &[u8] = b"bench-form-secret-0123456789";
/// The tokens' issue time: 2026-03-01, a day before the pinned clock.
const ISSUED: i64 = 1_772_323_200;

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    let mut manifest = RoutingManifest::from_json(include_str!("../tests/fixtures/manifest.json"))
        .expect("fixture manifest");
    // One client sends every submission here: measure the handler, not the limits.
    manifest.form.limits.per_client_per_hour = u32::MAX;
    manifest.form.limits.overall_per_hour = u32::MAX;
    // SWITCHBOARD_BENCH_DIR puts the outbox elsewhere, e.g. on /dev/shm to
    // see the cost without the disk's fsync latency.
    let dir = match std::env::var_os("SWITCHBOARD_BENCH_DIR") {
        Some(base) => tempfile::tempdir_in(base),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let mut config = RouterConfig::local(dir.path(), SECRET.to_vec());
    config.sender = "Example Org <forms@example.org>".into();
    let mailer = Arc::new(MaildirMailer::new(dir.path().join("mail")));
    let clock = Arc::new(FixedClock::at("2026-03-02T09:00:00Z"));
    let router = Router::new(manifest, config, mailer, clock).expect("router");
    let token = sign_form_token(SECRET, "c0ffee1234", ISSUED);
    let time_token = sign_time_token(SECRET, Shown::AtBuild, ISSUED);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    let mut times = Vec::with_capacity(n);
    for i in 0..n + 20 {
        let body = format!(
            "name=Ann+Example&email=ann{i}%40example.net&topic=sales&message=Hello+number+{i}%2C+I+would+like+a+quote.\
             &phone=%2B49+30+1234&website=&{}={token}&{}={time_token}&{}=bench-{i}",
            fields::FORM_TOKEN,
            fields::TIME_TOKEN,
            fields::IDEMPOTENCY_KEY
        );
        let req = http::Request::post("/api/contact")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", "https://contact.example.org")
            .body(Bytes::from(body))
            .expect("request");
        let start = Instant::now();
        let resp = rt.block_on(router.handle(req));
        let took = start.elapsed();
        assert_eq!(resp.status(), 303, "submission {i} was not accepted");
        if i >= 20 {
            times.push(took); // the first 20 warm caches and directories
        }
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "handler, local mail directory in {}, {n} submissions: median {:.3} ms, p90 {:.3} ms, min {:.3} ms, max {:.3} ms",
        dir.path()
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        ms(pct(0.5)),
        ms(pct(0.9)),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
}
