//! Request paths of a route component, which serves everything under `/<s>`.
//!
//! Spin hands the component the path below its route (`spin-path-info`) and the full URL
//! (`spin-full-url`). Both are checked segment by segment before anything is routed, so a path
//! cannot leave its server: `.`/`..` segments (also percent-encoded), encoded `/` or `\`,
//! empty segments (`//`), backslashes, control and non-ASCII characters, and double encoding
//! are all refused with 400. The two must also agree: the full path must be `.../<s>` followed
//! by the path info, so a rewrite in between cannot smuggle a different route in (a chained
//! request's path info is the whole path, `/<s>/...`).
//!
//! Methods are the caller's business: this module only names the route.

use percent_encoding::percent_decode_str;

use crate::GatewayError;

/// Longest tool name the REST surface routes (the MCP tool-name limit).
pub const MAX_TOOL_NAME_LEN: usize = 128;
/// Path segment of the server's OpenAPI document.
pub const OPENAPI_SEGMENT: &str = "openapi.json";
/// Path segment of the server's native MCP endpoint.
pub const MCP_SEGMENT: &str = "mcp";

/// What a request below `/<s>` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutePath {
    /// `/<s>`: server info and tools.
    Info,
    /// `/<s>/openapi.json`.
    OpenApi,
    /// `/<s>/mcp`.
    Mcp,
    /// `/<s>/<tool>`, with the decoded tool name.
    Tool(String),
}

impl RoutePath {
    /// Routes a request for `server`. `path_info` is the path below the route prefix (may carry
    /// a query), `full_url` the absolute URL or the full path of the request.
    pub fn parse(server: &str, path_info: &str, full_url: &str) -> Result<Self, GatewayError> {
        let full_path = path_of_url(full_url)?;
        let info = strip_query(path_info);
        check_raw_path(full_path)?;
        check_raw_path(info)?;
        let prefix = format!("/{server}");
        let info = match info.strip_prefix(&prefix) {
            // Service chaining (the aggregate calling a member) is Spin's synthetic `/...`
            // match: the path info is the whole path, the server's prefix included.
            Some(rest) if info == full_path && (rest.is_empty() || rest.starts_with('/')) => rest,
            _ => {
                let server_prefix = full_path
                    .strip_suffix(info)
                    .filter(|before| before.ends_with(&prefix));
                if server_prefix.is_none() {
                    return Err(bad("the path does not match the route"));
                }
                info
            }
        };

        let rest = info.strip_prefix('/').unwrap_or(info);
        if rest.is_empty() {
            return Ok(Self::Info);
        }
        if rest.contains('/') {
            return Err(GatewayError::NotFound);
        }
        let segment = decode(rest)?;
        match segment.as_str() {
            OPENAPI_SEGMENT => Ok(Self::OpenApi),
            MCP_SEGMENT => Ok(Self::Mcp),
            name if is_tool_name(name) => Ok(Self::Tool(segment)),
            _ => Err(bad("invalid tool name")),
        }
    }

    /// Routes a request to the aggregate entry, which serves exactly `/mcp` and `/openapi.json`.
    pub fn parse_aggregate(full_url: &str) -> Result<Self, GatewayError> {
        match path_of_url(full_url)? {
            "/mcp" => Ok(Self::Mcp),
            "/openapi.json" => Ok(Self::OpenApi),
            _ => Err(GatewayError::NotFound),
        }
    }
}

