//! A loopback HTTP/1.1 server that answers from a script: a different reply each
//! time, broken connections, bodies cut short, stalls. For what httpmock cannot do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Status, headers, body.
    Full(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// A 200 JSON response whose body is cut short (the headers announce it whole).
    Truncated(String),
    /// A 200 whose headers announce more bytes than are sent before the close.
    Short { announced: usize, body: Vec<u8> },
    /// Close the connection after reading the request, without answering.
    Reset,
    /// Wait, then answer.
    Delayed(Duration, Box<Reply>),
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply::Full(
            status,
            vec![("content-type", "application/json".into())],
            body.to_string().into_bytes(),
        )
    }

    pub fn text(status: u16, body: &str) -> Self {
        Reply::Full(
            status,
            vec![("content-type", "text/plain".into())],
            body.as_bytes().to_vec(),
        )
    }

    pub fn with_header(self, name: &'static str, value: &str) -> Self {
        match self {
            Reply::Full(status, mut headers, body) => {
                headers.push((name, value.to_string()));
                Reply::Full(status, headers, body)
            }
            other => other,
        }
    }
}

/// What the server saw of one request.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Serves the replies in order, one connection per request; after the last it
/// repeats the last.
pub struct Scripted {
    pub base: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    pub async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, replies)
    }

    pub fn serve(listener: TcpListener, replies: Vec<Reply>) -> Self {
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            let mut n = 0usize;
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let reply = replies[n.min(replies.len() - 1)].clone();
                n += 1;
                let log = log.clone();
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else {
                        return;
                    };
                    log.lock().unwrap().push(request);
                    answer(&mut socket, reply).await;
                });
            }
        });
        Self { base, seen }
    }

    pub fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let header_end = loop {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = data[header_end..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}

fn answer(
    socket: &mut tokio::net::TcpStream,
    reply: Reply,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        match reply {
            Reply::Full(status, headers, body) => {
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            }
            Reply::Truncated(body) => {
                // The body is complete HTTP (length matches) but not complete JSON.
                let cut = &body[..body.len() / 2];
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    cut.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(cut.as_bytes()).await;
            }
            Reply::Short { announced, body } => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {announced}\r\nconnection: close\r\n\r\n"
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            }
            Reply::Reset => {
                // Linger 0 makes the close a reset; it cannot block with a zero timeout.
                #[allow(deprecated)]
                let _ = socket.set_linger(Some(Duration::ZERO));
            }
            Reply::Delayed(wait, reply) => {
                tokio::time::sleep(wait).await;
                answer(socket, *reply).await;
            }
        }
    })
}
