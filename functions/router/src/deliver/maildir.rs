//! The default backend: each message becomes an `.eml` file in a local
//! directory (under `.switchboard/` with `serve`). Nothing to set up, and any
//! mail client opens the files.

use std::path::PathBuf;

use super::{BoxFuture, DeliveryError, Envelope, Mailer};
use crate::durable;

#[derive(Debug, Clone)]
pub struct MaildirMailer {
    dir: PathBuf,
}

impl MaildirMailer {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl Mailer for MaildirMailer {
    fn send<'a>(
        &'a self,
        envelope: &'a Envelope,
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            std::fs::create_dir_all(&self.dir)
                .map_err(|e| DeliveryError::Temporary(format!("mail directory: {e}")))?;
            // The envelope is written as leading `X-Envelope-To` lines (like
            // mbox's `Delivered-To`), so one can see who a file was "sent" to
            // even when that differs from the To/Cc headers.
            let mut file = Vec::with_capacity(raw.len() + 128);
            file.extend_from_slice(format!("X-Envelope-From: <{}>\r\n", envelope.from).as_bytes());
            for to in &envelope.to {
                file.extend_from_slice(format!("X-Envelope-To: <{to}>\r\n").as_bytes());
            }
            file.extend_from_slice(raw);
            let mut rnd = [0u8; 4];
            getrandom::fill(&mut rnd).map_err(|e| DeliveryError::Temporary(e.to_string()))?;
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
            let name = format!("{stamp}-{:08x}.eml", u32::from_be_bytes(rnd));
            durable::write_new(&self.dir.join(name), &file)
                .map_err(|e| DeliveryError::Temporary(format!("mail directory: {e}")))
        })
    }

    fn kind(&self) -> &'static str {
        "maildir"
    }
}
