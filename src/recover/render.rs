//! Recovery as the operator reads it: the positions table, the choice with its reasons, and the
//! numbered actions. Plain text, stable (golden-tested).

use super::{Action, Choice, NodePosition, Reading};

/// One node's position as it is printed: in the table, and in `recover --dry-run --json`
/// (`-` where a field does not apply).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PositionRow {
    pub node: String,
    pub host: String,
    pub container: String,
    pub uuid: String,
    pub seqno: String,
    pub safe_to_bootstrap: String,
    pub source: String,
}

impl PositionRow {
    pub fn of(n: &NodePosition) -> PositionRow {
        let dash = || "-".to_string();
        let (uuid, seqno, safe, source) = match &n.reading {
            Reading::Primary { uuid, seqno } => (
                uuid.clone(),
                seqno.to_string(),
                dash(),
                "wsrep status (Primary)".to_string(),
            ),
            Reading::Position {
                uuid,
                seqno,
                safe_to_bootstrap,
                source,
            } => (
                uuid.clone(),
                seqno.to_string(),
                u8::from(*safe_to_bootstrap).to_string(),
                source.to_string(),
            ),
            Reading::NoData => (dash(), dash(), dash(), "no data".into()),
            Reading::PreparedTransactions(why) => (
                dash(),
                dash(),
                dash(),
                format!("unresolved prepared transactions: {why}"),
            ),
            Reading::Unreadable(why) => (dash(), dash(), dash(), format!("unreadable: {why}")),
            Reading::AccessDenied(why) => (dash(), dash(), dash(), format!("access denied: {why}")),
            Reading::WaitingNonPrimary(why) => (dash(), dash(), dash(), format!("waiting: {why}")),
        };
        PositionRow {
            node: n.name.clone(),
            host: n.host.clone(),
            container: n.container.coarse().to_string(),
            uuid,
            seqno,
            safe_to_bootstrap: safe,
            source,
        }
    }
}

/// One row per node: node, host, container, uuid, seqno, safe_to_bootstrap, source.
pub fn positions(nodes: &[NodePosition]) -> String {
    let mut rows: Vec<[String; 7]> = vec![[
        "NODE".into(),
        "HOST".into(),
        "CONTAINER".into(),
        "UUID".into(),
        "SEQNO".into(),
        "SAFE_TO_BOOTSTRAP".into(),
        "SOURCE".into(),
    ]];
    for n in nodes {
        let r = PositionRow::of(n);
        rows.push([
            r.node,
            r.host,
            r.container,
            r.uuid,
            r.seqno,
            r.safe_to_bootstrap,
            r.source,
        ]);
    }
    let mut widths = [0usize; 7];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The decision and why, one statement per line.
pub fn choice(choice: &Choice) -> String {
    let mut out = String::new();
    match choice {
        Choice::StopWaiting { nodes, .. } => out.push_str(&format!(
            "choice: nothing serves and {} wait{} non-Primary: stop {}, then read every position again and choose\n",
            nodes.join(", "),
            if nodes.len() == 1 { "s" } else { "" },
            if nodes.len() == 1 { "it" } else { "them" }
        )),
        Choice::JoinPrimary {
            primary, joiners, ..
        } => {
            out.push_str(&format!(
                "choice: no bootstrap; {} serve{} a Primary component",
                primary.join(", "),
                if primary.len() == 1 { "s" } else { "" }
            ));
            if joiners.is_empty() {
                out.push_str("; nothing is stopped\n");
            } else {
                out.push_str(&format!(
                    "; start {} as {}\n",
                    names(joiners),
                    if joiners.len() == 1 {
                        "joiner"
                    } else {
                        "joiners, one at a time"
                    }
                ));
            }
        }
        Choice::Bootstrap {
            node,
            uuid,
            seqno,
            joiners,
            ..
        } => {
            out.push_str(&format!(
                "choice: bootstrap from {node} at {uuid}:{seqno}; then {} join one at a time\n",
                if joiners.is_empty() {
                    "no others".to_string()
                } else {
                    names(joiners)
                }
            ));
        }
    }
    let notes = match choice {
        Choice::JoinPrimary { notes, .. }
        | Choice::Bootstrap { notes, .. }
        | Choice::StopWaiting { notes, .. } => notes,
    };
    for note in notes {
        out.push_str(&format!("  - {note}\n"));
    }
    out
}

fn names(joiners: &[super::Joiner]) -> String {
    joiners
        .iter()
        .map(|j| j.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The actions, numbered across stages; stages with several actions say they run in parallel
/// (the unit tests read recovery's decisions this way; the operator reads the plan).
pub fn actions(stages: &[Vec<Action>]) -> String {
    let mut out = String::new();
    let mut n = 0;
    for stage in stages {
        let parallel = stage.len() > 1;
        for a in stage {
            n += 1;
            out.push_str(&format!(
                "{n:>3}. {a}{}\n",
                if parallel { "  (in parallel)" } else { "" }
            ));
        }
    }
    out
}
