//! Turning a request body into form fields: urlencoded or JSON, size-capped,
//! strict UTF-8. Nothing here trusts the client: lengths are checked before
//! any work, and bytes that are not UTF-8 are refused rather than replaced,
//! so what reaches a point of contact is exactly what the visitor typed.

use std::collections::BTreeMap;

use http::{HeaderMap, StatusCode, header};

/// Default cap on a request body: a long message is a few kilobytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// The fields of one submission, by name. Unknown fields (for example a
/// `cc`, `bcc` or `to` a script slipped in) are kept here but nothing reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawFields(BTreeMap<String, String>);

impl RawFields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

/// Which body encoding the client used; JSON clients get JSON answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Form,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("The message is too large (at most {max} bytes).")]
    TooLarge { max: usize },
    #[error("The form must be sent as application/x-www-form-urlencoded or application/json.")]
    UnsupportedMediaType,
    #[error("The form data is not valid UTF-8 text.")]
    InvalidUtf8,
    #[error("The form data is malformed: {0}")]
    Malformed(String),
    #[error("The field `{0}` was sent more than once.")]
    Duplicate(String),
}

impl ParseError {
    /// What the visitor reads about it, in the language of `texts`.
    pub fn message_in(&self, texts: &crate::texts::Texts<'_>) -> String {
        match self {
            ParseError::TooLarge { max } => {
                texts.fill("problem.too_large", &[("max", &max.to_string())])
            }
            ParseError::UnsupportedMediaType => texts.get("problem.media_type").into(),
            ParseError::InvalidUtf8 => texts.get("problem.utf8").into(),
            ParseError::Malformed(_) => texts.get("problem.malformed").into(),
            ParseError::Duplicate(field) => texts.fill("problem.duplicate", &[("field", field)]),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ParseError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ParseError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ParseError::InvalidUtf8 | ParseError::Malformed(_) | ParseError::Duplicate(_) => {
                StatusCode::BAD_REQUEST
            }
        }
    }
}

/// Whether the request's `Content-Length` says its body is over `max`
/// bytes: checked before reading any of it, by the router and its hosts.
pub fn declares_more_than(headers: &HeaderMap, max: usize) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > max as u64)
}

/// Reads the content type, refusing anything but the two encodings we speak
/// (and any charset but UTF-8, which is what browsers send for a UTF-8 page).
pub fn body_kind(headers: &HeaderMap) -> Result<BodyKind, ParseError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or(ParseError::UnsupportedMediaType)?;
    let mut parts = ct.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    for param in parts {
        let (k, v) = param.split_once('=').unwrap_or((param, ""));
        if k.trim().eq_ignore_ascii_case("charset") {
            let v = v.trim().trim_matches('"');
            if !v.eq_ignore_ascii_case("utf-8") && !v.eq_ignore_ascii_case("utf8") {
                return Err(ParseError::UnsupportedMediaType);
            }
        }
    }
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Ok(BodyKind::Form),
        "application/json" => Ok(BodyKind::Json),
        _ => Err(ParseError::UnsupportedMediaType),
    }
}

/// Parses a body of the given kind into fields, after the size check.
pub fn parse_body(kind: BodyKind, body: &[u8], max: usize) -> Result<RawFields, ParseError> {
    if body.len() > max {
        return Err(ParseError::TooLarge { max });
    }
    match kind {
        BodyKind::Form => parse_urlencoded(body),
        BodyKind::Json => parse_json(body),
    }
}

fn parse_urlencoded(body: &[u8]) -> Result<RawFields, ParseError> {
    // The raw body of a urlencoded form is ASCII; percent-escapes decode to
    // UTF-8 bytes, which are checked after decoding.
    let mut fields = RawFields::default();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let key = percent_decode(k)?;
        let value = percent_decode(v)?;
        if fields.contains(&key) {
            return Err(ParseError::Duplicate(key));
        }
        fields.insert(key, value);
    }
    Ok(fields)
}

fn percent_decode(input: &[u8]) -> Result<String, ParseError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = input.get(i + 1..i + 3).ok_or_else(bad_escape)?;
                let hi = hex_val(hex[0]).ok_or_else(bad_escape)?;
                let lo = hex_val(hex[1]).ok_or_else(bad_escape)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ParseError::InvalidUtf8)
}

