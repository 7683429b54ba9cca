//! End-to-end tests of the SDK against the simulator (in `tests/`), the quickstart
//! (in `examples/`) and the simulator bench (in `benches/`), kept here so that
//! carbon-ext and carbon-sim need not depend on each other; and the helpers they
//! share.

use carbon_ext::{Client, ClientBuilder};
use carbon_sim::{Config, Simulator};

/// A simulator of `config`, started (a test cannot go on without it).
pub async fn simulator(config: Config) -> Simulator {
    Simulator::start(config)
        .await
        .expect("the simulator starts on loopback")
}

/// A simulator of `config` whose time stands still ([`Config::STILL`]) and
/// which sets no rate limit: records stay as the test left them.
pub async fn frozen(config: Config) -> Simulator {
    simulator(Config {
        speed: Config::STILL,
        rate_limit: None,
        ..config
    })
    .await
}

/// A client builder pointed at `sim`, with its key: add settings, then build.
pub fn client_builder(sim: &Simulator) -> ClientBuilder {
    Client::builder().base_url(sim.base_url()).api_key(sim.api_key())
}

/// A client of `sim` with the default settings.
pub fn client(sim: &Simulator) -> Client {
    client_builder(sim).build().expect("a client of the simulator builds")
}
