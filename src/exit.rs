//! Exit codes, one table for every command (documented in docs/src/exit-codes.md).

/// Success; for `status`: the cluster is healthy.
pub const OK: u8 = 0;
/// `status`: degraded but a Primary component serves.
pub const DEGRADED: u8 = 1;
/// `doctor`: it found problems (and every check ran).
pub const FINDINGS: u8 = 1;
/// The operation failed (a host, a container or a check did not do what was needed), or
/// `status`: no Primary component, or nothing answered.
pub const FAILED: u8 = 2;
/// `doctor`: a check could not run (no node answered, the tables could not be read).
pub const CANNOT_CHECK: u8 = 2;
/// Refused for safety (quorum, recovery rules), or a destructive command's question answered
/// no; nothing was changed.
pub const REFUSED: u8 = 3;
/// Another operator's command holds the cluster's lock (it was waited for, `--lock-wait`);
/// nothing was changed.
pub const LOCKED: u8 = 4;
/// Interrupted by a signal (SIGINT, SIGTERM, SIGHUP); the plan's on-failure steps ran. The
/// code says which: 130 (SIGINT), 129 (SIGHUP: a closed terminal), 143 (SIGTERM), as a shell
/// reports a process killed by that signal ([`interrupted_as`]).
pub const INTERRUPTED: u8 = 130;

/// The exit code of a failure with `code`, once `signal` interrupted the command: an
/// interrupt's code names the signal; any other code stays as it is.
pub fn interrupted_as(code: u8, signal: Option<&str>) -> u8 {
    match (code, signal) {
        (INTERRUPTED, Some("SIGHUP")) => 129,
        (INTERRUPTED, Some("SIGTERM")) => 143,
        _ => code,
    }
}
/// Bad command line, or a destructive command with no terminal to ask on and no `--yes`
/// (`confirm`); nothing was changed.
pub const USAGE: u8 = 64;
/// Invalid inventory.
pub const INVALID_INVENTORY: u8 = 65;
/// Inventory file missing or unreadable.
pub const NO_INVENTORY: u8 = 66;
