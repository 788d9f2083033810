//! The release packaging: `release/package` (what `release/build` runs on the release binary)
//! run on cargo's own binary, so CI makes no release build of its own. The archive holds
//! exactly the binary, the man page, three completions, the licenses, README.md, the book's chapters (docs/src) and
//! SHA256SUMS, and its sums hold; the .deb's Depends names libc6 and openssh-client. Then the
//! .deb is installed with `dpkg -i` into a clean Debian 12 container without a network
//! (Debian's minbase root filesystem that lab/lab caches, plus openssh-client and man-db): the
//! binary answers `--version`, `man -w` finds the page and `man` renders it, the bash
//! completion registers and completes, `dpkg -V` finds every file intact, and `dpkg --purge`
//! leaves none behind.
//!
//! Needs dockerd and dpkg-deb here, and lab/lab's cached bookworm root filesystem; with
//! CI=true their absence fails the test. The clean image is built once (about a minute, from
//! the Debian mirror) and kept as galeractl-test/debian-clean:bookworm, labelled
//! io.galeractl.test=packaging and with the hash of what it is made from; a later run reuses
//! it. Every container the test makes is removed when it ends.

mod support;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

use support::*;

const LABEL: &str = "io.galeractl.test=packaging";
const RECIPE_LABEL: &str = "io.galeractl.test.recipe";
const IMAGE: &str = "galeractl-test/debian-clean:bookworm";
/// lab/lab's cached root filesystems (`debootstrap --variant=minbase`).
const ROOTFS_CACHE: &str = "/var/cache/galeractl-lab";
/// What the clean image adds to minbase: what the .deb depends on and `man`.
const PACKAGES: &str = "openssh-client man-db";
/// Bump when the way the image is made changes.
const IMAGE_FORMAT: &str = "1";

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

fn run_ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}):\n{}\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null")])
        .status()
        .is_ok_and(|s| s.success())
}

/// What the test needs is missing: skipped outside CI, a failure under CI=true.
fn skip(what: &str) {
    assert!(std::env::var("CI").is_err(), "CI=true: {what}");
    eprintln!("skipped: {what}");
}

fn version() -> String {
    let manifest =
        std::fs::read_to_string(root().join("Cargo.toml")).unwrap_or_else(|e| panic!("{e}"));
    let table: toml::Table = manifest.parse().unwrap_or_else(|e| panic!("{e}"));
    table["package"]["version"]
        .as_str()
        .unwrap_or_else(|| panic!("no package.version"))
        .to_string()
}

struct Artifacts {
    dir: PathBuf,
    tarball: PathBuf,
    deb: PathBuf,
}

/// `release/package` of cargo's binary, once for both tests.
fn artifacts() -> &'static Artifacts {
    static ONCE: OnceLock<Artifacts> = OnceLock::new();
    ONCE.get_or_init(|| {
        let dir = scratch("package");
        let started = Instant::now();
        let out = Command::new(root().join("release/package"))
            .arg(env!("CARGO_BIN_EXE_galeractl"))
            .arg(&dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run release/package: {e}"));
        let stdout = text(&out.stdout);
        assert!(
            out.status.success(),
            "release/package failed ({}):\n{stdout}\n{}",
            out.status,
            text(&out.stderr)
        );
        eprintln!(
            "release/package: {:.1}s\n{stdout}",
            started.elapsed().as_secs_f64()
        );
        let v = version();
        let tarball = dir.join(format!("galeractl-{v}-x86_64-linux.tar.gz"));
        let deb = dir.join(format!("galeractl_{v}_amd64.deb"));
        // Each artifact printed with its sha256, and the sums file agreeing.
        for path in [&tarball, &deb] {
            let line = run_ok("sha256sum", &[&path.display().to_string()]);
            assert!(
                stdout.contains(line.trim()),
                "{line} not printed:\n{stdout}"
            );
        }
        let check = Command::new("sha256sum")
            .args(["--check", "--strict", "SHA256SUMS"])
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(check.status.success(), "{}", text(&check.stdout));
        Artifacts { dir, tarball, deb }
    })
}

