//! What `galeractl doctor` reads: each node's status and variables and the user tables'
//! metadata over SQL, as the monitor user (never a row of data); `doctor::examine` judges it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::doctor::{self, Facts, NodeFacts, NodeReading, TableFacts, Tables};
use crate::inventory::Inventory;
use crate::observe;
use crate::secret::Secret;
use crate::sql::{self, TextRow};

/// The write rate is measured over this window: a second read of the write-set counters.
const RATE_WINDOW: Duration = Duration::from_secs(2);

const STATUS: &str = "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', \
    'wsrep_cluster_status', 'wsrep_local_state_comment', 'wsrep_cluster_size', \
    'wsrep_flow_control_paused', 'wsrep_flow_control_sent', 'wsrep_local_cert_failures', \
    'wsrep_local_bf_aborts', 'wsrep_local_commits', 'wsrep_replicated_bytes', \
    'wsrep_received_bytes', 'Uptime')";
const VARIABLES: &str = "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('max_allowed_packet', \
    'log_output', 'auto_increment_increment', 'wsrep_auto_increment_control', \
    'innodb_autoinc_lock_mode', 'character_set_server', 'wsrep_provider_options')";
const WRITESETS: &str = "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_replicated_bytes', \
    'wsrep_received_bytes')";
const GRANTS: &str = "SHOW GRANTS";
/// User tables: schema, name, engine, average row length, has a primary key.
const TABLES: &str = "SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.ENGINE, t.AVG_ROW_LENGTH, \
    EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c \
    WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME \
    AND c.CONSTRAINT_TYPE = 'PRIMARY KEY') \
    FROM information_schema.TABLES t WHERE t.TABLE_TYPE = 'BASE TABLE' \
    AND t.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') \
    ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME";
/// The columns of the user tables without a primary key: schema, table, column, extra.
const COLUMNS: &str = "SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.COLUMN_NAME, k.EXTRA \
    FROM information_schema.COLUMNS k JOIN information_schema.TABLES t \
    ON t.TABLE_SCHEMA = k.TABLE_SCHEMA AND t.TABLE_NAME = k.TABLE_NAME \
    WHERE t.TABLE_TYPE = 'BASE TABLE' \
    AND t.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') \
    AND NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c \
    WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME \
    AND c.CONSTRAINT_TYPE = 'PRIMARY KEY') \
    ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.ORDINAL_POSITION";

/// Everything the rules need: every node read at once, then the tables from a serving node
/// while the write rate's window runs.
pub async fn facts(inventory: &Inventory, password: &Secret, timeout: Duration) -> Facts {
    let started = Instant::now();
    let readings = futures::future::join_all(inventory.nodes.iter().map(|n| {
        let target = observe::monitor_target(inventory, n, password);
        async move {
            sql::query_all(&target, &[STATUS, VARIABLES], timeout)
                .await
                .map(|mut sets| {
                    let variables = pairs(sets.pop().unwrap_or_default());
                    let status = pairs(sets.pop().unwrap_or_default());
                    NodeReading {
                        status,
                        variables,
                        ..NodeReading::default()
                    }
                })
                .map_err(|e| e.to_string())
        }
    }))
    .await;
    let serving = readings
        .iter()
        .position(|r| r.as_ref().is_ok_and(serves))
        .or_else(|| readings.iter().position(Result::is_ok));
    let tables = async {
        match serving {
            Some(i) => tables(inventory, &inventory.nodes[i], password, timeout).await,
            None => Tables::NotRead("no node answered SQL".into()),
        }
    };
    // A measurement window, not a wait for a state.
    let (tables, ()) = tokio::join!(
        tables,
        tokio::time::sleep(RATE_WINDOW.saturating_sub(started.elapsed()))
    );
    let window_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let later =
        futures::future::join_all(inventory.nodes.iter().zip(&readings).map(|(n, reading)| {
            let target = observe::monitor_target(inventory, n, password);
            async move {
                if reading.is_err() {
                    return None;
                }
                let rows = sql::query_pairs(&target, WRITESETS, timeout).await.ok()?;
                Some(rows.iter().filter_map(|(_, v)| v.parse::<u64>().ok()).sum())
            }
        }))
        .await;
    let nodes = inventory
        .nodes
        .iter()
        .zip(readings)
        .zip(later)
        .map(|((n, reading), later)| NodeFacts {
            name: n.name.clone(),
            reading: reading.map(|mut r| {
                r.writeset_bytes_later = later;
                r.window_ms = window_ms;
                r
            }),
        })
        .collect();
    Facts {
        cluster: inventory.cluster.name.clone(),
        members: inventory.members(),
        mariadbd_options: inventory.cluster.mariadbd_options.clone(),
        nodes,
        tables,
    }
}

fn serves(r: &NodeReading) -> bool {
    r.status.get("wsrep_ready").is_some_and(|v| v == "ON")
        && r.status
            .get("wsrep_cluster_status")
            .is_some_and(|v| v == "Primary")
}

fn pairs(rows: Vec<TextRow>) -> BTreeMap<String, String> {
    rows.into_iter()
        .filter_map(|row| {
            let mut values = row.into_iter();
            let name = values.next()??;
            Some((name, values.next().flatten().unwrap_or_default()))
        })
        .collect()
}

/// The user tables' metadata, read on `node`; refused when the monitor user cannot see every
/// table (information_schema shows only the tables a user has a privilege on).
async fn tables(
    inventory: &Inventory,
    node: &crate::inventory::Node,
    password: &Secret,
    timeout: Duration,
) -> Tables {
    let target = observe::monitor_target(inventory, node, password);
    let sets = match sql::query_all(&target, &[GRANTS, TABLES, COLUMNS], timeout).await {
        Ok(sets) => sets,
        Err(e) => return Tables::NotRead(format!("{}: {e}", node.name)),
    };
    let [grants, tables, columns] = <[Vec<TextRow>; 3]>::try_from(sets).unwrap_or_default();
    let grants: Vec<String> = grants
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    if !doctor::sees_all_tables(&grants) {
        let user = &inventory.cluster.monitor_user;
        return Tables::NotRead(format!(
            "the monitor user {user} sees only the tables it has a privilege on; give it REFERENCES, which reads no data, once: galeractl sql -- -e \"GRANT REFERENCES ON *.* TO '{user}'@'%'\""
        ));
    }
    Tables::Read(table_facts(tables, columns))
}

fn table_facts(tables: Vec<TextRow>, columns: Vec<TextRow>) -> Vec<TableFacts> {
    let mut found: Vec<TableFacts> = tables
        .into_iter()
        .map(|row| {
            let mut v = row.into_iter();
            let mut next = || v.next().flatten().unwrap_or_default();
            TableFacts {
                schema: next(),
                name: next(),
                engine: next(),
                avg_row_length: next().parse().unwrap_or(0),
                has_primary_key: next() == "1",
                columns: Vec::new(),
                auto_increment_column: None,
            }
        })
        .collect();
    for row in columns {
        let mut v = row.into_iter();
        let mut next = || v.next().flatten().unwrap_or_default();
        let (schema, name, column, extra) = (next(), next(), next(), next());
        if let Some(t) = found
            .iter_mut()
            .find(|t| t.schema == schema && t.name == name)
        {
            if extra.to_ascii_lowercase().contains("auto_increment") {
                t.auto_increment_column = Some(column.clone());
            }
            t.columns.push(column);
        }
    }
    found
}
