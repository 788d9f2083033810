//! Rules about one value of an inventory, each saying in words what is wrong with it. They know
//! nothing of spans or keys: `validate` decides where a finding is reported.

use std::net::IpAddr;

/// The punctuation of a plain secret, besides ASCII letters and digits.
pub(crate) const PLAIN_PUNCTUATION: &str = "._~!@%^*+=-";

/// Whether galeractl writes `value` into an option file or SQL unquoted: ASCII letters,
/// digits and [`PLAIN_PUNCTUATION`] (the SST, backup and HAProxy stats passwords).
pub(crate) fn is_plain(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || PLAIN_PUNCTUATION.contains(c))
}

/// Names that become parts of container, volume and file names.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// An IP address or an RFC 1123 host name; dotted all-digit strings must be real IPv4.
pub(super) fn check_address(host: &str) -> Result<(), &'static str> {
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    if host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err("a valid IPv4 address");
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if host.len() <= 253 && host.split('.').all(label_ok) {
        Ok(())
    } else {
        Err("an IP address or a host name")
    }
}

/// The host as the network sees it: an IP address in its canonical form (so `2001:DB8::1` and
/// `2001:db8:0::1` are one host), a name in lower case (DNS ignores case).
pub(crate) fn host_key(host: &str) -> String {
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.to_canonical().to_string(),
        Err(_) => host.to_ascii_lowercase(),
    }
}

/// Names that resolve to the loopback address on common systems (RFC 6761 and /etc/hosts).
const LOOPBACK_NAMES: &[&str] = &[
    "localhost",
    "localhost.localdomain",
    "ip6-localhost",
    "ip6-loopback",
];

/// Why `host` means "this machine" rather than an address other machines can reach, if it does.
pub(super) fn local_only(host: &str) -> Option<&'static str> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        let ip = ip.to_canonical();
        if ip.is_loopback() {
            Some("a loopback address")
        } else if ip.is_unspecified() {
            Some("the unspecified address")
        } else {
            None
        }
    } else {
        let name = host.to_ascii_lowercase();
        (LOOPBACK_NAMES.contains(&name.as_str()) || name.ends_with(".localhost"))
            .then_some("a name of the loopback address")
    }
}

/// Settings that galeractl itself gives mariadbd (on its command line or in the node's config
/// file), or that `recover` uses; an extra option may not fight them. `user` stays: the image's
/// entrypoint runs the server as its own user.
pub(super) const MANAGED_OPTIONS: &[&str] = &[
    "wsrep-on",
    "wsrep-provider",
    "wsrep-cluster-name",
    "wsrep-cluster-address",
    "wsrep-node-name",
    "wsrep-node-address",
    "wsrep-node-incoming-address",
    "wsrep-sst-receive-address",
    "wsrep-provider-options",
    "wsrep-sst-method",
    "wsrep-new-cluster",
    "wsrep-start-position",
    "wsrep-recover",
    // A credential on a command line (galeractl writes it into an option file instead), and a
    // one-shot crash-recovery mode that must never stay on a node's command line.
    "wsrep-sst-auth",
    "tc-heuristic-recover",
    "binlog-format",
    "default-storage-engine",
    "innodb-autoinc-lock-mode",
    "innodb-flush-log-at-trx-commit",
    "port",
    "user",
    "datadir",
];

/// Options that galeractl does not manage but that defeat what it relies on, each with why
/// (one clause, after "which").
pub(super) const REFUSED_OPTIONS: &[(&str, &str)] = &[
    ("wsrep-sst-donor", "would override the donor galeractl chooses (a new cluster's joiners copy from the bootstrap node)"),
    ("innodb-data-home-dir", DIR_WHY),
    ("innodb-log-group-home-dir", DIR_WHY),
    ("innodb-undo-directory", DIR_WHY),
    ("wsrep-data-home-dir", DIR_WHY),
    ("log-error", "would send the server's log to a file, and galeractl reads it with docker logs (IST or SST, recover, the logs command)"),
    ("bind-address", "could stop the server listening where galeractl's probes and HAProxy reach it (its published port)"),
    ("skip-networking", "would close the TCP port that galeractl's probes and every client use"),
    ("socket", "would move the socket that galeractl's root scripts use inside the container"),
    ("skip-grant-tables", "would let anyone who reaches the port in as any user, with no password"),
    ("defaults-file", DEFAULTS_WHY),
    ("defaults-extra-file", DEFAULTS_WHY),
    ("defaults-group-suffix", DEFAULTS_WHY),
    ("no-defaults", DEFAULTS_WHY),
    ("print-defaults", DEFAULTS_WHY),
];

