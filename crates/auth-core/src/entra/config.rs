//! Entra settings, checked once when the component starts handling a request.

pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Leeway for `exp`/`nbf` (the Microsoft identity libraries use the same default).
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;
/// Audiences of Microsoft Graph tokens, which the gateway can never accept.
pub const GRAPH_AUDIENCES: [&str; 2] = [
    "00000003-0000-0000-c000-000000000000",
    "https://graph.microsoft.com",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("entra_tenant_id is empty")]
    NoTenant,
    #[error("entra_audience is empty: set the gateway's client id and/or its api:// App ID URI")]
    NoAudience,
    #[error("entra_authority `{0}` is not an http(s) URL")]
    BadAuthority(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraConfig {
    tenants: Vec<String>,
    audiences: Vec<String>,
    authority: String,
    /// App roles with which an app-only token (client credentials) is accepted; none by default.
    accepted_app_roles: Vec<String>,
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

impl EntraConfig {
    /// From the component variables: comma-separated tenant ids and audiences, and the
    /// authority (empty: [`DEFAULT_AUTHORITY`]).
    pub fn new(tenant_ids: &str, audiences: &str, authority: &str) -> Result<Self, ConfigError> {
        let tenants = split_list(tenant_ids);
        if tenants.is_empty() {
            return Err(ConfigError::NoTenant);
        }
        let audiences = split_list(audiences);
        if audiences.is_empty() {
            return Err(ConfigError::NoAudience);
        }
        let authority = match authority.trim().trim_end_matches('/') {
            "" => DEFAULT_AUTHORITY.to_owned(),
            other => other.to_owned(),
        };
        let is_http = authority.starts_with("https://") || authority.starts_with("http://");
        if !is_http || authority.contains(['?', '#', ' ']) {
            return Err(ConfigError::BadAuthority(authority));
        }
        Ok(Self {
            tenants,
            audiences,
            authority,
            accepted_app_roles: Vec::new(),
        })
    }

    /// Accepts app-only tokens carrying one of these comma-separated app roles.
    pub fn with_accepted_app_roles(mut self, roles: &str) -> Self {
        self.accepted_app_roles = split_list(roles);
        self
    }

    /// Whether an app-only token with `roles` may be used.
    pub fn accepts_app_with_roles(&self, roles: &[String]) -> bool {
        roles
            .iter()
            .any(|role| self.accepted_app_roles.contains(role))
    }

    pub fn tenants(&self) -> &[String] {
        &self.tenants
    }

    pub fn allows_tenant(&self, tenant_id: &str) -> bool {
        self.tenants.iter().any(|tenant| tenant == tenant_id)
    }

    pub fn allows_audience(&self, audience: &str) -> bool {
        self.audiences.iter().any(|allowed| allowed == audience)
    }

    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The issuers a token of `tenant_id` may carry: the v1 and the v2 form.
    pub fn issuers(&self, tenant_id: &str) -> [String; 2] {
        [
            format!("https://sts.windows.net/{tenant_id}/"),
            format!("{}/{tenant_id}/v2.0", self.authority),
        ]
    }

    pub fn jwks_url(&self, tenant_id: &str) -> String {
        format!("{}/{tenant_id}/discovery/v2.0/keys", self.authority)
    }

    /// Token endpoint for the app's client-credentials grant (Microsoft Graph lookups).
    pub fn token_url(&self, tenant_id: &str) -> String {
        format!("{}/{tenant_id}/oauth2/v2.0/token", self.authority)
    }

    /// What to change when a caller sends a Microsoft Graph token instead of one for the gateway.
    pub fn graph_token_advice(&self) -> String {
        let scope = self
            .audiences
            .iter()
            .find(|audience| audience.starts_with("api://"))
            .map_or_else(
                || "api://<App ID URI>/<scope>".to_owned(),
                |uri| format!("{uri}/<scope>"),
            );
        format!(
            "this is a Microsoft Graph access token (aud 00000003-0000-0000-c000-000000000000), \
             not a token for this gateway. In Open WebUI set \
             MICROSOFT_OAUTH_SCOPE=\"openid email profile offline_access {scope}\" \
             (the scope the gateway's Entra app registration exposes under \"Expose an API\") \
             and OAUTH_REFRESH_TOKEN_INCLUDE_SCOPE=true, then sign in again"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_defaults_the_authority() {
        let config = EntraConfig::new(" t1, t2 ", "client-id, api://gw", "").unwrap();
        assert_eq!(config.tenants(), ["t1", "t2"]);
        assert!(config.allows_audience("api://gw"));
        assert!(!config.allows_audience("api://other"));
        assert_eq!(
            config.jwks_url("t1"),
            "https://login.microsoftonline.com/t1/discovery/v2.0/keys"
        );
        assert_eq!(
            config.issuers("t1"),
            [
                "https://sts.windows.net/t1/".to_owned(),
                "https://login.microsoftonline.com/t1/v2.0".to_owned()
            ]
        );
    }

    #[test]
    fn rejects_missing_or_bad_settings() {
        assert_eq!(EntraConfig::new("", "a", ""), Err(ConfigError::NoTenant));
        assert_eq!(
            EntraConfig::new("t", " , ", ""),
            Err(ConfigError::NoAudience)
        );
        assert!(matches!(
            EntraConfig::new("t", "a", "login.example.com"),
            Err(ConfigError::BadAuthority(_))
        ));
    }

    #[test]
    fn graph_advice_names_the_settings_and_the_scope() {
        let config = EntraConfig::new("t", "cid,api://mcp-gateway", "").unwrap();
        let advice = config.graph_token_advice();
        assert!(advice.contains("MICROSOFT_OAUTH_SCOPE"));
        assert!(advice.contains("api://mcp-gateway/<scope>"));
        assert!(advice.contains("OAUTH_REFRESH_TOKEN_INCLUDE_SCOPE=true"));
    }
}
