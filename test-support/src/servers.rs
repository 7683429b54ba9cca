//! Loopback servers for benches: as little work per request as a server can do, so
//! that what is measured is the client.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A keep-alive HTTP/1.1 server that answers every request with `body` (JSON);
/// returns its base URL with `/v1`.
pub async fn answering(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    serve(listener, move |mut socket| async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut pending = Vec::new();
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        loop {
            let Ok(n) = socket.read(&mut buf).await else { return };
            if n == 0 {
                return;
            }
            pending.extend_from_slice(&buf[..n]);
            while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                pending.drain(..end + 4);
                if socket.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    });
    base
}

/// The presign and resolve endpoints of the API and an S3-like PUT sink that reads
/// and discards the body and answers with an ETag; returns its origin (no `/v1`).
pub async fn upload_sink() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    serve(listener, move |mut socket| async move {
        let mut buf = vec![0u8; 256 * 1024];
        let mut head = Vec::new();
        loop {
            let Ok(n) = socket.read(&mut buf).await else { return };
            if n == 0 {
                return;
            }
            head.extend_from_slice(&buf[..n]);
            let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let text = String::from_utf8_lossy(&head[..end]).to_lowercase();
            let length: u64 = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            let mut remaining = length.saturating_sub((head.len() - end - 4) as u64);
            while remaining > 0 {
                let Ok(n) = socket.read(&mut buf).await else { return };
                if n == 0 {
                    return;
                }
                remaining = remaining.saturating_sub(n as u64);
            }
            let body = if text.starts_with("post /v1/models/presigned/resolve") {
                String::new()
            } else if text.starts_with("post /v1/models/presigned") {
                format!(r#"{{"model_uuid":"m-bench","presigned_url":"http://{addr}/s3/m-bench"}}"#)
            } else {
                String::new()
            };
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\netag: \"bench\"\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            if socket.write_all(response.as_bytes()).await.is_err() {
                return;
            }
            head.clear();
        }
    });
    format!("http://{addr}")
}

/// Accepts connections on `listener` until it fails, each served by `connection`
/// on a task of its own.
fn serve<F, Fut>(listener: TcpListener, connection: F)
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(connection(socket));
        }
    });
}
