//! The deciders of `up` (and its checks before the first change), `recover`, `backup` and
//! `restore`, called as their commands call them.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::ValueEnum;
use galeractl::backup::{self, Manifest};
use galeractl::cli::TcHeuristic;
use galeractl::docker::{self, ClusterAddress};
use galeractl::facts::{ContainerRow, HostFacts, Observed, Positions, Present, Stray};
use galeractl::galera::NodeStatus;
use galeractl::inventory::Inventory;
use galeractl::plan::{self, Plan};
use galeractl::recover::round::{self, Round};
use galeractl::recover::{self, render, Safety};
use serde::Deserialize;

use super::{refused, Case};

/// The plan as the command prints it (`--dry-run`).
pub fn printed(inventory: &Inventory, plan: &Plan) -> String {
    plan::render(&plan.as_run(&inventory.ssh))
}

/// `up`'s flags that the planner reads.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpArgs {
    #[serde(default)]
    prune: bool,
    #[serde(default)]
    delete_data: bool,
    #[serde(default)]
    force: bool,
    #[serde(default)]
    new_history: bool,
}

/// The spec hash the inventory gives `node`'s container now (a fixture's `@spec`).
pub fn node_spec(inventory: &Inventory, node: &galeractl::inventory::Node) -> String {
    docker::spec_of(&docker::run_node(inventory, node))
        .unwrap_or_default()
        .to_string()
}

/// The placeholders of a node: `@spec`, the spec hash the inventory gives its container now;
/// `@config`, its config file naming the other members.
fn fill(inventory: &Inventory, mut observed: Observed) -> Observed {
    for o in &mut observed.nodes {
        let Some(node) = inventory.node(&o.name) else {
            continue;
        };
        if o.container.spec == "@spec" {
            o.container.spec = node_spec(inventory, node);
        }
        if o.config.as_deref() == Some("@config") {
            o.config = Some(docker::node_config(&ClusterAddress::others(
                inventory, node,
            )));
        }
    }
    observed
}

fn up_plan(inventory: &Inventory, args: &UpArgs, observed: Observed) -> Result<Plan, String> {
    let options = plan::UpOptions {
        prune: args.prune,
        delete_data: args.delete_data,
        force: args.force,
        new_history: args.new_history,
    };
    plan::up_with(inventory, &fill(inventory, observed), options).map_err(|e| e.to_string())
}

/// `up --dry-run`: `plan::up_with` over the observation.
pub fn up(case: Case<'_, UpArgs, Observed>) -> String {
    let inventory = case.inventory();
    match up_plan(inventory, &case.args, case.facts) {
        Ok(plan) => printed(inventory, &plan),
        Err(e) => refused(&e),
    }
}

/// What `up` read of the hosts besides the observation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpHosts {
    observed: Observed,
    /// Each host's facts, by host.
    hosts: Vec<(String, HostFacts)>,
    /// Whether this machine's docker has the image (read when the plan copies it).
    #[serde(default)]
    local_image: Option<bool>,
}

/// `up`'s checks before the first change: `plan::preflight_up` over the plan and the hosts.
pub fn up_preflight(case: Case<'_, UpArgs, UpHosts>) -> String {
    let inventory = case.inventory();
    let plan = up_plan(inventory, &case.args, case.facts.observed.clone())
        .unwrap_or_else(|e| panic!("the plan is refused: {e}"));
    let asks = plan::copies_image_to_some_host(&plan, &case.facts.hosts);
    let local = if asks { case.facts.local_image } else { None };
    let problems = plan::preflight_up(inventory, &plan, &case.facts.hosts, local);
    let mut out = format!("reads this machine's image: {asks}\n");
    if problems.is_empty() {
        out.push_str("no problem: up goes on\n");
    }
    for p in problems {
        out.push_str(&format!("problem: {p}\n"));
    }
    out
}

/// `recover`'s flags that the round reads (`tc_heuristic_recover`: `commit` or `rollback`).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoverArgs {
    #[serde(default)]
    force: bool,
    #[serde(default)]
    force_without: Vec<String>,
    #[serde(default)]
    tc_heuristic_recover: Option<String>,
}

