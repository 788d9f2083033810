//! `init`'s I/O: the files its flags name, checked; what is on the disk where it writes; the
//! directories and files made new (`create_new`: nothing is ever overwritten), the inventory
//! last, and on a failure what this run made removed again; the passwords' random bytes from
//! /dev/urandom. Each failure is an [`InitError`] with its exit code.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::layout::exists_message;
use super::Layout;
use crate::exit;

/// Why `init` wrote nothing (or removed what it had made); each message says so.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A flag's file (`--ssh-identity`, `--known-hosts`) is not usable.
    #[error("{flag} {path}: {why}")]
    Flag {
        flag: String,
        path: String,
        why: String,
    },
    /// DIR or secrets/ exists and is something else than a directory.
    #[error("{0} exists and is not a directory; nothing was written")]
    NotADirectory(String),
    /// Whether a file to write exists could not be told.
    #[error("cannot check {what}: {source}; nothing was written")]
    Check { what: String, source: io::Error },
    /// Files to write exist (as shown).
    #[error("{}", exists_message(.0))]
    Exists(Vec<String>),
    /// Making `what` failed; `undone` says how removing what this run made went.
    #[error("cannot make {what}: {source}; {undone}")]
    Make {
        what: String,
        source: io::Error,
        undone: String,
    },
    /// No random bytes for the passwords.
    #[error("cannot read /dev/urandom: {0}; nothing was written")]
    Random(io::Error),
}

impl InitError {
    /// `exit::USAGE` for what the flags said, `exit::REFUSED` for a file that exists (found
    /// first, or made by someone else meanwhile), `exit::FAILED` for the rest.
    pub fn exit_code(&self) -> u8 {
        match self {
            InitError::Flag { .. } | InitError::NotADirectory(_) => exit::USAGE,
            InitError::Exists(_) => exit::REFUSED,
            InitError::Make { source, .. } if source.kind() == io::ErrorKind::AlreadyExists => {
                exit::REFUSED
            }
            InitError::Check { .. } | InitError::Make { .. } | InitError::Random(_) => exit::FAILED,
        }
    }
}

/// A file flag's path as written into the inventory: `~/...` as given (galeractl expands it),
/// any other path made absolute, since the inventory's relative paths start from its
/// directory. The file must exist; `what` says what it should be.
pub fn flag_file(path: &Path, flag: &str, what: &str) -> Result<String, InitError> {
    let usage = |why: String| InitError::Flag {
        flag: flag.to_string(),
        path: path.display().to_string(),
        why,
    };
    let text = path
        .to_str()
        .ok_or_else(|| usage("the path is not UTF-8 text, which TOML needs".into()))?;
    let (written, on_disk) = if let Some(rest) = text.strip_prefix("~/") {
        let home = std::env::var_os("HOME")
            .ok_or_else(|| usage("$HOME is not set, so ~/ means nothing".into()))?;
        (text.to_string(), PathBuf::from(home).join(rest))
    } else {
        let absolute = std::path::absolute(path).map_err(|e| usage(e.to_string()))?;
        let written = absolute
            .to_str()
            .ok_or_else(|| usage("the path is not UTF-8 text, which TOML needs".into()))?
            .to_string();
        (written, absolute)
    };
    match std::fs::metadata(&on_disk) {
        Ok(m) if m.is_dir() => Err(usage(format!("it is a directory, not {what}"))),
        Ok(_) => Ok(written),
        Err(e) => Err(usage(e.to_string())),
    }
}

