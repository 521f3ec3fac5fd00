//! The gateway's public address, and which browser origins may call it.
//!
//! The `Host` of a request is attacker-controlled (DNS rebinding, a proxy that passes it
//! through), so it never reaches an answer unless no `public_url` is configured and the request
//! came to a loopback host, which is the local development case.

use url::Url;

use crate::GatewayError;

/// The base URL for links and metadata: `public_url` when set, else the request's own origin
/// if it is a loopback host, else none (the caller then answers with relative links).
pub fn base_url(public_url: &str, full_url: &str) -> Option<String> {
    if !public_url.is_empty() {
        return Some(public_url.trim_end_matches('/').to_owned());
    }
    let request = Url::parse(full_url).ok()?;
    is_loopback(&request).then(|| request.origin().ascii_serialization())
}

/// The MCP transport rule against DNS rebinding: a request carrying `Origin` must come from the
/// gateway's public origin, an origin of `allowed_origins`, or (without `public_url`) a loopback
/// page. Requests without `Origin` (every non-browser client) pass.
pub fn check_origin(
    origin: Option<&str>,
    public_url: &str,
    allowed_origins: &[String],
) -> Result<(), GatewayError> {
    let Some(origin) = origin.map(str::trim) else {
        return Ok(());
    };
    let refused = || GatewayError::Forbidden(format!("origin {origin} is not allowed"));
    let parsed = Url::parse(origin).map_err(|_| refused())?;
    let origin = parsed.origin().ascii_serialization();
    let own = Url::parse(public_url)
        .ok()
        .map(|url| url.origin().ascii_serialization());
    let listed = allowed_origins.iter().any(|allowed| {
        Url::parse(allowed.trim()).is_ok_and(|url| url.origin().ascii_serialization() == origin)
    });
    let local = public_url.is_empty() && is_loopback(&parsed);
    if own.as_deref() == Some(origin.as_str()) || listed || local {
        Ok(())
    } else {
        Err(refused())
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost")
                || domain.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_public_url_wins_over_any_host() {
        assert_eq!(
            base_url("https://mcp.example.com/", "http://evil.example/x").as_deref(),
            Some("https://mcp.example.com")
        );
    }

    #[test]
    fn a_request_host_is_used_only_on_loopback_without_public_url() {
        assert_eq!(
            base_url("", "http://127.0.0.1:3000/demo").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(
            base_url("", "http://localhost:3000/demo").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(
            base_url("", "http://[::1]:3000/").as_deref(),
            Some("http://[::1]:3000")
        );
        assert_eq!(base_url("", "http://attacker.example/demo"), None);
        assert_eq!(base_url("", "http://10.0.0.5/demo"), None);
        assert_eq!(base_url("", "not a url"), None);
    }

    #[test]
    fn origins_are_checked_against_the_public_url_and_the_allow_list() {
        let allowed = vec!["https://chat.example.com".to_owned()];
        let public = "https://mcp.example.com";
        assert_eq!(check_origin(None, public, &allowed), Ok(()));
        assert_eq!(
            check_origin(Some("https://mcp.example.com"), public, &allowed),
            Ok(())
        );
        assert_eq!(
            check_origin(Some("https://chat.example.com"), public, &allowed),
            Ok(())
        );
        for refused in [
            "https://evil.example",
            "http://mcp.example.com",
            "https://mcp.example.com.evil.example",
            "http://localhost:8080",
            "null",
        ] {
            assert!(
                matches!(
                    check_origin(Some(refused), public, &allowed),
                    Err(GatewayError::Forbidden(_))
                ),
                "{refused}"
            );
        }
    }

    #[test]
    fn without_public_url_only_loopback_pages_may_call() {
        assert_eq!(check_origin(Some("http://localhost:8080"), "", &[]), Ok(()));
        assert_eq!(check_origin(Some("http://127.0.0.1:5173"), "", &[]), Ok(()));
        assert!(check_origin(Some("http://rebound.example"), "", &[]).is_err());
    }
}
