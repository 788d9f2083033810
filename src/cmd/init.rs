//! `galeractl init`: a new cluster's inventory and its secret files. The runbook: make the
//! inventory's text from the flags, check it with the inventory's own parser, refuse when any
//! file to write exists, draw the passwords, then make every file new (`create_new`: nothing is
//! ever overwritten), the inventory last; on a failure, remove what this run made.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, BufRead, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{Failure, Outcome};
use crate::cli::InitArgs;
use crate::exit;
use crate::init::{self, InitSpec, INVENTORY_FILE, PASSWORD_LEN, SECRETS_DIR};

pub fn run(args: &InitArgs) -> Outcome {
    let spec = spec(args)?;
    let text = init::inventory_text(&spec);
    let layout = Layout::new(&args.dir, &spec);
    check_text(&layout, &text)?;
    layout.refuse_existing()?;
    layout.warn_open_secrets_dir();
    let shown = (args.dir != Path::new(".")).then(|| layout.inventory.shown.clone());
    let next = init::next_commands(shown.as_deref());
    if args.dry_run {
        if args.json {
            outln!("{:#}", json_doc(&layout, &spec, &text, false, &next));
        } else {
            print_dry_run(&layout, &text);
        }
        return Ok(ExitCode::SUCCESS);
    }
    // The directories that will be made, named before they are.
    let doc = args
        .json
        .then(|| json_doc(&layout, &spec, &text, true, &next));
    let passwords = draw_passwords(layout.secrets.len())?;
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

/// `init --json`: what was (or, with `--dry-run`, would be) made: the inventory and its text,
/// the secret files (never a password), the directories, the nodes, and what to run next.
fn json_doc(
    layout: &Layout,
    spec: &InitSpec,
    text: &str,
    written: bool,
    next: &[String],
) -> serde_json::Value {
    serde_json::json!({
        "written": written,
        "cluster": spec.cluster,
        "nodes": spec
            .hosts
            .iter()
            .enumerate()
            .map(|(i, host)| serde_json::json!({ "name": init::node_name(i), "host": host }))
            .collect::<Vec<_>>(),
        "inventory": layout.inventory.shown,
        "secrets": layout.secrets.iter().map(|t| &t.shown).collect::<Vec<_>>(),
        "directories": layout
            .missing_dirs()
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>(),
        "text": text,
        "next": next,
    })
}

/// The flags as the inventory will say them; the SSH identity must exist.
fn spec(args: &InitArgs) -> Result<InitSpec, Failure> {
    let answers = if args.cluster.is_none() || args.hosts.is_empty() {
        interview(args)?
    } else {
        Answers::default()
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
        ssh_identity: args
            .ssh_identity
            .as_deref()
            .map(|p| existing_file(p, "--ssh-identity", "a private key"))
            .transpose()?,
        known_hosts: args
            .known_hosts
            .as_deref()
            .map(|p| existing_file(p, "--known-hosts", "a known_hosts file"))
            .transpose()?,
        sudo: args.sudo || answers.sudo,
        haproxy_host: args.haproxy_host.clone().or(answers.haproxy_host),
        haproxy_image: args.haproxy_image.clone(),
    })
}

/// What the operator answered on a terminal for the flags not given.
#[derive(Debug, Default)]
struct Answers {
    cluster: Option<String>,
    hosts: Vec<String>,
    ssh_user: Option<String>,
    sudo: bool,
    haproxy_host: Option<String>,
}