/// `recover --dry-run`'s first round, decided by `recover::round::decide`: the positions, then
/// the refusal, or what the command prints of the round: the choice, the path and the plan
/// (with pc.recovery: its plan, then the fall-back's stop and the bootstrap plan).
pub fn recover(case: Case<'_, RecoverArgs, Positions>) -> String {
    let inventory = case.inventory();
    let tc_heuristic = case.args.tc_heuristic_recover.as_deref().map(|h| {
        TcHeuristic::from_str(h, false)
            .unwrap_or_else(|e| panic!("tc_heuristic_recover: {e}"))
            .as_str()
    });
    let asked = round::Asked {
        safety: Safety {
            force: case.args.force,
            without: case.args.force_without.iter().cloned().collect(),
        },
        tc_heuristic,
        pc_recovery: true,
    };
    let mut out = render::positions(&case.facts.positions);
    let decided = round::decide(inventory, &case.facts, &BTreeSet::new(), &asked);
    let recovery = match decided {
        Err(refusal) => return out + &refused(&round::refusal_message(inventory, &refusal)),
        Ok(Round::Resolve { choice, plan, .. }) => {
            return out + &choice + "\n" + &printed(inventory, &plan);
        }
        Ok(Round::Recover(recovery)) => recovery,
    };
    out.push_str(&render::choice(&recovery.choice));
    out.push_str(&format!("path: {}\n", recovery.path));
    match &recovery.fast {
        Ok(fast) => {
            out.push_str(&printed(inventory, fast));
            out.push_str("fall-back:\n");
            out.push_str(&plan::render(&recover::commands::stop_all(inventory)));
            out.push_str(&plan::render(&recovery.plan));
        }
        Err(_) => out.push_str(&printed(inventory, &recovery.plan)),
    }
    out
}

/// `backup`'s flags, and the clock's stamp the command would read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupArgs {
    #[serde(default)]
    node: Option<String>,
    #[serde(default)]
    logical: bool,
    to: PathBuf,
    stamp: String,
    transfer_timeout: u64,
}

impl Default for BackupArgs {
    fn default() -> Self {
        BackupArgs {
            node: None,
            logical: false,
            to: PathBuf::from("backups"),
            stamp: "20261126T165113Z".into(),
            transfer_timeout: 21600,
        }
    }
}

/// What `backup` reads: each node's status (inventory order; `null`: no answer).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupFacts {
    statuses: Vec<Option<NodeStatus>>,
}

/// `backup --dry-run`: the node `backup::choose_node` takes, and its plan.
pub fn backup(case: Case<'_, BackupArgs, BackupFacts>) -> String {
    let inventory = case.inventory();
    let args = &case.args;
    let node = match backup::choose_node(inventory, &case.facts.statuses, args.node.as_deref()) {
        Ok(node) => node,
        Err(e) => return refused(&format!("{e}; nothing was changed")),
    };
    let dir = args
        .to
        .join(format!("{}-{}", inventory.cluster.name, args.stamp));
    let secs = args.transfer_timeout.max(1);
    let (_, _, plan) = backup::into_dir(inventory, node, &dir, args.logical, secs);
    format!("node: {}\n{}", node.name, printed(inventory, &plan))
}

/// `restore`'s flags, and the clock's stamp.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreArgs {
    #[serde(default)]
    replace: bool,
    stamp: String,
    transfer_timeout: u64,
}

impl Default for RestoreArgs {
    fn default() -> Self {
        RestoreArgs {
            replace: false,
            stamp: "20261127T090000Z".into(),
            transfer_timeout: 21600,
        }
    }
}

/// A host's room for the data moved aside, as measured.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Space {
    host: String,
    volumes: Vec<String>,
    used_kib: u64,
    available_kib: u64,
}

/// What `restore` reads: the backup (its manifest and file), the strays, each host's
/// containers (the health endpoints), what is there of each node, the room on the hosts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreFacts {
    manifest: Manifest,
    file: PathBuf,
    #[serde(default)]
    strays: Vec<Stray>,
    #[serde(default)]
    containers: Vec<(String, Vec<ContainerRow>)>,
    present: Vec<Present>,
    #[serde(default)]
    space: Vec<Space>,
}

/// `restore --dry-run`: its refusals in the command's order, then `backup::restore`'s plan.
pub fn restore(case: Case<'_, RestoreArgs, RestoreFacts>) -> String {
    let inventory = case.inventory();
    let facts = &case.facts;
    if let Some(why) = backup::restore_refusal(&inventory.cluster.name, &facts.strays) {
        return refused(&why);
    }
    let stale = plan::stale_endpoints(inventory, &inventory.nodes, &facts.containers, false);
    if !stale.is_empty() {
        return refused(&plan::stale_endpoints_refusal("restore", &stale));
    }
    let present = &facts.present;
    if let Some(why) = backup::restore_data_refusal(inventory, present, case.args.replace) {
        return refused(&why);
    }
    let short: Vec<String> = facts
        .space
        .iter()
        .filter_map(|s| backup::space::judge(&s.host, &s.volumes, s.used_kib, s.available_kib))
        .collect();
    if !short.is_empty() {
        return refused(&format!(
            "no room to move the data aside: {}",
            short.join("; ")
        ));
    }
    let plan = backup::restore(
        inventory,
        &facts.manifest,
        &facts.file,
        present,
        &case.args.stamp,
        case.args.transfer_timeout.max(1),
    );
    printed(inventory, &plan)
}
