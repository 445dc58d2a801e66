//! Checking the visible fields, with errors per field in words a visitor
//! understands. One-line fields refuse every control character, which is
//! what makes header injection impossible before compose even starts.

use crate::fields;
use crate::manifest::RoutingManifest;
use crate::parse::RawFields;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_PHONE_CHARS: usize = 40;
pub const MAX_COMPANY_CHARS: usize = 200;

/// A submission whose visible fields passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub name: String,
    pub email: String,
    pub topic: String,
    /// Line endings normalised to `\n`.
    pub message: String,
    pub phone: Option<String>,
    pub company: Option<String>,
}

/// One problem with one field; `field` is the form field's name (and the
/// element id the error page links to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Validates the visible fields. The topic must be one the manifest offers.
pub fn validate(
    raw: &RawFields,
    manifest: &RoutingManifest,
) -> Result<Submission, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut err = |field: &'static str, message: &str| {
        errors.push(FieldError {
            field,
            message: message.to_string(),
        })
    };

    let name = raw.get(fields::NAME).unwrap_or("").trim();
    if name.is_empty() {
        err(fields::NAME, "Please enter your name.");
    } else if name.chars().count() > MAX_NAME_CHARS {
        err(
            fields::NAME,
            &format!("Please shorten your name to at most {MAX_NAME_CHARS} characters."),
        );
    } else if has_control(name) {
        err(
            fields::NAME,
            "Your name must be on one line, without special control characters.",
        );
    } else if name.chars().any(is_format_char) {
        err(
            fields::NAME,
            "Your name contains invisible formatting characters (such as text-direction marks); please type it again without them.",
        );
    } else if name.contains(NAME_FORBIDDEN) {
        err(
            fields::NAME,
            "Please write your name without the characters \" < > and @.",
        );
    }

    let email = raw.get(fields::EMAIL).unwrap_or("").trim();
    if email.is_empty() {
        err(
            fields::EMAIL,
            "Please enter your email address, so we can answer you.",
        );
    } else if email.chars().count() > MAX_EMAIL_CHARS || !looks_like_email(email) {
        err(
            fields::EMAIL,
            "Please enter a valid email address, like name@example.com.",
        );
    }

    let topic = raw.get(fields::TOPIC).unwrap_or("").trim();
    if topic.is_empty() {
        err(fields::TOPIC, "Please choose a topic.");
    } else if manifest.topic(topic).is_none() {
        err(
            fields::TOPIC,
            "Please choose one of the topics in the list.",
        );
    }

    let message = raw
        .get(fields::MESSAGE)
        .unwrap_or("")
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let message = message.trim();
    let max = manifest.form.max_message_chars as usize;
    if message.is_empty() {
        err(fields::MESSAGE, "Please write your message.");
    } else if message.chars().count() > max {
        err(
            fields::MESSAGE,
            &format!("Please shorten your message to at most {max} characters."),
        );
    } else if message
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        err(
            fields::MESSAGE,
            "Your message contains special control characters; please remove them.",
        );
    }

    let phone = optional(raw, fields::PHONE);
    if let Some(p) = phone {
        let ok_chars = p
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()./".contains(c));
        if p.chars().count() > MAX_PHONE_CHARS
            || !ok_chars
            || !p.chars().any(|c| c.is_ascii_digit())
        {
            err(
                fields::PHONE,
                "Please enter a phone number using digits, spaces and + - ( ) only.",
            );
        }
    }

    let company = optional(raw, fields::COMPANY);
    if let Some(c) = company {
        if c.chars().count() > MAX_COMPANY_CHARS {
            err(
                fields::COMPANY,
                &format!(
                    "Please shorten the company name to at most {MAX_COMPANY_CHARS} characters."
                ),
            );
        } else if has_control(c) {
            err(
                fields::COMPANY,
                "The company name must be on one line, without special control characters.",
            );
        } else if c.chars().any(is_format_char) {
            err(
                fields::COMPANY,
                "The company name contains invisible formatting characters (such as text-direction marks); please type it again without them.",
            );
        }
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Submission {
        name: name.to_string(),
        email: email.to_string(),
        topic: topic.to_string(),
        message: message.to_string(),
        phone: phone.map(str::to_string),
        company: company.map(str::to_string),
    })
}

