//! How to reach a host: `Target` (the inventory's `[ssh]` and a node's overrides) and the
//! `SshOptions` of a run (timeouts, host keys).

use std::path::PathBuf;
use std::time::Duration;

use crate::inventory::{Inventory, Node};

#[derive(Debug, Clone)]
pub struct SshOptions {
    pub connect_timeout: Duration,
    /// Deadline of one remote command unless a step says otherwise.
    pub command_timeout: Duration,
    /// Record unknown host keys (accept-new) instead of refusing them. A changed key is
    /// always refused.
    pub accept_new_host_keys: bool,
}

/// How to reach one host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub host: String,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
    /// Run every command through `sudo -n` (the login is not root).
    pub sudo: bool,
}

impl Target {
    pub fn for_node(inventory: &Inventory, node: &Node) -> Target {
        let s = &inventory.ssh;
        Target {
            host: node.host.clone(),
            user: node.ssh_user.clone().or_else(|| s.user.clone()),
            port: node.ssh_port.or(s.port),
            identity: node.ssh_identity.clone().or_else(|| s.identity.clone()),
            known_hosts: s.known_hosts.clone(),
            config_file: s.config_file.clone(),
            sudo: s.sudo,
        }
    }

    /// A host that runs no node (the proxy's): the inventory's `[ssh]` settings.
    pub fn for_host(inventory: &Inventory, host: &str) -> Target {
        if let Some(node) = inventory.nodes.iter().find(|n| n.host == host) {
            return Target::for_node(inventory, node);
        }
        let s = &inventory.ssh;
        Target {
            host: host.to_string(),
            user: s.user.clone(),
            port: s.port,
            identity: s.identity.clone(),
            known_hosts: s.known_hosts.clone(),
            config_file: s.config_file.clone(),
            sudo: s.sudo,
        }
    }
}
