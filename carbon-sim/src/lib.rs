//! An in-memory simulator of the Carbon DLS API, for developing and testing without
//! the real service.
//!
//! It serves all 35 operations of API 0.4.17 with real state: models (direct and
//! presigned uploads, with an S3-like storage that answers a `PUT` with an `ETag`),
//! parts, part orders whose printed parts a simulated packer and printers move
//! through `waiting` → `preparing` → `queued` → `printing` → `complete` (builds,
//! travelers and prints appear on the way), print orders, printers and their queues,
//! prints, model program runs (`pending` → `preparing` → `complete` with an output
//! model, or `failed`), attachments and model downloads through `302`, part
//! measurements and templates, print quality data and applications. Responses are
//! built from the SDK's generated types, so they match the API document.
//!
//! Authentication is real (RS256 JWTs with `iss` and an unexpired `exp`, verified
//! with the key the simulator was given), so is the rate limit (200 requests per
//! 10 s per client id by default), cursors expire, and faults can be injected,
//! seeded and reproducible.
//!
//! Storage is another origin (a second port) that checks the signatures and expiry
//! of the URLs the simulator issued; memory is bounded (upload size, kept bytes,
//! retention caps).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let sim = carbon_sim::Simulator::start(carbon_sim::Config::default()).await?;
//! // Point any client at it with its key, e.g. carbon-ext:
//! // Client::builder().base_url(sim.base_url()).api_key(sim.api_key()).build()?
//! println!("{} with client id {}", sim.base_url(), sim.api_key().client_id());
//! # Ok(())
//! # }
//! ```

mod additions;
mod api;
mod auth;
mod document;
pub mod faults;
mod files;
mod indexes;
mod keys;
mod query;
mod storage;
mod table;
mod unmodelled;
mod world;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use document::ApiDocument;
pub use faults::{FaultKind, Faults};
pub use keys::TestKey;
pub use unmodelled::{UNMODELLED_FILTERS, Unmodelled};

/// What can go wrong starting the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Key material is missing or unusable.
    #[error("key: {0}")]
    Key(String),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Something of this build the simulator cannot work with (its own API
    /// document unreadable); settings that are wrong are [`SimError::Setting`].
    #[error("{0}")]
    Config(String),
    /// A setting of [`Config`] the simulator cannot work with: which (the
    /// field's name) and what is wrong with it.
    #[error("{setting} {problem}")]
    Setting {
        /// The field of [`Config`] (`rate_limit`).
        setting: &'static str,
        /// What is wrong, and what to give instead.
        problem: String,
    },
}

impl SimError {
    /// The error as a command line says it, naming a setting by its flag
    /// (`--rate-limit`, for `rate_limit`).
    pub fn as_flags(&self) -> String {
        match self {
            Self::Setting { setting, problem } => format!("--{} {problem}", setting.replace('_', "-")),
            other => other.to_string(),
        }
    }
}

fn setting(setting: &'static str, problem: String) -> SimError {
    SimError::Setting { setting, problem }
}

/// What the published document adds over the one this build was generated from
/// (nothing, for that document itself).
fn additions_of(config: &Config) -> Result<Option<additions::Additions>, SimError> {
    let Some(Ok(published)) = config.api_document.read() else {
        // Built in, or refused by `Config::validate` (which `start` runs first).
        return Ok(None);
    };
    let built: serde_json::Value = serde_json::from_str(carbon_api_gen::OPENAPI_JSON)
        .map_err(|e| SimError::Config(format!("this build's API document: {e}")))?;
    additions::Additions::between(&built, published.clone())
        .map_err(|e| setting("api_document", format!("cannot be read as regen reads a document: {e}")))
}

impl Config {
    /// A speed at which a part order packs and prints in about a second: for
    /// tests and demos of whole workflows.
    pub const FAST_FORWARD: f64 = 3000.0;
    /// A speed at which time stands still unless a test moves it
    /// ([`Simulator::skip_time`]): records do not change between the reads of
    /// a test, however slow the machine.
    pub const STILL: f64 = 1e-6;

