//! The API's limit shared by every client of one key on one host: a small state
//! file per key and API (named from a hash of the client id and the base URL, in
//! the user's cache directory; it never holds the secret) records the slots
//! claimed in the current window by all processes, under an advisory lock held
//! for a read and a write.
//!
//! A process claims a few slots at a time (a lease) and spends them within a
//! quarter second, so that most requests touch no file. When slots run short,
//! processes queue for them in the ledger, first come first served, so that none
//! waits while others keep claiming (a listing that waited a minute would find its
//! cursor expired). A waiter checks in at least every 200 ms; one that has not for
//! a second is dropped from the queue, so a process killed while waiting holds
//! no one up. A process killed while holding the lock releases it (the kernel
//! drops the lock with the file); slots it claimed count until their window has
//! passed, never longer. A pause after a 429 is shared too.
//!
//! The file holds text: a `carbon-rate-limit 2` line, `paused_until MS`, one
//! `MS COUNT` line per claim and one `wait ID MS` line per waiter, in order
//! (milliseconds since the Unix epoch). A file that does not read as that is taken
//! as empty and written anew.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::ledger::{Ask, Claim, Unspent};

const HEADER: &str = "carbon-rate-limit 2";
/// The longest a claimer sleeps before asking again (and so checking in).
const POLL: Duration = Duration::from_millis(200);
/// A waiter that has not checked in for this long is gone.
const STALE_MS: u64 = 1_000;
/// How much later than the queue's head the others look again.
const BEHIND_HEAD: Duration = Duration::from_millis(10);

/// The state file of one key and API, open.
#[derive(Debug)]
pub(crate) struct HostLedger {
    /// Reopened when the file at `path` is no longer this one (pruned as stale by
    /// another process while this one was idle).
    file: std::sync::Mutex<File>,
    path: PathBuf,
    /// This ledger's place in the queue (one per open ledger: per client).
    id: u64,
    /// The last claim failed: said once, and again when one works.
    failing: AtomicBool,
    /// Where the time is read.
    clock: Clock,
}

/// Where a ledger reads the time, in milliseconds since the Unix epoch: the
/// wall clock (processes share no other), or, in tests, one moved by hand.
#[derive(Debug, Clone, Default)]
struct Clock(Option<std::sync::Arc<std::sync::atomic::AtomicU64>>);

impl Clock {
    fn now_ms(&self) -> u64 {
        match &self.0 {
            Some(manual) => manual.load(Ordering::Acquire),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
        }
    }
}

/// The ledger's content.
#[derive(Debug, Default, PartialEq, Eq)]
struct State {
    paused_until: u64,
    /// (claimed at, slots), oldest first.
    claims: Vec<(u64, u32)>,
    /// (waiter, last checked in), first come first.
    waiting: Vec<(u64, u64)>,
}

