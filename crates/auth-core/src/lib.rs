//! Pure authorization logic shared by the auth component, the route components and the admin
//! CLI: credentials, Entra token validation, API keys, policy evaluation (servers and their
//! tools), decisions and their cache keys. No I/O and no clock: time is always passed in.

pub mod api_key;
pub mod audit;
pub mod authorize;
pub mod credentials;
pub mod decision;
pub mod entra;
pub mod pins;
pub mod policy;
pub mod sealed;
pub mod sql;
#[cfg(feature = "test-issuer")]
pub mod test_issuer;
pub mod tools;

pub use api_key::{ApiKeyError, ApiKeyRecord};
pub use audit::{AuditRecord, CallerKind, Who};
pub use credentials::{
    CredentialError, Credentials, ForwardedIdentity, Presented, reject_query_credentials,
};
pub use decision::{
    AllowedServers, Decision, Principal, PrincipalKind, decision_cache_key, decision_expiry,
};
pub use tools::{GrantedTools, ToolAccess, ToolPattern, ToolPatternError};
