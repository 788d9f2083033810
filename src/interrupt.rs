//! How this process is cut short, as values a command can handle: the operator's signals
//! (Ctrl-C's SIGINT, SIGTERM, a closed terminal's SIGHUP) and a bug's panic. An edge: it
//! installs tokio's signal handlers, so once a command listens, the default action of these
//! signals is gone for the whole process (see `lock`'s module documentation).
//!
//! The runner (`runner::drive`) and the lock (`lock::hold`) wrap their work in these, so that a
//! plan's on-failure steps and the lock's release run however the work ends.

use std::sync::atomic::{AtomicU8, Ordering};

/// The signal that interrupted this process, once one has (0: none yet; else 1 + its index
/// in [`SIGNALS`]).
static SIGNALLED: AtomicU8 = AtomicU8::new(0);
const SIGNALS: [&str; 3] = ["SIGINT", "SIGTERM", "SIGHUP"];

/// The signal that interrupted this process, if one has: a command checks it before its
/// first change.
pub fn signalled() -> Option<&'static str> {
    name(SIGNALLED.load(Ordering::SeqCst))
}

/// The signal recorded as `k` in [`SIGNALLED`].
fn name(k: u8) -> Option<&'static str> {
    usize::from(k)
        .checked_sub(1)
        .and_then(|i| SIGNALS.get(i))
        .copied()
}

/// Resolves when the operator interrupts the command (Ctrl-C, SIGTERM, a closed terminal's
/// SIGHUP), naming the signal, or at once when one came already; never when the handlers
/// cannot be installed.
pub async fn interrupted() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    if let Some(name) = signalled() {
        return name;
    }
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return std::future::pending().await;
    };
    let k = tokio::select! {
        _ = int.recv() => 1,
        _ = term.recv() => 2,
        _ = hup.recv() => 3,
    };
    SIGNALLED.store(k, Ordering::SeqCst);
    SIGNALS[usize::from(k) - 1]
}

/// A signal after the first one (SIGINT or SIGTERM), named: the exit code says which.
pub async fn second_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

/// Runs `work`; a panic in it (a bug) becomes an error, so that the plan's on-failure steps
/// and the lock's release still run.
pub async fn guard_panic<T>(work: impl std::future::Future<Output = T>) -> Result<T, String> {
    use futures::FutureExt;
    std::panic::AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            panicked(&what)
        })
}

/// The error of a panic that said `what`.
fn panicked(what: &str) -> String {
    format!("galeractl stopped on an internal error (a bug: please report it): {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_recorded_by_their_place() {
        assert_eq!(name(0), None);
        assert_eq!(name(1), Some("SIGINT"));
        assert_eq!(name(2), Some("SIGTERM"));
        assert_eq!(name(3), Some("SIGHUP"));
        assert_eq!(name(4), None);
    }

    #[tokio::test]
    async fn a_panic_is_an_error_that_asks_for_a_report() {
        assert_eq!(guard_panic(async { 7 }).await, Ok(7));
        let caught: Result<u8, String> = guard_panic(async { panic!("at the disco") }).await;
        assert_eq!(
            caught,
            Err(
                "galeractl stopped on an internal error (a bug: please report it): at the disco"
                    .to_string()
            )
        );
        let owned: Result<u8, String> = guard_panic(async { panic!("{}", 42) }).await;
        assert_eq!(
            owned,
            Err("galeractl stopped on an internal error (a bug: please report it): 42".to_string())
        );
    }
}
