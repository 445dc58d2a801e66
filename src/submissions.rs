//! `switchboard submissions`: the local outbox read as a record of every
//! message. The router's outbox (`switchboard_router::outbox`) owns the
//! files and every change to them (it has the durable helpers and the
//! record's format); this module is the presentation: filters, the table,
//! one record in full, and the CSV and JSON Lines exports.

use std::fmt::Write as _;

use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use switchboard_router::compose::MailKind;
use switchboard_router::outbox::{Record, State};

/// Which records a listing or an export shows.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Received on or after this day (local time).
    pub since: Option<NaiveDate>,
    /// Received on or before this day (local time).
    pub until: Option<NaiveDate>,
    pub topic: Option<String>,
    pub department: Option<String>,
    pub status: Option<State>,
}

impl Filter {
    pub fn matches(&self, record: &Record, state: State) -> bool {
        let day = record.created_at.with_timezone(&Local).date_naive();
        let route = record.route.as_ref();
        self.since.is_none_or(|d| day >= d)
            && self.until.is_none_or(|d| day <= d)
            && self
                .topic
                .as_deref()
                .is_none_or(|t| route.is_some_and(|r| r.topic == t))
            && self
                .department
                .as_deref()
                .is_none_or(|d| route.is_some_and(|r| r.department == d))
            && self.status.is_none_or(|s| s == state)
    }
}

/// `pending`, `sent` or `failed`, as `--status` takes it.
pub fn parse_status(s: &str) -> Result<State, String> {
    match s {
        "pending" => Ok(State::Pending),
        "sent" => Ok(State::Sent),
        "failed" => Ok(State::Failed),
        other => Err(format!(
            "`{other}` is not a status: use pending, sent or failed"
        )),
    }
}

/// A day as `--since` and `--until` take it: `2026-03-02`.
pub fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date: write it as YYYY-MM-DD, e.g. 2026-03-02"))
}

