//! What preflight reads: every host (login, Docker, disk, images, the proxy's and arbitrator's
//! programs, ports, clock), and the cluster's ports tried from host to host through a
//! short-lived listener container (removed at the end; it ends by itself after
//! `preflight::LISTENER_SECS`). `preflight::judge` decides from what is read here.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use crate::docker;
use crate::inventory::{Inventory, LOCAL_HOST};
use crate::observe::{self, program::ProgramCheck};
use crate::preflight::{self, HostReading, Link, LinkResult, Login};
use crate::ssh::{Hosts, Remote, SshOptions, Target};

/// Everything preflight reads, over SSH connections of its own (to every host that answers,
/// closed at the end): each host of the inventory, then the links between them.
pub async fn read(
    inventory: &Inventory,
    options: &SshOptions,
) -> (Vec<HostReading>, Vec<(Link, LinkResult)>) {
    let names = preflight::hosts(inventory);
    let targets: Vec<Target> = names
        .iter()
        .map(|h| Target::for_host(inventory, h))
        .collect();
    let (hosts, errors) = Hosts::connect_reachable(targets, options).await;
    let readings = read_hosts(inventory, &hosts, &names, &errors).await;
    let links = check_links(inventory, &hosts, &readings, &preflight::links(inventory)).await;
    hosts.close().await;
    (readings, links)
}

/// Each host's reading, in the inventory's order (those out of reach with their SSH error).
pub async fn read_hosts(
    inventory: &Inventory,
    hosts: &Hosts,
    names: &[String],
    errors: &[crate::ssh::SshError],
) -> Vec<HostReading> {
    let images = preflight::images(inventory);
    futures::future::join_all(names.iter().map(|name| {
        let wanted = images.get(name).cloned().unwrap_or_default();
        async move {
            if let Some(remote) = hosts.get(name) {
                read_host(inventory, &remote, &wanted).await
            } else {
                let why = errors
                    .iter()
                    .map(ToString::to_string)
                    .find(|e| e.contains(&format!("host {name}:")))
                    .unwrap_or_else(|| "no connection".into());
                HostReading::unreachable(name, why)
            }
        }
    }))
    .await
}

/// The names of the containers that run (or restart) on a host.
fn running_names(rows: &[observe::ContainerRow]) -> BTreeSet<String> {
    rows.iter()
        .filter(|r| r.is_running())
        .map(|r| r.name.clone())
        .collect()
}

async fn read_host(inventory: &Inventory, remote: &Remote, images: &[String]) -> HostReading {
    let login = login(remote).await;
    let mut reading = HostReading::unreachable(&remote.host, String::new());
    reading.ssh = Ok(());
    reading.login = login.clone();
    if !matches!(login, Ok(Login::Root)) {
        return reading;
    }
    let present = futures::future::join_all(images.iter().map(|image| async move {
        let there = observe::image_present(remote, image).await.unwrap_or(false);
        (image.clone(), there)
    }));
    let ss = docker::shell::listening_ports();
    let (docker, disk, present, listening, containers, clock) = tokio::join!(
        observe::docker_version(remote),
        disk_free(remote),
        present,
        remote.run(&ss, None, remote.command_timeout()),
        observe::containers(remote),
        clock(remote),
    );
    reading.docker = docker.map_err(|e| e.to_string());
    reading.disk_free = disk;
    reading.programs = programs(inventory, remote, &present).await;
    reading.images = present;
    reading.listening = listening
        .ok()
        .filter(|o| o.code == 0)
        .map(|o| observe::parse_listening(&o.stdout));
    reading.own_ports = preflight::own_ports(
        inventory,
        &remote.host,
        &running_names(&containers.unwrap_or_default()),
    );
    reading.clock = clock;
    reading
}