impl HostLedger {
    /// The ledger named `name` (see [`super::ledger::ledger_name`]), in `dir`
    /// (created if need be).
    pub(crate) fn open(dir: &Path, name: &str) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        prune(dir, SystemTime::now());
        let path = dir.join(format!("{name}.ledger"));
        Ok(Self {
            file: std::sync::Mutex::new(open_file(&path)?),
            path,
            id: fastrand::u64(1..),
            failing: AtomicBool::new(false),
            clock: Clock::default(),
        })
    }

    /// Where the user's ledgers live: `$CARBON_RATE_LIMIT_DIR`, else
    /// `carbon/rate-limit` in the platform's cache directory.
    pub(crate) fn default_dir() -> Option<PathBuf> {
        match std::env::var_os("CARBON_RATE_LIMIT_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => Some(PathBuf::from(dir)),
            None => dirs::cache_dir().map(|d| d.join("carbon").join("rate-limit")),
        }
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Answers `ask` ([`Ask`]) among all processes, if no pause holds and no
    /// process queued before this one is still waiting.
    pub(crate) fn claim(&self, ask: Ask) -> std::io::Result<Claim> {
        let id = self.id;
        let claimed = self.locked(|state, now| {
            let window = ask.window.as_millis() as u64;
            if let Some(unspent) = ask.unspent {
                state.give_back(unspent);
            }
            state.claims.retain(|(at, _)| at.saturating_add(window) > now);
            state.waiting.retain(|(_, seen)| seen.saturating_add(STALE_MS) > now);
            let used: u64 = state.claims.iter().map(|(_, n)| u64::from(*n)).sum();
            let allowed = u64::from(ask.allowed.max(1));
            let first = state.waiting.first().is_none_or(|(head, _)| *head == id);
            if state.paused_until <= now && used < allowed && first {
                state.waiting.retain(|(waiter, _)| *waiter != id);
                let granted = (allowed - used).min(u64::from(ask.lease.max(1))) as u32;
                state.claims.push((now, granted));
                return Claim::Granted {
                    slots: granted,
                    token: now,
                };
            }
            // Queue (or check in), then look again when a slot may be ours.
            match state.waiting.iter_mut().find(|(waiter, _)| *waiter == id) {
                Some((_, seen)) => *seen = now,
                None => state.waiting.push((id, now)),
            }
            let free_in = if state.paused_until > now {
                Duration::from_millis(state.paused_until - now)
            } else if used >= allowed {
                // The oldest claims free first: until enough of them have.
                let mut freed = 0;
                let mut at_last = window;
                for (at, n) in &state.claims {
                    freed += u64::from(*n);
                    if used - freed < allowed {
                        at_last = at.saturating_add(window).saturating_sub(now);
                        break;
                    }
                }
                Duration::from_millis(at_last)
            } else {
                Duration::ZERO
            };
            let head = state.waiting.first().is_some_and(|(waiter, _)| *waiter == id);
            let behind = if head { Duration::ZERO } else { BEHIND_HEAD };
            Claim::Wait((free_in + behind).min(POLL).max(Duration::from_millis(1)))
        });
        self.say_outage(claimed.as_ref().err());
        claimed
    }

    /// Says (once) that the file cannot be used when a claim fails, and says when
    /// one works again: meanwhile the client keeps to the limit alone, and the
    /// processes of the key may together go over it.
    fn say_outage(&self, error: Option<&std::io::Error>) {
        match error {
            Some(error) if !self.failing.swap(true, Ordering::AcqRel) => tracing::warn!(
                file = %self.path.display(),
                %error,
                "the rate limit's shared file cannot be used: this client keeps to the limit alone until it can"
            ),
            None if self.failing.swap(false, Ordering::AcqRel) => tracing::warn!(
                file = %self.path.display(),
                "the rate limit's shared file can be used again: the limit is shared through it again"
            ),
            _ => {}
        }
    }

    /// Gives back the slots of a claim that were not spent.
    pub(crate) fn give_back(&self, unspent: Unspent) -> std::io::Result<()> {
        self.locked(|state, _| state.give_back(unspent))
    }

    /// Every client of the key on this host waits `pause` (a 429 was answered).
    pub(crate) fn pause(&self, pause: Duration) -> std::io::Result<()> {
        self.locked(|state, now| {
            state.paused_until = state.paused_until.max(now.saturating_add(pause.as_millis() as u64));
        })
    }

    /// Runs `change` on the state under the lock, and writes the state back.
    fn locked<T>(&self, change: impl FnOnce(&mut State, u64) -> T) -> std::io::Result<T> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let _lock = loop {
            let lock = Lock::exclusive(&file)?;
            if is_at(&file, &self.path) {
                break lock;
            }
            // Pruned (or replaced) since it was opened: the others use the new one
            // (its directory too may have been cleaned away).
            drop(lock);
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            *file = open_file(&self.path)?;
        };
        let mut text = String::new();
        let mut file = &*file;
        file.seek(SeekFrom::Start(0))?;
        let mut state = match file.read_to_string(&mut text) {
            Ok(_) => State::parse(&text).unwrap_or_default(),
            // Not text: written anew.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => State::default(),
            Err(e) => return Err(e),
        };
        let result = change(&mut state, self.clock.now_ms());
        let written = state.to_text();
        if written != text {
            file.seek(SeekFrom::Start(0))?;
            file.set_len(0)?;
            file.write_all(written.as_bytes())?;
        }
        Ok(result)
    }
}

