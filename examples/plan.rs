//! galeractl as a library: the plan of `galeractl up` for a cluster that does not exist yet,
//! the same text that `galeractl plan` prints.
//!
//! ```sh
//! cargo run --example plan -- inventory.example.toml
//! ```
//!
//! Three calls: `inventory::load` reads and validates the file (with `Secrets::Advisory`,
//! problems with the secret files are warnings, since nothing here reads a secret);
//! `plan::up` decides the steps from the inventory and what was observed on the hosts (here
//! nothing: `Observed::default()`); `plan::render` turns them into numbered shell lines.

use std::path::PathBuf;

use anyhow::Context;
use galeractl::facts::Observed;
use galeractl::inventory::{self, Secrets};
use galeractl::plan;

fn main() -> anyhow::Result<()> {
    let path: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .context("usage: cargo run --example plan -- INVENTORY.toml")?;
    let (inventory, warnings) = inventory::load(&path, Secrets::Advisory)?;
    for diagnostic in &warnings.diagnostics {
        eprintln!("{}", warnings.render(diagnostic));
    }
    let plan = plan::up(&inventory, &Observed::default())?;
    print!("{}", plan::render(&plan));
    Ok(())
}