/// Who the commands run as: `id -u` (through `sudo -n` with `[ssh] sudo = true`). This
/// machine's own Docker needs no root.
async fn login(remote: &Remote) -> Result<Login, String> {
    if remote.host == LOCAL_HOST {
        return Ok(Login::Root);
    }
    let out = remote
        .run(&docker::shell::user_id(), None, remote.command_timeout())
        .await
        .map_err(|e| e.to_string())?;
    if out.code != 0 {
        let said = out.stderr.trim().to_string();
        return if said.contains("sudo") {
            Ok(Login::SudoRefused(said))
        } else {
            Err(format!("`id -u` exits {}: {said}", out.code))
        };
    }
    match out.stdout.trim().parse::<u32>() {
        Ok(0) => Ok(Login::Root),
        Ok(uid) => Ok(Login::NotRoot(uid)),
        Err(_) => Err(format!("`id -u` printed {:?}", out.stdout.trim())),
    }
}

/// Free bytes under Docker's data root.
async fn disk_free(remote: &Remote) -> Result<u64, String> {
    let root = remote
        .run_ok(&docker::read::root_dir(), None)
        .await
        .map_err(|e| e.to_string())?;
    let df = remote
        .run_ok(&docker::shell::disk_free(root.trim()), None)
        .await
        .map_err(|e| e.to_string())?;
    preflight::parse_df_free(&df).ok_or_else(|| format!("cannot read `df -Pk`: {df:?}"))
}

/// The host's clock minus this machine's, read between two local readings.
async fn clock(remote: &Remote) -> Result<(f64, f64), String> {
    let now = || {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default()
    };
    let before = now();
    let out = remote
        .run_ok(&docker::shell::clock(), None)
        .await
        .map_err(|e| e.to_string())?;
    let after = now();
    let theirs: f64 = out
        .trim()
        .parse()
        .map_err(|_| format!("`date +%s.%N` printed {:?}", out.trim()))?;
    Ok((
        theirs - f64::midpoint(before, after),
        (after - before) / 2.0,
    ))
}

/// The proxy's and the arbitrator's images run their program (when they are there).
async fn programs(
    inventory: &Inventory,
    remote: &Remote,
    present: &[(String, bool)],
) -> Vec<(String, Result<(), String>)> {
    let mut wanted = Vec::new();
    if let Some(h) = inventory.haproxy.as_ref().filter(|h| h.host == remote.host) {
        wanted.push((&h.image, "haproxy", "-v"));
    }
    if let Some(a) = inventory
        .arbitrator
        .as_ref()
        .filter(|a| a.host == remote.host)
    {
        wanted.push((&a.image, "garbd", "--version"));
    }
    let mut results = Vec::new();
    for (image, program, flag) in wanted {
        if !present.iter().any(|(i, there)| i == image && *there) {
            continue;
        }
        let what = format!("{program} in {image}");
        let result = match observe::program::check(remote, image, program, flag).await {
            Ok(ProgramCheck::Runs) => Ok(()),
            Ok(ProgramCheck::Missing(said)) => Err(format!(
                "missing (its container would loop, restarting): {said}"
            )),
            Ok(ProgramCheck::Fails(code, said)) => {
                Err(format!("`{program} {flag}` exits {code}: {said}"))
            }
            Err(e) => Err(e.to_string()),
        };
        results.push((what, result));
    }
    results
}

/// Each connect's result from one source host, or why none ran.
type Connects = Result<Vec<((String, u16), LinkResult)>, String>;

/// Whether a host was read well enough to start a listener on or connect from.
fn readable(readings: &[HostReading], host: &str) -> bool {
    readings
        .iter()
        .find(|r| r.host == host)
        .is_some_and(|r| matches!(r.login, Ok(Login::Root)) && r.docker.is_ok())
}

