//! `preflight`'s port mesh: a short-lived listener container on a host (the node image's
//! `socat` on each port, published as a node's ports are), and the connects from another host
//! to it. Pure builders; the name, the lifetime and the connect deadline come from
//! `preflight`, and `observe::preflight` runs them (and removes the listener at the end).

use crate::argv::{words, Argv};

/// The label of the short-lived listener containers (its value: the cluster's name).
pub const LABEL: &str = "io.galeractl.preflight";

/// `docker run` of a listener named `name`: the node image's socat accepts on each port
/// (published like a node's, so Docker's forwarding and the host's firewall are on the way)
/// and closes at once; the container ends by itself after `secs`.
pub fn run(name: &str, cluster: &str, image: &str, ports: &[u16], secs: u64) -> Argv {
    let mut argv = words(&[
        "docker",
        "run",
        "-d",
        "--rm",
        "--name",
        name,
        "--label",
        &format!("{LABEL}={cluster}"),
    ]);
    for p in ports {
        argv.push("--publish".into());
        argv.push(format!("{p}:{p}"));
    }
    let script = ports
        .iter()
        .map(|p| format!("socat -u OPEN:/dev/null TCP-LISTEN:{p},fork,reuseaddr & "))
        .collect::<String>();
    argv.extend(words(&[
        "--entrypoint",
        "timeout",
        image,
        &secs.to_string(),
        "sh",
        "-c",
        &format!("{script}wait"),
    ]));
    argv
}

/// `docker inspect` of the listener: `true` while it runs.
pub fn running(name: &str) -> Argv {
    super::read::running(name)
}

/// `docker rm -f` of the listener.
pub fn remove(name: &str) -> Argv {
    words(&["docker", "rm", "-f", name])
}

/// The connects from one host, all at once, each tried until it succeeds or `secs` pass (a
/// listener may still be starting): bash's `/dev/tcp`, so the host needs bash and coreutils'
/// `timeout`, no more. Prints `ok HOST:PORT` or `fail HOST:PORT`.
pub fn connect(targets: &[(String, u16)], secs: u64) -> Argv {
    let script = format!(
        "for t in \"$@\"; do ( end=$(( $(date +%s) + {secs} )); \
         while :; do \
         if timeout 1 bash -c \"exec 3<>/dev/tcp/${{t%:*}}/${{t##*:}}\" 2>/dev/null; then echo \"ok $t\"; break; fi; \
         if [ \"$(date +%s)\" -ge \"$end\" ]; then echo \"fail $t\"; break; fi; \
         sleep 0.3; done ) & done; wait"
    );
    let mut argv: Argv = vec!["bash".into(), "-c".into(), script, "connect".into()];
    argv.extend(targets.iter().map(|(h, p)| format!("{h}:{p}")));
    argv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listener_is_exact() {
        assert_eq!(
            run("galeractl-preflight-shop-7", "shop", "mariadb:11.4", &[5567, 5444], 90).join(" "),
            "docker run -d --rm --name galeractl-preflight-shop-7 --label io.galeractl.preflight=shop --publish 5567:5567 --publish 5444:5444 --entrypoint timeout mariadb:11.4 90 sh -c socat -u OPEN:/dev/null TCP-LISTEN:5567,fork,reuseaddr & socat -u OPEN:/dev/null TCP-LISTEN:5444,fork,reuseaddr & wait"
        );
        assert_eq!(
            running("l"),
            ["docker", "inspect", "--format", "{{.State.Running}}", "l"]
        );
        assert_eq!(remove("l"), ["docker", "rm", "-f", "l"]);
    }

    #[test]
    fn the_connects_are_exact() {
        let targets = [("10.0.0.2".to_string(), 5567), ("db3".to_string(), 4306)];
        let argv = connect(&targets, 4);
        assert_eq!(argv.len(), 6);
        assert_eq!(argv[..2], ["bash", "-c"]);
        assert_eq!(
            argv[2],
            "for t in \"$@\"; do ( end=$(( $(date +%s) + 4 )); while :; do if timeout 1 bash -c \"exec 3<>/dev/tcp/${t%:*}/${t##*:}\" 2>/dev/null; then echo \"ok $t\"; break; fi; if [ \"$(date +%s)\" -ge \"$end\" ]; then echo \"fail $t\"; break; fi; sleep 0.3; done ) & done; wait"
        );
        assert_eq!(argv[3..], ["connect", "10.0.0.2:5567", "db3:4306"]);
    }
}