#[test]
fn the_archive_holds_the_binary_its_docs_and_their_sums() {
    if !have("dpkg-deb") {
        return skip("no dpkg-deb here (apt-get install dpkg)");
    }
    let a = artifacts();
    let v = version();
    let top = format!("galeractl-{v}-x86_64-linux");
    let listing = run_ok("tar", &["-tzf", &a.tarball.display().to_string()]);
    let mut names: Vec<&str> = listing.lines().collect();
    names.sort_unstable();
    let expected: Vec<String> = [
        "",
        "LICENSE-APACHE",
        "LICENSE-MIT",
        "README.md",
        "SHA256SUMS",
        "completions/",
        "completions/_galeractl",
        "completions/galeractl.bash",
        "completions/galeractl.fish",
        "galeractl",
        "galeractl.1",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .chain(["docs/".to_string(), "docs/src/".to_string()])
    .chain(chapters().iter().map(|c| format!("docs/src/{c}")))
    .map(|f| format!("{top}/{f}"))
    .collect::<std::collections::BTreeSet<String>>()
    .into_iter()
    .collect();
    assert_eq!(names, expected);

    let unpacked = a.dir.join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap_or_else(|e| panic!("{e}"));
    run_ok(
        "tar",
        &[
            "-xzf",
            &a.tarball.display().to_string(),
            "-C",
            &unpacked.display().to_string(),
        ],
    );
    let tree = unpacked.join(&top);
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(&tree)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(check.status.success(), "{}", text(&check.stdout));
    assert_eq!(
        text(&check.stdout).lines().count(),
        8 + chapters().len(),
        "{}",
        text(&check.stdout)
    );

    // The packaged binary is this one (stripped) and made the files beside it.
    let bin = tree.join("galeractl").display().to_string();
    assert_eq!(
        run_ok(&bin, &["--version"]).trim(),
        format!("galeractl {v}")
    );
    let read = |f: &str| std::fs::read(tree.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    assert_eq!(read("galeractl.1"), run(&bin, &["man"]).stdout);
    assert_eq!(
        read("completions/galeractl.bash"),
        run(&bin, &["completions", "bash"]).stdout
    );
    assert_eq!(
        read("completions/_galeractl"),
        run(&bin, &["completions", "zsh"]).stdout
    );
    assert_eq!(
        read("completions/galeractl.fish"),
        run(&bin, &["completions", "fish"]).stdout
    );
    let docs = chapters().into_iter().map(|c| format!("docs/src/{c}"));
    for f in ["LICENSE-MIT", "LICENSE-APACHE", "README.md"]
        .map(String::from)
        .into_iter()
        .chain(docs)
    {
        let f = f.as_str();
        let ours = std::fs::read(root().join(f)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read(f), ours, "{f}");
    }
    let symbols = run_ok(
        "sh",
        &[
            "-c",
            &format!("readelf -S {bin} | grep -c '\\.symtab' || true"),
        ],
    );
    assert_eq!(symbols.trim(), "0", "the packaged binary is not stripped");

    // The .deb: its control fields and its files.
    let deb = a.deb.display().to_string();
    let field = |f: &str| run_ok("dpkg-deb", &["--field", &deb, f]).trim().to_string();
    assert_eq!(field("Package"), "galeractl");
    assert_eq!(field("Version"), v.replace('-', "~"));
    assert_eq!(field("Architecture"), "amd64");
    let depends = field("Depends");
    assert!(depends.starts_with("libc6 (>= 2."), "{depends}");
    assert!(depends.ends_with(", openssh-client"), "{depends}");
    let contents = run_ok("dpkg-deb", &["--contents", &deb]);
    let mut files: Vec<&str> = contents
        .lines()
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    files.sort_unstable();
    let mut expected: Vec<String> = [
        "./usr/bin/galeractl",
        "./usr/share/bash-completion/completions/galeractl",
        "./usr/share/doc/galeractl/README.md.gz",
        "./usr/share/doc/galeractl/copyright",
        "./usr/share/fish/vendor_completions.d/galeractl.fish",
        "./usr/share/man/man1/galeractl.1.gz",
        "./usr/share/zsh/vendor-completions/_galeractl",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .chain(
        chapters()
            .iter()
            .map(|c| format!("./usr/share/doc/galeractl/docs/src/{c}")),
    )
    .collect();
    expected.sort();
    assert_eq!(files, expected);
    assert!(
        contents.lines().all(|l| l.contains(" root/root ")),
        "not all owned by root:\n{contents}"
    );
}

fn docker(args: &[&str]) -> Output {
    run("docker", args)
}

fn docker_ok(args: &[&str]) -> String {
    run_ok("docker", args)
}

/// Removes a container when dropped (also when the test panics).
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &self.0]);
    }
}

