//! `[ssh]` as written, and the SSH files the inventory names (`[ssh]` and each node's
//! `ssh_identity`), judged from the facts the I/O layer gathers.

use std::path::Path;

use super::checker::Checker;
use super::Located;
use crate::diagnostic::Diagnostic;
use crate::inventory::raw::{RawSsh, S};
use crate::inventory::{Inventory, SshFileFacts, SshSettings};

/// `[ssh]`; the files it names are checked for existence by the I/O layer (`check_ssh_files`).
pub(super) fn ssh_section(
    c: &mut Checker<'_>,
    base: &Path,
    rs: &RawSsh,
    located: &mut Located,
) -> SshSettings {
    let mut file = |value: &Option<S<String>>, key: &str| {
        value.as_ref().map(|f| {
            located.ssh_files.insert(key.to_string(), f.span());
            c.path(base, f, key)
        })
    };
    let identity = file(&rs.identity, "ssh.identity");
    let known_hosts = file(&rs.known_hosts, "ssh.known_hosts");
    let config_file = file(&rs.config_file, "ssh.config_file");
    SshSettings {
        user: rs.user.as_ref().map(|u| c.non_empty(u, "ssh.user")),
        port: rs
            .port
            .as_ref()
            .map(|p| c.port(Some(p), "ssh.port".into(), 22).0),
        identity,
        known_hosts,
        config_file,
        sudo: rs.sudo.as_ref().is_some_and(|s| *s.get_ref()),
    }
}

/// Every SSH file the inventory names, with its key and what it is.
fn ssh_files(inventory: &Inventory) -> Vec<(String, &'static str, &Path)> {
    let s = &inventory.ssh;
    let mut files: Vec<(String, &'static str, &Path)> = [
        ("ssh.identity", "SSH identity file", &s.identity),
        ("ssh.known_hosts", "known_hosts file", &s.known_hosts),
        ("ssh.config_file", "SSH config file", &s.config_file),
    ]
    .into_iter()
    .filter_map(|(key, what, path)| path.as_deref().map(|p| (key.to_string(), what, p)))
    .collect();
    for (i, node) in inventory.nodes.iter().enumerate() {
        if let Some(p) = &node.ssh_identity {
            files.push((format!("nodes[{i}].ssh_identity"), "SSH identity file", p));
        }
    }
    files
}

/// The SSH files the inventory names must exist (ssh would stop, or worse, silently skip a
/// missing identity). Anything but a directory passes: `config_file = "/dev/null"` is a
/// common way to ignore ~/.ssh/config.
pub(in crate::inventory) fn check_ssh_files(
    inventory: &Inventory,
    located: &Located,
    facts: impl Fn(&Path) -> SshFileFacts,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (key, what, path) in ssh_files(inventory) {
        let problem = match facts(path) {
            SshFileFacts::Missing => "does not exist",
            SshFileFacts::Directory => "is a directory",
            SshFileFacts::Present => continue,
        };
        let span = located.ssh_files.get(&key).cloned().unwrap_or(0..0);
        out.push(Diagnostic::error(
            span,
            key,
            format!("{what} {} {problem}", path.display()),
        ));
    }
    out
}
