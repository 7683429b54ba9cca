//! Fault injection: seeded, reproducible.

use std::str::FromStr;

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 500, 502 or 503 (for a write, sometimes after it was applied: the answer is lost).
    ServerError,
    /// 429 with `Retry-After: 1`.
    TooManyRequests,
    /// The connection drops in the middle of the response.
    ConnectionReset,
    /// The answer comes 300 ms late.
    Slow,
    /// The JSON body is cut in half (with a matching `Content-Length`).
    TruncatedJson,
    /// A presigned `PUT` fails with 500 and stores nothing.
    S3PutFailure,
    /// A presigned `PUT` answers 200 without an `ETag` and stores nothing.
    MissingEtag,
    /// 401 as if the token had expired.
    ExpiredToken,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [FaultKind; 8] = [
        FaultKind::ServerError,
        FaultKind::TooManyRequests,
        FaultKind::ConnectionReset,
        FaultKind::Slow,
        FaultKind::TruncatedJson,
        FaultKind::S3PutFailure,
        FaultKind::MissingEtag,
        FaultKind::ExpiredToken,
    ];
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "5xx" | "server-error" => FaultKind::ServerError,
            "429" => FaultKind::TooManyRequests,
            "reset" => FaultKind::ConnectionReset,
            "slow" => FaultKind::Slow,
            "truncated" => FaultKind::TruncatedJson,
            "s3-put" => FaultKind::S3PutFailure,
            "missing-etag" => FaultKind::MissingEtag,
            "expired-token" => FaultKind::ExpiredToken,
            other => {
                return Err(format!(
                    "unknown fault `{other}`: use 5xx, 429, reset, slow, truncated, s3-put, missing-etag, expired-token"
                ));
            }
        })
    }
}

/// How often, and which, faults happen.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Share of requests that get a fault, 0.0 to 1.0.
    pub rate: f64,
    /// The kinds to draw from.
    pub kinds: Vec<FaultKind>,
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Self {
            rate: 0.0,
            kinds: Vec::new(),
        }
    }

    /// `rate` of requests get a fault of any kind (a share from 0 to 1;
    /// [`crate::Config::validate`] refuses others).
    pub fn all(rate: f64) -> Self {
        Self {
            rate,
            kinds: FaultKind::ALL.to_vec(),
        }
    }
}

/// Where a request goes, for choosing applicable faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Api,
    S3Put,
    File,
}

/// The seed of the n-th request of `kind` in a simulator seeded with `seed`
/// (FNV-1a: the same on every machine and build).
pub(crate) fn request_seed(seed: u64, kind: &str, n: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed.to_le_bytes().iter().chain(kind.as_bytes()).chain(&n.to_le_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Draws the fault for one request, if any.
pub(crate) fn draw(faults: &Faults, rng: &mut fastrand::Rng, target: Target) -> Option<FaultKind> {
    if faults.rate <= 0.0 || faults.kinds.is_empty() || rng.f64() >= faults.rate {
        return None;
    }
    let applicable: Vec<FaultKind> = faults
        .kinds
        .iter()
        .copied()
        .filter(|k| match target {
            Target::Api => !matches!(k, FaultKind::S3PutFailure | FaultKind::MissingEtag),
            Target::S3Put => matches!(
                k,
                FaultKind::S3PutFailure | FaultKind::MissingEtag | FaultKind::Slow | FaultKind::ConnectionReset
            ),
            Target::File => matches!(k, FaultKind::ConnectionReset | FaultKind::Slow | FaultKind::ServerError),
        })
        .collect();
    if applicable.is_empty() {
        return None;
    }
    Some(applicable[rng.usize(..applicable.len())])
}
