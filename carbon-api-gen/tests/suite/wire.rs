//! One exchange with a mock server, written once: the request the client must send
//! (method, exact path with `/v1`, and whatever else a test names: query, headers,
//! body) and the answer it gets back.

use std::fmt::Debug;
use std::future::Future;
use std::num::NonZeroU64;

use carbon_api_gen::{ByteStream, Client, Error, ResponseValue};
use futures::TryStreamExt;
use httpmock::Method::GET;
use httpmock::{Method, Mock, MockServer};
use serde_json::Value;

use crate::common::{client, json_is, query_is};

/// A mock server and a client pointed at it (see [`client`]).
pub struct Wire {
    pub server: MockServer,
    pub client: Client,
}

impl Wire {
    /// Starts a mock server and a client for it.
    pub async fn start() -> Self {
        let server = MockServer::start_async().await;
        let client = client(&server);
        Self { server, client }
    }

    /// An exchange the server will expect: `method` on exactly `path`, answered
    /// with 200 and no body until told otherwise.
    pub fn expect(&self, method: Method, path: &str) -> Exchange<'_> {
        Exchange {
            wire: self,
            method,
            path: path.to_string(),
            query: None,
            headers: Vec::new(),
            json: None,
            body: None,
            status: 200,
            answer: Answer::Empty,
        }
    }

    /// Serves `file` at `location` and a 302 to it at `path`, then runs the
    /// download `request` and returns the bytes it streamed; both must have been
    /// fetched exactly once.
    pub async fn download<'a, E, Fut>(
        &'a self,
        path: &str,
        location: &str,
        file: &[u8],
        request: impl FnOnce(&'a Client) -> Fut,
    ) -> Vec<u8>
    where
        E: Debug,
        Fut: Future<Output = Result<ResponseValue<ByteStream>, Error<E>>>,
    {
        let stored = self
            .expect(GET, location)
            .answer_raw("application/octet-stream", file)
            .mount()
            .await;
        let redirect = self.expect(GET, path).redirect(location).mount().await;
        let bytes = read_all(request(&self.client).await.unwrap().into_inner()).await;
        redirect.assert_async().await;
        stored.assert_async().await;
        bytes
    }
}

/// What the server answers an [`Exchange`] with, besides its status.
enum Answer {
    Empty,
    Json(Value),
    Raw(&'static str, Vec<u8>),
    Redirect(String),
}

/// A request the server expects and its answer; made by [`Wire::expect`].
pub struct Exchange<'a> {
    wire: &'a Wire,
    method: Method,
    path: String,
    query: Option<Vec<(String, String)>>,
    headers: Vec<(String, String)>,
    json: Option<Value>,
    body: Option<String>,
    status: u16,
    answer: Answer,
}

impl<'a> Exchange<'a> {
    /// The query must hold exactly these pairs (see [`query_is`]).
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        self.query = Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        self
    }

    /// The request must carry this header with this value.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The body must be this JSON (see [`json_is`]).
    pub fn json(mut self, body: Value) -> Self {
        self.json = Some(body);
        self
    }

    /// The body must be exactly this text.
    pub fn body(mut self, raw: &str) -> Self {
        self.body = Some(raw.to_string());
        self
    }

    /// Answers with this status instead of 200.
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Answers with this JSON body.
    pub fn answer(mut self, body: Value) -> Self {
        self.answer = Answer::Json(body);
        self
    }

    /// Answers with this body, of this content type.
    pub fn answer_raw(mut self, content_type: &'static str, body: &[u8]) -> Self {
        self.answer = Answer::Raw(content_type, body.to_vec());
        self
    }

    /// Answers with a 302 to `location`.
    pub fn redirect(mut self, location: &str) -> Self {
        self.status = 302;
        self.answer = Answer::Redirect(location.to_string());
        self
    }

    /// Puts the exchange on the server; the returned mock counts the requests
    /// that matched it.
    pub async fn mount(self) -> Mock<'a> {
        let Self {
            wire,
            method,
            path,
            query,
            headers,
            json,
            body,
            status,
            answer,
        } = self;
        wire.server
            .mock_async(move |when, then| {
                let mut when = when.method(method).path(path);
                if let Some(pairs) = query {
                    when = when.is_true(query_is(&pairs));
                }
                for (name, value) in headers {
                    when = when.header(name, value);
                }
                if let Some(json) = json {
                    when = when.is_true(json_is(json));
                }
                if let Some(body) = body {
                    when.body(body);
                }
                let then = then.status(status);
                match answer {
                    Answer::Empty => then,
                    Answer::Json(body) => then.json_body(body),
                    Answer::Raw(content_type, body) => then.header("content-type", content_type).body(body),
                    Answer::Redirect(location) => then.header("location", location),
                };
            })
            .await
    }

    /// Mounts the exchange, sends the client's `request` and returns what it
    /// decoded, once the server saw exactly this request once and the client got
    /// the status it was answered with. The exchange is removed afterwards, so a
    /// later request cannot match it.
    pub async fn call<T, E, Fut>(self, request: impl FnOnce(&'a Client) -> Fut) -> T
    where
        E: Debug,
        Fut: Future<Output = Result<ResponseValue<T>, Error<E>>>,
    {
        let (client, status) = (&self.wire.client, self.status);
        let mock = self.mount().await;
        let response = request(client).await.unwrap();
        mock.assert_async().await;
        mock.delete_async().await;
        assert_eq!(response.status().as_u16(), status);
        response.into_inner()
    }
}

/// Every byte of a streamed body.
pub async fn read_all(stream: ByteStream) -> Vec<u8> {
    stream.into_inner().map_ok(|b| b.to_vec()).try_concat().await.unwrap()
}

/// A page size, as the list operations take it.
pub fn limit(n: u64) -> NonZeroU64 {
    NonZeroU64::new(n).unwrap()
}
