//! The little HTTP/1.1 galeractl speaks (watch's webhook and its `/metrics`), the pure half:
//! an http:// URL, a POST's request text and the reading of its answer's status line, a
//! request's method and path, a response's text. The edges, each with its own file: `post.rs`
//! (one POST) and `serve.rs` (a server answering one request per connection).

pub mod post;
pub mod serve;

/// Where an http:// URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    /// The path and query, `/` at least.
    pub path: String,
}

/// An http:// URL: host, port (80 by default), path.
pub fn parse_url(url: &str) -> Result<Url, String> {
    let rest = match url.split_once("://") {
        Some(("http", rest)) => rest,
        Some((scheme, _)) => {
            return Err(format!(
                "{scheme}:// is not supported: only http:// (for https, use --notify-command with curl)"
            ))
        }
        None => return Err("no URL (http://host:port/path)".into()),
    };
    let (authority, path) = match rest.find('/') {
        Some(k) => (&rest[..k], &rest[k..]),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return Err("user:password@ in the URL is not supported".into());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("bad port {p:?} in the URL"))?,
        ),
        None => (authority, 80),
    };
    if host.is_empty() || path.contains(char::is_whitespace) {
        return Err("the URL has no host, or a space".into());
    }
    Ok(Url {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port,
        path: path.to_string(),
    })
}

/// The whole request that POSTs `json` to `url`, one request per connection.
pub fn post_request(url: &Url, json: &str) -> String {
    format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: galeractl-watch\r\n\r\n{json}",
        url.path,
        url.host,
        json.len()
    )
}

/// The start of an answer: a 2xx status is success; otherwise its status line, quoted.
pub fn answered(head: &str) -> Result<(), String> {
    let code = head.split_whitespace().nth(1).unwrap_or_default();
    if code.starts_with('2') {
        Ok(())
    } else {
        Err(format!(
            "answered {:?}",
            head.lines().next().unwrap_or_default()
        ))
    }
}

/// The most of a request's head a server reads.
pub const MAX_HEAD: usize = 8192;

/// Whether a request's head has arrived whole (its blank line), or is as long as it may be.
pub fn head_done(head: &[u8]) -> bool {
    head.windows(4).any(|w| w == b"\r\n\r\n") || head.len() >= MAX_HEAD
}

/// What a server needs of a request: its method and its path without the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
}

impl Request<'_> {
    /// From the request's head (empty words when it has none).
    pub fn parse(head: &str) -> Request<'_> {
        let mut words = head.split_whitespace();
        let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        Request {
            method,
            path: path.split('?').next().unwrap_or(""),
        }
    }
}

/// A response with its whole body, sent with `Connection: close`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code and reason, `200 OK`.
    pub status: &'static str,
    pub content_type: &'static str,
    pub body: String,
}

impl Response {
    /// The bytes on the wire, as text.
    pub fn text(&self) -> String {
        format!(
            "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            self.status,
            self.content_type,
            self.body.len(),
            self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://alerts.example:8080/hooks/galera?t=1"),
            Ok(Url {
                host: "alerts.example".into(),
                port: 8080,
                path: "/hooks/galera?t=1".into()
            })
        );
        assert_eq!(
            parse_url("http://10.0.0.5"),
            Ok(Url {
                host: "10.0.0.5".into(),
                port: 80,
                path: "/".into()
            })
        );
        assert_eq!(
            parse_url("http://[fd00::5]:81/x"),
            Ok(Url {
                host: "fd00::5".into(),
                port: 81,
                path: "/x".into()
            })
        );
        assert_eq!(
            parse_url("https://x/y"),
            Err("https:// is not supported: only http:// (for https, use --notify-command with curl)".into())
        );
        assert_eq!(
            parse_url("http://u:p@x/"),
            Err("user:password@ in the URL is not supported".into())
        );
        assert_eq!(
            parse_url("x/y"),
            Err("no URL (http://host:port/path)".into())
        );
        assert_eq!(
            parse_url("http://x:99999/"),
            Err("bad port \"99999\" in the URL".into())
        );
        assert_eq!(
            parse_url("http:///y"),
            Err("the URL has no host, or a space".into())
        );
    }

    #[test]
    fn a_post_and_its_answer() {
        let url = Url {
            host: "alerts.example".into(),
            port: 8080,
            path: "/hooks?t=1".into(),
        };
        assert_eq!(
            post_request(&url, "{\"a\":1}"),
            "POST /hooks?t=1 HTTP/1.1\r\nHost: alerts.example\r\nContent-Type: application/json\r\nContent-Length: 7\r\nConnection: close\r\nUser-Agent: galeractl-watch\r\n\r\n{\"a\":1}"
        );
        assert_eq!(answered("HTTP/1.1 204 No Content\r\n"), Ok(()));
        assert_eq!(
            answered("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"),
            Err("answered \"HTTP/1.1 404 Not Found\"".into())
        );
        assert_eq!(answered(""), Err("answered \"\"".into()));
    }

    #[test]
    fn requests_and_responses() {
        assert!(!head_done(b"GET /metrics HTTP/1.1\r\nHost: x\r\n"));
        assert!(head_done(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(head_done(&[b'a'; MAX_HEAD]));
        assert_eq!(
            Request::parse("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"),
            Request {
                method: "GET",
                path: "/metrics"
            }
        );
        assert_eq!(
            Request::parse(""),
            Request {
                method: "",
                path: ""
            }
        );
        let response = Response {
            status: "503 Service Unavailable",
            content_type: "text/plain; charset=utf-8",
            body: "no look taken yet\n".into(),
        };
        assert_eq!(
            response.text(),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 18\r\nConnection: close\r\n\r\nno look taken yet\n"
        );
    }
}
