//! What Galera and MariaDB write about a node's position, parsed: `grastate.dat` and the
//! output of `mariadbd --wsrep-recover`. Pure; tested with text captured from the lab.

pub use crate::facts::SavedView;

pub const ZERO_UUID: &str = "00000000-0000-0000-0000-000000000000";

/// The contents of `grastate.dat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraState {
    pub version: Option<String>,
    pub uuid: String,
    /// -1 after a crash (or while the node runs).
    pub seqno: i64,
    /// Absent before version 2.1: read as 0.
    pub safe_to_bootstrap: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraStateError {
    #[error("grastate.dat has no `{0}:` line")]
    Missing(&'static str),
    #[error("grastate.dat: bad {field}: {value:?}")]
    Bad { field: &'static str, value: String },
}

fn fields(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
}

pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn parse_seqno(field: &'static str, value: &str) -> Result<i64, GraStateError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|s| *s >= -1)
        .ok_or_else(|| GraStateError::Bad {
            field,
            value: value.to_string(),
        })
}

pub fn parse_grastate(text: &str) -> Result<GraState, GraStateError> {
    let (mut version, mut uuid, mut seqno, mut safe) = (None, None, None, false);
    for (key, value) in fields(text) {
        match key {
            "version" => version = Some(value.to_string()),
            "uuid" if is_uuid(value) => uuid = Some(value.to_ascii_lowercase()),
            "uuid" => {
                return Err(GraStateError::Bad {
                    field: "uuid",
                    value: value.to_string(),
                })
            }
            "seqno" => seqno = Some(parse_seqno("seqno", value)?),
            "safe_to_bootstrap" => {
                safe = match value {
                    "0" => false,
                    "1" => true,
                    _ => {
                        return Err(GraStateError::Bad {
                            field: "safe_to_bootstrap",
                            value: value.to_string(),
                        })
                    }
                }
            }
            _ => {}
        }
    }
    Ok(GraState {
        version,
        uuid: uuid.ok_or(GraStateError::Missing("uuid"))?,
        seqno: seqno.ok_or(GraStateError::Missing("seqno"))?,
        safe_to_bootstrap: safe,
    })
}

/// What `mariadbd --wsrep-recover` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoverOutput {
    /// `WSREP: Recovered position: <uuid>:<seqno>[,<gtid>]`.
    Position {
        uuid: String,
        seqno: i64,
        gtid: Option<String>,
    },
    /// InnoDB holds prepared transactions that crash recovery cannot resolve: only
    /// `--tc-heuristic-recover=commit|rollback` gets past them. The lines that said so.
    PreparedTransactions(Vec<String>),
    /// No position line: the last lines, to show.
    Nothing(String),
}

const POSITION_MARK: &str = "WSREP: Recovered position: ";

fn unresolved_prepared(line: &str) -> bool {
    // "Found N prepared transactions! It means that server was not shut down properly last
    // time and critical recovery information (...) was manually deleted after a crash. You
    // have to start server with --tc-heuristic-recover switch to commit or rollback pending
    // transactions." and "Crash recovery failed. Either correct the problem (...) and start
    // server with --tc-heuristic-recover={commit|rollback}".
    line.contains("--tc-heuristic-recover")
        && (line.contains("prepared transactions!") || line.contains("Crash recovery failed"))
}

pub fn parse_wsrep_recover(output: &str) -> RecoverOutput {
    let prepared: Vec<String> = output
        .lines()
        .filter(|l| unresolved_prepared(l))
        .map(|l| l.trim().to_string())
        .collect();
    if !prepared.is_empty() {
        return RecoverOutput::PreparedTransactions(prepared);
    }
    let position = output.lines().rev().find_map(|l| {
        let rest = l.split_once(POSITION_MARK)?.1.trim();
        let (position, gtid) = match rest.split_once(',') {
            Some((p, g)) => (p, Some(g.trim().to_string())),
            None => (rest, None),
        };
        let (uuid, seqno) = position.rsplit_once(':')?;
        let seqno = seqno.parse::<i64>().ok().filter(|s| *s >= -1)?;
        is_uuid(uuid).then(|| RecoverOutput::Position {
            uuid: uuid.to_ascii_lowercase(),
            seqno,
            gtid,
        })
    });
    position.unwrap_or_else(|| {
        let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(5)..].join("\n");
        RecoverOutput::Nothing(tail)
    })
}

pub fn parse_gvwstate(text: &str) -> Option<SavedView> {
    let mut my_uuid = None;
    let mut view_id = None;
    let mut members = std::collections::BTreeSet::new();
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("my_uuid:") {
            my_uuid = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("view_id:") {
            view_id = Some(v.split_whitespace().collect::<Vec<_>>().join(" "));
        } else if let Some(v) = line.strip_prefix("member:") {
            members.insert(v.split_whitespace().next()?.to_string());
        }
    }
    Some(SavedView {
        my_uuid: my_uuid?,
        view_id: view_id?,
        members,
    })
    .filter(|v| !v.members.is_empty())
}
