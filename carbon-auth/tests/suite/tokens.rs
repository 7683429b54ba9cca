//! Minting, caching, renewal and single-flight of tokens.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::fixtures::{OTHER_KEY, PUBLIC, SECRETS};
use carbon_auth::{ApiKey, AuthError, JwtTokenSource, TokenSource, mint};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

fn key() -> ApiKey {
    ApiKey::from_json(SECRETS).unwrap()
}

fn verify(token: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.set_issuer(&["test-client-0001"]);
    let data = decode::<serde_json::Map<String, serde_json::Value>>(
        token,
        &DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap(),
        &validation,
    )
    .unwrap();
    data.claims
}

#[test]
fn minted_tokens_verify_and_carry_exactly_iss_and_exp() {
    let lifetime = Duration::from_secs(24 * 60 * 60);
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let token = mint(&key(), lifetime).unwrap();
    let claims = verify(token.expose());
    assert_eq!(decode_header(token.expose()).unwrap().alg, Algorithm::RS256);
    let mut names: Vec<&String> = claims.keys().collect();
    names.sort();
    assert_eq!(names, ["exp", "iss"]);
    assert_eq!(claims["iss"], "test-client-0001");
    let exp = claims["exp"].as_u64().expect("exp is an integer number of seconds");
    assert!(
        exp >= before + lifetime.as_secs() && exp <= before + lifetime.as_secs() + 1,
        "exp {exp}, now {before}"
    );
    assert_eq!(token.expires_at(), UNIX_EPOCH + Duration::from_secs(exp));
}

#[test]
fn tokens_signed_by_another_key_do_not_verify() {
    let other = ApiKey::new("test-client-0001", OTHER_KEY).unwrap();
    let token = mint(&other, Duration::from_secs(60)).unwrap();
    let result = decode::<serde_json::Value>(
        token.expose(),
        &DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap(),
        &Validation::new(Algorithm::RS256),
    );
    assert!(result.is_err());
}

#[test]
fn lifetimes_under_a_second_are_rejected() {
    let err = mint(&key(), Duration::from_millis(500)).unwrap_err();
    assert!(matches!(err, AuthError::InvalidLifetime { .. }), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn cached_until_the_margin_then_renewed() {
    let source = JwtTokenSource::new(key())
        .with_lifetime(Duration::from_secs(600))
        .with_margin(Duration::from_secs(60));
    let first = source.token().await.unwrap();
    assert_eq!(source.mint_count(), 1);
    tokio::time::advance(Duration::from_secs(539)).await;
    assert_eq!(source.token().await.unwrap(), first);
    assert_eq!(source.mint_count(), 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    source.token().await.unwrap();
    assert_eq!(source.mint_count(), 2, "renewed 60 s before expiry");
}

#[tokio::test(start_paused = true)]
async fn the_margin_is_capped_at_half_the_lifetime() {
    let source = JwtTokenSource::new(key())
        .with_lifetime(Duration::from_secs(60))
        .with_margin(Duration::from_secs(3600));
    source.token().await.unwrap();
    tokio::time::advance(Duration::from_secs(29)).await;
    source.token().await.unwrap();
    assert_eq!(source.mint_count(), 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    source.token().await.unwrap();
    assert_eq!(source.mint_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_mint() {
    let source = Arc::new(JwtTokenSource::new(key()).with_lifetime(Duration::from_secs(600)));
    let callers = |source: Arc<JwtTokenSource>| async move {
        let handles: Vec<_> = (0..64)
            .map(|_| {
                tokio::spawn({
                    let source = source.clone();
                    async move { source.token().await.unwrap() }
                })
            })
            .collect();
        let mut tokens = Vec::new();
        for handle in handles {
            tokens.push(handle.await.unwrap());
        }
        tokens
    };
    let tokens = callers(source.clone()).await;
    assert_eq!(source.mint_count(), 1);
    assert!(tokens.iter().all(|t| t == &tokens[0]));

    // All at once again when the token is due for renewal: still one mint.
    tokio::time::advance(Duration::from_secs(600)).await;
    callers(source.clone()).await;
    assert_eq!(source.mint_count(), 2);
}

#[tokio::test]
async fn invalidate_drops_only_the_rejected_token() {
    let source = JwtTokenSource::new(key());
    let token = source.token().await.unwrap();
    source.invalidate("some-other-token");
    source.token().await.unwrap();
    assert_eq!(source.mint_count(), 1, "a token we no longer hold is ignored");
    source.invalidate(token.expose());
    source.token().await.unwrap();
    assert_eq!(source.mint_count(), 2);
}
