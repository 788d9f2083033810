//! The plan: what `up` will do, as data. An [`Inventory`] and what was observed on the hosts
//! ([`Observed`]) go in; stages of steps come out, each step an argv for one host. No I/O here:
//! `galeractl plan` prints exactly what `galeractl up` would execute for the same facts.
//!
//! [`Inventory`]: crate::inventory::Inventory

pub(crate) mod arbitrator;
mod model;
mod node_guard;
mod preflight;
mod proxy;
mod prune;
mod remnants;
mod render;
mod renew;
mod restart;
mod steps;
mod up;
mod upgrade;

use crate::facts::{Container, Observed, ObservedNode, Stray, Versions};
pub use model::{Guard, Plan, PlanError, Stage, Stdin, Stdout, Step, StepKind, WaitFor, SUDO_NOTE};
pub use node_guard::{
    quorum_after_stop, start_node_decision, start_refusal, stop_keeps_quorum, stop_node_decision,
    with_unnamed, QuorumLoss, StartNode, StopNode,
};
pub use preflight::{aux_images, aux_problems, copies_image_to_some_host, preflight_up};
pub use prune::{deletion_question, members as prune_members, UpOptions};
pub use remnants::NEW_HISTORY_FLAG;
pub use render::{render, render_step_line};
pub use restart::{
    restart, restart_decision, restart_refusal, stale_endpoints, stale_endpoints_refusal,
};
pub use steps::{prepare_node, record_stop, start_node, start_node_creates, stop_node};
pub(crate) use steps::{
    record_history_step, remove_steps, start_or_run_steps, stop_step, tls_host_steps,
    tls_member_steps, verify_stage, write_config_step,
};
pub(crate) use up::{new_cluster, MonitorGrant};
pub use up::{up, up_with};
pub use upgrade::{gcache_rate, gcache_size_of, replaces_running, series, ASSUMED_DOWNTIME_SECS};
