//! Prints a form token and a build-time time token, one per line, for
//! load scripts that post to a running router (`benches/bench-server.sh`).
//!
//!   cargo run -p switchboard-router --example sign_tokens -- SECRET CONTENT_HASH [ISSUED_UNIX]
//!
//! ISSUED defaults to an hour ago (within every lifetime, past every fill time).

use switchboard_router::{Shown, sign_form_token, sign_time_token};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(secret), Some(hash)) = (args.first(), args.get(1)) else {
        eprintln!("usage: sign_tokens SECRET CONTENT_HASH [ISSUED_UNIX]");
        std::process::exit(2);
    };
    let issued = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| chrono::Utc::now().timestamp() - 3600);
    println!("{}", sign_form_token(secret.as_bytes(), hash, issued));
    println!(
        "{}",
        sign_time_token(secret.as_bytes(), Shown::AtBuild, issued)
    );
}
