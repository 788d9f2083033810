//! The rules of `doctor`, each a function of the facts that pushes its findings.

use super::{
    Facts, Finding, NodeReading, TableFacts, CONFLICT_MIN_COUNT, CONFLICT_RATE_LIMIT,
    FLOW_CONTROL_PAUSED_LIMIT, GCACHE_REACH_SECS, SYSTEM_SCHEMAS,
};

const MIB: u64 = 1 << 20;

/// A name quoted for MariaDB: in backticks, a backtick doubled.
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn table_name(t: &TableFacts) -> String {
    format!("{}.{}", quote_ident(&t.schema), quote_ident(&t.name))
}

/// Whether the user's grants (`SHOW GRANTS` lines) make every table and column visible in
/// `information_schema`: a global privilege that MariaDB counts for both (REFERENCES is the
/// one that reads nothing).
pub fn sees_all_tables(grants: &[String]) -> bool {
    grants.iter().any(|line| {
        let Some(rest) = line.strip_prefix("GRANT ") else {
            return false;
        };
        let Some((privileges, target)) = rest.split_once(" ON ") else {
            return false;
        };
        target.starts_with("*.* ")
            && privileges.split(", ").any(|p| {
                matches!(
                    p.trim(),
                    "ALL PRIVILEGES" | "SELECT" | "INSERT" | "UPDATE" | "REFERENCES"
                )
            })
    })
}

fn number(map: &std::collections::BTreeMap<String, String>, name: &str) -> Option<u64> {
    map.get(name)?.trim().parse().ok()
}

fn fraction(map: &std::collections::BTreeMap<String, String>, name: &str) -> Option<f64> {
    map.get(name)?.trim().parse().ok()
}

fn text<'a>(map: &'a std::collections::BTreeMap<String, String>, name: &str) -> &'a str {
    map.get(name).map_or("", |v| v.trim())
}

/// Bytes as MiB, one decimal.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB as f64)
}

/// Fewer than three members: one failure leaves no majority.
pub fn members(facts: &Facts, out: &mut Vec<Finding>) {
    if facts.members >= 3 {
        return;
    }
    out.push(Finding {
        check: "members",
        subject: facts.cluster.clone(),
        problem: format!(
            "{} member{}: when one fails or the network splits, no majority is left and every node refuses queries (ERROR 1047)",
            facts.members,
            if facts.members == 1 { "" } else { "s" }
        ),
        action: "add a third node, or an [arbitrator] (garbd) on a third host, then `galeractl up`"
            .into(),
        sql: None,
    });
}

/// The option's name as mariadbd reads it: no leading dashes, no `loose-`, `_` as `-`.
fn option_name(option: &str) -> String {
    let name = option.trim_start_matches('-');
    let name = name.split('=').next().unwrap_or(name);
    let name = name.to_ascii_lowercase().replace('_', "-");
    name.strip_prefix("loose-").unwrap_or(&name).to_string()
}

/// `binlog-do-db` and `binlog-ignore-db` in the inventory's options.
pub fn binlog_filters(facts: &Facts, out: &mut Vec<Finding>) {
    for option in &facts.mariadbd_options {
        if matches!(
            option_name(option).as_str(),
            "binlog-do-db" | "binlog-ignore-db"
        ) {
            out.push(Finding {
                check: "binlog-filter",
                subject: facts.cluster.clone(),
                problem: format!(
                    "mariadbd option {option}: Galera's write-sets come from the binary log, so a filtered database's rows are not replicated while its schema changes are, and the nodes drift apart"
                ),
                action: "remove it from cluster.mariadbd_options, then `galeractl up` (a rolling restart)".into(),
                sql: None,
            });
        }
    }
}

/// The checks of one answering node's status and variables.
pub fn node(facts: &Facts, name: &str, r: &NodeReading, out: &mut Vec<Finding>) {
    not_ready(facts, name, r, out);
    log_output(name, r, out);
    charset(name, r, out);
    auto_increment(name, r, out);
    conflicts(name, r, out);
    gcache(name, r, out);
}

fn serves(r: &NodeReading) -> bool {
    text(&r.status, "wsrep_ready") == "ON" && text(&r.status, "wsrep_cluster_status") == "Primary"
}

