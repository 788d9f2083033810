//! Exit codes, one table for every command (documented in the README).

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
/// Refused for safety (quorum, recovery rules); nothing was changed.
pub const REFUSED: u8 = 3;
/// Another operator's command holds the cluster's lock (it was waited for, `--lock-wait`);
/// nothing was changed.
pub const LOCKED: u8 = 4;
/// Interrupted by a signal (SIGINT, SIGTERM, SIGHUP); the plan's on-failure steps ran.
pub const INTERRUPTED: u8 = 130;
/// Bad command line.
pub const USAGE: u8 = 64;
/// Invalid inventory.
pub const INVALID_INVENTORY: u8 = 65;
/// Inventory file missing or unreadable.
pub const NO_INVENTORY: u8 = 66;
