//! Full-outage recovery, as decisions over facts: what `grastate.dat` and `mariadbd
//! --wsrep-recover` say, which node may bootstrap the cluster again, and the ordered actions
//! that follow, and what `recover` prints (`render.rs`, `report.rs`). Pure: no I/O, no clock;
//! `cmd::recover` reads the facts and runs the actions.
//!
//! The rules come from real data-loss bugs (a shortcut on `safe_to_bootstrap`, a reset after a
//! timeout, picking an empty node): only a node with a real position of the cluster's history
//! can bootstrap, the highest seqno wins, and anything unknown stops the command unless the
//! operator forces it.
//!
//! The decision lives in `types.rs` (`Safety`, `Choice`, `Joiner`, `Refusal`), `choose.rs`
//! (`choose_bootstrap_node` and its phases), `joiners.rs` (the other nodes) and `pc.rs`
//! (`pc_recovery`, Galera's own re-forming).

mod actions;
mod choose;
pub mod commands;
mod history;
mod joiners;
mod parse;
mod pc;
pub mod render;
pub mod report;
pub mod round;
mod types;

pub use actions::{actions, Action};
pub use choose::choose_bootstrap_node;
pub use history::{history_after, HistoryAfter};
pub use parse::{
    is_uuid, parse_grastate, parse_gvwstate, parse_wsrep_recover, GraState, GraStateError,
    RecoverOutput, SavedView, ZERO_UUID,
};
pub use pc::pc_recovery;
pub use types::{Choice, Joiner, Refusal, Safety};

pub use crate::facts::{ContainerState, NodePosition, Reading, Source};

#[cfg(test)]
mod tests;
