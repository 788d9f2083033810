//! The secret files the inventory names, judged from the facts the I/O layer gathers: present,
//! small, owner-only, and text that reads the same to galeractl and to the image.

use std::path::Path;

use super::Located;
use crate::diagnostic::Diagnostic;
use crate::inventory::rules;
use crate::inventory::{Inventory, SecretFileFacts, SecretText, MAX_SECRET_BYTES};

/// Secret files must exist, be non-empty, small, and readable by their owner only.
pub(in crate::inventory) fn check_secret_files(
    inventory: &Inventory,
    located: &Located,
    facts: impl Fn(&Path) -> SecretFileFacts,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (key, path) in inventory.secret_files() {
        let span = located.secrets.get(key).cloned().unwrap_or(0..0);
        let shown = path.display();
        let problem = match facts(path) {
            SecretFileFacts::Missing => Some(format!("secret file {shown} does not exist")),
            SecretFileFacts::NotAFile => Some(format!("secret file {shown} is not a regular file")),
            SecretFileFacts::Empty => Some(format!(
                "secret file {shown} is empty: an empty password is refused"
            )),
            SecretFileFacts::TooLarge(size) => Some(format!(
                "secret file {shown} is {size} bytes: a password file may hold at most {MAX_SECRET_BYTES} bytes"
            )),
            SecretFileFacts::Present(mode, _) if mode & 0o077 != 0 => Some(format!(
                "secret file {shown} is readable by group or others (mode {mode:04o}): run chmod 600 {shown}"
            )),
            SecretFileFacts::Present(_, Some(text)) => secret_text_problem(key, &shown, text),
            SecretFileFacts::Present(_, None) => None,
        };
        if let Some(message) = problem {
            out.push(Diagnostic::error(span, key, message));
        }
    }
    out
}

/// What in a secret's text breaks at run time, for the key that names it: the monitoring
/// password must read the same to galeractl and to the image (no CRLF line end); the SST,
/// backup and stats passwords are written into option files unquoted.
fn secret_text_problem(
    key: &str,
    shown: &std::path::Display<'_>,
    text: SecretText,
) -> Option<String> {
    match key {
        "cluster.monitor_password_file" if text.ends_in_cr => Some(format!(
            "secret file {shown} ends in a carriage return (a CRLF line end): the image keeps it in the password and galeractl does not, so galeractl could not log in; remove it (dos2unix {shown})"
        )),
        "cluster.sst_password_file" | "cluster.backup_password_file" | "haproxy.stats_password_file"
            if !text.plain =>
        {
            Some(format!(
                "the password in {shown} has characters that galeractl does not write into a configuration file: use letters, digits and {} (openssl rand -hex 24 makes one)",
                rules::PLAIN_PUNCTUATION
            ))
        }
        _ => None,
    }
}
