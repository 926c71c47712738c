//! Wire-protocol costs per request: parameter decoding and V1 signature verification, on a
//! request signed exactly as the SDKs sign it (common parameters in the query, action
//! parameters in a form body). Run: `cargo bench --bench protocol`.

use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use cloudflow_emulator::protocol::{
    auth, decode,
    params::{parse_pairs, Params},
    signature::{percent_encode, v1_signature, v1_string_to_sign, v1_verify},
};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const SK: &str = "benchAccessKeySecret";

fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `(uri, body)` of a signed StartExecution POST.
fn signed_request() -> (Uri, Vec<u8>) {
    let common = [
        ("Action", "StartExecution"),
        ("Version", "2019-03-15"),
        ("Format", "JSON"),
        ("AccessKeyId", "benchAccessKeyId"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", "3ee8c1b883d344afa94f4e0ad82fd6cf"),
        ("Timestamp", "2026-01-01T12:00:00Z"),
    ];
    let params = [
        ("FlowName", "bench_park"),
        ("ExecutionName", "exec-000123"),
        ("Input", r#"{"order":{"id":123,"items":["a","b"]}}"#),
    ];
    let mut all: Vec<(&str, &str)> = common.iter().chain(params.iter()).copied().collect();
    all.sort_unstable();
    let sig = v1_signature(&v1_string_to_sign("POST", all.into_iter()), SK);
    let uri: Uri = format!("/?{}&Signature={}", encode(&common), percent_encode(&sig))
        .parse()
        .unwrap();
    (uri, encode(&params).into_bytes())
}

fn benches(c: &mut Criterion) {
    let (uri, body) = signed_request();
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let req = decode(&Method::POST, &uri, &headers, &body).unwrap();
    assert!(auth::verify(&req.signature, SK), "fixture must verify");

    let mut g = c.benchmark_group("protocol");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse_pairs(query+body)", |b| {
        b.iter(|| {
            let q = parse_pairs(black_box(uri.query().unwrap()), "q").unwrap();
            let f = parse_pairs(black_box(std::str::from_utf8(&body).unwrap()), "b").unwrap();
            (q, f)
        })
    });
    let pairs = parse_pairs(uri.query().unwrap(), "q").unwrap();
    g.bench_function("Params::from_pairs+add_form", |b| {
        b.iter(|| {
            let mut p = Params::from_pairs(black_box(pairs.clone())).unwrap();
            p.add_form(std::str::from_utf8(&body).unwrap()).unwrap();
            p
        })
    });
    // What the server does before authenticating: decode also builds the StringToSign.
    g.bench_function("decode(signed StartExecution)", |b| {
        b.iter(|| decode(&Method::POST, black_box(&uri), &headers, black_box(&body)).unwrap())
    });
    g.bench_function("v1_string_to_sign", |b| {
        b.iter(|| v1_string_to_sign("POST", black_box(&req.params).signed()))
    });
    let cloudflow_emulator::protocol::SignatureClaim::V1 {
        signature,
        string_to_sign,
        ..
    } = &req.signature
    else {
        panic!("V1 claim expected")
    };
    g.bench_function("v1_verify (HMAC-SHA1)", |b| {
        b.iter(|| v1_verify(black_box(string_to_sign), SK, black_box(signature)))
    });
    g.bench_function("decode+verify", |b| {
        b.iter(|| {
            let r = decode(&Method::POST, black_box(&uri), &headers, black_box(&body)).unwrap();
            auth::verify(&r.signature, SK)
        })
    });
    g.finish();
}

criterion_group!(protocol, benches);
criterion_main!(protocol);