/// lab/lab's cached bookworm minbase root filesystem.
fn base_rootfs() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(ROOTFS_CACHE)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with("rootfs-bookworm-minbase-")
                    && std::path::Path::new(n)
                        .extension()
                        .is_some_and(|e| e == "tar")
            })
        })
        .collect();
    found.sort();
    found.pop()
}

/// The clean image: minbase plus PACKAGES, built when no image carries this recipe's hash.
fn clean_image(rootfs: &Path) -> String {
    let name = rootfs
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    // The root filesystem's name carries lab/lab's hash of how it was made.
    let recipe = format!("format={IMAGE_FORMAT} base={name} packages={PACKAGES}");
    let hash = run_ok(
        "sh",
        &[
            "-c",
            &format!("printf %s '{recipe}' | sha256sum | cut -c1-16"),
        ],
    )
    .trim()
    .to_string();
    let have = docker(&[
        "image",
        "inspect",
        "-f",
        &format!("{{{{index .Config.Labels \"{RECIPE_LABEL}\"}}}}"),
        IMAGE,
    ]);
    if have.status.success() && text(&have.stdout).trim() == hash {
        eprintln!("clean image {IMAGE} reused ({hash})");
        return IMAGE.to_string();
    }
    let started = Instant::now();
    let pid = std::process::id();
    let base = format!("galeractl-test/debian-base:build-{pid}");
    docker_ok(&[
        "import",
        "--change",
        &format!("LABEL {LABEL}"),
        &rootfs.display().to_string(),
        &base,
    ]);
    let build = Container(format!("galeractl-test-packaging-build-{pid}"));
    // This machine's sources (copied below) replace minbase's sources.list (the same mirror).
    let script = format!(
        "set -e; export DEBIAN_FRONTEND=noninteractive; \
         if [ -f /etc/apt/sources.list.d/debian.sources ]; then rm -f /etc/apt/sources.list; fi; \
         apt-get update -qq; \
         apt-get install -y -qq --no-install-recommends {PACKAGES} >/dev/null; \
         apt-get clean; rm -rf /var/lib/apt/lists/*"
    );
    // This machine's network, mirror and proxy settings, as lab/lab builds its images.
    docker_ok(&[
        "create",
        "--name",
        &build.0,
        "--label",
        LABEL,
        "--network",
        "host",
        &base,
        "sh",
        "-c",
        &script,
    ]);
    let sources = Path::new("/etc/apt/sources.list.d/debian.sources");
    if sources.exists() {
        docker_ok(&[
            "cp",
            &sources.display().to_string(),
            &format!("{}:/etc/apt/sources.list.d/", build.0),
        ]);
    }
    for entry in std::fs::read_dir("/etc/apt/apt.conf.d")
        .into_iter()
        .flatten()
        .flatten()
    {
        let conf = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if ["proxy", "Proxy", "mirror", "Acquire::"]
            .iter()
            .any(|k| conf.contains(k))
        {
            docker_ok(&[
                "cp",
                &entry.path().display().to_string(),
                &format!("{}:/etc/apt/apt.conf.d/", build.0),
            ]);
        }
    }
    let out = docker(&["start", "--attach", &build.0]);
    assert!(
        out.status.success(),
        "installing {PACKAGES} in the clean image failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // One flat image, labelled: export the container, import it.
    let import = format!(
        "set -o pipefail; docker export {} | docker import --change 'LABEL {LABEL}' \
         --change 'LABEL {RECIPE_LABEL}={hash}' --change 'CMD [\"bash\"]' \
         --message 'galeractl packaging test: Debian 12 minbase + {PACKAGES}' - {IMAGE}",
        build.0
    );
    run_ok("bash", &["-c", &import]);
    drop(build);
    let _ = docker(&["image", "rm", &base]);
    eprintln!(
        "clean image {IMAGE} built in {:.1}s ({hash})",
        started.elapsed().as_secs_f64()
    );
    IMAGE.to_string()
}

#[test]
fn the_deb_installs_into_a_clean_debian_12() {
    if !have("dpkg-deb") {
        return skip("no dpkg-deb here (apt-get install dpkg)");
    }
    let dockerd = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !dockerd {
        return skip("no docker here, or no dockerd answering");
    }
    let Some(rootfs) = base_rootfs() else {
        return skip(&format!(
            "no {ROOTFS_CACHE}/rootfs-bookworm-minbase-*.tar (lab/lab up or lab/lab images makes it)"
        ));
    };
    // The image first: the other test is packaging meanwhile.
    let started = Instant::now();
    let image = clean_image(&rootfs);
    let a = artifacts();
    let c = Container(format!("galeractl-test-packaging-{}", std::process::id()));
    // No network: everything the .deb needs is already in the image.
    docker_ok(&[
        "run",
        "-d",
        "--name",
        &c.0,
        "--label",
        LABEL,
        "--network",
        "none",
        "-v",
        &format!("{}:/pkg:ro", a.dir.display()),
        &image,
        "sleep",
        "infinity",
    ]);
    let exec = |script: &str| -> String {
        let out = docker(&["exec", &c.0, "bash", "-c", script]);
        assert!(
            out.status.success(),
            "{script}: failed ({}):\n{}\n{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    };
    // Nothing of galeractl before.
    exec("! command -v galeractl && ! dpkg -s galeractl 2>/dev/null");
    let deb = format!(
        "/pkg/{}",
        a.deb
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    );
    exec(&format!("dpkg -i {deb}"));
    assert!(exec("dpkg -s galeractl").contains("Status: install ok installed"));
    assert_eq!(exec("command -v galeractl").trim(), "/usr/bin/galeractl");
    assert_eq!(
        exec("galeractl --version").trim(),
        format!("galeractl {}", version())
    );
    // The files are intact (DEBIAN/md5sums).
    assert_eq!(exec("dpkg --verify galeractl"), "");

    assert_eq!(
        exec("man -w galeractl").trim(),
        "/usr/share/man/man1/galeractl.1.gz"
    );
    let page = exec("MANWIDTH=100 man galeractl 2>&1");
    for heading in ["NAME", "SYNOPSIS", "GALERACTL STATUS", "GALERACTL RECOVER"] {
        assert!(
            page.lines().any(|l| l.trim() == heading),
            "no {heading} in:\n{page}"
        );
    }

    // The bash completion: registered, and it completes commands.
    let bash = "source /usr/share/bash-completion/completions/galeractl && complete -p galeractl";
    assert_eq!(
        exec(bash).trim(),
        "complete -o bashdefault -o default -o nosort -F _galeractl_with_nodes galeractl"
    );
    let words = exec(
        "source /usr/share/bash-completion/completions/galeractl; COMP_WORDS=(galeractl st); \
         COMP_CWORD=1; _galeractl_with_nodes galeractl st galeractl; printf '%s\\n' \"${COMPREPLY[@]}\"",
    );
    let mut words: Vec<&str> = words.lines().collect();
    words.sort_unstable();
    assert_eq!(words, ["start-node", "status", "stop-node"]);
    exec("test -s /usr/share/zsh/vendor-completions/_galeractl");
    exec("test -s /usr/share/fish/vendor_completions.d/galeractl.fish");
    exec("grep -q '^License: MIT or Apache-2.0$' /usr/share/doc/galeractl/copyright");

    // Removed without a trace.
    exec("dpkg --purge galeractl");
    exec("! test -e /usr/bin/galeractl && ! test -e /usr/share/doc/galeractl && ! man -w galeractl 2>/dev/null");
    drop(c);
    eprintln!(
        "the clean image, the packages and the checks in it: {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// The book's chapters (docs/src/*.md), by name, sorted.
fn chapters() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("docs/src"))
        .unwrap_or_else(|e| panic!("docs/src: {e}"))
        .filter_map(std::result::Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            std::path::Path::new(n)
                .extension()
                .is_some_and(|e| e == "md")
        })
        .collect();
    names.sort();
    names
}
