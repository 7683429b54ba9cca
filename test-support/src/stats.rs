//! Summaries of repeated measurements, as every bench prints them: the median,
//! the quartiles (the middle half) and the extremes.

/// A set of measurements, summarized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The middle value.
    pub median: f64,
    /// The first quartile.
    pub low: f64,
    /// The third quartile.
    pub high: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// Summarizes `values` (at least one).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let mut values: Vec<f64> = values.into_iter().collect();
        assert!(!values.is_empty(), "no measurements to summarize");
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
        Self {
            median: at(0.5),
            low: at(0.25),
            high: at(0.75),
            min: values[0],
            max: values[values.len() - 1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_quartiles_and_extremes_whatever_the_order() {
        let s = Spread::of([5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!((s.median, s.low, s.high, s.min, s.max), (3.0, 2.0, 4.0, 1.0, 5.0));
        assert_eq!(Spread::of([7.0]).median, 7.0);
    }
}
