//! The crypto library behind RS256. jsonwebtoken 12 signs through a process-wide
//! provider; this crate installs one (unless the application installed its own
//! first), chosen by the same features as TLS in carbon-api-gen:
//!
//! - `ring` (the default): an RS256-only provider over ring, below. ring is the
//!   library TLS already uses by default, so nothing builds a second one.
//! - `aws-lc-rs`: jsonwebtoken's own aws-lc-rs provider (used when both are on).

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!(
    "carbon-rs needs a crypto library for TLS and tokens: enable the `ring` feature (the default) or \
     `aws-lc-rs` of carbon-ext (or of carbon-api-gen / carbon-auth when you depend on them directly)"
);

use jsonwebtoken::crypto::CryptoProvider;

#[cfg(feature = "aws-lc-rs")]
static PROVIDER: &CryptoProvider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;

#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
static PROVIDER: &CryptoProvider = &ring_rs256::PROVIDER;

/// Makes sure jsonwebtoken has a crypto provider before any signing.
pub(crate) fn ensure_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if CryptoProvider::try_get_default().is_none() {
            // Losing a race to another installer is fine: any provider signs RS256.
            let _ = PROVIDER.install_default();
        }
    });
}

/// Installs this crate's RS256 provider as jsonwebtoken's process-wide one,
/// for a program that owns its process and signs only RS256 through this crate
/// (the `carbon` command line): else jsonwebtoken settles on the provider its
/// own features name when another crate of the build enables one. With
/// aws-lc-rs that costs the first token some 20 ms of entropy gathering.
///
/// A library must not call it: the provider signs and verifies RS256 only, and
/// would refuse the other algorithms an application may use. Returns `false`
/// when a provider was installed already (which then stays).
pub fn install_rs256_provider() -> bool {
    PROVIDER.install_default().is_ok()
}

#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
mod ring_rs256 {
    use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
    use jsonwebtoken::errors::{ErrorKind, Result};
    use jsonwebtoken::signature::{self, Signer, Verifier};
    use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey};
    use ring::rand::SystemRandom;
    use ring::signature::{
        RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey,
    };

    /// Signs and verifies RS256, the one algorithm the Carbon API uses; any other
    /// is refused with `InvalidAlgorithm`.
    pub(super) static PROVIDER: CryptoProvider = CryptoProvider {
        signer_factory: signer,
        verifier_factory: verifier,
        key_utils: KeyUtils::new_unimplemented(),
    };

    fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
        if *algorithm != Algorithm::RS256 {
            return Err(ErrorKind::InvalidAlgorithm.into());
        }
        // jsonwebtoken holds RSA private keys as PKCS#1 DER.
        let pair = RsaKeyPair::from_der(key.as_bytes()).map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()))?;
        Ok(Box::new(Rs256Signer(pair)))
    }

    fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
        if *algorithm != Algorithm::RS256 {
            return Err(ErrorKind::InvalidAlgorithm.into());
        }
        Ok(Box::new(Rs256Verifier(key.kind().clone())))
    }

    struct Rs256Signer(RsaKeyPair);

    impl Signer<Vec<u8>> for Rs256Signer {
        fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
            let mut signature = vec![0; self.0.public().modulus_len()];
            self.0
                .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut signature)
                .map_err(|_| signature::Error::new())?;
            Ok(signature)
        }
    }

    impl JwtSigner for Rs256Signer {
        fn algorithm(&self) -> Algorithm {
            Algorithm::RS256
        }
    }

    struct Rs256Verifier(DecodingKeyKind);

    impl Verifier<Vec<u8>> for Rs256Verifier {
        fn verify(&self, message: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
            let checked = match &self.0 {
                // PKCS#1 RSAPublicKey DER, as jsonwebtoken holds RSA public keys.
                DecodingKeyKind::SecretOrDer(der) => {
                    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).verify(message, signature)
                }
                DecodingKeyKind::RsaModulusExponent { n, e } => {
                    RsaPublicKeyComponents { n, e }.verify(&RSA_PKCS1_2048_8192_SHA256, message, signature)
                }
            };
            checked.map_err(|_| signature::Error::new())
        }
    }

    impl JwtVerifier for Rs256Verifier {
        fn algorithm(&self) -> Algorithm {
            Algorithm::RS256
        }
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

    const KEY: &str = include_str!("../tests/fixtures/test-only-rsa-pkcs1.pem");
    const PUBLIC: &str = include_str!("../tests/fixtures/test-only-rsa-public.pem");
    /// `{"iss":"test-client-0001","exp":2000000000}` signed with `KEY` by PyJWT
    /// (Python's `cryptography`, OpenSSL): RSASSA-PKCS1-v1_5 is deterministic, so
    /// every correct RS256 implementation gives these very bytes.
    const PYJWT_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ0ZXN0LWNsaWVudC0wMDAxIiwiZXhwIjoyMDAwMDAwMDAwfQ.yTOpDAnQM173fmBUeiMTbsdEc4fVMBj9ibEc4GQsGBWZOGzlOUUXn1-iVh9mI40QP-08H5bgkrMEPoDFHSw22tXN61jel5mUTfCNZMJzGREPxOilhoHLCDFg0mydFylSxSDIeN0s07QJBPkzDuP7vCErvfvBpZOgOvijBbixxwV3w_u2eJJA4mDGj5wKZlZyFdcK2tQrAQQLuC6XqGPVclfiO1HbcIz6K3hLddkFO-jTvD1XNd3OOc06sU8a4eKbGWB1xW2S3Aec47rtWSQC2vaE9XEqohxFrqKy7NJ7WsBCDLFsitoH7QlE3e_KWlUBwiw2kV8RPly4wZoJWhefQg";

    #[test]
    fn signs_and_verifies_rs256_byte_for_byte_like_an_independent_implementation() {
        super::ensure_crypto_provider();
        let (message, expected) = PYJWT_TOKEN.rsplit_once('.').unwrap();
        let key = EncodingKey::from_rsa_pem(KEY.as_bytes()).unwrap();
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::RS256).unwrap();
        assert_eq!(signature, expected);
        let public = DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
        assert!(jsonwebtoken::crypto::verify(expected, message.as_bytes(), &public, Algorithm::RS256).unwrap());
        let tampered = message.replacen("eyJpc3Mi", "eyJpc3Ni", 1);
        assert!(!jsonwebtoken::crypto::verify(expected, tampered.as_bytes(), &public, Algorithm::RS256).unwrap());
    }
}
