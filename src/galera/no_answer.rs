//! Why a node's SQL probe gave no wsrep status, as data: every decision that reads a probe
//! tells a server that answered (and refused the monitoring user) from one that is silent.
//! Pure.

use std::path::Path;

use serde::Serialize;

use super::NodeStatus;

/// Why a probe of a node's SQL port gave no status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NoAnswer {
    /// The server answered and refused the monitoring user's password: it runs (it may serve
    /// in a Primary component), its state is unknown.
    AccessDenied { message: String },
    /// The server answered with another error (too many connections, host blocked...): it
    /// runs, its state is unknown.
    ServerError { code: u16, message: String },
    /// Nothing accepted a connection on the port.
    Refused,
    /// No answer within the probe's deadline.
    Timeout { ms: u64 },
    /// The TLS handshake failed (a certificate the cluster's CA does not sign, another name).
    Tls { message: String },
    /// Anything else the connection met (the host unreachable, the connection reset...).
    Other { message: String },
}

/// One probe of a node: its wsrep status, or why there is none.
pub type Probe = Result<NodeStatus, NoAnswer>;

impl NoAnswer {
    /// The server itself answered: a process serves on the port, whatever its wsrep state.
    /// Such a node is never taken for silent (stopped, crashed, cut off) by a safety decision.
    /// A failed TLS handshake counts: the server sent its greeting before it.
    pub fn server_answered(&self) -> bool {
        matches!(
            self,
            NoAnswer::AccessDenied { .. } | NoAnswer::ServerError { .. } | NoAnswer::Tls { .. }
        )
    }

    /// One word for a table's column.
    pub fn short(&self) -> &'static str {
        match self {
            NoAnswer::AccessDenied { .. } => "access-denied",
            NoAnswer::ServerError { .. } => "server-error",
            NoAnswer::Refused => "refused",
            NoAnswer::Timeout { .. } => "timeout",
            NoAnswer::Tls { .. } => "tls-error",
            NoAnswer::Other { .. } => "no-answer",
        }
    }

    pub fn is_access_denied(&self) -> bool {
        matches!(self, NoAnswer::AccessDenied { .. })
    }
}

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoAnswer::AccessDenied { message } => write!(f, "access denied ({message})"),
            NoAnswer::ServerError { code, message } => {
                write!(f, "server error {code} ({message})")
            }
            NoAnswer::Refused => f.write_str("connection refused"),
            NoAnswer::Timeout { ms } => write!(f, "no answer within {ms} ms"),
            NoAnswer::Tls { message } => write!(f, "TLS error ({message})"),
            NoAnswer::Other { message } => write!(f, "no answer ({message})"),
        }
    }
}

/// What the operator is told when nodes refuse the monitoring user: which user, which file.
pub fn access_denied_advice(user: &str, password_file: &Path) -> String {
    format!(
        "the nodes refuse the monitoring user '{user}': the password in {} (cluster.monitor_password_file) is not the one the nodes have for '{user}'; put the cluster's password back in that file (or set that password for '{user}' on the nodes), then run again",
        password_file.display()
    )
}

/// The nodes among `probes` (paired with their names) whose server answered but refused the
/// monitoring user, as `name: reason`.
pub fn denied<'a>(probes: impl IntoIterator<Item = (&'a str, &'a Probe)>) -> Vec<String> {
    probes
        .into_iter()
        .filter_map(|(name, p)| match p {
            Err(e) if e.is_access_denied() => Some(format!("{name}: {e}")),
            _ => None,
        })
        .collect()
}

/// What a probe saw, in a line: `Primary Synced`, or why there was no status.
pub fn said(probe: &Probe) -> String {
    match probe {
        Ok(s) => format!("{} {}", s.cluster_status, s.local_state),
        Err(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_a_phrase() {
        let denied = NoAnswer::AccessDenied {
            message: "Access denied for user 'monitor'@'10.0.0.9' (using password: YES)".into(),
        };
        assert_eq!(
            denied.to_string(),
            "access denied (Access denied for user 'monitor'@'10.0.0.9' (using password: YES))"
        );
        assert!(denied.server_answered());
        assert_eq!(NoAnswer::Refused.to_string(), "connection refused");
        assert!(!NoAnswer::Refused.server_answered());
        assert_eq!(
            NoAnswer::Timeout { ms: 2000 }.to_string(),
            "no answer within 2000 ms"
        );
        assert!(!NoAnswer::Timeout { ms: 1 }.server_answered());
        assert!(NoAnswer::Tls {
            message: "invalid peer certificate: Expired".into()
        }
        .server_answered());
        assert!(NoAnswer::ServerError {
            code: 1040,
            message: "Too many connections".into()
        }
        .server_answered());
    }

    #[test]
    fn serialises_with_its_kind() {
        let json = serde_json::to_string(&NoAnswer::Timeout { ms: 5 }).unwrap_or_default();
        assert_eq!(json, r#"{"kind":"timeout","ms":5}"#);
        let json = serde_json::to_string(&NoAnswer::Refused).unwrap_or_default();
        assert_eq!(json, r#"{"kind":"refused"}"#);
    }

    #[test]
    fn advice_names_the_user_and_the_file() {
        assert_eq!(
            access_denied_advice("monitor", Path::new("/etc/g/monitor.pw")),
            "the nodes refuse the monitoring user 'monitor': the password in /etc/g/monitor.pw (cluster.monitor_password_file) is not the one the nodes have for 'monitor'; put the cluster's password back in that file (or set that password for 'monitor' on the nodes), then run again"
        );
    }
}
