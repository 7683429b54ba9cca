//! The API's limit shared through Redis by every client of one key, on any host:
//! the same sliding window of claims, queue of waiters and shared pause as the
//! host ledger ([`super::host`]), kept in four Redis keys of one hash slot and
//! changed by one atomic script per claim. Times are the Redis server's (`TIME`),
//! so the hosts' clocks need not agree. The keys expire when no client uses them.
//!
//! Redis out of reach (refused, timed out, or answering errors) is said once per
//! outage, as a warning, and its end once a claim has worked again. A command that
//! fails on a connection is tried once more on a new one (a restarted Redis costs
//! nothing); after that, claims fail at once, without touching the network, so
//! the limiter keeps to the limit alone until [`RETRY_AFTER`] (or a window, if
//! shorter) has passed, when the next claim tries Redis again.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::RedisUrl;
use super::ledger::{Ask, Claim, Unreachable, Unspent};
use crate::Error;

/// How long connecting to Redis, and any one command, may take.
const TIMEOUT: Duration = Duration::from_secs(1);
/// How long after failing Redis is tried again, at most.
const RETRY_AFTER: Duration = Duration::from_secs(10);
/// The longest a claimer sleeps before asking again (and so checking in).
const POLL_MS: u64 = 200;
/// A waiter that has not checked in for this long is gone.
const STALE_MS: u64 = 1_000;
/// How much later than the queue's head the others look again.
const BEHIND_HEAD_MS: u64 = 10;

/// KEYS: claims (sorted set of `SLOTS:SEQ` by time), waiters (sorted set of ids by
/// arrival), last check-ins (hash), state (hash: `paused_until`, `seq`).
/// ARGV: id, allowed, lease, window, stale, poll, behind (times in ms), then the
/// member of a claim with unspent slots and how many (or '' and 0).
/// Returns {slots granted, ms to wait, the claim's sequence number}.
const CLAIM: &str = r"
redis.replicate_commands()
local claims, waiting, seen, state = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id = ARGV[1]
local allowed, lease, window = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local stale, poll, behind = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function keep()
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, window * 2 + stale) end
end
local function slots(member) return tonumber(string.match(member, '^(%d+):') or '0') end
local function give_back(member, unspent)
  local score = redis.call('ZSCORE', claims, member)
  if not score then return end
  redis.call('ZREM', claims, member)
  local left = slots(member) - unspent
  if left > 0 then redis.call('ZADD', claims, score, left .. string.match(member, '(:.*)$')) end
end
redis.call('ZREMRANGEBYSCORE', claims, '-inf', now - window)
if ARGV[8] ~= '' then give_back(ARGV[8], tonumber(ARGV[9])) end
for _, waiter in ipairs(redis.call('ZRANGE', waiting, 0, -1)) do
  if tonumber(redis.call('HGET', seen, waiter) or '0') + stale <= now then
    redis.call('ZREM', waiting, waiter)
    redis.call('HDEL', seen, waiter)
  end
end
local held = redis.call('ZRANGE', claims, 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #held, 2 do used = used + slots(held[i]) end
local paused = tonumber(redis.call('HGET', state, 'paused_until') or '0')
local head = redis.call('ZRANGE', waiting, 0, 0)[1]
if paused <= now and used < allowed and (head == nil or head == id) then
  redis.call('ZREM', waiting, id)
  redis.call('HDEL', seen, id)
  local granted = math.min(allowed - used, lease)
  local seq = redis.call('HINCRBY', state, 'seq', 1)
  redis.call('ZADD', claims, now, granted .. ':' .. seq)
  keep()
  return {granted, 0, seq}
end
if not redis.call('ZSCORE', waiting, id) then
  redis.call('ZADD', waiting, redis.call('HINCRBY', state, 'seq', 1), id)
end
redis.call('HSET', seen, id, now)
local free_in = 0
if paused > now then
  free_in = paused - now
elseif used >= allowed then
  free_in = window
  local freed = 0
  for i = 1, #held, 2 do
    freed = freed + slots(held[i])
    if used - freed < allowed then
      free_in = math.max(tonumber(held[i + 1]) + window - now, 0)
      break
    end
  end
end
if head ~= nil and head ~= id then free_in = free_in + behind end
keep()
return {0, math.max(math.min(free_in, poll), 1), 0}
";

/// KEYS: claims. ARGV: the member of a claim with unspent slots, how many.
const GIVE_BACK: &str = r"
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
local left = tonumber(string.match(ARGV[1], '^(%d+):') or '0') - tonumber(ARGV[2])
if left > 0 then redis.call('ZADD', KEYS[1], score, left .. string.match(ARGV[1], '(:.*)$')) end
return 0
";

/// KEYS: state. ARGV: pause, expiry (ms).
const PAUSE: &str = r"
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local till = now + tonumber(ARGV[1])
if till > tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0') then
  redis.call('HSET', KEYS[1], 'paused_until', till)
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 0
";

/// A key's ledger in Redis; the connection is multiplexed.
pub(crate) struct RedisLedger(Inner);

struct Inner {
    url: RedisUrl,
    client: redis::Client,
    /// claims, waiters, check-ins, state: one hash slot (`{…}`), for clusters.
    keys: [String; 4],
    /// This client's place in the queue.
    id: String,
    claim: redis::Script,
    pause: redis::Script,
    give_back: redis::Script,
    connection: tokio::sync::Mutex<Link>,
    /// Whether an outage has been said and no claim has worked since.
    outage: std::sync::atomic::AtomicBool,
}

/// Where the connection to Redis stands.
enum Link {
    /// Not connected yet.
    Idle,
    Up(redis::aio::MultiplexedConnection),
    /// Out of reach; not tried again before this.
    Down {
        retry_at: Instant,
    },
}

impl fmt::Debug for RedisLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLedger")
            .field("url", &self.0.url)
            .field("key", &self.0.keys[3])
            .finish_non_exhaustive()
    }
}