    /// Checks the settings a running simulator depends on: the one place their
    /// limits are decided (the command lines that start one ask it too).
    pub fn validate(&self) -> Result<(), SimError> {
        if !(self.speed.is_finite() && self.speed > 0.0 && self.speed <= 1e6) {
            let problem = format!("{:?}: give a factor above 0 and at most 1000000", self.speed);
            return Err(setting("speed", problem));
        }
        if !(0.0..=1.0).contains(&self.faults.rate) {
            let problem = format!("{}: give a share of requests from 0 to 1", self.faults.rate);
            return Err(setting("faults", problem));
        }
        if let Some((requests, window)) = self.rate_limit
            && (requests == 0 || window.is_zero())
        {
            let problem =
                format!("{requests} per {window:?}: give at least 1 request per window longer than 0 s, or none");
            return Err(setting("rate_limit", problem));
        }
        if let Some(Err(e)) = self.api_document.read() {
            return Err(setting("api_document", format!("is not an API document: {e}")));
        }
        Ok(())
    }
}

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on (`127.0.0.1:0`: any free port).
    pub addr: SocketAddr,
    /// The key clients authenticate with (default: a fresh one).
    pub key: Option<TestKey>,
    /// Requests per window per client id; `None` turns the limit off.
    pub rate_limit: Option<(u32, Duration)>,
    /// Fault injection.
    pub faults: Faults,
    /// Seed of ids and faults.
    pub seed: u64,
    /// Simulated time runs this many times faster than real time
    /// ([`Config::FAST_FORWARD`] for tests of whole workflows, [`Config::STILL`]
    /// for tests that read records at rest).
    pub speed: f64,
    /// Printers to simulate.
    pub printers: usize,
    /// Printed parts of finished history to seed: part orders of 20 to 800 parts
    /// over the last 30 days, with their builds, prints and measurements.
    pub printed_parts: usize,
    /// How long a cursor stays valid (the API: 60 s).
    pub cursor_ttl: Duration,
    /// How long presigned upload URLs and download redirects stay valid.
    pub presign_ttl: Duration,
    /// The largest upload accepted; larger ones get 413.
    pub max_upload: u64,
    /// Bytes of uploaded files kept in memory, in all (small files only); past
    /// that, files keep their size and digest and download as derived bytes.
    pub kept_bytes: u64,
    /// Pending uploads, finished runs, finished part orders and live cursors kept,
    /// each; the oldest go first.
    pub retention: usize,
    /// The API document published at `/v1/api.yaml` (default: the one this build
    /// was generated from).
    pub api_document: ApiDocument,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            key: None,
            rate_limit: Some((200, Duration::from_secs(10))),
            faults: Faults::none(),
            seed: 1,
            speed: 1.0,
            printers: 3,
            printed_parts: 0,
            cursor_ttl: Duration::from_secs(60),
            presign_ttl: Duration::from_secs(15 * 60),
            max_upload: 4 * 1024 * 1024 * 1024,
            kept_bytes: 16 * 1024 * 1024,
            retention: 10_000,
            api_document: ApiDocument::built_in(),
        }
    }
}

/// A cursor the simulator gave out: the query it belongs to, the position it stands
/// for, and when it expires (`None`: never).
pub(crate) type IssuedCursor = (String, api::Position, Option<Instant>);

pub(crate) struct SharedState {
    pub signer: storage::Signer,
    /// What may still be kept of uploaded files' bytes.
    pub kept_budget: Arc<AtomicU64>,
    pub storage_origin: String,
    pub storage_authorized: AtomicU64,
    pub config: Config,
    pub verifier: auth::Verifier,
    pub world: Mutex<world::World>,
    /// How many requests of each kind have drawn their faults.
    pub fault_draws: Mutex<HashMap<String, u64>>,
    pub cursors: Mutex<HashMap<String, IssuedCursor>>,
    pub sent: Mutex<HashMap<String, VecDeque<Instant>>>,
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    /// What the published document adds over this build's (put into answers).
    pub additions: Option<additions::Additions>,
}

/// How many records of each kind the simulated account holds (for tests that
/// check a workflow made each thing exactly once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Models (resolved uploads and direct uploads).
    pub models: usize,
    /// Parts.
    pub parts: usize,
    /// Part orders.
    pub part_orders: usize,
    /// Model program runs.
    pub runs: usize,
}

/// How much production history the simulator holds (for benches that reckon
/// the fewest calls an export needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Held {
    /// Printed parts.
    pub printed_parts: usize,
    /// Prints.
    pub prints: usize,
}

/// Counts of what the simulator served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// API requests received (authenticated or not).
    pub requests: u64,
    /// Requests answered 429 by the rate limit (not by fault injection).
    pub rate_limited: u64,
    /// Requests to storage that carried an `Authorization` header (refused).
    pub storage_authorized: u64,
}

pub(crate) type Shared = Arc<SharedState>;

impl SharedState {
    /// The fault injected into this request, if any, and the random source of
    /// the request's further choices; a `Slow` fault is served here (the
    /// request waits) and still returned.
    ///
    /// `kind` names the request by what it does (its operation, `get_part_order`,
    /// not its ids, which clients may pick at random): the n-th request of a
    /// kind draws from a source seeded by the simulator's seed, the kind and n,
    /// so that a run's faults follow from its seed however requests of
    /// different kinds interleave on several threads (requests of one kind
    /// draw in the order they arrive).
    pub(crate) async fn fault(&self, target: faults::Target, kind: &str) -> (Option<faults::FaultKind>, fastrand::Rng) {
        // Without faults nothing is drawn (nor counted).
        if self.config.faults.rate <= 0.0 {
            return (None, fastrand::Rng::with_seed(0));
        }
        let n = {
            let mut draws = self
                .fault_draws
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match draws.get_mut(kind) {
                Some(count) => {
                    *count += 1;
                    *count
                }
                None => {
                    draws.insert(kind.to_string(), 1);
                    1
                }
            }
        };
        let mut rng = fastrand::Rng::with_seed(faults::request_seed(self.config.seed, kind, n));
        let fault = faults::draw(&self.config.faults, &mut rng, target);
        if fault == Some(faults::FaultKind::Slow) {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        (fault, rng)
    }

    /// What an upload may be and keep.
    pub(crate) fn upload_limits(&self) -> files::Limits<'_> {
        files::Limits {
            max_upload: self.config.max_upload,
            budget: &self.kept_budget,
        }
    }

