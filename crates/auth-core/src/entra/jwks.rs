//! JSON Web Key Sets as Entra publishes them (`<authority>/<tid>/discovery/v2.0/keys`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::{BigUint, RsaPublicKey, traits::PublicKeyParts};
use serde::{Deserialize, Serialize};

/// Smallest RSA modulus accepted for a signing key.
const MIN_RSA_BITS: usize = 2048;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwksError {
    #[error("the key set is not valid JWKS JSON")]
    NotJson,
    #[error("signing key is not a usable RSA key")]
    BadKey,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

impl Jwk {
    pub fn rsa_public_key(&self) -> Result<RsaPublicKey, JwksError> {
        if self.kty != "RSA" {
            return Err(JwksError::BadKey);
        }
        let decode = |part: &Option<String>| {
            part.as_deref()
                .and_then(|value| URL_SAFE_NO_PAD.decode(value).ok())
                .ok_or(JwksError::BadKey)
        };
        let key = RsaPublicKey::new(
            BigUint::from_bytes_be(&decode(&self.n)?),
            BigUint::from_bytes_be(&decode(&self.e)?),
        )
        .map_err(|_| JwksError::BadKey)?;
        if key.size() * 8 < MIN_RSA_BITS {
            return Err(JwksError::BadKey);
        }
        Ok(key)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    pub fn from_json(bytes: &[u8]) -> Result<Self, JwksError> {
        serde_json::from_slice(bytes).map_err(|_| JwksError::NotJson)
    }

    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|key| key.kid.as_deref() == Some(kid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entra_shaped_key_sets_and_finds_by_kid() {
        let json = br#"{"keys":[{"kty":"RSA","use":"sig","kid":"k1","x5t":"k1","n":"AQAB","e":"AQAB","x5c":["..."],"issuer":"x"}]}"#;
        let jwks = Jwks::from_json(json).unwrap();
        assert!(jwks.find("k1").is_some());
        assert!(jwks.find("k2").is_none());
    }

    #[test]
    fn refuses_non_json_small_and_non_rsa_keys() {
        assert_eq!(Jwks::from_json(b"<html>"), Err(JwksError::NotJson));
        let tiny = Jwk {
            kty: "RSA".into(),
            kid: Some("k".into()),
            n: Some("AQAB".into()),
            e: Some("AQAB".into()),
        };
        assert_eq!(tiny.rsa_public_key(), Err(JwksError::BadKey));
        let ec = Jwk {
            kty: "EC".into(),
            ..tiny
        };
        assert_eq!(ec.rsa_public_key(), Err(JwksError::BadKey));
    }
}
