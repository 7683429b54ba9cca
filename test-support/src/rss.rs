//! The process's memory high-water mark (Linux), for benches that report it.

/// Resets the high-water mark to the current RSS (through `/proc/self/clear_refs`).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak RSS since start or the last reset, in MiB (NaN where unknown).
pub fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// The current RSS in MiB (NaN where unknown).
pub fn rss_mib() -> f64 {
    status_mib("VmRSS:")
}

fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
