//! A signed call that also returns the response headers, with extra common parameters (e.g.
//! `SecurityToken`). Included by the fault, quota and policy tests with `#[path]`.
#![allow(dead_code)]

use super::common::{common_params, encode_pairs, Answer, TestServer};
use cloudflow_emulator::protocol::signature::{percent_encode, v1_signature, v1_string_to_sign};

/// An answer and its headers.
pub struct RawAnswer {
    pub answer: Answer,
    pub headers: reqwest::header::HeaderMap,
}

impl RawAnswer {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

/// Signed POST of `action` as `ak`/`sk`, with `extra` common parameters in the query.
pub async fn call_raw(
    s: &TestServer,
    ak: &str,
    sk: &str,
    extra: &[(&str, &str)],
    action: &str,
    params: &[(&str, &str)],
) -> RawAnswer {
    let mut common = common_params(ak, action);
    common.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let body: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut all = common.clone();
    all.extend(body.iter().cloned());
    all.sort();
    let sts = v1_string_to_sign("POST", all.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let sig = v1_signature(&sts, sk);
    let q = format!(
        "{}&Signature={}",
        encode_pairs(&common),
        percent_encode(&sig)
    );
    let resp = s
        .client
        .post(format!("{}/?{q}", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode_pairs(&body))
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    RawAnswer {
        answer: Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
        },
        headers,
    }
}
