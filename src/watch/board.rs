//! What `watch --listen` shows: the `Board` (each cluster's last `status` metrics and when they
//! were read, and watch's counters), and the answer to a request: `/metrics` (every cluster's
//! gauges as `status --format prometheus` gives them, then watch's own counters) and
//! `/healthz` (200 while every cluster was looked at within `stale`, 503 otherwise). Pure: the
//! time is an argument; `http::serve` carries the answers.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::{merge_exposition, Counters};
use crate::http::{Request, Response};

/// What the server shows, updated after each look.
#[derive(Debug, Default)]
pub struct Board {
    pub counters: Counters,
    /// Cluster → its last `status` metrics, and when they were read.
    pub clusters: BTreeMap<String, (String, Instant)>,
}

/// The answer to `request` at `now`; `board` is `None` when watch's state cannot be read.
pub fn answer(
    board: Option<&Board>,
    request: Request<'_>,
    stale: Duration,
    now: Instant,
) -> Response {
    const TEXT: &str = "text/plain; charset=utf-8";
    match (request.method, request.path) {
        ("GET", "/metrics") => Response {
            status: "200 OK",
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            body: board.map(Board::metrics).unwrap_or_default(),
        },
        ("GET", "/healthz") => match board.map(|b| b.healthz(stale, now)) {
            Some(Ok(body)) => Response {
                status: "200 OK",
                content_type: TEXT,
                body,
            },
            Some(Err(body)) => Response {
                status: "503 Service Unavailable",
                content_type: TEXT,
                body,
            },
            None => Response {
                status: "503 Service Unavailable",
                content_type: TEXT,
                body: "watch's state is unreadable\n".into(),
            },
        },
        ("GET", _) => Response {
            status: "404 Not Found",
            content_type: "text/plain",
            body: "/metrics or /healthz\n".into(),
        },
        _ => Response {
            status: "405 Method Not Allowed",
            content_type: "text/plain",
            body: "GET only\n".into(),
        },
    }
}

impl Board {
    fn metrics(&self) -> String {
        let mut texts: Vec<String> = self.clusters.values().map(|(t, _)| t.clone()).collect();
        texts.push(self.counters.render());
        merge_exposition(&texts)
    }

    /// `Ok` while every cluster was looked at within `stale` of `now`; else what is late.
    fn healthz(&self, stale: Duration, now: Instant) -> Result<String, String> {
        let late: Vec<String> = self
            .clusters
            .iter()
            .filter_map(|(c, (_, at))| {
                let ago = now.saturating_duration_since(*at);
                (ago > stale).then(|| format!("{c}: last look {}s ago", ago.as_secs()))
            })
            .collect();
        match (self.clusters.is_empty(), late.is_empty()) {
            (true, _) => Err("no look taken yet\n".into()),
            (false, true) => Ok("ok\n".into()),
            (false, false) => Err(format!("{}\n", late.join("\n"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Request<'_> {
        Request {
            method: "GET",
            path,
        }
    }

    #[test]
    fn healthz_is_ok_while_every_cluster_was_looked_at_lately() {
        let stale = Duration::from_secs(90);
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut board = Board::default();
        let health = |b: &Board, now| {
            let r = answer(Some(b), get("/healthz"), stale, now);
            (r.status, r.body)
        };
        assert_eq!(
            health(&board, at(0)),
            ("503 Service Unavailable", "no look taken yet\n".into())
        );
        board.clusters.insert("a".into(), (String::new(), at(0)));
        board.clusters.insert("b".into(), (String::new(), at(60)));
        assert_eq!(health(&board, at(90)), ("200 OK", "ok\n".into()));
        assert_eq!(
            health(&board, at(200)),
            (
                "503 Service Unavailable",
                "a: last look 200s ago\nb: last look 140s ago\n".into()
            )
        );
        assert_eq!(
            answer(None, get("/healthz"), stale, at(0)).body,
            "watch's state is unreadable\n"
        );
    }

    #[test]
    fn metrics_merge_the_clusters_then_the_counters_and_other_paths_are_refused() {
        let t0 = Instant::now();
        let mut board = Board::default();
        board.clusters.insert(
            "a".into(),
            (
                "# HELP galera_up up\n# TYPE galera_up gauge\ngalera_up{cluster=\"a\",node=\"n1\"} 1\n".into(),
                t0,
            ),
        );
        let r = answer(Some(&board), get("/metrics"), Duration::ZERO, t0);
        assert_eq!(
            (r.status, r.content_type),
            ("200 OK", "text/plain; version=0.0.4; charset=utf-8")
        );
        assert!(r.body.starts_with(
            "# HELP galera_up up\n# TYPE galera_up gauge\ngalera_up{cluster=\"a\",node=\"n1\"} 1\n# HELP galeractl_watch_actions_total "
        ), "{}", r.body);
        assert_eq!(answer(None, get("/metrics"), Duration::ZERO, t0).body, "");
        assert_eq!(
            answer(Some(&board), get("/"), Duration::ZERO, t0),
            Response {
                status: "404 Not Found",
                content_type: "text/plain",
                body: "/metrics or /healthz\n".into()
            }
        );
        let post = Request {
            method: "POST",
            path: "/metrics",
        };
        assert_eq!(
            answer(Some(&board), post, Duration::ZERO, t0),
            Response {
                status: "405 Method Not Allowed",
                content_type: "text/plain",
                body: "GET only\n".into()
            }
        );
    }
}
