//! `[cluster]`: its names, ports, templates, image, paths, SST method and mariadbd options.

use std::path::Path;

use super::checker::{ports_of, Checker, ClusterPorts};
use crate::inventory::raw::{RawCluster, S};
use crate::inventory::rules::{self, is_valid_name, shown, OptionProblem};
use crate::inventory::{
    Cluster, Durability, DEFAULT_CONFIG_DIR, DEFAULT_CONTAINER, DEFAULT_MONITOR_USER,
    DEFAULT_NETWORK, DEFAULT_PORTS, DEFAULT_PROVIDER, DEFAULT_VOLUME,
};

/// The SST method; mariabackup needs the SST user's password file.
fn sst_method(c: &mut Checker<'_>, rc: &RawCluster) -> String {
    let method = c
        .one_of(
            rc.sst_method.as_ref(),
            "cluster.sst_method",
            &[("rsync", "rsync"), ("mariabackup", "mariabackup")],
            "rsync",
        )
        .to_string();
    if method == "mariabackup" && rc.sst_password_file.is_none() {
        let span = rc.sst_method.as_ref().map_or(0..0, toml::Spanned::span);
        c.error(
            span,
            "cluster.sst_method",
            "sst_method = \"mariabackup\" needs sst_password_file: a 0600 file with the password of the SST user galeractl creates on each node (galeractl_sst, localhost only)",
        );
    }
    method
}

/// `[cluster]`: names, ports, templates, image, paths inside the image and on the hosts, and
/// the extra mariadbd options.
pub(super) fn cluster_section(
    c: &mut Checker<'_>,
    base: &Path,
    rc: &RawCluster,
) -> (Cluster, ClusterPorts) {
    let name = c.name(&rc.name, "cluster.name", "cluster name");
    let ports = ports_of(c, rc.ports.as_ref(), "cluster.ports", DEFAULT_PORTS);
    let volume_template = template(c, rc.volume.as_ref(), "cluster.volume", DEFAULT_VOLUME);
    let container_template = template(
        c,
        rc.container.as_ref(),
        "cluster.container",
        DEFAULT_CONTAINER,
    );
    let mariadbd_options = rc
        .mariadbd_options
        .iter()
        .enumerate()
        .map(|(i, opt)| mariadbd_option(c, i, opt))
        .collect();
    let monitor_user = match &rc.monitor_user {
        Some(u) => {
            let user = c.name(u, "cluster.monitor_user", "user name");
            if user == "root" {
                c.error(
                    u.span(),
                    "cluster.monitor_user",
                    format!(
                        "\"root\" cannot be the monitor user: the image's entrypoint refuses MARIADB_USER=root; leave monitor_user out (the default is {DEFAULT_MONITOR_USER:?}) or choose another name"
                    ),
                );
            }
            user
        }
        None => DEFAULT_MONITOR_USER.to_string(),
    };
    let cluster = Cluster {
        name,
        image: c.image(&rc.image, "cluster.image"),
        distribute_image: rc.distribute_image,
        root_password_file: c.path(base, &rc.root_password_file, "cluster.root_password_file"),
        monitor_password_file: c.path(
            base,
            &rc.monitor_password_file,
            "cluster.monitor_password_file",
        ),
        monitor_user,
        volume_template,
        container_template,
        provider: rc
            .provider
            .as_ref()
            .map_or(DEFAULT_PROVIDER.to_string(), |p| {
                c.judged(p, "cluster.provider", "provider ", rules::provider_problem)
            }),
        sst_method: sst_method(c, rc),
        sst_password_file: rc
            .sst_password_file
            .as_ref()
            .map(|p| c.path(base, p, "cluster.sst_password_file")),
        backup_password_file: rc
            .backup_password_file
            .as_ref()
            .map(|p| c.path(base, p, "cluster.backup_password_file")),
        durability: c.one_of(
            rc.durability.as_ref(),
            "cluster.durability",
            &[("durable", Durability::Durable), ("fast", Durability::Fast)],
            Durability::Durable,
        ),
        config_dir: rc
            .config_dir
            .as_ref()
            .map_or(DEFAULT_CONFIG_DIR.to_string(), |d| {
                c.judged(d, "cluster.config_dir", "", rules::config_dir_problem)
            }),
        mariadbd_options,
        network: match &rc.network {
            Some(n) => {
                if !is_valid_name(n.get_ref()) {
                    c.error(
                        n.span(),
                        "cluster.network",
                        format!("Docker network name {}: letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64", shown(n.get_ref())),
                    );
                }
                n.get_ref().clone()
            }
            None => DEFAULT_NETWORK.replace("{cluster}", rc.name.get_ref()),
        },
        gcache_size: rc.gcache_size.as_ref().map(|g| {
            c.judged(
                g,
                "cluster.gcache_size",
                "gcache size ",
                rules::gcache_size_problem,
            )
            .to_ascii_uppercase()
        }),
    };
    (cluster, ports)
}

/// A container or volume name template as written, or the default (which is known good).
fn template(c: &mut Checker<'_>, value: Option<&S<String>>, key: &str, default: &str) -> String {
    let Some(v) = value else {
        return default.to_string();
    };
    let template = v.get_ref();
    let expanded = template.replace("{cluster}", "c").replace("{node}", "n");
    if !template.contains("{node}") || !is_valid_name(&expanded) {
        c.error(
            v.span(),
            key,
            format!(
                "template {} must contain {{node}} and expand to a valid name (placeholders: {{cluster}}, {{node}})",
                shown(template)
            ),
        );
    } else if !template.contains("{cluster}") {
        c.error(
            v.span(),
            key,
            format!(
                "template {} has no {{cluster}}: another cluster on the same hosts would get the same names; put {{cluster}} in it, as in {default:?}",
                shown(template)
            ),
        );
    }
    template.clone()
}

fn mariadbd_option(c: &mut Checker<'_>, i: usize, opt: &S<String>) -> String {
    let key = format!("cluster.mariadbd_options[{i}]");
    let text = opt.get_ref();
    let problem = match rules::check_option(text) {
        Ok(()) => None,
        Err(OptionProblem::Malformed) => Some(format!(
            "{} is not a mariadbd option: write it as --name or --name=value",
            shown(text)
        )),
        Err(OptionProblem::Sets(managed)) => Some(format!(
            "{} sets {managed}, which galeractl manages itself",
            shown(text)
        )),
        Err(OptionProblem::Abbreviates(managed)) => Some(format!(
            "{} abbreviates {managed} (mariadbd takes a unique prefix of an option's name for the option), which galeractl manages itself",
            shown(text)
        )),
        Err(OptionProblem::Refused(name, why)) => Some(format!(
            "{} sets {name}, which {why}",
            shown(text)
        )),
        Err(OptionProblem::BadName) => Some(format!(
            "{} has a character no option name holds (whitespace, a control character, ...): mariadbd would stop on an unknown option; names are letters, digits, '-', '_' and '.'",
            shown(text)
        )),
        Err(OptionProblem::ControlInValue) => Some(format!(
            "{} has a control character (a newline, a tab, ...) in its value, which mariadbd refuses and which would break the exported option file",
            shown(text)
        )),
    };
    if let Some(message) = problem {
        c.error(opt.span(), key, message);
    }
    text.clone()
}