impl Layout {
    /// Refuses, before anything is made, when a file to write exists (a dangling link
    /// included), or DIR or secrets/ is something else than a directory.
    pub fn refuse_existing(&self) -> Result<(), InitError> {
        for dir in [&self.dir, &self.secrets_dir.path] {
            if std::fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
                return Err(InitError::NotADirectory(dir.display().to_string()));
            }
        }
        let mut existing = Vec::new();
        for t in self.files() {
            match std::fs::symlink_metadata(&t.path) {
                Ok(_) => existing.push(t.shown.clone()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(InitError::Check {
                        what: t.shown.clone(),
                        source,
                    })
                }
            }
        }
        if existing.is_empty() {
            Ok(())
        } else {
            Err(InitError::Exists(existing))
        }
    }

    /// The mode of an existing secrets/ (for [`Layout::secrets_dir_warning`]).
    pub fn secrets_dir_mode(&self) -> Option<u32> {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(&self.secrets_dir.path).ok()?;
        Some(meta.permissions().mode())
    }

    /// The directories this run has to make: DIR's missing ancestors, DIR, then secrets/.
    pub fn missing_dirs(&self) -> Vec<PathBuf> {
        let mut missing: Vec<PathBuf> = self
            .dir
            .ancestors()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect();
        missing.reverse();
        if !self.secrets_dir.path.exists() {
            missing.push(self.secrets_dir.path.clone());
        }
        missing
    }

    /// Makes the directories and files, one password per secret file; on a failure removes
    /// what it made and says so. Returns the lines that tell what was made.
    pub fn write(&self, text: &str, passwords: &[String]) -> Result<Vec<String>, InitError> {
        let mut made = Made::default();
        self.write_all(text, passwords, &mut made)
            .map_err(|(what, source)| InitError::Make {
                what,
                source,
                undone: made.undo(),
            })
    }

    fn write_all(
        &self,
        text: &str,
        passwords: &[String],
        made: &mut Made,
    ) -> Result<Vec<String>, (String, io::Error)> {
        let mut lines = Vec::new();
        for dir in self.missing_dirs() {
            let secret = dir == self.secrets_dir.path;
            let mode = if secret { 0o700 } else { 0o755 };
            DirBuilder::new()
                .mode(mode)
                .create(&dir)
                .map_err(|e| (dir.display().to_string(), e))?;
            made.dirs.push(dir.clone());
            if secret {
                lines.push(self.made_secrets_dir());
            }
        }
        for (t, password) in self.secrets.iter().zip(passwords) {
            create(&t.path, 0o600, password.as_bytes(), made).map_err(|e| (t.shown.clone(), e))?;
            lines.push(Layout::wrote_secret(t));
        }
        create(&self.inventory.path, 0o644, text.as_bytes(), made)
            .map_err(|e| (self.inventory.shown.clone(), e))?;
        lines.push(self.wrote_inventory());
        Ok(lines)
    }
}

/// Makes `path` new (never over an existing file or link) with `mode`, holding `content`.
fn create(path: &Path, mode: u32, content: &[u8], made: &mut Made) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    made.files.push(path.to_path_buf());
    file.write_all(content)?;
    file.sync_all()
}

/// What one run made, to remove after a failure.
#[derive(Default)]
struct Made {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Made {
    /// Removes the files, then the directories (only when empty), and says how that went.
    fn undo(&self) -> String {
        let mut left = Vec::new();
        for f in &self.files {
            if std::fs::remove_file(f).is_err() {
                left.push(f.display().to_string());
            }
        }
        for d in self.dirs.iter().rev() {
            if std::fs::remove_dir(d).is_err() {
                left.push(d.display().to_string());
            }
        }
        if left.is_empty() {
            "what this run had made was removed: nothing was written".to_string()
        } else {
            format!("could not remove what this run made: {}", left.join(", "))
        }
    }
}

/// One password per secret file (`count`), from /dev/urandom, before anything is made.
pub fn draw_passwords(count: usize) -> Result<Vec<String>, InitError> {
    let mut urandom = File::open("/dev/urandom").map_err(InitError::Random)?;
    let mut passwords = Vec::with_capacity(count);
    while passwords.len() < count {
        let mut bytes = [0u8; 128];
        urandom.read_exact(&mut bytes).map_err(InitError::Random)?;
        if let Some(p) = super::password(&mut bytes.into_iter()) {
            passwords.push(p);
        }
    }
    Ok(passwords)
}
