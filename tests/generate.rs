//! `galeractl completions SHELL` and `galeractl man`: generated for every shell, listing every
//! command; the man page renders; bash completes node names from the inventory.

mod support;
use std::process::Command;

use clap::CommandFactory;
use support::*;

/// Every command an operator can type (not `help`, not the hidden ones).
fn commands() -> Vec<String> {
    galeractl::cli::Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .collect()
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null")])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn completion_scripts_generate_for_three_shells() {
    for shell in ["bash", "zsh", "fish"] {
        let script = galeractl_ok(&["completions", shell]);
        for command in commands() {
            assert!(script.contains(&command), "{shell}: no {command}");
        }
        assert!(script.contains("--inventory"), "{shell}");
        // The hidden command is never offered: only galeractl's own addition (bash, fish)
        // calls it, after clap's script.
        let generated = script
            .split("\n# galeractl: node names")
            .next()
            .unwrap_or_default();
        assert!(
            !generated.contains("complete-nodes") && !generated.contains("complete__subcmd__nodes"),
            "{shell}: the hidden complete-nodes is offered"
        );
        // Syntax, where the shell is installed.
        let check: &[&str] = match shell {
            "bash" | "zsh" => &["-n"],
            _ => &["--no-execute"],
        };
        if have(shell) {
            let dir = scratch(&format!("completions-{shell}"));
            let file = dir.join("galeractl.completion");
            std::fs::write(&file, &script).unwrap_or_else(|e| panic!("{e}"));
            let out = Command::new(shell)
                .args(check)
                .arg(&file)
                .output()
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        }
    }
    let out = galeractl(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn bash_completes_node_names_from_the_inventory() {
    if !have("bash") {
        eprintln!("skipped: no bash");
        return;
    }
    let script = galeractl_ok(&["completions", "bash"]);
    let dir = scratch("completions-bash-nodes");
    let file = dir.join("galeractl.bash");
    std::fs::write(&file, &script).unwrap_or_else(|e| panic!("{e}"));
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_galeractl"));
    let path = format!(
        "{}:{}",
        bin.parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        std::env::var("PATH").unwrap_or_default()
    );
    let complete = |words: &str| {
        let program = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             _galeractl_with_nodes galeractl; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = Command::new("bash")
            .args(["-c", &program])
            .env("PATH", &path)
            .env_remove("GALERACTL_INVENTORY")
            .current_dir(root())
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        text(&out.stdout)
    };
    let nodes = complete("galeractl stop-node -i inventory.example.toml ''");
    assert!(nodes.lines().any(|l| l == "nodea"), "{nodes}");
    let nodes = complete("galeractl logs inventory.example.toml node");
    assert!(nodes.lines().any(|l| l == "nodeb"), "{nodes}");
    // Not for a command that takes no node.
    let other = complete("galeractl status -i inventory.example.toml ''");
    assert!(!other.lines().any(|l| l == "nodea"), "{other}");
}

#[test]
fn complete_nodes_prints_the_inventory_nodes_or_nothing() {
    let names = galeractl_ok(&["complete-nodes", "inventory.example.toml"]);
    assert_eq!(names, "nodea\nnodeb\nnodec\n");
    let out = galeractl(&["complete-nodes", "-i", "no/such.toml"]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn man_page_lists_every_command_and_renders() {
    let page = galeractl_ok(&["man"]);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &page[..80.min(page.len())]
    );
    assert!(page.contains(".TH galeractl 1"), "no .TH");
    for command in commands() {
        let title = format!(".SH \"GALERACTL {}\"", command.to_uppercase());
        assert!(page.contains(&title), "no section for {command}");
        let synopsis = format!("galeractl {}", command.replace('-', "\\-"));
        assert!(page.contains(&synopsis), "no synopsis for {command}");
    }
    if !have("man") {
        eprintln!("man is not installed: checked the roff text only");
        return;
    }
    let dir = scratch("man-page");
    let file = dir.join("galeractl.1");
    std::fs::write(&file, &page).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "man -l: {}", text(&out.stderr));
    let rendered = text(&out.stdout);
    for command in commands() {
        assert!(
            rendered.contains(&format!("GALERACTL {}", command.to_uppercase())),
            "rendered page has no {command}:\n{rendered}"
        );
    }
}
