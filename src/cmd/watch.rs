//! `galeractl watch`: a supervisor of one or several clusters. Each cluster is looked at every
//! `--interval` seconds (`observe::watch::look`, its view `crate::watch::look::view`), the pure
//! rules decide (`crate::watch::decide`), and an action
//! is one of galeractl's own commands run as a child (`act`), which takes the cluster's lock
//! and prints its plan as it runs it. Events go to the log, a webhook, a command (`tell`);
//! `--listen` serves the metrics (`serve`). SIGINT, SIGTERM or SIGHUP stop watch between
//! actions: an action under way runs to its end first.

mod act;
mod serve;
mod tell;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{print_warnings, Failure, Outcome};
use crate::cli::WatchArgs;
use crate::exit;
use crate::inventory::{self, Inventory};
use crate::secret::Secret;
use crate::watch::{self, Action, Event, EventKind, Memory, Rules};

/// One watched cluster.
struct Watched {
    path: PathBuf,
    inventory: Inventory,
    password: Secret,
}

/// What every cluster's loop shares.
struct Common<'a> {
    args: &'a WatchArgs,
    rules: Rules,
    notifier: tell::Notifier,
    board: serve::Shared,
    stop: tokio::sync::watch::Receiver<bool>,
}

pub async fn run(args: &WatchArgs) -> Outcome {
    let paths = inventory_paths(args)?;
    if args.unit {
        return print_unit(args, &paths);
    }
    let mut clusters: Vec<Watched> = Vec::new();
    for path in paths {
        let (inventory, report) = inventory::load(&path, inventory::Secrets::Required)?;
        print_warnings(&report);
        let password = super::monitor_password(&inventory)?;
        if let Some(other) = clusters
            .iter()
            .find(|c| c.inventory.cluster.name == inventory.cluster.name)
        {
            return Err(Failure::new(
                exit::USAGE,
                format!(
                    "{} and {} both name cluster {}: watch each cluster once",
                    other.path.display(),
                    path.display(),
                    inventory.cluster.name
                ),
            ));
        }
        clusters.push(Watched {
            path,
            inventory,
            password,
        });
    }
    let notifier = tell::Notifier::new(
        args.webhook_url_file.as_deref(),
        args.notify_command.clone(),
    )?;
    let board: serve::Shared = Arc::new(Mutex::new(serve::Board::default()));
    if let Some(addr) = &args.listen {
        let listener = tokio::net::TcpListener::bind(addr.as_str())
            .await
            .map_err(|e| Failure::new(exit::FAILED, format!("cannot listen on {addr}: {e}")))?;
        let stale = Duration::from_secs(args.interval.max(1) * 3 + 60);
        tokio::spawn(serve::serve(listener, board.clone(), stale));
    }
    let rules = Rules {
        // One look: nothing can settle in between, so a fault is acted on at once.
        settle: Duration::from_secs(if args.once { 0 } else { args.settle }),
        backoff: Duration::from_secs(args.backoff.max(1)),
        max_failures: args.max_failures.max(1),
    };
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let names: Vec<&str> = clusters
        .iter()
        .map(|c| c.inventory.cluster.name.as_str())
        .collect();
    notifier.log(&format!(
        "watch: watching {} every {}s{}{}",
        names.join(", "),
        args.interval.max(1),
        if args.dry_run {
            " (dry run: the commands' own --dry-run runs instead of each action)"
        } else {
            ""
        },
        args.listen.as_ref().map_or(String::new(), |a| format!(
            "; metrics on http://{a}/metrics"
        )),
    ));
    let common = Common {
        args,
        rules,
        notifier,
        board,
        stop,
    };
    let signals = async {
        let signal = crate::interrupt::interrupted().await;
        common.notifier.log(&format!(
            "watch: {signal}: stopping once any action under way has ended"
        ));
        let _ = stop_tx.send(true);
        std::future::pending::<()>().await;
    };
    let loops = futures::future::join_all(clusters.iter().map(|c| watch_cluster(c, &common)));
    let codes = tokio::select! {
        codes = loops => codes,
        () = signals => Vec::new(),
    };
    let code = codes.into_iter().max().unwrap_or(exit::OK);
    Ok(ExitCode::from(code))
}

