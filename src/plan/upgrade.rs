//! Before a rolling replace of running nodes (a new image: a rolling upgrade; new options):
//! each node must come back by IST, since a full copy (SST) between two major versions is
//! unsafe, so the donors' gcache must cover a node's downtime; and a downgrade of MariaDB's
//! major version is refused. Both unless `--force`.

use super::{Observed, PlanError, Versions};
use crate::docker;
use crate::facts::Gcache;
use crate::inventory::Inventory;

/// How long a replaced node is assumed to be away: a clean stop, the new container's start
/// (with `mariadb-upgrade` on a new major version) and its rejoin.
pub const ASSUMED_DOWNTIME_SECS: u64 = 120;

/// Whether the plan replaces a node whose container runs (built from another spec).
pub fn replaces_running(inventory: &Inventory, observed: &Observed) -> bool {
    inventory.nodes.iter().any(|node| {
        let want = docker::run_node(inventory, node);
        let want_spec = docker::spec_of(&want).unwrap_or_default();
        observed.nodes.iter().any(|o| {
            o.name == node.name && o.container.is_running() && o.container.spec != want_spec
        })
    })
}

/// The checks, when a running node is to be replaced; notes on what was assumed.
pub fn check(
    inventory: &Inventory,
    observed: &Observed,
    force: bool,
) -> Result<Vec<String>, PlanError> {
    if !replaces_running(inventory, observed) {
        return Ok(Vec::new());
    }
    let mut notes = Vec::new();
    let cluster = inventory.cluster.name.clone();
    version_guard(inventory, observed.versions.as_ref(), force, &mut notes)?;
    match &observed.gcache {
        Some(g) => {
            let needed = g.bytes_per_minute * ASSUMED_DOWNTIME_SECS / 60;
            if needed >= g.size_bytes {
                if !force {
                    return Err(PlanError::GcacheTooSmall {
                        cluster,
                        size: mib(g.size_bytes),
                        per_minute: mib(g.bytes_per_minute),
                        needed: mib(needed),
                    });
                }
                notes.push(format!(
                    "--force: the gcache keeps {}, a node away {ASSUMED_DOWNTIME_SECS}s misses about {}: it may come back by a full copy (SST)",
                    mib(g.size_bytes),
                    mib(needed)
                ));
            } else {
                notes.push(format!(
                    "each replaced node comes back by IST: the gcache keeps {}, write-sets came at {} per minute (measured over {}s), a node is assumed away {ASSUMED_DOWNTIME_SECS}s",
                    mib(g.size_bytes),
                    mib(g.bytes_per_minute),
                    g.window_secs
                ));
            }
        }
        None => notes.push(
            "the gcache's size or the write rate could not be read: each replaced node is checked to come back by IST after the fact".into(),
        ),
    }
    Ok(notes)
}

/// The versions running and in the image: a downgrade of the release series is refused, and
/// so is a version that could not be read (the check fails closed), both unless `force`.
/// `Ok(true)` when the series differ (or are not known): the node must come back by IST.
fn version_guard(
    inventory: &Inventory,
    versions: Option<&Versions>,
    force: bool,
    notes: &mut Vec<String>,
) -> Result<bool, PlanError> {
    let cluster = inventory.cluster.name.clone();
    let Some(v) = versions else {
        if !force {
            return Err(PlanError::VersionUnknown {
                cluster,
                image: inventory.cluster.image.clone(),
            });
        }
        notes.push(
            "--force: the version running or the image's could not be read: a downgrade was not checked".into(),
        );
        return Ok(true);
    };
    let (Some(from), Some(to)) = (series(&v.running), series(&v.image)) else {
        if !force {
            return Err(PlanError::VersionUnknown {
                cluster,
                image: inventory.cluster.image.clone(),
            });
        }
        notes.push(format!(
            "--force: the versions {} and {} could not be compared: a downgrade was not checked",
            v.running, v.image
        ));
        return Ok(true);
    };
    if to < from {
        if !force {
            return Err(PlanError::Downgrade {
                cluster,
                running: v.running.clone(),
                image: v.image.clone(),
            });
        }
        notes.push(format!(
            "--force: a downgrade from {} to {}",
            v.running, v.image
        ));
    }
    Ok(to != from)
}

