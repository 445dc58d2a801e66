//! The address syntax every address must pass: the visitor's, and each of
//! the manifest's at start-up.

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
