//! A plain HTTP/1.1 server: one request per connection, its head read and answered within
//! `REQUEST_TIMEOUT`, the answer chosen by the caller's function of the `Request`.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{head_done, Request, Response};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How a server answers a request.
pub type Answer = Arc<dyn Fn(Request<'_>) -> Response + Send + Sync>;

/// Serves until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, answer: Answer) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, say: a breath before the next try, never a busy loop.
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let answer = answer.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(REQUEST_TIMEOUT, one(stream, &answer)).await;
        });
    }
}

async fn one(mut stream: tokio::net::TcpStream, answer: &Answer) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head_done(&head) {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let response = answer(Request::parse(&head));
    stream.write_all(response.text().as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On loopback: a request is answered by the caller's function, and `post_json` reads a
    /// 2xx answer as success.
    #[test]
    fn answers_one_request_per_connection() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
            let answer: Answer = Arc::new(|r: Request<'_>| Response {
                status: "200 OK",
                content_type: "text/plain",
                body: format!("{} {}\n", r.method, r.path),
            });
            tokio::spawn(serve(listener, answer));
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            stream
                .write_all(b"GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let mut text = String::new();
            stream
                .read_to_string(&mut text)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                text,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nGET /metrics\n"
            );
            let url = crate::http::Url {
                host: "127.0.0.1".into(),
                port,
                path: "/hook".into(),
            };
            assert_eq!(crate::http::post::post_json(&url, "{}").await, Ok(()));
        });
    }
}
