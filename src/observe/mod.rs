//! Facts read from hosts: containers, volumes, listening ports, images, node status, HAProxy's
//! view. Read-only commands over SSH and SQL; the parsing is pure and unit-tested. What each
//! command needs comes back as one value of `facts`.

pub mod arbitrator;
pub mod backup_file;
pub mod doctor;
mod host;
mod image;
pub mod node;
pub mod positions;
pub mod preflight;
pub mod program;
mod proxy;
pub mod recovered;
pub mod restore;
mod sql;
pub mod status;
pub mod strays;
pub mod tls;
pub mod up;
pub mod versions;
pub mod watch;

pub use crate::facts::{node_container, ContainerRow, HostFacts, Liveness};
pub use host::{
    containers, containers_by_host, docker_version, host_facts, image_present, liveness, log_tail,
    node_row, parse_history, parse_listening, parse_liveness, parse_ps, present, recorded_history,
    ReadError,
};
pub use image::{image_version, local_image_present, local_image_version, parse_mariadbd_version};
pub use proxy::{proxy_backends, proxy_config_stale};
pub use sql::{
    monitor_target, probe_all, probe_every, probe_named, probes, provider_options, running_version,
};
pub use up::observed;

/// How long one SQL probe of a node may take, in every command.
pub const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
