//! The data-safety writer of the end-to-end tests: inserts rows through chosen nodes, round
//! robin, until stopped, and keeps every id whose COMMIT (autocommit) was acknowledged, with the
//! node that acknowledged it and when. A check afterwards looks for each of them on every node.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::lab::{sql, try_sql, wait_until, HOSTS};

/// The lab's node names, in HOSTS order.
pub const NODES: [&str; 3] = ["nodea", "nodeb", "nodec"];

/// One acknowledged insert.
#[derive(Debug, Clone, Copy)]
pub struct Ack {
    pub id: u64,
    /// Index into HOSTS/NODES of the node that acknowledged it.
    pub node: usize,
    pub at: Instant,
}

pub struct Writer {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<Ack>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    /// Inserts `(id, via)` rows into `table` (`id` from `first_id` up, `via` the node's name)
    /// on the nodes' SQL `port`, through the nodes `through` in turn.
    pub fn start(
        port: u16,
        password: &str,
        table: &str,
        first_id: u64,
        through: &'static [usize],
    ) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let (s, a) = (stop.clone(), acked.clone());
        let (password, table) = (password.to_string(), table.to_string());
        let thread = std::thread::spawn(move || {
            let mut id = first_id;
            let mut turn = 0usize;
            while !s.load(Ordering::SeqCst) {
                let node = through[turn % through.len()];
                turn += 1;
                let insert = format!(
                    "insert into {table} (id, via) values ({id}, '{}')",
                    NODES[node]
                );
                if try_sql(HOSTS[node], port, &password, &[&insert]).is_ok() {
                    a.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(Ack {
                            id,
                            node,
                            at: Instant::now(),
                        });
                } else {
                    // A refused or cut connection: the next node, after a breath.
                    std::thread::sleep(Duration::from_millis(20));
                }
                id += 1;
            }
        });
        Writer {
            stop,
            acked,
            thread: Some(thread),
        }
    }

    pub fn count(&self) -> usize {
        self.acked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Waits (bounded) until `more` further writes are acknowledged.
    pub fn wait_for(&self, more: usize) {
        let target = self.count() + more;
        wait_until(
            &format!("{target} acknowledged rows"),
            Duration::from_secs(120),
            || self.count() >= target,
        );
    }

    /// Stops the writer and returns every acknowledged write.
    pub fn finish(mut self) -> Vec<Ack> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap_or_else(|_| panic!("the writer panicked"));
        }
        let acked = self
            .acked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        acked
    }

    /// [`Writer::finish`], the ids only.
    pub fn finish_ids(self) -> Vec<u64> {
        self.finish().into_iter().map(|a| a.id).collect()
    }
}

/// The longest time between two acknowledged writes.
pub fn longest_gap(acks: &[Ack]) -> Duration {
    longest_gap_of(acks.iter().map(|a| a.at))
}

/// The longest time between two writes acknowledged between `started` and `ended`, and how
/// many were.
pub fn longest_gap_between(acks: &[Ack], started: Instant, ended: Instant) -> (Duration, usize) {
    let times: Vec<Instant> = acks
        .iter()
        .map(|a| a.at)
        .filter(|at| *at > started && *at < ended)
        .collect();
    (longest_gap_of(times.iter().copied()), times.len())
}

fn longest_gap_of(times: impl Iterator<Item = Instant>) -> Duration {
    let times: Vec<Instant> = times.collect();
    times
        .windows(2)
        .map(|w| w[1].duration_since(w[0]))
        .max()
        .unwrap_or_default()
}

/// Panics, naming the node and the first missing ids, unless every acknowledged id is in
/// `table` on each of `nodes`; then `CHECKSUM TABLE` must be equal on all of them.
pub fn assert_acked_on(port: u16, password: &str, table: &str, acked: &[u64], nodes: &[usize]) {
    let hosts: Vec<&str> = nodes.iter().map(|&i| HOSTS[i]).collect();
    assert_acked_at(port, password, table, acked, &hosts);
}

/// [`assert_acked_on`] for the nodes on `hosts` (any lab host).
pub fn assert_acked_at(port: u16, password: &str, table: &str, acked: &[u64], hosts: &[&str]) {
    let mut checksums = Vec::new();
    for &host in hosts {
        let rows = sql(host, port, password, &[&format!("select id from {table}")]);
        let present: std::collections::BTreeSet<u64> =
            rows.iter().filter_map(|r| r[0].parse().ok()).collect();
        let missing: Vec<u64> = acked
            .iter()
            .copied()
            .filter(|id| !present.contains(id))
            .collect();
        assert!(
            missing.is_empty(),
            "{host}: {} acknowledged rows missing, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(10)]
        );
        let sum = sql(host, port, password, &[&format!("checksum table {table}")]);
        checksums.push(sum.first().and_then(|r| r.get(1).cloned()));
    }
    assert!(
        checksums.iter().all(|c| c.is_some() && *c == checksums[0]),
        "CHECKSUM TABLE {table} differs between {hosts:?}: {checksums:?}"
    );
}
