//! Where the lock lives, and when it is held: a part on every node host and the arbitrator's, held as a whole when
//! this process took a strict majority of the parts and saw no other holder's. Pure: the host list and the verdict of one
//! round of `mkdir`s, unit-tested exactly.
//!
//! Any two strict majorities of one host set share a host, and `mkdir` on that host lets only one
//! of the two through, so two operators never both hold the lock, whatever the network hides
//! from each. The host set is the inventory's distinct node hosts, compared case-insensitively and
//! sorted, so the order of the nodes in a copy of the inventory changes nothing.

use super::Holder;
use crate::inventory::Inventory;
use crate::ssh::Target;

/// The lock's hosts: the inventory's distinct node hosts and the arbitrator's (the third site
/// of two nodes and garbd: without it, two hosts need both for a majority, and losing either
/// would stop every locked command), case-insensitively, the first spelling in the inventory
/// kept, sorted by their lower-case name.
pub fn hosts(inventory: &Inventory) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    let arbitrator = inventory.arbitrator.as_ref().map(|a| &a.host);
    for host in inventory.nodes.iter().map(|n| &n.host).chain(arbitrator) {
        if !hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            hosts.push(host.clone());
        }
    }
    hosts.sort_by_key(|h| h.to_ascii_lowercase());
    hosts
}

/// How to reach each of the lock's hosts.
pub fn targets(inventory: &Inventory) -> Vec<Target> {
    hosts(inventory)
        .iter()
        .map(|h| Target::for_host(inventory, h))
        .collect()
}

/// The parts a holder needs among `hosts` hosts: a strict majority.
pub fn majority(hosts: usize) -> usize {
    hosts / 2 + 1
}

/// What one host answered to the `mkdir` of one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Our part is taken.
    Taken,
    /// Another process's part is there; its holder file, when readable.
    Held(Option<Holder>),
    /// No answer: not connected, a failed command, a full or read-only filesystem.
    Failed(String),
}

/// What a round's answers mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A strict majority is ours, and no other holder was seen: the lock is held.
    Hold,
    /// Another process holds a part: give ours back, wait, try again. The holder of the first
    /// held part (in host order), for the message.
    Contended(Option<Holder>),
    /// No other holder, but too many hosts did not answer for a majority: `(host, why)` of each.
    NoMajority {
        taken: usize,
        failed: Vec<(String, String)>,
    },
}

/// The verdict of one round: `answers` holds one `(host, part)` per lock host. Any part held
/// by another process is waited for, even beside a majority of ours: it may be a contender's
/// that will give way, but also a holder's that a partition keeps from its other parts, a part
/// left by a killed process (for `galeractl unlock`), or a lock taken by a galeractl that
/// locks on one host only.
pub fn judge(answers: &[(String, Part)]) -> Verdict {
    if let Some(holder) = answers.iter().find_map(|(_, p)| match p {
        Part::Held(h) => Some(h.clone()),
        _ => None,
    }) {
        return Verdict::Contended(holder);
    }
    let taken = answers.iter().filter(|(_, p)| *p == Part::Taken).count();
    if taken >= majority(answers.len()) {
        return Verdict::Hold;
    }
    Verdict::NoMajority {
        taken,
        failed: answers
            .iter()
            .filter_map(|(h, p)| match p {
                Part::Failed(why) => Some((h.clone(), why.clone())),
                _ => None,
            })
            .collect(),
    }
}

