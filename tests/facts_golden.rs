//! Fact fixtures → golden outputs. Each `tests/fixtures/<command>/<case>.json` holds what a
//! command observed (its facts value, as serde reads it), the inventory it goes with and the
//! command's flags; the test feeds them to the same pure decider the command calls and compares
//! what comes out with `tests/golden/facts/<command>/<case>.<ext>`, byte for byte: the rendered
//! plan (`.plan`), a refusal's text, or a decision without a plan (`status`'s judged report as
//! `--json` prints it, `doctor`'s and `preflight`'s reports, `watch`'s decisions: `.txt` or
//! `.json`). `UPDATE_GOLDEN=1` writes the goldens.
//!
//! A fixture is `{"about": "...", "inventory": "tests/golden/x.toml", "args": {..}, "facts":
//! {..}}`; `args` may be left out (every flag off). Two placeholders keep a converged cluster
//! converged when the node's `docker run` changes: a node container's `"spec": "@spec"` is the
//! spec hash the inventory gives it now, a node's `"config": "@config"` the config file naming
//! the other members.

mod support;

#[path = "facts_golden/commands.rs"]
mod commands;
#[path = "facts_golden/nodes.rs"]
mod nodes;
#[path = "facts_golden/reports.rs"]
mod reports;

use std::path::{Path, PathBuf};

use galeractl::inventory::Inventory;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use support::{assert_golden, root};

/// The envelope of every fixture.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture<A, F> {
    /// What the case shows, in a sentence: the golden's first line.
    about: String,
    /// The inventory, from the repository's root (none for `doctor` and `watch`).
    #[serde(default)]
    inventory: Option<PathBuf>,
    #[serde(default)]
    args: A,
    facts: F,
}

/// One fixture, decided: the golden's text.
pub struct Case<'a, A, F> {
    pub inventory: Option<&'a Inventory>,
    pub args: A,
    pub facts: F,
}

impl<'a, A, F> Case<'a, A, F> {
    pub fn inventory(&self) -> &'a Inventory {
        self.inventory
            .unwrap_or_else(|| panic!("this command's fixtures name an inventory"))
    }
}

/// How the command's decider refuses: the exit code and the text the operator reads.
pub fn refused(text: &str) -> String {
    format!("refused (exit {}): {text}\n", galeractl::exit::REFUSED)
}

/// A command's fixtures: each parsed, decided by `decide`, compared with its golden.
fn check<A, F>(command: &str, ext: &str, decide: impl Fn(Case<'_, A, F>) -> String)
where
    A: DeserializeOwned + Default,
    F: DeserializeOwned,
{
    let cases = fixtures(command);
    assert!(!cases.is_empty(), "no fixture in tests/fixtures/{command}");
    for path in cases {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let fixture: Fixture<A, F> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let inventory = fixture.inventory.as_deref().map(inventory);
        let case = Case {
            inventory: inventory.as_ref(),
            args: fixture.args,
            facts: fixture.facts,
        };
        let out = format!("## {}\n{}", fixture.about, decide(case));
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_else(|| panic!("{path:?}"));
        let golden = format!("facts/{command}/{name}.{ext}");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            let dir = root().join("tests/golden/facts").join(command);
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
        }
        assert_golden(&golden, &out);
    }
}

/// The fixture files of `command`, in name order.
fn fixtures(command: &str) -> Vec<PathBuf> {
    let dir = root().join("tests/fixtures").join(command);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn inventory(path: &Path) -> Inventory {
    let source = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{e}"));
    let parsed = galeractl::inventory::parse(path, &source);
    parsed
        .inventory
        .unwrap_or_else(|| panic!("{}: {:?}", path.display(), parsed.report.diagnostics))
}

/// Every command with fixtures, and its golden's extension.
const COMMANDS: [(&str, &str); 12] = [
    ("up", "plan"),
    ("up-preflight", "txt"),
    ("stop-node", "plan"),
    ("start-node", "plan"),
    ("restart", "plan"),
    ("recover", "plan"),
    ("backup", "plan"),
    ("restore", "plan"),
    ("status", "json"),
    ("doctor", "txt"),
    ("preflight", "txt"),
    ("watch", "txt"),
];

#[test]
fn up() {
    check("up", "plan", commands::up);
}

#[test]
fn up_preflight() {
    check("up-preflight", "txt", commands::up_preflight);
}

#[test]
fn stop_node() {
    check("stop-node", "plan", nodes::stop_node);
}

#[test]
fn start_node() {
    check("start-node", "plan", nodes::start_node);
}

#[test]
fn restart() {
    check("restart", "plan", nodes::restart);
}

#[test]
fn recover() {
    check("recover", "plan", commands::recover);
}

#[test]
fn backup() {
    check("backup", "plan", commands::backup);
}

#[test]
fn restore() {
    check("restore", "plan", commands::restore);
}

#[test]
fn status() {
    check("status", "json", reports::status);
}

#[test]
fn doctor() {
    check("doctor", "txt", reports::doctor);
}

#[test]
fn preflight() {
    check("preflight", "txt", reports::preflight);
}

#[test]
fn watch() {
    check("watch", "txt", reports::watch);
}

/// No fixture without a decider, no golden without a fixture, and enough cases.
#[test]
fn every_fixture_has_a_command_and_every_golden_a_fixture() {
    let mut count = 0;
    for entry in std::fs::read_dir(root().join("tests/fixtures")).unwrap_or_else(|e| panic!("{e}"))
    {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name == "README.md" {
            continue;
        }
        assert!(
            COMMANDS.iter().any(|(c, _)| *c == name),
            "tests/fixtures/{name}: no command decides it (add it to COMMANDS and a test)"
        );
        count += fixtures(name).len();
    }
    assert!(count >= 20, "only {count} fixtures");
    for (command, ext) in COMMANDS {
        let dir = root().join("tests/golden/facts").join(command);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
            let golden = entry.unwrap_or_else(|e| panic!("{e}")).path();
            let stem = golden
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            assert!(
                golden.extension().is_some_and(|x| x == ext)
                    && root()
                        .join("tests/fixtures")
                        .join(command)
                        .join(format!("{stem}.json"))
                        .exists(),
                "{}: no fixture makes it",
                golden.display()
            );
        }
    }
}
