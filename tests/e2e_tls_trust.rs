//! End to end on the lab (second safety review, L-4 and M-6): a TLS cluster ("tlstrust", ports
//! 4486/5767/5644/5768, mariabackup SST) whose root password is `a#b"c\d` (a `#`, a quote and a
//! backslash), made from "machine A" (one directory with the inventory and its `tls.dir`).
//! In order:
//! 1. a node's certificate made anew on A: `up` writes it and reloads it as root (the option
//!    file quotes the password) without a restart, and verifies the cluster;
//! 2. "machine B" (the same inventory in another directory, no `tls.dir`): with one node's
//!    container removed, `recover` refuses (exit 3), makes no CA, and leaves the hosts'
//!    `tls-ca.crt` as it was;
//! 3. B with a CA of its own: `recover`, and `start-node` of a node whose container is gone,
//!    refuse (exit 3) and name the host whose CA differs; from A, `start-node` brings it back.

mod support;

use std::path::Path;

use support::lab::{Lab, HOSTS};
use support::*;

const CLUSTER: &str = "tlstrust";
const PORT: u16 = 4486;
const ROOT_PASSWORD: &str = "a#b\"c\\d";

/// The inventory in `dir` (its `tls.dir` is `dir/tls`), with the hostile root password.
fn inventory(lab: &Lab, dir: &Path) -> String {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    let root = dir.join("root-password");
    std::fs::write(&root, format!("{ROOT_PASSWORD}\n")).unwrap_or_else(|e| panic!("{e}"));
    secret(&root, 0o600);
    let text = lab
        .cluster_inventory(CLUSTER, [PORT, 5767, 5644, 5768])
        .replace(
            &format!(
                "root_password_file = \"{}\"",
                lab.out.join("secrets/root-password").display()
            ),
            &format!("root_password_file = \"{}\"", root.display()),
        )
        .replace("[cluster]\n", "[cluster]\nsst_method = \"mariabackup\"\n")
        + "\n[tls]\nenabled = true\ndir = \"tls\"\n";
    assert!(text.contains(&root.display().to_string()), "{text}");
    let path = dir.join("tlstrust.toml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = galeractl(args);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn host_cas(lab: &Lab) -> Vec<String> {
    HOSTS
        .iter()
        .map(|h| lab.ssh_ok(h, &format!("cat /etc/galeractl/{CLUSTER}/tls-ca.crt")))
        .collect()
}

#[test]
fn tls_renewal_quotes_the_password_and_no_command_but_up_makes_a_ca() {
    let Some(lab) = Lab::find() else { return };
    let scratch_dir = scratch("e2e_tls_trust");
    let a_dir = scratch_dir.join("a");
    let b_dir = scratch_dir.join("b");
    let a = inventory(&lab, &a_dir);
    let b = inventory(&lab, &b_dir);
    lab.wipe_cluster(CLUSTER);
    galeractl_ok(&["up", &a]);
    let cas = host_cas(&lab);
    let started = |i: usize| {
        lab.ssh_ok(
            HOSTS[i],
            &format!(
                "docker inspect -f '{{{{.State.StartedAt}}}}' {CLUSTER}-{}",
                ["nodea", "nodeb", "nodec"][i]
            ),
        )
    };

    // 1. L-4: nodeb's certificate made anew on A, renewed and reloaded by up, no restart.
    let before = started(1);
    for f in ["nodeb.crt", "nodeb.key"] {
        std::fs::remove_file(a_dir.join("tls").join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    let plan = galeractl_ok(&["up", &a, "--dry-run"]);
    assert!(
        plan.contains("renew nodeb's TLS certificate (no restart)") && plan.contains("FLUSH SSL;"),
        "{plan}"
    );
    let (code, stdout, stderr) = run(&["up", &a]);
    assert_eq!(code, 0, "up with the renewal:\n{stdout}\n{stderr}");
    assert_eq!(started(1), before, "the renewal restarted nodeb");

    // 2. M-6: machine B has no CA; nodec's container is gone.
    galeractl_ok(&["stop-node", "nodec", &a]);
    lab.ssh_ok(HOSTS[2], &format!("docker rm {CLUSTER}-nodec >/dev/null"));
    for extra in [&["--dry-run"][..], &[][..]] {
        let mut args = vec!["recover", b.as_str()];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 3, "recover {extra:?} from B:\n{stdout}\n{stderr}");
        assert!(
            stderr.contains(&format!(
                "{}/tls/ca.crt is missing; recover never makes a CA",
                b_dir.display()
            )),
            "{stderr}"
        );
    }
    assert!(!b_dir.join("tls/ca.crt").exists(), "recover made a CA on B");
    assert_eq!(host_cas(&lab), cas, "a host's CA changed");

    // 3. B with another CA: refused by recover and start-node, the host named.
    std::fs::create_dir_all(b_dir.join("tls")).unwrap_or_else(|e| panic!("{e}"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=another CA",
        ])
        .arg("-keyout")
        .arg(b_dir.join("tls/ca.key"))
        .arg("-out")
        .arg(b_dir.join("tls/ca.crt"))
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(made.status.success(), "{}", text(&made.stderr));
    for args in [
        vec!["recover", b.as_str(), "--dry-run"],
        vec!["start-node", "nodec", b.as_str()],
    ] {
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 3, "{args:?} from B:\n{stdout}\n{stderr}");
        let seen =
            format!("is not the one the cluster trusts (/etc/galeractl/{CLUSTER}/tls-ca.crt on ");
        assert!(
            stderr.contains(&seen) && stderr.contains(HOSTS[2]) && stderr.contains(" differs)"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(host_cas(&lab), cas, "a host's CA changed");

    // From A, the node comes back.
    galeractl_ok(&["start-node", "nodec", &a]);
    galeractl_ok(&["up", &a]);
    lab.wipe_cluster(CLUSTER);
}
