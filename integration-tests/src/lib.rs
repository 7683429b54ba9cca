//! End-to-end tests of the SDK against the simulator (in `tests/`), the quickstart
//! (in `examples/`) and the simulator bench (in `benches/`). Nothing to link: the
//! crate exists so that carbon-ext and carbon-sim need not depend on each other.
