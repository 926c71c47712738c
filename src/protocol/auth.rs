//! Who is calling: maps the request's AccessKeyId to a configured credential and checks the
//! clock skew, the signature, the STS token and the nonce, in that order. Uses the real wall
//! clock (clients sign with theirs), never the emulated one.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::nonce::{NonceCache, NonceCheck};
use super::{signature, RpcRequest, SignatureClaim};
use crate::config::{AuthMode, Credential};
use crate::error::{ApiError, ErrorCode};

/// Default number of nonces remembered (see [`NonceCache`]).
pub const NONCE_CAPACITY: usize = 2_000_000;

/// Verifies requests against the configured credentials.
#[derive(Debug)]
pub struct Authenticator {
    by_key: HashMap<String, Arc<Credential>>,
    /// The credentials in configuration order.
    ordered: Vec<Arc<Credential>>,
    default: Arc<Credential>,
    mode: AuthMode,
    skew_seconds: i64,
    nonces: NonceCache,
}

/// Parse a request timestamp: `2019-01-01T12:00:00Z` or any RFC 3339 time.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ")
        .ok()
        .map(|n| n.and_utc())
}

impl Authenticator {
    /// `credentials` must be non-empty; the first is used for unsigned requests when auth is off.
    pub fn new(credentials: Vec<Credential>, mode: AuthMode, skew_seconds: i64) -> Self {
        let creds: Vec<Arc<Credential>> = credentials.into_iter().map(Arc::new).collect();
        let default = creds
            .first()
            .cloned()
            .unwrap_or_else(|| Arc::new(Credential::default_pair()));
        Authenticator {
            by_key: creds
                .iter()
                .map(|c| (c.access_key_id.clone(), c.clone()))
                .collect(),
            ordered: creds,
            default,
            mode,
            skew_seconds,
            nonces: NonceCache::new(NONCE_CAPACITY),
        }
    }

    /// The account ids of the configured credentials, each once, in configuration order.
    pub fn account_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for c in std::iter::once(&self.default).chain(self.ordered.iter()) {
            if !ids.contains(&c.account_id) {
                ids.push(c.account_id.clone());
            }
        }
        ids
    }

    /// The AccessKeyIds that act as `account_id`, in configuration order.
    pub fn access_key_ids(&self, account_id: &str) -> Vec<String> {
        self.ordered
            .iter()
            .filter(|c| c.account_id == account_id)
            .map(|c| c.access_key_id.clone())
            .collect()
    }

    /// The credential a request acts as, or the documented error.
    pub fn authenticate(
        &self,
        req: &RpcRequest,
        now: DateTime<Utc>,
    ) -> Result<Arc<Credential>, ApiError> {
        let p = &req.params;
        let key_id = match &req.signature {
            SignatureClaim::V1 { .. } | SignatureClaim::Missing => p.optional("AccessKeyId"),
            SignatureClaim::Acs3 { access_key_id, .. } => Some(access_key_id.as_str()),
        };
        if self.mode == AuthMode::Off {
            return Ok(key_id
                .and_then(|k| self.by_key.get(k))
                .cloned()
                .unwrap_or_else(|| self.default.clone()));
        }
        let (timestamp, nonce) = match &req.signature {
            SignatureClaim::Missing if key_id.is_none() => {
                return Err(ApiError::missing("AccessKeyId"))
            }
            SignatureClaim::Missing => return Err(ApiError::missing("Signature")),
            SignatureClaim::V1 { .. } if key_id.is_none() => {
                return Err(ApiError::missing("AccessKeyId"))
            }
            SignatureClaim::V1 { .. } => (p.optional("Timestamp"), p.optional("SignatureNonce")),
            SignatureClaim::Acs3 {
                timestamp, nonce, ..
            } => (timestamp.as_deref(), nonce.as_deref()),
        };
        if let SignatureClaim::Acs3 {
            timestamp,
            nonce,
            payload_hash_present,
            ..
        } = &req.signature
        {
            let missing = [
                ("x-acs-date", timestamp.is_none()),
                ("x-acs-signature-nonce", nonce.is_none()),
                ("x-acs-content-sha256", !payload_hash_present),
            ];
            if let Some((h, _)) = missing.iter().find(|(_, m)| *m) {
                return Err(ApiError::new(ErrorCode::MissingRequiredHeader, &[h]));
            }
        }
        let key_id = key_id.unwrap_or_default();
        let cred = self
            .by_key
            .get(key_id)
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidAccessKeyId, &[key_id]))?;

        if let (SignatureClaim::V1 { .. }, Some(m)) =
            (&req.signature, p.optional("SignatureMethod"))
        {
            if m != "HMAC-SHA1" {
                return Err(ApiError::invalid(format!(
                    "SignatureMethod '{m}' is not supported; use HMAC-SHA1."
                )));
            }
        }
        let ts_raw = timestamp.ok_or_else(|| ApiError::missing("Timestamp"))?;
        let ts = parse_timestamp(ts_raw).ok_or_else(|| {
            ApiError::invalid(format!(
                "Timestamp '{ts_raw}' is not an ISO 8601 UTC time (yyyy-MM-ddTHH:mm:ssZ)."
            ))
        })?;
        let skewed = || {
            ApiError::new(
                ErrorCode::RequestTimeTooSkewed,
                &[ts_raw, &now.format("%Y-%m-%dT%H:%M:%SZ").to_string()],
            )
        };
        if (now - ts).num_seconds().abs() > self.skew_seconds {
            return Err(skewed());
        }

        if !verify(&req.signature, &cred.access_key_secret) {
            return Err(ApiError::new(ErrorCode::SignatureNotMatch, &[]));
        }
        if let Some(expected) = &cred.security_token {
            if req.security_token.as_deref() != Some(expected.as_str()) {
                return Err(ApiError::new(ErrorCode::InvalidAccessKeyId, &[key_id]));
            }
        }
        let nonce = nonce.ok_or_else(|| ApiError::missing("SignatureNonce"))?;
        match self.nonces.check(
            key_id,
            nonce,
            ts.timestamp(),
            now.timestamp(),
            self.skew_seconds,
        ) {
            NonceCheck::Fresh => Ok(cred),
            NonceCheck::Reused => Err(ApiError::new(ErrorCode::SignatureNonceUsed, &[])),
            NonceCheck::TooOld => Err(skewed()),
        }
    }
}

