//! Raw HTTP requests as the tests and benches send them past the SDK: sent, and
//! the answer read whole, any transport failure a panic.

use reqwest::RequestBuilder;

/// Sends `request` and reads its whole body, whatever the status.
pub async fn body(request: RequestBuilder) -> bytes::Bytes {
    request.send().await.unwrap().bytes().await.unwrap()
}

/// Sends `request` and reads its body as JSON, whatever the status.
pub async fn json(request: RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}
