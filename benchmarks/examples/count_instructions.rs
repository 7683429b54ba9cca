//! Makes `N` calls one way, for counting instructions under callgrind: counts are
//! the same from run to run whatever else the machine does, where times are not.
//!
//! ```sh
//! cargo build --release -p carbon-benchmarks --example count_instructions
//! for side in raw generated sdk; do for n in 1000 2000; do
//!   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$side.$n \
//!     target/release/examples/count_instructions $side $n 2>&1 | grep Collected
//! done; done
//! ```
//!
//! The difference between the two counts of a side, divided by 1000, is what one
//! call costs (start-up and the server's set-up cancel out).

use common::{Side, Sides};

#[path = "../benches/common/mod.rs"]
mod common;

/// The side named `raw`, `generated` or `sdk`.
fn side_named(name: &str) -> Option<Side> {
    match name {
        "raw" => Some(Side::Raw),
        "generated" => Some(Side::Generated),
        "sdk" => Some(Side::Sdk),
        _ => None,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: count_instructions raw|generated|sdk CALLS";
    let (Some(side), Some(calls)) = (
        args.first().and_then(|name| side_named(name)),
        args.get(1).and_then(|n| n.parse::<u32>().ok()),
    ) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    // One thread for client and server: nothing else runs between the calls.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sides = Sides::start().await;
        for _ in 0..calls {
            sides.call(side).await;
        }
    });
}