/// `wsrep_ready=OFF` or a non-Primary component: the node answers ERROR 1047.
fn not_ready(facts: &Facts, name: &str, r: &NodeReading, out: &mut Vec<Finding>) {
    if serves(r) {
        return;
    }
    let others_serve = facts
        .nodes
        .iter()
        .filter(|n| n.name != name)
        .any(|n| n.reading.as_ref().is_ok_and(serves));
    let action = if others_serve {
        format!("other nodes serve: it is joining, or cut off from them; see `galeractl status` and `galeractl logs {name}`, and if it stays so, check the network between the hosts (the Galera ports), then `galeractl start-node {name}`")
    } else {
        "no node serves: the cluster lost its quorum; if nodes are down, start them (`galeractl up`), and after an outage of every node run `galeractl recover`".into()
    };
    out.push(Finding {
        check: "not-ready",
        subject: name.to_string(),
        problem: format!(
            "wsrep_ready={}, cluster status {}, state {}: it refuses queries with ERROR 1047 (WSREP has not yet prepared node for application use)",
            or_unknown(text(&r.status, "wsrep_ready")),
            or_unknown(text(&r.status, "wsrep_cluster_status")),
            or_unknown(text(&r.status, "wsrep_local_state_comment")),
        ),
        action,
        sql: None,
    });
}

fn or_unknown(v: &str) -> &str {
    if v.is_empty() {
        "unknown"
    } else {
        v
    }
}

/// `log_output` with TABLE: the logs go to tables that Galera does not replicate.
fn log_output(name: &str, r: &NodeReading, out: &mut Vec<Finding>) {
    let value = text(&r.variables, "log_output");
    if !value.to_ascii_uppercase().split(',').any(|v| v == "TABLE") {
        return;
    }
    out.push(Finding {
        check: "log-output",
        subject: name.to_string(),
        problem: format!("log_output={value}: the general and slow query logs go to tables (mysql.general_log, mysql.slow_log), which Galera does not replicate"),
        action: "send them to files, now and for good: \"--log-output=FILE\" in cluster.mariadbd_options".into(),
        sql: Some("SET GLOBAL log_output = 'FILE';".into()),
    });
}

/// A server character set Galera does not support.
fn charset(name: &str, r: &NodeReading, out: &mut Vec<Finding>) {
    let value = text(&r.variables, "character_set_server");
    if !matches!(value, "ucs2" | "utf16" | "utf16le" | "utf32") {
        return;
    }
    out.push(Finding {
        check: "charset",
        subject: name.to_string(),
        problem: format!("character_set_server={value}: Galera does not support ucs2, utf16 or utf32 as the server's character set"),
        action: "use utf8mb4: \"--character-set-server=utf8mb4\" in cluster.mariadbd_options, then `galeractl up`".into(),
        sql: None,
    });
}

/// Auto-increment settings that let two nodes take the same id, or a lock mode Galera cannot
/// use.
fn auto_increment(name: &str, r: &NodeReading, out: &mut Vec<Finding>) {
    let control = text(&r.variables, "wsrep_auto_increment_control");
    let increment = number(&r.variables, "auto_increment_increment").unwrap_or(1);
    let size = number(&r.status, "wsrep_cluster_size").unwrap_or(0);
    if control == "OFF" && increment < size {
        out.push(Finding {
            check: "auto-increment",
            subject: name.to_string(),
            problem: format!("wsrep_auto_increment_control=OFF and auto_increment_increment={increment}, below the cluster's {size} nodes: inserts on two nodes at once can take the same id, and one fails"),
            action: "let Galera space the ids by the cluster's size (the ids then jump by it: that is expected), now and for good: \"--wsrep-auto-increment-control=ON\" in cluster.mariadbd_options".into(),
            sql: Some("SET GLOBAL wsrep_auto_increment_control = ON;".into()),
        });
    }
    let mode = text(&r.variables, "innodb_autoinc_lock_mode");
    if !mode.is_empty() && mode != "2" {
        out.push(Finding {
            check: "auto-increment",
            subject: name.to_string(),
            problem: format!("innodb_autoinc_lock_mode={mode}: Galera needs the interleaved mode (2), or inserts deadlock when applied in parallel"),
            action: "remove the option that sets it from cluster.mariadbd_options (galeractl sets 2), then `galeractl up`".into(),
            sql: None,
        });
    }
}

