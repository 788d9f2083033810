//! HAProxy as it is: its stats page (a small HTTP client, basic authentication, TLS against
//! the cluster's CA) and whether its configuration on its host is the inventory's.

use std::time::Duration;

use crate::inventory::Inventory;
use crate::secret::Secret;

/// Standard base64 (RFC 4648) of `bytes`, for HTTP basic authentication.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Sends `request` on `stream` and reads the answer until the server closes. Over TLS, a
/// close without TLS's close_notify ends the answer too (HAProxy closes an HTTP/1.0 answer so).
async fn exchange(
    mut stream: impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    request: &str,
    address: &str,
) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("{address}: {e}"))?;
    let mut response = Vec::new();
    match stream.read_to_end(&mut response).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !response.is_empty() => {}
        Err(e) => return Err(format!("{address}: {e}")),
    }
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// A TLS connector that trusts only the cluster's CA (the file at `ca`).
fn tls_connector(ca: &std::path::Path) -> Result<tokio_rustls::TlsConnector, String> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("{}: {e}", ca.display()))? {
        let cert = cert.map_err(|e| format!("{}: {e}", ca.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("{}: {e}", ca.display()))?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(std::sync::Arc::new(
        config,
    )))
}

/// HAProxy's view of the backends, from its stats page (CSV), with basic authentication; over
/// HTTPS, its certificate verified against the CA at `ca` and the proxy's address, when given.
pub async fn proxy_backends(
    h: &crate::inventory::Haproxy,
    password: &Secret,
    ca: Option<&std::path::Path>,
    timeout: Duration,
) -> Result<Vec<crate::haproxy::Backend>, String> {
    let address = crate::inventory::host_port(&h.host, h.stats_port);
    let request = format!(
        "GET /admin?stats;csv HTTP/1.0\r\nHost: {address}\r\nAuthorization: Basic {}\r\n\r\n",
        base64(format!("{}:{}", h.stats_user, password.expose()).as_bytes())
    );
    let work = async {
        let stream = tokio::net::TcpStream::connect(&address)
            .await
            .map_err(|e| format!("{address}: {e}"))?;
        match ca {
            None => exchange(stream, &request, &address).await,
            Some(ca) => {
                let name = tokio_rustls::rustls::pki_types::ServerName::try_from(h.host.clone())
                    .map_err(|e| format!("{address}: {e}"))?;
                let stream = tls_connector(ca)?
                    .connect(name, stream)
                    .await
                    .map_err(|e| format!("{address}: TLS: {e}"))?;
                exchange(stream, &request, &address).await
            }
        }
    };
    let text = tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("{address}: no answer within {} ms", timeout.as_millis()))??;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.lines().next().unwrap_or("");
    if !status.contains(" 200 ") {
        return Err(format!("{address}: stats page answered {status:?}"));
    }
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok(crate::haproxy::parse_stats_csv(&body))
}

/// The payload of an HTTP/1.1 chunked body (HAProxy answers so even to HTTP/1.0).
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size_line, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].strip_prefix("\r\n").unwrap_or(&after[size..]);
    }
    out
}

/// Whether HAProxy's configuration on its host differs from the one the inventory gives, its
/// stats password put in. Read over SSH, compared here, never shown; `false` when unknown.
pub async fn proxy_config_stale(inventory: &Inventory, hosts: &crate::ssh::Hosts) -> bool {
    let Some(h) = &inventory.haproxy else {
        return false;
    };
    let (Some(remote), Ok(password)) = (hosts.get(&h.host), Secret::read(&h.stats_password_file))
    else {
        return false;
    };
    let want = crate::haproxy::render_config(inventory, h)
        .replace(crate::haproxy::PASSWORD_PLACEHOLDER, password.expose());
    let argv = crate::docker::shell::cat(&crate::docker::proxy::config_path(inventory));
    match remote.run(&argv, None, remote.command_timeout()).await {
        Ok(o) if o.code == 0 => o.stdout != want,
        _ => false,
    }
}

#[cfg(test)]
mod base64_tests {
    #[test]
    fn encodes_like_rfc_4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"admin:s3cret"), "YWRtaW46czNjcmV0");
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            super::dechunk("4\r\nWiki\r\n6\r\npedia \r\n0\r\n\r\n"),
            "Wikipedia "
        );
        assert_eq!(super::dechunk("zz\r\n"), "");
    }
}
