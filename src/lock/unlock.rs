//! `galeractl unlock`'s decisions, pure: which parts are held (what to ask about), what the
//! removal found per host, and how that is said: a line per holder, the JSON document, and the
//! failure for the hosts where a part may remain.

use super::{describe, Found, LockError};
use crate::ssh::SshError;

/// The parts of `found` (per lock host, in order) that are held: what `unlock` asks about; none
/// means there is nothing to ask about, and nothing to remove.
pub fn held_parts(found: &[(String, Result<Found, LockError>)]) -> Vec<(String, Found)> {
    found
        .iter()
        .filter_map(|(host, r)| match r {
            Ok(f @ Found::Locked(_)) => Some((host.clone(), f.clone())),
            _ => None,
        })
        .collect()
}

/// What `unlock` did: each host's part as it found it (removed, or none there), and what could
/// not be reached or removed (a part may remain there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unlocked {
    pub removed: Vec<(String, Found)>,
    pub missed: Vec<String>,
}

impl Unlocked {
    /// Sorts the removal's `results` (per lock host, in order) and the hosts out of reach
    /// (`unreached`, whose parts a result calls not connected: said once, by the ssh error).
    pub fn sort(results: Vec<(String, Result<Found, LockError>)>, unreached: &[SshError]) -> Self {
        let mut removed = Vec::new();
        let mut missed: Vec<String> = unreached.iter().map(ToString::to_string).collect();
        for (host, result) in results {
            match result {
                Ok(found) => removed.push((host, found)),
                Err(LockError::NotConnected { .. }) => {}
                Err(e) => missed.push(e.to_string()),
            }
        }
        Unlocked { removed, missed }
    }

    /// `unlock --json`: the parts removed (each host with its holder, `null` when its file
    /// could not be read), the hosts where there was none, and what could not be reached or
    /// removed. Never the token.
    pub fn json(&self, cluster: &str) -> serde_json::Value {
        let removed: Vec<serde_json::Value> = self
            .removed
            .iter()
            .filter_map(|(host, f)| match f {
                Found::Locked(holder) => {
                    Some(serde_json::json!({ "host": host, "holder": holder }))
                }
                Found::NotLocked => None,
            })
            .collect();
        let not_locked: Vec<&str> = self
            .removed
            .iter()
            .filter(|(_, f)| *f == Found::NotLocked)
            .map(|(host, _)| host.as_str())
            .collect();
        serde_json::json!({
            "cluster": cluster,
            "removed": removed,
            "not_locked": not_locked,
            "failed": self.missed,
        })
    }

    /// The command's failure when a part may remain: each host's error, then what to do.
    pub fn failure(&self) -> Option<String> {
        (!self.missed.is_empty()).then(|| {
            format!(
                "{}; the lock's part there may remain: run `galeractl unlock` again once it answers",
                self.missed.join("; ")
            )
        })
    }
}

