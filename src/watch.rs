//! `galeractl watch`, the pure side: what a supervisor saw of one cluster (a [`View`]), what it
//! remembers between looks ([`Memory`]), and what it decides to do about it ([`decide`]): at
//! most one of the commands' own actions (`recover`, `start-node`), or nothing, with the faults
//! it saw and the events to tell; `board.rs`: what `--listen` serves. No I/O here; `cmd/watch`
//! observes, runs and notifies (through `notify` and `http`).
//!
//! The rules, in the order they are applied:
//! - a split or a history reset is reported and never acted on;
//! - a Primary component serves: a node whose container is down, that the operator did not stop
//!   with `stop-node`, is started again (`start-node`), one at a time;
//! - no Primary component anywhere: `recover`, only when every node is known to be down or
//!   waiting non-Primary, and has been for the settle time; a silent node (running, its SQL
//!   quiet, no sign that it waits) or an unreachable host blocks it, because it might serve;
//! - after a failed action, the same fault waits out a back-off; after `max_failures` in a row
//!   the cluster is given up (reported loudly) until it is seen healthy again.

mod board;
mod ended;
mod events;
pub mod intent;
pub mod look;
mod metrics;
mod unit;

#[cfg(test)]
mod tests;

pub use board::{answer, Board};
pub use ended::{after_ended, AfterEnd, Ended};
pub use events::{Event, EventKind};
pub use metrics::{merge_exposition, Counters};
pub use unit::systemd_unit;

use std::time::Duration;

/// What one look at a node found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Synced in a Primary component and ready: it serves.
    Serving,
    /// In a Primary component but not Synced (joining, donor, desynced).
    InPrimary(String),
    /// It runs and is out of any Primary component: it said so over SQL, or its log's last view
    /// since its start is non-Primary (its SQL port stays closed meanwhile).
    WaitingNonPrimary,
    /// Its container runs but its SQL is silent, with no sign that it waits: it may serve
    /// where this machine cannot see it.
    Silent(String),
    /// Its container is not running (exited, dead, created) or missing, on a host that answered.
    Down {
        /// The container's state as docker names it (`exited`, `missing`, ...).
        state: String,
        /// The operator stopped it with `stop-node`, and it has not been started since.
        operator_stopped: bool,
    },
    /// Its container is restarting, or its host runs the start script: it is on its way.
    Starting(String),
    /// Its host did not answer and its SQL is silent: nothing is known.
    Unknown(String),
}

/// One look at a cluster.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    pub cluster: String,
    /// In inventory order.
    pub nodes: Vec<(String, Condition)>,
    /// Two Primary components or two histories (`status`'s split verdict), with its reason.
    pub split: Option<String>,
    /// The Primary component runs another history than the recorded one, with its reason.
    pub history_reset: Option<String>,
    /// What is wrong beside the nodes (HAProxy's stats unreadable, garbd's container not
    /// running), as (key, sentence): reported, not healed (yet).
    #[serde(default)]
    pub beside: Vec<(String, String)>,
}

/// What watch may run: a command of galeractl's own, with its arguments after the inventory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Recover,
    StartNode(String),
}

impl Action {
    /// The command line's words after `galeractl`, before the inventory's.
    pub fn words(&self) -> Vec<String> {
        match self {
            Action::Recover => vec!["recover".into()],
            Action::StartNode(node) => vec!["start-node".into(), node.clone()],
        }
    }

    /// How it is named in events and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Recover => "recover",
            Action::StartNode(_) => "start-node",
        }
    }

    /// The action with its node, for a log line.
    pub fn describe(&self) -> String {
        self.words().join(" ")
    }
}

/// A fault watch saw, as a stable key (the same fault seen twice is one fault) and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fault {
    pub key: String,
    pub detail: String,
}

/// The knobs of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// How long a fault must have been seen before it is acted on.
    pub settle: Duration,
    /// The first back-off after a failed action; it doubles after each failure in a row.
    pub backoff: Duration,
    /// Failed actions in a row after which the cluster is given up.
    pub max_failures: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            settle: Duration::from_secs(5),
            backoff: Duration::from_secs(20),
            max_failures: 3,
        }
    }
}

/// What watch remembers of a cluster between looks. Times are offsets from watch's start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    /// Each fault seen in the last look, with when it was first seen (without a break).
    pub seen: Vec<(Fault, Duration)>,
    /// Failed actions in a row.
    pub failures: u32,
    /// No action before this time (a back-off after a failure).
    pub not_before: Option<Duration>,
    /// The cluster was given up: no action until it is seen healthy.
    pub gave_up: bool,
    /// The action the last look called for, and since when it has been called for without a
    /// break: the settle time counts from there (an outage whose nodes were still starting or
    /// out of reach, then all waiting, settles from the moment they all wait).
    pub candidate: Option<(Action, Duration)>,
    /// The last action that succeeded, and when it ended: the same one called for again at
    /// once waits out a back-off (an action that succeeds without healing never loops).
    pub last_done: Option<(Action, Duration)>,
}