    /// `None` when the request may go, else how long until it may.
    fn rate_limit(&self, client_id: &str) -> Option<Duration> {
        let (requests, window) = self.config.rate_limit?;
        let now = Instant::now();
        let mut sent = self.sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let times = sent.entry(client_id.to_string()).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= window) {
            times.pop_front();
        }
        if times.len() >= requests as usize {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
            return Some(window - now.duration_since(*times.front().unwrap()));
        }
        times.push_back(now);
        None
    }
}

/// A running simulator. Stops when dropped.
pub struct Simulator {
    base_url: String,
    key: TestKey,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    stats: Shared,
}

impl Simulator {
    /// Starts serving on `config.addr` in the current tokio runtime.
    pub async fn start(config: Config) -> Result<Self, SimError> {
        config.validate()?;
        let key = match &config.key {
            Some(key) => key.clone(),
            None => TestKey::generate("sim-client")?,
        };
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.addr,
            source,
        })?;
        let origin = format!("http://{addr}");
        // Storage on the same host, another port: another origin, as S3 is.
        let storage_listener = tokio::net::TcpListener::bind(SocketAddr::new(addr.ip(), 0))
            .await
            .map_err(|source| SimError::Bind { addr, source })?;
        let storage_addr = storage_listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr, source })?;
        let shared: Shared = Arc::new(SharedState {
            signer: storage::Signer::new(config.seed ^ fastrand::u64(..)),
            storage_origin: format!("http://{storage_addr}"),
            storage_authorized: AtomicU64::new(0),
            kept_budget: Arc::new(AtomicU64::new(config.kept_bytes)),
            verifier: auth::Verifier::new(&key.public_pem, &key.client_id)?,
            world: Mutex::new(world::World::new(
                config.seed,
                config.speed,
                config.printers,
                config.printed_parts,
                config.retention,
            )),
            fault_draws: Mutex::new(HashMap::new()),
            cursors: Mutex::new(HashMap::new()),
            sent: Mutex::new(HashMap::new()),
            additions: additions_of(&config)?,
            requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            config,
        });
        let stats = shared.clone();
        let for_storage = shared.clone();
        let app = axum::Router::new().fallback(move |request: axum::http::Request<axum::body::Body>| {
            let shared = shared.clone();
            api::guarded(shared, request)
        });
        let storage_app = axum::Router::new().fallback(move |request: axum::http::Request<axum::body::Body>| {
            let shared = for_storage.clone();
            api::guard(storage::handle(shared, request))
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (stop_storage, storage_stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let storage = tokio::spawn(async move {
                let mut stopped = storage_stopped;
                let _ = axum::serve(storage_listener, storage_app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await;
            });
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
            let _ = stop_storage.send(true);
            storage.abort();
        });
        Ok(Self {
            base_url: format!("{origin}/v1"),
            key,
            shutdown: Some(tx),
            task,
            stats,
        })
    }

    /// The base URL of the API (`http://127.0.0.1:PORT/v1`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The key clients authenticate with.
    pub fn key(&self) -> &TestKey {
        &self.key
    }

    /// The key, loaded as the SDK loads `secrets.json`.
    pub fn api_key(&self) -> carbon_auth::ApiKey {
        self.key.api_key()
    }

    /// What the simulator has served so far.
    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.stats.requests.load(Ordering::Relaxed),
            rate_limited: self.stats.rate_limited.load(Ordering::Relaxed),
            storage_authorized: self.stats.storage_authorized.load(Ordering::Relaxed),
        }
    }

    /// How many models, parts, part orders and runs the account holds now.
    pub fn counts(&self) -> Counts {
        let world = self.stats.world.lock().unwrap_or_else(|e| e.into_inner());
        Counts {
            models: world.models.len(),
            parts: world.parts.len(),
            part_orders: world.orders.len(),
            runs: world.runs.len(),
        }
    }

    /// How many printed parts and prints the account holds now.
    pub fn held(&self) -> Held {
        let world = self.stats.world.lock().unwrap_or_else(|e| e.into_inner());
        Held {
            printed_parts: world.printed_parts.len(),
            prints: world.prints.len(),
        }
    }

    /// Moves simulated time forward by `by` at once (orders pack, print and finish
    /// as if that time had passed): for tests that must not wait on real time.
    pub fn skip_time(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        self.stats
            .world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clock
            .skip(by);
    }

    /// Expires every cursor issued so far, as if `cursor_ttl` had passed: lets a test
    /// check what happens to an expired cursor without waiting (or depending on how
    /// fast the machine is).
    pub fn expire_cursors(&self) {
        let now = Instant::now();
        let mut cursors = self.stats.cursors.lock().unwrap_or_else(|e| e.into_inner());
        for (_, _, expires) in cursors.values_mut() {
            *expires = Some(now);
        }
    }

    /// Stops serving and waits for the server to end.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.abort();
    }
}
