//! What `galeractl completions SHELL` and `galeractl man` print: shell completion scripts and
//! a man page, both generated from the clap definitions in `cli`, so they list every command
//! and flag the binary has. Node names are completed (bash and fish) by a small addition to the
//! generated script that asks the hidden `galeractl complete-nodes` for the inventory's nodes.
//! Pure: text from the definitions (`cmd/generate.rs` writes it to stdout).

use clap::CommandFactory;

use super::{Cli, CompletionShell};

/// The commands whose positional arguments are node names.
const NODE_COMMANDS: &str = "stop-node start-node restart logs sql";

/// Appended to clap's bash script: the node names of the inventory on the command line
/// (`-i FILE`, `--inventory FILE` or a `*.toml` word), else $GALERACTL_INVENTORY or
/// ./galeractl.toml, after clap's own candidates, for the commands that take a node.
fn bash_nodes() -> String {
    format!(
        r#"
# galeractl: node names from the inventory, for the commands that take a node.
_galeractl_with_nodes() {{
    _galeractl "$@"
    local i word cmd="" inv=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        case "$word" in
            -i|--inventory) inv=(-i "${{COMP_WORDS[i+1]}}") ;;
            *.toml) inv=(-i "$word") ;;
            -*) ;;
            *) [ -z "$cmd" ] && cmd="$word" ;;
        esac
    done
    case " {NODE_COMMANDS} " in *" $cmd "*) ;; *) return ;; esac
    case "${{COMP_WORDS[COMP_CWORD-1]}}" in -i|--inventory) return ;; esac
    case "${{COMP_WORDS[COMP_CWORD]}}" in -*) return ;; esac
    local nodes
    nodes=$(galeractl complete-nodes "${{inv[@]}}" 2>/dev/null) || return
    COMPREPLY+=($(compgen -W "$nodes" -- "${{COMP_WORDS[COMP_CWORD]}}"))
}}
complete -F _galeractl_with_nodes -o nosort -o bashdefault -o default galeractl
"#
    )
}

/// Appended to clap's fish script: the same node names, from the `-i`/`--inventory` or
/// `*.toml` word on the command line, else the default lookup.
fn fish_nodes() -> String {
    format!(
        r#"
# galeractl: node names from the inventory, for the commands that take a node.
function __galeractl_nodes
    set -l words (commandline -opc)
    set -l inv
    for i in (seq (count $words))
        switch $words[$i]
            case -i --inventory
                set inv -i $words[(math $i + 1)]
            case '*.toml'
                set inv -i $words[$i]
        end
    end
    galeractl complete-nodes $inv 2>/dev/null
end
complete -c galeractl -n "__fish_seen_subcommand_from {NODE_COMMANDS}" -a "(__galeractl_nodes)" -d node
"#
    )
}

/// The command line as the completion scripts offer it: clap_complete lists hidden subcommands
/// (`complete-nodes`) like any other, so they are left out of the command it is given.
fn visible_command() -> clap::Command {
    let full = Cli::command();
    let mut root = clap::Command::new("galeractl")
        .version(env!("CARGO_PKG_VERSION"))
        .about(full.get_about().cloned().unwrap_or_default());
    for arg in full.get_arguments() {
        root = root.arg(arg.clone());
    }
    root.subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

/// The completion script for `shell`: clap's, plus node names for bash and fish.
pub fn completion_script(shell: CompletionShell) -> String {
    let mut command = visible_command();
    let mut buf = Vec::new();
    let generator = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(generator, &mut command, "galeractl", &mut buf);
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    match shell {
        CompletionShell::Bash => text.push_str(&bash_nodes()),
        CompletionShell::Fish => text.push_str(&fish_nodes()),
        CompletionShell::Zsh => {}
    }
    text
}

/// The man page, galeractl(1), in roff: the command, then a section per subcommand.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let command = Cli::command();
    let mut buf = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render(&mut buf)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let sub = sub.clone().bin_name(format!("galeractl {name}"));
        let page = clap_mangen::Man::new(sub);
        let mut section = Vec::new();
        page.render_synopsis_section(&mut section)?;
        page.render_description_section(&mut section)?;
        page.render_options_section(&mut section)?;
        // The subcommand's sections are subsections of its own section.
        let text = String::from_utf8_lossy(&section).replace("\n.SH ", "\n.SS ");
        let text = text
            .strip_prefix(".SH ")
            .map_or(text.clone(), |t| format!(".SS {t}"));
        buf.extend_from_slice(format!(".SH \"GALERACTL {}\"\n", name.to_uppercase()).as_bytes());
        buf.extend_from_slice(text.as_bytes());
    }
    buf.extend_from_slice(MAN_TAIL.as_bytes());
    Ok(buf)
}

