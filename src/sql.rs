//! The SQL edge: one short-lived connection per probe to a node's published MySQL port, with a
//! deadline, as the monitoring user. Reads status only.

use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder};

use crate::galera::{NoAnswer, NodeStatus, Probe};
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct SqlTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
    /// With `[tls]`: the CA the server's certificate must chain to; the connection is TLS and
    /// the certificate must name `host`.
    pub ca: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SqlError {
    #[error("{host}:{port}: no answer within {ms} ms")]
    Timeout { host: String, port: u16, ms: u128 },
    #[error("{host}:{port}: {detail}")]
    Failed {
        host: String,
        port: u16,
        detail: String,
    },
}

/// A query's error, naming the node's address.
fn failed(t: &SqlTarget, e: mysql_async::Error) -> SqlError {
    SqlError::Failed {
        host: t.host.clone(),
        port: t.port,
        detail: e.to_string(),
    }
}

fn opts(t: &SqlTarget) -> OptsBuilder {
    let ssl = t.ca.as_ref().map(|ca| {
        // The cluster's CA only: not the public roots rustls would add by default.
        mysql_async::SslOpts::default()
            .with_root_certs(vec![ca.clone().into()])
            .with_disable_built_in_roots(true)
    });
    OptsBuilder::default()
        .ssl_opts(ssl)
        .ip_or_hostname(t.host.clone())
        .tcp_port(t.port)
        .user(Some(t.user.clone()))
        .pass(Some(t.password.expose().to_string()))
        // Never switch to a unix socket on this machine after a TCP connect.
        .prefer_socket(false)
        // Known settings spare a round trip per connection (the client would ask the server).
        .max_allowed_packet(Some(16 << 20))
        .wait_timeout(Some(60))
}

/// `work` on `t` within `timeout`, or the timeout's error naming the node's address.
async fn within<T>(
    t: &SqlTarget,
    timeout: Duration,
    work: impl std::future::Future<Output = Result<T, SqlError>>,
) -> Result<T, SqlError> {
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| SqlError::Timeout {
            host: t.host.clone(),
            port: t.port,
            ms: timeout.as_millis(),
        })?
}

/// Connects, runs one query returning name/value rows, disconnects; all within `timeout`.
pub async fn query_pairs(
    t: &SqlTarget,
    sql: &str,
    timeout: Duration,
) -> Result<Vec<(String, String)>, SqlError> {
    let failed = |e: mysql_async::Error| failed(t, e);
    let work = async {
        let mut conn = Conn::new(opts(t)).await.map_err(failed)?;
        let rows: Vec<(String, Option<String>)> = conn.query(sql).await.map_err(failed)?;
        let _ = conn.disconnect().await;
        Ok(rows
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect())
    };
    within(t, timeout, work).await
}

/// The node's wsrep status, or why there is none (the server refused the monitoring user, the
/// port refused the connection, the deadline passed...).
pub async fn probe(t: &SqlTarget, timeout: Duration) -> Probe {
    // Only the variables read: a smaller answer to parse, on every probe.
    let work = async {
        let mut conn = Conn::new(opts(t)).await?;
        let rows: Vec<(String, Option<String>)> = conn
            .query(
                "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment', \
                 'wsrep_cluster_status', 'wsrep_cluster_size', 'wsrep_connected', 'wsrep_ready', \
                 'wsrep_last_committed', 'wsrep_cluster_state_uuid', 'wsrep_flow_control_paused', \
                 'wsrep_incoming_addresses', 'wsrep_replicated_bytes', 'wsrep_received_bytes', \
                 'Ssl_server_not_after')",
            )
            .await?;
        let _ = conn.disconnect().await;
        Ok::<_, mysql_async::Error>(rows)
    };
    let rows = match tokio::time::timeout(timeout, work).await {
        Err(_) => {
            return Err(NoAnswer::Timeout {
                ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            })
        }
        Ok(Err(e)) => return Err(no_answer(&e)),
        Ok(Ok(rows)) => rows,
    };
    Ok(NodeStatus::from_rows(rows.iter().map(|(k, v)| {
        (k.as_str(), v.as_deref().unwrap_or_default())
    })))
}

/// MySQL's `ER_ACCESS_DENIED_ERROR`, `ER_DBACCESS_DENIED_ERROR`, `ER_ACCESS_DENIED_NO_PASSWORD_ERROR`.
const ACCESS_DENIED_CODES: [u16; 3] = [1045, 1044, 1698];

/// Why a connection or its query failed, as a [`NoAnswer`].
fn no_answer(e: &mysql_async::Error) -> NoAnswer {
    use mysql_async::{DriverError, Error, IoError};
    match e {
        Error::Server(s) if ACCESS_DENIED_CODES.contains(&s.code) => NoAnswer::AccessDenied {
            message: s.message.clone(),
        },
        Error::Server(s) => NoAnswer::ServerError {
            code: s.code,
            message: s.message.clone(),
        },
        Error::Io(IoError::Tls(t)) => NoAnswer::Tls {
            message: t.to_string(),
        },
        Error::Io(IoError::Io(io)) => io_no_answer(io),
        Error::Driver(DriverError::NoClientSslFlagFromServer) => NoAnswer::Tls {
            message: e.to_string(),
        },
        other => NoAnswer::Other {
            message: other.to_string(),
        },
    }
}

fn io_no_answer(io: &std::io::Error) -> NoAnswer {
    if io.kind() == std::io::ErrorKind::ConnectionRefused {
        return NoAnswer::Refused;
    }
    // rustls' own errors reach the client wrapped in an I/O error. (The closure stays: the
    // method path clippy offers names a trait object type in full.)
    #[allow(clippy::redundant_closure_for_method_calls)]
    let tls = io
        .get_ref()
        .is_some_and(|inner| inner.is::<tokio_rustls::rustls::Error>());
    if tls {
        NoAnswer::Tls {
            message: io.to_string(),
        }
    } else {
        NoAnswer::Other {
            message: io.to_string(),
        }
    }
}

/// One row, each value as text (`None` for NULL).
pub type TextRow = Vec<Option<String>>;

/// Connects once, runs each query in turn, disconnects; every query's rows as text; all within
/// `timeout`.
pub async fn query_all(
    t: &SqlTarget,
    queries: &[&str],
    timeout: Duration,
) -> Result<Vec<Vec<TextRow>>, SqlError> {
    let failed = |e: mysql_async::Error| failed(t, e);
    let work = async {
        let mut conn = Conn::new(opts(t)).await.map_err(failed)?;
        let mut all = Vec::with_capacity(queries.len());
        for q in queries {
            let rows: Vec<mysql_async::Row> = conn.query(*q).await.map_err(failed)?;
            all.push(
                rows.into_iter()
                    .map(|row| {
                        (0..row.len())
                            .map(|i| match row.as_ref(i) {
                                None | Some(mysql_async::Value::NULL) => None,
                                Some(mysql_async::Value::Bytes(b)) => {
                                    Some(String::from_utf8_lossy(b).into_owned())
                                }
                                Some(v) => Some(v.as_sql(true)),
                            })
                            .collect()
                    })
                    .collect(),
            );
        }
        let _ = conn.disconnect().await;
        Ok(all)
    };
    within(t, timeout, work).await
}
