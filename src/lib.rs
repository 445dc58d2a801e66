//! Switchboard's builder: reads an organisation from `content/` and renders
//! its contact site plus the routing manifest the router reads.

pub mod model;
pub mod render;