const DIR_WHY: &str = "would keep durable state outside the node's data volume, where a rolling replace deletes it and recovery does not look";
const DEFAULTS_WHY: &str =
    "mariadbd takes only as its first argument and refuses anywhere else (a crash loop)";

/// Prefixes mariadbd's option parser takes off a name before it looks the name up: `loose-`
/// (ignore if unknown), `skip-`/`disable-` (set to off), `enable-`, `maximum-` and `autoset-`.
/// `loose-` combines with the others (`--loose-skip-wsrep-on`).
const OPTION_PREFIXES: &[&str] = &[
    "loose-", "skip-", "disable-", "enable-", "maximum-", "autoset-",
];

/// Options whose whole name is also the start of a managed name. mariadbd takes an exact name
/// as itself, so these are not abbreviations (`--innodb=FORCE`, `--skip-innodb`).
const EXACT_OPTIONS: &[&str] = &["innodb"];

/// What is wrong with one entry of `mariadbd_options`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OptionProblem {
    /// Not written `--name` or `--name=value`.
    Malformed,
    /// Sets a managed option, possibly through a prefix such as `loose-` or `skip-`.
    Sets(&'static str),
    /// A unique prefix of a managed option's name, which mariadbd accepts as that option.
    Abbreviates(&'static str),
    /// Sets (or abbreviates) an option that defeats galeractl's mechanisms: its name and why.
    Refused(&'static str, &'static str),
    /// A name with a character no option name holds: whitespace, a control character, ...
    BadName,
    /// A control character (a newline, a tab, ...) in the value.
    ControlInValue,
}

/// Compares an option's name with the managed ones the way mariadbd reads it: `_` and `-` are
/// the same, case aside, with `loose-`, `skip-`, ... taken off, and a prefix of a name standing
/// for the name. Each form on the way to the bare name is checked, so real names that start with
/// one of the prefixes (`skip-name-resolve`) are compared as written too.
pub(super) fn check_option(text: &str) -> Result<(), OptionProblem> {
    let Some(rest) = text.strip_prefix("--") else {
        return Err(OptionProblem::Malformed);
    };
    let (written, value) = rest.split_once('=').unwrap_or((rest, ""));
    if !written
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(OptionProblem::BadName);
    }
    if value.chars().any(char::is_control) {
        return Err(OptionProblem::ControlInValue);
    }
    let normalised = written
        .trim_start_matches(['-', '_'])
        .replace('_', "-")
        .to_ascii_lowercase();
    let mut name = normalised.as_str();
    loop {
        if name.is_empty() || name.ends_with('-') {
            return Err(OptionProblem::Malformed);
        }
        if let Some(managed) = MANAGED_OPTIONS.iter().find(|m| **m == name) {
            return Err(OptionProblem::Sets(managed));
        }
        if let Some((refused, why)) = REFUSED_OPTIONS.iter().find(|(r, _)| *r == name) {
            return Err(OptionProblem::Refused(refused, why));
        }
        if !EXACT_OPTIONS.contains(&name) {
            if let Some(managed) = MANAGED_OPTIONS.iter().find(|m| m.starts_with(name)) {
                return Err(OptionProblem::Abbreviates(managed));
            }
            if let Some((refused, why)) = REFUSED_OPTIONS.iter().find(|(r, _)| r.starts_with(name))
            {
                return Err(OptionProblem::Refused(refused, why));
            }
        }
        match OPTION_PREFIXES.iter().find_map(|p| name.strip_prefix(p)) {
            // `--loose--x`: after a prefix the rest must itself be a name.
            Some(shorter) if shorter.starts_with('-') => return Err(OptionProblem::Malformed),
            Some(shorter) => name = shorter,
            None => return Ok(()),
        }
    }
}

/// What makes `image` unusable as the image argument of `docker run`, if anything.
pub(super) fn image_problem(image: &str) -> Option<&'static str> {
    if image.starts_with('-') {
        Some("starts with '-', so docker would take it for an option")
    } else if image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("contains whitespace or a control character, which no image reference holds")
    } else if repository_path(image)
        .chars()
        .any(|c| c.is_ascii_uppercase())
    {
        Some("has upper case in its repository name, which docker refuses: write the name in lower case (a tag may keep its case)")
    } else {
        None
    }
}

