//! galeractl: build and run MariaDB Galera clusters in Docker on several hosts over SSH.
//!
//! The core (`inventory`, `plan`, `docker`, `galera`) is pure data and decisions, with no I/O;
//! the edges (`ssh`, `sql`) talk to hosts; `cmd` wires them into the operator's commands.
#![warn(clippy::disallowed_macros)]

#[macro_use]
pub mod out;

pub mod arbitrator;
pub mod argv;
pub mod backup;
pub mod cli;
pub mod client;
pub mod cmd;
pub mod diagnostic;
pub mod docker;
pub mod doctor;
pub mod exit;
pub mod facts;
pub mod galera;
pub mod haproxy;
pub mod http;
pub mod init;
pub mod interrupt;
pub mod inventory;
pub mod k8s;
pub mod lock;
pub mod notify;
pub mod observe;
pub mod plan;
pub mod preflight;
pub mod prometheus;
pub mod recover;
pub mod report;
pub mod runner;
pub mod secret;
pub mod sql;
pub mod ssh;
pub mod terminal;
pub mod textfile;
pub mod tls;
pub mod watch;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, sets up logging on stderr, runs the command and maps its outcome
/// to an exit code. Errors are printed here, once.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.verbose, cli.quiet);
    let outcome = match &cli.command {
        cli::Command::Init(args) => cmd::init::run(args),
        cli::Command::Plan(args) => cmd::plan::run(args),
        cli::Command::Validate(args) => cmd::validate::run(args),
        cli::Command::Preflight(args) => cmd::block_on(cmd::preflight::run(args)),
        cli::Command::Up(args) => cmd::block_on(cmd::up::run(args)),
        cli::Command::Status(args) => {
            let mut args = args.clone();
            args.verbose_logs = cli.verbose > 0;
            cmd::block_on(cmd::status::run(&args))
        }
        cli::Command::StopNode(args) => cmd::block_on(cmd::node::stop(args)),
        cli::Command::StartNode(args) => cmd::block_on(cmd::node::start(args)),
        cli::Command::Recover(args) => cmd::block_on(cmd::recover::run(args)),
        cli::Command::Unlock(args) => cmd::block_on(cmd::unlock::run(args)),
        cli::Command::Restart(args) => cmd::block_on(cmd::restart::run(args)),
        cli::Command::Logs(args) => cmd::block_on(cmd::logs::run(args)),
        cli::Command::Sql(args) => cmd::block_on(cmd::sql::run(args)),
        cli::Command::Completions(args) => cmd::generate::completions(args.shell),
        cli::Command::Man => cmd::generate::man(),
        cli::Command::CompleteNodes(args) => cmd::generate::complete_nodes(args),
        cli::Command::Backup(args) => cmd::block_on(cmd::backup::run(args)),
        cli::Command::Restore(args) => cmd::block_on(cmd::restore::run(args)),
        cli::Command::Doctor(args) => cmd::block_on(cmd::doctor::run(args)),
        cli::Command::Watch(args) => cmd::block_on(cmd::watch::run(args)),
        cli::Command::Export(args) => match &args.target {
            cli::ExportTarget::K8s(k8s) => cmd::export::k8s(k8s),
        },
    };
    // Output lost to a full disk or a dead terminal makes a command that did its work fail:
    // what it printed (a plan, a status, a manifest's path) is incomplete.
    let outcome = match (outcome, out::stdout_lost()) {
        (Ok(_), Some(why)) => Err(cmd::Failure::new(
            exit::FAILED,
            format!("cannot write to stdout ({why}): the output is incomplete"),
        )),
        (outcome, _) => outcome,
    };
    match outcome {
        Ok(code) => code,
        Err(failure) => {
            errln!("galeractl: {}", failure.message);
            ExitCode::from(exit::interrupted_as(failure.code, interrupt::signalled()))
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(out::LogWriter)
        .log_internal_errors(false)
        .with_ansi(colour())
        .with_target(false)
        .without_time()
        .try_init();
}

/// Colour in the log: only on a terminal, and never with `NO_COLOR` set (to anything but "").
fn colour() -> bool {
    let refused = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !refused && std::io::IsTerminal::is_terminal(&std::io::stderr())
}
