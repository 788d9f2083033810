//! Property tests: generated and garbled inventories never panic the parser, validator or
//! planner, and every failure is a diagnostic with a location inside the file, whose echo of
//! the source is short and holds nothing a terminal would act on.

use std::path::Path;

use galeractl::diagnostic::{render, SHOWN_CHARS};
use galeractl::inventory::parse;
use galeractl::plan;
use proptest::prelude::*;

const EXAMPLE: &str = include_str!("../inventory.example.toml");

fn check(source: &str) -> Result<(), TestCaseError> {
    let parsed = parse(Path::new("fuzz.toml"), source);
    for d in &parsed.report.diagnostics {
        let span = d.span.clone();
        prop_assert!(span.is_some(), "diagnostic without a location: {d:?}");
        let span = span.unwrap_or(0..0);
        prop_assert!(span.start <= source.len() && span.end <= source.len());
        let text = render(Path::new("fuzz.toml"), source, d);
        prop_assert!(text.starts_with("fuzz.toml:"), "{text}");
        // The source line and the caret line end the text (the message may take several
        // lines): at most SHOWN_CHARS characters of the line, with "..." on either side.
        let lines: Vec<&str> = text.lines().collect();
        if let [.., echoed, carets] = lines.as_slice() {
            let is_caret_line = carets.split_once(" | ").is_some_and(|(gutter, marks)| {
                gutter.trim().is_empty() && marks.trim_start().starts_with('^')
            });
            if is_caret_line {
                let shown = echoed.split_once(" | ").map_or("", |(_, s)| s);
                prop_assert!(shown.chars().count() <= SHOWN_CHARS + 6, "{echoed:?}");
                prop_assert!(
                    !shown
                        .chars()
                        .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
                    "{echoed:?}"
                );
            }
        }
    }
    match &parsed.inventory {
        Some(inventory) => {
            prop_assert!(!parsed.report.has_errors());
            let plan = plan::up(inventory, &galeractl::facts::Observed::default());
            prop_assert!(plan.is_ok());
            if let Ok(plan) = plan {
                let shown = plan::render(&plan);
                prop_assert!(shown.starts_with("# plan for cluster"));
            }
        }
        None => prop_assert!(parsed.report.has_errors(), "rejected without an error"),
    }
    Ok(())
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5i64..70_000).prop_map(|n| n.to_string()),
        "[a-z0-9.;:_ -]{0,12}".prop_map(|s| format!("{s:?}")),
        Just("10.0.0.1".to_string()).prop_map(|s| format!("{s:?}")),
        Just("[]".to_string()),
        Just("true".to_string()),
    ]
}

fn node() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9_-]{0,6}|[;$ ]{1,3}",
        prop_oneof![
            Just("10.0.0.1"),
            Just("10.0.0.2"),
            Just("10.0.0.999"),
            Just("db-1.example"),
            Just("-bad-"),
            Just("::1"),
            Just("localhost"),
            Just("0.0.0.0"),
            Just("DB-1.EXAMPLE")
        ],
        proptest::option::of((1i64..70_000, 0i64..70_000)),
        proptest::option::of(("[a-z_]{1,8}", value())),
    )
        .prop_map(|(name, host, ports, extra)| {
            let mut s = format!("\n[[nodes]]\nname = {name:?}\nhost = {host:?}\n");
            if let Some((k, v)) = extra {
                s.push_str(&format!("{k} = {v}\n"));
            }
            if let Some((mysql, galera)) = ports {
                s.push_str(&format!(
                    "[nodes.ports]\nmysql = {mysql}\ngalera = {galera}\n"
                ));
            }
            s
        })
}

fn inventory() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9-]{0,10}|.{0,4}",
        proptest::option::of((0i64..70_000, 0i64..70_000, 0i64..70_000, 0i64..70_000)),
        proptest::collection::vec(node(), 0..7),
        proptest::option::of(("[a-z_]{1,10}", value())),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(name, ports, nodes, extra, haproxy, arbitrator)| {
            let mut s = format!(
                "[cluster]\nname = {name:?}\nimage = \"mariadb:11.4\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\n"
            );
            if let Some((k, v)) = extra {
                s.push_str(&format!("{k} = {v}\n"));
            }
            if let Some((a, b, c, d)) = ports {
                s.push_str(&format!(
                    "[cluster.ports]\nmysql = {a}\ngalera = {b}\nsst = {c}\nist = {d}\n"
                ));
            }
            for n in nodes {
                s.push_str(&n);
            }
            if haproxy {
                s.push_str("\n[haproxy]\nhost = \"10.0.0.1\"\nstats_password_file = \"h\"\n");
            }
            if arbitrator {
                s.push_str("\n[arbitrator]\nhost = \"10.0.0.9\"\n");
            }
            s
        })
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    /// A run of `n` characters: long lines and long values.
    Long(usize, usize),
}

fn garble(source: &str, edits: &[Edit]) -> String {
    let mut s = source.to_string();
    for edit in edits {
        let at = |i: usize, s: &str| {
            let mut i = i % (s.len() + 1);
            while !s.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        match edit {
            Edit::Delete(i, n) => {
                let start = at(*i, &s);
                let end = at(start + n, &s).max(start);
                s.replace_range(start..end, "");
            }
            Edit::Insert(i, text) => {
                let i = at(*i, &s);
                s.insert_str(i, text);
            }
            Edit::Long(i, n) => {
                let i = at(*i, &s);
                s.insert_str(i, &"x".repeat(*n));
            }
            Edit::DuplicateLine(i) => {
                let lines: Vec<&str> = s.lines().collect();
                if !lines.is_empty() {
                    let line = lines[i % lines.len()].to_string();
                    let i = at(*i, &s);
                    s.insert_str(i, &format!("\n{line}\n"));
                }
            }
        }
    }
    s
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<usize>(), "(\\PC|[\\[\\]=\"'\n#]){0,12}").prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<usize>(), "[\t\r\x00-\x08\x1b\x7f\u{202e}]{1,3}")
            .prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<usize>(), 150usize..3000).prop_map(|(i, n)| Edit::Long(i, n)),
        any::<usize>().prop_map(Edit::DuplicateLine),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_inventories_never_panic(source in inventory()) {
        check(&source)?;
    }

    #[test]
    fn garbled_example_never_panics(edits in proptest::collection::vec(edit(), 1..6)) {
        check(&garble(EXAMPLE, &edits))?;
    }
}
