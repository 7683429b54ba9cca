//! Real Redis servers for the tests of the Redis-shared rate limit: the one CI
//! starts on loopback (`CARBON_TEST_REDIS_URL`), or one a test starts and stops
//! itself (Debian's `redis-server`, on a socket in a temporary directory).
//! Nothing is skipped when Redis is missing: the test fails and says how to get it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable naming the Redis CI started for the tests.
pub const URL_VAR: &str = "CARBON_TEST_REDIS_URL";

/// A `redis-server` process this test owns, answering on a Unix socket.
pub struct RedisServer {
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts `redis-server` (from `PATH`) with no persistence, and waits until it
    /// answers.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for redis-server");
        let mut server = Self { dir, child: None };
        server.restart();
        server
    }

    /// The socket's path.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    /// The URL clients use.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    /// Stops the server at once (SIGKILL): Redis going away under its clients.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(self.socket());
    }

    /// Starts the server again (after [`RedisServer::kill`]), empty.
    pub fn restart(&mut self) {
        self.kill();
        let socket = self.socket();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--save", "", "--appendonly", "no", "--unixsocket"])
            .arg(&socket)
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start redis-server ({e}): install Debian's redis-server package \
                     (apt-get install redis-server), as .ci/run does"
                )
            });
        self.child = Some(child);
        // However slow the machine: a minute before giving up.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !answers(&socket) {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer on {}",
                socket.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The Redis that CI started (`CARBON_TEST_REDIS_URL`), else one of this test's
/// own; keep the returned server alive while the URL is used.
pub fn shared_url() -> (String, Option<RedisServer>) {
    match std::env::var(URL_VAR).ok().filter(|u| !u.is_empty()) {
        Some(url) => (url, None),
        None => {
            let server = RedisServer::start();
            (server.url(), Some(server))
        }
    }
}

/// Whether a Redis answers PING on `socket`.
fn answers(socket: &std::path::Path) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok() && stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}