/// What to do after one look.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Every fault seen now.
    pub faults: Vec<Fault>,
    /// The action to take now, if any.
    pub action: Option<Action>,
    /// An action is called for and waits out the settle time, or waits for a node that is
    /// starting: the next look comes sooner.
    pub settling: bool,
    /// Why no action is taken although faults are seen (waiting to settle, backing off, given
    /// up, blocked by a silent node), for the log.
    pub holding: Option<String>,
    /// The events of this look: faults newly seen, faults gone.
    pub events: Vec<Event>,
    /// The memory after this look (before the action's result is known).
    pub memory: Memory,
}

/// Decides what to do about one look at a cluster, at `now` (an offset from watch's start).
pub fn decide(view: &View, memory: &Memory, rules: &Rules, now: Duration) -> Decision {
    let (faults, candidate, blocked) = diagnose(view);
    let mut next = memory.clone();
    let mut events = Vec::new();
    // Faults keep the time they were first seen; new ones are announced, gone ones too.
    next.seen = faults
        .iter()
        .map(|f| {
            let since = memory
                .seen
                .iter()
                .find(|(old, _)| old.key == f.key)
                .map_or(now, |(_, since)| *since);
            if since == now {
                events.push(Event::new(&view.cluster, EventKind::FaultSeen, &f.detail));
            }
            (f.clone(), since)
        })
        .collect();
    for (old, _) in &memory.seen {
        if !faults.iter().any(|f| f.key == old.key) {
            events.push(Event::new(
                &view.cluster,
                EventKind::FaultGone,
                &format!("no longer seen: {}", old.detail),
            ));
        }
    }
    // Healthy again: whatever failed before is forgotten, once the last action that succeeded
    // is old enough (a node that crashes again soon after each start is healthy in between).
    let settled = memory
        .last_done
        .as_ref()
        .is_none_or(|(_, at)| now.saturating_sub(*at) >= rules.backoff * 4);
    if faults.is_empty() && settled && (memory.gave_up || memory.failures > 0) {
        next.failures = 0;
        next.not_before = None;
        next.gave_up = false;
    }
    let holding;
    let mut action = None;
    let mut settling = false;
    let candidate = candidate.filter(|_| blocked.is_none());
    next.candidate = candidate.map(|act| match &memory.candidate {
        Some((before, since)) if *before == act => (act, *since),
        _ => (act, now),
    });
    match (next.candidate.clone(), blocked) {
        (_, Some((why, soon))) => {
            settling = soon;
            holding = Some(why);
        }
        (None, None) => holding = (!faults.is_empty()).then(|| "nothing watch may do".into()),
        (Some((act, since)), None) => {
            if next.gave_up {
                holding = Some(format!(
                    "given up after {} failed actions in a row; waiting for an operator",
                    next.failures
                ));
            } else if now.saturating_sub(since) < rules.settle {
                settling = true;
                holding = Some(format!(
                    "{} in {}s unless it settles by itself",
                    act.describe(),
                    rules
                        .settle
                        .saturating_sub(now.saturating_sub(since))
                        .as_secs()
                ));
            } else if let Some(t) = next
                .last_done
                .as_ref()
                .filter(|(done, _)| *done == act)
                .map(|(_, at)| *at + rules.backoff)
                .filter(|t| now < *t)
            {
                holding = Some(format!(
                    "{} succeeded and is called for again: again in {}s",
                    act.describe(),
                    t.saturating_sub(now).as_secs()
                ));
            } else if let Some(t) = next.not_before.filter(|t| now < *t) {
                let after = match next.failures {
                    0 => "the cluster's lock was held".to_string(),
                    n => format!("{n} failed action(s)"),
                };
                holding = Some(format!(
                    "backing off after {after}: {} again in {}s",
                    act.describe(),
                    t.saturating_sub(now).as_secs()
                ));
            } else {
                holding = None;
                action = Some(act);
            }
        }
    }
    Decision {
        faults,
        action,
        settling,
        holding,
        events,
        memory: next,
    }
}

/// The memory after an action's result (`done`: the action, when it succeeded): a success
/// clears the failures, unless the same action succeeded shortly before (it did not heal: that
/// counts as a failure); a failure backs off (doubling each time), and the last allowed one
/// gives the cluster up.
pub fn after_action(
    memory: &Memory,
    rules: &Rules,
    now: Duration,
    done: Option<&Action>,
) -> (Memory, bool) {
    let mut next = memory.clone();
    if let Some(action) = done {
        next.last_done = Some((action.clone(), now));
        // The same action succeeding again soon after the last time did not heal: a node that
        // crashes after every start. It counts toward giving up, so nothing loops for ever.
        let again = memory.last_done.as_ref().is_some_and(|(last, at)| {
            last == action && now.saturating_sub(*at) < rules.backoff * 4
        });
        if !again {
            next.failures = 0;
            next.not_before = None;
            return (next, false);
        }
    }
    next.failures += 1;
    let factor = 1u32 << (next.failures - 1).min(6);
    next.not_before = Some(now + rules.backoff * factor);
    let gave_up = next.failures >= rules.max_failures && !memory.gave_up;
    if gave_up {
        next.gave_up = true;
    }
    (next, gave_up)
}