/// `start-node` (or recovery) creating `node`'s container anew, from the inventory's spec: the
/// version guard of a rolling upgrade, against the version the serving nodes run. With a new
/// release series, the notes say so, and `Ok(true)` asks that the node come back by IST.
pub fn check_created(
    inventory: &Inventory,
    node: &str,
    versions: Option<&Versions>,
    force: bool,
) -> Result<(Vec<String>, bool), PlanError> {
    let mut notes = Vec::new();
    let ist_only = version_guard(inventory, versions, force, &mut notes)?;
    if let (true, Some(v)) = (ist_only, versions) {
        notes.push(format!(
            "{node} is created from an image with MariaDB {}, while {} runs: it must come back by IST (a full copy between two versions is unsafe)",
            v.image, v.running
        ));
    }
    Ok((notes, ist_only))
}

/// Bytes as MiB, one decimal.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

/// `gcache.size` in `wsrep_provider_options` (`... gcache.size = 128M; ...`), in bytes.
pub fn gcache_size_of(provider_options: &str) -> Option<u64> {
    let value = provider_options
        .split(';')
        .find_map(|o| o.trim().strip_prefix("gcache.size"))?
        .trim()
        .strip_prefix('=')?
        .trim();
    let (digits, shift) = match value.char_indices().last()? {
        (i, u) if u.is_ascii_alphabetic() => (
            &value[..i],
            match u.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return None,
            },
        ),
        _ => (value, 0),
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// A version's release series (`10.11.14-MariaDB` is (10, 11)), or `None`.
pub fn series(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The gcache's reach as one serving node reports it: its `gcache.size`, and the write-set
/// bytes it saw grow from `before_bytes` to `after_bytes` over `window` (at least 1 ms), as a
/// rate per minute.
pub fn gcache_rate(
    size_bytes: u64,
    before_bytes: u64,
    after_bytes: u64,
    window: std::time::Duration,
) -> Gcache {
    let bytes = after_bytes.saturating_sub(before_bytes);
    let ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
    Gcache {
        size_bytes,
        bytes_per_minute: bytes.saturating_mul(60_000) / ms,
        window_secs: window.as_secs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_of_versions() {
        assert_eq!(series("10.11.14-MariaDB-0+deb12u1"), Some((10, 11)));
        assert_eq!(
            series("11.8.3-MariaDB-0+deb13u1 from Debian"),
            Some((11, 8))
        );
        assert!(series("11.8.3") > series("10.11.9"));
        assert_eq!(series("garbage"), None);
        assert_eq!(
            gcache_size_of("evs.x = 1; gcache.size = 128M; gcache.page_size = 128M"),
            Some(128 << 20)
        );
        assert_eq!(gcache_size_of("gcache.size=2G"), Some(2 << 30));
        assert_eq!(gcache_size_of("gcache.size = 1000"), Some(1000));
        assert_eq!(gcache_size_of("gcache.page_size = 1M"), None);
        assert_eq!(gcache_size_of("gcache.size = lots"), None);
        assert_eq!(series(""), None);
    }

    #[test]
    fn the_write_rate_is_per_minute_over_the_window() {
        let g = gcache_rate(128 << 20, 1_000, 3_000, std::time::Duration::from_secs(2));
        assert_eq!(
            g,
            Gcache {
                size_bytes: 128 << 20,
                bytes_per_minute: 60_000,
                window_secs: 2
            }
        );
        // A counter that went back (a restart) is no negative rate; a zero window is 1 ms.
        assert_eq!(
            gcache_rate(1, 5, 2, std::time::Duration::ZERO).bytes_per_minute,
            0
        );
        assert_eq!(
            gcache_rate(1, 0, u64::MAX, std::time::Duration::ZERO).bytes_per_minute,
            u64::MAX
        );
    }
}
