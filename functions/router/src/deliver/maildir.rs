//! The default backend: each message becomes an `.eml` file in a local
//! directory (under `.switchboard/` with `serve`). Nothing to set up, and any
//! mail client opens the files.
//!
//! A message counts as delivered once its file is durable: the file's data
//! is fsynced before its final name appears (so a mail client never sees a
//! partial file under a `.eml` name), and the directory is fsynced after,
//! through a [`GroupSync`] shared by every message written at the same time
//! (one directory fsync for many messages, none delayed).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{BlockingMailer, BoxFuture, DeliveryError, Envelope, Mailer};
use crate::durable::{self, GroupSync};

/// Cloning is cheap and clones share the group commit.
#[derive(Debug, Clone)]
pub struct MaildirMailer {
    dir: PathBuf,
    sync: Arc<GroupSync>,
}

impl MaildirMailer {
    /// The directory is created with the first message, if need be.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let sync = Arc::new(GroupSync::new(vec![dir.clone()]));
        Self { dir, sync }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many group syncs of the directory have run.
    pub fn syncs(&self) -> u64 {
        self.sync.runs()
    }

    /// Writes one message durably. Blocks.
    fn write(&self, file: &[u8]) -> io::Result<()> {
        let mut rnd = [0u8; 4];
        getrandom::fill(&mut rnd).map_err(|e| io::Error::other(e.to_string()))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let path = self
            .dir
            .join(format!("{stamp}-{:08x}.eml", u32::from_be_bytes(rnd)));
        match durable::create_new(&path, file) {
            // The directory is made once, not checked for on every message.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&self.dir)?;
                durable::create_new(&path, file)?;
            }
            other => other?,
        }
        self.sync.sync()
    }
}

/// The file as written: the envelope as leading `X-Envelope-From` and
/// `X-Envelope-To` lines (like mbox's `Delivered-To`), so one can see who a
/// file was "sent" to even when that differs from the To/Cc headers, then
/// the message.
fn with_envelope(envelope: &Envelope, raw: &[u8]) -> Vec<u8> {
    let mut file = Vec::with_capacity(raw.len() + 128);
    let mut line = |name: &str, address: &str| {
        file.extend_from_slice(name.as_bytes());
        file.extend_from_slice(b": <");
        file.extend_from_slice(address.as_bytes());
        file.extend_from_slice(b">\r\n");
    };
    line("X-Envelope-From", &envelope.from);
    for to in &envelope.to {
        line("X-Envelope-To", to);
    }
    file.extend_from_slice(raw);
    file
}

fn temporary(e: io::Error) -> DeliveryError {
    DeliveryError::Temporary(format!("mail directory: {e}"))
}

impl Mailer for MaildirMailer {
    fn send<'a>(
        &'a self,
        envelope: &'a Envelope,
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        let file = with_envelope(envelope, raw);
        let this = self.clone();
        Box::pin(async move {
            durable::blocking(move || this.write(&file))
                .await
                .and_then(|r| r)
                .map_err(temporary)
        })
    }

    fn kind(&self) -> &'static str {
        "maildir"
    }

    fn blocking(&self) -> Option<Arc<dyn BlockingMailer>> {
        Some(Arc::new(self.clone()))
    }
}

impl BlockingMailer for MaildirMailer {
    fn send_blocking(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), DeliveryError> {
        self.write(&with_envelope(envelope, raw)).map_err(temporary)
    }
}
