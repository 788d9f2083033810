//! The lock's pure half: the holder file, messages, dates; and the host scripts' behaviour
//! (built in `docker::lock_scripts`, whose tests hold their exact argv), run by the local `sh`
//! in a scratch directory.

use super::edge::{gone_from_this_machine, local_user_and_machine, new_token};
use super::*;
use crate::docker::lock_scripts;

fn example() -> Inventory {
    crate::inventory::example_for_test()
}

fn holder() -> Holder {
    Holder::new(
        "root@ci-box",
        4242,
        "up",
        1_795_711_200, // 2026-11-26 16:40:00 UTC
        "0123456789abcdef",
    )
}

#[test]
fn the_lock_lives_in_the_cluster_directory_on_every_node_host() {
    let inv = example();
    assert_eq!(hosts(&inv), ["10.10.10.10", "10.10.10.11", "10.10.10.12"]);
    assert_eq!(dir(&inv), "/etc/galeractl/local-test/lock");
    let t = targets(&inv);
    assert_eq!(t[0].host, "10.10.10.10");
    assert_eq!(t[0].user.as_deref(), Some("root"));
    // Two nodes and garbd on a third host: three lock hosts, so one lost leaves a majority.
    let mut two = example();
    two.nodes.truncate(2);
    two.arbitrator = Some(crate::inventory::Arbitrator {
        host: "10.10.10.9".into(),
        image: "galeractl-lab/garbd:bookworm".into(),
        port: 5567,
    });
    assert_eq!(hosts(&two), ["10.10.10.10", "10.10.10.11", "10.10.10.9"]);
}

#[test]
fn holder_text_is_exact_and_round_trips() {
    let h = holder();
    assert_eq!(
        h.render(),
        "who=root@ci-box\npid=4242\ncommand=up\nsince=2026-11-26 16:40:00 UTC\ntoken=0123456789abcdef\n"
    );
    assert_eq!(Holder::parse(&h.render()), Some(h.clone()));
    let odd = Holder::new("ops@db 1", 1, "stop-node nodeb\nrm x", 0, "ff");
    assert_eq!(odd.command, "stop-node nodeb?rm x");
    assert_eq!(Holder::parse(&odd.render()), Some(odd));
    // CRLF, comments, blank lines and unknown keys are tolerated.
    let text =
        "# taken by hand\r\nwho=a@b\r\n\r\npid=7\r\ncommand=up\r\nsince=x\r\ntoken=AB\r\nnew=1\r\n";
    assert_eq!(
        Holder::parse(text),
        Some(Holder {
            who: "a@b".into(),
            pid: 7,
            command: "up".into(),
            since: "x".into(),
            token: "AB".into(),
        })
    );
}

#[test]
fn garbage_is_no_holder() {
    let whole = holder().render();
    let cases = [
        "",
        "\n\n",
        "garbage",
        "who=a\npid=1\ncommand=up\nsince=now\n", // no token
        "who=a\npid=x\ncommand=up\nsince=now\ntoken=ab\n", // pid not a number
        "who=a\npid=-1\ncommand=up\nsince=now\ntoken=ab\n", // negative pid
        "who=a\npid=1\ncommand=up\nsince=now\ntoken=xyz\n", // token not hex
        "who=a\npid=1\ncommand=up\nsince=now\ntoken=ab\ntoken=cd\n", // repeated
        "who=\npid=1\ncommand=up\nsince=now\ntoken=ab\n", // empty value
        "who=a\u{7}\npid=1\ncommand=up\nsince=now\ntoken=ab\n", // control character
        "\u{0}\u{ff}=\u{fffd}",
    ];
    for text in cases {
        assert_eq!(Holder::parse(text), None, "{text:?}");
    }
    let long = whole.replace("who=root@ci-box", &format!("who={}", "x".repeat(300)));
    assert_eq!(Holder::parse(&long), None);
    // Every cut of a whole file parses or not, and never panics.
    for i in 0..=whole.len() {
        let _ = Holder::parse(&whole[..i]);
    }
}

