//! The command line: clap types only. `main` turns them into calls of `cmd::*`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "galeractl",
    version,
    about = "Build and run MariaDB Galera clusters in Docker on several hosts over SSH",
    after_help = "Exit codes: 0 success, 1 degraded (status), 2 failed, 3 refused for safety, 64 usage, 65 invalid inventory, 66 inventory not found.\nLogs go to stderr; RUST_LOG overrides -v/-q."
)]
pub struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Less log output: errors only.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the steps that `up` would run on a cluster that does not exist yet.
    Plan(PlanArgs),
    /// Check one or several inventories, together: ports shared across clusters on one host.
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The inventory file (TOML).
    pub inventory: PathBuf,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Inventory files; clusters in them may share hosts.
    #[arg(required = true)]
    pub inventories: Vec<PathBuf>,
}
