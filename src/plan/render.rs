//! A plan as an operator reads it: numbered shell lines that can be pasted on their hosts,
//! each with what it is for, its stdin shown (a secret by its file, never its text), and what
//! is waited for after each stage.

use std::collections::BTreeSet;

use super::{Guard, Plan, Stdin, Stdout, Step};
use crate::argv::{shell_join, shell_quote};

/// Texts longer than this are shown as here-documents.
const HEREDOC_LINES: usize = 6;
const HEREDOC_END: &str = "GALERACTL_EOF";

/// The plan as an operator reads it: numbered steps, one per line, each a shell command that
/// can be pasted on its host, with what it is for and what is waited for after it.
pub fn render(plan: &Plan) -> String {
    let mut out = format!("# plan for cluster {}\n", plan.cluster);
    for note in &plan.notes {
        out.push_str(&format!("# note: {note}\n"));
    }
    if plan.stages.is_empty() {
        out.push_str("# up to date: nothing to do\n");
        return out;
    }
    let mut n = 0;
    for (i, stage) in plan.stages.iter().enumerate() {
        let hosts: BTreeSet<&str> = stage.steps.iter().map(|s| s.host.as_str()).collect();
        let parallel = if hosts.len() > 1 {
            " (steps run in parallel across hosts)"
        } else {
            ""
        };
        out.push_str(&format!("# stage {}: {}{parallel}\n", i + 1, stage.title));
        for step in &stage.steps {
            n += 1;
            out.push_str(&render_step(n, step));
        }
        if let Some(wait) = &stage.wait {
            out.push_str(&format!("#   then wait: {wait}\n"));
        }
    }
    if !plan.on_failure.is_empty() {
        out.push_str("# on failure or interrupt (Ctrl-C, SIGTERM, SIGHUP), after it began:\n");
        for step in &plan.on_failure {
            n += 1;
            out.push_str(&render_step(n, step));
        }
    }
    out
}

/// A command as the argument of `ssh HOST`: quoted once more when the remote shell would
/// otherwise see it without its quotes.
fn over_ssh(command: &str) -> String {
    if command.contains(['\'', '"', '\\', '$', '|', '>', '<', '&', ';']) {
        shell_quote(command)
    } else {
        command.to_string()
    }
}

/// One numbered step: a shell command that can be pasted on its host, then what it is for.
fn render_step(n: usize, step: &Step) -> String {
    format!("{n:>3}. {}", render_step_line(step))
}

/// A step as `[host] command  # what it is for`, with a long text as a here-document below.
pub fn render_step_line(step: &Step) -> String {
    let mut command = shell_join(&step.argv);
    if step.ignore_exit {
        command.push_str(" || true");
    }
    let line = match &step.stdin {
        None => command,
        // A long text (a script) as a here-document: readable, and pasteable as is.
        Some(Stdin::Text(text)) if text.lines().count() > HEREDOC_LINES => {
            let end = if text.ends_with('\n') { "" } else { "\n" };
            return format!(
                "[{}] {command} <<'{HEREDOC_END}'  # {}\n{text}{end}{HEREDOC_END}\n",
                step.host, step.description
            );
        }
        Some(Stdin::Text(text)) => format!(
            "printf {} | {command}",
            shell_quote(&text.replace('%', "%%").replace('\n', "\\n"))
        ),
        Some(Stdin::ClusterStateUuid { node }) => {
            format!("echo '<the wsrep_cluster_state_uuid {node} reports>' | {command}")
        }
        Some(Stdin::SecretFile(path)) => {
            format!("{command} < {}", shell_quote(&path.display().to_string()))
        }
        Some(Stdin::TextWithSecret {
            text,
            placeholder,
            secret,
        }) => format!(
            "printf {} | {command}  # with {placeholder} replaced by the content of {}",
            shell_quote(&text.replace('%', "%%").replace('\n', "\\n")),
            secret.display()
        ),
        Some(Stdin::LocalCommand(local)) => {
            format!(
                "{} | ssh {} {}",
                shell_join(local),
                step.host,
                over_ssh(&command)
            )
        }
    };
    let line = match &step.stdout {
        None => line,
        Some(Stdout::LocalFile(path)) => {
            let to = shell_quote(&path.display().to_string());
            match &step.stdin {
                // Already `LOCAL | ssh HOST CMD`.
                Some(Stdin::LocalCommand(_)) => format!("{line} > {to}"),
                _ => format!("ssh {} {} > {to}", step.host, over_ssh(&line)),
            }
        }
    };
    let guard = match &step.only_if {
        Some(Guard::ImageMissing { image }) => format!(" (only if {image} is missing)"),
        None => String::new(),
    };
    format!("[{}] {line}  # {}{guard}\n", step.host, step.description)
}