/// Whether the claimed signature verifies with `secret` (no clock or nonce checks).
pub fn verify(claim: &SignatureClaim, secret: &str) -> bool {
    match claim {
        SignatureClaim::V1 {
            signature,
            string_to_sign,
            ..
        } => signature::v1_verify(string_to_sign, secret, signature),
        SignatureClaim::Acs3 {
            signature,
            string_to_sign,
            payload_hash_ok,
            ..
        } => *payload_hash_ok && signature::acs3_verify(string_to_sign, secret, signature),
        SignatureClaim::Missing => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

    struct Fixture {
        name: String,
        valid: bool,
        secret: String,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Vec<u8>,
        expected_sts: String,
    }

    fn fixtures() -> Vec<Fixture> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/signatures");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("fixtures dir") {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let req = &v["request"];
            let mut headers = HeaderMap::new();
            for h in req["headers"].as_array().unwrap() {
                headers.append(
                    HeaderName::from_bytes(h[0].as_str().unwrap().to_ascii_lowercase().as_bytes())
                        .unwrap(),
                    HeaderValue::from_str(h[1].as_str().unwrap()).unwrap(),
                );
            }
            out.push(Fixture {
                name: v["name"].as_str().unwrap().to_string(),
                valid: v["signature_valid"].as_bool().unwrap(),
                secret: v["access_key_secret"].as_str().unwrap().to_string(),
                method: Method::from_bytes(req["method"].as_str().unwrap().as_bytes()).unwrap(),
                uri: req["target"].as_str().unwrap().parse().unwrap(),
                headers,
                body: req["body"].as_str().unwrap().as_bytes().to_vec(),
                expected_sts: v["derived"]["string_to_sign"].as_str().unwrap().to_string(),
            });
        }
        assert!(
            out.len() >= 16,
            "expected the captured fixtures, found {}",
            out.len()
        );
        out
    }

    #[test]
    fn every_captured_request_verifies_exactly_when_valid() {
        for f in fixtures() {
            let req = super::super::decode(&f.method, &f.uri, &f.headers, &f.body)
                .unwrap_or_else(|e| panic!("{}: {e}", f.name));
            let sts = match &req.signature {
                SignatureClaim::V1 { string_to_sign, .. }
                | SignatureClaim::Acs3 { string_to_sign, .. } => string_to_sign.clone(),
                SignatureClaim::Missing => panic!("{}: no signature found", f.name),
            };
            assert_eq!(sts, f.expected_sts, "{}: string to sign", f.name);
            assert_eq!(verify(&req.signature, &f.secret), f.valid, "{}", f.name);
            // A different secret never verifies.
            assert!(!verify(&req.signature, "not-the-secret"), "{}", f.name);
        }
    }

    #[test]
    fn tampering_with_a_valid_request_breaks_it() {
        for f in fixtures().into_iter().filter(|f| f.valid) {
            let mut body = f.body.clone();
            if body.is_empty() {
                continue;
            }
            // Change one parameter value character in the body.
            let pos = body.iter().position(|&b| b == b'=').unwrap() + 1;
            body[pos] = if body[pos] == b'x' { b'y' } else { b'x' };
            let Ok(req) = super::super::decode(&f.method, &f.uri, &f.headers, &body) else {
                continue;
            };
            assert!(!verify(&req.signature, &f.secret), "{}", f.name);
        }
    }

    #[test]
    fn skew_nonce_and_unknown_keys() {
        let fx = fixtures()
            .into_iter()
            .find(|f| f.name == "tea_v1_StopExecution")
            .unwrap();
        let auth = Authenticator::new(
            vec![Credential {
                access_key_id: "testKeyId".into(),
                access_key_secret: fx.secret.clone(),
                account_id: "1".into(),
                security_token: None,
                policy: None,
            }],
            AuthMode::Verify,
            900,
        );
        let req = super::super::decode(&fx.method, &fx.uri, &fx.headers, &fx.body).unwrap();
        let signed_at = parse_timestamp("2026-11-25T22:00:23Z").unwrap();
        // Far from the signing time: skewed.
        let err = auth
            .authenticate(&req, signed_at + chrono::Duration::seconds(901))
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::RequestTimeTooSkewed);
        // At the signing time: accepted once, then the nonce is spent.
        assert!(auth.authenticate(&req, signed_at).is_ok());
        let err = auth.authenticate(&req, signed_at).unwrap_err();
        assert_eq!(err.code, ErrorCode::SignatureNonceUsed);
        // Unknown key.
        let other = Authenticator::new(
            vec![Credential {
                access_key_id: "someoneElse".into(),
                ..Credential::default_pair()
            }],
            AuthMode::Verify,
            900,
        );
        let err = other.authenticate(&req, signed_at).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidAccessKeyId);
        assert_eq!(err.message, "The AccessKey ID testKeyId is invalid.");
    }
}
