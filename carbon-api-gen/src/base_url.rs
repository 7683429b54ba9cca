//! The API's base URL, read once: an absolute `http` or `https` URL with a host,
//! kept without a trailing slash, so that every layer (the generated client, the
//! authorizer, the rate limit's key, the command line) joins paths to the same
//! text. Whether tokens may travel over plain `http` is the authorizer's
//! decision, not this type's.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;

/// An API base URL such as `https://api.carbon3d.com/v1`: scheme and host as
/// URLs write them (lower case, no default port), no trailing slash.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl(Url);

/// A text that is not a base URL, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("base URL {url:?} is invalid: {reason}")]
pub struct InvalidBaseUrl {
    /// The text given.
    pub url: String,
    /// What is wrong with it.
    pub reason: String,
}

impl BaseUrl {
    /// Reads `text` (`https://api.carbon3d.com/v1`, with or without a trailing
    /// slash). A query, a fragment, or a user name or password in it is
    /// refused: paths are joined to the base URL, and it is shown in logs.
    pub fn parse(text: &str) -> Result<Self, InvalidBaseUrl> {
        let invalid = |reason: &str| InvalidBaseUrl {
            url: text.to_string(),
            reason: reason.to_string(),
        };
        let url = Url::parse(text.trim()).map_err(|e| {
            invalid(&format!(
                "{e} (it needs a scheme and a host, like https://api.carbon3d.com/v1)"
            ))
        })?;
        match url.scheme() {
            "https" | "http" => {}
            other => return Err(invalid(&format!("the scheme must be https, not {other}"))),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "it has a query or a fragment (`?`, `#`): give the base URL alone",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "it holds a user name or password: give credentials as an API key, never in the URL",
            ));
        }
        // Kept without trailing slashes: one value (and one `url().path()`) for
        // every way of writing it.
        let mut url = url;
        let path = url.path().trim_end_matches('/').to_string();
        url.set_path(&path);
        Ok(Self(url))
    }

    /// The base URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        // A bare host keeps the one slash a URL cannot be without.
        self.0.as_str().trim_end_matches('/')
    }

    /// The parsed URL (scheme, host, port, path).
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// `path` under the base URL: `join("api.yaml")` of
    /// `https://api.carbon3d.com/v1` is `https://api.carbon3d.com/v1/api.yaml`.
    pub fn join(&self, path: &str) -> String {
        format!("{}/{}", self.as_str(), path.trim_start_matches('/'))
    }
}

impl FromStr for BaseUrl {
    type Err = InvalidBaseUrl;

    fn from_str(text: &str) -> Result<Self, InvalidBaseUrl> {
        Self::parse(text)
    }
}

impl AsRef<str> for BaseUrl {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({:?})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_text_for_every_way_of_writing_it() {
        for given in [
            "https://api.carbon3d.com/v1",
            "https://api.carbon3d.com/v1/",
            " https://api.carbon3d.com/v1// ",
        ] {
            let base = BaseUrl::parse(given).unwrap();
            assert_eq!(base.as_str(), "https://api.carbon3d.com/v1", "{given:?}");
            assert_eq!(
                base,
                BaseUrl::parse("https://api.carbon3d.com/v1").unwrap(),
                "{given:?}"
            );
            assert_eq!(base.url().path(), "/v1", "{given:?}");
            assert_eq!(base.join("/api.yaml"), "https://api.carbon3d.com/v1/api.yaml");
        }
        assert_eq!(
            BaseUrl::parse("http://127.0.0.1:8080/v1").unwrap().url().port(),
            Some(8080)
        );
    }

    #[test]
    fn what_is_not_a_base_url_says_why() {
        for (given, why) in [
            ("api.carbon3d.com/v1", "a scheme and a host"),
            ("ftp://api.carbon3d.com/v1", "must be https, not ftp"),
            ("file:///v1", "must be https, not file"),
            ("", "a scheme and a host"),
            ("https://api.carbon3d.com/v1?x=1", "query or a fragment"),
            ("https://api.carbon3d.com/v1#top", "query or a fragment"),
            ("https://me:secret@api.carbon3d.com/v1", "user name or password"),
        ] {
            let err = BaseUrl::parse(given).unwrap_err();
            assert!(err.to_string().contains(why), "{given:?}: {err}");
            assert_eq!(err.url, given);
        }
    }
}
