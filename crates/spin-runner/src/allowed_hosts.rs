//! `allowed_outbound_hosts`: `<scheme>://<host>[:<port>]` with `*` wildcards, checked on every
//! outbound HTTP request and PostgreSQL connection. Templates are rendered before parsing.

use std::ops::Range;

use url::{Host, Url};

use crate::Error;

pub const SERVICE_CHAINING_SUFFIX: &str = ".spin.internal";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    original: String,
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com`, stored as `.example.com`.
    AnySubdomain(String),
    /// `self` / `self.alt`: relative requests to the app itself.
    ToSelf,
    Literal(Host),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    Port(u16),
    Range(Range<u16>),
}

impl AllowedHost {
    pub fn parse(text: &str) -> Result<Self, Error> {
        let invalid = |why: &str| Error::AllowedHost(format!("{text:?}: {why}"));
        let trimmed = text.trim();
        let (scheme, rest) = trimmed.split_once("://").ok_or_else(|| {
            invalid(
                "hosts must be in the form <scheme>://<host>[:<port>] (e.g. 'https://example.com')",
            )
        })?;
        let (host, port) = rest.rsplit_once(':').unwrap_or((rest, ""));
        let port = match port.split_once('/') {
            Some((_, path)) if !path.is_empty() => {
                return Err(invalid("has a path but is not allowed to"));
            }
            Some((port, _)) => port,
            None => port,
        };
        let scheme = match scheme {
            "*" => None,
            s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic()) => Some(s.to_string()),
            _ => return Err(invalid("only alphabetic schemes or '*' are allowed")),
        };
        let host = HostPattern::parse(host.trim_end_matches('/')).map_err(|why| invalid(&why))?;
        let port = if port.is_empty() {
            let scheme = scheme.as_deref().unwrap_or("*");
            PortPattern::Port(well_known_port(scheme).ok_or_else(|| {
                invalid(&format!(
                    "no port given and scheme {scheme:?} has no default port"
                ))
            })?)
        } else {
            PortPattern::parse(port).map_err(|why| invalid(&why))?
        };
        Ok(Self {
            original: trimmed.to_string(),
            scheme,
            host,
            port,
        })
    }

    pub fn allows(&self, scheme: &str, host: &Host, port: Option<u16>) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host_ok = match (&self.host, host) {
            (HostPattern::Any, _) => true,
            (HostPattern::AnySubdomain(suffix), Host::Domain(domain)) => {
                domain.ends_with(suffix.as_str())
            }
            (HostPattern::Literal(literal), host) => literal == host,
            _ => false,
        };
        let port_ok = match (&self.port, port.or_else(|| well_known_port(scheme))) {
            (PortPattern::Any, _) => true,
            (PortPattern::Port(p), Some(port)) => *p == port,
            (PortPattern::Range(range), Some(port)) => range.contains(&port),
            (_, None) => false,
        };
        scheme_ok && host_ok && port_ok
    }

    /// The component this entry chains to (`http://auth.spin.internal` → `auth`), or `*` for the
    /// wildcard `*.spin.internal`.
    pub fn service_chaining_target(&self) -> Option<&str> {
        match &self.host {
            HostPattern::Literal(Host::Domain(domain)) => {
                domain.strip_suffix(SERVICE_CHAINING_SUFFIX)
            }
            HostPattern::AnySubdomain(suffix) if suffix == SERVICE_CHAINING_SUFFIX => Some("*"),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.original
    }
}

impl HostPattern {
    fn parse(host: &str) -> Result<Self, String> {
        match host {
            "*" => return Ok(Self::Any),
            "self" | "self.alt" => return Ok(Self::ToSelf),
            _ => {}
        }
        if host.contains('/') {
            return Err("must not include a path".into());
        }
        if let Some(domain) = host.strip_prefix("*.") {
            if domain.contains('*') {
                return Err("wildcards are allowed only as prefixes".into());
            }
            return Ok(Self::AnySubdomain(format!(".{domain}")));
        }
        if host.contains('*') {
            return Err("wildcards are allowed only as subdomains".into());
        }
        Host::parse(host)
            .map(Self::Literal)
            .map_err(|err| err.to_string())
    }
}

