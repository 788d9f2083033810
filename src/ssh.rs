//! The SSH edge: one multiplexed connection per host (the system `ssh` through the openssh
//! crate, so ~/.ssh/config, the agent and known_hosts apply), commands as argv, a deadline on
//! everything, and errors that name the host. A node whose host is `local` runs on this
//! machine's own Docker: its commands run here, with the same argv, stdin and deadlines, and no
//! SSH.
//!
//! One file per job: `target.rs` (how to reach a host), `remote.rs` (a connected host and
//! `run`), `spawn.rs` (starting a command, with `sudo` or here), `pipe.rs` (streams to and from
//! this machine), `hosts.rs` (every host of a command), `error.rs` (`SshError`), `attach.rs`
//! (the operator's terminal attached).

mod attach;
mod error;
mod hosts;
mod pipe;
mod remote;
mod spawn;
mod target;

pub use attach::{AttachStdin, Attached};
pub use error::{classify_connect_error, SshError};
pub use hosts::Hosts;
pub use remote::{Output, Remote};
pub use spawn::SUDO_ARGS;
pub use target::{SshOptions, Target};