/// Without --cluster or --host: on a terminal, the questions for what the flags did not say;
/// without one, the usage error that names the flags.
fn interview(args: &InitArgs) -> Result<Answers, Failure> {
    if !super::confirm::terminal() {
        return Err(Failure::new(
            exit::USAGE,
            "init needs --cluster NAME and --host HOST (once per node), or a terminal to ask them on",
        ));
    }
    errln!("galeractl init: a new inventory (empty answers take the [default]; Ctrl-D stops)");
    let mut a = Answers::default();
    if args.cluster.is_none() {
        a.cluster = Some(question("Cluster name", Some("galera"))?);
    }
    if args.hosts.is_empty() {
        let line = question(
            "The nodes' hosts, in order (the first bootstraps), separated by spaces or commas",
            None,
        )?;
        a.hosts = init::split_hosts(&line);
    }
    if args.ssh_user.is_none() {
        let user = question("SSH login user on the hosts", Some("root"))?;
        a.ssh_user = Some(user);
    }
    let user = args.ssh_user.as_deref().or(a.ssh_user.as_deref());
    if !args.sudo && user.is_some_and(|u| u != "root") {
        a.sudo = super::confirm::is_yes(&question(
            "That user is not root: run every command on the hosts through sudo -n? [y/n]",
            Some("y"),
        )?);
    }
    if args.haproxy_host.is_none() {
        let host = question(
            "HAProxy's host in front of the nodes (empty: no proxy)",
            Some(""),
        )?;
        a.haproxy_host = (!host.is_empty()).then_some(host);
    }
    Ok(a)
}

/// One question on stderr, one line from stdin: the trimmed answer, or the default for an
/// empty one. End of input stops `init` with nothing written.
fn question(text: &str, default: Option<&str>) -> Result<String, Failure> {
    match default {
        Some(d) if !d.is_empty() => err!("{text} [{d}]: "),
        _ => err!("{text}: "),
    }
    let mut line = String::new();
    match io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => {
            errln!("");
            Err(Failure::new(
                exit::USAGE,
                "init: no answer (end of input); nothing was written",
            ))
        }
        Ok(_) => {
            let answer = line.trim();
            Ok(match default {
                Some(d) if answer.is_empty() => d.to_string(),
                _ => answer.to_string(),
            })
        }
    }
}

/// A file flag's path as written into the inventory: `~/...` as given (galeractl expands it),
/// any other path made absolute, since the inventory's relative paths start from its
/// directory. The file must exist.
fn existing_file(path: &Path, flag: &str, what: &str) -> Result<String, Failure> {
    let usage =
        |why: String| Failure::new(exit::USAGE, format!("{flag} {}: {why}", path.display()));
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

/// A file or directory to make: where it is, and how it is shown.
#[derive(Debug, Clone)]
struct Target {
    path: PathBuf,
    shown: String,
}

/// Every path `init` makes in DIR.
struct Layout {
    dir: PathBuf,
    secrets_dir: Target,
    secrets: Vec<Target>,
    inventory: Target,
}

impl Layout {
    fn new(dir: &Path, spec: &InitSpec) -> Layout {
        let target = |relative: &str| Target {
            path: dir.join(relative),
            shown: if dir == Path::new(".") {
                relative.to_string()
            } else {
                dir.join(relative).to_string_lossy().into_owned()
            },
        };
        Layout {
            dir: dir.to_path_buf(),
            secrets_dir: target(SECRETS_DIR),
            secrets: init::secret_files(spec)
                .iter()
                .map(|f| target(f.path))
                .collect(),
            inventory: target(INVENTORY_FILE),
        }
    }

    /// The files to write, the inventory last.
    fn files(&self) -> impl Iterator<Item = &Target> {
        self.secrets.iter().chain(std::iter::once(&self.inventory))
    }

    /// Refuses, before anything is made, when a file to write exists (a dangling link
    /// included), or DIR or secrets/ is something else than a directory.
    fn refuse_existing(&self) -> Result<(), Failure> {
        for dir in [&self.dir, &self.secrets_dir.path] {
            if let Ok(m) = std::fs::metadata(dir) {
                if !m.is_dir() {
                    return Err(Failure::new(
                        exit::USAGE,
                        format!(
                            "{} exists and is not a directory; nothing was written",
                            dir.display()
                        ),
                    ));
                }
            }
        }
        let mut existing = Vec::new();
        for t in self.files() {
            match std::fs::symlink_metadata(&t.path) {
                Ok(_) => existing.push(t.shown.as_str()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Failure::new(
                        exit::FAILED,
                        format!("cannot check {}: {e}; nothing was written", t.shown),
                    ))
                }
            }
        }
        if existing.is_empty() {
            return Ok(());
        }
        Err(Failure::new(
            exit::REFUSED,
            format!(
                "{} already exist{}: init never overwrites a file; nothing was written (move {} away, or give another --dir)",
                existing.join(", "),
                if existing.len() == 1 { "s" } else { "" },
                if existing.len() == 1 { "it" } else { "them" },
            ),
        ))
    }

    /// An existing secrets/ is used as it is, but others should not list it.
    fn warn_open_secrets_dir(&self) {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(&self.secrets_dir.path) else {
            return;
        };
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            errln!(
                "galeractl: warning: {}/ exists with mode {mode:04o}: others may list it; `chmod 700 {}`",
                self.secrets_dir.shown,
                crate::argv::shell_quote(&self.secrets_dir.shown)
            );
        }
    }

    /// The directories this run has to make: DIR's missing ancestors, DIR, then secrets/.
    fn missing_dirs(&self) -> Vec<PathBuf> {
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

    /// Makes the directories and files; on a failure removes what it made and says so. Returns
    /// the lines that tell what was made.
    fn write(&self, text: &str, passwords: &[String]) -> Result<Vec<String>, Failure> {
        let mut made = Made::default();
        match self.write_all(text, passwords, &mut made) {
            Ok(lines) => Ok(lines),
            Err((what, e)) => {
                let code = if e.kind() == io::ErrorKind::AlreadyExists {
                    exit::REFUSED
                } else {
                    exit::FAILED
                };
                let undone = made.undo();
                Err(Failure::new(
                    code,
                    format!("cannot make {what}: {e}; {undone}"),
                ))
            }
        }
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
                lines.push(format!("made {}/ (0700)", self.secrets_dir.shown));
            }
        }
        for (t, password) in self.secrets.iter().zip(passwords) {
            create(&t.path, 0o600, password.as_bytes(), made).map_err(|e| (t.shown.clone(), e))?;
            lines.push(format!(
                "wrote {} (0600): {PASSWORD_LEN} random letters and digits",
                t.shown
            ));
        }
        create(&self.inventory.path, 0o644, text.as_bytes(), made)
            .map_err(|e| (self.inventory.shown.clone(), e))?;
        lines.push(format!("wrote {}", self.inventory.shown));
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

