//! `[tls]`: the certificates' directory, whose CA signs them, and what TLS needs of the
//! cluster (mariabackup SST, no local nodes).

use std::path::Path;

use super::checker::Checker;
use super::hosts::cluster_is_local;
use crate::inventory::raw::{RawCluster, RawNode, RawTls};
use crate::inventory::rules::shown;
use crate::inventory::{Cluster, Tls, DEFAULT_TLS_DIR};

/// `[tls]`: where the certificates are kept, whose CA signs them, and whether clients must use
/// TLS. Only `enabled = true` turns it on.
pub(super) fn tls_section(
    c: &mut Checker<'_>,
    base: &Path,
    t: &RawTls,
    rc: &RawCluster,
    cluster: &Cluster,
    nodes: &[RawNode],
) -> Option<Tls> {
    if !*t.enabled.get_ref() {
        return None;
    }
    if cluster.sst_method != "mariabackup" {
        let span = rc
            .sst_method
            .as_ref()
            .map_or(t.enabled.span(), toml::Spanned::span);
        c.error(
            span,
            "cluster.sst_method",
            "[tls] needs sst_method = \"mariabackup\": its transfer is encrypted and verified by socat's OpenSSL, which the node image has; rsync SST is encrypted only through stunnel, which the node image lacks, and would send every data file in the clear",
        );
    }
    if cluster_is_local(nodes) {
        c.error(
            t.enabled.span(),
            "tls.enabled",
            "[tls] is not supported for a cluster of local nodes yet: the certificates would name \"local\", which the probes (to 127.0.0.1) and the SST donor's check of the joiner's name reject",
        );
    }
    let dir = match &t.dir {
        Some(d) => {
            c.non_empty(d, "tls.dir");
            if !d.get_ref().is_empty() && d.get_ref().trim_end_matches('/').is_empty() {
                c.error(
                    d.span(),
                    "tls.dir",
                    "\"/\" is the root directory: galeractl writes the CA and every member's key there; give the certificates a directory of their own",
                );
            }
            c.path(base, d, "tls.dir")
        }
        None => base.join(DEFAULT_TLS_DIR.replace("{cluster}", &cluster.name)),
    };
    let own = match (&t.ca_cert, &t.ca_key) {
        (Some(cert), Some(key)) if cert.get_ref() == key.get_ref() => {
            c.error(
                key.span(),
                "tls.ca_key",
                format!(
                    "{} is also ca_cert: the CA's key and its certificate are two files (the key stays on this machine, the certificate goes to every host)",
                    shown(key.get_ref())
                ),
            );
            None
        }
        (Some(cert), Some(key)) => Some((
            {
                c.non_empty(cert, "tls.ca_cert");
                c.path(base, cert, "tls.ca_cert")
            },
            {
                c.non_empty(key, "tls.ca_key");
                c.path(base, key, "tls.ca_key")
            },
        )),
        (None, None) => None,
        (Some(v), None) | (None, Some(v)) => {
            let key = if t.ca_cert.is_some() {
                "tls.ca_cert"
            } else {
                "tls.ca_key"
            };
            c.error(
                v.span(),
                key,
                "give both ca_cert and ca_key (your own CA signs the node certificates), or neither (galeractl makes a CA in tls.dir)",
            );
            None
        }
    };
    let own_ca = own.is_some();
    let (ca_cert, ca_key) = own.unwrap_or_else(|| (dir.join("ca.crt"), dir.join("ca.key")));
    Some(Tls {
        dir,
        ca_cert,
        ca_key,
        own_ca,
        require_secure_transport: t.require_secure_transport.unwrap_or(false),
    })
}