/// When a record was received, in local time, to the minute.
pub fn local_time(at: DateTime<Utc>) -> String {
    Local
        .from_utc_datetime(&at.naive_utc())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The listing: one line per record, fitting an 80-column terminal.
pub fn table(records: &[(Record, State)]) -> String {
    const WIDTHS: [usize; 8] = [9, 16, 11, 11, 11, 5, 7, 3];
    let mut out = String::new();
    let mut line = |cells: [&str; 8]| {
        let mut l = String::new();
        for (i, (cell, width)) in cells.iter().zip(WIDTHS).enumerate() {
            let cell = fit(cell, width);
            if i == WIDTHS.len() - 1 {
                let _ = write!(l, "{cell:>width$}");
            } else {
                let _ = write!(l, "{cell:<width$} ");
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line([
        "REFERENCE",
        "RECEIVED",
        "TOPIC",
        "DEPARTMENT",
        "CONTACT",
        "LANG",
        "STATUS",
        "TRY",
    ]);
    for (record, state) in records {
        let route = record.route.as_ref();
        line([
            &record.reference,
            &local_time(record.created_at),
            route.map_or("-", |r| r.topic.as_str()),
            route.map_or("-", |r| r.department.as_str()),
            route.and_then(|r| r.contact.as_deref()).unwrap_or("inbox"),
            record.language.as_deref().unwrap_or("-"),
            state.as_str(),
            &record.attempts.to_string(),
        ]);
    }
    out
}

/// `s` in at most `width` characters, cut with `…` when longer.
fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// One record in full, except the mails' bodies.
pub fn show(record: &Record, state: State) -> String {
    let mut out = String::new();
    let mut field = |name: &str, value: &str| {
        let mut lines = value.lines();
        let _ = writeln!(
            out,
            "{:<15}{}",
            format!("{name}:"),
            lines.next().unwrap_or("")
        );
        for l in lines {
            let _ = writeln!(out, "{:<15}{l}", "");
        }
    };
    field("Reference", &record.reference);
    field("Status", state.as_str());
    field(
        "Received",
        &format!(
            "{} ({})",
            local_time(record.created_at),
            record.created_at.to_rfc3339()
        ),
    );
    field("Attempts", &record.attempts.to_string());
    if state == State::Pending {
        field("Next attempt", &local_time(record.next_attempt_at));
    }
    if let Some(e) = &record.last_error {
        field("Last error", e);
    }
    if let Some(r) = &record.route {
        field("Topic", &r.topic);
        field("Department", &r.department);
        field(
            "Contact",
            r.contact.as_deref().unwrap_or("(department inbox)"),
        );
    }
    if let Some(language) = &record.language {
        let why = if record.route.as_ref().is_some_and(|r| r.by_language) {
            " (the contact was chosen because they speak it)"
        } else {
            ""
        };
        field("Language", &format!("{language}{why}"));
    }
    match &record.visitor {
        Some(v) => {
            field("Name", &v.name);
            field("Email", &v.email);
            if let Some(p) = &v.phone {
                field("Phone", p);
            }
            if let Some(c) = &v.company {
                field("Company", c);
            }
            field("Message", &v.message);
        }
        None => field(
            "Visitor",
            "(not kept in this record: see the notification, --raw)",
        ),
    }
    for m in &record.mails {
        let size = m.raw().map(|r| r.len()).unwrap_or(0);
        field(
            "Mail",
            &format!(
                "{} to {} ({}, {size} bytes)",
                kind_name(m.kind),
                m.envelope.to.join(", "),
                if m.delivered {
                    "delivered"
                } else {
                    "not delivered"
                }
            ),
        );
    }
    for n in &record.notes {
        field("Note", n);
    }
    out
}

fn kind_name(kind: MailKind) -> &'static str {
    match kind {
        MailKind::Notification => "notification",
        MailKind::Acknowledgement => "acknowledgement",
        MailKind::Alert => "alert",
    }
}

/// One exported record: the columns of the CSV, the keys of a JSON line.
#[derive(Debug, Serialize)]
pub struct Row<'a> {
    pub reference: &'a str,
    pub received_at: String,
    pub status: &'static str,
    pub topic: &'a str,
    pub department: &'a str,
    pub contact: &'a str,
    pub visitor_name: &'a str,
    pub visitor_email: &'a str,
    pub phone: &'a str,
    pub company: &'a str,
    pub message: &'a str,
    pub attempts: u32,
    pub last_error: &'a str,
    /// The site language the visitor wrote in (empty in older records).
    pub language: &'a str,
}

/// New columns go at the end, so spreadsheets built on the old ones keep working.
pub const COLUMNS: [&str; 14] = [
    "reference",
    "received_at",
    "status",
    "topic",
    "department",
    "contact",
    "visitor_name",
    "visitor_email",
    "phone",
    "company",
    "message",
    "attempts",
    "last_error",
    "language",
];

impl<'a> Row<'a> {
    pub fn of(record: &'a Record, state: State) -> Self {
        let route = record.route.as_ref();
        let visitor = record.visitor.as_ref();
        Self {
            reference: &record.reference,
            received_at: record
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            status: state.as_str(),
            topic: route.map_or("", |r| r.topic.as_str()),
            department: route.map_or("", |r| r.department.as_str()),
            contact: route.and_then(|r| r.contact.as_deref()).unwrap_or(""),
            visitor_name: visitor.map_or("", |v| v.name.as_str()),
            visitor_email: visitor.map_or("", |v| v.email.as_str()),
            phone: visitor.and_then(|v| v.phone.as_deref()).unwrap_or(""),
            company: visitor.and_then(|v| v.company.as_deref()).unwrap_or(""),
            message: visitor.map_or("", |v| v.message.as_str()),
            attempts: record.attempts,
            last_error: record.last_error.as_deref().unwrap_or(""),
            language: record.language.as_deref().unwrap_or(""),
        }
    }

    fn cells(&self) -> [std::borrow::Cow<'_, str>; 14] {
        [
            self.reference.into(),
            self.received_at.as_str().into(),
            self.status.into(),
            self.topic.into(),
            self.department.into(),
            self.contact.into(),
            self.visitor_name.into(),
            self.visitor_email.into(),
            self.phone.into(),
            self.company.into(),
            self.message.into(),
            self.attempts.to_string().into(),
            self.last_error.into(),
            self.language.into(),
        ]
    }
}

/// RFC 4180 CSV: a header row, CRLF line ends, fields with a comma, a
/// quote or a line break quoted (quotes doubled). UTF-8, no byte-order mark.
pub fn csv(records: &[(Record, State)]) -> String {
    let mut out = String::new();
    csv_line(&mut out, COLUMNS.iter().copied());
    for (record, state) in records {
        let row = Row::of(record, *state);
        csv_line(&mut out, row.cells().iter().map(|c| c.as_ref()));
    }
    out
}

fn csv_line<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push_str("\r\n");
}

/// JSON Lines: one object per record, the CSV's columns as keys.
pub fn jsonl(records: &[(Record, State)]) -> String {
    let mut out = String::new();
    for (record, state) in records {
        // A struct of strings and a number: serialising cannot fail.
        if let Ok(line) = serde_json::to_string(&Row::of(record, *state)) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let mut out = String::new();
        csv_line(
            &mut out,
            ["plain", "a,b", "say \"hi\"", "two\nlines", ""].into_iter(),
        );
        assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
    }

    #[test]
    fn long_cells_are_cut() {
        assert_eq!(fit("customer-support", 12), "customer-su…");
        assert_eq!(fit("sales", 12), "sales");
    }
}
