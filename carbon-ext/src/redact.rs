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

/// Query parameters of presigned URLs whose value is a credential or a signature.
const SECRET_PARAMS: &[&str] = &[
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "Signature",
    "AWSAccessKeyId",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

const REDACTED: &str = "[redacted]";

/// `body` with the text of secret XML elements and the values of secret query
/// parameters replaced by `[redacted]`.
pub(crate) fn storage_secrets(body: &str) -> String {
    let mut text = body.to_string();
    for element in SECRET_ELEMENTS {
        text = redact_element(&text, element);
    }
    for param in SECRET_PARAMS {
        text = redact_param(&text, param);
    }
    text
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

fn redact_param(text: &str, param: &str) -> String {
    let key = format!("{param}=");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(&key) {
        // Only a whole parameter name: preceded by `?`, `&`, whitespace, a quote or the start.
        let whole = start == 0
            || rest[..start]
                .chars()
                .next_back()
                .is_some_and(|c| matches!(c, '?' | '&' | ';' | '"' | '\'' | '>') || c.is_whitespace());
        let value = start + key.len();
        out.push_str(&rest[..value]);
        rest = &rest[value..];
        if whole {
            let end = rest
                .find(|c: char| matches!(c, '&' | '"' | '\'' | '<' | ';') || c.is_whitespace())
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
    fn an_element_cut_by_the_size_cap_is_dropped() {
        let clean = storage_secrets("<Error><SignatureProvided>abcdef");
        assert_eq!(clean, "<Error><SignatureProvided>[redacted]");
    }
}
