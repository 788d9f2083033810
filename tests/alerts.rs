//! contrib/alerts.yml, the Prometheus alert rules shipped for watch's metrics, checked and
//! unit-tested by Prometheus' own `promtool` (Debian's prometheus package, which `lab/lab up`
//! installs): each alert fires on the series that should fire it, after its `for`, with its
//! exact labels and text, and not before.

mod support;
use std::process::Command;

fn promtool(args: &[&str]) -> Option<std::process::Output> {
    match Command::new("promtool")
        .args(args)
        .current_dir(support::root().join("contrib"))
        .output()
    {
        Ok(out) => Some(out),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("promtool: {e} (CI=true: install Debian's prometheus package; lab/lab up does)")
        }
        Err(e) => {
            eprintln!("skipped: promtool: {e}");
            None
        }
    }
}

#[test]
fn the_alert_rules_are_valid_and_fire_as_their_tests_say() {
    let Some(check) = promtool(&["check", "rules", "alerts.yml"]) else {
        return;
    };
    let said = support::text(&check.stdout);
    assert!(
        check.status.success(),
        "{said}{}",
        support::text(&check.stderr)
    );
    assert!(said.contains("SUCCESS: 7 rules found"), "{said}");
    let Some(test) = promtool(&["test", "rules", "alerts_test.yml"]) else {
        return;
    };
    assert!(
        test.status.success(),
        "{}{}",
        support::text(&test.stdout),
        support::text(&test.stderr)
    );
}
