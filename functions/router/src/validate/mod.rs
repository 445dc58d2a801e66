//! Checking the visible fields, with errors per field in words a visitor
//! understands. One-line fields refuse every control character, which is
//! what makes header injection impossible before compose even starts.

mod email;
#[cfg(test)]
mod tests;

use crate::fields;
use crate::manifest::RoutingManifest;
use crate::parse::RawFields;
use crate::texts::Texts;

pub use email::{looks_like_email, looks_like_email_in};

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
    /// The site language the visitor wrote in (see
    /// [`RoutingManifest::language_for`]): their answers and acknowledgement
    /// are in it.
    pub language: String,
}

/// One problem with one field; `field` is the form field's name (and the
/// element id the error page links to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Validates the visible fields, with the errors in the visitor's
/// language. The topic must be one the manifest offers.
pub fn validate(
    raw: &RawFields,
    manifest: &RoutingManifest,
) -> Result<Submission, Vec<FieldError>> {
    let language = manifest.language_for(raw.get(fields::LANGUAGE));
    let t = &manifest.texts(language);
    let name = raw.get(fields::NAME).unwrap_or("").trim();
    let email = raw.get(fields::EMAIL).unwrap_or("").trim();
    let topic = raw.get(fields::TOPIC).unwrap_or("").trim();
    let message = raw
        .get(fields::MESSAGE)
        .unwrap_or("")
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let message = message.trim();
    let phone = optional(raw, fields::PHONE);
    let company = optional(raw, fields::COMPANY);

    let problems = [
        (fields::NAME, name_problem(name, t)),
        (fields::EMAIL, email_problem(email, t)),
        (fields::TOPIC, topic_problem(topic, manifest, t)),
        (
            fields::MESSAGE,
            message_problem(message, manifest.form.max_message_chars as usize, t),
        ),
        (fields::PHONE, phone.and_then(|p| phone_problem(p, t))),
        (fields::COMPANY, company.and_then(|c| company_problem(c, t))),
    ];
    let errors: Vec<FieldError> = problems
        .into_iter()
        .filter_map(|(field, problem)| problem.map(|message| FieldError { field, message }))
        .collect();
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
        language: language.to_string(),
    })
}

/// What is wrong with the (trimmed) name, in the visitor's words.
fn name_problem(name: &str, t: &Texts) -> Option<String> {
    if name.is_empty() {
        Some(t.get("error.name.missing").into())
    } else if name.chars().count() > MAX_NAME_CHARS {
        Some(t.fill(
            "error.name.too_long",
            &[("max", &MAX_NAME_CHARS.to_string())],
        ))
    } else if has_control(name) {
        Some(t.get("error.name.control").into())
    } else if name.chars().any(is_format_char) {
        Some(t.get("error.name.format").into())
    } else if name.contains(NAME_FORBIDDEN) {
        Some(t.get("error.name.forbidden").into())
    } else {
        None
    }
}

fn email_problem(email: &str, t: &Texts) -> Option<String> {
    if email.is_empty() {
        Some(t.get("error.email.missing").into())
    } else if email.chars().count() > MAX_EMAIL_CHARS || !looks_like_email(email) {
        Some(t.get("error.email.invalid").into())
    } else {
        None
    }
}

fn topic_problem(topic: &str, manifest: &RoutingManifest, t: &Texts) -> Option<String> {
    if topic.is_empty() {
        Some(t.get("error.topic.missing").into())
    } else if manifest.topic(topic).is_none() {
        Some(t.get("error.topic.unknown").into())
    } else {
        None
    }
}

/// The message may span lines (already `\n`) and hold tabs, nothing else
/// of the control characters.
fn message_problem(message: &str, max: usize, t: &Texts) -> Option<String> {
    if message.is_empty() {
        Some(t.get("error.message.missing").into())
    } else if message.chars().count() > max {
        Some(t.fill("error.message.too_long", &[("max", &max.to_string())]))
    } else if message
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        Some(t.get("error.message.control").into())
    } else {
        None
    }
}

fn phone_problem(phone: &str, t: &Texts) -> Option<String> {
    let ok_chars = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()./".contains(c));
    if phone.chars().count() > MAX_PHONE_CHARS
        || !ok_chars
        || !phone.chars().any(|c| c.is_ascii_digit())
    {
        Some(t.get("error.phone.invalid").into())
    } else {
        None
    }
}

fn company_problem(company: &str, t: &Texts) -> Option<String> {
    if company.chars().count() > MAX_COMPANY_CHARS {
        Some(t.fill(
            "error.company.too_long",
            &[("max", &MAX_COMPANY_CHARS.to_string())],
        ))
    } else if has_control(company) {
        Some(t.get("error.company.control").into())
    } else if company.chars().any(is_format_char) {
        Some(t.get("error.company.format").into())
    } else {
        None
    }
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
