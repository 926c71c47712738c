//! Request decoding + signature verification.
//!
//! Input format (so seeds stay readable): line 1 is the method, line 2 the request target,
//! then `name: value` header lines up to an empty line, then the body bytes. Lines that do not
//! make a valid method/URI/header are skipped or replaced, never rejected, so every input
//! reaches `protocol::decode`.
#![no_main]

use std::sync::OnceLock;

use cloudflow_emulator::config::{AuthMode, Credential};
use cloudflow_emulator::protocol::auth::Authenticator;
use cloudflow_emulator::protocol::{self, auth};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use libfuzzer_sys::fuzz_target;

fn authenticator() -> &'static Authenticator {
    static A: OnceLock<Authenticator> = OnceLock::new();
    A.get_or_init(|| {
        Authenticator::new(
            vec![Credential {
                access_key_id: "testKeyId".into(),
                access_key_secret: "testKeySecret".into(),
                account_id: "1".into(),
                security_token: None,
                policy: None,
            }],
            AuthMode::Verify,
            // Any timestamp is in range, so the signature check is always reached.
            i64::MAX / 4,
        )
    })
}

fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

fuzz_target!(|data: &[u8]| {
    let (m, rest) = split_line(data);
    let (u, mut rest) = split_line(rest);
    let method = Method::from_bytes(m).unwrap_or(Method::POST);
    let uri = Uri::try_from(u).unwrap_or_else(|_| Uri::from_static("/"));
    let mut headers = HeaderMap::new();
    loop {
        let (line, r) = split_line(rest);
        rest = r;
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = HeaderName::from_bytes(&line[..colon]);
        let value = HeaderValue::from_bytes(line[colon + 1..].trim_ascii());
        if let (Ok(n), Ok(v)) = (name, value) {
            headers.append(n, v);
        }
    }
    let body = rest;
    if let Ok(req) = protocol::decode(&method, &uri, &headers, body) {
        let _ = auth::verify(&req.signature, "testKeySecret");
        let _ = authenticator().authenticate(&req, chrono::Utc::now());
    }
});
