//! Switchboard's builder: reads an organisation from `content/` and renders
//! its contact site plus the routing manifest the router reads.
//!
//! The way through: [`model`] loads and checks the TOML, [`render`] turns
//! the [`model::Site`] into files in memory, [`manifest`] fills the router's
//! manifest, [`build`] ties them together and [`output`] swaps the result in.

pub mod build;
pub mod diagnostic;
pub mod dot_switchboard;
pub mod manifest;
pub mod model;
pub mod output;
pub mod render;
pub mod router_texts;
pub mod serve;
pub mod submissions;
pub mod watch;
