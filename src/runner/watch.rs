//! Which containers a wait watches, and when one of them fails the wait: the waited-for nodes,
//! and every container the plan started before the wait (garbd, HAProxy, the health
//! endpoints, nodes). Pure: the runner reads each container's state and restart count.

use crate::facts::{ContainerState, Liveness};
use crate::inventory::Inventory;
use crate::plan::{Step, StepKind};

/// A container watched during a wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    /// What it is, for messages: a node's name, `the arbitrator`, `HAProxy`...
    pub what: String,
    pub host: String,
    pub container: String,
}

/// The waited-for nodes' containers (names not in the inventory are left out).
pub fn nodes(inventory: &Inventory, names: &[&str]) -> Vec<Watched> {
    names
        .iter()
        .filter_map(|name| inventory.node(name))
        .map(|node| Watched {
            what: node.name.clone(),
            host: node.host.clone(),
            container: inventory.container_name(node),
        })
        .collect()
}

/// The container a step creates, when it creates one (by its kind, never by its argv).
pub fn started_by(inventory: &Inventory, step: &Step) -> Option<Watched> {
    let node = || step.node.as_deref().and_then(|n| inventory.node(n));
    let (what, container) = match step.kind {
        StepKind::CreateNode => {
            let node = node()?;
            (node.name.clone(), inventory.container_name(node))
        }
        StepKind::CreateArbitrator => (
            "the arbitrator (garbd)".to_string(),
            inventory.arbitrator_container(),
        ),
        StepKind::CreateProxy => ("HAProxy".to_string(), inventory.proxy_container()),
        StepKind::CreateCheck => {
            let node = node()?;
            (
                format!("{}'s health endpoint", node.name),
                inventory.check_container(node),
            )
        }
        StepKind::Other | StepKind::RecordHistory => return None,
    };
    Some(Watched {
        what,
        host: step.host.clone(),
        container,
    })
}

/// `first` then each of `more` not already in it (by host and container).
pub fn merged(first: Vec<Watched>, more: &[Watched]) -> Vec<Watched> {
    let mut all = first;
    for w in more {
        if !all
            .iter()
            .any(|a| a.host == w.host && a.container == w.container)
        {
            all.push(w.clone());
        }
    }
    all
}

/// Why a watched container fails the wait now, from its state and restart count (`before`: its
/// count when the wait began); `None` while it runs.
pub fn failing(live: &Liveness, before: Option<u64>) -> Option<String> {
    let before = before.unwrap_or(live.restarts);
    match live.state {
        ContainerState::Exited | ContainerState::Dead => {
            Some(format!("{} while waited for", live.state))
        }
        ContainerState::Restarting => Some(format!(
            "is being restarted by its restart policy (crash loop; {} restarts so far)",
            live.restarts
        )),
        _ if live.restarts > before => Some(format!(
            "crashed and was restarted {} time(s) while waited for (crash loop)",
            live.restarts - before
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(state: &str, restarts: u64) -> Liveness {
        Liveness {
            state: ContainerState::from_docker(state),
            restarts,
        }
    }

    #[test]
    fn a_container_fails_the_wait_when_it_exits_loops_or_restarted() {
        assert_eq!(failing(&live("running", 0), Some(0)), None);
        assert_eq!(failing(&live("running", 3), None), None);
        assert_eq!(
            failing(&live("restarting", 4), Some(4)).as_deref(),
            Some("is being restarted by its restart policy (crash loop; 4 restarts so far)")
        );
        assert_eq!(
            failing(&live("exited", 0), Some(0)).as_deref(),
            Some("exited while waited for")
        );
        assert_eq!(
            failing(&live("running", 2), Some(1)).as_deref(),
            Some("crashed and was restarted 1 time(s) while waited for (crash loop)")
        );
    }

    fn inventory() -> Inventory {
        let text = "[cluster]\nname = \"c\"\nimage = \"i\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\n[[nodes]]\nname = \"a\"\nhost = \"h1\"\n[[nodes]]\nname = \"b\"\nhost = \"h2\"\n[arbitrator]\nhost = \"h3\"\nimage = \"g\"\n[haproxy]\nhost = \"h4\"\nimage = \"p\"\nstats_password_file = \"s\"\n";
        crate::inventory::parse(std::path::Path::new("x.toml"), text)
            .inventory
            .unwrap_or_else(|| panic!("inventory"))
    }

    #[test]
    fn the_containers_a_plan_starts_are_watched() {
        let inv = inventory();
        let plan = crate::plan::up(&inv, &crate::facts::Observed::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let started: Vec<(String, String, String)> = plan
            .steps()
            .filter_map(|s| started_by(&inv, s))
            .map(|w| (w.what, w.host, w.container))
            .collect();
        let triple = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(
            started,
            vec![
                triple("a", "h1", "c-a"),
                triple("b", "h2", "c-b"),
                triple("the arbitrator (garbd)", "h3", "c-garbd"),
                triple("a's health endpoint", "h1", "c-a-check"),
                triple("b's health endpoint", "h2", "c-b-check"),
                triple("HAProxy", "h4", "c-haproxy"),
            ]
        );
        let waited = nodes(&inv, &["a", "nobody"]);
        assert_eq!(waited.len(), 1);
        assert_eq!(merged(waited.clone(), &waited).len(), 1);
    }
}
