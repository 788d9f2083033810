//! The terminal's I/O: whether a person is there to answer, and one question asked on
//! stderr with its answer read from stdin.

use std::io::{BufRead, IsTerminal};

/// Stdin and stderr are both terminals: a person can see a question and answer it.
pub fn is_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Shows `prompt` on stderr and reads one line from stdin: the line, or `None` at the end of
/// input (Ctrl-D) or on a read error, after ending the prompt's line.
pub fn ask(prompt: &str) -> Option<String> {
    err!("{prompt}");
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => {
            // The prompt's line ends here, not in the next message.
            errln!("");
            None
        }
        Ok(_) => Some(line),
    }
}

/// Shows `summary` (what will be destroyed) on stderr and asks `Proceed? [y/N]`: only `y` or
/// `yes` ([`super::is_yes`]) is yes; the end of input or a read error is no.
pub fn ask_yes(summary: &str) -> bool {
    errln!("{}", summary.trim_end());
    ask("Proceed? [y/N] ").is_some_and(|line| super::is_yes(&line))
}
