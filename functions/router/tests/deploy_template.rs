//! The deployment template and the function agree: every variable the
//! template sets is one the function reads, and the ones a deployed
//! function needs are all set (the function refuses to start without them).

use std::collections::BTreeSet;

const TEMPLATE: &str = include_str!("../../../deploy/aws/template.yaml");
const CONFIG: &str = include_str!("../src/config/mod.rs");

/// `SWITCHBOARD_*` names in `text` (letters, digits and `_` after the prefix).
fn names(text: &str) -> BTreeSet<String> {
    text.match_indices("SWITCHBOARD_")
        .map(|(at, _)| {
            text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| n.len() > "SWITCHBOARD_".len())
        .collect()
}

#[test]
fn the_template_sets_what_the_function_reads_and_nothing_else() {
    let set: BTreeSet<String> = TEMPLATE
        .lines()
        .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k.trim()))
        .filter(|k| k.starts_with("SWITCHBOARD_"))
        .map(str::to_string)
        .collect();
    let read = names(CONFIG);
    for name in &set {
        assert!(
            read.contains(name),
            "the template sets {name}, which the function never reads"
        );
    }
    for needed in [
        "SWITCHBOARD_STORE",
        "SWITCHBOARD_TABLE",
        "SWITCHBOARD_QUEUE_URL",
        "SWITCHBOARD_MAIL",
        "SWITCHBOARD_SENDER",
        "SWITCHBOARD_FORM_SECRET_PARAMETER",
        "SWITCHBOARD_SES_CONFIGURATION_SET",
        "SWITCHBOARD_MAX_RECEIVES",
        "SWITCHBOARD_RETENTION_DAYS",
    ] {
        assert!(set.contains(needed), "the template does not set {needed}");
    }
    // The values that must match the code's expectations.
    assert!(TEMPLATE.contains("SWITCHBOARD_STORE: dynamodb"));
    assert!(TEMPLATE.contains("SWITCHBOARD_MAIL: ses"));
    assert!(
        TEMPLATE.contains("AttributeName: expires_at"),
        "the TTL attribute the store writes"
    );
    assert!(
        TEMPLATE.contains("AttributeName: key"),
        "the partition key the store writes"
    );
}
