//! `galeractl doctor`, the pure half: what was read from a running cluster (each node's status
//! and variables, the user tables' metadata, the inventory's options) becomes findings, one
//! per problem, each with what to do and, where it is safe, the SQL that fixes it. Every rule
//! is a function of the facts; the edge (`cmd/doctor.rs`) only reads them. No I/O here.

mod rules;

use std::collections::BTreeMap;

use serde::Serialize;

pub use rules::{quote_ident, sees_all_tables};

/// The schemas of the server itself, never checked.
pub const SYSTEM_SCHEMAS: [&str; 4] = ["mysql", "information_schema", "performance_schema", "sys"];

/// A node's flow control pauses replication more than this fraction of the time.
pub const FLOW_CONTROL_PAUSED_LIMIT: f64 = 0.1;
/// Certification conflicts (local certification failures and brute-force aborts) above this
/// fraction of a node's local commits...
pub const CONFLICT_RATE_LIMIT: f64 = 0.01;
/// ...once there are at least this many.
pub const CONFLICT_MIN_COUNT: u64 = 10;
/// The gcache must keep the write-sets of this many seconds (a node restarted, then back by
/// IST): the rolling replace's assumption.
pub const GCACHE_REACH_SECS: u64 = crate::plan::ASSUMED_DOWNTIME_SECS;

/// What one node answered, or why it did not.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFacts {
    pub name: String,
    pub reading: Result<NodeReading, String>,
}

/// A node's global status and variables (only those the rules read), by name.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeReading {
    pub status: BTreeMap<String, String>,
    pub variables: BTreeMap<String, String>,
    /// The write-set bytes (`wsrep_replicated_bytes` + `wsrep_received_bytes`) counted
    /// `window_ms` after the first status; `None` when the second read failed.
    pub writeset_bytes_later: Option<u64>,
    pub window_ms: u64,
}

/// One user table's metadata, from `information_schema` (the monitor user never reads rows).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableFacts {
    pub schema: String,
    pub name: String,
    pub engine: String,
    /// InnoDB's estimate of the average row's bytes (BLOBs stored off-page included).
    pub avg_row_length: u64,
    pub has_primary_key: bool,
    /// The table's columns, in order (read for tables without a primary key only).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Its AUTO_INCREMENT column, if any.
    pub auto_increment_column: Option<String>,
}

/// The user tables, or why they could not be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tables {
    Read(Vec<TableFacts>),
    NotRead(String),
}

/// Everything the rules look at.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub cluster: String,
    /// The inventory's members (its nodes, and the arbitrator if any).
    pub members: usize,
    /// The inventory's `mariadbd_options`.
    #[serde(default)]
    pub mariadbd_options: Vec<String>,
    pub nodes: Vec<NodeFacts>,
    pub tables: Tables,
}

/// One problem: the table or node it concerns, what is wrong, what to do, the fixing SQL when
/// running it is safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A stable name of the check (`non-innodb`, `no-primary-key`, ...).
    pub check: &'static str,
    /// `schema.table`, a node's name, or the cluster's.
    pub subject: String,
    pub problem: String,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
}

/// A check that could not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotChecked {
    pub check: &'static str,
    pub reason: String,
}

/// The `--json` document (documented in docs/src/doctor.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub cluster: String,
    /// 0 clean, 1 findings, 2 some check could not run.
    pub exit_code: u8,
    pub findings: Vec<Finding>,
    pub not_checked: Vec<NotChecked>,
}

/// Every rule over the facts, in a fixed order: cluster, nodes, tables.
pub fn examine(facts: &Facts) -> Report {
    let mut findings = Vec::new();
    let mut not_checked = Vec::new();
    rules::members(facts, &mut findings);
    rules::binlog_filters(facts, &mut findings);
    let answering: Vec<(&str, &NodeReading)> = facts
        .nodes
        .iter()
        .filter_map(|n| n.reading.as_ref().ok().map(|r| (n.name.as_str(), r)))
        .collect();
    for node in &facts.nodes {
        match &node.reading {
            Ok(reading) => rules::node(facts, &node.name, reading, &mut findings),
            Err(why) => findings.push(Finding {
                check: "no-answer",
                subject: node.name.clone(),
                problem: format!("no SQL answer ({why}): its settings were not checked"),
                action: format!(
                    "see `galeractl status`; if its container is stopped, `galeractl start-node {}`",
                    node.name
                ),
                sql: None,
            }),
        }
    }
    rules::flow_control(facts, &answering, &mut findings);
    if answering.is_empty() {
        not_checked.push(NotChecked {
            check: "nodes",
            reason: "no node answered SQL".into(),
        });
    }
    match &facts.tables {
        Tables::Read(tables) => rules::tables(tables, &answering, &mut findings),
        Tables::NotRead(why) => not_checked.push(NotChecked {
            check: "tables",
            reason: why.clone(),
        }),
    }
    let exit_code = if !not_checked.is_empty() {
        crate::exit::CANNOT_CHECK
    } else if !findings.is_empty() {
        crate::exit::FINDINGS
    } else {
        crate::exit::OK
    };
    Report {
        cluster: facts.cluster.clone(),
        exit_code,
        findings,
        not_checked,
    }
}

/// One line per finding (`CHECK SUBJECT: PROBLEM; ACTION[; SQL: ...]`), a line per check not
/// run, then the verdict.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!(
            "{} {}: {}; {}",
            f.check, f.subject, f.problem, f.action
        ));
        if let Some(sql) = &f.sql {
            out.push_str(&format!("; SQL: {sql}"));
        }
        out.push('\n');
    }
    for n in &report.not_checked {
        out.push_str(&format!("not checked: {}: {}\n", n.check, n.reason));
    }
    let count = report.findings.len();
    out.push_str(&format!(
        "cluster {}: {}{}\n",
        report.cluster,
        match count {
            0 => "no findings".to_string(),
            1 => "1 finding".to_string(),
            n => format!("{n} findings"),
        },
        if report.not_checked.is_empty() {
            ""
        } else {
            "; some checks could not run"
        }
    ));
    out
}

#[cfg(test)]
mod tests;
