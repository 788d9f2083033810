//! `Hosts`: the connections to every host of a command, made in parallel, all or nothing
//! (`connect_all`) or as many as answer (`connect_reachable`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Remote, SshError, SshOptions, Target};

/// Connections to every host of the inventory, made in parallel. Fails if any host cannot be
/// reached, naming each one: nothing should start on some hosts when others are out of reach.
pub struct Hosts {
    remotes: BTreeMap<String, Arc<Remote>>,
}

impl Hosts {
    pub async fn connect_all(
        targets: Vec<Target>,
        options: &SshOptions,
    ) -> Result<Hosts, Vec<SshError>> {
        let (hosts, errors) = Hosts::connect_reachable(targets, options).await;
        if errors.is_empty() {
            Ok(hosts)
        } else {
            hosts.close().await;
            Err(errors)
        }
    }

    /// Connects to every host it can; the others are returned as errors beside it.
    pub async fn connect_reachable(
        targets: Vec<Target>,
        options: &SshOptions,
    ) -> (Hosts, Vec<SshError>) {
        let mut unique: BTreeMap<String, Target> = BTreeMap::new();
        for t in targets {
            unique.entry(t.host.clone()).or_insert(t);
        }
        let results =
            futures::future::join_all(unique.values().map(|t| Remote::connect(t, options))).await;
        let mut remotes = BTreeMap::new();
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok(remote) => {
                    remotes.insert(remote.host.clone(), Arc::new(remote));
                }
                Err(e) => errors.push(e),
            }
        }
        (Hosts { remotes }, errors)
    }

    pub fn get(&self, host: &str) -> Option<Arc<Remote>> {
        self.remotes.get(host).cloned()
    }

    /// These connections and `more` together (closing the result closes only `more`'s; these
    /// stay open for their owner).
    pub fn joined(&self, more: Hosts) -> Hosts {
        let mut remotes = self.remotes.clone();
        for (host, remote) in more.remotes {
            remotes.entry(host).or_insert(remote);
        }
        Hosts { remotes }
    }

    /// No connection at all.
    pub fn none() -> Hosts {
        Hosts {
            remotes: BTreeMap::new(),
        }
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<Remote>> {
        self.remotes.values()
    }

    pub async fn close(self) {
        for (_, r) in self.remotes {
            if let Ok(r) = Arc::try_unwrap(r) {
                r.close().await;
            }
        }
    }
}
