//! A local Entra-like token issuer for tests (feature `test-issuer`): an RSA key generated at
//! run time, its JWKS, and tokens minted with chosen claims, including the malicious ones.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod server;

pub use server::{
    GRAPH_APP_TOKEN, GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET, IdentityProvider, Person, SignIn,
};

use crate::entra::{Jwk, Jwks};

const KEY_BITS: usize = 2048;

pub struct TestIssuer {
    key: RsaPrivateKey,
    kid: String,
}

fn encode_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("JSON value serializes"))
}

impl TestIssuer {
    pub fn generate(kid: &str) -> Self {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS).expect("generate RSA key");
        Self {
            key,
            kid: kid.to_owned(),
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn jwk(&self) -> Jwk {
        let public = self.key.to_public_key();
        Jwk {
            kty: "RSA".into(),
            kid: Some(self.kid.clone()),
            n: Some(URL_SAFE_NO_PAD.encode(public.n().to_bytes_be())),
            e: Some(URL_SAFE_NO_PAD.encode(public.e().to_bytes_be())),
        }
    }

    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: vec![self.jwk()],
        }
    }

    /// The DER-free public modulus bytes, which an HS256 confusion attack uses as the secret.
    pub fn public_modulus(&self) -> Vec<u8> {
        self.key.to_public_key().n().to_bytes_be()
    }

    /// Signs `header.claims` with this issuer's key (RS256), whatever `header` says.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let signing_input = format!("{}.{}", encode_json(header), encode_json(claims));
        let digest = Sha256::digest(signing_input.as_bytes());
        let signature = self
            .key
            .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
            .expect("RSA signing");
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// A well-formed RS256 token with this issuer's `kid`.
    pub fn mint(&self, claims: &Value) -> String {
        self.sign(
            &json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }
}

/// A token with `alg: none` and an empty signature.
pub fn unsigned_token(claims: &Value) -> String {
    format!(
        "{}.{}.",
        encode_json(&json!({"alg": "none", "typ": "JWT"})),
        encode_json(claims)
    )
}

/// A token with `alg: HS256`, MAC'ed with `secret` (e.g. the issuer's public key bytes).
pub fn hs256_token(kid: &str, claims: &Value, secret: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        encode_json(&json!({"alg": "HS256", "typ": "JWT", "kid": kid})),
        encode_json(claims)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts any key");
    mac.update(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// Claims of a valid v2 access token for `audience`, issued by `authority` for `tenant_id`,
/// valid from `now_secs - 60` to `now_secs + 3600`.
pub fn access_token_claims(
    authority: &str,
    tenant_id: &str,
    audience: &str,
    object_id: &str,
    username: &str,
    groups: &[&str],
    now_secs: u64,
) -> Value {
    json!({
        "iss": format!("{authority}/{tenant_id}/v2.0"),
        "aud": audience,
        "tid": tenant_id,
        "oid": object_id,
        "sub": format!("sub-{object_id}"),
        "preferred_username": username,
        "scp": "access_as_user",
        "idtyp": "user",
        "groups": groups,
        "iat": now_secs - 60,
        "nbf": now_secs - 60,
        "exp": now_secs + 3600,
        "ver": "2.0",
    })
}
