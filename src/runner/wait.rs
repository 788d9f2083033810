//! A stage's condition, waited for: every named node probed until the condition holds or the
//! deadline passes, while the containers the stage started are watched (an exit or a crash loop
//! fails the wait at once); HAProxy's view of the backends; after a join, whether it came by IST.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::watch::{self, Watched};
use super::{fail, spinner, RunError, Runner, CONTAINER_CHECK_EVERY, POLL_EVERY, PROXY_WAIT};
use crate::galera::{self, NodeStatus, Verdict};
use crate::observe;
use crate::plan::WaitFor;

impl Runner<'_> {
    pub(super) async fn probes(&self, names: &[&str]) -> Vec<(String, galera::Probe)> {
        let found = observe::probes(
            self.inventory,
            names,
            &self.monitor_password,
            self.probe_timeout,
        )
        .await;
        names
            .iter()
            .map(std::string::ToString::to_string)
            .zip(found)
            .collect()
    }

    /// Polls until `wait` holds or the deadline passes; on a deadline, says what was seen
    /// last and shows the log tail of each node that was not there yet.
    pub async fn wait(&self, wait: &WaitFor) -> Result<(), RunError> {
        self.wait_watching(wait, &[]).await
    }

    /// [`Runner::wait`], watching `started` (the containers the plan started before it) besides
    /// the waited-for nodes: one that exits or loops fails the wait at once.
    pub(super) async fn wait_watching(
        &self,
        wait: &WaitFor,
        started: &[Watched],
    ) -> Result<(), RunError> {
        match wait {
            WaitFor::ProxyDrained { .. }
            | WaitFor::ProxyUp { .. }
            | WaitFor::ProxyServes { .. } => return self.wait_proxy(wait, started).await,
            WaitFor::JoinedByIst { node } => return self.check_ist(node).await,
            _ => {}
        }
        let names: Vec<&str> = match wait {
            WaitFor::ProxyDrained { .. }
            | WaitFor::ProxyUp { .. }
            | WaitFor::ProxyServes { .. }
            | WaitFor::JoinedByIst { .. } => Vec::new(),
            WaitFor::Synced { nodes }
            | WaitFor::Healthy { nodes }
            | WaitFor::Reformed { nodes, .. }
            | WaitFor::Silent { nodes } => nodes.iter().map(String::as_str).collect(),
            WaitFor::Member { via, .. } => vec![via.as_str()],
            WaitFor::Verified { .. } => self
                .inventory
                .nodes
                .iter()
                .map(|n| n.name.as_str())
                .collect(),
        };
        if let WaitFor::Silent { .. } = wait {
            return self.check_silent(&names).await;
        }
        let timeout = match wait {
            WaitFor::Reformed { secs, .. } => Duration::from_secs(*secs),
            _ => self.sync_timeout,
        };
        let deadline = Instant::now() + timeout;
        let spinner = spinner(&format!("waiting: {wait}"));
        let mut waited = names.clone();
        if let WaitFor::Member { node, .. } = wait {
            waited.push(node.as_str());
        }
        let watched = watch::merged(watch::nodes(self.inventory, &waited), started);
        // Restart counts when the wait began: a count that grows is a crash loop.
        let restarts_at_start = self.restart_counts(&watched).await;
        let mut last_check_of_containers = Instant::now();
        loop {
            let probes = self.probes(&names).await;
            let pending: Vec<String> = probes
                .iter()
                .filter(|(_, p)| !p.as_ref().is_ok_and(NodeStatus::is_healthy))
                .map(|(n, p)| format!("{n}: {}", galera::said(p)))
                .collect();
            let denied = galera::denied(probes.iter().map(|(n, p)| (n.as_str(), p)));
            let seen: Vec<(String, Option<NodeStatus>)> =
                probes.into_iter().map(|(n, p)| (n, p.ok())).collect();
            let done = match wait {
                WaitFor::Synced { .. } => pending.is_empty(),
                WaitFor::Member { size, .. } => seen.iter().any(|(_, s)| {
                    s.as_ref()
                        .is_some_and(|s| s.is_primary() && s.cluster_size as usize >= *size)
                }),
                WaitFor::Verified { size } => {
                    let pairs: Vec<(&str, Option<&NodeStatus>)> =
                        seen.iter().map(|(n, s)| (n.as_str(), s.as_ref())).collect();
                    let all_sized = seen
                        .iter()
                        .all(|(_, s)| s.as_ref().is_some_and(|s| s.cluster_size as usize == *size));
                    galera::verdict(*size, &pairs, &[]) == Verdict::Healthy && all_sized
                }
                WaitFor::Healthy { nodes } => {
                    let healthy: Vec<&NodeStatus> = seen
                        .iter()
                        .filter_map(|(_, s)| s.as_ref())
                        .filter(|s| s.is_healthy() && s.cluster_size as usize >= nodes.len())
                        .collect();
                    healthy.len() == nodes.len()
                        && healthy
                            .windows(2)
                            .all(|w| w[0].cluster_state_uuid == w[1].cluster_state_uuid)
                }
                WaitFor::Reformed { nodes, .. } => seen.iter().any(|(_, s)| {
                    s.as_ref()
                        .is_some_and(|s| s.is_primary() && s.cluster_size as usize == nodes.len())
                }),
                WaitFor::Silent { .. }
                | WaitFor::ProxyDrained { .. }
                | WaitFor::ProxyUp { .. }
                | WaitFor::ProxyServes { .. }
                | WaitFor::JoinedByIst { .. } => true,
            };
            if done {
                spinner.finish_and_clear();
                return Ok(());
            }
            spinner.set_message(format!("waiting: {wait} ({})", pending.join(", ")));
            if last_check_of_containers.elapsed() > CONTAINER_CHECK_EVERY {
                last_check_of_containers = Instant::now();
                if let Err(e) = self.fail_if_not_alive(&watched, &restarts_at_start).await {
                    spinner.finish_and_clear();
                    return Err(e);
                }
            }
            if Instant::now() >= deadline {
                spinner.finish_and_clear();
                let mut message = format!(
                    "timed out after {}s waiting for: {wait}; last seen: {}",
                    timeout.as_secs(),
                    pending.join(", ")
                );
                if !denied.is_empty() {
                    message.push_str(&format!(
                        "; {}",
                        galera::access_denied_advice(
                            &self.inventory.cluster.monitor_user,
                            &self.inventory.cluster.monitor_password_file
                        )
                    ));
                }
                for (name, status) in &seen {
                    if !status.as_ref().is_some_and(NodeStatus::is_healthy) {
                        message.push_str(&self.log_of(name).await);
                    }
                }
                return Err(fail(message));
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Polls HAProxy's stats until the wait holds (a node out: DOWN, no session left; a node
    /// back: UP; every node UP), within [`PROXY_WAIT`], watching the containers the plan
    /// started (HAProxy's own and the health endpoints among them); no proxy in the
    /// inventory: nothing to wait for.
    async fn wait_proxy(&self, wait: &WaitFor, started: &[Watched]) -> Result<(), RunError> {
        let Some(h) = &self.inventory.haproxy else {
            return Ok(());
        };
        let password = crate::secret::Secret::read(&h.stats_password_file).map_err(|e| {
            fail(format!(
                "waiting for: {wait}: cannot read {}: {e}",
                h.stats_password_file.display()
            ))
        })?;
        let restarts_at_start = self.restart_counts(started).await;
        let mut last_check_of_containers = Instant::now();
        let deadline = Instant::now() + PROXY_WAIT;
        loop {
            let ca = self.inventory.tls.as_ref().map(|t| t.ca_cert.as_path());
            let last = match observe::proxy_backends(h, &password, ca, self.probe_timeout).await {
                Ok(backends) => match proxy_wait_holds(wait, &backends) {
                    Ok(()) => return Ok(()),
                    Err(seen) => seen,
                },
                Err(e) => e,
            };
            if last_check_of_containers.elapsed() > CONTAINER_CHECK_EVERY {
                last_check_of_containers = Instant::now();
                self.fail_if_not_alive(started, &restarts_at_start).await?;
            }
            if Instant::now() >= deadline {
                return Err(fail(format!(
                    "timed out after {}s waiting for: {wait}; last seen: {last}",
                    PROXY_WAIT.as_secs()
                )));
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Fails unless the node's log since its last start says it caught up by IST (or had
    /// nothing to catch up).
    async fn check_ist(&self, name: &str) -> Result<(), RunError> {
        let (Some(node), wait) = (
            self.inventory.node(name),
            WaitFor::JoinedByIst {
                node: name.to_string(),
            },
        ) else {
            return Err(fail(format!("{name} is not in the inventory")));
        };
        let Some(remote) = self.hosts.get(&node.host) else {
            return Err(fail(format!("host {} is not connected", node.host)));
        };
        let log = observe::log_tail(&remote, &self.inventory.container_name(node), 2000).await;
        match galera::catch_up(&log) {
            galera::CatchUp::Ist { .. } | galera::CatchUp::None => Ok(()),
            other => Err(fail(format!(
                "checking: {wait}: it caught up by {other}; stopping before the next node"
            ))),
        }
    }

    /// Fails when one of `names` answers SQL now: with its status, or with an error of its
    /// server (one that refuses the monitoring user runs, and may serve).
    async fn check_silent(&self, names: &[&str]) -> Result<(), RunError> {
        let answering: Vec<String> = self
            .probes(names)
            .await
            .into_iter()
            .filter(|(_, p)| {
                p.as_ref()
                    .err()
                    .is_none_or(galera::NoAnswer::server_answered)
            })
            .map(|(n, p)| format!("{n} ({})", galera::said(&p)))
            .collect();
        if answering.is_empty() {
            Ok(())
        } else {
            Err(fail(format!(
                "given up but answering SQL now: {}; no bootstrap beside a node that may serve",
                answering.join(", ")
            )))
        }
    }

    async fn log_of(&self, name: &str) -> String {
        let Some(node) = self.inventory.node(name) else {
            return String::new();
        };
        let Some(remote) = self.hosts.get(&node.host) else {
            return String::new();
        };
        let container = self.inventory.container_name(node);
        format!(
            "\n--- last lines of {container} on {}:\n{}",
            node.host,
            observe::log_tail(&remote, &container, 15).await
        )
    }

    async fn restart_counts(&self, watched: &[Watched]) -> BTreeMap<(String, String), u64> {
        let counts = futures::future::join_all(watched.iter().map(|w| async move {
            let remote = self.hosts.get(&w.host)?;
            let seen = observe::liveness(&remote, &w.container).await?;
            Some(((w.host.clone(), w.container.clone()), seen.restarts))
        }))
        .await;
        counts.into_iter().flatten().collect()
    }

    /// A container that exited, or that its restart policy keeps restarting, will not serve:
    /// stop waiting at once, with its last log lines.
    async fn fail_if_not_alive(
        &self,
        watched: &[Watched],
        restarts_at_start: &BTreeMap<(String, String), u64>,
    ) -> Result<(), RunError> {
        let seen = futures::future::join_all(watched.iter().map(|w| async move {
            let remote = self.hosts.get(&w.host)?;
            let live = observe::liveness(&remote, &w.container).await?;
            Some((w, live))
        }))
        .await;
        for (w, live) in seen.into_iter().flatten() {
            let before = restarts_at_start
                .get(&(w.host.clone(), w.container.clone()))
                .copied();
            if let Some(why) = watch::failing(&live, before) {
                return Err(fail(format!(
                    "{}: container {} on {} {why}{}",
                    w.what,
                    w.container,
                    w.host,
                    self.log_of_container(&w.host, &w.container).await
                )));
            }
        }
        Ok(())
    }

    async fn log_of_container(&self, host: &str, container: &str) -> String {
        let Some(remote) = self.hosts.get(host) else {
            return String::new();
        };
        format!(
            "\n--- last lines of {container} on {host}:\n{}",
            observe::log_tail(&remote, container, 15).await
        )
    }
}

/// Whether HAProxy's backends, as its stats page lists them, satisfy a proxy wait; else what
/// was seen, for the message.
fn proxy_wait_holds(wait: &WaitFor, backends: &[crate::haproxy::Backend]) -> Result<(), String> {
    let find = |node: &str| backends.iter().find(|b| b.server == node);
    let seen = |node: &str| {
        find(node).map_or(format!("{node} is not a server of HAProxy"), |b| {
            format!("{node}: {} with {} sessions", b.status, b.sessions)
        })
    };
    let (holds, nodes): (bool, Vec<&str>) = match wait {
        WaitFor::ProxyUp { node } => (
            find(node).is_some_and(|b| b.status == "UP"),
            vec![node.as_str()],
        ),
        WaitFor::ProxyDrained { node } => (
            find(node).is_some_and(|b| {
                (b.status.starts_with("DOWN") || b.status.starts_with("MAINT"))
                    && !b.status.contains('/')
                    && b.sessions == 0
            }),
            vec![node.as_str()],
        ),
        WaitFor::ProxyServes { nodes } => {
            let not_up: Vec<&str> = nodes
                .iter()
                .map(String::as_str)
                .filter(|n| find(n).is_none_or(|b| b.status != "UP"))
                .collect();
            (not_up.is_empty(), not_up)
        }
        _ => (true, Vec::new()),
    };
    if holds {
        Ok(())
    } else {
        Err(nodes.iter().map(|n| seen(n)).collect::<Vec<_>>().join(", "))
    }
}

#[cfg(test)]
mod proxy_wait_tests {
    use super::*;

    fn backend(server: &str, status: &str, sessions: u64) -> crate::haproxy::Backend {
        crate::haproxy::Backend {
            server: server.into(),
            status: status.into(),
            backup: false,
            sessions,
        }
    }

    #[test]
    fn haproxy_serves_only_when_every_node_is_up_behind_it() {
        let wait = WaitFor::ProxyServes {
            nodes: vec!["nodea".into(), "nodeb".into(), "nodec".into()],
        };
        let all = [
            backend("nodea", "UP", 0),
            backend("nodeb", "UP", 3),
            backend("nodec", "UP", 0),
        ];
        assert_eq!(proxy_wait_holds(&wait, &all), Ok(()));
        let some = [backend("nodea", "UP", 0), backend("nodeb", "DOWN 1/2", 0)];
        assert_eq!(
            proxy_wait_holds(&wait, &some),
            Err("nodeb: DOWN 1/2 with 0 sessions, nodec is not a server of HAProxy".into())
        );
        let drained = WaitFor::ProxyDrained {
            node: "nodeb".into(),
        };
        assert_eq!(
            proxy_wait_holds(&drained, &[backend("nodeb", "DOWN", 1)]),
            Err("nodeb: DOWN with 1 sessions".into())
        );
        assert_eq!(
            proxy_wait_holds(&drained, &[backend("nodeb", "DOWN", 0)]),
            Ok(())
        );
    }
}
