//! Every fact galeractl observes on its hosts, as plain data: what `observe` reads and the
//! planners, recovery and the reports decide from. No I/O here. Each type reads and writes as
//! JSON (serde), so a case can be kept as a file: `tests/fixtures/`.

mod cluster;
mod container;
mod host;
mod node;
mod positions;

pub use cluster::{Gcache, Observed, ObservedNode, SqlSaid, Stray, StrayVolume, Versions};
pub use container::{Container, ContainerRow, ContainerState, Liveness};
pub use host::{node_container, AuxImage, AuxSeen, HostCa, HostFacts, Present, ProgramCheck};
pub use node::{NodeFacts, RestartFacts};
pub use positions::{NodePosition, NodeState, Positions, Reading, SavedView, Source};
