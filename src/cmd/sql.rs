//! `galeractl sql [NODE] [-- ARGS...]`: the node's own `mariadb` client as root, through
//! `docker exec` over SSH, root's password read inside the container into a private option
//! file (never on a command line). Interactive with a terminal; `-e` and piped stdin work too.
//! It takes no lock: it changes nothing by itself, but what the operator types may write.

use std::io::IsTerminal;
use std::time::Duration;

use super::{inventory_path, monitor_password, print_warnings, unknown_node, Failure, Outcome};
use crate::cli::{InventoryArg, SqlArgs};
use crate::inventory::{self, Inventory, Node};
use crate::ssh::AttachStdin;

pub async fn run(args: &SqlArgs) -> Outcome {
    // `sql -- -e ...`: clap gives the first word after `--` to NODE; no node name starts
    // with a dash, so it is the client's.
    let (node_name, client_args) = match &args.node {
        Some(word) if word.starts_with('-') => {
            let mut all = vec![word.clone()];
            all.extend(args.args.iter().cloned());
            (None, all)
        }
        other => (other.clone(), args.args.clone()),
    };
    let path = inventory_path(&InventoryArg {
        positional: None,
        flag: args.inventory.clone(),
    })?;
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Advisory)?;
    print_warnings(&report);
    let node = match &node_name {
        Some(name) => inventory
            .nodes
            .iter()
            .find(|n| &n.name == name)
            .ok_or_else(|| unknown_node(name, &path, &inventory))?,
        None => default_node(&inventory).await?,
    };
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let argv = crate::docker::client::sql(&inventory.container_name(node), tty, &client_args);
    super::logs::attached(
        &inventory,
        node,
        &args.remote,
        &argv,
        tty,
        AttachStdin::Inherit,
        "mariadb",
    )
    .await
}

/// The proxy's active writer, else the first Synced node (`client::default_node`), read as
/// the monitoring user within 2 s per node; named on stderr.
async fn default_node(inventory: &Inventory) -> Result<&Node, Failure> {
    let password = monitor_password(inventory)?;
    let timeout = Duration::from_secs(2);
    let statuses = crate::observe::probe_all(inventory, &password, timeout).await;
    let backends = match &inventory.haproxy {
        Some(h) => match crate::secret::Secret::read(&h.stats_password_file) {
            Ok(p) => {
                let ca = inventory.tls.as_ref().map(|t| t.ca_cert.as_path());
                crate::observe::proxy_backends(h, &p, ca, timeout)
                    .await
                    .ok()
            }
            Err(_) => None,
        },
        None => None,
    };
    let pairs: Vec<(&str, Option<&crate::galera::NodeStatus>)> = inventory
        .nodes
        .iter()
        .zip(&statuses)
        .map(|(n, s)| (n.name.as_str(), s.as_ref()))
        .collect();
    let (name, why) =
        crate::client::default_node(&pairs, backends.as_deref()).ok_or_else(|| {
            Failure::new(
                crate::exit::FAILED,
                "no node is Synced in a Primary component: name one (galeractl sql NODE)",
            )
        })?;
    tracing::info!("sql: {name}, {why}");
    inventory
        .nodes
        .iter()
        .find(|n| n.name == name)
        .ok_or_else(|| Failure::new(crate::exit::FAILED, format!("no node {name}")))
}
