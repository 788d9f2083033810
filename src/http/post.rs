//! One HTTP POST over a new TCP connection: the request of `http::post_request`, then the
//! answer's first bytes, judged by `http::answered`. The caller puts the deadline around it.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Url;

/// POSTs `json` to `url`; `Ok` on a 2xx answer.
pub async fn post_json(url: &Url, json: &str) -> Result<(), String> {
    let mut stream = tokio::net::TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| e.to_string())?;
    stream
        .write_all(super::post_request(url, json).as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head).await.map_err(|e| e.to_string())?;
    super::answered(&String::from_utf8_lossy(&head[..n]))
}
