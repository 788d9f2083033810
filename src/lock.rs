//! The cluster lock: one operator at a time.
//!
//! Two commands that change one cluster at the same time (two `up`, an `up` beside a
//! `stop-node`) would each plan from facts the other is changing. So a command that changes
//! hosts first takes the cluster's lock. Its parts are directories `<config_dir>/<cluster>/lock`,
//! one on each distinct node host, each made with `mkdir`, which fails atomically when the
//! directory already exists (kamal's deploy lock works the same way). A command holds the lock
//! when it took a strict majority of the parts and saw no other holder's ([`quorum`]): two majorities share a host, so two
//! operators never both hold it, even when a partition hides a host from one of them, and the
//! order of the inventory's nodes does not matter. Inside each part, the file `holder` says who
//! holds it, since when, running what, and carries a random token, so that a release removes
//! only the parts it took. `galeractl unlock` removes every host's part whoever holds it, for a
//! lock whose process is gone.
//!
//! The module has a pure half (the hosts and the verdict of a round, the holder file's text and
//! parser, the messages), unit-tested exactly, and an edge half ([`acquire`], [`Lock::release`],
//! [`with_lock`], [`read`], [`remove`], and [`hold`]: a command's work under the lock, with
//! signals) that runs the host commands, built in `docker::lock_scripts`, through `Remote::run`
//! with a deadline. Dates are in `utc`.
//!
//! There is no async `Drop`, so the lock cannot release itself. [`with_lock`] is the way to hold
//! it: it takes the lock, awaits the command's future, and releases on every path on which that
//! future returns, `Ok` or `Err`. A command that catches SIGINT, SIGTERM and SIGHUP with
//! `tokio::select!` on `interrupt::interrupted` returns normally with its error, so an
//! interrupt there releases the lock too. A signal that arrives while no such `select!` listens
//! keeps its default action and ends the process: the lock stays, its holder names the dead
//! process, and `galeractl unlock` removes it. Only [`hold`] (in `hold.rs`, what commands use)
//! installs signal handlers, for the whole of the work it holds the lock around; the rest of
//! the module installs none: once tokio has installed one, the default action is gone for the
//! whole process, and a signal in a phase that does not listen would be ignored.

use std::fmt;
use std::time::Duration;

use crate::argv::shell_quote;
use crate::inventory::Inventory;

pub use crate::docker::lock_scripts::{EXIT_ABSENT, EXIT_HELD};
/// How often [`acquire`] tries again while another operator holds the lock.
pub const POLL: Duration = Duration::from_millis(500);
/// The longest value of one holder field that the parser accepts: a holder file with longer
/// lines was not written by galeractl, and a message should not quote it.
const MAX_FIELD: usize = 256;

/// The lock's directory (one part of it) on each of its hosts.
pub fn dir(inventory: &Inventory) -> String {
    format!("{}/lock", inventory.cluster_dir())
}

/// Who holds a lock, as its `holder` file says (as JSON, for `unlock --json`: its token left
/// out).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Holder {
    /// `user@machine` of the process that took it.
    pub who: String,
    pub pid: u32,
    /// The command's words, such as `up` or `stop-node nodeb`.
    pub command: String,
    /// When it was taken, as written (`YYYY-MM-DD HH:MM:SS UTC`).
    pub since: String,
    /// Random hex; a release removes the lock only when the holder carries its own token.
    #[serde(skip)]
    pub token: String,
}

impl Holder {
    /// A holder taken at `since_unix` (seconds since the epoch, UTC). Fields are made one line
    /// each, so the file stays `key=value` lines whatever a name contains.
    pub fn new(who: &str, pid: u32, command: &str, since_unix: i64, token: &str) -> Holder {
        Holder {
            who: one_line(who),
            pid,
            command: one_line(command),
            since: format_utc(since_unix),
            token: one_line(token),
        }
    }