/// The repository path of an image reference: without the registry host (a first part with a
/// '.' or ':', or `localhost`, which may have upper case), the tag and the digest.
fn repository_path(image: &str) -> &str {
    let name = image.split('@').next().unwrap_or(image);
    let name = match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => &name[..i],
        _ => name,
    };
    match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => rest,
        _ => name,
    }
}

/// What makes `dir` unusable as galeractl's directory on the hosts, if anything. The cluster's
/// own directory below it is bind-mounted with `--volume <dir>/...:<inside>:ro`.
pub(super) fn config_dir_problem(dir: &str) -> Option<&'static str> {
    if !dir.starts_with('/') {
        Some("must be an absolute path")
    } else if dir.chars().any(char::is_control) {
        Some("contains a control character (a newline, a tab, ...)")
    } else if dir.contains(':') {
        Some("contains ':', which docker's --volume takes as the end of the host path")
    } else if dir.trim_end_matches('/').is_empty() {
        Some("is the root directory: give galeractl a directory of its own, such as \"/etc/galeractl\"")
    } else if dir.split('/').any(|part| part == "." || part == "..") {
        Some("has a '.' or '..' part: write the directory itself")
    } else if let Some(open) = WORLD_WRITABLE.iter().find(|w| within(dir, w)) {
        Some(match *open {
            "/tmp" => "is in /tmp, which every user may write: another user could make the cluster's directory first and own it",
            "/var/tmp" => "is in /var/tmp, which every user may write: another user could make the cluster's directory first and own it",
            _ => "is in /dev/shm, which every user may write: another user could make the cluster's directory first and own it",
        })
    } else if SYSTEM_DIRS.contains(&dir.trim_end_matches('/').replace("//", "/").as_str()) {
        Some("is a system directory: the cluster's directory in it could be one the system uses (/etc/ssh, /var/lib/docker), which galeractl would make 0700 and write into; give galeractl a directory of its own, such as \"/etc/galeractl\"")
    } else {
        None
    }
}

/// Directories every user may write (sticky, mode 1777 on common systems).
const WORLD_WRITABLE: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];

/// Directories whose subdirectories belong to the system or to other software: the cluster's
/// directory `<config_dir>/<cluster>` must not be one of those.
const SYSTEM_DIRS: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/usr",
    "/usr/bin",
    "/usr/lib",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/local",
    "/usr/local/bin",
    "/usr/local/lib",
    "/usr/local/sbin",
    "/usr/sbin",
    "/usr/share",
    "/var",
    "/var/cache",
    "/var/lib",
    "/var/log",
    "/var/mail",
    "/var/opt",
    "/var/run",
    "/var/spool",
    "/var/www",
];

/// Whether `dir` is `parent` or below it.
fn within(dir: &str, parent: &str) -> bool {
    dir.strip_prefix(parent)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// What makes `size` unusable as Galera's `gcache.size`, if anything: digits and an optional
/// unit (K, M, G, T; binary), between 16M and 1T.
pub(super) fn gcache_size_problem(size: &str) -> Option<&'static str> {
    let (digits, unit) = match size.char_indices().last() {
        Some((i, u)) if u.is_ascii_alphabetic() => (&size[..i], Some(u.to_ascii_uppercase())),
        _ => (size, None),
    };
    let shift = match unit {
        None => 0,
        Some('K') => 10,
        Some('M') => 20,
        Some('G') => 30,
        Some('T') => 40,
        Some(_) => return Some("has an unknown unit: use K, M, G or T (as in \"512M\" or \"2G\")"),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Some("must be a number of bytes with an optional unit, such as \"512M\" or \"2G\"");
    }
    let bytes = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift));
    match bytes {
        Some(b) if b < 16 << 20 => Some("is below 16M: a donor could keep almost nothing for IST"),
        Some(b) if b <= 1 << 40 => None,
        _ => Some("is above 1T"),
    }
}

/// What makes `provider` unusable as `--wsrep-provider`, if anything (empty is reported apart).
pub(super) fn provider_problem(provider: &str) -> Option<&'static str> {
    if provider.trim().is_empty() {
        None
    } else if !provider.starts_with('/') {
        Some("must be an absolute path inside the image, such as \"/usr/lib/galera/libgalera_smm.so\"")
    } else if provider
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        Some("contains whitespace or a control character")
    } else if !provider
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '+' | '-'))
    {
        Some("has a character a library's path does not need (';', '$', quotes, ...): use letters, digits, '/', '.', '_', '+' and '-'")
    } else {
        None
    }
}

