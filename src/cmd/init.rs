//! `galeractl init`: a new cluster's inventory and its secret files. The runbook: make the
//! inventory's text from the flags (and, on a terminal, the answers for the flags not given),
//! check it with the inventory's own parser, refuse when any file to write exists, draw the
//! passwords, then make every file new, the inventory last; on a failure, remove what this run
//! made. The decisions and the text are `crate::init`'s; its `files.rs` does the writing.

use std::path::Path;
use std::process::ExitCode;

use super::{Failure, Outcome};
use crate::cli::InitArgs;
use crate::exit;
use crate::init::{self, Given, InitError, InitSpec, Interview, Layout};

impl From<InitError> for Failure {
    fn from(e: InitError) -> Self {
        Failure::new(e.exit_code(), e.to_string())
    }
}

pub fn run(args: &InitArgs) -> Outcome {
    let spec = spec(args)?;
    let text = init::inventory_text(&spec);
    let layout = Layout::new(&args.dir, &spec);
    check_text(&layout, &text)?;
    layout.refuse_existing()?;
    if let Some(warning) = layout
        .secrets_dir_mode()
        .and_then(|mode| layout.secrets_dir_warning(mode))
    {
        errln!("{warning}");
    }
    let next = init::next_commands(layout.inventory_for_next());
    // The directories that will be made, named before they are.
    let missing = layout.missing_dirs();
    if args.dry_run {
        if args.json {
            outln!("{:#}", layout.json(&spec, &missing, &text, false, &next));
        } else {
            out!("{}", layout.dry_run_text(&missing, &text));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let doc = args
        .json
        .then(|| layout.json(&spec, &missing, &text, true, &next));
    let passwords = init::draw_passwords(layout.secrets.len())?;
    let made = layout.write(&text, &passwords)?;
    if doc.is_none() {
        for line in made {
            outln!("{line}");
        }
    }
    check_written(&layout)?;
    if let Some(doc) = doc {
        outln!("{doc:#}");
        return Ok(ExitCode::SUCCESS);
    }
    outln!("next:");
    for command in next {
        outln!("  {command}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The flags as the inventory will say them, the answers for those not given; the SSH
/// identity and known_hosts files must exist.
fn spec(args: &InitArgs) -> Result<InitSpec, Failure> {
    let answers = if args.cluster.is_none() || args.hosts.is_empty() {
        interview(args)?
    } else {
        init::Answers::default()
    };
    let file = |path: Option<&Path>, flag: &str, what: &str| {
        path.map(|p| init::flag_file(p, flag, what)).transpose()
    };
    Ok(InitSpec {
        cluster: args.cluster.clone().or(answers.cluster).unwrap_or_default(),
        hosts: if args.hosts.is_empty() {
            answers.hosts
        } else {
            args.hosts.clone()
        },
        image: args.image.clone(),
        ssh_user: args.ssh_user.clone().or(answers.ssh_user),
        ssh_identity: file(
            args.ssh_identity.as_deref(),
            "--ssh-identity",
            "a private key",
        )?,
        known_hosts: file(
            args.known_hosts.as_deref(),
            "--known-hosts",
            "a known_hosts file",
        )?,
        sudo: args.sudo || answers.sudo,
        haproxy_host: args.haproxy_host.clone().or(answers.haproxy_host),
        haproxy_image: args.haproxy_image.clone(),
    })
}

/// Without --cluster or --host: on a terminal, `init::Interview`'s questions for what the
/// flags did not say; without one, the usage error that names the flags. The end of input
/// stops `init` with nothing written.
fn interview(args: &InitArgs) -> Result<init::Answers, Failure> {
    if !crate::terminal::is_terminal() {
        return Err(Failure::new(
            exit::USAGE,
            "init needs --cluster NAME and --host HOST (once per node), or a terminal to ask them on",
        ));
    }
    errln!("{}", init::INTERVIEW_BANNER);
    let mut interview = Interview::new(Given {
        cluster: args.cluster.is_some(),
        hosts: !args.hosts.is_empty(),
        ssh_user: args.ssh_user.clone(),
        sudo: args.sudo,
        haproxy_host: args.haproxy_host.is_some(),
    });
    while let Some(question) = interview.next_question() {
        let Some(line) = crate::terminal::ask(&question.prompt()) else {
            return Err(Failure::new(
                exit::USAGE,
                "init: no answer (end of input); nothing was written",
            ));
        };
        interview.answer(&line);
    }
    Ok(interview.answers())
}

/// The inventory's own parser on the text: its warnings shown, any error a usage error.
fn check_text(layout: &Layout, text: &str) -> Result<(), Failure> {
    let parsed = crate::inventory::parse(Path::new(&layout.inventory.shown), text);
    super::print_warnings(&parsed.report);
    match init::invalid_text(&parsed.report) {
        Some(refusal) => Err(Failure::new(exit::USAGE, refusal)),
        None => Ok(()),
    }
}

/// `validate`'s own check of what was written: it must pass (a failure is a bug).
fn check_written(layout: &Layout) -> Result<(), Failure> {
    crate::inventory::load(&layout.inventory.path, crate::inventory::Secrets::Required)
        .map(|_| ())
        .map_err(|e| {
            Failure::new(
                exit::FAILED,
                format!("the inventory written does not validate (a bug: please report it):\n{e}"),
            )
        })
}
