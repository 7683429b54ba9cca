//! httpmock matchers for what its own `when` cannot say exactly.

use httpmock::HttpMockRequest;

/// Matches when the query string holds exactly these pairs: values of one key in
/// the given order, different keys in any order.
pub fn query_is<K: AsRef<str>, V: AsRef<str>>(
    expected: &[(K, V)],
) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    let mut expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    move |req: &HttpMockRequest| {
        let mut actual = req.query_params();
        actual.sort_by(|a, b| a.0.cmp(&b.0));
        if actual != expected {
            eprintln!("query mismatch:\n  expected {expected:?}\n  actual   {actual:?}");
        }
        actual == expected
    }
}

/// Matches a JSON body equal to `expected` (key order ignored).
pub fn json_is(expected: serde_json::Value) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    move |req: &HttpMockRequest| {
        let actual: serde_json::Value = serde_json::from_slice(req.body().as_ref()).unwrap_or_default();
        if actual != expected {
            eprintln!("body mismatch:\n  expected {expected}\n  actual   {actual}");
        }
        actual == expected
    }
}
