//! Benchmarks of carbon-rs built the way an application builds it. The benches are
//! in `benches/`, probes for instruction counts in `examples/`; what they share
//! (the same API call made three ways) is in `benches/common/`. This library is
//! empty.