impl PortPattern {
    fn parse(port: &str) -> Result<Self, String> {
        if port == "*" {
            return Ok(Self::Any);
        }
        let number = |s: &str| {
            s.parse::<u16>()
                .map_err(|_| format!("port {port:?} is not a number"))
        };
        match port.split_once("..") {
            Some((start, end)) => Ok(Self::Range(number(start)?..number(end)?)),
            None => Ok(Self::Port(number(port)?)),
        }
    }
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// The parsed `allowed_outbound_hosts` of one component.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts(Vec<AllowedHost>);

impl AllowedHosts {
    pub fn parse(entries: &[String]) -> Result<Self, Error> {
        entries
            .iter()
            .map(|e| AllowedHost::parse(e))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn allows_url(&self, url: &Url) -> bool {
        let Some(host) = url.host() else { return false };
        let host = host.to_owned();
        self.0
            .iter()
            .any(|entry| entry.allows(url.scheme(), &host, url.port()))
    }

    /// `host:port` form, as used for PostgreSQL connection strings.
    pub fn allows_address(&self, scheme: &str, host: &str, port: u16) -> bool {
        let Ok(host) = Host::parse(host) else {
            return false;
        };
        self.0
            .iter()
            .any(|entry| entry.allows(scheme, &host, Some(port)))
    }

    pub fn iter(&self) -> impl Iterator<Item = &AllowedHost> {
        self.0.iter()
    }
}

/// The component a request URL chains to, if its host is `<component>.spin.internal`.
pub fn chaining_target(url: &Url) -> Option<&str> {
    url.host_str()?.strip_suffix(SERVICE_CHAINING_SUFFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entry: &str, url: &str) -> bool {
        AllowedHosts::parse(&[entry.to_string()])
            .unwrap()
            .allows_url(&Url::parse(url).unwrap())
    }

    #[test]
    fn exact_host_and_default_port() {
        assert!(allows(
            "https://mcp.linear.app",
            "https://mcp.linear.app/mcp"
        ));
        assert!(!allows(
            "https://mcp.linear.app",
            "https://mcp.linear.app:8443/mcp"
        ));
        assert!(!allows(
            "https://mcp.linear.app",
            "http://mcp.linear.app/mcp"
        ));
        assert!(!allows(
            "https://mcp.linear.app",
            "https://evil.example/mcp"
        ));
    }

    #[test]
    fn explicit_wildcard_and_range_ports() {
        assert!(allows("http://127.0.0.1:*", "http://127.0.0.1:4711/"));
        assert!(allows(
            "http://127.0.0.1:4000..5000",
            "http://127.0.0.1:4711/"
        ));
        assert!(!allows(
            "http://127.0.0.1:4000..5000",
            "http://127.0.0.1:5711/"
        ));
        assert!(allows("http://localhost:3001", "http://localhost:3001/mcp"));
        assert!(!allows(
            "http://localhost:3001",
            "http://localhost:3002/mcp"
        ));
    }

    #[test]
    fn subdomain_and_scheme_wildcards() {
        assert!(allows("https://*.example.com", "https://a.example.com/"));
        assert!(!allows(
            "https://*.example.com",
            "https://example.com.evil/"
        ));
        assert!(allows("*://example.com:443", "https://example.com/"));
    }

    #[test]
    fn rejects_paths_and_bad_forms() {
        for bad in [
            "https://mcp.linear.app/mcp",
            "example.com",
            "*",
            "https://a*b.com",
            "ht tp://x",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert!(AllowedHost::parse("https://example.com/").is_ok());
    }

    #[test]
    fn postgres_addresses() {
        let hosts = AllowedHosts::parse(&["postgres://127.0.0.1:5432".into()]).unwrap();
        assert!(hosts.allows_address("postgres", "127.0.0.1", 5432));
        assert!(!hosts.allows_address("postgres", "127.0.0.1", 5433));
        assert!(!hosts.allows_address("postgres", "10.0.0.1", 5432));
    }

    #[test]
    fn service_chaining_targets() {
        assert_eq!(
            AllowedHost::parse("http://auth.spin.internal")
                .unwrap()
                .service_chaining_target(),
            Some("auth")
        );
        assert_eq!(
            AllowedHost::parse("http://*.spin.internal")
                .unwrap()
                .service_chaining_target(),
            Some("*")
        );
        assert_eq!(
            AllowedHost::parse("https://example.com")
                .unwrap()
                .service_chaining_target(),
            None
        );
        assert_eq!(
            chaining_target(&Url::parse("http://auth.spin.internal/authorize").unwrap()),
            Some("auth")
        );
    }
}
