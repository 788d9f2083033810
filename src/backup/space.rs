//! `restore --replace` moves each node's current data aside by a full copy (`cp -a`, then the
//! original removed), after every node container is stopped and removed: a host without the
//! room for that copy would fail there with the whole cluster down. So, before the first stop,
//! each host with data to move says how much the volumes hold and how much their filesystem
//! has free (`du` and `df` in a read-only one-off container of the node image, as the move's
//! own container sees them: `docker::backup::measure`); too little is refused.

use crate::docker::backup::MEASURE_MOUNT as MOUNT;

/// The copy must fit with this share to spare (files written meanwhile, filesystem overhead).
pub const SPARE_PERCENT: u64 = 5;

/// Used kibibytes (the `du` lines' sum) and the filesystem's available kibibytes (`df`'s
/// fourth column), from [`crate::docker::backup::measure`]'s output; `None` when it is not that shape.
pub fn parse(text: &str) -> Option<(u64, u64)> {
    let mut used = 0u64;
    let mut available = None;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [kib, path] if path.starts_with(MOUNT) => {
                used = used.checked_add(kib.parse().ok()?)?;
            }
            [_, _, _, avail, _, _] => available = Some(avail.parse().ok()?),
            _ => return None,
        }
    }
    Some((used, available?))
}

/// The refusal for one host, when the copy does not fit (`volumes`: their names).
pub fn judge(host: &str, volumes: &[String], used_kib: u64, available_kib: u64) -> Option<String> {
    let needed = used_kib.saturating_add(used_kib * SPARE_PERCENT / 100);
    (needed > available_kib).then(|| {
        format!(
            "host {host}: moving the current data aside copies it before removing it, so {} ({}) needs {} free on that filesystem ({SPARE_PERCENT}% to spare), and it has {}",
            mib(used_kib),
            volumes.join(", "),
            mib(needed),
            mib(available_kib)
        )
    })
}

/// `restore --replace`'s refusal when a host has no room to move its data aside (`refused`:
/// each such host's `judge`), or `None`.
pub fn refusal(refused: &[String]) -> Option<String> {
    (!refused.is_empty()).then(|| {
        format!(
            "refusing to restore --replace, nothing was changed (no container stopped): {}. Free space there, or move the old data elsewhere yourself and remove its volume, then run again",
            refused.join("; ")
        )
    })
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_and_available_are_read_and_judged() {
        // As the lab's docker printed it (the sizes changed).
        let out = "1048576\t/measure/0\n524288\t/measure/1\n/dev/vda         264212084 44296912  1400000      47% /measure/0\n";
        assert_eq!(parse(out), Some((1_572_864, 1_400_000)));
        assert_eq!(parse("garbage\n"), None);
        assert_eq!(parse("12\t/measure/0\n"), None);
        assert_eq!(parse("6840\t/var\n"), None);
        let volumes = ["c-a-data".to_string(), "c-b-data".to_string()];
        assert_eq!(
            judge("10.0.0.1", &volumes, 1_572_864, 1_400_000),
            Some("host 10.0.0.1: moving the current data aside copies it before removing it, so 1536.0 MiB (c-a-data, c-b-data) needs 1612.8 MiB free on that filesystem (5% to spare), and it has 1367.2 MiB".to_string())
        );
        assert_eq!(judge("10.0.0.1", &volumes, 1_000_000, 1_400_000), None);
        assert_eq!(refusal(&[]), None);
        assert_eq!(
            refusal(&["host a: x".into(), "host b: y".into()]).as_deref(),
            Some("refusing to restore --replace, nothing was changed (no container stopped): host a: x; host b: y. Free space there, or move the old data elsewhere yourself and remove its volume, then run again")
        );
    }
}
