//! What the router's benches share: the fixture manifest without rate
//! limits, tokens that pass, a submission body, and the summary line.

use std::time::Duration;

use bytes::Bytes;
use switchboard_router::{RoutingManifest, Shown, fields, sign_form_token, sign_time_token};

pub const SECRET: &[u8] = b"bench-form-secret-0123456789";
/// The tokens' issue time: 2026-03-01, a day before the pinned clock.
const ISSUED: i64 = 1_772_323_200;
/// The pinned clock.
pub const NOW: &str = "2026-03-02T09:00:00Z";

/// The fixture manifest; one client sends every submission here, so the
/// limits are lifted: the bench measures the handler, not the limits.
pub fn manifest() -> RoutingManifest {
    let mut manifest =
        RoutingManifest::from_json(include_str!("../../tests/fixtures/manifest.json"))
            .expect("fixture manifest");
    manifest.form.limits.per_client_per_hour = u32::MAX;
    manifest.form.limits.overall_per_hour = u32::MAX;
    manifest
}

/// Submission `i`: its own idempotency key and acknowledgement address.
pub fn submission(i: usize) -> http::Request<Bytes> {
    let token = sign_form_token(SECRET, "c0ffee1234", ISSUED);
    let time_token = sign_time_token(SECRET, Shown::AtBuild, ISSUED);
    let body = format!(
        "name=Ann+Example&email=ann{i}%40example.net&topic=sales&message=Hello+number+{i}%2C+I+would+like+a+quote.\
         &phone=%2B49+30+1234&website=&{}={token}&{}={time_token}&{}=bench-{i}",
        fields::FORM_TOKEN,
        fields::TIME_TOKEN,
        fields::IDEMPOTENCY_KEY
    );
    http::Request::post("/api/contact")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://contact.example.org")
        .body(Bytes::from(body))
        .expect("request")
}

/// `label, N submissions: median …, p90 …, min …, max …` (sorts `times`).
pub fn summary(label: &str, times: &mut [Duration]) -> String {
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "{label}, {} submissions: median {:.3} ms, p90 {:.3} ms, min {:.3} ms, max {:.3} ms",
        times.len(),
        ms(pct(0.5)),
        ms(pct(0.9)),
        ms(times[0]),
        ms(times[times.len() - 1])
    )
}
