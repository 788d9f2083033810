//! The `Checker` every section shares: it collects diagnostics and judges one value at a time
//! (a port, a name, a host, a path, an image, one of a few words); and a port set as written.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::diagnostic::{position, Diagnostic};
use crate::inventory::raw::{RawPorts, S};
use crate::inventory::rules::{self, check_address, is_valid_name, shown};
use crate::inventory::Ports;

pub(super) struct Checker<'a> {
    pub(super) source: &'a str,
    pub(super) diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    pub(super) fn error(
        &mut self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.diagnostics.push(Diagnostic::error(span, key, message));
    }

    pub(super) fn line_of(&self, span: &Range<usize>) -> usize {
        position(self.source, span.start).line
    }

    pub(super) fn port(
        &mut self,
        value: Option<&S<i64>>,
        key: String,
        default: u16,
    ) -> (u16, Range<usize>) {
        let Some(v) = value else {
            return (default, 0..0);
        };
        match u16::try_from(*v.get_ref()) {
            Ok(p) if p > 0 => (p, v.span()),
            _ => {
                self.error(
                    v.span(),
                    key,
                    format!("port {} is out of range (1-65535)", v.get_ref()),
                );
                (default, v.span())
            }
        }
    }

    pub(super) fn name(&mut self, value: &S<String>, key: &str, what: &str) -> String {
        let name = value.get_ref();
        if !is_valid_name(name) {
            self.error(
                value.span(),
                key,
                format!(
                    "{what} {} is not valid: use letters, digits, '-', '_' or '.', starting with a letter or digit, at most 64 characters",
                    shown(name)
                ),
            );
        }
        name.clone()
    }

    pub(super) fn host(&mut self, value: &S<String>, key: &str) -> String {
        let host = value.get_ref();
        if let Err(why) = check_address(host) {
            self.error(value.span(), key, format!("{} is not {why}", shown(host)));
        }
        host.clone()
    }

    pub(super) fn non_empty(&mut self, value: &S<String>, key: &str) -> String {
        if value.get_ref().trim().is_empty() {
            self.error(value.span(), key, "must not be empty");
        }
        value.get_ref().clone()
    }

    /// A value that must not be empty and that `problem` must find nothing wrong with.
    pub(super) fn judged(
        &mut self,
        value: &S<String>,
        key: &str,
        what: &str,
        problem: fn(&str) -> Option<&'static str>,
    ) -> String {
        let text = value.get_ref();
        if text.trim().is_empty() {
            self.error(value.span(), key, "must not be empty");
        } else if let Some(why) = problem(text) {
            self.error(value.span(), key, format!("{what}{} {why}", shown(text)));
        }
        text.clone()
    }

    /// A path on this machine, resolved from the inventory's directory. A control character
    /// in it (a newline, ...) is refused: no file needs one, and it would break every text the
    /// path is written into (a plan, `export k8s`'s comments).
    pub(super) fn path(&mut self, base: &Path, value: &S<String>, key: &str) -> PathBuf {
        let text = value.get_ref();
        if text.chars().any(char::is_control) {
            self.error(
                value.span(),
                key,
                format!(
                    "path {} has a control character (a newline, a tab, ...): rename the file",
                    shown(text)
                ),
            );
        }
        resolve(base, text)
    }

    pub(super) fn image(&mut self, value: &S<String>, key: &str) -> String {
        self.judged(value, key, "image ", rules::image_problem)
    }

    pub(super) fn one_of<T: Copy>(
        &mut self,
        value: Option<&S<String>>,
        key: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> T {
        let Some(v) = value else { return default };
        if let Some((_, chosen)) = choices.iter().find(|(name, _)| name == v.get_ref()) {
            *chosen
        } else {
            let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
            self.error(
                v.span(),
                key,
                format!("{} is not one of {}", shown(v.get_ref()), names.join(", ")),
            );
            default
        }
    }
}

/// Relative paths are anchored at the inventory's directory; `~/...` is left for the I/O layer
/// to expand (the core reads no environment).
fn resolve(base: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() || file.starts_with("~/") {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// The cluster's port set and where each of its ports is written (`0..0`: the default).
pub(super) struct ClusterPorts {
    pub(super) ports: Ports,
    pub(super) spans: [Range<usize>; 4],
}

pub(super) fn ports_of(
    c: &mut Checker<'_>,
    raw: Option<&RawPorts>,
    prefix: &str,
    defaults: Ports,
) -> ClusterPorts {
    let empty = RawPorts::default();
    let raw = raw.unwrap_or(&empty);
    let (mysql, s1) = c.port(
        raw.mysql.as_ref(),
        format!("{prefix}.mysql"),
        defaults.mysql,
    );
    let (galera, s2) = c.port(
        raw.galera.as_ref(),
        format!("{prefix}.galera"),
        defaults.galera,
    );
    let (sst, s3) = c.port(raw.sst.as_ref(), format!("{prefix}.sst"), defaults.sst);
    let (ist, s4) = c.port(raw.ist.as_ref(), format!("{prefix}.ist"), defaults.ist);
    ClusterPorts {
        ports: Ports {
            mysql,
            galera,
            sst,
            ist,
        },
        spans: [s1, s2, s3, s4],
    }
}