/// The port mesh: a listener on every host that is a link's end (the node image's socat, on
/// the ports nothing listens on yet), the connects from every host at once, the listeners
/// removed. A host without a reading, or without the node image, is not checked.
pub async fn check_links(
    inventory: &Inventory,
    hosts: &Hosts,
    readings: &[HostReading],
    links: &[Link],
) -> Vec<(Link, LinkResult)> {
    let ends: BTreeSet<&str> = links.iter().map(|l| l.to.as_str()).collect();
    let started =
        futures::future::join_all(ends.iter().map(|&host| async move {
            (host, listen(inventory, hosts, readings, links, host).await)
        }))
        .await;
    let listeners: BTreeMap<&str, Result<bool, String>> = started.into_iter().collect();
    let sources: BTreeSet<&str> = links.iter().map(|l| l.from.as_str()).collect();
    let connected = futures::future::join_all(sources.iter().map(|&from| {
        let mine: Vec<&Link> = links
            .iter()
            .filter(|l| l.from == from && matches!(listeners.get(l.to.as_str()), Some(Ok(_))))
            .filter(|l| !l.held_idle(readings.iter().find(|r| r.host == l.to)))
            .collect();
        async move {
            if from == preflight::THIS_MACHINE {
                (from, Ok(connect_here(&mine).await))
            } else {
                (from, connect(hosts, readings, from, &mine).await)
            }
        }
    }))
    .await;
    let by_source: BTreeMap<&str, Connects> = connected.into_iter().collect();
    // The listeners go, whatever happened.
    let ours = listeners.iter().filter(|(_, l)| matches!(l, Ok(true)));
    futures::future::join_all(ours.map(|(&host, _)| async move {
        if let Some(remote) = hosts.get(host) {
            let argv = docker::listener::remove(&preflight::listener_name(&inventory.cluster.name));
            if let Err(e) = remote.run(&argv, None, remote.command_timeout()).await {
                tracing::warn!(
                    host,
                    "the preflight listener was not removed ({e}); it ends by itself"
                );
            }
        }
    }))
    .await;
    links
        .iter()
        .map(|link| {
            let result = if link.held_idle(readings.iter().find(|r| r.host == link.to)) {
                LinkResult::Own
            } else {
                match (
                    listeners.get(link.to.as_str()),
                    by_source.get(link.from.as_str()),
                ) {
                    (Some(Err(why)), _) => LinkResult::NotChecked(why.clone()),
                    (_, Some(Ok(results))) => results
                        .iter()
                        .find(|((h, p), _)| *h == link.to && *p == link.port)
                        .map_or(LinkResult::NotChecked("no result".into()), |(_, r)| {
                            r.clone()
                        }),
                    (_, Some(Err(why))) => {
                        LinkResult::NotChecked(format!("from {}: {why}", link.from))
                    }
                    _ => LinkResult::NotChecked("no result".into()),
                }
            };
            (link.clone(), result)
        })
        .collect()
}

/// Starts the listener on `host` for the ports its links need: `Ok(true)` started, `Ok(false)`
/// none needed (all listen already), `Err` why the links to it are not checked.
async fn listen(
    inventory: &Inventory,
    hosts: &Hosts,
    readings: &[HostReading],
    links: &[Link],
    host: &str,
) -> Result<bool, String> {
    let image = &inventory.cluster.image;
    let reading = readings.iter().find(|r| r.host == host);
    if !readable(readings, host) {
        return Err("the host could not be read".into());
    }
    let Some(reading) = reading.filter(|r| r.images.iter().any(|(i, p)| i == image && *p)) else {
        return Err(format!(
            "the node image {image} is not there for the listener"
        ));
    };
    let listening = reading.listening.clone().unwrap_or_default();
    let ports = preflight::listener_ports(host, links, &listening, &reading.own_ports);
    if ports.is_empty() {
        return Ok(false);
    }
    let remote = hosts.get(host).ok_or("no connection")?;
    let argv = docker::listener::run(
        &preflight::listener_name(&inventory.cluster.name),
        &inventory.cluster.name,
        image,
        &ports,
        preflight::LISTENER_SECS,
    );
    match remote.run(&argv, None, remote.command_timeout()).await {
        Ok(out) if out.code == 0 => {}
        Ok(out) => return Err(format!("its listener did not start: {}", out.stderr.trim())),
        Err(e) => return Err(format!("its listener did not start: {e}")),
    }
    // A node image without socat or timeout: the container ends at once (and --rm removes it),
    // and every connect would fail as if a firewall dropped it.
    let running = docker::listener::running(&preflight::listener_name(&inventory.cluster.name));
    match remote.run(&running, None, remote.command_timeout()).await {
        Ok(out) if out.code == 0 && out.stdout.trim() == "true" => Ok(true),
        _ => Err(format!(
            "its listener (socat in {image}) ended at once: the image lacks socat or timeout"
        )),
    }
}