/// Whether `name` fits the MCP tool-name charset `[A-Za-z0-9_.-]{1,128}`.
pub fn is_tool_name(name: &str) -> bool {
    (1..=MAX_TOOL_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-'))
}

/// Whether a tool can be called at `POST /<s>/<name>`: a valid name that does not collide with
/// the server's own routes (`mcp`, `openapi.json`). Other tools stay reachable over MCP.
pub fn is_routable_tool_name(name: &str) -> bool {
    is_tool_name(name) && name != MCP_SEGMENT && name != OPENAPI_SEGMENT
}

fn bad(message: &str) -> GatewayError {
    GatewayError::BadRequest(message.to_owned())
}

fn strip_query(path: &str) -> &str {
    path.split(['?', '#']).next().unwrap_or_default()
}

/// The path of an absolute URL (`http://host/p?q`) or of an origin-form target (`/p?q`).
fn path_of_url(url: &str) -> Result<&str, GatewayError> {
    if url.starts_with('/') {
        return Ok(strip_query(url));
    }
    let (_, after_scheme) = url
        .split_once("://")
        .ok_or_else(|| bad("the request URL has no path"))?;
    let path = match after_scheme.find(['/', '?', '#']) {
        Some(start) if after_scheme[start..].starts_with('/') => {
            strip_query(&after_scheme[start..])
        }
        _ => "/",
    };
    Ok(path)
}

/// Refuses every way a raw path could step outside its server.
fn check_raw_path(path: &str) -> Result<(), GatewayError> {
    if path
        .chars()
        .any(|c| !c.is_ascii() || c.is_ascii_control() || c == '\\')
    {
        return Err(bad("the path holds a forbidden character"));
    }
    if path.contains("//") {
        return Err(bad("the path holds an empty segment"));
    }
    for segment in path.split('/') {
        let decoded = decode(segment)?;
        if decoded
            .chars()
            .any(|c| matches!(c, '/' | '\\' | '%') || c.is_control())
        {
            return Err(bad("the path holds an encoded separator"));
        }
        if decoded == "." || decoded == ".." {
            return Err(bad("the path holds a dot segment"));
        }
    }
    Ok(())
}

fn decode(segment: &str) -> Result<String, GatewayError> {
    percent_decode_str(segment)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| bad("the path is not valid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aggregate_serves_its_two_paths_only() {
        let parse = RoutePath::parse_aggregate;
        assert_eq!(parse("http://gw/mcp"), Ok(RoutePath::Mcp));
        assert_eq!(parse("http://gw/openapi.json?x=1"), Ok(RoutePath::OpenApi));
        assert_eq!(parse("/mcp"), Ok(RoutePath::Mcp));
        assert_eq!(parse("http://gw/mcp/x"), Err(GatewayError::NotFound));
        assert_eq!(parse("http://gw/"), Err(GatewayError::NotFound));
    }

    /// Routes `/<s><info>` for server `github`, as Spin would hand it over.
    fn route(info: &str) -> Result<RoutePath, GatewayError> {
        RoutePath::parse("github", info, &format!("http://gw.test/github{info}"))
    }

    fn assert_bad(result: Result<RoutePath, GatewayError>) {
        assert!(
            matches!(result, Err(GatewayError::BadRequest(_))),
            "{result:?}"
        );
    }

    fn tool(name: &str) -> Result<RoutePath, GatewayError> {
        Ok(RoutePath::Tool(name.to_owned()))
    }

    #[test]
    fn server_root_is_info_with_or_without_slash() {
        assert_eq!(route(""), Ok(RoutePath::Info));
        assert_eq!(route("/"), Ok(RoutePath::Info));
    }

    #[test]
    fn openapi_and_mcp_are_their_own_routes() {
        assert_eq!(route("/openapi.json"), Ok(RoutePath::OpenApi));
        assert_eq!(route("/mcp"), Ok(RoutePath::Mcp));
        assert_eq!(route("/openapi.yaml"), tool("openapi.yaml"));
    }

    #[test]
    fn tool_names_use_the_mcp_charset() {
        assert_eq!(route("/get-sum"), tool("get-sum"));
        assert_eq!(route("/search_issues.v2"), tool("search_issues.v2"));
        assert_bad(route("/get%20sum"));
        assert_bad(route("/get:sum"));
        assert_bad(route("/caf%C3%A9"));
    }

    #[test]
    fn tool_name_length_is_capped_at_128() {
        assert_eq!(
            route(&format!("/{}", "a".repeat(128))),
            tool(&"a".repeat(128))
        );
        assert_bad(route(&format!("/{}", "a".repeat(129))));
    }

    #[test]
    fn query_strings_are_ignored() {
        let result = RoutePath::parse("github", "/echo", "http://gw.test/github/echo?x=1");
        assert_eq!(result, tool("echo"));
        let result = RoutePath::parse("github", "/echo?x=1", "/github/echo?x=1");
        assert_eq!(result, tool("echo"));
    }

    #[test]
    fn deeper_paths_are_not_routes() {
        assert_eq!(route("/echo/extra"), Err(GatewayError::NotFound));
        assert_eq!(route("/echo/"), Err(GatewayError::NotFound));
    }

    #[test]
    fn dot_dot_segment_is_refused() {
        assert_bad(route("/../linear/create_issue"));
        assert_bad(route("/.."));
        // allowed twin: dots inside a name are part of the charset
        assert_eq!(route("/x..y"), tool("x..y"));
    }

    #[test]
    fn dot_segment_is_refused() {
        assert_bad(route("/./echo"));
        assert_bad(route("/."));
        assert_eq!(route("/.echo"), tool(".echo"));
    }

    #[test]
    fn encoded_slash_is_refused_in_both_cases() {
        assert_bad(route("/a%2Fb"));
        assert_bad(route("/a%2fb"));
        assert_bad(route("/%2F..%2Flinear"));
        assert_eq!(route("/a_b"), tool("a_b"));
    }

    #[test]
    fn encoded_dot_dot_is_refused() {
        assert_bad(route("/%2e%2e"));
        assert_bad(route("/%2E%2E/linear/x"));
        assert_bad(route("/.%2e"));
        assert_bad(route("/%2e"));
        // allowed twin: an encoded dot inside a name decodes to a plain name
        assert_eq!(route("/a%2eb"), tool("a.b"));
    }

    #[test]
    fn encoded_backslash_is_refused() {
        assert_bad(route("/..%5Clinear"));
        assert_bad(route("/a%5cb"));
        assert_eq!(route("/a-b"), tool("a-b"));
    }

    #[test]
    fn raw_backslash_is_refused() {
        assert_bad(route("/..\\linear\\x"));
        assert_bad(route("/a\\b"));
    }

    #[test]
    fn empty_segment_is_refused() {
        assert_bad(route("//echo"));
        assert_bad(route("/echo//x"));
        assert_eq!(route("/echo"), tool("echo"));
    }

    #[test]
    fn control_characters_are_refused_raw_and_encoded() {
        assert_bad(route("/ec\tho"));
        assert_bad(route("/ec%00ho"));
        assert_bad(route("/ec%0Aho"));
        assert_bad(route("/echo%7F"));
    }

    #[test]
    fn double_encoding_is_refused() {
        assert_bad(route("/a%252Fb"));
        assert_bad(route("/%252e%252e"));
        assert_eq!(route("/a%5Fb"), tool("a_b"));
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert_bad(route("/%FF"));
    }

    #[test]
    fn escape_in_the_full_url_only_is_refused() {
        // A proxy normalised path info, but the original request escaped its server.
        let result = RoutePath::parse("github", "/echo", "http://gw.test/linear/../github/echo");
        assert_bad(result);
        let result = RoutePath::parse(
            "github",
            "/echo",
            "http://gw.test/linear%2F..%2Fgithub/echo",
        );
        assert_bad(result);
        let result = RoutePath::parse("github", "/echo", "http://gw.test/github/echo");
        assert_eq!(result, tool("echo"));
    }

    #[test]
    fn full_url_must_agree_with_path_info() {
        let result = RoutePath::parse("github", "/echo", "http://gw.test/linear/echo");
        assert_bad(result);
        let result = RoutePath::parse("github", "/echo", "http://gw.test/github/other");
        assert_bad(result);
        let result = RoutePath::parse("github", "/echo", "http://gw.test/notgithub/echo");
        assert_bad(result);
        let result = RoutePath::parse("github", "", "http://gw.test/github?x=/y");
        assert_eq!(result, Ok(RoutePath::Info));
    }

    #[test]
    fn a_chained_request_carries_the_whole_path_as_path_info() {
        let chained =
            |path: &str| RoutePath::parse("github", path, &format!("http://localhost{path}"));
        assert_eq!(chained("/github/mcp"), Ok(RoutePath::Mcp));
        assert_eq!(chained("/github/openapi.json"), Ok(RoutePath::OpenApi));
        assert_eq!(chained("/github"), Ok(RoutePath::Info));
        assert_bad(chained("/linear/mcp"));
        assert_bad(chained("/githubx/mcp"));
        assert_bad(chained("/github/../linear/mcp"));
    }

    #[test]
    fn full_url_may_be_a_bare_path_or_sit_below_a_base() {
        assert_eq!(
            RoutePath::parse("github", "/mcp", "/github/mcp"),
            Ok(RoutePath::Mcp)
        );
        assert_eq!(
            RoutePath::parse("github", "/mcp", "https://gw.test/base/github/mcp"),
            Ok(RoutePath::Mcp)
        );
        assert_bad(RoutePath::parse("github", "/mcp", "github/mcp"));
    }

    #[test]
    fn reserved_names_are_tools_but_not_routable() {
        assert!(is_tool_name("mcp"));
        assert!(!is_routable_tool_name("mcp"));
        assert!(!is_routable_tool_name("openapi.json"));
        assert!(is_routable_tool_name("get-sum"));
        assert!(!is_routable_tool_name(""));
        assert!(!is_routable_tool_name("a/b"));
    }
}