/// Transactions that failed certification or were aborted by a replicated one.
fn conflicts(name: &str, r: &NodeReading, out: &mut Vec<Finding>) {
    let failed = number(&r.status, "wsrep_local_cert_failures").unwrap_or(0)
        + number(&r.status, "wsrep_local_bf_aborts").unwrap_or(0);
    let commits = number(&r.status, "wsrep_local_commits").unwrap_or(0);
    if failed < CONFLICT_MIN_COUNT || (failed as f64) <= CONFLICT_RATE_LIMIT * commits as f64 {
        return;
    }
    out.push(Finding {
        check: "conflicts",
        subject: name.to_string(),
        problem: format!(
            "{failed} transactions failed certification or were aborted by another node's ({:.1}% of its {commits} local commits): several nodes write the same rows at once, and the loser gets ERROR 1213 (deadlock)",
            100.0 * failed as f64 / commits.max(1) as f64
        ),
        action: "write through one node at a time ([haproxy] routing = \"single-writer\"), and retry a transaction that fails with a deadlock once".into(),
        sql: None,
    });
}

/// A gcache that keeps less than [`GCACHE_REACH_SECS`] of writes at the recent rate (the
/// higher of the measured window's and the average since the node started).
fn gcache(name: &str, r: &NodeReading, out: &mut Vec<Finding>) {
    let Some(size) = crate::plan::gcache_size_of(text(&r.variables, "wsrep_provider_options"))
    else {
        return;
    };
    let now = number(&r.status, "wsrep_replicated_bytes").unwrap_or(0)
        + number(&r.status, "wsrep_received_bytes").unwrap_or(0);
    let uptime = number(&r.status, "Uptime").unwrap_or(0).max(1);
    let average = now.saturating_mul(60) / uptime;
    let window = match r.writeset_bytes_later {
        Some(later) if r.window_ms > 0 => {
            later.saturating_sub(now).saturating_mul(60_000) / r.window_ms
        }
        _ => 0,
    };
    let per_minute = average.max(window);
    let needed = per_minute.saturating_mul(GCACHE_REACH_SECS) / 60;
    if needed <= size {
        return;
    }
    let advised = needed.saturating_mul(2).div_ceil(MIB).next_power_of_two();
    out.push(Finding {
        check: "gcache",
        subject: name.to_string(),
        problem: format!(
            "gcache.size {} keeps less than {GCACHE_REACH_SECS}s of writes at {} a minute: a node away that long comes back by a full copy (SST), not IST",
            mib(size),
            mib(per_minute)
        ),
        action: format!("set gcache_size = \"{advised}M\" in the inventory's [cluster], then `galeractl up` (a rolling restart)"),
        sql: None,
    });
}

/// Flow control: one finding for the cluster, naming the nodes that asked for the pauses.
pub fn flow_control(facts: &Facts, answering: &[(&str, &NodeReading)], out: &mut Vec<Finding>) {
    let worst = answering
        .iter()
        .filter_map(|(_, r)| fraction(&r.status, "wsrep_flow_control_paused"))
        .fold(0.0_f64, f64::max);
    if worst <= FLOW_CONTROL_PAUSED_LIMIT {
        return;
    }
    let senders: Vec<&str> = answering
        .iter()
        .filter(|(_, r)| number(&r.status, "wsrep_flow_control_sent").unwrap_or(0) > 0)
        .map(|(n, _)| *n)
        .collect();
    let who = if senders.is_empty() {
        "no node reports having asked for them (wsrep_flow_control_sent)".to_string()
    } else {
        format!(
            "the slow node{} that asked for them: {}",
            if senders.len() == 1 { "" } else { "s" },
            senders.join(", ")
        )
    };
    out.push(Finding {
        check: "flow-control",
        subject: facts.cluster.clone(),
        problem: format!(
            "replication was paused by flow control {:.0}% of the time (wsrep_flow_control_paused, since the last FLUSH STATUS); {who}",
            worst * 100.0
        ),
        action: "give the slow nodes faster disks or more applier threads (\"--wsrep-slave-threads=4\" in cluster.mariadbd_options), or write in smaller transactions".into(),
        sql: None,
    });
}