proptest::proptest! {
    #[test]
    fn the_parser_never_panics(text in "\\PC*(\n\\PC*){0,8}") {
        let _ = Holder::parse(&text);
        let _ = parse_utc(&text);
    }

    #[test]
    fn dates_round_trip(unix in -62_135_596_800i64..253_402_300_799i64) {
        proptest::prop_assert_eq!(parse_utc(&format_utc(unix)), Some(unix));
    }
}

#[test]
fn held_message_names_the_holder_and_the_way_out() {
    let held = Held {
        cluster: "lab".into(),
        inventory: "lab/out/lab.toml".into(),
        holder: Some(holder()),
        seen_unix: 1_795_711_212,
        holder_gone: false,
    };
    assert_eq!(
        held.to_string(),
        "cluster lab: locked by root@ci-box pid 4242 running \"up\" since 2026-11-26 16:40:00 UTC (12 s ago); wait for it, or if that process is gone run \"galeractl unlock lab/out/lab.toml\""
    );
    let unknown = Held {
        holder: None,
        inventory: "my lab.toml".into(),
        ..held
    };
    assert_eq!(
        unknown.to_string(),
        "cluster lab: locked by an unknown process (the lock has no readable holder file); wait for it, or if that process is gone run \"galeractl unlock 'my lab.toml'\""
    );
    let gone = Held {
        holder: Some(holder()),
        holder_gone: true,
        ..unknown
    };
    assert_eq!(
        gone.to_string(),
        "cluster lab: locked by root@ci-box pid 4242 running \"up\" since 2026-11-26 16:40:00 UTC (12 s ago), a process of this machine that no longer runs: the lock is a leftover; make sure no galeractl of another machine acts on the cluster, then run \"galeractl unlock 'my lab.toml'\""
    );
}

#[test]
fn ages_and_dates() {
    assert_eq!(ago(-1), None);
    assert_eq!(ago(0).as_deref(), Some("0 s ago"));
    assert_eq!(ago(119).as_deref(), Some("119 s ago"));
    assert_eq!(ago(120).as_deref(), Some("2 min ago"));
    assert_eq!(ago(7199).as_deref(), Some("119 min ago"));
    assert_eq!(ago(7200).as_deref(), Some("2 h ago"));
    assert_eq!(ago(48 * 3600).as_deref(), Some("2 days ago"));
    assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
    assert_eq!(format_utc(1_795_711_200), "2026-11-26 16:40:00 UTC");
    assert_eq!(parse_utc("2026-11-26T16:40:00Z"), Some(1_795_711_200));
    assert_eq!(parse_utc(" 2026-11-26 16:40:00 UTC\n"), Some(1_795_711_200));
    for bad in [
        "2026-02-29 00:00:00 UTC",
        "2026-13-01 00:00:00 UTC",
        "2026-11-26 24:00:00 UTC",
        "2026-11-26 16:40:00",
        "2026-11-26 16:40 UTC",
        "+026-11-26 16:40:00 UTC",
        "2026-11-26x16:40:00Z",
        "ÿÿÿÿ-11-26 16:40:00 UTC",
        "",
    ] {
        assert_eq!(parse_utc(bad), None, "{bad:?}");
    }
    // A holder whose clock is ahead of ours, or whose date is not ours: no age.
    let mut h = holder();
    assert_eq!(
        h.describe(1_795_711_100),
        "root@ci-box pid 4242 running \"up\" since 2026-11-26 16:40:00 UTC"
    );
    h.since = "yesterday".into();
    assert_eq!(
        h.describe(0),
        "root@ci-box pid 4242 running \"up\" since yesterday"
    );
}

#[test]
fn tokens_are_16_hex_and_differ() {
    let (a, b) = (new_token(), new_token());
    assert_eq!(a.len(), 16);
    assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a, b);
    let who = local_user_and_machine();
    assert!(who.contains('@') && !who.contains('\n'), "{who}");
}

