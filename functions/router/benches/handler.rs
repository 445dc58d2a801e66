//! Median time per submission through `Router::handle` with the local mail
//! directory backend, one request at a time (as on Lambda, where the group
//! commit has nobody to share a sync with): parse, screen, validate, route,
//! compose two emails, keep the outbox record (file fsync, one sync of
//! `pending/` and `keys/`), write two `.eml` files (file fsync and a sync of
//! the directory each), move the record to `sent/` (no fsync). Run:
//! `cargo bench -p switchboard-router --bench handler` (`-- N` for another
//! iteration count). Not a test: it asserts nothing about time. The outbox
//! under concurrent load is measured by `benches/bench-contact.sh`.

mod support;

use std::sync::Arc;
use std::time::Instant;

use switchboard_router::{FixedClock, MaildirMailer, Router, RouterConfig};

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    // SWITCHBOARD_BENCH_DIR puts the outbox elsewhere, e.g. on /dev/shm to
    // see the cost without the disk's fsync latency.
    let dir = match std::env::var_os("SWITCHBOARD_BENCH_DIR") {
        Some(base) => tempfile::tempdir_in(base),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let mut config = RouterConfig::local(dir.path(), support::SECRET.to_vec());
    config.sender = "Example Org <forms@example.org>".into();
    let mailer = Arc::new(MaildirMailer::new(dir.path().join("mail")));
    let clock = Arc::new(FixedClock::at(support::NOW));
    let router = Router::new(support::manifest(), config, mailer, clock).expect("router");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    let mut times = Vec::with_capacity(n);
    for i in 0..n + 20 {
        let req = support::submission(i);
        let start = Instant::now();
        let resp = rt.block_on(router.handle(req));
        let took = start.elapsed();
        assert_eq!(resp.status(), 303, "submission {i} was not accepted");
        if i >= 20 {
            times.push(took); // the first 20 warm caches and directories
        }
    }
    let place = dir
        .path()
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    println!(
        "{}",
        support::summary(
            &format!("handler, local mail directory in {place}"),
            &mut times
        )
    );
}
