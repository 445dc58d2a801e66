//! `switchboard submissions`: list, show, export, retry, erase and purge the
//! records in the local outbox (where `serve` or a server running the
//! router keeps every message), or with `--table` in the AWS store's
//! DynamoDB table. Safe while the router (and the delivery worker) runs.
//! Both sources are read as the same records, so the listing, the record
//! view and the exports are the same.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{Duration, Utc};
use clap::{Args, Subcommand, ValueEnum};
use switchboard_router::aws::AwsClient;
use switchboard_router::manifest::{DEFAULT_RETENTION_DAYS, RoutingManifest};
use switchboard_router::outbox::{Outbox, Record, State};
use switchboard_router::store::dynamo::table::Table;

use switchboard::dot_switchboard;
use switchboard::output::write_file_atomic;
use switchboard::submissions::{self, Filter};

use super::environment;

#[derive(Debug, Args)]
pub struct SubmissionsArgs {
    /// The outbox folder [default: .switchboard/outbox in the site folder]
    #[arg(long, global = true, value_name = "DIR", conflicts_with = "table")]
    outbox: Option<PathBuf>,
    /// The local mail folder whose .eml copies `erase` and `purge` remove
    /// [default: .switchboard/mail in the site folder]
    #[arg(long, global = true, value_name = "DIR", conflicts_with = "table")]
    mail_dir: Option<PathBuf>,
    /// Work on the AWS store's DynamoDB table (the stack's
    /// SubmissionsTableName), not a local outbox. Credentials, region and
    /// endpoint come from the standard AWS_* variables.
    #[arg(long, global = true, value_name = "NAME")]
    table: Option<String>,
    /// The delivery queue `retry` puts a message back on, with --table (the
    /// stack's DeliveryQueueUrl).
    #[arg(long, global = true, value_name = "URL", requires = "table")]
    queue_url: Option<String>,
    #[command(subcommand)]
    command: SubmissionsCommand,
}

