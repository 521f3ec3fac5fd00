//! HTTP trigger routing as Spin 3.6.3 does it: exact routes, `:name` segments and a trailing
//! `/...` wildcard; exact beats wildcard, then the longest prefix wins (Spin uses the same
//! `routefinder` matcher); private endpoints have no route; of duplicate routes the later wins.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use crate::Error;

#[derive(Debug, Clone)]
struct Handler {
    component: String,
    raw_route: String,
}

pub struct Router {
    inner: routefinder::Router<Handler>,
    /// (route as written, component) in manifest order, for the start-up listing.
    listing: Vec<(String, String)>,
}

/// Which component serves a request, and the values of Spin's `spin-*` request headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub component: String,
    pub raw_route: String,
    pub path_info: String,
    pub named: BTreeMap<String, String>,
}

impl Router {
    /// `routes`: (raw route, component) of every public HTTP trigger, in manifest order.
    pub fn build(routes: &[(String, String)]) -> Result<Self, Error> {
        let mut by_route: Vec<(String, String)> = Vec::new();
        for (raw, component) in routes {
            let route = normalise(raw);
            if let Some(existing) = by_route.iter_mut().find(|(r, _)| normalise(r) == route) {
                tracing::error!(
                    "Duplicate route: {component}: {route} (duplicate of {}); the later one wins",
                    existing.1
                );
                *existing = (raw.clone(), component.clone());
            } else {
                by_route.push((raw.clone(), component.clone()));
            }
        }
        let mut inner = routefinder::Router::new();
        for (raw, component) in &by_route {
            let route = normalise(raw);
            let spec = match route.strip_suffix("/...") {
                Some(prefix) => format!("{prefix}/*"),
                None => route.clone(),
            };
            let handler = Handler {
                component: component.clone(),
                raw_route: raw.clone(),
            };
            inner
                .add(spec.as_str(), handler)
                .map_err(|err| Error::Manifest(format!("route {raw:?} of {component}: {err}")))?;
        }
        Ok(Self {
            inner,
            listing: by_route,
        })
    }

    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let found = self.inner.best_match(path)?;
        let handler = found.handler();
        let captures = found.captures();
        let path_info = match captures.wildcard() {
            None => String::new(),
            Some(rest) => match (rest.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_string(),
                (false, false) => format!("/{rest}"),
                (false, true) => format!("/{rest}/"),
            },
        };
        let named = captures
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Some(RouteMatch {
            component: handler.component.clone(),
            raw_route: handler.raw_route.clone(),
            path_info,
            named,
        })
    }

    pub fn listing(&self) -> &[(String, String)] {
        &self.listing
    }
}

impl RouteMatch {
    /// The match Spin synthesises for a service-chaining request: route `/...`, whole path as
    /// path info.
    pub fn chained(component: &str, path: &str) -> Self {
        Self {
            component: component.to_string(),
            raw_route: "/...".to_string(),
            path_info: path.to_string(),
            named: BTreeMap::new(),
        }
    }

    /// The `spin-*` headers Spin adds to every request a component receives.
    pub fn spin_headers(&self, full_url: &str, client_addr: SocketAddr) -> Vec<(String, String)> {
        let route_or_prefix = self
            .raw_route
            .strip_suffix("/...")
            .unwrap_or(&self.raw_route)
            .to_string();
        let mut headers = vec![
            ("spin-path-info".to_string(), self.path_info.clone()),
            ("spin-full-url".to_string(), full_url.to_string()),
            ("spin-matched-route".to_string(), based(&self.raw_route)),
            ("spin-base-path".to_string(), "/".to_string()),
            (
                "spin-raw-component-route".to_string(),
                self.raw_route.clone(),
            ),
            ("spin-component-route".to_string(), route_or_prefix),
            ("spin-client-addr".to_string(), client_addr.to_string()),
        ];
        for (name, value) in &self.named {
            headers.push((
                format!("spin-path-match-{}", name.to_ascii_lowercase()),
                value.clone(),
            ));
        }
        headers
    }
}