/// The connects from this machine (galeractl's own probes), all at once, each tried until it
/// succeeds or `preflight::CONNECT_SECS` pass.
async fn connect_here(links: &[&Link]) -> Vec<((String, u16), LinkResult)> {
    let deadline = std::time::Duration::from_secs(preflight::CONNECT_SECS);
    futures::future::join_all(links.iter().map(|l| async move {
        let started = std::time::Instant::now();
        let reached = loop {
            let attempt = tokio::time::timeout(
                std::time::Duration::from_secs(1),
                tokio::net::TcpStream::connect((l.to.as_str(), l.port)),
            )
            .await;
            if matches!(attempt, Ok(Ok(_))) {
                break true;
            }
            if started.elapsed() >= deadline {
                break false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        };
        let result = if reached {
            LinkResult::Reached
        } else {
            LinkResult::Failed
        };
        ((l.to.clone(), l.port), result)
    }))
    .await
}

/// The connects from one host to its links' ends, all at once.
async fn connect(hosts: &Hosts, readings: &[HostReading], from: &str, links: &[&Link]) -> Connects {
    let targets: Vec<(String, u16)> = links.iter().map(|l| (l.to.clone(), l.port)).collect();
    if targets.is_empty() || !readable(readings, from) {
        return Err("the host could not be read".into());
    }
    let remote = hosts.get(from).ok_or("no connection")?;
    let timeout = std::time::Duration::from_secs(preflight::CONNECT_SECS + 10);
    match remote
        .run(
            &docker::listener::connect(&targets, preflight::CONNECT_SECS),
            None,
            timeout,
        )
        .await
    {
        Ok(out) if out.code == 0 => {
            let results = preflight::parse_connects(&targets, &out.stdout);
            Ok(targets.into_iter().zip(results).collect())
        }
        Ok(out) => Err(format!(
            "bash could not run the connects: {}",
            out.stderr.trim()
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// `up`'s check before its first change, when it creates nodes: the links to and from their
/// hosts, with what `up` read of each host. The links that fail, as `up`'s problems.
pub async fn links_before_up(
    inventory: &Inventory,
    hosts: &Hosts,
    facts: &[(String, observe::HostFacts)],
    new_hosts: &BTreeSet<String>,
) -> Vec<String> {
    let readings: Vec<HostReading> = facts
        .iter()
        .map(|(host, f)| {
            let mut r = HostReading::unreachable(host, String::new());
            r.ssh = Ok(());
            r.login = Ok(Login::Root);
            r.docker = Ok(String::new());
            r.images = vec![(inventory.cluster.image.clone(), f.image_present)];
            r.listening.clone_from(&f.listening);
            r.own_ports = preflight::own_ports(inventory, host, &running_names(&f.containers));
            r
        })
        .collect();
    let links: Vec<Link> = preflight::links(inventory)
        .into_iter()
        .filter(|l| new_hosts.contains(&l.from) || new_hosts.contains(&l.to))
        .collect();
    if links.is_empty() {
        return Vec::new();
    }
    tracing::info!(
        "checking the cluster's ports between hosts ({} connections; a listener container {} for at most {}s)",
        links.len(),
        preflight::listener_name(&inventory.cluster.name),
        preflight::LISTENER_SECS
    );
    let results = check_links(inventory, hosts, &readings, &links).await;
    for (l, r) in &results {
        if let LinkResult::NotChecked(why) = r {
            tracing::warn!(
                "{} to {}:{} ({}) not checked: {why}; a firewall that drops it would show as a join that times out",
                l.from,
                l.to,
                l.port,
                l.what
            );
        }
    }
    results
        .into_iter()
        .filter(|(_, r)| *r == LinkResult::Failed)
        .map(|(l, _)| {
            let from = if l.from == preflight::THIS_MACHINE {
                l.from.clone()
            } else {
                format!("host {}", l.from)
            };
            format!(
                "{from} cannot reach {}:{} ({}) within {}s: open port {} from {} to {} (`galeractl preflight` checks every host)",
                l.to, l.port, l.what, preflight::CONNECT_SECS, l.port, l.from, l.to
            )
        })
        .collect()
}