#[derive(Debug, Subcommand)]
enum SubmissionsCommand {
    /// One line per message: reference, received, topic, department, contact, status, attempts.
    List(FilterArgs),
    /// One message in full (the mails' bodies only with --raw).
    Show {
        reference: String,
        /// Print the notification as it was sent (RFC 5322, encoded bodies).
        #[arg(long)]
        raw: bool,
    },
    /// Every message (or those the filters pick) as CSV or JSON Lines.
    Export {
        #[arg(long, value_enum)]
        format: Format,
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Send a failed message again: the router's next retry pass delivers it.
    Retry {
        #[arg(required_unless_present = "failed", conflicts_with = "failed")]
        reference: Option<String>,
        /// Every failed message.
        #[arg(long)]
        failed: bool,
    },
    /// Remove a message, its idempotency key and its mail copies; a tombstone
    /// (reference, date, status, topic, department) stays in erased/.
    Erase {
        reference: String,
        /// Erase a pending message too (stop the router first: it may be sending it).
        #[arg(long)]
        force: bool,
    },
    /// Remove what is past the retention period now (the router does it hourly).
    Purge {
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Days to keep [default: `[form] retention_days` from the built manifest, else 90].
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
        retention_days: Option<u32>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Jsonl,
}

#[derive(Debug, Args)]
struct FilterArgs {
    /// Received on or after this day (YYYY-MM-DD, local time).
    #[arg(long, value_name = "DATE", value_parser = submissions::parse_day)]
    since: Option<chrono::NaiveDate>,
    /// Received on or before this day (YYYY-MM-DD, local time).
    #[arg(long, value_name = "DATE", value_parser = submissions::parse_day)]
    until: Option<chrono::NaiveDate>,
    /// A topic id.
    #[arg(long)]
    topic: Option<String>,
    /// A department id.
    #[arg(long)]
    department: Option<String>,
    /// pending, sent or failed.
    #[arg(long, value_parser = submissions::parse_status)]
    status: Option<State>,
}

impl FilterArgs {
    fn filter(&self) -> Filter {
        Filter {
            since: self.since,
            until: self.until,
            topic: self.topic.clone(),
            department: self.department.clone(),
            status: self.status,
        }
    }
}

pub fn run(root: &Path, args: &SubmissionsArgs) -> anyhow::Result<ExitCode> {
    let source = match &args.table {
        Some(name) => aws_source(name, args.queue_url.clone())?,
        None => local_source(root, args)?,
    };
    let session = Session { root, source };
    let mut out = std::io::stdout().lock();
    match &args.command {
        SubmissionsCommand::List(filter) => session.list(filter, &mut out)?,
        SubmissionsCommand::Show { reference, raw } => session.show(reference, *raw, &mut out)?,
        SubmissionsCommand::Export {
            format,
            output,
            filter,
        } => session.export(*format, output.as_deref(), filter, &mut out)?,
        SubmissionsCommand::Retry { reference, failed } => {
            session.retry(reference.as_deref(), *failed, &mut out)?
        }
        SubmissionsCommand::Erase { reference, force } => {
            session.erase(reference, *force, &mut out)?
        }
        SubmissionsCommand::Purge {
            dry_run,
            retention_days,
        } => session.purge(*dry_run, *retention_days, &mut out)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The table `name`, called as the AWS variables say.
fn aws_source(name: &str, queue_url: Option<String>) -> anyhow::Result<Source> {
    let aws = environment::aws_config().context(
        "--table needs AWS credentials and a region: set AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)",
    )?;
    Ok(Source::Aws {
        table: Box::new(Table {
            client: AwsClient::new(aws),
            name: name.to_string(),
        }),
        queue_url,
    })
}

/// The local outbox, and the mail folder its copies are in.
fn local_source(root: &Path, args: &SubmissionsArgs) -> anyhow::Result<Source> {
    let dir = args
        .outbox
        .clone()
        .unwrap_or_else(|| dot_switchboard::dir(root).join("outbox"));
    if !dir.join("pending").is_dir() {
        bail!(
            "there is no outbox at {}: run this in the site folder (where `switchboard serve` keeps .switchboard/outbox), or pass --outbox DIR",
            dir.display()
        );
    }
    let outbox =
        Outbox::open(&dir).with_context(|| format!("cannot open the outbox {}", dir.display()))?;
    let mail_dir = args
        .mail_dir
        .clone()
        .unwrap_or_else(|| dot_switchboard::dir(root).join("mail"));
    Ok(Source::Local {
        outbox,
        mail_dir: mail_dir.is_dir().then_some(mail_dir),
    })
}

/// Where the records are.
enum Source {
    /// The local outbox, and where its mail copies are.
    Local {
        outbox: Outbox,
        mail_dir: Option<PathBuf>,
    },
    /// The AWS store's table, and the delivery queue (for `retry`).
    Aws {
        table: Box<Table>,
        queue_url: Option<String>,
    },
}

/// The records a command works on.
struct Session<'a> {
    root: &'a Path,
    source: Source,
}

impl Session<'_> {
    /// The outbox's folder, or the table, as a message names it.
    fn place(&self) -> String {
        match &self.source {
            Source::Local { outbox, .. } => outbox.root().display().to_string(),
            Source::Aws { table, .. } => format!("the table {}", table.name),
        }
    }

    /// The records the filter picks, oldest first; unreadable files or
    /// items are named on stderr, not skipped silently.
    fn selected(&self, filter: &Filter) -> anyhow::Result<Vec<(Record, State)>> {
        let records = match &self.source {
            Source::Local { outbox, .. } => selected(outbox, filter)?,
            Source::Aws { table, .. } => {
                let listing = table
                    .records()
                    .with_context(|| format!("cannot read the table {}", table.name))?;
                for (key, why) in &listing.unreadable {
                    eprintln!("warning: skipped the item {key} ({why})");
                }
                listing
                    .records
                    .into_iter()
                    .map(|(r, s)| (r, s.state()))
                    .filter(|(r, s)| filter.matches(r, *s))
                    .collect()
            }
        };
        Ok(records)
    }

    /// One record and its status.
    fn find(&self, reference: &str) -> anyhow::Result<(Record, State)> {
        Ok(match &self.source {
            Source::Local { outbox, .. } => outbox.find(reference)?,
            Source::Aws { table, .. } => {
                let stored = table.find(reference)?;
                (stored.record, stored.status.state())
            }
        })
    }

    fn list(&self, filter: &FilterArgs, out: &mut impl Write) -> anyhow::Result<()> {
        let records = self.selected(&filter.filter())?;
        if records.is_empty() {
            writeln!(out, "No messages in {}.", self.place())?;
        } else {
            write!(out, "{}", submissions::table(&records))?;
        }
        Ok(())
    }

    fn show(&self, reference: &str, raw: bool, out: &mut impl Write) -> anyhow::Result<()> {
        let (record, state) = self.find(reference)?;
        if raw {
            out.write_all(&notification(&record)?)?;
        } else {
            write!(out, "{}", submissions::show(&record, state))?;
        }
        Ok(())
    }

    fn export(
        &self,
        format: Format,
        output: Option<&Path>,
        filter: &FilterArgs,
        out: &mut impl Write,
    ) -> anyhow::Result<()> {
        let records = self.selected(&filter.filter())?;
        let text = match format {
            Format::Csv => submissions::csv(&records),
            Format::Jsonl => submissions::jsonl(&records),
        };
        match output {
            Some(path) => {
                write_file_atomic(path, text.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!("{} messages written to {}.", records.len(), path.display());
            }
            None => out.write_all(text.as_bytes())?,
        }
        Ok(())
    }

    fn retry(
        &self,
        reference: Option<&str>,
        all_failed: bool,
        out: &mut impl Write,
    ) -> anyhow::Result<()> {
        let references: Vec<String> = match reference {
            Some(r) => vec![r.to_string()],
            None if all_failed => self
                .selected(&Filter {
                    status: Some(State::Failed),
                    ..Filter::default()
                })?
                .into_iter()
                .map(|(r, _)| r.reference)
                .collect(),
            None => Vec::new(),
        };
        let queue = match &self.source {
            Source::Aws {
                queue_url: None, ..
            } => bail!(
                "retry with --table needs --queue-url URL: the delivery queue (the stack's DeliveryQueueUrl output)"
            ),
            Source::Aws {
                table,
                queue_url: Some(url),
            } => Some((table, url)),
            Source::Local { .. } => None,
        };
        if references.is_empty() {
            writeln!(out, "No failed messages in {}.", self.place())?;
        }
        for r in &references {
            match (&self.source, queue) {
                (_, Some((table, url))) => {
                    table.requeue(url, r, Utc::now())?;
                    writeln!(
                        out,
                        "{r}: queued again; the delivery worker sends it (within a minute)."
                    )?;
                }
                (Source::Local { outbox, .. }, None) => {
                    outbox.requeue(r, Utc::now())?;
                    writeln!(
                        out,
                        "{r}: back in pending/; the router's next retry pass sends it (within a minute under `switchboard serve`)."
                    )?;
                }
                (Source::Aws { .. }, None) => unreachable!("the queue is checked above"),
            }
        }
        Ok(())
    }

    fn erase(&self, reference: &str, force: bool, out: &mut impl Write) -> anyhow::Result<()> {
        let (outbox, mail_dir) = match &self.source {
            Source::Local { outbox, mail_dir } => (outbox, mail_dir),
            Source::Aws { table, .. } => {
                let erased = table.erase(reference, Utc::now(), force)?;
                writeln!(
                    out,
                    "Erased {reference} (it was {}). Removed from the table {}:",
                    erased.status.as_str(),
                    table.name
                )?;
                for key in &erased.removed {
                    writeln!(out, "  {key}")?;
                }
                writeln!(
                    out,
                    "Left a tombstone without the visitor's details: {} (it expires with the message)",
                    erased.tombstone
                )?;
                return Ok(());
            }
        };
        let erased = outbox.erase(reference, Utc::now(), mail_dir.as_deref(), force)?;
        writeln!(
            out,
            "Erased {reference} (it was {}). Removed:",
            erased.status.as_str()
        )?;
        for path in &erased.removed {
            writeln!(out, "  {}", path.display())?;
        }
        writeln!(
            out,
            "Left a tombstone without the visitor's details: {}",
            erased.tombstone.display()
        )?;
        Ok(())
    }

    fn purge(
        &self,
        dry_run: bool,
        retention_days: Option<u32>,
        out: &mut impl Write,
    ) -> anyhow::Result<()> {
        let (outbox, mail_dir) = match &self.source {
            Source::Local { outbox, mail_dir } => (outbox, mail_dir),
            Source::Aws { table, .. } => return purge_table(table, dry_run, retention_days, out),
        };
        let (days, from) = match retention_days {
            Some(d) => (d, "--retention-days"),
            None => match RoutingManifest::load(dot_switchboard::manifest_path(self.root)) {
                Ok(m) => (m.form.retention_days, "the built manifest"),
                Err(_) => (DEFAULT_RETENTION_DAYS, "the default; no built manifest"),
            },
        };
        let purge = outbox
            .plan_purge(
                Utc::now(),
                Duration::days(i64::from(days)),
                mail_dir.as_deref(),
            )
            .with_context(|| format!("cannot read the outbox {}", outbox.root().display()))?;
        writeln!(
            out,
            "Retention: {days} days ({from}). {} {} record(s), {} mail copy(ies), {} key(s), {} tombstone(s).",
            if dry_run { "Would remove" } else { "Removing" },
            purge.records.len(),
            purge.mails.len(),
            purge.keys.len(),
            purge.tombstones.len()
        )?;
        for path in purge.files() {
            writeln!(out, "  {}", path.display())?;
        }
        if !dry_run {
            purge.apply().context("the purge stopped")?;
        }
        Ok(())
    }
}

/// Removes the table's items past their `expires_at` now (its TTL removes
/// them by itself, typically within two days).
fn purge_table(
    table: &Table,
    dry_run: bool,
    retention_days: Option<u32>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if retention_days.is_some() {
        bail!(
            "--retention-days does not apply to --table: each item carries its expiry (`expires_at`, from the stack's RetentionDays when it was written)"
        );
    }
    let now = Utc::now();
    let purge = table
        .plan_purge(now)
        .with_context(|| format!("cannot read the table {}", table.name))?;
    writeln!(
        out,
        "Past their expiry (expires_at) in the table {}. {} {} record(s), {} key(s), {} tombstone(s).",
        table.name,
        if dry_run { "Would remove" } else { "Removing" },
        purge.records.len(),
        purge.keys.len(),
        purge.tombstones.len()
    )?;
    for key in purge.items() {
        writeln!(out, "  {key}")?;
    }
    if !dry_run {
        purge.apply(table, now).context("the purge stopped")?;
    }
    Ok(())
}

/// The records the filter picks, oldest first; unreadable files are named
/// on stderr, not skipped silently.
fn selected(outbox: &Outbox, filter: &Filter) -> anyhow::Result<Vec<(Record, State)>> {
    let listing = outbox
        .records()
        .with_context(|| format!("cannot read the outbox {}", outbox.root().display()))?;
    for (path, why) in &listing.unreadable {
        eprintln!(
            "warning: skipped {} ({why}); fix or move the file",
            path.display()
        );
    }
    Ok(listing
        .records
        .into_iter()
        .filter(|(r, s)| filter.matches(r, *s))
        .collect())
}

/// The notification as it was composed.
fn notification(record: &Record) -> anyhow::Result<Vec<u8>> {
    let mail = record
        .mails
        .iter()
        .find(|m| m.kind == switchboard_router::compose::MailKind::Notification)
        .with_context(|| format!("{} has no notification", record.reference))?;
    mail.raw()
        .with_context(|| format!("the notification of {} is damaged", record.reference))
}