/// The inventories given, else the usual default one; absolute, for the unit and the children.
fn inventory_paths(args: &WatchArgs) -> Result<Vec<PathBuf>, Failure> {
    let given = if args.inventories.is_empty() {
        vec![super::inventory_path(&crate::cli::InventoryArg {
            positional: None,
            flag: None,
        })?]
    } else {
        args.inventories.clone()
    };
    given
        .into_iter()
        .map(|p| {
            std::path::absolute(&p)
                .map_err(|e| Failure::new(exit::NO_INVENTORY, format!("{}: {e}", p.display())))
        })
        .collect()
}

fn print_unit(args: &WatchArgs, paths: &[PathBuf]) -> Outcome {
    if args.dry_run || args.once {
        return Err(Failure::new(
            exit::USAGE,
            "--unit prints a service that acts; it takes neither --dry-run nor --once",
        ));
    }
    let exe = std::env::current_exe()
        .map_err(|e| Failure::new(exit::FAILED, format!("cannot find galeractl's binary: {e}")))?;
    let r = &args.remote;
    let mut extra: Vec<String> = [
        ("--interval", args.interval),
        ("--settle", args.settle),
        ("--backoff", args.backoff),
        ("--max-failures", u64::from(args.max_failures)),
        ("--connect-timeout", r.connect_timeout),
        ("--step-timeout", r.step_timeout),
        ("--sync-timeout", r.sync_timeout),
    ]
    .iter()
    .flat_map(|(flag, value)| [(*flag).to_string(), value.to_string()])
    .collect();
    if r.accept_new_host_keys {
        extra.push("--accept-new-host-keys".into());
    }
    if let Some(l) = &args.listen {
        extra.extend(["--listen".into(), l.clone()]);
    }
    if let Some(f) = &args.webhook_url_file {
        extra.extend(["--webhook-url-file".into(), f.display().to_string()]);
    }
    if let Some(c) = &args.notify_command {
        extra.extend(["--notify-command".into(), c.clone()]);
    }
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    out!(
        "{}",
        watch::systemd_unit(&exe.display().to_string(), &paths, &extra)
    );
    Ok(ExitCode::SUCCESS)
}

/// Looks at one cluster, decides and acts, until stopped (or once). Its exit code with
/// `--once`: 0 nothing to do or done, 2 an action failed, 3 held back.
async fn watch_cluster(cluster: &Watched, common: &Common<'_>) -> u8 {
    let args = common.args;
    let name = cluster.inventory.cluster.name.clone();
    let started = Instant::now();
    let mut memory = Memory::default();
    let mut inventory = cluster.inventory.clone();
    let mut password = cluster.password.clone();
    let mut last_holding: Option<String> = None;
    let mut lock_said = false;
    let mut reload_error = None;
    let mut stop = common.stop.clone();
    loop {
        if *stop.borrow() {
            return exit::OK;
        }
        (inventory, password) = reload(
            &cluster.path,
            (inventory, password),
            &common.notifier,
            &mut reload_error,
        );
        let how = crate::observe::status::Reading {
            options: super::quick_ssh_options(&args.remote),
            timeout: super::PROBE_TIMEOUT,
            logs: false,
        };
        let facts = crate::observe::watch::look(&inventory, &password, &how).await;
        let report = crate::report::StatusReport::of(&inventory, facts.status);
        let view = watch::look::view(&inventory, &report, &facts.reads);
        let decision = watch::decide(&view, &memory, &common.rules, started.elapsed());
        if let Ok(mut b) = common.board.lock() {
            b.clusters.insert(
                name.clone(),
                (crate::prometheus::render(&report), Instant::now()),
            );
            *b.counters.observations.entry(name.clone()).or_default() += 1;
            b.counters
                .faults
                .insert(name.clone(), decision.faults.len() as u64);
            b.counters
                .gave_up
                .insert(name.clone(), decision.memory.gave_up);
        }
        for event in &decision.events {
            common.notifier.send(event).await;
        }
        memory = decision.memory.clone();
        if decision.faults.is_empty() {
            // A held lock is said again in the next episode.
            lock_said = false;
        }
        if decision.holding != last_holding {
            if let Some(h) = &decision.holding {
                common
                    .notifier
                    .log(&format!("watch: cluster={name} holding: {h}"));
            }
            last_holding = decision.holding.clone();
        }
        let mut code = match (&decision.holding, decision.faults.is_empty()) {
            (Some(_), false) => exit::REFUSED,
            _ => exit::OK,
        };
        if let Some(action) = decision.action {
            if *stop.borrow() {
                return exit::OK;
            }
            let ended = act_on(cluster, common, &action).await;
            let after = watch::after_ended(
                &memory,
                &common.rules,
                started.elapsed(),
                (&action, &ended),
                lock_said,
            );
            memory = after.memory;
            lock_said = after.lock_said;
            code = after.code.unwrap_or(code);
            if after.gave_up {
                if let Ok(mut b) = common.board.lock() {
                    b.counters.gave_up.insert(name.clone(), true);
                }
            }
            if let Some((kind, text)) = after.tell {
                common.notifier.send(&Event::new(&name, kind, &text)).await;
            }
        }
        if args.once {
            return code;
        }
        // While an action settles, looks come every second: it is taken as soon as it is due.
        let pause = if decision.settling {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(args.interval.max(1))
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.changed() => {}
        }
    }
}