/// The route as Spin bases it on `/` (absolute, no trailing slash).
fn based(raw: &str) -> String {
    normalise(raw)
}

fn normalise(raw: &str) -> String {
    let absolute = if raw.starts_with('/') {
        raw.to_string()
    } else {
        format!("/{raw}")
    };
    match absolute.strip_suffix('/') {
        Some(stripped) => stripped.to_string(),
        None => absolute,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        let routes: Vec<_> = routes
            .iter()
            .map(|(r, c)| (r.to_string(), c.to_string()))
            .collect();
        Router::build(&routes).unwrap()
    }

    fn component(r: &Router, path: &str) -> Option<String> {
        r.route(path).map(|m| m.component)
    }

    #[test]
    fn exact_beats_wildcard() {
        let r = router(&[("/...", "all"), ("/health", "health")]);
        assert_eq!(component(&r, "/health").as_deref(), Some("health"));
        assert_eq!(component(&r, "/health/x").as_deref(), Some("all"));
    }

    #[test]
    fn exact_route_does_not_match_sub_paths() {
        let r = router(&[("/health", "health")]);
        assert_eq!(component(&r, "/health/x"), None);
        assert_eq!(component(&r, "/"), None);
    }

    #[test]
    fn longest_prefix_wins() {
        let r = router(&[("/a/...", "short"), ("/a/b/...", "long")]);
        assert_eq!(component(&r, "/a/b/c").as_deref(), Some("long"));
        assert_eq!(component(&r, "/a/b").as_deref(), Some("long"));
        assert_eq!(component(&r, "/a/bc").as_deref(), Some("short"));
    }

    #[test]
    fn path_info_of_wildcards() {
        let r = router(&[("/github/...", "github")]);
        assert_eq!(r.route("/github").unwrap().path_info, "");
        assert_eq!(r.route("/github/").unwrap().path_info, "/");
        assert_eq!(r.route("/github/tools/x").unwrap().path_info, "/tools/x");
    }

    #[test]
    fn named_segments_and_exact_precedence() {
        let r = router(&[("/users/:id", "user"), ("/users/me", "me")]);
        assert_eq!(component(&r, "/users/me").as_deref(), Some("me"));
        let m = r.route("/users/42").unwrap();
        assert_eq!(m.component, "user");
        assert_eq!(m.named["id"], "42");
        let headers = m.spin_headers("http://h/users/42", "127.0.0.1:1".parse().unwrap());
        assert!(headers.contains(&("spin-path-match-id".into(), "42".into())));
    }

    #[test]
    fn duplicate_route_later_wins() {
        let r = router(&[("/x", "first"), ("/x", "second")]);
        assert_eq!(component(&r, "/x").as_deref(), Some("second"));
        assert_eq!(r.listing().len(), 1);
    }

    #[test]
    fn spin_headers_for_a_wildcard_match() {
        let r = router(&[("/github/...", "github")]);
        let m = r.route("/github/openapi.json").unwrap();
        let headers: BTreeMap<_, _> = m
            .spin_headers(
                "http://localhost:3000/github/openapi.json?x=1",
                "127.0.0.1:5000".parse().unwrap(),
            )
            .into_iter()
            .collect();
        assert_eq!(headers["spin-path-info"], "/openapi.json");
        assert_eq!(headers["spin-matched-route"], "/github/...");
        assert_eq!(headers["spin-raw-component-route"], "/github/...");
        assert_eq!(headers["spin-component-route"], "/github");
        assert_eq!(headers["spin-base-path"], "/");
        assert_eq!(headers["spin-client-addr"], "127.0.0.1:5000");
        assert_eq!(
            headers["spin-full-url"],
            "http://localhost:3000/github/openapi.json?x=1"
        );
    }

    #[test]
    fn chained_match_is_synthetic_wildcard() {
        let m = RouteMatch::chained("auth", "/authorize");
        assert_eq!(m.raw_route, "/...");
        assert_eq!(m.path_info, "/authorize");
    }
}
