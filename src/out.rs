//! Output that never stops a command. A dropped SSH session leaves a hung-up terminal (every
//! write fails with EIO), a reader that went away leaves a closed pipe (EPIPE), a full disk
//! under a redirection fails with ENOSPC: the line is dropped and the command goes on, so its
//! interrupt handling and on-failure steps always run to the end. Every line galeractl prints
//! goes through here (`outln!`, `out!`, `errln!`) or through the log writer below; clippy's
//! `disallowed-macros` (clippy.toml) refuses `println!` and its kin, which panic instead.

use std::fmt;
use std::io::{self, Write};
use std::sync::OnceLock;

/// The first failed write to stdout that was not a closed pipe (a reader that went away chose
/// to stop reading; a full disk or a dead terminal lost output nobody chose to lose).
static STDOUT_LOST: OnceLock<String> = OnceLock::new();

fn note(result: io::Result<()>) {
    if let Err(e) = result {
        if e.kind() != io::ErrorKind::BrokenPipe {
            let _ = STDOUT_LOST.set(e.to_string());
        }
    }
}

/// Writes to stdout; a failed write is dropped.
pub fn stdout(args: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    note(out.write_fmt(args));
}

/// Writes a line to stdout; a failed write is dropped.
pub fn stdout_line(args: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    note(out.write_fmt(args).and_then(|()| out.write_all(b"\n")));
}

/// Flushes stdout; returns why output was lost, if it was (a closed pipe is not a loss).
pub fn stdout_lost() -> Option<&'static str> {
    note(io::stdout().lock().flush());
    STDOUT_LOST.get().map(String::as_str)
}

/// Writes a line to stderr; a failed write is dropped.
pub fn stderr_line(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// Writes to stderr (a question, with no line end) and flushes it; a failed write is dropped.
pub fn stderr(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.flush());
}

/// `print!` that cannot panic.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::stdout(format_args!($($arg)*)) };
}

/// `println!` that cannot panic.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => { $crate::out::stdout_line(format_args!($($arg)*)) };
}

/// `eprintln!` that cannot panic.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::out::stderr_line(format_args!($($arg)*)) };
}

/// `eprint!` that cannot panic (and flushes: a question waits for its answer after it).
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::out::stderr(format_args!($($arg)*)) };
}

/// The log's writer: stderr, whose failed writes are dropped (and reported as written, so
/// that the logging library has no error to report, which it would print with a panicking
/// `eprintln!`).
#[derive(Clone, Copy, Debug, Default)]
pub struct LogWriter;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        LogWriter
    }
}

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = io::stderr().lock().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}