    /// The `holder` file's text: one `key=value` line per field.
    pub fn render(&self) -> String {
        format!(
            "who={}\npid={}\ncommand={}\nsince={}\ntoken={}\n",
            self.who, self.pid, self.command, self.since, self.token
        )
    }

    /// Reads a `holder` file. `None` for anything that galeractl did not write whole: a missing
    /// field, a repeated one, a pid that is not a number, a token that is not hex, an overlong
    /// line. Unknown keys, blank lines and `#` comments are ignored.
    pub fn parse(text: &str) -> Option<Holder> {
        let (mut who, mut pid, mut command, mut since, mut token) = (None, None, None, None, None);
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line.split_once('=')?;
            let value = value.trim();
            if value.is_empty() || value.len() > MAX_FIELD || value.chars().any(char::is_control) {
                return None;
            }
            let slot = match key.trim() {
                "who" => &mut who,
                "pid" => &mut pid,
                "command" => &mut command,
                "since" => &mut since,
                "token" => &mut token,
                _ => continue,
            };
            if slot.replace(value.to_string()).is_some() {
                return None;
            }
        }
        let token = token.filter(|t| t.chars().all(|c| c.is_ascii_hexdigit()))?;
        Some(Holder {
            who: who?,
            pid: pid?.parse().ok()?,
            command: command?,
            since: since?,
            token,
        })
    }

    /// `root@ci-box pid 4242 running "up" since 2026-11-26 16:40:00 UTC (12 s ago)`; the age
    /// is left out when `since` cannot be read or lies after `now_unix` (another clock).
    pub fn describe(&self, now_unix: i64) -> String {
        let age = parse_utc(&self.since)
            .and_then(|since| ago(now_unix.saturating_sub(since)))
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        format!(
            "{} pid {} running \"{}\" since {}{age}",
            self.who, self.pid, self.command, self.since
        )
    }
}

/// Who holds the lock, for a message: the holder, or what is known when its file is missing,
/// unreadable, or not yet written whole.
pub fn describe(holder: Option<&Holder>, now_unix: i64) -> String {
    match holder {
        Some(h) => h.describe(now_unix),
        None => "an unknown process (the lock has no readable holder file)".to_string(),
    }
}

/// A lock held by someone else, as [`acquire`] found it after waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub cluster: String,
    /// The inventory path, for the `galeractl unlock` it suggests.
    pub inventory: String,
    pub holder: Option<Holder>,
    /// When it was seen (seconds since the epoch), for the holder's age.
    pub seen_unix: i64,
    /// The holder was this machine's, and its process is gone (a `kill -9`, a crash): the lock
    /// is a leftover. Only said, never acted on: the operator runs `unlock`.
    pub holder_gone: bool,
}

impl fmt::Display for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let holder = describe(self.holder.as_ref(), self.seen_unix);
        let unlock = shell_quote(&self.inventory);
        if self.holder_gone {
            return write!(
                f,
                "cluster {}: locked by {holder}, a process of this machine that no longer runs: the lock is a leftover; make sure no galeractl of another machine acts on the cluster, then run \"galeractl unlock {unlock}\"",
                self.cluster
            );
        }
        write!(
            f,
            "cluster {}: locked by {holder}; wait for it, or if that process is gone run \"galeractl unlock {unlock}\"",
            self.cluster
        )
    }
}

/// Whether a cluster is locked, and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    NotLocked,
    /// Locked; its holder, when its file could be read.
    Locked(Option<Holder>),
}

/// One line of printable text: control characters (a newline in a name) become `?`.
fn one_line(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

mod edge;
mod hold;
pub mod quorum;
mod unlock;
mod utc;

pub use edge::{
    acquire, acquire_unless, now_unix, read, remove, with_lock, Lock, LockError, COMMAND_DEADLINE,
};
pub use hold::{hold, Abandoned, INTERRUPT_GRACE};
pub use quorum::{hosts, majority, targets};
pub use unlock::{held_parts, unlock_message, unlock_question, Unlocked};
pub use utc::{ago, format_utc, parse_utc};

#[cfg(test)]
mod tests;