/// The inventory's own parser on the text: its warnings shown, any error a usage error.
fn check_text(layout: &Layout, text: &str) -> Result<(), Failure> {
    let parsed = crate::inventory::parse(Path::new(&layout.inventory.shown), text);
    super::print_warnings(&parsed.report);
    let errors = parsed
        .report
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .count();
    if errors == 0 {
        return Ok(());
    }
    Err(Failure::new(
        exit::USAGE,
        format!(
            "these flags make an invalid inventory ({errors} error{} above, in the text init would write); nothing was written",
            if errors == 1 { "" } else { "s" }
        ),
    ))
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

/// One password per secret file, from /dev/urandom, before anything is made.
fn draw_passwords(count: usize) -> Result<Vec<String>, Failure> {
    let cannot = |e: io::Error| {
        Failure::new(
            exit::FAILED,
            format!("cannot read /dev/urandom: {e}; nothing was written"),
        )
    };
    let mut urandom = File::open("/dev/urandom").map_err(cannot)?;
    let mut passwords = Vec::with_capacity(count);
    while passwords.len() < count {
        let mut bytes = [0u8; 128];
        urandom.read_exact(&mut bytes).map_err(cannot)?;
        if let Some(p) = init::password(&mut bytes.into_iter()) {
            passwords.push(p);
        }
    }
    Ok(passwords)
}

/// `--dry-run`: what would be made, as TOML comments, then the inventory's text; so the whole
/// output is the inventory. No password is drawn.
fn print_dry_run(layout: &Layout, text: &str) {
    outln!("# galeractl init --dry-run: nothing was written; init would make:");
    for dir in layout.missing_dirs() {
        if dir == layout.secrets_dir.path {
            outln!("#   {}/ (0700)", layout.secrets_dir.shown);
        } else {
            outln!("#   {}/", dir.display());
        }
    }
    for t in &layout.secrets {
        outln!(
            "#   {} (0600): {PASSWORD_LEN} random letters and digits",
            t.shown
        );
    }
    outln!("#   {}, this text:", layout.inventory.shown);
    out!("{text}");
}