/// The inventory again (an operator may have edited it); the one before when it no longer
/// loads, said once per change of the reason.
/// The monitoring password is read again with it (a rotated password).
fn reload(
    path: &std::path::Path,
    before: (Inventory, Secret),
    notifier: &tell::Notifier,
    said: &mut Option<String>,
) -> (Inventory, Secret) {
    let loaded = inventory::load(path, inventory::Secrets::Required)
        .map_err(|e| e.to_string())
        .and_then(|(inventory, _)| {
            let password = super::monitor_password(&inventory).map_err(|e| e.message)?;
            Ok((inventory, password))
        });
    match loaded {
        Ok(now) => {
            *said = None;
            now
        }
        Err(why) => {
            if said.as_deref() != Some(why.as_str()) {
                notifier.log(&format!(
                    "watch: {} no longer loads ({why}); watching with the one loaded before",
                    path.display()
                ));
                *said = Some(why);
            }
            before
        }
    }
}

async fn act_on(cluster: &Watched, common: &Common<'_>, action: &Action) -> watch::Ended {
    let args = common.args;
    let name = &cluster.inventory.cluster.name;
    let child = act::child_args(action, &cluster.path, &args.remote, args.dry_run);
    let command = format!("galeractl {}", crate::argv::shell_join(&child));
    let kind = action.name();
    let started = Event::new(
        name,
        EventKind::ActionStarted,
        &format!(
            "{}{}",
            action.describe(),
            if args.dry_run { " (dry run)" } else { "" }
        ),
    )
    .with_command(command.clone());
    common.notifier.send(&started).await;
    count(common, name, kind, "started");
    let log = |line: &str| {
        common
            .notifier
            .log(&format!("watch: cluster={name} [{kind}] {line}"));
    };
    let ended = act::run(&child, &log).await;
    let why = ended.last_lines.join(" / ");
    let mut event = match ended.code {
        Some(0) => Event::new(name, EventKind::ActionDone, &action.describe()),
        Some(c) if c == i32::from(exit::LOCKED) => {
            count(common, name, kind, "locked");
            return watch::Ended::Locked(why);
        }
        code => Event::new(
            name,
            EventKind::ActionFailed,
            &format!(
                "{} {}: {why}",
                action.describe(),
                code.map_or("ended by a signal".to_string(), |c| format!("exited {c}"))
            ),
        ),
    }
    .with_command(command);
    event.seconds = Some(ended.seconds);
    common.notifier.send(&event).await;
    match (ended.code, args.dry_run) {
        (Some(0), true) => {
            count(common, name, kind, "dry_run");
            watch::Ended::DryRun
        }
        (Some(0), false) => {
            count(common, name, kind, "done");
            watch::Ended::Done
        }
        _ => {
            count(common, name, kind, "failed");
            watch::Ended::Failed
        }
    }
}

fn count(common: &Common<'_>, cluster: &str, action: &str, result: &str) {
    if let Ok(mut b) = common.board.lock() {
        b.counters.count_action(cluster, action, result);
    }
}
