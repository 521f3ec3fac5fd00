//! Sealed MCP session ids for handshake-era clients. The gateway keeps no session state: the id
//! itself says who it belongs to and until when, under an HMAC of the gateway secret, so a
//! fresh instance (or another replica) can check it, and a tampered or borrowed id is refused.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a session id stays valid; clients re-initialize after it expires (404).
pub const SESSION_TTL_MS: u64 = 24 * 60 * 60 * 1000;
const DOMAIN: &[u8] = b"mcp-gateway/session/v1\0";
const TAG_LEN: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Malformed, tampered with, or sealed for another caller or server.
    #[error("invalid session id")]
    Invalid,
    #[error("session expired")]
    Expired,
}

fn mac(secret: &[u8], server: &str, principal: &str, expires_ms: u64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(DOMAIN);
    for part in [server.as_bytes(), principal.as_bytes()] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.update(&expires_ms.to_be_bytes());
    mac
}

/// A session id for `principal` on `server`, valid until `now_ms + SESSION_TTL_MS`.
pub fn seal(secret: &[u8], server: &str, principal: &str, now_ms: u64) -> String {
    let expires_ms = now_ms.saturating_add(SESSION_TTL_MS);
    let mut bytes = expires_ms.to_be_bytes().to_vec();
    bytes.extend_from_slice(
        &mac(secret, server, principal, expires_ms)
            .finalize()
            .into_bytes(),
    );
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Checks a session id presented by `principal` on `server`.
pub fn open(
    secret: &[u8],
    server: &str,
    principal: &str,
    session_id: &str,
    now_ms: u64,
) -> Result<(), SessionError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(session_id.trim())
        .map_err(|_| SessionError::Invalid)?;
    if bytes.len() != 8 + TAG_LEN {
        return Err(SessionError::Invalid);
    }
    let expires_ms = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
    mac(secret, server, principal, expires_ms)
        .verify_slice(&bytes[8..])
        .map_err(|_| SessionError::Invalid)?;
    if now_ms >= expires_ms {
        return Err(SessionError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_sealed_id_opens_for_its_owner_until_it_expires() {
        let id = seal(SECRET, "github", "alice", 1_000);
        assert_eq!(open(SECRET, "github", "alice", &id, 2_000), Ok(()));
        assert_eq!(
            open(SECRET, "github", "alice", &id, 1_000 + SESSION_TTL_MS),
            Err(SessionError::Expired)
        );
    }

    #[test]
    fn another_caller_server_or_secret_is_refused() {
        let id = seal(SECRET, "github", "alice", 1_000);
        assert_eq!(
            open(SECRET, "github", "bob", &id, 2_000),
            Err(SessionError::Invalid)
        );
        assert_eq!(
            open(SECRET, "linear", "alice", &id, 2_000),
            Err(SessionError::Invalid)
        );
        assert_eq!(
            open(
                b"another secret of thirty-two bytes",
                "github",
                "alice",
                &id,
                2_000
            ),
            Err(SessionError::Invalid)
        );
    }

    #[test]
    fn tampering_is_detected() {
        let id = seal(SECRET, "github", "alice", 1_000);
        let mut bytes = URL_SAFE_NO_PAD.decode(&id).unwrap();
        bytes[0] ^= 0x01; // push the expiry
        assert_eq!(
            open(
                SECRET,
                "github",
                "alice",
                &URL_SAFE_NO_PAD.encode(&bytes),
                2_000
            ),
            Err(SessionError::Invalid)
        );
        for garbage in ["", "not base64!", "AAAA"] {
            assert_eq!(
                open(SECRET, "github", "alice", garbage, 2_000),
                Err(SessionError::Invalid)
            );
        }
    }
}
