//! The operator's intent that a node stays down: `stop-node` records, on the node's host, the
//! start time of the container it stops. The record holds as long as the container has not
//! been started since (the same start time): a node started again by `up`, `start-node`, a
//! restart policy or by hand, then crashed, is watch's to heal; one the operator stopped is not.
//! No clock is compared: the record is docker's own start time, read back from docker. The
//! commands that write and read it are `docker::shell::{record_stop, read_stop_record}`.

// The record is written and read by host commands built in `docker::shell`; `cmd::watch`
// reads it through this name.
pub use crate::docker::shell::read_stop_record as read_argv;

/// Whether [`read_argv`]'s output says the operator stopped the node and it was not started
/// since: the record is the container's start time, or the container is gone (removed by hand
/// after `stop-node`: anything that creates it again gives it a new start time).
pub fn operator_stopped(read: &str) -> bool {
    let mut lines = read.lines().map(str::trim);
    let record = lines.next().unwrap_or_default();
    let started = lines.find(|l| !l.is_empty()).unwrap_or_default();
    !record.is_empty() && (record == started || started.is_empty())
}