/// What `galeractl unlock` prints about the parts it removed (per lock host, in host order), or
/// did not find: one line per holder, naming the hosts its parts were on.
pub fn unlock_message(cluster: &str, removed: &[(String, Found)], now_unix: i64) -> String {
    let holders = holders(removed, now_unix);
    if holders.is_empty() {
        return format!("cluster {cluster}: not locked");
    }
    holders
        .iter()
        .map(|(who, hosts)| {
            format!(
                "cluster {cluster}: removed the lock held by {who} on {}",
                hosts.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each holder found (described), with the hosts its parts are on, in the order found.
fn holders(found: &[(String, Found)], now_unix: i64) -> Vec<(String, Vec<&str>)> {
    let mut holders: Vec<(String, Vec<&str>)> = Vec::new();
    for (host, found) in found {
        let Found::Locked(holder) = found else {
            continue;
        };
        let who = describe(holder.as_ref(), now_unix);
        match holders.iter_mut().find(|(w, _)| *w == who) {
            Some((_, hosts)) => hosts.push(host),
            None => holders.push((who, vec![host])),
        }
    }
    holders
}

/// What `galeractl unlock` asks about before it removes the lock: who holds it, on which
/// hosts, and what removing a live command's lock costs.
pub fn unlock_question(cluster: &str, found: &[(String, Found)], now_unix: i64) -> String {
    let mut lines: Vec<String> = holders(found, now_unix)
        .iter()
        .map(|(who, hosts)| {
            format!(
                "cluster {cluster} is locked by {who} on {}",
                hosts.join(", ")
            )
        })
        .collect();
    lines.push(format!(
        "unlock removes the lock whoever holds it: if that command still runs, it goes on unprotected and another command may change cluster {cluster} under it."
    ));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::Holder;

    fn holder() -> Holder {
        Holder::new(
            "root@ci-box",
            4242,
            "up",
            1_795_711_200, // 2026-11-26 16:40:00 UTC
            "0123456789abcdef",
        )
    }

    #[test]
    fn unlock_messages() {
        let now = 1_795_711_200 + 3 * 3600 + 5;
        let at = |parts: &[(&str, Found)]| {
            let parts: Vec<(String, Found)> = parts
                .iter()
                .map(|(h, f)| (h.to_string(), f.clone()))
                .collect();
            unlock_message("lab", &parts, now)
        };
        assert_eq!(
            at(&[("h1", Found::NotLocked), ("h2", Found::NotLocked)]),
            "cluster lab: not locked"
        );
        assert_eq!(at(&[]), "cluster lab: not locked");
        assert_eq!(
            at(&[
                ("h1", Found::Locked(Some(holder()))),
                ("h2", Found::NotLocked),
                ("h3", Found::Locked(Some(holder()))),
            ]),
            "cluster lab: removed the lock held by root@ci-box pid 4242 running \"up\" since 2026-11-26 16:40:00 UTC (3 h ago) on h1, h3"
        );
        // Two holders' parts (two contenders, one killed while taking): one line each.
        assert_eq!(
            at(&[("h1", Found::Locked(None)), ("h2", Found::Locked(Some(holder())))]),
            "cluster lab: removed the lock held by an unknown process (the lock has no readable holder file) on h1\n\
             cluster lab: removed the lock held by root@ci-box pid 4242 running \"up\" since 2026-11-26 16:40:00 UTC (3 h ago) on h2"
        );
    }

    #[test]
    fn unlock_asks_naming_the_holder_and_its_hosts() {
        let now = 1_795_711_200 + 3 * 3600 + 5;
        let parts = vec![
            ("h1".to_string(), Found::Locked(Some(holder()))),
            ("h2".to_string(), Found::NotLocked),
            ("h3".to_string(), Found::Locked(Some(holder()))),
        ];
        assert_eq!(
            unlock_question("lab", &parts, now),
            "cluster lab is locked by root@ci-box pid 4242 running \"up\" since 2026-11-26 16:40:00 UTC (3 h ago) on h1, h3\n\
             unlock removes the lock whoever holds it: if that command still runs, it goes on unprotected and another command may change cluster lab under it."
        );
    }

    #[test]
    fn the_json_report_names_each_part_and_never_the_token() {
        let holder = Holder::new("root@box", 42, "up", 1_795_711_200, "0123abcd");
        let unlocked = Unlocked {
            removed: vec![
                ("h1".to_string(), Found::Locked(Some(holder))),
                ("h2".to_string(), Found::NotLocked),
                ("h3".to_string(), Found::Locked(None)),
            ],
            missed: vec!["host h4: cannot connect".to_string()],
        };
        assert_eq!(
            unlocked.json("lab"),
            serde_json::json!({
                "cluster": "lab",
                "removed": [
                    {"host": "h1", "holder": {"who": "root@box", "pid": 42, "command": "up", "since": "2026-11-26 16:40:00 UTC"}},
                    {"host": "h3", "holder": null},
                ],
                "not_locked": ["h2"],
                "failed": ["host h4: cannot connect"],
            })
        );
    }

    #[test]
    fn only_held_parts_are_asked_about() {
        let found = vec![
            ("h1".to_string(), Ok(Found::Locked(Some(holder())))),
            ("h2".to_string(), Ok(Found::NotLocked)),
            (
                "h3".to_string(),
                Err(LockError::NotConnected {
                    cluster: "lab".into(),
                    host: "h3".into(),
                }),
            ),
            ("h4".to_string(), Ok(Found::Locked(None))),
        ];
        assert_eq!(
            held_parts(&found),
            [
                ("h1".to_string(), Found::Locked(Some(holder()))),
                ("h4".to_string(), Found::Locked(None)),
            ]
        );
        assert!(held_parts(&found[1..3]).is_empty());
    }

    #[test]
    fn a_host_out_of_reach_is_said_once_and_fails_the_command() {
        let results = vec![
            ("h1".to_string(), Ok(Found::Locked(None))),
            (
                "h2".to_string(),
                Err(LockError::NotConnected {
                    cluster: "lab".into(),
                    host: "h2".into(),
                }),
            ),
            (
                "h3".to_string(),
                Err(LockError::Gone {
                    cluster: "lab".into(),
                    host: "h3".into(),
                }),
            ),
        ];
        let unlocked = Unlocked::sort(results, &[]);
        assert_eq!(unlocked.removed, [("h1".to_string(), Found::Locked(None))]);
        assert_eq!(
            unlocked.failure().as_deref(),
            Some("cluster lab: the lock on h3 was already gone at release (removed by `galeractl unlock`?); the lock's part there may remain: run `galeractl unlock` again once it answers")
        );
        let clean = Unlocked::sort(vec![("h1".to_string(), Ok(Found::NotLocked))], &[]);
        assert_eq!(clean.failure(), None);
    }
}
