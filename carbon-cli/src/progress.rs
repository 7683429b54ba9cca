//! Progress bars on standard error, only when it is a terminal and `--quiet` is not
//! given: never in piped or redirected output.

use std::io::IsTerminal;
use std::time::Duration;

use carbon_ext::{Progress, Transfer, WaitConfig, Waiter};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar, or nothing when progress is not shown.
#[derive(Clone)]
pub struct Bar(Option<ProgressBar>);

fn shown(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

fn bar(quiet: bool, template: &str, label: &str) -> Bar {
    if !shown(quiet) {
        return Bar(None);
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(label.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    Bar(Some(bar))
}

/// A bar counting bytes.
pub fn bytes(quiet: bool, label: &str) -> Bar {
    bar(quiet, "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec}", label)
}

/// A bar counting things (records, parts).
pub fn count(quiet: bool, label: &str) -> Bar {
    bar(quiet, "{msg} {wide_bar} {pos}/{len} {elapsed}", label)
}

/// A running count of things whose total is not known (an export's rows).
pub fn tally(quiet: bool, label: &str) -> Bar {
    bar(quiet, "{spinner} {msg}: {human_pos} {elapsed}", label)
}

/// A spinner with a message (waits).
pub fn spinner(quiet: bool, label: &str) -> Bar {
    bar(quiet, "{spinner} {msg} {elapsed}", label)
}

impl Bar {
    /// The SDK callback that moves this bar.
    pub fn callback(&self) -> Progress<Transfer> {
        match &self.0 {
            Some(bar) => {
                let bar = bar.clone();
                Progress::new(move |t: &Transfer| {
                    if let Some(total) = t.total {
                        bar.set_length(total);
                    }
                    bar.set_position(t.done);
                })
            }
            None => Progress::none(),
        }
    }

    /// Sets the position and, if known, the length.
    pub fn set(&self, position: u64, length: Option<u64>) {
        if let Some(bar) = &self.0 {
            if let Some(length) = length {
                bar.set_length(length);
            }
            bar.set_position(position);
        }
    }

    /// Replaces the message.
    pub fn message(&self, text: String) {
        if let Some(bar) = &self.0 {
            bar.set_message(text);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Runs `waiter` polling as `config` says, `report` showing each poll on
/// `bar`, and removes the bar however the wait ends.
pub async fn wait<Output, Seen: ?Sized>(
    waiter: Waiter<Output, Seen>,
    config: WaitConfig,
    report: Progress<Seen>,
    bar: &Bar,
) -> Result<Output, carbon_ext::Error> {
    let outcome = waiter.config(config).progress(report).await;
    bar.finish();
    outcome
}
