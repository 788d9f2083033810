//! End to end on the lab: the guide "Your own three hosts" (docs/src/guide-own-hosts.md) run
//! as a reader runs it, so that it cannot rot. Every ```sh block of the guide, in order, is one
//! bash script (`set -euo pipefail`), run in a scratch directory with this build's galeractl
//! first on PATH. What the lab needs beside the guide's words, and nothing else:
//! - the guide's example addresses 10.0.0.1-3 are the lab's hosts;
//! - `galeractl init` gets the lab's SSH key and known_hosts file and its image names
//!   (`--ssh-identity`, `--known-hosts`, `--image`, `--haproxy-image`), and the inventory it
//!   writes gets ports of this test's own (4606/5887/5764/5888, proxy 3396/4609/9280), since
//!   other tests' clusters share the lab's hosts;
//! - the SSH user the guide names must be the lab's non-root login, `deploy`, with
//!   `[ssh] sudo = true`: the whole guide runs without root on the hosts.

mod support;
use std::path::Path;
use std::process::{Command, Stdio};

use support::lab::{Lab, HOSTS};
use support::*;

const GUIDE: &str = "docs/src/guide-own-hosts.md";
const CLUSTER: &str = "shop";
const EXAMPLE_HOSTS: [&str; 3] = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];

/// The guide's ```sh blocks, in order.
fn sh_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let fence = line.trim_start();
        match &mut current {
            None if fence == "```sh" => current = Some(String::new()),
            Some(block) if fence.starts_with("```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// The lab's additions: `galeractl init` with the lab's key, known hosts and images, then the
/// test's own ports in the inventory it wrote.
fn prelude(lab: &Lab) -> String {
    let out = lab.out.display();
    format!(
        r#"set -euo pipefail
galeractl() {{
    # preflight's exit 1 is warnings only (a lab machine short of disk): up may go on.
    if [ "${{1:-}}" = preflight ]; then command galeractl "$@" || [ $? -eq 1 ]; return; fi
    if [ "${{1:-}}" != init ]; then command galeractl "$@"; return; fi
    local dir=. prev=
    for a in "$@"; do [ "$prev" = --dir ] && dir=$a; prev=$a; done
    command galeractl "$@" --ssh-identity {out}/id_ed25519 --known-hosts {out}/known_hosts \
        --image galeractl-lab/galera:10.11 --haproxy-image galeractl-lab/haproxy:2.6
    sed -i -e 's/^mysql = 4306/mysql = 4606/' -e 's/^galera = 5567/galera = 5887/' \
        -e 's/^sst = 5444/sst = 5764/' -e 's/^ist = 5568/ist = 5888/' \
        -e 's/^# port = 3306 /port = 3396 /' -e 's/^# stats_port = 4399 /stats_port = 4609 /' \
        -e 's/^# check_port = 9200 /check_port = 9280 /' "$dir/galeractl.toml"
}}
"#
    )
}

fn script(lab: &Lab, guide: &str) -> String {
    let mut body = sh_blocks(guide).concat();
    for (example, host) in EXAMPLE_HOSTS.iter().zip(HOSTS) {
        body = body.replace(example, host);
    }
    format!("{}{body}", prelude(lab))
}

#[test]
fn the_guide_has_its_commands_in_sh_blocks() {
    let guide = std::fs::read_to_string(root().join(GUIDE)).unwrap_or_else(|e| panic!("{e}"));
    let commands: Vec<String> = sh_blocks(&guide)
        .concat()
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("galeractl "))
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        commands,
        [
            "galeractl init",
            "galeractl preflight",
            "galeractl up",
            "galeractl status"
        ],
        "the guide's path: init, preflight, up, status"
    );
    assert!(
        guide.contains("--ssh-user deploy") && guide.contains("--sudo"),
        "the guide logs in as a user that is not root, through sudo"
    );
}

#[test]
fn the_guide_runs_on_the_lab_as_a_user_that_is_not_root() {
    let Some(lab) = Lab::find() else { return };
    lab.wipe_cluster(CLUSTER);
    let guide = std::fs::read_to_string(root().join(GUIDE)).unwrap_or_else(|e| panic!("{e}"));
    let dir = scratch("e2e_guide");
    let bin = Path::new(env!("CARGO_BIN_EXE_galeractl"))
        .parent()
        .unwrap_or_else(|| panic!("no directory"))
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script(&lab, &guide))
        .current_dir(&dir)
        .env("PATH", path)
        .env_remove("GALERACTL_INVENTORY")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "the guide's commands failed ({:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
    // "every host is ready for `up`", or "ready for `up`, with N warning(s)" (disk).
    assert!(stdout.contains("ready for `up`"), "{stdout}");
    assert!(
        stdout.contains(&format!("cluster {CLUSTER}: healthy")),
        "{stdout}"
    );
    let inventory =
        std::fs::read_to_string(dir.join("shop/galeractl.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(inventory.contains("sudo = true") && inventory.contains("user = \"deploy\""));
    // The test's own ports took the defaults' place (other clusters share the lab's hosts).
    for line in [
        "mysql = 4606",
        "galera = 5887",
        "port = 3396",
        "check_port = 9280",
    ] {
        assert!(
            inventory.lines().any(|l| l.starts_with(line)),
            "{line}:\n{inventory}"
        );
    }
    // Every node of it runs on the hosts, started by deploy through sudo.
    for host in HOSTS {
        let names = lab.ssh_ok(
            host,
            &format!(
                "docker ps --format '{{{{.Names}}}}' --filter label=io.galeractl.cluster={CLUSTER}"
            ),
        );
        assert!(
            !names.trim().is_empty(),
            "nothing of {CLUSTER} runs on {host}"
        );
    }
    lab.wipe_cluster(CLUSTER);
}
