//! The content model: the TOML schema, loading with source spans, and validation.

mod site;

pub use site::*;
