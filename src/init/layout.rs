//! Every path `init` makes in DIR ([`Layout`]), and what `init` says about them: the lines of
//! what was made, the `--dry-run` text, the `--json` document, the refusals. Pure: what is on
//! the disk (the directories missing, a directory's mode) is the caller's argument, read by
//! `files.rs`.

use std::path::{Path, PathBuf};

use super::{secret_files, InitSpec, INVENTORY_FILE, PASSWORD_LEN, SECRETS_DIR};
use crate::diagnostic::FileDiagnostics;

/// A file or directory to make: where it is, and how it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub path: PathBuf,
    pub shown: String,
}

/// Every path `init` makes in DIR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub dir: PathBuf,
    pub secrets_dir: Target,
    /// One per secret file of the inventory, in the order they are written.
    pub secrets: Vec<Target>,
    pub inventory: Target,
}

impl Layout {
    /// The paths for `spec` in `dir`, shown relative to `dir` when it is `.`.
    pub fn new(dir: &Path, spec: &InitSpec) -> Layout {
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
            secrets: secret_files(spec).iter().map(|f| target(f.path)).collect(),
            inventory: target(INVENTORY_FILE),
        }
    }

    /// The files to write, the inventory last.
    pub fn files(&self) -> impl Iterator<Item = &Target> {
        self.secrets.iter().chain(std::iter::once(&self.inventory))
    }

    /// The inventory as the next commands name it: `None` in `.`, where galeractl finds it.
    pub fn inventory_for_next(&self) -> Option<&str> {
        (self.dir != Path::new(".")).then_some(self.inventory.shown.as_str())
    }

    /// The line for secrets/ made.
    pub fn made_secrets_dir(&self) -> String {
        format!("made {}/ (0700)", self.secrets_dir.shown)
    }

    /// The line for a secret file written.
    pub fn wrote_secret(secret: &Target) -> String {
        format!(
            "wrote {} (0600): {PASSWORD_LEN} random letters and digits",
            secret.shown
        )
    }

    /// The line for the inventory written.
    pub fn wrote_inventory(&self) -> String {
        format!("wrote {}", self.inventory.shown)
    }

    /// `--dry-run`: what would be made (`missing`: the directories to make, as `files.rs`
    /// finds them), as TOML comments, then the inventory's `text`; so the whole output is the
    /// inventory. No password is drawn.
    pub fn dry_run_text(&self, missing: &[PathBuf], text: &str) -> String {
        let mut out =
            String::from("# galeractl init --dry-run: nothing was written; init would make:\n");
        for dir in missing {
            if *dir == self.secrets_dir.path {
                out.push_str(&format!("#   {}/ (0700)\n", self.secrets_dir.shown));
            } else {
                out.push_str(&format!("#   {}/\n", dir.display()));
            }
        }
        for t in &self.secrets {
            out.push_str(&format!(
                "#   {} (0600): {PASSWORD_LEN} random letters and digits\n",
                t.shown
            ));
        }
        out.push_str(&format!("#   {}, this text:\n", self.inventory.shown));
        out.push_str(text);
        out
    }

    /// `init --json`: what was (`written`) or, with `--dry-run`, would be made: the inventory
    /// and its text, the secret files (never a password), the directories (`missing`, named
    /// before they are made), the nodes, and what to run next.
    pub fn json(
        &self,
        spec: &InitSpec,
        missing: &[PathBuf],
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
                .map(|(i, host)| serde_json::json!({ "name": super::node_name(i), "host": host }))
                .collect::<Vec<_>>(),
            "inventory": self.inventory.shown,
            "secrets": self.secrets.iter().map(|t| &t.shown).collect::<Vec<_>>(),
            "directories": missing
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>(),
            "text": text,
            "next": next,
        })
    }

    /// An existing secrets/ is used as it is, but others should not list it: the warning for
    /// its `mode`, if it lets them.
    pub fn secrets_dir_warning(&self, mode: u32) -> Option<String> {
        let mode = mode & 0o7777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "galeractl: warning: {}/ exists with mode {mode:04o}: others may list it; `chmod 700 {}`",
                self.secrets_dir.shown,
                crate::argv::shell_quote(&self.secrets_dir.shown)
            )
        })
    }
}

/// The refusal when files to write exist (`existing`, as shown).
pub fn exists_message(existing: &[String]) -> String {
    format!(
        "{} already exist{}: init never overwrites a file; nothing was written (move {} away, or give another --dir)",
        existing.join(", "),
        if existing.len() == 1 { "s" } else { "" },
        if existing.len() == 1 { "it" } else { "them" },
    )
}

