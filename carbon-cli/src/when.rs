//! Durations (`90s`, `30m`, `12h`, `7d`, `2w`) and points in time (RFC 3339, a
//! date, or a duration counted from now).

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

/// Parses `250ms`, `90s`, `30m`, `12h`, `7d`, `2w`, `1h30m` (humantime's
/// reading, as the examples use it); a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(Duration::from_secs)
            .map_err(|_| format!("`{text}` is too long a duration"));
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration ({e}): use a number and a unit, e.g. 90s, 30m, 12h, 7d"))
}

/// Which way a relative time counts from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relative {
    /// `2d` means two days ago (filters such as `--updated-after`).
    Ago,
    /// `7d` means in seven days (due dates).
    FromNow,
}

/// Parses an RFC 3339 time, a date (midnight UTC), or a duration from now.
pub fn parse_time(text: &str, relative: Relative, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    let span = parse_duration(text).map_err(|_| {
        format!("`{text}` is not a time: use RFC 3339 (2026-11-01T08:00:00Z), a date (2026-11-01) or a duration (2d)")
    })?;
    let span = chrono::Duration::from_std(span).map_err(|_| format!("`{text}` is too far away"))?;
    match relative {
        Relative::Ago => now.checked_sub_signed(span),
        Relative::FromNow => now.checked_add_signed(span),
    }
    .ok_or_else(|| format!("`{text}` is too far away"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("12h").unwrap(), Duration::from_secs(43_200));
        assert_eq!(parse_duration("2w").unwrap(), Duration::from_secs(1_209_600));
        assert!(parse_duration("soon").unwrap_err().contains("not a duration"));
        assert!(parse_duration("3q").unwrap_err().contains("unknown time unit"));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration(" 60 ").unwrap(), Duration::from_secs(60));
        assert!(parse_duration("99999999999999999999d").is_err());
        let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        assert_eq!(
            parse_time("2d", Relative::Ago, now).unwrap().to_rfc3339(),
            "2026-11-29T12:00:00+00:00"
        );
        assert_eq!(
            parse_time("7d", Relative::FromNow, now).unwrap().to_rfc3339(),
            "2026-12-08T12:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-11-01", Relative::Ago, now).unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-11-01T08:00:00+02:00", Relative::Ago, now)
                .unwrap()
                .to_rfc3339(),
            "2026-11-01T06:00:00+00:00"
        );
        assert!(
            parse_time("yesterday", Relative::Ago, now)
                .unwrap_err()
                .contains("RFC 3339")
        );
    }
}
