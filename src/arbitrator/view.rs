//! What garbd's log says of its last view, for `recover --force-without`: before a new history
//! is bootstrapped from one node, garbd (the one witness galeractl holds besides the nodes)
//! must not be in a Primary component without that node. Pure: the log's text in, a verdict
//! out, unit-tested on Galera's own log lines.
//!
//! Galera's group layer logs every new component as
//! `New COMPONENT: primary = yes, bootstrap = no, my_idx = 1, memb_num = 2`, then, during the
//! state exchange that follows, one line per member:
//! `STATE EXCHANGE: got state msg: UUID from 0 (nodeb)`, the name being the member's
//! `wsrep_node_name` (garbd's own is its `--name`).

/// The last component garbd's log shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub primary: bool,
    /// `memb_num`: the members, garbd included.
    pub size: usize,
    /// The members' names seen in the state exchange after it, in log order.
    pub names: Vec<String>,
}

/// The last `New COMPONENT` of `log` and the names the state exchange after it gave; `None`
/// when the log shows no component.
pub fn last_view(log: &str) -> Option<View> {
    const COMPONENT: &str = "New COMPONENT: primary = ";
    const GOT: &str = "STATE EXCHANGE: got state msg: ";
    let start = log.rfind(COMPONENT)?;
    let rest = &log[start + COMPONENT.len()..];
    let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
    let primary = match line.split(',').next().map(str::trim) {
        Some("yes") => true,
        Some("no") => false,
        _ => return None,
    };
    let size = line
        .split(',')
        .find_map(|f| f.trim().strip_prefix("memb_num = "))
        .and_then(|n| n.trim().parse().ok())?;
    let mut names: Vec<String> = Vec::new();
    for l in after.lines() {
        let Some(k) = l.find(GOT) else { continue };
        let Some(open) = l[k..].rfind(" (").map(|i| k + i + 2) else {
            continue;
        };
        let name = l[open..].trim_end().trim_end_matches(')');
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    Some(View {
        primary,
        size,
        names,
    })
}

/// Whether a new history may be bootstrapped from `chosen` as far as garbd can tell: `Ok` with
/// what was seen, or `Err` with why not. `running` is whether garbd's container runs; `log`
/// its last lines.
pub fn judge(running: bool, log: &str, chosen: &str) -> Result<String, String> {
    if !running {
        return Ok("the arbitrator (garbd) does not run".into());
    }
    let Some(view) = last_view(log) else {
        return Err(format!(
            "the arbitrator (garbd) runs, but its log shows no view, so it may be in a Primary component with the given-up nodes (its last line: {:?})",
            log.lines().last().unwrap_or("").trim()
        ));
    };
    let members = if view.names.is_empty() {
        "members not named in its log".to_string()
    } else {
        view.names.join(", ")
    };
    if !view.primary {
        return Ok(format!(
            "the arbitrator (garbd)'s last view is non-Primary ({} member{}: {members})",
            view.size,
            if view.size == 1 { "" } else { "s" }
        ));
    }
    if view.names.len() < view.size {
        return Err(format!(
            "the arbitrator (garbd) is in a Primary component of {} members, and its log names only {members}: it may serve beside {chosen}",
            view.size
        ));
    }
    if view.names.iter().any(|n| n == chosen) {
        return Ok(format!(
            "the arbitrator (garbd) is in a Primary component with {members}"
        ));
    }
    Err(format!(
        "the arbitrator (garbd) is in a Primary component with {members}, without {chosen}: that component may be serving the given-up nodes' clients; a new history from {chosen} would be a second Primary"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// garbd's log (galera 26.4) after a partition left it with nodeb and cut nodea off.
    const WITH_B: &str = "\
2026-11-26 15:02:11.482  INFO: view(view_id(PRIM,147a2108-b4c4,7) memb {
\t147a2108-b4c4,0
\t5d1e0f3a-9c21,0
} joined {
} left {
} partitioned {
\t11662492-8101,0
})
2026-11-26 15:02:11.482  INFO: save pc into disk
2026-11-26 15:02:11.483  INFO: New COMPONENT: primary = yes, bootstrap = no, my_idx = 1, memb_num = 2
2026-11-26 15:02:11.483  INFO: STATE EXCHANGE: Waiting for state UUID.
2026-11-26 15:02:11.484  INFO: STATE EXCHANGE: sent state msg: 8e1b2c5a-e9b9-11f1-9d3c-2b6c1e7f4a10
2026-11-26 15:02:11.484  INFO: STATE EXCHANGE: got state msg: 8e1b2c5a-e9b9-11f1-9d3c-2b6c1e7f4a10 from 0 (nodeb)
2026-11-26 15:02:11.484  INFO: STATE EXCHANGE: got state msg: 8e1b2c5a-e9b9-11f1-9d3c-2b6c1e7f4a10 from 1 (garb)
2026-11-26 15:02:11.484  INFO: Quorum results:
\tversion    = 6,
\tcomponent  = PRIMARY,
\tconf_id    = 6,
\tmembers    = 1/2 (joined/total),
\tact_id     = 10639,
\tlast_appl. = 0,
\tprotocols  = 2/10/4 (gcs/repl/appl),
\tvote policy= 0,
\tgroup UUID = 3b6b8db4-e9a8-11f1-829d-d76040a9a81d
";

    #[test]
    fn the_last_component_and_its_members() {
        assert_eq!(
            last_view(WITH_B),
            Some(View {
                primary: true,
                size: 2,
                names: vec!["nodeb".into(), "garb".into()]
            })
        );
        assert_eq!(last_view(""), None);
        assert_eq!(
            last_view("2026-11-26 15:02:11.482  INFO: save pc into disk\n"),
            None
        );
    }

    #[test]
    fn a_primary_without_the_chosen_node_refuses() {
        assert_eq!(
            judge(true, WITH_B, "nodea"),
            Err("the arbitrator (garbd) is in a Primary component with nodeb, garb, without nodea: that component may be serving the given-up nodes' clients; a new history from nodea would be a second Primary".into())
        );
        assert_eq!(
            judge(true, WITH_B, "nodeb"),
            Ok("the arbitrator (garbd) is in a Primary component with nodeb, garb".into())
        );
    }

    /// The same lines as a MariaDB server writes them (`[Note] WSREP:` prefixes), a member's
    /// name with a dash: the prefix does not matter, the last component does.
    #[test]
    fn lines_with_a_server_prefix() {
        let log = "\
2026-11-26 15:10:02 0 [Note] WSREP: New COMPONENT: primary = yes, bootstrap = no, my_idx = 0, memb_num = 3
2026-11-26 15:10:02 0 [Note] WSREP: STATE EXCHANGE: Waiting for state UUID.
2026-11-26 15:10:02 0 [Note] WSREP: STATE EXCHANGE: got state msg: 2c8e7d0a-e9b9-11f1-8c1b-0a3f5d6e7b90 from 0 (garb)
2026-11-26 15:10:02 0 [Note] WSREP: STATE EXCHANGE: got state msg: 2c8e7d0a-e9b9-11f1-8c1b-0a3f5d6e7b90 from 1 (db-node-2)
2026-11-26 15:10:02 0 [Note] WSREP: STATE EXCHANGE: got state msg: 2c8e7d0a-e9b9-11f1-8c1b-0a3f5d6e7b90 from 2 (nodea)
";
        assert_eq!(
            last_view(log).map(|v| v.names),
            Some(vec!["garb".into(), "db-node-2".into(), "nodea".into()])
        );
        assert!(judge(true, log, "nodea").is_ok());
        assert!(judge(true, log, "nodeb").is_err());
    }

    #[test]
    fn only_the_last_component_counts() {
        let alone = format!(
            "{WITH_B}2026-11-26 15:04:40.101  INFO: New COMPONENT: primary = no, bootstrap = no, my_idx = 0, memb_num = 1\n2026-11-26 15:04:40.101  INFO: STATE EXCHANGE: got state msg: 9a0e0c4e-e9b9-11f1-8a2f-1f3d5e6c7b80 from 0 (garb)\n"
        );
        assert_eq!(
            judge(true, &alone, "nodea"),
            Ok("the arbitrator (garbd)'s last view is non-Primary (1 member: garb)".into())
        );
    }

    #[test]
    fn unknown_while_it_runs_refuses_and_not_running_allows() {
        assert_eq!(
            judge(true, "2026-11-26 15:00:00.000  INFO: Read config:\n", "nodea"),
            Err("the arbitrator (garbd) runs, but its log shows no view, so it may be in a Primary component with the given-up nodes (its last line: \"2026-11-26 15:00:00.000  INFO: Read config:\")".into())
        );
        // The state exchange not logged whole (the tail cut it): unknown.
        let cut = WITH_B.replace(
            "2026-11-26 15:02:11.484  INFO: STATE EXCHANGE: got state msg: 8e1b2c5a-e9b9-11f1-9d3c-2b6c1e7f4a10 from 1 (garb)\n",
            "",
        );
        assert_eq!(
            judge(true, &cut, "nodeb"),
            Err("the arbitrator (garbd) is in a Primary component of 2 members, and its log names only nodeb: it may serve beside nodeb".into())
        );
        assert_eq!(
            judge(false, "", "nodea"),
            Ok("the arbitrator (garbd) does not run".into())
        );
    }
}