/// The refusal when the inventory's own parser finds errors in the text `init` would write
/// (they are shown above it, with the warnings); `None` without an error.
pub fn invalid_text(report: &FileDiagnostics) -> Option<String> {
    let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
    (errors > 0).then(|| {
        format!(
            "these flags make an invalid inventory ({errors} error{} above, in the text init would write); nothing was written",
            if errors == 1 { "" } else { "s" }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(haproxy: bool) -> InitSpec {
        InitSpec {
            cluster: "c".into(),
            hosts: vec!["h1".into(), "h2".into()],
            image: super::super::DEFAULT_IMAGE.into(),
            ssh_user: None,
            ssh_identity: None,
            known_hosts: None,
            sudo: false,
            haproxy_host: haproxy.then(|| "h1".into()),
            haproxy_image: None,
        }
    }

    #[test]
    fn paths_are_shown_as_the_operator_gave_the_directory() {
        let here = Layout::new(Path::new("."), &spec(false));
        assert_eq!(here.inventory.shown, "galeractl.toml");
        assert_eq!(here.inventory.path, Path::new("./galeractl.toml"));
        assert_eq!(here.inventory_for_next(), None);
        let there = Layout::new(Path::new("ops/c"), &spec(true));
        assert_eq!(there.secrets_dir.shown, "ops/c/secrets");
        assert_eq!(there.inventory_for_next(), Some("ops/c/galeractl.toml"));
        let files: Vec<&str> = there.files().map(|t| t.shown.as_str()).collect();
        assert_eq!(
            files,
            [
                "ops/c/secrets/root-password",
                "ops/c/secrets/monitor-password",
                "ops/c/secrets/sst-password",
                "ops/c/secrets/backup-password",
                "ops/c/secrets/haproxy-stats-password",
                "ops/c/galeractl.toml",
            ]
        );
        assert_eq!(there.made_secrets_dir(), "made ops/c/secrets/ (0700)");
        assert_eq!(
            Layout::wrote_secret(&there.secrets[0]),
            "wrote ops/c/secrets/root-password (0600): 32 random letters and digits"
        );
        assert_eq!(there.wrote_inventory(), "wrote ops/c/galeractl.toml");
    }

    #[test]
    fn the_dry_run_is_comments_then_the_text() {
        let layout = Layout::new(Path::new("new"), &spec(false));
        let missing = [PathBuf::from("new"), PathBuf::from("new/secrets")];
        assert_eq!(
            layout.dry_run_text(&missing, "[cluster]\n"),
            "# galeractl init --dry-run: nothing was written; init would make:\n\
             #   new/\n\
             #   new/secrets/ (0700)\n\
             #   new/secrets/root-password (0600): 32 random letters and digits\n\
             #   new/secrets/monitor-password (0600): 32 random letters and digits\n\
             #   new/secrets/sst-password (0600): 32 random letters and digits\n\
             #   new/secrets/backup-password (0600): 32 random letters and digits\n\
             #   new/galeractl.toml, this text:\n\
             [cluster]\n"
        );
    }

    #[test]
    fn the_json_names_every_path_and_no_password() {
        let layout = Layout::new(Path::new("."), &spec(false));
        let next = vec!["galeractl up".to_string()];
        assert_eq!(
            layout.json(
                &spec(false),
                &[PathBuf::from("./secrets")],
                "T",
                true,
                &next
            ),
            serde_json::json!({
                "written": true,
                "cluster": "c",
                "nodes": [{"name": "nodea", "host": "h1"}, {"name": "nodeb", "host": "h2"}],
                "inventory": "galeractl.toml",
                "secrets": [
                    "secrets/root-password",
                    "secrets/monitor-password",
                    "secrets/sst-password",
                    "secrets/backup-password",
                ],
                "directories": ["./secrets"],
                "text": "T",
                "next": ["galeractl up"],
            })
        );
    }

    #[test]
    fn refusals_name_the_files_and_count_the_errors() {
        assert_eq!(
            exists_message(&["galeractl.toml".into()]),
            "galeractl.toml already exists: init never overwrites a file; nothing was written (move it away, or give another --dir)"
        );
        assert_eq!(
            exists_message(&["a".into(), "b".into()]),
            "a, b already exist: init never overwrites a file; nothing was written (move them away, or give another --dir)"
        );
        let parsed = crate::inventory::parse(Path::new("galeractl.toml"), "[cluster]\nname = 1\n");
        let Some(message) = invalid_text(&parsed.report) else {
            panic!("{:?}", parsed.report.diagnostics);
        };
        assert!(
            message.starts_with("these flags make an invalid inventory (")
                && message.ends_with(" above, in the text init would write); nothing was written"),
            "{message}"
        );
        let valid = crate::inventory::parse(
            Path::new("galeractl.toml"),
            include_str!("../../inventory.example.toml"),
        );
        assert_eq!(invalid_text(&valid.report), None);
    }

    #[test]
    fn an_open_secrets_directory_is_warned_about() {
        let layout = Layout::new(Path::new("my dir"), &spec(false));
        assert_eq!(layout.secrets_dir_warning(0o40700), None);
        assert_eq!(
            layout.secrets_dir_warning(0o40755).as_deref(),
            Some("galeractl: warning: my dir/secrets/ exists with mode 0755: others may list it; `chmod 700 'my dir/secrets'`")
        );
    }
}