/// The refusal when no majority could be taken and nobody else holds a part.
pub fn no_majority_message(
    cluster: &str,
    hosts: usize,
    taken: usize,
    failed: &[(String, String)],
) -> String {
    let why: Vec<String> = failed.iter().map(|(h, w)| format!("{h}: {w}")).collect();
    format!(
        "cluster {cluster}: cannot take the lock on a majority of its {hosts} host{} ({} needed, {taken} taken): {}",
        if hosts == 1 { "" } else { "s" },
        majority(hosts),
        why.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(token: &str) -> Holder {
        Holder::new("root@b", 7, "up", 1_795_711_200, token)
    }

    fn answers(parts: &[(&str, Part)]) -> Vec<(String, Part)> {
        parts
            .iter()
            .map(|(h, p)| (h.to_string(), p.clone()))
            .collect()
    }

    #[test]
    fn hosts_are_distinct_sorted_and_ignore_order_and_case() {
        let source = include_str!("../../inventory.example.toml");
        let parse = |text: &str| {
            let parsed = crate::inventory::parse(std::path::Path::new("lab.toml"), text);
            parsed
                .inventory
                .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics))
        };
        let inv = parse(source);
        assert_eq!(hosts(&inv), ["10.10.10.10", "10.10.10.11", "10.10.10.12"]);
        // The same nodes in another order: the same hosts, the same order.
        let mut reversed = inv.clone();
        reversed.nodes.reverse();
        assert_eq!(hosts(&reversed), hosts(&inv));
        // Two nodes on one host (spelled in two cases) are one part.
        let mut shared = inv.clone();
        shared.nodes[2].host = "10.10.10.10".to_string();
        shared.nodes[1].host = "B.example".to_string();
        shared.nodes[0].host = "b.EXAMPLE".to_string();
        assert_eq!(hosts(&shared), ["10.10.10.10", "b.EXAMPLE"]);
        let t = targets(&inv);
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].user.as_deref(), Some("root"));
    }

    #[test]
    fn a_strict_majority() {
        assert_eq!(
            (1..=6).map(majority).collect::<Vec<_>>(),
            [1, 2, 2, 3, 3, 4]
        );
    }

    #[test]
    fn a_majority_holds_and_any_other_holder_is_waited_for() {
        let a = answers(&[
            ("h1", Part::Taken),
            ("h2", Part::Failed("down".into())),
            ("h3", Part::Taken),
        ]);
        assert_eq!(judge(&a), Verdict::Hold);
        // Beside a majority of ours, another's part still waits: a stale part, or an older
        // galeractl's one-host lock.
        let b = answers(&[
            ("h1", Part::Taken),
            ("h2", Part::Held(Some(h("01")))),
            ("h3", Part::Taken),
        ]);
        assert_eq!(judge(&b), Verdict::Contended(Some(h("01"))));
    }

    #[test]
    fn a_partition_with_the_holder_beyond_it_gives_way() {
        // Operator A holds h1 and h2; B reaches h2 and h3 only.
        let b = answers(&[
            ("h1", Part::Failed("not connected".into())),
            ("h2", Part::Held(Some(h("0a")))),
            ("h3", Part::Taken),
        ]);
        assert_eq!(judge(&b), Verdict::Contended(Some(h("0a"))));
        // Half of an even set is no majority.
        let even = answers(&[
            ("h1", Part::Taken),
            ("h2", Part::Taken),
            ("h3", Part::Held(None)),
            ("h4", Part::Held(Some(h("0b")))),
        ]);
        assert_eq!(judge(&even), Verdict::Contended(None));
    }

    #[test]
    fn too_few_answers_is_no_majority_naming_each_silent_host() {
        let a = answers(&[
            ("h1", Part::Failed("not connected".into())),
            ("h2", Part::Taken),
            ("h3", Part::Failed("mkdir: Read-only file system".into())),
        ]);
        let Verdict::NoMajority { taken, failed } = judge(&a) else {
            panic!("{:?}", judge(&a))
        };
        assert_eq!(taken, 1);
        assert_eq!(
            no_majority_message("lab", 3, taken, &failed),
            "cluster lab: cannot take the lock on a majority of its 3 hosts (2 needed, 1 taken): h1: not connected; h3: mkdir: Read-only file system"
        );
        assert_eq!(
            no_majority_message("lab", 1, 0, &[("h1".into(), "down".into())]),
            "cluster lab: cannot take the lock on a majority of its 1 host (1 needed, 0 taken): h1: down"
        );
    }
}