impl RedisLedger {
    /// The ledger named `name` (see [`super::ledger::ledger_name`]) in the Redis at
    /// `url`. Connects when first used.
    pub(crate) fn new(url: &RedisUrl, name: &str) -> Result<Self, Error> {
        let client = redis::Client::open(url.expose())
            .map_err(|e| Error::Config(format!("rate limit Redis URL `{url}`: {e}")))?;
        let key = |part: &str| format!("carbon-rate-limit:{{{name}}}:{part}");
        Ok(Self(Inner {
            url: url.clone(),
            client,
            keys: [key("claims"), key("waiting"), key("seen"), key("state")],
            id: fastrand::u64(1..).to_string(),
            claim: redis::Script::new(CLAIM),
            pause: redis::Script::new(PAUSE),
            give_back: redis::Script::new(GIVE_BACK),
            connection: tokio::sync::Mutex::new(Link::Idle),
            outage: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    /// Answers `ask`, as [`super::ledger::Ledger::claim`] says.
    pub(crate) async fn claim(&self, ask: Ask) -> Result<Claim, Unreachable> {
        let inner = &self.0;
        let mut invocation = inner.claim.prepare_invoke();
        for key in &inner.keys {
            invocation.key(key);
        }
        invocation
            .arg(&inner.id)
            .arg(ask.allowed.max(1))
            .arg(ask.lease.max(1))
            .arg(millis(ask.window))
            .arg(STALE_MS)
            .arg(POLL_MS)
            .arg(BEHIND_HEAD_MS);
        match ask.unspent {
            Some(unspent) => invocation.arg(member(unspent)).arg(unspent.unspent),
            None => invocation.arg("").arg(0),
        };
        let answer: (u32, u64, u64) = inner.run(ask.window, &invocation).await?;
        if inner.outage.swap(false, std::sync::atomic::Ordering::AcqRel) {
            tracing::warn!(redis = %inner.url, "Redis answers again: the rate limit is shared through it again");
        }
        Ok(match answer {
            (0, wait, _) => Claim::Wait(Duration::from_millis(wait.max(1))),
            (slots, _, token) => Claim::Granted { slots, token },
        })
    }

    /// Gives `unspent` back in the background, while the runtime runs
    /// ([`settle`] waits for it).
    pub(crate) fn give_back(&self, unspent: Unspent) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut connection = match self.0.connection.try_lock().as_deref() {
            Ok(Link::Up(connection)) => connection.clone(),
            _ => return,
        };
        let script = self.0.give_back.clone();
        let key = self.0.keys[0].clone();
        GIVING_BACK.fetch_add(1, Ordering::AcqRel);
        runtime.spawn(async move {
            send_give_back(&script, &key, unspent, &mut connection).await;
            GIVING_BACK.fetch_sub(1, Ordering::AcqRel);
            GIVEN_BACK.notify_waiters();
        });
    }

    /// Every client of the key waits `pause` (best effort: the caller pauses
    /// itself either way).
    pub(crate) async fn pause(&self, pause: Duration, window: Duration) {
        let inner = &self.0;
        let mut invocation = inner.pause.key(&inner.keys[3]);
        invocation
            .arg(millis(pause))
            .arg(millis(window).saturating_mul(2).saturating_add(STALE_MS));
        let _: Result<i64, _> = inner.run(window, &invocation).await;
    }
}

impl Inner {
    /// Runs a script on the connection; once more on a new connection if that
    /// fails (the old one may be to a Redis that has restarted since); Redis is
    /// taken as out of reach if that fails too.
    async fn run<T: redis::FromRedisValue>(
        &self,
        window: Duration,
        script: &redis::ScriptInvocation<'_>,
    ) -> Result<T, Unreachable> {
        let mut connection = self.connect(window).await?;
        let error = match script.invoke_async(&mut connection).await {
            Ok(answer) => return Ok(answer),
            Err(e) => e,
        };
        let fresh = error.is_io_error() || error.is_connection_dropped() || error.is_connection_refusal();
        if !fresh {
            return Err(self.went_down(&error, window).await);
        }
        *self.connection.lock().await = Link::Idle;
        let mut connection = self.connect(window).await?;
        match script.invoke_async(&mut connection).await {
            Ok(answer) => Ok(answer),
            Err(e) => Err(self.went_down(&e, window).await),
        }
    }

    /// The connection, made if need be; an error at once while Redis is known to
    /// be out of reach.
    async fn connect(&self, window: Duration) -> Result<redis::aio::MultiplexedConnection, Unreachable> {
        let mut link = self.connection.lock().await;
        match &*link {
            Link::Up(connection) => return Ok(connection.clone()),
            Link::Down { retry_at } if Instant::now() < *retry_at => {
                return Err(Unreachable(format!("Redis at {} is out of reach", self.url)));
            }
            Link::Down { .. } | Link::Idle => {}
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT));
        match self.client.get_multiplexed_async_connection_with_config(&config).await {
            Ok(connection) => {
                *link = Link::Up(connection.clone());
                Ok(connection)
            }
            Err(e) => {
                *link = Link::Down {
                    retry_at: Instant::now() + window.min(RETRY_AFTER),
                };
                Err(self.say_down(&e))
            }
        }
    }

    /// A command failed: Redis is taken as out of reach for a while.
    async fn went_down(&self, error: &redis::RedisError, window: Duration) -> Unreachable {
        *self.connection.lock().await = Link::Down {
            retry_at: Instant::now() + window.min(RETRY_AFTER),
        };
        self.say_down(error)
    }

    /// Says once per outage (until a claim works again) that the limit is no
    /// longer shared.
    fn say_down(&self, error: &redis::RedisError) -> Unreachable {
        let message = format!("Redis at {} is out of reach ({error})", self.url);
        if !self.outage.swap(true, std::sync::atomic::Ordering::AcqRel) {
            tracing::warn!(
                redis = %self.url,
                error = %error,
                "cannot share the rate limit through Redis; this client keeps to it alone, adapting to 429s, and tries Redis again in a window"
            );
        }
        Unreachable(message)
    }
}

/// Give-backs under way in the background, and a signal for each that ends.
static GIVING_BACK: AtomicUsize = AtomicUsize::new(0);
static GIVEN_BACK: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Waits until the slots clients dropped in this process are giving back to
/// Redis are back (a second at most).
pub(crate) async fn settle() {
    let all_back = async {
        loop {
            let signal = GIVEN_BACK.notified();
            if GIVING_BACK.load(Ordering::Acquire) == 0 {
                return;
            }
            signal.await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), all_back).await;
}

/// Runs the GIVE_BACK script (best effort).
async fn send_give_back(
    script: &redis::Script,
    claims: &str,
    unspent: Unspent,
    connection: &mut redis::aio::MultiplexedConnection,
) {
    let mut invocation = script.key(claims);
    invocation.arg(member(unspent)).arg(unspent.unspent);
    let _: redis::RedisResult<i64> = invocation.invoke_async(connection).await;
}

/// The claims member of the claim `unspent` is from.
fn member(unspent: Unspent) -> String {
    format!("{}:{}", unspent.granted, unspent.token)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use test_support::redis::RedisServer;

    fn granted(claim: Claim) -> (u32, u64) {
        match claim {
            Claim::Granted { slots, token } => (slots, token),
            Claim::Wait(wait) => panic!("waits {wait:?}"),
        }
    }

    #[tokio::test]
    async fn slots_not_spent_are_given_back_with_the_next_claim_or_on_going() {
        let redis = RedisServer::start();
        let url = RedisUrl::new(redis.url()).unwrap();
        let window = Duration::from_secs(3600);
        let a = RedisLedger::new(&url, "k").unwrap();
        let b = RedisLedger::new(&url, "k").unwrap();
        let (slots, token) = granted(a.claim(Ask::new(5, 4, window)).await.unwrap());
        assert_eq!(slots, 4);
        assert_eq!(granted(b.claim(Ask::new(5, 4, window)).await.unwrap()).0, 1);
        // a spent one of its four: three are free again, with its next claim.
        let unspent = Unspent {
            token,
            granted: 4,
            unspent: 3,
        };
        let giving_back = Ask::new(5, 2, window).giving_back(Some(unspent));
        assert_eq!(granted(a.claim(giving_back).await.unwrap()).0, 2);
        let (_, token) = granted(b.claim(Ask::new(5, 4, window)).await.unwrap());
        assert!(matches!(a.claim(Ask::new(5, 1, window)).await.unwrap(), Claim::Wait(_)));
        // b goes with its slot unspent: a may have it.
        let mut connection = b.0.connect(window).await.unwrap();
        let unspent = Unspent {
            token,
            granted: 1,
            unspent: 1,
        };
        send_give_back(&b.0.give_back, &b.0.keys[0], unspent, &mut connection).await;
        assert_eq!(granted(a.claim(Ask::new(5, 1, window)).await.unwrap()).0, 1);
    }
}