/// The faults in a look, the action that would heal them (with the key of the fault it heals),
/// and what blocks any action.
/// What blocks any action, and whether it should pass soon (a node starting): then looks come
/// every second.
type Blocked = Option<(String, bool)>;

fn diagnose(view: &View) -> (Vec<Fault>, Option<Action>, Blocked) {
    let mut faults = Vec::new();
    if let Some(why) = &view.history_reset {
        faults.push(fault("history-reset", format!("history reset: {why}")));
        return (
            faults,
            None,
            Some((
                "a history reset is never healed: an operator must look".into(),
                false,
            )),
        );
    }
    if let Some(why) = &view.split {
        faults.push(fault("split", format!("split: {why}")));
        return (
            faults,
            None,
            Some((
                "a split is never healed: an operator must look".into(),
                false,
            )),
        );
    }
    for (key, detail) in &view.beside {
        faults.push(fault(key, detail.clone()));
    }
    let serving = view
        .nodes
        .iter()
        .any(|(_, c)| matches!(c, Condition::Serving | Condition::InPrimary(_)));
    if serving {
        let mut candidate = None;
        for (name, c) in &view.nodes {
            match c {
                Condition::Down {
                    state,
                    operator_stopped: false,
                } => {
                    let key = format!("down:{name}");
                    faults.push(fault(
                        &key,
                        format!("{name} is down ({state}) and no operator stopped it"),
                    ));
                    candidate.get_or_insert(Action::StartNode(name.clone()));
                }
                Condition::Silent(why) => {
                    faults.push(fault(
                        &format!("silent:{name}"),
                        format!("{name} is silent: {why}"),
                    ));
                }
                Condition::Unknown(why) => {
                    faults.push(fault(&format!("unknown:{name}"), format!("{name}: {why}")));
                }
                Condition::WaitingNonPrimary => faults.push(fault(
                    &format!("non-primary:{name}"),
                    format!("{name} runs outside the Primary component"),
                )),
                _ => {}
            }
        }
        return (faults, candidate, None);
    }
    // No node container at all: the cluster was never made here (or was removed): `up`'s job.
    if !view.nodes.is_empty()
        && view.nodes.iter().all(
            |(_, c)| matches!(c, Condition::Down { state, operator_stopped: false } if state == "missing"),
        )
    {
        faults.push(fault("absent", "no node container exists".into()));
        return (
            faults,
            None,
            Some((
                "the cluster does not exist: `galeractl up` makes it".into(),
                false,
            )),
        );
    }
    // Every node stopped by the operator: the cluster is down on purpose.
    if !view.nodes.is_empty()
        && view.nodes.iter().all(|(_, c)| {
            matches!(
                c,
                Condition::Down {
                    operator_stopped: true,
                    ..
                }
            )
        })
    {
        return (faults, None, None);
    }
    // No Primary component: a full outage, healed only when every position can be known.
    let mut blockers = Vec::new();
    let mut starting = Vec::new();
    for (name, c) in &view.nodes {
        match c {
            Condition::Silent(why) => blockers.push(format!("{name} is silent ({why})")),
            Condition::Unknown(why) => blockers.push(format!("{name}: {why}")),
            Condition::Starting(state) => starting.push(format!("{name} ({state})")),
            _ => {}
        }
    }
    let states: Vec<String> = view
        .nodes
        .iter()
        .map(|(name, c)| format!("{name} {}", short(c)))
        .collect();
    faults.push(fault(
        "outage",
        format!("no Primary component: {}", states.join(", ")),
    ));
    if !blockers.is_empty() {
        return (
            faults,
            None,
            Some((
                format!(
                    "no recovery while a node may serve unseen: {}",
                    blockers.join("; ")
                ),
                false,
            )),
        );
    }
    if !starting.is_empty() {
        return (
            faults,
            None,
            Some((
                format!("waiting for {} to start", starting.join(", ")),
                true,
            )),
        );
    }
    (faults, Some(Action::Recover), None)
}

fn fault(key: &str, detail: String) -> Fault {
    Fault {
        key: key.to_string(),
        detail,
    }
}

/// A node's condition in a word or two, for the outage's sentence.
pub fn short(c: &Condition) -> String {
    match c {
        Condition::Serving => "serving".into(),
        Condition::InPrimary(state) => state.clone(),
        Condition::WaitingNonPrimary => "waiting non-Primary".into(),
        Condition::Silent(_) => "silent".into(),
        Condition::Down {
            state,
            operator_stopped,
        } => match operator_stopped {
            true => format!("{state} (stopped by stop-node)"),
            false => state.clone(),
        },
        Condition::Starting(state) => state.clone(),
        Condition::Unknown(_) => "unknown".into(),
    }
}
