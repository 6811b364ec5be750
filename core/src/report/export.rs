//! A report as tables, for spreadsheets: CSV ([`Report::to_csv`], one table per call) and an
//! xlsx workbook ([`Report::to_xlsx`], feature `xlsx`, one sheet per table).
//!
//! A report is six tables, each rectangular with a header row, in the order of [`ReportTable::ALL`]:
//!
//! | table | one row per | columns |
//! |---|---|---|
//! | `releases` | release | `release_id, name, kind, status, rolled_back, started_at, ended_at, duration_secs` |
//! | `phases` | phase of a release | `release_id, phase_id, status, planned_secs, actual_secs, overrun_secs` |
//! | `activities` | activity of a phase | `release_id, phase_id, activity_id, status, actual_secs, attempts` |
//! | `approvals` | approval that opened | `release_id, phase_id, activity_id, waited_secs` |
//! | `decisions` | retry, ignore, fail or abort | `release_id, what, target, actor, at, reason` |
//! | `dora` | figure | `figure, value` |
//!
//! Every row of a release's table starts with `release_id`, so a spreadsheet joins them (a
//! lookup on the first column). Separate tables rather than one flat table with a `section`
//! column: each has its own columns, and a flat one would be mostly empty cells that a filter or
//! a pivot table reads as zeros. Durations are whole seconds; an unknown value is an empty cell.
//! Times are UTC: in CSV as RFC 3339 (`2025-04-07T09:00:00Z`), in xlsx as real Excel dates
//! formatted `yyyy-mm-dd hh:mm:ss`.
//! `dora.change_failure_rate` is a fraction (0.5, not 50).
//!
//! A report holds no input values, so no secret: its free texts (decision reasons, names) are the
//! stored ones, which were redacted before they were stored (`crate::secrets`).

use super::{ReleaseReport, Report};
use crate::Timestamp;

/// One of a report's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportTable {
    /// One row per release.
    Releases,
    /// One row per phase of a release.
    Phases,
    /// One row per activity.
    Activities,
    /// One row per approval that opened.
    Approvals,
    /// One row per retry, ignore, failure decided by a person, or abort.
    Decisions,
    /// One row per DORA figure.
    Dora,
}

impl ReportTable {
    /// Every table, in workbook order.
    pub const ALL: [ReportTable; 6] = [
        ReportTable::Releases,
        ReportTable::Phases,
        ReportTable::Activities,
        ReportTable::Approvals,
        ReportTable::Decisions,
        ReportTable::Dora,
    ];

    /// Its name in lower case (`releases`, …, `dora`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReportTable::Releases => "releases",
            ReportTable::Phases => "phases",
            ReportTable::Activities => "activities",
            ReportTable::Approvals => "approvals",
            ReportTable::Decisions => "decisions",
            ReportTable::Dora => "dora",
        }
    }

    /// Its xlsx sheet name (`Releases`, …, `DORA`).
    pub fn sheet_name(self) -> &'static str {
        match self {
            ReportTable::Releases => "Releases",
            ReportTable::Phases => "Phases",
            ReportTable::Activities => "Activities",
            ReportTable::Approvals => "Approvals",
            ReportTable::Decisions => "Decisions",
            ReportTable::Dora => "DORA",
        }
    }

    /// Its header row.
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            ReportTable::Releases => {
                &["release_id", "name", "kind", "status", "rolled_back", "started_at", "ended_at", "duration_secs"]
            }
            ReportTable::Phases => &["release_id", "phase_id", "status", "planned_secs", "actual_secs", "overrun_secs"],
            ReportTable::Activities => &["release_id", "phase_id", "activity_id", "status", "actual_secs", "attempts"],
            ReportTable::Approvals => &["release_id", "phase_id", "activity_id", "waited_secs"],
            ReportTable::Decisions => &["release_id", "what", "target", "actor", "at", "reason"],
            ReportTable::Dora => &["figure", "value"],
        }
    }
}

impl std::str::FromStr for ReportTable {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportTable::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = ReportTable::ALL.iter().map(|t| t.as_str()).collect();
            format!("`{s}` is not a report table; use one of {}", names.join(", "))
        })
    }
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value (unknown, or not applicable).
    Empty,
    /// Text.
    Text(String),
    /// A whole number (a count or seconds).
    Int(i64),
    /// A fraction or a rate.
    Float(f64),
    /// Yes or no.
    Bool(bool),
    /// A time (UTC).
    Time(Timestamp),
}

impl Cell {
    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    fn opt_int(v: Option<i64>) -> Cell {
        v.map_or(Cell::Empty, Cell::Int)
    }

    fn opt_time(v: Option<Timestamp>) -> Cell {
        v.map_or(Cell::Empty, Cell::Time)
    }

    /// The cell as CSV text: times in RFC 3339 with `Z`, empty for [`Cell::Empty`].
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Time(t) => t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        }
    }
}

