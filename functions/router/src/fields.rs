//! The router's side of the form's field names, the contract whose other side
//! is the builder's `src/model/fields.rs`: the names the built page must send.
//! The builder's templates use these constants so the page and the function
//! can never disagree.
//! The honeypot's name is not here: it comes from the manifest
//! (`form.honeypot_field`), so each site can pick its own.

/// Visitor's name (required, one line, at most [`crate::validate::MAX_NAME_CHARS`]).
pub const NAME: &str = "name";
/// Visitor's email address (required); the notification's Reply-To.
pub const EMAIL: &str = "email";
/// A topic id from the manifest (required); the form's `<select>` values.
pub const TOPIC: &str = "topic";
/// The message (required, multi-line).
pub const MESSAGE: &str = "message";
/// Optional phone number.
pub const PHONE: &str = "phone";
/// Optional company or organisation.
pub const COMPANY: &str = "company";
/// Hidden field with the page's language code (its `lang`): the router
/// answers and acknowledges in it when it is one of the site's languages,
/// and in the default language otherwise.
pub const LANGUAGE: &str = "language";
/// Hidden field carrying [`crate::sign_form_token`]'s output, rendered at build time.
pub const FORM_TOKEN: &str = "sb_form_token";
/// Hidden field the page's script fills with the token from `GET` on the
/// endpoint, proving when the page was shown (minimum fill time).
pub const TIME_TOKEN: &str = "sb_time_token";
/// Hidden field with a random key per page view; a retried POST with the same
/// key gets the same reference and sends nothing twice. The `Idempotency-Key`
/// request header works too.
pub const IDEMPOTENCY_KEY: &str = "sb_idempotency_key";
/// Cloudflare Turnstile's response field (set by its widget).
pub const TURNSTILE_RESPONSE: &str = "cf-turnstile-response";
/// hCaptcha's response field (set by its widget).
pub const HCAPTCHA_RESPONSE: &str = "h-captcha-response";
/// The HTTP header alternative to [`IDEMPOTENCY_KEY`].
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The visible fields, in form order.
pub const VISIBLE: [&str; 6] = [NAME, EMAIL, TOPIC, MESSAGE, PHONE, COMPANY];
