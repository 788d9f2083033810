//! After a recovery ran: every node's state now, the history recorded on each host, and how
//! each joiner caught up (IST or SST, from its log): the facts of `recover`'s closing report.

use crate::inventory::Inventory;
use crate::observe;
use crate::recover::report::After;
use crate::secret::Secret;
use crate::ssh::Hosts;

/// Reads them, every host and node in parallel; `joiners` are the nodes whose logs are read.
pub async fn read(
    inventory: &Inventory,
    hosts: &Hosts,
    password: &Secret,
    joiners: &[&str],
) -> After {
    let states = observe::positions::now(inventory, hosts, password).await;
    let recorded = futures::future::join_all(
        hosts
            .all()
            .map(|remote| observe::recorded_history(remote, inventory)),
    );
    let recorded: Vec<String> = recorded.await.into_iter().flatten().collect();
    let catch_ups = futures::future::join_all(states.iter().map(|s| async move {
        let joiner = inventory
            .node(&s.name)
            .filter(|_| joiners.contains(&s.name.as_str()));
        let Some((node, remote)) = joiner.and_then(|n| Some((n, hosts.get(&n.host)?))) else {
            return String::new();
        };
        let log = observe::log_tail(&remote, &inventory.container_name(node), 400).await;
        crate::galera::catch_up(&log).to_string()
    }));
    let catch_ups = catch_ups.await;
    After {
        states,
        recorded,
        catch_ups,
    }
}
