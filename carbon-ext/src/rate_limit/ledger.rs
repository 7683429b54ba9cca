//! Where the clients of one key record the slots they claim, when they share the
//! key's limit: a file on this host ([`super::host`]) or Redis ([`super::redis`]).
//! Both keep the same sliding window of claims, the same first-come-first-served
//! queue of waiters and the same shared pause after a 429.

use std::time::Duration;

use super::LimitSharing;
use crate::Error;

/// What a claim got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// This many slots, from now; `token` names the claim, to give back what is
    /// not spent.
    Granted { slots: u32, token: u64 },
    /// None free; ask again after this long.
    Wait(Duration),
}

/// What a client asks of the ledger: up to `lease` slots if fewer than
/// `allowed` were claimed in the last `window` by all clients of the key, giving
/// back what its last claim left `unspent` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ask {
    /// The limit: slots per window, for all clients together.
    pub(crate) allowed: u32,
    /// The slots wanted now.
    pub(crate) lease: u32,
    /// The limit's window.
    pub(crate) window: Duration,
    /// What the client's last claim left unspent.
    pub(crate) unspent: Option<Unspent>,
}

impl Ask {
    /// Asks for `lease` of the `allowed` slots per `window`, with nothing to give back.
    pub(crate) fn new(allowed: u32, lease: u32, window: Duration) -> Self {
        Self {
            allowed,
            lease,
            window,
            unspent: None,
        }
    }

    /// Gives `unspent` back with the claim.
    pub(crate) fn giving_back(self, unspent: Option<Unspent>) -> Self {
        Self { unspent, ..self }
    }
}

/// Slots of an earlier claim that were not spent, given back with the next claim
/// (or when the client goes): they count for nobody any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unspent {
    /// The claim's token.
    pub(crate) token: u64,
    /// The slots it was granted.
    pub(crate) granted: u32,
    /// The slots of it not spent.
    pub(crate) unspent: u32,
}

/// How a claim failed: the ledger could not be read, or is known to be out of
/// reach for now. The limiter then keeps to the limit alone.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Unreachable(pub(crate) String);

/// A key's ledger.
#[derive(Debug)]
pub(crate) enum Ledger {
    #[cfg(unix)]
    Host(super::host::HostLedger),
    #[cfg(feature = "redis")]
    Redis(Box<super::redis::RedisLedger>),
}

impl Ledger {
    /// The ledger `sharing` names for `client_id` at `base_url`, if any. A host
    /// ledger that cannot be opened is said once (a warning) and `None` returned:
    /// the client keeps to the limit alone. A Redis one is only connected to when
    /// first used.
    pub(crate) fn open(sharing: &LimitSharing, client_id: &str, base_url: &str) -> Result<Option<Ledger>, Error> {
        let name = ledger_name(client_id, base_url);
        match sharing {
            LimitSharing::Process => Ok(None),
            #[cfg(unix)]
            LimitSharing::Host | LimitSharing::HostIn(_) => {
                let dir = match sharing {
                    LimitSharing::HostIn(dir) => Some(dir.clone()),
                    _ => super::host::HostLedger::default_dir(),
                };
                Ok(dir.and_then(|dir| match super::host::HostLedger::open(&dir, &name) {
                    Ok(ledger) => Some(Ledger::Host(ledger)),
                    Err(e) => {
                        tracing::warn!(
                            dir = %dir.display(),
                            error = %e,
                            "cannot share the rate limit with other processes of this key; this client keeps to it alone"
                        );
                        None
                    }
                }))
            }
            #[cfg(not(unix))]
            LimitSharing::Host | LimitSharing::HostIn(_) => Ok(None),
            LimitSharing::Redis(url) => {
                url.validate()?;
                #[cfg(feature = "redis")]
                {
                    Ok(Some(Ledger::Redis(Box::new(super::redis::RedisLedger::new(
                        url, &name,
                    )?))))
                }
                #[cfg(not(feature = "redis"))]
                {
                    Err(Error::Config(format!(
                        "the rate limit is to be shared through Redis ({url}), but this build of carbon-ext has no \
                         Redis support: enable its `redis` feature"
                    )))
                }
            }
        }
    }

    /// Answers `ask` ([`Ask`]), if no pause holds and no client queued earlier
    /// still waits.
    pub(crate) async fn claim(&self, ask: Ask) -> Result<Claim, Unreachable> {
        match self {
            #[cfg(unix)]
            Ledger::Host(host) => host.claim(ask).map_err(|e| Unreachable(e.to_string())),
            #[cfg(feature = "redis")]
            Ledger::Redis(redis) => redis.claim(ask).await,
        }
    }

    /// Gives `unspent` back as the client goes (best effort; through Redis, only
    /// while a tokio runtime runs on to send it).
    pub(crate) fn give_back(&self, unspent: Unspent) {
        match self {
            #[cfg(unix)]
            Ledger::Host(host) => {
                let _ = host.give_back(unspent);
            }
            #[cfg(feature = "redis")]
            Ledger::Redis(redis) => redis.give_back(unspent),
        }
    }

    /// Every client of the key waits `pause` (a 429 was answered; the limit's
    /// window is `window`). Best effort: a pause that cannot be shared still holds
    /// this client.
    pub(crate) async fn pause(&self, pause: Duration, window: Duration) {
        match self {
            #[cfg(unix)]
            Ledger::Host(host) => {
                let _ = window;
                if let Err(e) = host.pause(pause) {
                    tracing::debug!(error = %e, "could not share a 429's pause with other processes");
                }
            }
            #[cfg(feature = "redis")]
            Ledger::Redis(redis) => redis.pause(pause, window).await,
        }
    }

    /// The host ledger's file, for a host ledger.
    pub(crate) fn file(&self) -> Option<&std::path::Path> {
        match self {
            #[cfg(unix)]
            Ledger::Host(host) => Some(host.path()),
            #[cfg(feature = "redis")]
            Ledger::Redis(_) => None,
        }
    }
}

/// The name of a key's ledger at an API: stable across processes, hosts and
/// versions, and naming neither key nor secret (FNV-1a of the client id and base URL).
pub(crate) fn ledger_name(client_id: &str, base_url: &str) -> String {
    let hash = format!("{client_id}\n{base_url}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("{hash:016x}")
}
