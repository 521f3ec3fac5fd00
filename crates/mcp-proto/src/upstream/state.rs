//! What the client keeps in the [`StateStore`] between requests, per upstream and credential.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Era, ServerDescription};
use crate::transport::StateStore;
use crate::types::{CacheScope, Tool};

/// The era verdict and what the server said about itself when it was reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Verdict {
    pub era: Era,
    /// The negotiated version (modern) or the handshake version of the session it came from.
    pub version: String,
    pub server: ServerDescription,
    pub checked_ms: u64,
}

/// A handshake-era session; `id` is `None` for servers that issue no session id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Session {
    pub id: Option<String>,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CachedTools {
    pub tools: Vec<Tool>,
    pub cache_scope: CacheScope,
    pub expires_ms: u64,
}

/// Typed access to one upstream's records. Keys hash the URL and the credential headers:
/// a different credential is a different authorization context, and no secret appears in a key.
pub(crate) struct UpstreamState<'a, S> {
    store: &'a S,
    prefix: String,
}

const VERDICT: &str = "era";
const SESSION: &str = "session";
const TOOLS: &str = "tools";

impl<'a, S: StateStore> UpstreamState<'a, S> {
    pub fn new(store: &'a S, url: &str, headers: &[(String, String)]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(url.as_bytes());
        for (name, value) in headers {
            hasher.update(b"\n");
            hasher.update(name.to_ascii_lowercase().as_bytes());
            hasher.update(b":");
            hasher.update(value.as_bytes());
        }
        let digest = hex::encode(&hasher.finalize()[..16]);
        Self {
            store,
            prefix: format!("mcp-upstream/{digest}/"),
        }
    }

    pub fn verdict(&self) -> Option<Verdict> {
        self.load(VERDICT)
    }

    pub fn set_verdict(&self, verdict: &Verdict) {
        self.save(VERDICT, verdict);
    }

    /// Forgets the era and everything that depends on it.
    pub fn forget_era(&self) {
        self.store.delete(&self.key(VERDICT));
        self.store.delete(&self.key(SESSION));
    }

    pub fn session(&self) -> Option<Session> {
        self.load(SESSION)
    }

    pub fn set_session(&self, session: &Session) {
        self.save(SESSION, session);
    }

    pub fn forget_session(&self) {
        self.store.delete(&self.key(SESSION));
    }

    pub fn tools(&self) -> Option<CachedTools> {
        self.load(TOOLS)
    }

    pub fn set_tools(&self, tools: &CachedTools) {
        self.save(TOOLS, tools);
    }

    fn key(&self, record: &str) -> String {
        format!("{}{record}", self.prefix)
    }

    /// A record that no longer parses (written by another version) counts as absent.
    fn load<T: DeserializeOwned>(&self, record: &str) -> Option<T> {
        let bytes = self.store.get(&self.key(record))?;
        serde_json::from_slice(&bytes).ok()
    }

    fn save<T: Serialize>(&self, record: &str, value: &T) {
        let bytes = serde_json::to_vec(value).expect("state records serialise");
        self.store.set(&self.key(record), &bytes);
    }
}
