//! The wire protocol: turns raw HTTP into an [`RpcRequest`] and answers with the fnf envelopes.
//! Knows nothing of flows or executions (no store or engine imports).
//!
//! * [`params`]: query + body parameter decoding.
//! * [`signature`]: pure V1 / ACS3 signature arithmetic.
//! * [`nonce`]: bounded replay memory.
//! * [`auth`]: who is calling (credentials, clock skew, signature, nonce).
//! * [`response`]: the success and error bodies.

pub mod auth;
pub mod nonce;
pub mod params;
pub mod response;
pub mod signature;

use axum::http::{HeaderMap, Method, Uri};

use crate::error::{ApiError, ErrorCode};
use params::Params;

/// The only API version served.
pub const API_VERSION: &str = "2019-03-15";

/// Largest request accepted (the documented 1,024 KiB), body and URL together.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// What the request claims about its signature, ready to verify.
#[derive(Debug, Clone)]
pub enum SignatureClaim {
    /// `Signature` parameter (RPC V1, HMAC-SHA1). `AccessKeyId`, `SignatureMethod`, `Timestamp`
    /// and `SignatureNonce` are read from the parameters when checked.
    V1 {
        /// `Signature` parameter.
        signature: String,
        /// What the server computes the signature over.
        string_to_sign: String,
    },
    /// `Authorization: ACS3-HMAC-SHA256 …` header.
    Acs3 {
        /// From `Credential=`.
        access_key_id: String,
        /// From `Signature=`.
        signature: String,
        /// What the server computes the signature over.
        string_to_sign: String,
        /// `x-acs-date` header.
        timestamp: Option<String>,
        /// `x-acs-signature-nonce` header.
        nonce: Option<String>,
        /// Whether `x-acs-content-sha256` matches the body received.
        payload_hash_ok: bool,
        /// Whether `x-acs-content-sha256` was sent at all.
        payload_hash_present: bool,
    },
    /// No signature at all.
    Missing,
}

/// One decoded API call.
#[derive(Debug, Clone)]
pub struct RpcRequest {
    /// `Action` parameter or `x-acs-action` header.
    pub action: String,
    /// All parameters (query, form body, JSON body).
    pub params: Params,
    /// The signature the request carries.
    pub signature: SignatureClaim,
    /// `SecurityToken` parameter or `x-acs-security-token` header (STS credentials).
    pub security_token: Option<String>,
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Decode method, target, headers and (size-checked) body into an [`RpcRequest`]. Checks
/// content type, parameter encoding, `Action` and `Version`; does not authenticate.
pub fn decode(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<RpcRequest, ApiError> {
    let query = uri.query().unwrap_or("");
    let mut p = Params::from_encoded(query, "query string")?;
    let acs3 = header_str(headers, "authorization").and_then(signature::parse_acs3);
    // Only ACS3 needs the query pairs as such (its canonical query string).
    let query_pairs = match acs3 {
        Some(_) => params::parse_pairs(query, "query string")?,
        None => Vec::new(),
    };
    if !body.is_empty() {
        let ctype = header_str(headers, "content-type").unwrap_or("");
        let ctype = ctype.split(';').next().unwrap_or("").trim();
        if ctype.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::invalid("The request body is not valid UTF-8."))?;
            p.add_form(text)?;
        } else if ctype.eq_ignore_ascii_case("application/json") {
            p.add_json(body)?;
        } else {
            return Err(ApiError::new(ErrorCode::UnsupportedMediaType, &[]));
        }
    }

    let action = match p
        .optional("Action")
        .or_else(|| header_str(headers, "x-acs-action"))
    {
        Some(a) => a.to_string(),
        None => return Err(ApiError::missing("Action")),
    };
    let version = p
        .optional("Version")
        .or_else(|| header_str(headers, "x-acs-version"));
    match version {
        None => return Err(ApiError::missing("Version")),
        Some(v) if v != API_VERSION => {
            return Err(ApiError::new(ErrorCode::ApiVersionNotSupported, &[v]))
        }
        Some(_) => {}
    }

    let security_token = p
        .optional("SecurityToken")
        .or_else(|| header_str(headers, "x-acs-security-token"))
        .map(str::to_string);

    let signature = if let Some(auth) = acs3 {
        let payload_hash_present = headers.contains_key("x-acs-content-sha256");
        let hashed = header_str(headers, "x-acs-content-sha256")
            .unwrap_or("")
            .to_string();
        let payload_hash_ok = hashed == signature::sha256_hex(body);
        let lookup = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_string))
                .collect()
        };
        let cr = signature::acs3_canonical_request(
            method.as_str(),
            uri.path(),
            &query_pairs,
            lookup,
            &auth.signed_headers,
            &hashed,
        );
        SignatureClaim::Acs3 {
            access_key_id: auth.credential.clone(),
            signature: auth.signature.clone(),
            string_to_sign: signature::acs3_string_to_sign(&auth.algorithm, &cr),
            timestamp: header_str(headers, "x-acs-date").map(str::to_string),
            nonce: header_str(headers, "x-acs-signature-nonce").map(str::to_string),
            payload_hash_ok,
            payload_hash_present,
        }
    } else if let Some(sig) = p.get("Signature") {
        SignatureClaim::V1 {
            signature: sig.to_string(),
            string_to_sign: signature::v1_string_to_sign(method.as_str(), p.signed()),
        }
    } else {
        SignatureClaim::Missing
    };

    Ok(RpcRequest {
        action,
        params: p,
        signature,
        security_token,
    })
}