/// The man page's last sections: what the exit code says, what the environment changes, and
/// which files galeractl reads and writes.
const MAN_TAIL: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success; for \fBstatus\fR, the cluster is healthy.
.TP
\fB1\fR
\fBstatus\fR: degraded, but a Primary component serves. \fBdoctor\fR: findings.
.TP
\fB2\fR
Failed: a host, container, check or wait did not do what was needed; for \fBstatus\fR, no Primary component.
.TP
\fB3\fR
Refused for safety, or a destructive command's question answered no; nothing was changed.
.TP
\fB4\fR
Another operator's command holds the cluster's lock; nothing was changed.
.TP
\fB64\fR
Bad command line, or a destructive command (\fBrestore \-\-replace\fR, \fBup \-\-prune \-\-delete\-data\fR, \fBrecover \-\-force\-without\fR, \fBunlock\fR) with no terminal to ask on and no \fB\-\-yes\fR; nothing was changed.
.TP
\fB65\fR
Invalid inventory, or a secret file missing, empty, unreadable or too open.
.TP
\fB66\fR
Inventory file missing or unreadable, or no inventory given.
.TP
\fB129\fR, \fB130\fR, \fB143\fR
Interrupted by SIGHUP (a closed terminal), SIGINT or SIGTERM: the plan's on-failure steps ran and the lock was released.
.SH ENVIRONMENT
.TP
\fBGALERACTL_INVENTORY\fR
The inventory, when none is given as an argument or with \fB\-i\fR.
.TP
\fBRUST_LOG\fR
The log's filter (for example \fBdebug\fR); it wins over \fB\-v\fR and \fB\-q\fR.
.TP
\fBNO_COLOR\fR
When set and not empty, the log has no colours (they appear only on a terminal anyway).
.SH FILES
.TP
\fB./galeractl.toml\fR
The inventory, when none is named.
.TP
\fBCONFIG_DIR/CLUSTER/\fR on each host (\fB/etc/galeractl/CLUSTER\fR by default)
The nodes' configuration, the node start script, the secrets mounted into the containers (0600), the recorded history (\fBhistory-uuid\fR) and the cluster's lock.
.TP
\fB~/.ssh/known_hosts\fR, or the inventory's \fB[ssh] known_hosts\fR
The hosts' keys, checked on every connection.
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_and_fish_scripts_end_with_the_node_names_zsh_has_none() {
        let bash = completion_script(CompletionShell::Bash);
        assert!(bash.ends_with(&bash_nodes()), "{bash}");
        assert!(bash.ends_with(
            "    COMPREPLY+=($(compgen -W \"$nodes\" -- \"${COMP_WORDS[COMP_CWORD]}\"))\n}\n\
             complete -F _galeractl_with_nodes -o nosort -o bashdefault -o default galeractl\n"
        ));
        assert!(bash_nodes().contains(
            "    case \" stop-node start-node restart logs sql \" in *\" $cmd \"*) ;; *) return ;; esac\n"
        ));
        let fish = completion_script(CompletionShell::Fish);
        assert!(fish.ends_with(
            "complete -c galeractl -n \"__fish_seen_subcommand_from stop-node start-node restart logs sql\" -a \"(__galeractl_nodes)\" -d node\n"
        ), "{fish}");
        let zsh = completion_script(CompletionShell::Zsh);
        assert!(!zsh.contains("complete-nodes") && !zsh.contains("galeractl_nodes"));
        // The hidden command is not offered.
        assert!(!bash.contains("galeractl__complete__nodes"));
    }

    #[test]
    fn the_man_page_has_a_section_per_command_and_ends_with_exit_status_environment_files() {
        let page = String::from_utf8(man_page().unwrap_or_default()).unwrap_or_default();
        assert!(page.starts_with(".ie \\n(.g .ds Aq \\(aq\n"), "{page}");
        assert!(
            page.contains(
                "\n.SH \"GALERACTL UP\"\n.ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n.SS SYNOPSIS\n\\fBgaleractl up\\fR "
            ),
            "{page}"
        );
        assert!(!page.contains("GALERACTL COMPLETE-NODES"));
        assert!(page.ends_with(MAN_TAIL));
        assert!(MAN_TAIL.starts_with(".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\n"));
    }
}
