//! `recover --dry-run`'s commands, byte for byte, from captured facts (the positions recovery
//! reads): the same text `recover` prints before it runs exactly those commands.

mod support;
use galeractl::recover::{
    actions, choose_bootstrap_node, commands, pc_recovery, render, ContainerState, NodePosition,
    Reading, Safety, SavedView, Source,
};
use support::*;

const U: &str = "1f113d7a-e8a1-11f1-be4d-f35e168f60a7";

fn at(name: &str, k: u8, container: ContainerState, reading: Reading) -> NodePosition {
    NodePosition {
        name: name.into(),
        host: format!("10.10.10.1{k}"),
        container,
        reading,
    }
}

fn recovered(seqno: i64) -> Reading {
    Reading::Position {
        uuid: U.into(),
        seqno,
        safe_to_bootstrap: false,
        source: Source::WsrepRecover,
    }
}

/// One case: the text `recover --dry-run` prints (positions, choice, plan), and the plan as
/// JSON (as `recover --dry-run --json` gives it).
fn case(
    title: &str,
    nodes: &[NodePosition],
    views: Option<&[Option<SavedView>]>,
    safety: &Safety,
) -> (String, String) {
    let inv = example_inventory();
    let choice = choose_bootstrap_node(nodes, safety).unwrap_or_else(|e| panic!("{e}"));
    let plan = match views {
        None => commands::plan(&inv, &choice, &actions(&choice)),
        Some(views) => {
            let stages = pc_recovery(&choice, nodes, views).unwrap_or_else(|e| panic!("{e}"));
            commands::pc_plan(&inv, &choice, &stages)
        }
    };
    let text = format!(
        "## {title}\n{}{}{}",
        render::positions(nodes),
        render::choice(&choice),
        galeractl::plan::render(&plan)
    );
    let json = serde_json::to_string_pretty(&plan).unwrap_or_else(|e| panic!("{e}"));
    (text, format!("// {title}\n{json}\n"))
}

#[test]
fn recover_dry_run_commands_match_golden() {
    let stopped = ContainerState::Exited;
    let strict = Safety::strict();
    let mut cases = vec![case(
        "full outage: bootstrap from the most advanced node, the others join",
        &[
            at("nodea", 0, stopped.clone(), recovered(40)),
            at("nodeb", 1, stopped.clone(), recovered(42)),
            at("nodec", 2, stopped.clone(), recovered(41)),
        ],
        None,
        &strict,
    )];
    let ids = ["a1", "b1", "c1"];
    let views: Vec<Option<SavedView>> = ids
        .iter()
        .map(|me| {
            Some(SavedView {
                my_uuid: me.to_string(),
                view_id: "v7".into(),
                members: ids.iter().map(std::string::ToString::to_string).collect(),
            })
        })
        .collect();
    cases.push(case(
        "full outage, one saved view: Galera's pc.recovery",
        &[
            at("nodea", 0, stopped.clone(), recovered(40)),
            at("nodeb", 1, stopped.clone(), recovered(42)),
            at("nodec", 2, stopped.clone(), recovered(41)),
        ],
        Some(&views),
        &strict,
    ));
    cases.push(case(
        "partial outage: nodec joins the running Primary",
        &[
            at(
                "nodea",
                0,
                ContainerState::Running,
                Reading::Primary {
                    uuid: U.into(),
                    seqno: 50,
                },
            ),
            at(
                "nodeb",
                1,
                ContainerState::Running,
                Reading::Primary {
                    uuid: U.into(),
                    seqno: 50,
                },
            ),
            at("nodec", 2, stopped.clone(), recovered(47)),
        ],
        None,
        &strict,
    ));
    cases.push(case(
        "a missing container recreated",
        &[
            at("nodea", 0, stopped.clone(), recovered(40)),
            at("nodeb", 1, stopped.clone(), recovered(42)),
            at("nodec", 2, ContainerState::Missing, Reading::NoData),
        ],
        None,
        &strict,
    ));
    let mut without = Safety::strict();
    without.without.insert("nodec".to_string());
    cases.push(case(
        "nodec lost for good: --force-without nodec, a new history",
        &[
            at("nodea", 0, stopped.clone(), recovered(40)),
            at("nodeb", 1, stopped.clone(), recovered(42)),
            at(
                "nodec",
                2,
                stopped,
                Reading::Unreadable("host unreachable".into()),
            ),
        ],
        None,
        &without,
    ));
    let text: String = cases.iter().map(|(t, _)| t.as_str()).collect();
    let json: String = cases.iter().map(|(_, j)| j.as_str()).collect();
    assert_golden("recover.dry-run", &text);
    assert_golden("recover.plans.json", &json);
}

/// `--tc-heuristic-recover`: the resolution is a plan of its own (its exit code not checked,
/// printed `|| true`), then every position is read again.
#[test]
fn resolve_plan_matches_golden() {
    let inv = example_inventory();
    let plan = commands::resolve_plan(&inv, &["nodec".to_string()], "rollback");
    assert_golden("recover-resolve.plan", &galeractl::plan::render(&plan));
}
