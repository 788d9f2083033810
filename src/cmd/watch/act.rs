//! Running one of watch's actions: galeractl's own command (`recover`, `start-node`) as a child
//! process of this same binary, with the inventory's path, `--lock-wait 0` (an operator's
//! command that holds the lock wins: watch looks again later) and no terminal. Its output is
//! logged line by line as it comes, so the log shows the plan it runs, exactly as printed.
//! The child runs in a process group of its own: a signal meant for watch (Ctrl-C, SIGTERM)
//! does not cut it short; watch waits for it before it exits.

use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::cli::RemoteArgs;
use crate::watch::Action;

/// How the child ended.
#[derive(Debug)]
pub struct Ended {
    /// Its exit code; `None` when it could not start or a signal ended it.
    pub code: Option<i32>,
    /// Its last lines of output (the reason of a failure).
    pub last_lines: Vec<String>,
    pub seconds: f64,
}

/// The child's argv after the program: the action's words, the inventory, the deadlines.
pub fn child_args(
    action: &Action,
    inventory: &Path,
    remote: &RemoteArgs,
    dry_run: bool,
) -> Vec<String> {
    let mut args = action.words();
    args.push("-i".into());
    args.push(inventory.display().to_string());
    for (flag, value) in [
        ("--lock-wait", 0),
        ("--connect-timeout", remote.connect_timeout),
        ("--step-timeout", remote.step_timeout),
        ("--sync-timeout", remote.sync_timeout),
    ] {
        args.push(flag.into());
        args.push(value.to_string());
    }
    if remote.accept_new_host_keys {
        args.push("--accept-new-host-keys".into());
    }
    if dry_run {
        args.push("--dry-run".into());
    }
    args
}

/// Runs `galeractl ARGS` and logs each line of its output through `log`.
pub async fn run(args: &[String], log: &(dyn Fn(&str) + Sync)) -> Ended {
    let started = Instant::now();
    let ended = |code, last_lines| Ended {
        code,
        last_lines,
        seconds: started.elapsed().as_secs_f64(),
    };
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            return ended(
                None,
                vec![format!("cannot find galeractl's own binary: {e}")],
            )
        }
    };
    let mut command = tokio::process::Command::new(exe);
    command
        .args(args)
        .env("NO_COLOR", "1")
        // Each step's command line as the command's --dry-run prints it, before it runs.
        .env("RUST_LOG", "info,galeractl::runner=debug")
        .env_remove("GALERACTL_INVENTORY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => return ended(None, vec![format!("cannot start galeractl: {e}")]),
    };
    let last = std::sync::Mutex::new(std::collections::VecDeque::new());
    let keep = |line: &str| {
        log(line);
        if let Ok(mut l) = last.lock() {
            l.push_back(line.to_string());
            if l.len() > 5 {
                l.pop_front();
            }
        }
    };
    let out = child.stdout.take();
    let err = child.stderr.take();
    let read_out = async {
        if let Some(o) = out {
            let mut lines = BufReader::new(o).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                keep(&l);
            }
        }
    };
    let read_err = async {
        if let Some(e) = err {
            let mut lines = BufReader::new(e).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                keep(&l);
            }
        }
    };
    let ((), (), status) = tokio::join!(read_out, read_err, child.wait());
    let last_lines = last
        .into_inner()
        .map(|l| l.into_iter().collect())
        .unwrap_or_default();
    match status {
        Ok(s) => ended(s.code(), last_lines),
        Err(e) => ended(None, vec![format!("waiting for galeractl: {e}")]),
    }
}
