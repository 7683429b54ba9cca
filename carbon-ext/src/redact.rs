//! Removing credentials that error bodies echo back.
//!
//! S3 answers a bad presigned request with an XML error that repeats what was signed
//! and how (`SignatureDoesNotMatch` carries the access key id, the string to sign and
//! the signature provided), and some proxies echo the request URL with its signed
//! query. Error bodies go into [`crate::Error`] and from there into logs, so those
//! values are replaced before the body is kept.

/// XML elements whose text is a credential or a signature (or lets one be rebuilt).
const SECRET_ELEMENTS: &[&str] = &[
    "AWSAccessKeyId",
    "StringToSign",
    "StringToSignBytes",
    "SignatureProvided",
    "CanonicalRequest",
    "CanonicalRequestBytes",
    "Signature",
    "Credential",
    "SecurityToken",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
];

/// Query parameters of presigned URLs whose value is a credential or a signature:
/// (name, whether the name is distinctive enough to match anywhere). A short name
/// like `Signature` only counts as a whole parameter name.
const SECRET_PARAMS: &[(&str, bool)] = &[
    ("X-Amz-Signature", true),
    ("X-Amz-Credential", true),
    ("X-Amz-Security-Token", true),
    ("x-amz-signature", true),
    ("x-amz-credential", true),
    ("x-amz-security-token", true),
    ("Signature", false),
    ("AWSAccessKeyId", false),
];

const REDACTED: &str = "[redacted]";

/// `body` with the text of secret XML elements, the values of secret query
/// parameters (plain or percent-encoded), bearer tokens and JWTs replaced by
/// `[redacted]`.
pub(crate) fn storage_secrets(body: &str) -> String {
    let mut text = body.to_string();
    for element in SECRET_ELEMENTS {
        text = redact_element(&text, element);
    }
    for (param, anywhere) in SECRET_PARAMS {
        text = redact_param(&text, &format!("{param}="), *anywhere);
        text = redact_param(&text, &format!("{param}%3D"), *anywhere);
        text = redact_param(&text, &format!("{param}%3d"), *anywhere);
    }
    text = redact_param(&text, "Bearer ", true);
    redact_jwts(&text)
}

/// Replaces anything shaped like a JWT (`eyJ…` with three dot-separated base64url
/// parts): an echoed token is a credential.
fn redact_jwts(text: &str) -> String {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("eyJ") {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| !(is_b64(c) || c == '.'))
            .unwrap_or(candidate.len());
        let token = &candidate[..end];
        if token.split('.').filter(|part| !part.is_empty()).count() >= 3 {
            out.push_str(REDACTED);
        } else {
            out.push_str(token);
        }
        rest = &candidate[end..];
    }
    out.push_str(rest);
    out
}

fn redact_element(text: &str, element: &str) -> String {
    let open = format!("<{element}>");
    let close = format!("</{element}>");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let content = start + open.len();
        out.push_str(&rest[..content]);
        match rest[content..].find(&close) {
            Some(end) => {
                out.push_str(REDACTED);
                rest = &rest[content + end..];
            }
            None => {
                // An element cut off by the size cap: drop the rest.
                out.push_str(REDACTED);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

fn redact_param(text: &str, key: &str, anywhere: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(key) {
        // A whole parameter name: preceded by `?`, `&`, whitespace, a quote or the start.
        let whole = anywhere
            || start == 0
            || rest[..start]
                .chars()
                .next_back()
                .is_some_and(|c| matches!(c, '?' | '&' | ';' | '"' | '\'' | '>') || c.is_whitespace());
        let value = start + key.len();
        out.push_str(&rest[..value]);
        rest = &rest[value..];
        if whole {
            let end = rest
                .find(|c: char| matches!(c, '&' | '"' | '\'' | '<' | ';' | '\\' | '%') || c.is_whitespace())
                .unwrap_or(rest.len());
            out.push_str(REDACTED);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_signature_error_keeps_its_code_and_loses_its_secrets() {
        let body = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>\
            <Message>The request signature we calculated does not match</Message>\
            <AWSAccessKeyId>AKIAEXAMPLEKEY</AWSAccessKeyId>\
            <StringToSign>AWS4-HMAC-SHA256\n20261201T000000Z\nscope\nhash</StringToSign>\
            <SignatureProvided>deadbeefsignature</SignatureProvided>\
            <StringToSignBytes>41 57 53</StringToSignBytes>\
            <CanonicalRequest>PUT\n/bucket/key\nX-Amz-Credential=AKIA%2F</CanonicalRequest>\
            <RequestId>R1</RequestId></Error>";
        let clean = storage_secrets(body);
        for secret in [
            "AKIAEXAMPLEKEY",
            "deadbeefsignature",
            "41 57 53",
            "AWS4-HMAC",
            "AKIA%2F",
        ] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        assert!(clean.contains("<Code>SignatureDoesNotMatch</Code>"));
        assert!(clean.contains("<RequestId>R1</RequestId>"));
    }

    #[test]
    fn signed_query_values_are_replaced_wherever_they_appear() {
        let body = "denied: PUT https://s3.example/b/k?X-Amz-Credential=AKIA%2Fx&X-Amz-Signature=abc123&x-id=PutObject";
        let clean = storage_secrets(body);
        assert!(!clean.contains("abc123") && !clean.contains("AKIA"), "{clean}");
        assert!(clean.contains("x-id=PutObject"));
        // A parameter name inside another word is left alone.
        assert_eq!(storage_secrets("MySignature=1"), "MySignature=1");
    }

    #[test]
    fn encoded_urls_bearer_tokens_and_jwts_are_redacted_too() {
        let json_echo = r#"{"url": "https://s3/b/k?x=1\u0026X-Amz-Signature=abc123\u0026y=2"}"#;
        assert!(!storage_secrets(json_echo).contains("abc123"));
        let encoded = "next=%2Fb%2Fk%3FX-Amz-Credential%3DAKIA123%26X-Amz-Signature%3Dabc123%26y%3D2";
        let clean = storage_secrets(encoded);
        assert!(!clean.contains("abc123") && !clean.contains("AKIA123"), "{clean}");
        let clean =
            storage_secrets("invalid token: Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl, try again");
        assert!(!clean.contains("eyJ") && clean.contains("try again"), "{clean}");
        let clean = storage_secrets(r#"{"token":"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"}"#);
        assert_eq!(clean, r#"{"token":"[redacted]"}"#);
        assert_eq!(storage_secrets("eyJust a word"), "eyJust a word");
    }

    #[test]
    fn an_element_cut_by_the_size_cap_is_dropped() {
        let clean = storage_secrets("<Error><SignatureProvided>abcdef");
        assert_eq!(clean, "<Error><SignatureProvided>[redacted]");
    }
}
