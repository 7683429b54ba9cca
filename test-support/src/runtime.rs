//! The runtime every bench measures on: two worker threads, as the machines
//! these numbers come from have two cores (and as an application's default
//! runtime there would be).

/// A multi-threaded runtime with two workers, timers and I/O on.
pub fn two_workers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}
