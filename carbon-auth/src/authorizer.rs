//! Which requests carry the API's bearer token, and the header they carry.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use url::{Position, Url};

use carbon_api_gen::BaseUrl;

use crate::{AuthError, BearerToken, TokenSource};

/// Puts `Authorization: Bearer <token>` on requests to one API origin.
///
/// This is the part of [`crate::BearerAuth`] that layers sending requests their own
/// way build on (carbon-ext's request stack does):
/// - the header goes only to the origin (scheme, host, port) of the base URL, never
///   to a presigned storage URL, and it is marked sensitive so that HTTP-level
///   logging redacts it;
/// - plain `http://` is refused for any host but loopback unless allowed;
/// - a token the API refused is dropped from the source with
///   [`Authorizer::refused`], so that the next request gets a new one.
pub struct Authorizer {
    source: Arc<dyn TokenSource>,
    base_url: BaseUrl,
    /// The API's origin as URLs serialize it (`https://host` or `http://host:port`:
    /// scheme and host in lower case, a default port left out), so that a request
    /// is checked with one string comparison.
    origin: String,
    /// The header of the last token seen, reused while the token is the same.
    header: Mutex<Option<(BearerToken, HeaderValue)>>,
}

impl Authorizer {
    /// Authorizes requests to `base_url` (e.g. `https://api.carbon3d.com/v1`) with
    /// tokens from `source`. `allow_plain_http` lets tokens go over plain `http://`
    /// to hosts other than loopback: only for networks you trust.
    pub fn new(source: Arc<dyn TokenSource>, base_url: &BaseUrl, allow_plain_http: bool) -> Result<Self, AuthError> {
        let url = base_url.url();
        if url.scheme() == "http" && !allow_plain_http && !is_loopback(url) {
            return Err(AuthError::InsecureBaseUrl {
                host: url.host_str().unwrap_or_default().to_string(),
            });
        }
        Ok(Self {
            source,
            base_url: base_url.clone(),
            origin: origin_of(url).to_string(),
            header: Mutex::new(None),
        })
    }

    /// The base URL requests are authorized for, without trailing slash.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str()
    }

    /// The base URL requests are authorized for, parsed.
    pub fn parsed_base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The token source.
    pub fn source(&self) -> &Arc<dyn TokenSource> {
        &self.source
    }

    /// Whether `request` goes to the API's origin (and so gets the token).
    pub fn is_api_request(&self, request: &reqwest::Request) -> bool {
        origin_of(request.url()) == self.origin
    }

    /// Authorizes `request` if that needs no waiting: `None` when the source has no
    /// fresh token at hand, and [`Authorizer::authorize`] must be awaited instead.
    /// Any `Authorization` the request had is replaced (or removed, for requests to
    /// other origins).
    pub fn authorize_now(&self, request: &mut reqwest::Request) -> Option<Result<(), AuthError>> {
        if !self.is_api_request(request) {
            request.headers_mut().remove(AUTHORIZATION);
            return Some(Ok(()));
        }
        let token = self.source.fresh()?;
        Some(self.put(request, token))
    }

    /// Authorizes `request`, waiting for a token when none is at hand.
    pub async fn authorize(&self, request: &mut reqwest::Request) -> Result<(), AuthError> {
        if let Some(done) = self.authorize_now(request) {
            return done;
        }
        let token = self.source.token().await?;
        self.put(request, token)
    }

    /// The API answered `status` to a request that carried `sent` (its
    /// `Authorization` value, if any): a 401 drops that token, see
    /// [`Authorizer::refused`]. Every layer that sends requests calls this.
    pub fn answered(&self, status: StatusCode, sent: Option<&HeaderValue>) {
        if status == StatusCode::UNAUTHORIZED
            && let Some(sent) = sent
        {
            self.refused(sent);
        }
    }

    /// The API refused the request that carried `sent` (its `Authorization` value,
    /// answered 401): the source stops handing out that token.
    pub fn refused(&self, sent: &HeaderValue) {
        if let Some(token) = sent.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) {
            self.source.invalidate(token);
        }
    }

    fn put(&self, request: &mut reqwest::Request, token: BearerToken) -> Result<(), AuthError> {
        let header = self.header_for(token)?;
        request.headers_mut().insert(AUTHORIZATION, header);
        Ok(())
    }

    /// The `Authorization` value for `token`.
    fn header_for(&self, token: BearerToken) -> Result<HeaderValue, AuthError> {
        let mut cached = self.header.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, value)) = cached.as_ref()
            && *seen == token
        {
            return Ok(value.clone());
        }
        let mut value =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| AuthError::TokenNotHeaderSafe)?;
        value.set_sensitive(true);
        *cached = Some((token, value.clone()));
        Ok(value)
    }
}

/// Scheme, host and port as the URL serializes them; user info makes it another
/// origin (no API request carries one).
fn origin_of(url: &Url) -> &str {
    &url[..Position::BeforePath]
}

/// Whether `url` names this machine (`localhost`, `127.0.0.0/8`, `::1`): the only
/// place plain `http://` is trusted with anything (tokens here; `carbon api check`
/// reads the API document from it).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}
