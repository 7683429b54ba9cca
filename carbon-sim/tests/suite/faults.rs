//! Injected faults follow from the seed, not from how requests interleave: a
//! failure seen under faults can be replayed by starting the simulator with the
//! same seed.

use std::collections::BTreeMap;

use carbon_sim::{Config, Faults};

use crate::common::Raw;

/// What each kind of request met, in order, when `order` (paths below the base
/// URL) is sent one by one to a simulator seeded with `seed` and faults on half
/// the requests.
async fn outcomes(seed: u64, order: &[&str]) -> BTreeMap<String, Vec<String>> {
    let raw = Raw::start(Config {
        faults: Faults::all(0.5),
        // Records stay as they are between the two runs compared.
        speed: Config::STILL,
        printed_parts: 4,
        seed,
        ..Config::default()
    })
    .await;
    let mut met: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in order {
        let answer = raw.get(path).send().await;
        let outcome = match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(body) => format!("{status} {} bytes", body.len()),
                    Err(_) => format!("{status} cut"),
                }
            }
            Err(_) => "no answer".to_string(),
        };
        met.entry(path.to_string()).or_default().push(outcome);
    }
    met
}

#[tokio::test]
async fn the_same_seed_injects_the_same_faults_in_any_interleaving() {
    let (a, b) = ("/applications", "/printers?limit=10&offset=0");
    let together = [a, a, a, a, a, a, b, b, b, b, b, b];
    let alternating = [a, b, a, b, a, b, a, b, a, b, a, b];
    let first = outcomes(11, &together).await;
    assert_eq!(first, outcomes(11, &alternating).await, "the same faults per kind");
    assert!(
        first.values().flatten().any(|o| !o.starts_with("200")),
        "half the requests meet a fault: {first:?}"
    );
    assert_ne!(first, outcomes(12, &together).await, "another seed, other faults");
}