/// A value for a message: quoted like Rust's `{:?}` (control characters escaped), and cut to
/// its first 60 characters when longer, so one huge value does not flood the terminal.
pub(super) fn shown(value: &str) -> String {
    const MAX: usize = 60;
    let count = value.chars().count();
    if count <= MAX {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head:?}... ({count} characters)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_secrets() {
        assert!(is_plain("Abc-123._~!@%^*+="));
        for bad in ["a/b", "a b", "a#b", "a'b", "a\"b", "a\\b", "é"] {
            assert!(!is_plain(bad), "{bad}");
        }
    }

    #[test]
    fn option_prefixes_and_spellings_do_not_hide_a_managed_option() {
        for (text, managed) in [
            ("--wsrep_cluster_address=gcomm://x", "wsrep-cluster-address"),
            ("--loose-wsrep-new-cluster", "wsrep-new-cluster"),
            (
                "--loose-wsrep-cluster-address=gcomm://",
                "wsrep-cluster-address",
            ),
            ("--skip-wsrep-on", "wsrep-on"),
            ("--loose_wsrep_on=OFF", "wsrep-on"),
            ("--loose-skip-wsrep-on", "wsrep-on"),
            ("--enable-wsrep-new-cluster", "wsrep-new-cluster"),
            ("--disable_wsrep_on", "wsrep-on"),
            ("--maximum-port=1", "port"),
            ("--WSREP-ON=0", "wsrep-on"),
            ("--wsrep-start-position=x:1", "wsrep-start-position"),
            ("--wsrep-recover", "wsrep-recover"),
            ("--wsrep_sst_auth=u:p", "wsrep-sst-auth"),
            ("--tc-heuristic-recover=commit", "tc-heuristic-recover"),
            ("--wsrep-provider", "wsrep-provider"),
            ("--wsrep-provider-options=x", "wsrep-provider-options"),
            ("---wsrep-on", "wsrep-on"),
        ] {
            assert_eq!(
                check_option(text),
                Err(OptionProblem::Sets(managed)),
                "{text}"
            );
        }
    }

    #[test]
    fn a_unique_prefix_of_a_managed_option_is_an_abbreviation() {
        for (text, managed) in [
            ("--wsrep-new", "wsrep-new-cluster"),
            ("--loose-wsrep-new=1", "wsrep-new-cluster"),
            ("--wsrep-start-pos=x", "wsrep-start-position"),
            ("--datad=/x", "datadir"),
            ("--innodb-autoinc=1", "innodb-autoinc-lock-mode"),
            ("--skip-wsrep-o", "wsrep-on"),
        ] {
            assert_eq!(
                check_option(text),
                Err(OptionProblem::Abbreviates(managed)),
                "{text}"
            );
        }
    }

    #[test]
    fn ordinary_options_pass() {
        for text in [
            "--max-connections=500",
            "--max_connections=500;rm -rf /",
            "--skip-name-resolve",
            "--loose-skip-name-resolve",
            "--innodb=FORCE",
            "--skip-innodb",
            "--innodb-buffer-pool-size=1G",
            "--wsrep-slave-threads=4",
            "--wsrep-sst-donor-rejects-queries=ON",
            "--log-bin",
            "--portable",
        ] {
            assert_eq!(check_option(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn options_that_defeat_galeractl_are_refused() {
        for (text, refused) in [
            ("--wsrep-sst-donor=nodeb", "wsrep-sst-donor"),
            ("--loose_wsrep_sst_donor=nodeb", "wsrep-sst-donor"),
            ("--innodb-data-home-dir=/x", "innodb-data-home-dir"),
            (
                "--innodb_log_group_home_dir=/x",
                "innodb-log-group-home-dir",
            ),
            ("--innodb-undo-directory=/x", "innodb-undo-directory"),
            ("--wsrep-data-home-dir=/x", "wsrep-data-home-dir"),
            ("--log-error=/var/log/x", "log-error"),
            ("--bind-address=127.0.0.1", "bind-address"),
            ("--skip-networking", "skip-networking"),
            ("--loose-skip-networking", "skip-networking"),
            ("--socket=/tmp/x.sock", "socket"),
            ("--skip-grant-tables", "skip-grant-tables"),
            ("--defaults-file=/x", "defaults-file"),
            ("--defaults-extra-file=/x", "defaults-extra-file"),
            ("--defaults-group-suffix=x", "defaults-group-suffix"),
            ("--no-defaults", "no-defaults"),
            ("--print-defaults", "print-defaults"),
            ("--bind-addr=0.0.0.0", "bind-address"),
        ] {
            assert!(
                matches!(check_option(text), Err(OptionProblem::Refused(r, _)) if r == refused),
                "{text}: {:?}",
                check_option(text)
            );
        }
    }

    #[test]
    fn names_and_values_with_characters_no_option_holds_are_refused() {
        for text in [
            "--wsrep-new-cluster ",
            "--max connections=1",
            "--wsrep\u{2010}new\u{2010}cluster",
            "--max-connections\n=1",
        ] {
            assert_eq!(check_option(text), Err(OptionProblem::BadName), "{text:?}");
        }
        for text in [
            "--max-connections=500\n[mysqld]\nwsrep_new_cluster",
            "--max-connections=5\r",
            "--init-connect=a\tb",
        ] {
            assert_eq!(
                check_option(text),
                Err(OptionProblem::ControlInValue),
                "{text:?}"
            );
        }
        for text in ["--loose--wsrep-new-cluster", "--loose-_wsrep_new_cluster"] {
            assert_eq!(check_option(text), Err(OptionProblem::Malformed), "{text}");
        }
    }

    #[test]
    fn malformed_options_are_reported() {
        for text in ["--", "--=x", "-x", "wsrep-on", "--loose-", "--skip-=1"] {
            assert_eq!(check_option(text), Err(OptionProblem::Malformed), "{text}");
        }
    }

    #[test]
    fn local_only_addresses() {
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "0.0.0.0",
            "::",
            "::ffff:127.0.0.1",
            "localhost",
            "LOCALHOST",
            "db.localhost",
            "ip6-localhost",
        ] {
            assert!(local_only(host).is_some(), "{host}");
        }
        for host in ["10.0.0.1", "2001:db8::1", "db1.example", "localhost-db"] {
            assert_eq!(local_only(host), None, "{host}");
        }
    }

    #[test]
    fn host_keys_ignore_case_and_address_spelling() {
        assert_eq!(host_key("DB1.Example"), host_key("db1.example"));
        assert_eq!(host_key("2001:DB8::1"), host_key("2001:db8:0::1"));
        assert_eq!(host_key("::ffff:10.0.0.1"), host_key("10.0.0.1"));
        assert_ne!(host_key("10.0.0.1"), host_key("10.0.0.2"));
    }

    #[test]
    fn value_rules() {
        assert!(image_problem("mariadb:11.4").is_none());
        assert!(image_problem("registry.example:5000/team/mariadb@sha256:ab").is_none());
        assert!(image_problem("--privileged").is_some());
        assert!(image_problem("mariadb:11.4 --rm").is_some());
        assert!(image_problem("mariadb\t").is_some());
        assert!(image_problem("MariaDB:11.4").is_some());
        assert!(image_problem("team/MariaDB@sha256:ab").is_some());
        assert!(image_problem("mariadb:11.4-Noble").is_none());
        assert!(image_problem("Registry.Example:5000/team/mariadb:V1").is_none());
        assert!(image_problem("localhost:5000/mariadb").is_none());
        assert!(config_dir_problem("/etc/galeractl").is_none());
        assert!(config_dir_problem("/opt/my dir").is_none());
        assert!(config_dir_problem("/var/lib/galeractl").is_none());
        assert!(config_dir_problem("/tmpfiles/galeractl").is_none());
        for bad in [
            "etc/galeractl",
            "/opt/a:b",
            "/",
            "//",
            "/opt/a\nb",
            "",
            "/etc",
            "/etc/",
            "/var/lib",
            "/usr",
            "/tmp",
            "/tmp/galeractl",
            "/var/tmp/x",
            "/dev/shm",
            "/etc/galeractl/../ssh",
            "/./etc",
        ] {
            assert!(config_dir_problem(bad).is_some(), "{bad:?}");
        }
        assert!(provider_problem("/usr/lib/galera/libgalera_smm.so").is_none());
        assert!(provider_problem("libgalera_smm.so").is_some());
        assert!(provider_problem("/usr/lib/gal era.so").is_some());
        assert!(provider_problem("/usr/lib/galera/libgalera_smm.so;x").is_some());
        assert!(provider_problem("/usr/lib/$(x).so").is_some());
        assert!(provider_problem("/usr/lib64/galera-4/libgalera_smm.so").is_none());
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        assert_eq!(shown("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(500);
        assert_eq!(
            shown(&long),
            format!("\"{}\"... (500 characters)", "x".repeat(60))
        );
    }
}