fn bad_escape() -> ParseError {
    ParseError::Malformed("a percent-escape is incomplete".into())
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn parse_json(body: &[u8]) -> Result<RawFields, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| ParseError::InvalidUtf8)?;
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ParseError::Malformed(format!("invalid JSON ({e})")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(ParseError::Malformed(
            "expected a JSON object of fields".into(),
        ));
    };
    let mut fields = RawFields::default();
    for (k, v) in map {
        match v {
            serde_json::Value::String(s) => fields.insert(k, s),
            serde_json::Value::Null => {}
            // Numbers and booleans are harmless as text; nested structures are not
            // a form, and accepting them would invite `"to": ["..."]` style games.
            serde_json::Value::Number(n) => fields.insert(k, n.to_string()),
            serde_json::Value::Bool(b) => fields.insert(k, b.to_string()),
            _ => {
                return Err(ParseError::Malformed(format!(
                    "field `{k}` must be a string"
                )));
            }
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        h
    }

    #[test]
    fn content_types() {
        assert_eq!(
            body_kind(&headers("application/x-www-form-urlencoded")),
            Ok(BodyKind::Form)
        );
        assert_eq!(
            body_kind(&headers("application/json; charset=UTF-8")),
            Ok(BodyKind::Json)
        );
        assert_eq!(
            body_kind(&headers("multipart/form-data; boundary=x")),
            Err(ParseError::UnsupportedMediaType)
        );
        assert_eq!(
            body_kind(&headers(
                "application/x-www-form-urlencoded; charset=iso-8859-1"
            )),
            Err(ParseError::UnsupportedMediaType)
        );
        assert_eq!(
            body_kind(&HeaderMap::new()),
            Err(ParseError::UnsupportedMediaType)
        );
    }

    #[test]
    fn urlencoded_decodes_plus_and_escapes() {
        let f = parse_body(
            BodyKind::Form,
            b"name=J%C3%BCrgen+M&message=a%0D%0Ab&empty=&flag",
            1000,
        )
        .unwrap();
        assert_eq!(f.get("name"), Some("Jürgen M"));
        assert_eq!(f.get("message"), Some("a\r\nb"));
        assert_eq!(f.get("empty"), Some(""));
        assert_eq!(f.get("flag"), Some(""));
    }

    #[test]
    fn urlencoded_rejects_invalid_utf8_and_bad_escapes_and_duplicates() {
        assert_eq!(
            parse_body(BodyKind::Form, b"name=%FF%FE", 1000),
            Err(ParseError::InvalidUtf8)
        );
        assert_eq!(
            parse_body(BodyKind::Form, b"name=\xff", 1000),
            Err(ParseError::InvalidUtf8)
        );
        assert!(matches!(
            parse_body(BodyKind::Form, b"name=%4", 1000),
            Err(ParseError::Malformed(_))
        ));
        assert!(matches!(
            parse_body(BodyKind::Form, b"name=%zz", 1000),
            Err(ParseError::Malformed(_))
        ));
        assert_eq!(
            parse_body(BodyKind::Form, b"email=a@b.c&email=x@y.z", 1000),
            Err(ParseError::Duplicate("email".into()))
        );
    }

    #[test]
    fn size_cap_applies_before_parsing() {
        let body = vec![b'a'; 2000];
        assert_eq!(
            parse_body(BodyKind::Form, &body, 1000),
            Err(ParseError::TooLarge { max: 1000 })
        );
        assert_eq!(
            ParseError::TooLarge { max: 1 }.status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[test]
    fn json_objects_of_strings() {
        let f = parse_body(
            BodyKind::Json,
            br#"{"name":"Ann","phone":123,"x":null}"#,
            1000,
        )
        .unwrap();
        assert_eq!(f.get("name"), Some("Ann"));
        assert_eq!(f.get("phone"), Some("123"));
        assert!(!f.contains("x"));
        assert!(matches!(
            parse_body(BodyKind::Json, br#"{"to":["a@b.c"]}"#, 1000),
            Err(ParseError::Malformed(_))
        ));
        assert!(matches!(
            parse_body(BodyKind::Json, b"[1]", 1000),
            Err(ParseError::Malformed(_))
        ));
        assert_eq!(
            parse_body(BodyKind::Json, b"{\"a\":\"\xff\"}", 1000),
            Err(ParseError::InvalidUtf8)
        );
    }
}
