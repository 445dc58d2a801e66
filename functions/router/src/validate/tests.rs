use super::*;
use crate::test_support::manifest;

fn raw(pairs: &[(&str, &str)]) -> RawFields {
    let mut r = RawFields::default();
    for (k, v) in pairs {
        r.insert(*k, *v);
    }
    r
}

fn good() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", " Ann Example "),
        ("email", "ann@example.org"),
        ("topic", "sales"),
        ("message", "Hi\r\nthere"),
    ]
}

#[test]
fn accepts_and_normalises() {
    let s = validate(&raw(&good()), &manifest()).unwrap();
    assert_eq!(s.name, "Ann Example");
    assert_eq!(s.message, "Hi\nthere");
    assert_eq!(s.phone, None);
}

#[test]
fn reports_every_missing_field() {
    let errs = validate(&raw(&[]), &manifest()).unwrap_err();
    let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
    assert_eq!(fields, vec!["name", "email", "topic", "message"]);
}

#[test]
fn refuses_crlf_in_one_line_fields() {
    let mut f = good();
    f[0] = ("name", "Ann\r\nBcc: victim@example.com");
    f.push(("company", "Acme\nX-Evil: 1"));
    let errs = validate(&raw(&f), &manifest()).unwrap_err();
    assert_eq!(
        errs.iter().map(|e| e.field).collect::<Vec<_>>(),
        vec!["name", "company"]
    );
    f[0] = ("name", "Ann\u{2028}Bcc");
    assert!(validate(&raw(&f), &manifest()).is_err());
}

#[test]
fn names_that_pose_as_addresses_or_hide_text_are_refused() {
    for bad in [
        "Ann\u{202E}elpmaxE",
        "Ann\u{200B}Example",
        "\u{2066}CEO\u{2069}",
        "\"CEO <ceo@example.org>\"",
        "CEO <ceo@example.org>",
        "ceo@example.org",
    ] {
        let mut f = good();
        f[0] = ("name", bad);
        let errs = validate(&raw(&f), &manifest()).unwrap_err();
        assert_eq!(errs.len(), 1, "{bad:?}");
        assert_eq!(errs[0].field, "name", "{bad:?}");
    }
    let mut f = good();
    f.push(("company", "Acme\u{202E}"));
    assert_eq!(
        validate(&raw(&f), &manifest()).unwrap_err()[0].field,
        "company"
    );
    // Names in any script, with apostrophes and hyphens, still pass.
    for ok in ["José O'Brien-Smith", "山田 太郎", "محمد علي", "Zoë"] {
        let mut f = good();
        f[0] = ("name", ok);
        assert!(validate(&raw(&f), &manifest()).is_ok(), "{ok}");
    }
}

#[test]
fn the_digest_tells_messages_apart() {
    let a = validate(&raw(&good()), &manifest()).unwrap();
    let mut b = a.clone();
    assert_eq!(a.digest(), b.digest());
    b.email = "ANN@example.org".into();
    assert_eq!(a.digest(), b.digest(), "addresses compare without case");
    b.message.push('!');
    assert_ne!(a.digest(), b.digest());
    assert_eq!(a.digest().len(), 32);
}

#[test]
fn unknown_topic_and_long_message() {
    let mut f = good();
    f[2] = ("topic", "nope");
    let long = "x".repeat(5001);
    f[3] = ("message", &long);
    let errs = validate(&raw(&f), &manifest()).unwrap_err();
    assert_eq!(errs[0].field, "topic");
    assert!(errs[1].message.contains("5000"));
}

#[test]
fn email_syntax() {
    for ok in [
        "a@b.co",
        "first.last+tag@sub.example.org",
        "jürgen@bücher.de",
        "o'brien+x@a-b.c-d.example",
    ] {
        assert!(looks_like_email(ok), "{ok}");
    }
    for bad in [
        "",
        "a",
        "a@b",
        "@b.co",
        "a@@b.co",
        "a b@c.de",
        "a@b.co\r\nBcc: x@y.z",
        "a@b.co>",
        "<a@b.co",
        "a,b@c.de",
        "a@-b.co",
        "a..b@c.de",
        "\"a\"@b.co",
        "a@b.co;c@d.ef",
        "a@b.co@d.ef",
        "a@b..co",
        "a@b.co.",
        "a@b-.co",
        ".a@b.co",
        "a.@b.co",
        "a@.b.co",
        "a@b.-co",
        "a@b.co-",
        "a@b.c o",
    ] {
        assert!(!looks_like_email(bad), "{bad:?}");
    }
}

/// The check as it was before it was made single-pass; the two must agree.
fn reference_looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || domain.len() > 253 || domain.contains('@') {
        return false;
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

#[test]
fn email_syntax_agrees_with_the_reference_on_every_short_string() {
    let alphabet = ['a', '.', '@', '-', 'é', ' ', '+', '\n'];
    let mut words = vec![String::new()];
    for _ in 0..6 {
        let longer: Vec<String> = words
            .iter()
            .filter(|w| w.chars().count() == words.last().map_or(0, |l| l.chars().count()))
            .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
            .collect();
        words.extend(longer);
    }
    let long = |n: usize| "x".repeat(n);
    words.extend([
        format!("{}@b.co", long(64)),
        format!("{}@b.co", long(65)),
        format!("a@{}.co", long(63)),
        format!("a@{}.co", long(64)),
        format!("a@{}.{}", "é".repeat(31), long(2)),
        format!("a@{}.{}", "é".repeat(32), long(2)),
        format!("a@{}", ["b"; 127].join(".")),
        format!("a@{}", ["b"; 128].join(".")),
    ]);
    // Every ASCII character, and a few others, in each part.
    let others = ['é', '٣', '中', '€', '\u{2028}', '\u{a0}'];
    for c in (0u8..128).map(char::from).chain(others) {
        words.push(format!("a{c}b@xy.zz"));
        words.push(format!("ab@x{c}y.zz"));
    }
    for w in &words {
        assert_eq!(looks_like_email(w), reference_looks_like_email(w), "{w:?}");
    }
    // With a known domain carried from one address to the next, in two
    // orders, and after each good domain of the list: the same answers.
    for order in [words.clone(), words.iter().rev().cloned().collect()] {
        let mut known = None;
        for w in &order {
            assert_eq!(
                looks_like_email_in(w, &mut known),
                looks_like_email(w),
                "{w:?}"
            );
        }
    }
    for good in ["a@xy.zz", "a@b.co", "a@b..co"]
        .iter()
        .filter(|g| looks_like_email(g))
    {
        for w in &words {
            let mut known = None;
            assert!(looks_like_email_in(good, &mut known));
            assert_eq!(
                looks_like_email_in(w, &mut known),
                looks_like_email(w),
                "{w:?}"
            );
        }
    }
}

#[test]
fn phone_rules() {
    let mut f = good();
    f.push(("phone", "+49 (30) 123-45"));
    assert_eq!(
        validate(&raw(&f), &manifest()).unwrap().phone.as_deref(),
        Some("+49 (30) 123-45")
    );
    f.pop();
    f.push(("phone", "call me"));
    assert_eq!(
        validate(&raw(&f), &manifest()).unwrap_err()[0].field,
        "phone"
    );
}