/// The tables' checks: engine, primary key, and rows too large for a node's
/// `max_allowed_packet`.
pub fn tables(tables: &[TableFacts], answering: &[(&str, &NodeReading)], out: &mut Vec<Finding>) {
    let user: Vec<&TableFacts> = tables
        .iter()
        .filter(|t| !SYSTEM_SCHEMAS.contains(&t.schema.to_ascii_lowercase().as_str()))
        .collect();
    for t in &user {
        engine(t, out);
    }
    for t in &user {
        primary_key(t, out);
    }
    if let Some(largest) = user.iter().max_by_key(|t| t.avg_row_length) {
        for (name, r) in answering {
            packet(name, r, largest, out);
        }
    }
}

fn engine(t: &TableFacts, out: &mut Vec<Finding>) {
    if t.engine.eq_ignore_ascii_case("InnoDB") {
        return;
    }
    let convertible = ["MyISAM", "Aria", "MEMORY"]
        .iter()
        .any(|e| t.engine.eq_ignore_ascii_case(e));
    let (action, sql) = if convertible {
        (
            "convert it to InnoDB (a table copy, replicated as one schema change that blocks writes to it: run it at a quiet time)".to_string(),
            Some(format!("ALTER TABLE {} ENGINE=InnoDB;", table_name(t))),
        )
    } else {
        (
            format!("convert it to InnoDB if nothing needs the {} engine, else keep it out of the cluster", t.engine),
            None,
        )
    };
    out.push(Finding {
        check: "non-innodb",
        subject: format!("{}.{}", t.schema, t.name),
        problem: format!(
            "engine {}: Galera replicates only InnoDB rows; its rows stay on the node that wrote them",
            t.engine
        ),
        action,
        sql,
    });
}

fn primary_key(t: &TableFacts, out: &mut Vec<Finding>) {
    if t.has_primary_key {
        return;
    }
    let problem = "no primary key: the other nodes apply each of its row changes by a full scan, and deleting one of two equal rows can remove different ones on different nodes".to_string();
    let (action, sql) = if let Some(column) = &t.auto_increment_column {
        (
            format!(
                "make its AUTO_INCREMENT column {} the primary key if its values are unique",
                quote_ident(column)
            ),
            None,
        )
    } else {
        let column = ["id", "pk", "galeractl_id"]
            .iter()
            .find(|c| !t.columns.iter().any(|k| k.eq_ignore_ascii_case(c)))
            .map_or_else(
                || "galeractl_row_id".to_string(),
                std::string::ToString::to_string,
            );
        (
            "add an invisible AUTO_INCREMENT primary key, which `SELECT *` and INSERTs without a column list do not see (a table copy: run it at a quiet time)".to_string(),
            Some(format!(
                "ALTER TABLE {} ADD COLUMN {} BIGINT UNSIGNED NOT NULL AUTO_INCREMENT INVISIBLE PRIMARY KEY FIRST;",
                table_name(t),
                quote_ident(&column)
            )),
        )
    };
    out.push(Finding {
        check: "no-primary-key",
        subject: format!("{}.{}", t.schema, t.name),
        problem,
        action,
        sql,
    });
}

/// The value to advise for `max_allowed_packet`: twice the row, a power of two of MiB, at
/// least 64 MiB, at most 1 GiB (the server's limit).
pub fn advised_packet(row: u64) -> u64 {
    (row.saturating_mul(2).div_ceil(MIB).next_power_of_two() * MIB).clamp(64 * MIB, 1 << 30)
}

fn packet(name: &str, r: &NodeReading, largest: &TableFacts, out: &mut Vec<Finding>) {
    let Some(limit) = number(&r.variables, "max_allowed_packet") else {
        return;
    };
    if largest.avg_row_length <= limit {
        return;
    }
    let advised = advised_packet(largest.avg_row_length);
    out.push(Finding {
        check: "max-allowed-packet",
        subject: name.to_string(),
        problem: format!(
            "max_allowed_packet={limit} is smaller than the largest row seen ({} bytes on average in {}.{}): writing or importing such a row fails with ERROR 2006 (MySQL server has gone away)",
            largest.avg_row_length, largest.schema, largest.name
        ),
        action: format!("raise it on this node now (`galeractl sql {name} -e ...`) and for good: \"--max-allowed-packet={}M\" in cluster.mariadbd_options; give the importing client the same --max-allowed-packet", advised / MIB),
        sql: Some(format!("SET GLOBAL max_allowed_packet = {advised};")),
    });
}
