//! `watch --listen ADDR`: `http::serve::serve` answering with `watch::board::answer` from the
//! board the loops update after each look.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::watch::Board;

pub type Shared = Arc<Mutex<Board>>;

/// Serves until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, board: Shared, stale: Duration) {
    let answer = move |request: crate::http::Request<'_>| {
        let now = Instant::now();
        match board.lock() {
            Ok(b) => crate::watch::answer(Some(&b), request, stale, now),
            Err(_) => crate::watch::answer(None, request, stale, now),
        }
    };
    crate::http::serve::serve(listener, Arc::new(answer)).await;
}
