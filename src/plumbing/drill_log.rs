//! The drill log (FORMAT.md §10): one JSON line per opening or drill, never a secret. Written
//! by `recover --log` and `drill`, read by `status`.

use breakglass_core::document::{iso_date, next_drill_date};
use breakglass_core::recover::Recovered;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// Why the vault is being opened (recorded in the log; after an emergency, rotate).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Drill,
    Emergency,
    Investigation,
    #[value(skip)]
    Unstated,
}

impl Purpose {
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Drill => "drill",
            Purpose::Emergency => "real emergency",
            Purpose::Investigation => "misuse investigation",
            Purpose::Unstated => "not stated",
        }
    }
}

/// Drill log format written by this build (FORMAT.md §10).
pub const LOG_VERSION: u32 = 1;

fn log_v1() -> u32 {
    1
}

/// One line of the drill log. Never holds a secret.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Record {
    #[serde(default = "log_v1")]
    pub version: u32,
    pub date: String,
    pub unix: u64,
    pub purpose: String,
    pub result: String,
    #[serde(default)]
    pub vault_id: String,
    #[serde(default)]
    pub tenant: String,
    #[serde(default)]
    pub generation: u32,
    #[serde(default)]
    pub shares: Vec<RecordShare>,
    #[serde(default)]
    pub people: String,
    #[serde(default)]
    pub drill_interval_days: u16,
    #[serde(default)]
    pub next_due: String,
    /// One `SOURCE: reason` per input §7 left out although the vault opened (an altered share,
    /// a vault copy that differs from the one that authenticated, a retired sheet). Added
    /// without a version change: absent when empty, and older readers ignore it (FORMAT.md §10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<String>,
    /// `drill --tenant-export`: the tenant audit's result (FORMAT.md §10; absent when none ran,
    /// and readers that do not know the key ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_audit: Option<AuditRecord>,
}

/// The tenant audit a drill ran (FORMAT.md §10, §13): never a secret, only counts.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// The export folder, as given.
    pub export: String,
    /// `clean`, `findings`, or `FAILED: <error>` when the export could not be read.
    pub result: String,
    #[serde(default)]
    pub findings: u32,
    #[serde(default)]
    pub high: u32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct RecordShare {
    pub index: u8,
    pub location: String,
    pub custodian: String,
    pub source: String,
}

/// The record of a vault that opened.
pub fn record(r: &Recovered, purpose: &str, result: &str) -> Record {
    let h = &r.header;
    let t = super::unix_now();
    Record {
        version: LOG_VERSION,
        date: iso_date(t),
        unix: t,
        purpose: purpose.into(),
        result: result.into(),
        vault_id: h.vault_id.to_string(),
        tenant: h.tenant.clone(),
        generation: h.generation,
        shares: r
            .indices
            .iter()
            .zip(&r.used)
            .map(|(&i, src)| {
                let l = h.label(i).cloned().unwrap_or_default();
                RecordShare {
                    index: i,
                    location: l.location,
                    custodian: l.custodian,
                    source: src.clone(),
                }
            })
            .collect(),
        people: String::new(),
        drill_interval_days: h.drill_interval_days,
        next_due: next_drill_date(t, h.drill_interval_days),
        rejected: super::remedy::all_rejected(&r.rejected),
        tenant_audit: None,
    }
}

/// The record of an attempt that failed (the error text never holds a secret).
pub fn failed_record(purpose: &str, error: &anyhow::Error) -> Record {
    let t = super::unix_now();
    Record {
        version: LOG_VERSION,
        date: iso_date(t),
        unix: t,
        purpose: purpose.into(),
        result: format!("FAILED: {error}"),
        vault_id: String::new(),
        tenant: String::new(),
        generation: 0,
        shares: Vec::new(),
        people: String::new(),
        drill_interval_days: 0,
        next_due: String::new(),
        rejected: Vec::new(),
        tenant_audit: None,
    }
}

/// One record as one JSON line (without its newline). File names, `--people` and error texts
/// are untrusted: the characters the display filter escapes (C1 and other controls, DEL,
/// bidirectional controls, U+2028/U+2029) are written as `\uXXXX` escapes, so `cat` or
/// `tail -f` on the log cannot drive the terminal and a line separator cannot cut a line
/// (FORMAT.md §10). The value is the same: any JSON reader, old ones included, reads it back.
fn encode(rec: &Record) -> serde_json::Result<Vec<u8>> {
    let mut line = Vec::new();
    super::json::to_writer(&mut line, rec)?;
    Ok(line)
}

/// Reads every record of a log, refusing a line that is not one and a newer log format.
pub fn read(path: &Path) -> anyhow::Result<Vec<Record>> {
    use super::{Classify, Failure};
    let text = super::files::read_text(path)?;
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let rec: Record = serde_json::from_str(line)
            .map_err(|e| {
                anyhow::anyhow!(
                    "{} line {}: not a drill record ({e})",
                    path.display(),
                    n + 1
                )
            })
            .fails_as(Failure::BadInput)?;
        if rec.version > LOG_VERSION {
            return Err(Failure::BadInput.because(format!(
                "{} line {}: written by a newer breakglass (log format {}): upgrade to read it",
                path.display(),
                n + 1,
                rec.version
            )));
        }
        out.push(rec);
    }
    Ok(out)
}

/// True for a record of a vault that opened (a passed drill or a recovery).
pub fn opened(rec: &Record) -> bool {
    rec.result.starts_with("PASSED") || rec.result.starts_with("opened")
}

/// Appends one JSON line to the log (created 0600).
pub fn append(path: &Path, rec: &Record) -> anyhow::Result<()> {
    use super::{Classify, Failure};
    write_line(path, rec).fails_as(Failure::Output)
}

fn write_line(path: &Path, rec: &Record) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut o = std::fs::OpenOptions::new();
    o.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o
        .open(path)
        .with_context(|| format!("cannot open the log {}", path.display()))?;
    let mut line = encode(rec).context("cannot encode the record")?;
    line.push(b'\n');
    f.write_all(&line)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("cannot write the log {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_is_escaped_in_the_log_and_reads_back() {
        let mut rec = failed_record("drill", &anyhow::anyhow!("bad \u{1b}[2J sheet"));
        rec.people = "Alice\u{9b}31m, \u{202e}boB\u{2028}\u{2029}\u{7f}".into();
        rec.shares.push(RecordShare {
            index: 1,
            location: "Safe A".into(),
            custodian: String::new(),
            source: "scan\u{85}\u{200f}.png".into(),
        });
        let line = String::from_utf8(encode(&rec).unwrap()).unwrap();
        for raw in [
            '\u{1b}', '\u{9b}', '\u{202e}', '\u{2028}', '\u{2029}', '\u{7f}', '\u{85}', '\u{200f}',
        ] {
            assert!(!line.contains(raw), "{raw:?} raw in {line}");
        }
        for escaped in [
            "\\u009b", "\\u202e", "\\u2028", "\\u2029", "\\u007f", "\\u0085", "\\u200f",
        ] {
            assert!(line.contains(escaped), "{escaped} not in {line}");
        }
        assert_eq!(serde_json::from_str::<Record>(&line).unwrap(), rec);
    }

    #[test]
    fn a_log_line_written_raw_by_an_older_build_still_reads() {
        let old = "{\"version\":1,\"date\":\"2026-01-02\",\"unix\":1767312000,\"purpose\":\"drill\",\"result\":\"PASSED\",\"people\":\"A\u{9b}\u{2028}B\"}";
        let rec: Record = serde_json::from_str(old).unwrap();
        assert_eq!(rec.people, "A\u{9b}\u{2028}B");
    }
}
