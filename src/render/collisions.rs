//! Hands each rendered file to the sink, refusing a second source for one
//! path (a Markdown page named `contact`, say), with both sources named.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{FileSink, RenderError};

/// What produced an output file, for collision messages (borrowed, not a
/// string per file: a large site has tens of thousands of files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Origin<'a> {
    Named(&'static str),
    Page(&'a str),
    VCard(&'a str),
}

impl std::fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Named(text) => f.write_str(text),
            Origin::Page(slug) => write!(f, "the Markdown page `{slug}`"),
            Origin::VCard(id) => write!(f, "the vCard of contact `{id}`"),
        }
    }
}

/// Hands files to the sink, refusing two sources for one path.
pub(super) struct Output<'a> {
    sink: &'a dyn FileSink,
    /// Path → what produced it, for collision messages.
    origins: Mutex<HashMap<String, Origin<'a>>>,
}

impl<'a> Output<'a> {
    pub(super) fn new(sink: &'a dyn FileSink) -> Self {
        Output {
            sink,
            origins: Mutex::default(),
        }
    }

    pub(super) fn add(
        &self,
        path: String,
        pieces: &[&[u8]],
        origin: Origin<'a>,
    ) -> Result<(), RenderError> {
        {
            let mut origins = self.origins.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(&first) = origins.get(&path) {
                // Files arrive from several threads: name the two in a
                // stable order, so the message is the same on every run.
                let (first, second) = (first.min(origin), first.max(origin));
                return Err(RenderError::Collision {
                    path,
                    first: first.to_string(),
                    second: second.to_string(),
                });
            }
            origins.insert(path.clone(), origin);
        }
        self.sink
            .put(&path, pieces)
            .map_err(|source| RenderError::Write { path, source })
    }
}