impl State {
    /// Takes the unspent slots off their claim (one made at the same
    /// millisecond by another process is as good: both free at once).
    fn give_back(&mut self, unspent: Unspent) {
        if let Some(claim) = self
            .claims
            .iter_mut()
            .find(|(at, n)| *at == unspent.token && *n >= unspent.unspent)
        {
            claim.1 -= unspent.unspent;
        }
        self.claims.retain(|(_, n)| *n > 0);
    }

    fn parse(text: &str) -> Option<State> {
        let mut lines = text.lines();
        if lines.next()? != HEADER {
            return None;
        }
        let paused_until = lines.next()?.strip_prefix("paused_until ")?.parse().ok()?;
        let mut state = State {
            paused_until,
            ..State::default()
        };
        for line in lines {
            match line.strip_prefix("wait ") {
                Some(rest) => {
                    let (id, seen) = rest.split_once(' ')?;
                    state.waiting.push((id.parse().ok()?, seen.parse().ok()?));
                }
                None => {
                    let (at, n) = line.split_once(' ')?;
                    state.claims.push((at.parse().ok()?, n.parse().ok()?));
                }
            }
        }
        Some(state)
    }

    fn to_text(&self) -> String {
        let mut text = format!("{HEADER}\npaused_until {}\n", self.paused_until);
        for (at, n) in &self.claims {
            text.push_str(&format!("{at} {n}\n"));
        }
        for (id, seen) in &self.waiting {
            text.push_str(&format!("wait {id} {seen}\n"));
        }
        text
    }
}

/// A ledger untouched for this long holds no claim, waiter or pause that still
/// counts: it is removed when a client opens a ledger in the same directory.
const PRUNE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

fn open_file(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Whether `file` is still the file at `path`.
fn is_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Removes the ledgers in `dir` not written for [`PRUNE_AFTER`] (the keys and
/// APIs no longer used here), each under its lock so that no claim is lost; a
/// client that still has one open notices and opens the new one. Best effort.
fn prune(dir: &Path, now: SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "ledger") {
            continue;
        }
        let stale = |path: &Path| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .is_ok_and(|at| now.duration_since(at).is_ok_and(|age| age > PRUNE_AFTER))
        };
        if !stale(&path) {
            continue;
        }
        let Ok(file) = std::fs::OpenOptions::new().read(true).open(&path) else {
            continue;
        };
        // SAFETY: flock on a file descriptor this process holds open; a lock
        // another process holds is not waited for.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            continue;
        }
        // Written since it was looked at: in use after all.
        if stale(&path) && is_at(&file, &path) {
            let _ = std::fs::remove_file(&path);
        }
        // The lock goes with the file.
    }
}

/// An exclusive advisory lock on a file, released when dropped (or when the
/// process ends, however it ends).
struct Lock<'a>(&'a File);

