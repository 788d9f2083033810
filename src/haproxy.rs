//! The proxy in front of the nodes, as data: HAProxy's configuration, the health endpoint's
//! script that runs next to each node, and the reading of HAProxy's stats. Pure; the stats
//! password is a placeholder here, put in by the runner from its secret file when the file is
//! uploaded. Their containers and the drain commands are built in `docker::proxy`.
//!
//! Health semantics: a node takes traffic only when it is in the Primary component, Synced
//! (`wsrep_local_state` 4) and `wsrep_ready` is ON. A Donor takes traffic only when it may be
//! the last node standing (`donor_fallback`, on by default): its component has at most two
//! members, itself and the joiner it feeds. HAProxy's own TCP or `mysql-check` checks cannot
//! tell a Joining or Donor node from a Synced one, so each node host runs a tiny HTTP endpoint
//! (socat + the image's own `mariadb` client) that answers 200 or 503 from those variables.

use crate::inventory::{Haproxy, Inventory, Routing};

/// Stands for the stats password in the rendered configuration.
pub const PASSWORD_PLACEHOLDER: &str = "@GALERACTL_STATS_PASSWORD@";
pub use crate::docker::LABEL_ROLE;
// Where the proxy's files are on the hosts (`cmd::restore` names the drain directories).
pub use crate::docker::proxy::drain_dir;
/// HAProxy's configuration, with [`PASSWORD_PLACEHOLDER`] where the stats password goes.
pub fn render_config(inventory: &Inventory, h: &Haproxy) -> String {
    let mut servers = String::new();
    for (i, node) in inventory.nodes.iter().enumerate() {
        let backup = match h.routing {
            Routing::SingleWriter if i > 0 => " backup",
            _ => "",
        };
        servers.push_str(&format!(
            "    server {} {} check port {}{backup}\n",
            node.name,
            crate::inventory::host_port(&node.host, node.ports.mysql),
            h.check_port
        ));
    }
    let (balance, marked_up) = match h.routing {
        // The first healthy server in inventory order takes every connection; the others are
        // backups. One writer at a time avoids Galera's certification conflicts, so when the
        // first comes back, the sessions still open on a backup are closed too.
        Routing::SingleWriter => ("first", " on-marked-up shutdown-backup-sessions"),
        Routing::RoundRobin => ("roundrobin", ""),
    };
    format!(
        "\
# managed by galeractl: cluster {cluster}
global
    maxconn 4096
    user haproxy
    group haproxy

defaults
    mode tcp
    timeout connect 3s
    timeout client 1h
    timeout server 1h
    timeout check 2s

frontend galera_clients
    bind :{port}
    default_backend galera_nodes

backend galera_nodes
    balance {balance}
    option httpchk GET /
    http-check expect status 200
    default-server inter 1s fall 2 rise 2 on-marked-down shutdown-sessions{marked_up}
{servers}
listen stats
    mode http
    bind :{stats_port}{stats_tls}
    timeout client 30s
    timeout server 30s
    stats enable
    stats uri /admin?stats
    stats refresh 5s
    stats auth {user}:{PASSWORD_PLACEHOLDER}
",
        cluster = inventory.cluster.name,
        port = h.port,
        stats_port = h.stats_port,
        stats_tls = if inventory.tls.is_some() {
            format!(" ssl crt {}", crate::tls::PROXY_PEM_IN)
        } else {
            String::new()
        },
        user = h.stats_user,
    )
}

/// The health endpoint's script: reads the request, asks the node, answers 200 or 503.
pub fn check_script(donor_fallback: bool) -> String {
    format!(
        r#"#!/bin/sh
# managed by galeractl: HTTP health check of one Galera node for HAProxy.
# 200 when the node is Primary, Synced and ready; a Donor only when it may be the last node
# standing (donor fallback {fallback}, component of at most 2 members); 503 otherwise.
read -r _request || true
# The password goes to the client in a private option file, never in argv or environment.
cnf=$(mktemp)
awk 'NR == 1 {{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); printf "[client]\npassword=\"%s\"\n", $0 }}' \
  /run/secrets/galeractl/monitor-password >"$cnf"
rows=$(mariadb --defaults-extra-file="$cnf" --connect-timeout=2 -h "$CHECK_HOST" -P "$CHECK_PORT" \
  -u "$CHECK_USER" -N -B \
  -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state','wsrep_cluster_status','wsrep_ready','wsrep_cluster_size')" 2>/dev/null)
rm -f "$cnf"
value() {{ printf '%s\n' "$rows" | awk -v k="$1" '$1 == k {{ print $2 }}'; }}
state=$(value wsrep_local_state)
status=$(value wsrep_cluster_status)
ready=$(value wsrep_ready)
size=$(value wsrep_cluster_size)
verdict=down
if [ "$status" = Primary ] && [ "$ready" = ON ]; then
  if [ "$state" = 4 ]; then
    verdict=synced
  elif [ "$state" = 2 ] && [ {fallback} = on ] && [ "${{size:-9}}" -le 2 ]; then
    verdict=donor-alone
  fi
fi
# Drained by galeractl (a rolling restart): HAProxy takes it out while it still serves.
if [ -e /run/galeractl/drain/drained ]; then verdict=drained; fi
if [ "$verdict" = down ] || [ "$verdict" = drained ]; then code="503 Service Unavailable"; else code="200 OK"; fi
body="$verdict state=$state status=$status ready=$ready size=$size"
printf 'HTTP/1.1 %s\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: %s\r\n\r\n%s\n' \
  "$code" "$((${{#body}} + 1))" "$body"
"#,
        fallback = if donor_fallback { "on" } else { "off" },
    )
}

/// One server line of HAProxy's stats CSV (`;csv`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Backend {
    pub server: String,
    /// UP, DOWN, NOLB, MAINT, "UP 1/2"...
    pub status: String,
    /// Serves only when no other server is up.
    pub backup: bool,
    /// Client sessions open on it now (`scur`).
    pub sessions: u64,
}

/// The servers of the `galera_nodes` backend from HAProxy's stats CSV.
pub fn parse_stats_csv(csv: &str) -> Vec<Backend> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or("")
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(px), Some(sv), Some(st), Some(bk), Some(sc)) = (
        col("pxname"),
        col("svname"),
        col("status"),
        col("bck"),
        col("scur"),
    ) else {
        return Vec::new();
    };
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f.len() > px.max(sv).max(st).max(bk).max(sc))
        .filter(|f| f[px] == "galera_nodes" && f[sv] != "BACKEND" && f[sv] != "FRONTEND")
        .map(|f| Backend {
            server: f[sv].to_string(),
            status: f[st].to_string(),
            backup: f[bk] == "1",
            sessions: f[sc].parse().unwrap_or(0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_csv_servers() {
        let csv = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck\n\
galera_clients,FRONTEND,,,0,1,4096,3,0,0,0,0,0,,,,,OPEN,,,\n\
galera_nodes,nodea,0,0,2,1,,3,0,0,,0,,0,0,0,0,UP,1,1,0\n\
galera_nodes,nodeb,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,0,1\n\
galera_nodes,BACKEND,0,0,0,1,410,3,0,0,0,0,,0,0,0,0,UP,1,1,1\n";
        assert_eq!(
            parse_stats_csv(csv),
            vec![
                Backend {
                    server: "nodea".into(),
                    status: "UP".into(),
                    backup: false,
                    sessions: 2,
                },
                Backend {
                    server: "nodeb".into(),
                    status: "DOWN".into(),
                    backup: true,
                    sessions: 0,
                },
            ]
        );
        assert!(parse_stats_csv("garbage").is_empty());
    }
}
