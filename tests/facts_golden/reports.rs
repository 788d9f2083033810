//! The decisions without a plan: `status`'s judged report, `doctor`'s and `preflight`'s
//! findings, `watch`'s decisions over a run of looks.

use std::time::Duration;

use galeractl::doctor;
use galeractl::facts::ContainerState;
use galeractl::preflight::{self, HostReading, LinkResult};
use galeractl::report::{NodeReport, ProxyReport, StatusReport};
use galeractl::watch::{self, Memory, Rules, View};
use serde::Deserialize;

use super::Case;

/// No flag reaches these deciders.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// What `status` read (`observe::status::StatusFacts`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusFacts {
    nodes: Vec<NodeReport>,
    #[serde(default)]
    recorded_history: Vec<String>,
    #[serde(default)]
    proxy: Option<ProxyReport>,
    #[serde(default)]
    arbitrator: Option<ContainerState>,
}

/// `status --json`: `StatusReport::judge` over what was read.
pub fn status(case: Case<'_, NoArgs, StatusFacts>) -> String {
    let inventory = case.inventory();
    let StatusFacts {
        nodes,
        recorded_history,
        proxy,
        arbitrator,
    } = case.facts;
    let report = StatusReport::judge(inventory, nodes, recorded_history, proxy, arbitrator);
    serde_json::to_string_pretty(&report).unwrap_or_else(|e| panic!("{e}")) + "\n"
}

/// `doctor`: `doctor::examine` over what was read, rendered as the command prints it.
pub fn doctor(case: Case<'_, NoArgs, doctor::Facts>) -> String {
    let report = doctor::examine(&case.facts);
    format!(
        "{}exit code {}\n",
        doctor::render(&report),
        report.exit_code
    )
}

/// One link's connect, as the edge found it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkFact {
    from: String,
    to: String,
    port: u16,
    result: LinkResult,
}

/// What `preflight` read: every host, and the links that did not simply connect (every other
/// link of `preflight::links` was reached).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreflightFacts {
    hosts: Vec<HostReading>,
    #[serde(default)]
    links: Vec<LinkFact>,
}

/// `preflight`: `preflight::judge` over the hosts and the links, rendered.
pub fn preflight(case: Case<'_, NoArgs, PreflightFacts>) -> String {
    let inventory = case.inventory();
    let links: Vec<_> = preflight::links(inventory)
        .into_iter()
        .map(|link| {
            let found = case
                .facts
                .links
                .iter()
                .find(|f| f.from == link.from && f.to == link.to && f.port == link.port);
            let result = found.map_or(LinkResult::Reached, |f| f.result.clone());
            (link, result)
        })
        .collect();
    for f in &case.facts.links {
        assert!(
            links
                .iter()
                .any(|(l, _)| l.from == f.from && l.to == f.to && l.port == f.port),
            "no link {} -> {}:{} in this inventory",
            f.from,
            f.to,
            f.port
        );
    }
    let report = preflight::judge(inventory, &case.facts.hosts, &links);
    format!(
        "{}exit code {}\n",
        preflight::render(&report),
        report.exit_code
    )
}

/// How an action watch ran ended.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    Succeeded,
    Failed,
    /// An operator's command held the cluster's lock (the child exited 4).
    Locked,
}

/// One look at the cluster, `at` seconds after watch started, and how the action it called
/// for (if any) ended.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Look {
    at: u64,
    view: View,
    #[serde(default)]
    ended: Option<Ended>,
}

/// What watch saw, look after look (with the default rules).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchFacts {
    looks: Vec<Look>,
}

/// `watch`: `watch::decide` over each look in turn, its memory carried to the next (and
/// `watch::after_action` when an action ran).
pub fn watch(case: Case<'_, NoArgs, WatchFacts>) -> String {
    let rules = Rules::default();
    let mut memory = Memory::default();
    let mut lock_said = false;
    let mut out = String::new();
    for look in &case.facts.looks {
        let now = Duration::from_secs(look.at);
        let decision = watch::decide(&look.view, &memory, &rules, now);
        out.push_str(&format!("at {}s:\n", look.at));
        for event in &decision.events {
            out.push_str(&format!("  {}\n", event.log_line(false)));
        }
        for fault in &decision.faults {
            out.push_str(&format!("  fault {}: {}\n", fault.key, fault.detail));
        }
        if let Some(why) = &decision.holding {
            out.push_str(&format!("  holding: {why}\n"));
        }
        if decision.settling {
            out.push_str("  settling: the next look comes sooner\n");
        }
        memory = decision.memory;
        let Some(action) = decision.action else {
            continue;
        };
        let (ended, word) = match look.ended {
            Some(Ended::Succeeded) => (watch::Ended::Done, "succeeded"),
            Some(Ended::Failed) => (watch::Ended::Failed, "failed"),
            Some(Ended::Locked) => (
                watch::Ended::Locked("held by an operator's up".into()),
                "the lock was held",
            ),
            None => panic!(
                "at {}s watch runs {}: say how it ended",
                look.at,
                action.describe()
            ),
        };
        out.push_str(&format!(
            "  runs: galeractl {} ({word})\n",
            action.describe()
        ));
        // What cmd/watch.rs does after an action: the same pure function.
        let after = watch::after_ended(&memory, &rules, now, (&action, &ended), lock_said);
        if after.gave_up {
            out.push_str("  gives the cluster up\n");
        }
        if let (Some((watch::EventKind::LockHeld, _)), false) = (&after.tell, lock_said) {
            out.push_str("  says once that the lock is held\n");
        }
        lock_said = after.lock_said;
        memory = after.memory;
    }
    out
}
