//! `watch --listen ADDR`: `/metrics` (Prometheus' text format: every cluster's gauges as
//! `status --format prometheus` gives them, then watch's own counters) and `/healthz` (200 while
//! every cluster was looked at recently, 503 otherwise). A plain HTTP/1.1 server: one request
//! per connection, each read within a deadline.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::watch::{merge_exposition, Counters};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_HEAD: usize = 8192;

/// What the server shows, updated after each look.
#[derive(Debug, Default)]
pub struct Board {
    pub counters: Counters,
    /// Cluster → its last `status` metrics, and when they were read.
    pub clusters: std::collections::BTreeMap<String, (String, Instant)>,
}

pub type Shared = Arc<Mutex<Board>>;

/// Serves until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, board: Shared, stale: Duration) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, say: a breath before the next try, never a busy loop.
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let board = board.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(REQUEST_TIMEOUT, answer(stream, &board, stale)).await;
        });
    }
}

async fn answer(
    mut stream: tokio::net::TcpStream,
    board: &Shared,
    stale: Duration,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut words = head.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (status, kind, body) = match (method, path.split('?').next().unwrap_or("")) {
        ("GET", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            metrics(board),
        ),
        ("GET", "/healthz") => match healthz(board, stale) {
            Ok(text) => ("200 OK", "text/plain; charset=utf-8", text),
            Err(text) => ("503 Service Unavailable", "text/plain; charset=utf-8", text),
        },
        ("GET", _) => (
            "404 Not Found",
            "text/plain",
            "/metrics or /healthz\n".into(),
        ),
        _ => ("405 Method Not Allowed", "text/plain", "GET only\n".into()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

fn metrics(board: &Shared) -> String {
    let Ok(b) = board.lock() else {
        return String::new();
    };
    let mut texts: Vec<String> = b.clusters.values().map(|(t, _)| t.clone()).collect();
    texts.push(b.counters.render());
    merge_exposition(&texts)
}

fn healthz(board: &Shared, stale: Duration) -> Result<String, String> {
    let Ok(b) = board.lock() else {
        return Err("watch's state is unreadable\n".into());
    };
    let late: Vec<String> = b
        .clusters
        .iter()
        .filter(|(_, (_, at))| at.elapsed() > stale)
        .map(|(c, (_, at))| format!("{c}: last look {}s ago", at.elapsed().as_secs()))
        .collect();
    match (b.clusters.is_empty(), late.is_empty()) {
        (true, _) => Err("no look taken yet\n".into()),
        (false, true) => Ok("ok\n".into()),
        (false, false) => Err(format!("{}\n", late.join("\n"))),
    }
}