impl Report {
    /// The rows of `table` (without its header, [`ReportTable::headers`]).
    pub fn rows(&self, table: ReportTable) -> Vec<Vec<Cell>> {
        match table {
            ReportTable::Releases => self.releases.iter().map(release_row).collect(),
            ReportTable::Phases => self
                .releases
                .iter()
                .flat_map(|r| {
                    r.phases.iter().map(|p| {
                        vec![
                            Cell::text(&r.id),
                            Cell::text(&p.id),
                            Cell::text(&p.status),
                            Cell::opt_int(p.planned_secs),
                            Cell::opt_int(p.actual_secs),
                            Cell::opt_int(p.overrun_secs),
                        ]
                    })
                })
                .collect(),
            ReportTable::Activities => self
                .releases
                .iter()
                .flat_map(|r| {
                    r.phases.iter().flat_map(move |p| {
                        p.activities.iter().map(move |a| {
                            vec![
                                Cell::text(&r.id),
                                Cell::text(&p.id),
                                Cell::text(&a.id),
                                Cell::text(&a.status),
                                Cell::opt_int(a.actual_secs),
                                Cell::Int(a.attempts.into()),
                            ]
                        })
                    })
                })
                .collect(),
            ReportTable::Approvals => self
                .releases
                .iter()
                .flat_map(|r| {
                    r.approvals.iter().map(|a| {
                        vec![
                            Cell::text(&r.id),
                            Cell::text(&a.phase_id),
                            Cell::text(&a.activity_id),
                            Cell::Int(a.waited_secs),
                        ]
                    })
                })
                .collect(),
            ReportTable::Decisions => self
                .releases
                .iter()
                .flat_map(|r| {
                    r.decisions.iter().map(|d| {
                        vec![
                            Cell::text(&r.id),
                            Cell::text(d.what),
                            Cell::text(&d.target),
                            Cell::text(&d.actor),
                            Cell::Time(d.at),
                            d.reason.as_deref().map_or(Cell::Empty, Cell::text),
                        ]
                    })
                })
                .collect(),
            ReportTable::Dora => self.dora_rows(),
        }
    }

    fn dora_rows(&self) -> Vec<Vec<Cell>> {
        let d = &self.dora;
        let figure = |name: &str, value: Cell| vec![Cell::text(name), value];
        vec![
            figure("from", Cell::Time(self.from)),
            figure("to", Cell::Time(self.to)),
            figure("group", self.group.as_deref().map_or(Cell::Empty, Cell::text)),
            figure("deployments", Cell::Int(d.deployments.into())),
            figure("deployments_per_week", Cell::Float(d.deployments_per_week)),
            figure("lead_time_secs", Cell::opt_int(d.lead_time_secs)),
            figure("changes", Cell::Int(d.changes.into())),
            figure("failed_changes", Cell::Int(d.failed_changes.into())),
            figure("change_failure_rate", d.change_failure_rate.map_or(Cell::Empty, Cell::Float)),
            figure("time_to_restore_secs", Cell::opt_int(d.time_to_restore_secs)),
        ]
    }

    /// `table` as CSV (RFC 4180, `\n` line ends), its header first. See the module docs for the
    /// tables and their columns.
    pub fn to_csv(&self, table: ReportTable) -> String {
        let mut out = csv::Writer::from_writer(Vec::new());
        // Writing to a Vec cannot fail; the rows are rectangular by construction.
        out.write_record(table.headers()).expect("csv into memory");
        for row in self.rows(table) {
            out.write_record(row.iter().map(Cell::to_text)).expect("csv into memory");
        }
        let bytes = out.into_inner().expect("csv into memory");
        String::from_utf8(bytes).expect("csv of UTF-8 text is UTF-8")
    }

    /// The report as an xlsx workbook: one sheet per table (`Releases`, `Phases`, `Activities`,
    /// `Approvals`, `Decisions`, `DORA`), a bold frozen header row, times as Excel dates (UTC).
    #[cfg(feature = "xlsx")]
    pub fn to_xlsx(&self) -> crate::Result<Vec<u8>> {
        super::xlsx::workbook(self)
            .map_err(|e| crate::Error::Storage { message: format!("writing the xlsx workbook: {e}") })
    }
}

fn release_row(r: &ReleaseReport) -> Vec<Cell> {
    let duration = r.started_at.zip(r.ended_at).map(|(s, e)| (e - s).num_seconds());
    vec![
        Cell::text(&r.id),
        Cell::text(&r.name),
        Cell::text(r.kind.as_str()),
        Cell::text(r.status.as_str()),
        Cell::Bool(r.rolled_back),
        Cell::opt_time(r.started_at),
        Cell::opt_time(r.ended_at),
        Cell::opt_int(duration),
    ]
}
