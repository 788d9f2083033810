//! watch's `/metrics`: each cluster's `status --format prometheus` text, merged so that every
//! metric family appears once, then watch's own counters.

use std::collections::BTreeMap;

use crate::prometheus::escape_label;

/// watch's own numbers, per cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// (cluster, action, result) → count; result is `started`, `done`, `failed` or `locked`.
    pub actions: BTreeMap<(String, String, String), u64>,
    /// Cluster → looks taken.
    pub observations: BTreeMap<String, u64>,
    /// Cluster → given up (1) or not (0).
    pub gave_up: BTreeMap<String, bool>,
    /// Cluster → faults seen in the last look.
    pub faults: BTreeMap<String, u64>,
}

impl Counters {
    pub fn count_action(&mut self, cluster: &str, action: &str, result: &str) {
        *self
            .actions
            .entry((cluster.into(), action.into(), result.into()))
            .or_default() += 1;
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP galeractl_watch_actions_total Actions watch ran, by result (started, done, failed, locked: an operator held the lock).\n# TYPE galeractl_watch_actions_total counter\n");
        for ((cluster, action, result), n) in &self.actions {
            out.push_str(&format!(
                "galeractl_watch_actions_total{{cluster=\"{}\",action=\"{}\",result=\"{}\"}} {n}\n",
                escape_label(cluster),
                escape_label(action),
                escape_label(result)
            ));
        }
        out.push_str("# HELP galeractl_watch_observations_total Looks watch took at the cluster.\n# TYPE galeractl_watch_observations_total counter\n");
        for (cluster, n) in &self.observations {
            out.push_str(&format!(
                "galeractl_watch_observations_total{{cluster=\"{}\"}} {n}\n",
                escape_label(cluster)
            ));
        }
        out.push_str("# HELP galeractl_watch_faults Faults watch saw in its last look at the cluster.\n# TYPE galeractl_watch_faults gauge\n");
        for (cluster, n) in &self.faults {
            out.push_str(&format!(
                "galeractl_watch_faults{{cluster=\"{}\"}} {n}\n",
                escape_label(cluster)
            ));
        }
        out.push_str("# HELP galeractl_watch_gave_up 1 when watch gave the cluster up after failed actions: an operator must act.\n# TYPE galeractl_watch_gave_up gauge\n");
        for (cluster, g) in &self.gave_up {
            out.push_str(&format!(
                "galeractl_watch_gave_up{{cluster=\"{}\"}} {}\n",
                escape_label(cluster),
                u8::from(*g)
            ));
        }
        out
    }
}

/// Several exposition texts as one: each family's HELP and TYPE once, its samples from every
/// text together, families in the order first seen.
pub fn merge_exposition(texts: &[String]) -> String {
    let mut order: Vec<String> = Vec::new();
    let mut families: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for text in texts {
        let mut current = String::new();
        for line in text.lines() {
            let header = line
                .strip_prefix("# HELP ")
                .or_else(|| line.strip_prefix("# TYPE "));
            let name = match header {
                Some(rest) => rest.split_whitespace().next().unwrap_or_default(),
                None => line
                    .split(|c: char| c == '{' || c.is_whitespace())
                    .next()
                    .unwrap_or_default(),
            };
            if name.is_empty() {
                continue;
            }
            if header.is_some() || !name.starts_with(current.as_str()) || current.is_empty() {
                current = name.to_string();
            }
            let family = families.entry(current.clone()).or_insert_with(|| {
                order.push(current.clone());
                Default::default()
            });
            if header.is_some() {
                if !family.0.iter().any(|h| h == line) {
                    family.0.push(line.to_string());
                }
            } else {
                family.1.push(line.to_string());
            }
        }
    }
    let mut out = String::new();
    for name in order {
        if let Some((headers, samples)) = families.get(&name) {
            for l in headers.iter().chain(samples) {
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    out
}
