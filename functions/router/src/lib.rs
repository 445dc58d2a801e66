//! The Switchboard contact-form router: parse, validate, screen, route, keep,
//! deliver and answer one form submission. Independent of AWS Lambda, so the
//! builder's `serve` can mount the same handler locally.

pub mod manifest;
