//! vCard 4.0 (RFC 6350) for one point of contact.
//!
//! Written by hand rather than with a crate because the format is small and
//! the details that break real parsers are exactly the ones we want under
//! test: CRLF line ends, folding at 75 octets without splitting a UTF-8
//! character, and escaping of `\ , ;` and newlines in text values.

use crate::model::{Contact, Department, Site};

/// Longest line, in octets, before folding (RFC 6350 §3.2), excluding CRLF.
const MAX_LINE_OCTETS: usize = 75;

/// Renders the vCard of `contact`. The email is included only when the
/// contact publishes it; the department page URL and photo are absolute so
/// the card works once saved to an address book.
pub fn contact_vcard(site: &Site, department: &Department, contact: &Contact) -> String {
    let base = &site.config.base_url;
    let mut out = String::with_capacity(512);
    line(&mut out, "BEGIN:VCARD");
    line(&mut out, "VERSION:4.0");
    line(&mut out, "KIND:individual");
    line(&mut out, &format!("FN:{}", escape_text(&contact.name)));
    let (given, family) = split_name(&contact.name);
    line(
        &mut out,
        &format!("N:{};{};;;", escape_text(family), escape_text(given)),
    );
    line(
        &mut out,
        &format!(
            "ORG:{};{}",
            escape_text(&site.organization.name),
            escape_text(&department.name)
        ),
    );
    if !contact.role.is_empty() {
        line(&mut out, &format!("TITLE:{}", escape_text(&contact.role)));
    }
    if let Some(phone) = &contact.phone {
        line(
            &mut out,
            &format!("TEL;VALUE=uri;TYPE=work,voice:tel:{}", phone.e164),
        );
    }
    if contact.publish_email {
        line(
            &mut out,
            &format!("EMAIL;TYPE=work:{}", escape_text(&contact.email)),
        );
    }
    for (i, lang) in contact.languages.iter().enumerate() {
        line(
            &mut out,
            &format!("LANG;PREF={}:{}", i + 1, escape_text(lang)),
        );
    }
    if let Some(photo) = &contact.photo {
        line(
            &mut out,
            &format!("PHOTO:{}/{}", base, photo.trim_start_matches('/')),
        );
    }
    line(
        &mut out,
        &format!("URL:{}/departments/{}/", base, department.id),
    );
    line(&mut out, &format!("UID:{}/vcards/{}.vcf", base, contact.id));
    line(&mut out, "END:VCARD");
    out
}

/// Appends one content line, folded, with its CRLF.
fn line(out: &mut String, content: &str) {
    out.push_str(&fold(content));
    out.push_str("\r\n");
}

/// Folds a content line so no physical line exceeds 75 octets: a CRLF and
/// one space are inserted before the octet that would overflow, moving back
/// to the start of a UTF-8 character so none is ever split. The returned
/// string has no trailing CRLF.
pub fn fold(content: &str) -> String {
    if content.len() <= MAX_LINE_OCTETS {
        return content.to_string();
    }
    let mut out = String::with_capacity(content.len() + content.len() / 60 * 3);
    let mut rest = content;
    // The first line holds 75 octets; continuation lines start with a space,
    // which counts, so they hold 74 octets of content.
    let mut budget = MAX_LINE_OCTETS;
    while rest.len() > budget {
        let mut cut = budget;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        budget = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out
}

/// Escapes a TEXT value (RFC 6350 §3.4): backslash, comma, semicolon, and
/// any line break as `\n`. CR is dropped so `\r\n` becomes one `\n`.
pub fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Splits a display name into (given names, family name) for the `N`
/// property: the last word is taken as the family name. This is only a
/// guess (not every culture orders names this way); `FN` always carries the
/// name exactly as written, and clients display `FN`.
fn split_name(name: &str) -> (&str, &str) {
    let name = name.trim();
    match name.rfind(char::is_whitespace) {
        Some(i) => (name[..i].trim_end(), name[i..].trim_start()),
        None => ("", name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_not_folded() {
        assert_eq!(fold("FN:Ana"), "FN:Ana");
        let exact = "X".repeat(75);
        assert_eq!(fold(&exact), exact);
    }

    #[test]
    fn long_ascii_lines_fold_at_75_then_74_octets() {
        let s = "A".repeat(200);
        let folded = fold(&s);
        let lines: Vec<&str> = folded.split("\r\n").collect();
        assert_eq!(lines[0].len(), 75);
        assert!(lines[1..].iter().all(|l| l.starts_with(' ')));
        assert!(lines.iter().all(|l| l.len() <= 75));
        assert_eq!(lines[1].len(), 75);
        // Unfolding (remove CRLF + one space) gives back the original.
        assert_eq!(folded.replace("\r\n ", ""), s);
    }

    #[test]
    fn folding_never_splits_a_utf8_character() {
        // 'é' is 2 octets, '€' 3, '𝄞' 4: every alignment gets exercised.
        for prefix in 0..4 {
            let s = format!("{}{}", "x".repeat(prefix), "é€𝄞".repeat(40));
            let folded = fold(&s);
            for l in folded.split("\r\n") {
                assert!(l.len() <= 75, "line too long: {}", l.len());
                // Each physical line is valid UTF-8 on its own.
                assert!(std::str::from_utf8(l.as_bytes()).is_ok());
            }
            assert_eq!(folded.replace("\r\n ", ""), s);
        }
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(
            escape_text("Smith, Jones; \\ Co\r\nline2\nline3"),
            "Smith\\, Jones\\; \\\\ Co\\nline2\\nline3"
        );
        assert_eq!(escape_text("Zoë Ødegård"), "Zoë Ødegård");
    }

    #[test]
    fn names_split_on_last_word() {
        assert_eq!(split_name("Ana María Souza"), ("Ana María", "Souza"));
        assert_eq!(split_name("Prince"), ("", "Prince"));
        assert_eq!(split_name("  Zoë  Ødegård "), ("Zoë", "Ødegård"));
    }

    #[test]
    fn card_has_crlf_lines_and_only_published_email() {
        let site = crate::render::testsite::site();
        let dept = &site.departments[0];
        let hidden = dept.contacts.iter().find(|c| !c.publish_email).unwrap();
        let shown = dept.contacts.iter().find(|c| c.publish_email).unwrap();

        let card = contact_vcard(&site, dept, hidden);
        assert!(card.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"));
        assert!(card.ends_with("END:VCARD\r\n"));
        assert!(
            !card.replace("\r\n", "").contains('\n'),
            "bare LF in {card:?}"
        );
        assert!(!card.contains(&hidden.email));
        assert!(!card.contains("EMAIL"));
        assert!(card.contains("KIND:individual\r\n"));
        assert!(card.contains("TEL;VALUE=uri;TYPE=work,voice:tel:+"));

        let card = contact_vcard(&site, dept, shown);
        assert!(card.contains(&format!("EMAIL;TYPE=work:{}\r\n", shown.email)));
        assert!(card.contains(&format!(
            "ORG:{};{}\r\n",
            escape_text(&site.organization.name),
            escape_text(&dept.name)
        )));
        for l in card.split("\r\n") {
            assert!(l.len() <= 75);
        }
    }
}
