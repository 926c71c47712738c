//! Signing requests as the SDKs do, and one keep-alive HTTP/1.1 connection.

use super::*;

#[derive(Clone)]
pub(crate) struct Signer {
    pub(crate) ak: String,
    pub(crate) sk: String,
}

impl Signer {
    /// `(path-and-query, form body)` of a signed POST, as the Tea SDK sends it.
    pub(crate) fn sign(&self, action: &str, params: &[(&str, &str)]) -> (String, String) {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let common: [(&str, &str); 8] = [
            ("Action", action),
            ("Version", "2019-03-15"),
            ("Format", "JSON"),
            ("AccessKeyId", &self.ak),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", &nonce),
            ("Timestamp", &ts),
        ];
        let mut all: Vec<(&str, &str)> = common.iter().chain(params.iter()).copied().collect();
        all.sort_unstable();
        let sts = v1_string_to_sign("POST", all.into_iter());
        let sig = v1_signature(&sts, &self.sk);
        let mut query = String::from("/?");
        query.push_str(&encode(&common));
        query.push_str("&Signature=");
        query.push_str(&percent_encode(&sig));
        (query, encode(params))
    }
}

pub(crate) fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&percent_encode(k));
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

/// One keep-alive HTTP/1.1 connection. Requests are written and answers read on the calling
/// task itself (no connection task and channel hop as with hyper's client): the tool's CPU per
/// request stays small next to the server's, so its own queueing barely shows in the latency.
/// Answers are parsed with `httparse`; they must carry a `Content-Length` (the emulator's and
/// the baseline's always do).
pub(crate) struct Conn {
    pub(crate) addr: SocketAddr,
    pub(crate) authority: String,
    pub(crate) stream: tokio::net::TcpStream,
    /// Bytes read and not yet consumed.
    pub(crate) inbuf: Vec<u8>,
    /// The request being written.
    pub(crate) outbuf: Vec<u8>,
}

/// Largest answer head or body the tool accepts.
pub(crate) const MAX_ANSWER: usize = 16 * 1024 * 1024;

impl Conn {
    pub(crate) async fn open(addr: SocketAddr) -> Result<Conn, String> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        Ok(Conn {
            addr,
            authority: addr.to_string(),
            stream,
            inbuf: Vec::with_capacity(8192),
            outbuf: Vec::with_capacity(2048),
        })
    }

    /// POST a form body; the status and, unless it is 200, the body.
    pub(crate) async fn post(&mut self, path: &str, body: &str) -> Result<(u16, Vec<u8>), String> {
        use std::io::Write as _;
        use tokio::io::AsyncWriteExt;
        self.outbuf.clear();
        let _ = write!(
            self.outbuf,
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            self.authority,
            body.len()
        );
        self.outbuf.extend_from_slice(body.as_bytes());
        self.stream
            .write_all(&self.outbuf)
            .await
            .map_err(|e| format!("write: {e}"))?;
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.inbuf) {
                Ok(httparse::Status::Complete(head)) => {
                    let status = resp.code.unwrap_or(0);
                    let len = resp
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .and_then(|h| std::str::from_utf8(h.value).ok())
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .filter(|n| *n <= MAX_ANSWER)
                        .ok_or("answer: no usable Content-Length")?;
                    while self.inbuf.len() < head + len {
                        self.read_more().await?;
                    }
                    let body = if status == 200 {
                        Vec::new()
                    } else {
                        self.inbuf[head..head + len].to_vec()
                    };
                    self.inbuf.drain(..head + len);
                    return Ok((status, body));
                }
                Ok(httparse::Status::Partial) if self.inbuf.len() < MAX_ANSWER => {
                    self.read_more().await?
                }
                Ok(httparse::Status::Partial) => return Err("answer: head too large".into()),
                Err(e) => return Err(format!("answer: {e}")),
            }
        }
    }

    pub(crate) async fn read_more(&mut self) -> Result<(), String> {
        use tokio::io::AsyncReadExt;
        self.inbuf.reserve(4096);
        match self.stream.read_buf(&mut self.inbuf).await {
            Ok(0) => Err("read: connection closed".into()),
            Ok(_) => Ok(()),
            Err(e) => Err(format!("read: {e}")),
        }
    }
}