impl Submission {
    /// A digest of the message's fields, so a retried POST can be told from
    /// another message sent with the same key, and a submission sent without
    /// a key can be recognised by its content (hex, 32 characters).
    pub fn digest(&self) -> String {
        let email = self.email.to_lowercase();
        let fields = [
            self.topic.as_str(),
            &email,
            &self.name,
            &self.message,
            self.phone.as_deref().unwrap_or(""),
            self.company.as_deref().unwrap_or(""),
        ];
        // Each field ends with a NUL, so no two splits of the text agree.
        crate::hex::short_sha256(fields.iter().flat_map(|f| [f.as_bytes(), b"\0"]))
    }
}

/// Characters a name may not hold: with them a name can pose as an address
/// in a mail client's display (`"CEO <ceo@org>" <attacker@x>`).
const NAME_FORBIDDEN: [char; 4] = ['"', '<', '>', '@'];

/// Unicode format characters (general category Cf): bidi overrides and
/// isolates, zero-width characters, the byte-order mark, tags... Invisible
/// in a name, and able to make it read as something else.
pub fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

fn optional<'a>(raw: &'a RawFields, field: &str) -> Option<&'a str> {
    raw.get(field).map(str::trim).filter(|s| !s.is_empty())
}

/// Control characters include CR and LF, and Unicode line/paragraph separators
/// are refused too: some mail software treats them as line breaks.
fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
}

/// A deliberately plain address check: one `@`, a non-empty local part of
/// characters a mailbox can carry without quoting, and a dotted domain of
/// letters, digits and hyphens (internationalised labels allowed). It refuses
/// every character that could close a header or start another address.
///
/// The router runs it on every address of the manifest at start-up, so it
/// reads each part once, with a table for ASCII, and allocates nothing.
pub fn looks_like_email(s: &str) -> bool {
    looks_like_email_in(s, &mut None)
}

/// [`looks_like_email`] for many addresses in a row, as the manifest check
/// runs it: `known_domain` is a domain an earlier address had, already found
/// good, so an address with the same domain has only its local part and its
/// lengths checked. On success it holds this address's domain. Start with
/// `None`; the answer is always that of [`looks_like_email`].
pub fn looks_like_email_in<'a>(s: &'a str, known_domain: &mut Option<&'a str>) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.len() > 64 || domain.len() > 253 || !local_part_ok(local) {
        return false;
    }
    if *known_domain != Some(domain) {
        if !domain_ok(domain) {
            return false;
        }
        *known_domain = Some(domain);
    }
    true
}

/// The ASCII characters a local part may hold besides dots: letters, digits
/// and ``!#$%&'*+-/=?^_`{|}~``. A table, as the check runs per character.
const LOCAL_ASCII: [bool; 128] = {
    let mut table = [false; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric()
            || matches!(b, b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'/' | b'=' | b'?' | b'^'..=b'`' | b'{'..=b'~');
        i += 1;
    }
    table
};

/// Non-empty; [`LOCAL_ASCII`] characters and non-ASCII letters and digits;
/// dots only between them.
fn local_part_ok(local: &str) -> bool {
    let mut after_dot = true; // refuses a leading dot and an empty part
    for c in local.chars() {
        if c == '.' {
            if after_dot {
                return false;
            }
            after_dot = true;
        } else if c.is_ascii() && LOCAL_ASCII[c as usize] || !c.is_ascii() && c.is_alphanumeric() {
            after_dot = false;
        } else {
            return false;
        }
    }
    !after_dot
}

/// Two or more dot-separated labels of letters, digits and hyphens, each
/// 1–63 bytes, none starting or ending with a hyphen (so no second `@`).
fn domain_ok(domain: &str) -> bool {
    let mut labels = 1;
    let mut label_len = 0;
    let mut last = '.';
    for c in domain.chars() {
        if c == '.' {
            if label_len == 0 || last == '-' {
                return false;
            }
            labels += 1;
            label_len = 0;
        } else if c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii() && c.is_alphanumeric() {
            if label_len == 0 && c == '-' {
                return false;
            }
            label_len += c.len_utf8();
            if label_len > 63 {
                return false;
            }
        } else {
            return false;
        }
        last = c;
    }
    label_len > 0 && last != '-' && labels >= 2
}

#[cfg(test)]
mod tests {
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
}