/// The host scripts, run by this machine's `sh` on a scratch directory: what the exit codes
/// and outputs mean is what the edge relies on.
#[test]
fn scripts_behave_under_sh() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let run = |argv: Vec<String>, stdin: &str| -> (i32, String) {
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("sh: {e}"));
        if let Some(mut pipe) = child.stdin.take() {
            pipe.write_all(stdin.as_bytes())
                .unwrap_or_else(|e| panic!("stdin: {e}"));
        }
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("sh: {e}"));
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let scratch = std::env::temp_dir().join(format!("galeractl-lock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let cluster = scratch.join("etc/galeractl/lab").display().to_string();
    let lock = format!("{cluster}/lock");
    let ours = holder();
    let theirs = Holder::new("ops@laptop", 99, "recover", 0, "fedcba9876543210");

    assert_eq!(
        run(lock_scripts::read(&lock), ""),
        (EXIT_ABSENT, String::new())
    );
    assert_eq!(
        run(lock_scripts::acquire(&cluster), &ours.render()),
        (0, String::new())
    );
    assert_eq!(
        std::fs::read_to_string(format!("{lock}/holder")).ok(),
        Some(ours.render())
    );
    // Held: the second try fails with 3 and the first holder.
    assert_eq!(
        run(lock_scripts::acquire(&cluster), &theirs.render()),
        (EXIT_HELD, ours.render())
    );
    assert_eq!(run(lock_scripts::read(&lock), ""), (0, ours.render()));
    // Another token does not release it.
    assert_eq!(
        run(lock_scripts::release(&lock, &theirs.token), ""),
        (EXIT_HELD, ours.render())
    );
    assert_eq!(
        run(lock_scripts::release(&lock, &ours.token), ""),
        (0, String::new())
    );
    assert_eq!(
        run(lock_scripts::release(&lock, &ours.token), ""),
        (EXIT_ABSENT, String::new())
    );
    // Remove: whoever holds it, printing the holder; a lock with no holder file too.
    assert_eq!(
        run(lock_scripts::acquire(&cluster), &theirs.render()),
        (0, String::new())
    );
    assert_eq!(run(lock_scripts::remove(&lock), ""), (0, theirs.render()));
    assert_eq!(
        run(lock_scripts::remove(&lock), ""),
        (EXIT_ABSENT, String::new())
    );
    std::fs::create_dir(&lock).unwrap_or_else(|e| panic!("mkdir: {e}"));
    assert_eq!(
        run(lock_scripts::acquire(&cluster), &ours.render()),
        (EXIT_HELD, String::new())
    );
    assert_eq!(run(lock_scripts::remove(&lock), ""), (0, String::new()));
    // Nothing is left beside the cluster's own files.
    let left: Vec<_> = std::fs::read_dir(&cluster)
        .map(|d| {
            d.filter_map(std::result::Result::ok)
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    // A failure that is not "held" is neither 0 nor 3: a file where the directory should be.
    std::fs::write(&lock, "").unwrap_or_else(|e| panic!("write: {e}"));
    let (code, _) = run(lock_scripts::acquire(&cluster), &ours.render());
    assert_eq!(code, 2);
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn a_holder_is_gone_only_when_it_was_this_machines_and_its_process_ended() {
    let mine = |pid: u32| Holder::new(&local_user_and_machine(), pid, "up", 0, "t0");
    // Above the kernel's largest pid (2^22): no such process.
    assert!(gone_from_this_machine(&mine(5_000_000)));
    assert!(!gone_from_this_machine(&mine(std::process::id())));
    assert!(!gone_from_this_machine(&mine(1)));
    let theirs = Holder::new("root@elsewhere", 5_000_000, "up", 0, "t0");
    assert!(!gone_from_this_machine(&theirs));
}