impl<'a> Lock<'a> {
    fn exclusive(file: &'a File) -> std::io::Result<Self> {
        loop {
            // SAFETY: flock on a file descriptor this process holds open.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(Lock(file));
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        // SAFETY: as above; unlocking a lock this process holds.
        unsafe {
            libc::flock(self.0.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ledger::ledger_name;
    use super::*;

    impl Clock {
        /// A clock standing at a fixed time until [`Clock::advance`] moves it.
        fn manual() -> Self {
            Self(Some(std::sync::Arc::new(std::sync::atomic::AtomicU64::new(
                1_800_000_000_000,
            ))))
        }

        fn advance(&self, by: Duration) {
            self.0
                .as_ref()
                .unwrap()
                .fetch_add(by.as_millis() as u64, Ordering::AcqRel);
        }
    }

    /// A ledger of key "k" in `dir`, opened as another process would, reading
    /// the time from `clock`.
    fn opened(dir: &tempfile::TempDir, clock: &Clock) -> HostLedger {
        let ledger = HostLedger::open(dir.path(), &ledger_name("k", "u")).unwrap();
        HostLedger {
            clock: clock.clone(),
            ..ledger
        }
    }

    /// The slots a claim granted, if it did.
    fn granted(claim: Claim) -> Option<u32> {
        match claim {
            Claim::Granted { slots, .. } => Some(slots),
            Claim::Wait(_) => None,
        }
    }

    #[test]
    fn slots_not_spent_are_given_back() {
        let (dir, clock) = (tempfile::tempdir().unwrap(), Clock::manual());
        let window = Duration::from_secs(60);
        let a = opened(&dir, &clock);
        let b = opened(&dir, &clock);
        let Claim::Granted { slots: 4, token } = a.claim(Ask::new(5, 4, window)).unwrap() else {
            panic!("four slots")
        };
        assert_eq!(granted(b.claim(Ask::new(5, 4, window)).unwrap()), Some(1));
        // a spent one of its four: three are free again, with its next claim…
        let unspent = Unspent {
            token,
            granted: 4,
            unspent: 3,
        };
        assert_eq!(
            granted(a.claim(Ask::new(5, 2, window).giving_back(Some(unspent))).unwrap()),
            Some(2)
        );
        assert_eq!(granted(b.claim(Ask::new(5, 4, window)).unwrap()), Some(1));
        // …or when it goes.
        let Claim::Granted { slots: 1, token } = b.claim(Ask::new(6, 1, window)).unwrap() else {
            panic!("the sixth slot")
        };
        assert!(matches!(a.claim(Ask::new(6, 1, window)).unwrap(), Claim::Wait(_)));
        b.give_back(Unspent {
            token,
            granted: 1,
            unspent: 1,
        })
        .unwrap();
        assert_eq!(granted(a.claim(Ask::new(6, 1, window)).unwrap()), Some(1));
    }

    #[test]
    fn processes_of_one_key_share_its_slots_and_its_pauses() {
        let dir = tempfile::tempdir().unwrap();
        let window = Duration::from_secs(60);
        // Two opens of one key's file stand for two processes.
        let a = HostLedger::open(dir.path(), &ledger_name("client-1", "https://api.example/v1")).unwrap();
        let b = HostLedger::open(dir.path(), &ledger_name("client-1", "https://api.example/v1")).unwrap();
        assert_eq!(a.path(), b.path());
        assert_eq!(granted(a.claim(Ask::new(10, 4, window)).unwrap()), Some(4));
        assert_eq!(granted(b.claim(Ask::new(10, 4, window)).unwrap()), Some(4));
        assert_eq!(
            granted(a.claim(Ask::new(10, 4, window)).unwrap()),
            Some(2),
            "what is left"
        );
        match b.claim(Ask::new(10, 4, window)).unwrap() {
            Claim::Wait(wait) => assert!(wait <= POLL, "waiters check in: {wait:?}"),
            other => panic!("{other:?}"),
        }
        // Another key, or the same key on another API, has its own.
        let other = HostLedger::open(dir.path(), &ledger_name("client-2", "https://api.example/v1")).unwrap();
        assert_eq!(granted(other.claim(Ask::new(10, 4, window)).unwrap()), Some(4));
        let elsewhere = HostLedger::open(dir.path(), &ledger_name("client-1", "http://127.0.0.1:9/v1")).unwrap();
        assert_eq!(granted(elsewhere.claim(Ask::new(10, 4, window)).unwrap()), Some(4));
        // A pause one process meets holds the others.
        other.pause(Duration::from_secs(30)).unwrap();
        let third = HostLedger::open(dir.path(), &ledger_name("client-2", "https://api.example/v1")).unwrap();
        assert!(matches!(third.claim(Ask::new(10, 1, window)).unwrap(), Claim::Wait(_)));
        // The file names neither key nor secret.
        let text = std::fs::read_to_string(a.path()).unwrap();
        assert!(text.starts_with(HEADER) && !text.contains("client-1"), "{text}");
    }

    #[test]
    fn claims_give_their_slots_back_after_a_window() {
        let (dir, clock) = (tempfile::tempdir().unwrap(), Clock::manual());
        let window = Duration::from_millis(300);
        let a = opened(&dir, &clock);
        assert_eq!(granted(a.claim(Ask::new(2, 2, window)).unwrap()), Some(2));
        let b = opened(&dir, &clock);
        clock.advance(window - Duration::from_millis(1));
        assert!(matches!(b.claim(Ask::new(2, 1, window)).unwrap(), Claim::Wait(_)));
        // Once the window has passed, the slots are back.
        clock.advance(Duration::from_millis(1));
        assert_eq!(granted(b.claim(Ask::new(2, 1, window)).unwrap()), Some(1));
    }

    #[test]
    fn waiters_are_served_first_come_first_served_and_the_gone_are_dropped() {
        let (dir, clock) = (tempfile::tempdir().unwrap(), Clock::manual());
        let window = Duration::from_millis(300);
        let (a, b, c) = (opened(&dir, &clock), opened(&dir, &clock), opened(&dir, &clock));
        assert_eq!(granted(a.claim(Ask::new(2, 2, window)).unwrap()), Some(2));
        assert!(
            matches!(b.claim(Ask::new(2, 1, window)).unwrap(), Claim::Wait(_)),
            "b queues"
        );
        clock.advance(window);
        // The slots are back, but b was first: a, however eager, waits its turn.
        assert!(matches!(a.claim(Ask::new(2, 2, window)).unwrap(), Claim::Wait(_)));
        assert_eq!(granted(b.claim(Ask::new(2, 1, window)).unwrap()), Some(1));
        assert!(
            matches!(c.claim(Ask::new(2, 1, window)).unwrap(), Claim::Wait(_)),
            "behind a"
        );
        assert_eq!(granted(a.claim(Ask::new(2, 2, window)).unwrap()), Some(1));
        // A waiter that stops checking in (a process killed while it waited) is
        // dropped from the queue after a second, and holds no one up.
        clock.advance(window);
        assert!(
            matches!(b.claim(Ask::new(1, 1, window)).unwrap(), Claim::Wait(_)),
            "c is ahead of b"
        );
        clock.advance(Duration::from_millis(STALE_MS + 1));
        assert_eq!(granted(b.claim(Ask::new(1, 1, window)).unwrap()), Some(1), "c is gone");
    }

    #[test]
    fn ledgers_unused_for_a_week_are_removed_and_their_holders_move_on() {
        let dir = tempfile::tempdir().unwrap();
        let window = Duration::from_secs(60);
        let idle = HostLedger::open(dir.path(), &ledger_name("idle", "u")).unwrap();
        assert_eq!(granted(idle.claim(Ask::new(2, 2, window)).unwrap()), Some(2));
        let fresh = HostLedger::open(dir.path(), &ledger_name("fresh", "u")).unwrap();
        assert_eq!(granted(fresh.claim(Ask::new(2, 1, window)).unwrap()), Some(1));
        let other = dir.path().join("notes.txt");
        std::fs::write(&other, "not a ledger").unwrap();
        // Eight days on, only the ledgers untouched for that long go.
        let later = SystemTime::now() + Duration::from_secs(8 * 24 * 3600);
        std::fs::File::options()
            .write(true)
            .open(fresh.path())
            .unwrap()
            .set_modified(later)
            .unwrap();
        prune(dir.path(), later);
        assert!(!idle.path().exists(), "the idle key's ledger is gone");
        assert!(fresh.path().exists() && other.exists());
        // The client that held it open writes to the file others now use.
        let again = HostLedger::open(dir.path(), &ledger_name("idle", "u")).unwrap();
        assert_eq!(granted(again.claim(Ask::new(3, 1, window)).unwrap()), Some(1));
        assert_eq!(
            granted(idle.claim(Ask::new(3, 3, window)).unwrap()),
            Some(2),
            "one of three is taken"
        );
        assert!(idle.path().exists());
    }

    #[test]
    fn a_file_that_does_not_read_as_a_ledger_is_written_anew() {
        let (dir, clock) = (tempfile::tempdir().unwrap(), Clock::manual());
        let ledger = opened(&dir, &clock);
        for junk in [
            &b"garbage"[..],
            b"carbon-rate-limit 1\npaused_until x\n",
            &[0xff, 0xfe, 0x00],
        ] {
            std::fs::write(ledger.path(), junk).unwrap();
            assert_eq!(
                granted(ledger.claim(Ask::new(5, 5, Duration::from_secs(10))).unwrap()),
                Some(5)
            );
            let text = std::fs::read_to_string(ledger.path()).unwrap();
            assert!(State::parse(&text).is_some(), "{text}");
        }
    }
}
