//! `recover --dry-run`'s commands, byte for byte, from captured facts (the positions recovery
//! reads): the same text `recover` prints before it runs exactly those commands.

mod support;
use galeractl::recover::{
    actions, choose_bootstrap_node, commands, pc_recovery, render, Container, NodePosition,
    Reading, Safety, SavedView, Source,
};
use support::*;

const U: &str = "1f113d7a-e8a1-11f1-be4d-f35e168f60a7";

fn at(name: &str, k: u8, container: Container, reading: Reading) -> NodePosition {
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

fn case(title: &str, nodes: &[NodePosition], views: Option<&[Option<SavedView>]>) -> String {
    let inv = example_inventory();
    let choice = choose_bootstrap_node(nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    let mut stages = actions(&choice);
    if let Some(views) = views {
        stages = pc_recovery(&choice, nodes, views).unwrap_or_else(|e| panic!("{e}"));
    }
    format!(
        "## {title}\n{}{}{}",
        render::positions(nodes),
        render::choice(&choice),
        commands::render(&inv, &stages)
    )
}

#[test]
fn recover_dry_run_commands_match_golden() {
    let stopped = Container::Stopped;
    let mut out = case(
        "full outage: bootstrap from the most advanced node, the others join",
        &[
            at("nodea", 0, stopped, recovered(40)),
            at("nodeb", 1, stopped, recovered(42)),
            at("nodec", 2, stopped, recovered(41)),
        ],
        None,
    );
    let ids = ["a1", "b1", "c1"];
    let views: Vec<Option<SavedView>> = ids
        .iter()
        .map(|me| {
            Some(SavedView {
                my_uuid: me.to_string(),
                view_id: "v7".into(),
                members: ids.iter().map(|s| s.to_string()).collect(),
            })
        })
        .collect();
    out.push_str(&case(
        "full outage, one saved view: Galera's pc.recovery",
        &[
            at("nodea", 0, stopped, recovered(40)),
            at("nodeb", 1, stopped, recovered(42)),
            at("nodec", 2, stopped, recovered(41)),
        ],
        Some(&views),
    ));
    out.push_str(&case(
        "partial outage: nodec joins the running Primary",
        &[
            at(
                "nodea",
                0,
                Container::Running,
                Reading::Primary {
                    uuid: U.into(),
                    seqno: 50,
                },
            ),
            at(
                "nodeb",
                1,
                Container::Running,
                Reading::Primary {
                    uuid: U.into(),
                    seqno: 50,
                },
            ),
            at("nodec", 2, stopped, recovered(47)),
        ],
        None,
    ));
    out.push_str(&case(
        "a missing container recreated",
        &[
            at("nodea", 0, stopped, recovered(40)),
            at("nodeb", 1, stopped, recovered(42)),
            at("nodec", 2, Container::Missing, Reading::NoData),
        ],
        None,
    ));
    assert_golden("recover.dry-run", &out);
}
