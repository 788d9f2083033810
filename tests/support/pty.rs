//! A command on a pseudo-terminal of its own, as the session leader (as a login shell's job
//! is under an SSH session), and that terminal closed the way a dropped session closes it:
//! the master side goes away, the kernel hangs the terminal up and sends SIGHUP. The test
//! installs no handler of its own; galeractl sees what it would see under a real session.

use std::fs::File;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What ran on the terminal: the child, still to be waited for, and what it printed on the
/// terminal before the hang-up.
pub struct HungUp {
    pub child: Child,
    pub before: String,
}

/// Runs `program args` on a new pseudo-terminal (through `setsid --ctty`, which makes it the
/// session leader with that terminal as its controlling terminal, without a fork), reads what
/// it prints until `trigger` appears, then closes the terminal. Panics when `trigger` does not
/// appear within `within` (the child is killed first) or when the child ends before it.
pub fn hang_up_when(program: &str, args: &[&str], trigger: &str, within: Duration) -> HungUp {
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
        .unwrap_or_else(|e| panic!("openpt: {e}"));
    grantpt(&master).unwrap_or_else(|e| panic!("grantpt: {e}"));
    unlockpt(&master).unwrap_or_else(|e| panic!("unlockpt: {e}"));
    let name = ptsname(&master, Vec::new()).unwrap_or_else(|e| panic!("ptsname: {e}"));
    let name = name.to_string_lossy().into_owned();
    let open_slave = || {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&name)
            .unwrap_or_else(|e| panic!("open {name}: {e}"))
    };
    let (stdin, stdout, stderr) = (open_slave(), open_slave(), open_slave());
    let mut child = Command::new("setsid")
        .arg("--ctty")
        .arg(program)
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr))
        .spawn()
        .unwrap_or_else(|e| panic!("spawn setsid {program}: {e}"));
    // The reader owns the only handle of the master (close-on-exec: the child has none): when
    // it returns, the terminal closes.
    let (tx, rx) = mpsc::channel::<String>();
    let trigger_owned = trigger.to_string();
    let reader = std::thread::spawn(move || {
        let mut master = File::from(master);
        let mut seen = String::new();
        let mut buf = [0u8; 4096];
        loop {
            match master.read(&mut buf) {
                // EIO: every slave handle closed (the child ended).
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let chunk = String::from_utf8_lossy(&buf[..n]).into_owned();
                    seen.push_str(&chunk);
                    let _ = tx.send(chunk);
                    if seen.contains(&trigger_owned) {
                        break;
                    }
                }
            }
        }
        drop(master);
    });
    let deadline = Instant::now() + within;
    let mut before = String::new();
    while !before.contains(trigger) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => before.push_str(&chunk),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait();
                panic!("{program} ended ({status:?}) before printing {trigger:?}:\n{before}");
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{program} did not print {trigger:?} within {within:?}:\n{before}");
            }
        }
    }
    let _ = reader.join();
    HungUp { child, before }
}

/// Waits for `child` up to `within`; its exit code (None: killed by a signal). Panics when it
/// is still running then (it is killed first).
pub fn exit_code_within(child: &mut Child, within: Duration) -> Option<i32> {
    let deadline = Instant::now() + within;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.code(),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("still running {within:?} after the hang-up");
            }
        }
    }
}

/// Runs `program args` in `dir` on a new pseudo-terminal (stdin, stdout and stderr all on it),
/// reads what it prints until `trigger` appears, then types `answer` (`None`: end of input,
/// Ctrl-D) and reads on until it ends. Returns its exit code and everything it printed.
/// Panics when `trigger` does not appear, or the command does not end, within `within`.
pub fn answer_when(
    program: &str,
    args: &[&str],
    dir: &std::path::Path,
    trigger: &str,
    answer: Option<&str>,
    within: Duration,
) -> (Option<i32>, String) {
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    use std::io::Write;
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
        .unwrap_or_else(|e| panic!("openpt: {e}"));
    grantpt(&master).unwrap_or_else(|e| panic!("grantpt: {e}"));
    unlockpt(&master).unwrap_or_else(|e| panic!("unlockpt: {e}"));
    let name = ptsname(&master, Vec::new()).unwrap_or_else(|e| panic!("ptsname: {e}"));
    let name = name.to_string_lossy().into_owned();
    let open_slave = || {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&name)
            .unwrap_or_else(|e| panic!("open {name}: {e}"))
    };
    let (stdin, stdout, stderr) = (open_slave(), open_slave(), open_slave());
    let mut child = Command::new("setsid")
        .arg("--ctty")
        .arg(program)
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("GALERACTL_INVENTORY")
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr))
        .spawn()
        .unwrap_or_else(|e| panic!("spawn setsid {program}: {e}"));
    let mut writer = File::from(
        master
            .try_clone()
            .unwrap_or_else(|e| panic!("dup the master: {e}")),
    );
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut master = File::from(master);
        let mut buf = [0u8; 4096];
        loop {
            match master.read(&mut buf) {
                // EIO: every slave handle closed (the child ended).
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
                }
            }
        }
    });
    let deadline = Instant::now() + within;
    let mut seen = String::new();
    let mut answered = false;
    loop {
        if !answered && seen.contains(trigger) {
            // Canonical mode: a line, or Ctrl-D at the start of one (end of input).
            let typed = answer.map_or_else(|| "\u{4}".to_string(), |a| format!("{a}\n"));
            writer
                .write_all(typed.as_bytes())
                .unwrap_or_else(|e| panic!("type on the terminal: {e}"));
            answered = true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => seen.push_str(&chunk),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{program} did not end within {within:?}:\n{seen}");
            }
        }
    }
    drop(writer);
    let _ = reader.join();
    assert!(
        answered,
        "{program} ended before printing {trigger:?}:\n{seen}"
    );
    let code = exit_code_within(&mut child, within);
    (code, seen)
}
