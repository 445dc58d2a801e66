//! Median time per submission through the request path *without* the disk:
//! parse the form body, screen it (form token HMAC, honeypot), validate it,
//! route it, and compose both emails. This is the figure issue 6's "router
//! handler" row asks for (mail write excluded); `benches/handler.rs` measures
//! the whole `Router::handle` including the durable outbox and mail files.
//!
//!     cargo bench -p switchboard-router --bench pipeline            # the fixture manifest
//!     cargo bench -p switchboard-router --bench pipeline -- MANIFEST  # e.g. a 1,000-department build's
//!
//! A number argument sets the iteration count (default 2,000). It also
//! prints how long loading the manifest takes (read the file, parse, check,
//! build the id index: the router's start-up), median of 15 from a fresh
//! heap (as a cold start) and of 15 on a warm heap. Not a test: it asserts
//! nothing about time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use switchboard_router::compose::{self, Context};
use switchboard_router::parse::{self, BodyKind};
use switchboard_router::screen::{self, Verdict};
use switchboard_router::{
    RoutingManifest, Shown, fields, route, sign_form_token, sign_time_token, validate,
};

const SECRET: &[u8] = b"bench-form-secret-0123456789";
/// The tokens' issue time: 2026-03-01, a day before the pinned clock.
const ISSUED: i64 = 1_772_323_200;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(2000);
    let path = args.iter().find(|a| a.ends_with(".json"));
    // Start-up as the function does it: read the file and parse and check it.
    // The fixture has no file of its own here, so only its parse is timed.
    let load = || match path {
        Some(p) => RoutingManifest::load(p).expect("manifest"),
        None => RoutingManifest::from_json(include_str!("../tests/fixtures/manifest.json"))
            .expect("manifest"),
    };
    // A cold start allocates from untouched heap, so each page the manifest
    // takes is faulted in: the first figure keeps every load until the end
    // (no load reuses another's memory, none pays for freeing one). The
    // second drops each load before the next, so the heap is warm.
    let mut fresh_heap = Vec::new();
    let mut kept = vec![load()];
    for _ in 0..15 {
        let start = Instant::now();
        let fresh = load();
        fresh_heap.push(start.elapsed());
        kept.push(black_box(fresh));
    }
    let mut manifest = kept.pop().expect("loaded");
    drop(kept);
    let mut warm_heap = Vec::new();
    for _ in 0..15 {
        drop(manifest);
        let start = Instant::now();
        manifest = black_box(load());
        warm_heap.push(start.elapsed());
    }
    fresh_heap.sort();
    warm_heap.sort();
    // The last topic: for a large organisation the worst case of a scan.
    let topic = manifest.topics.last().expect("a topic").id.clone();
    let token = sign_form_token(SECRET, &manifest.content_hash, ISSUED);
    let time_token = sign_time_token(SECRET, Shown::AtBuild, ISSUED);
    let sender: Mailbox = "Example Org <forms@example.org>".parse().expect("sender");
    let now: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().expect("time");

    let mut times = Vec::with_capacity(n);
    for i in 0..n + 100 {
        let body = format!(
            "name=Ann+Example&email=ann%40example.net&topic={topic}&message=Hello+number+{i}%2C+I+would+like+a+quote.\
             &phone=%2B49+30+1234&website=&{}={token}&{}={time_token}&{}=bench-{i}",
            fields::FORM_TOKEN,
            fields::TIME_TOKEN,
            fields::IDEMPOTENCY_KEY
        );
        let start = Instant::now();
        let raw = parse::parse_body(BodyKind::Form, body.as_bytes(), 64 * 1024).expect("parse");
        assert!(matches!(
            screen::screen(&raw, &manifest, SECRET, now),
            Verdict::Pass { .. }
        ));
        let sub = validate::validate(&raw, &manifest).expect("valid");
        let route = route::route(&manifest, &sub.topic, now).expect("route");
        let ctx = Context {
            site_title: &manifest.site.title,
            sender: &sender,
            reference: "2026-ABCD-EFGH",
            received: now,
        };
        let mails = (
            compose::notification(&ctx, &sub, &route, &manifest.texts("en")).expect("notification"),
            compose::acknowledgement(&ctx, &sub, &route, &manifest.texts(&sub.language))
                .expect("acknowledgement"),
        );
        let took = start.elapsed();
        black_box(mails);
        if i >= 100 {
            times.push(took);
        }
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "manifest ({} topics, {} departments, {} contacts): load median {:.2} ms (min {:.2} ms) from a fresh heap, {:.2} ms (min {:.2} ms) warm",
        manifest.topics.len(),
        manifest.departments.len(),
        manifest.contacts.len(),
        ms(fresh_heap[fresh_heap.len() / 2]),
        ms(fresh_heap[0]),
        ms(warm_heap[warm_heap.len() / 2]),
        ms(warm_heap[0]),
    );
    println!(
        "parse+screen+validate+route+compose, {n} submissions: median {:.1} µs, p90 {:.1} µs, min {:.1} µs",
        us(pct(0.5)),
        us(pct(0.9)),
        us(times[0]),
    );
}
