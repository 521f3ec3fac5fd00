//! Names on the aggregate endpoint `/mcp`, where every server's tools, prompts and resources
//! meet: a tool or prompt `name` of server `s` is `s__name`; a resource URI (or URI template)
//! `u` is `s+u`, which is still a URI of the same shape (`demo+file:///x`, `demo+db://{table}`)
//! because server ids are valid scheme characters.
//!
//! Names stay within [`MAX_NAME_LEN`] so that a client's own prefix still fits the 64
//! characters models accept (Open WebUI names MCP tools `<connection id>_<tool>`): a longer
//! one is cut and ends in `_` + 8 hex digits of SHA-256 of `s/name`. Server ids contain no
//! `__`, so unshortened names are collision-free; all names depend only on `(s, name)`, never
//! on list order or restarts. A shortened name is mapped back by finding the server's entry
//! whose name gives it ([`resolve_name`]).

use sha2::{Digest, Sha256};

/// Separates the server from a tool or prompt name.
pub const NAME_SEPARATOR: &str = "__";
/// Separates the server from a resource URI.
pub const URI_SEPARATOR: char = '+';
/// Longest name on `/mcp`: 64 less room for a client's prefix.
pub const MAX_NAME_LEN: usize = 48;
const HASH_HEX_LEN: usize = 8;

/// The name of `server`'s tool or prompt `name` on `/mcp`.
pub fn exposed_name(server: &str, name: &str) -> String {
    let full = format!("{server}{NAME_SEPARATOR}{name}");
    if full.len() <= MAX_NAME_LEN {
        return full;
    }
    let digest = Sha256::digest(format!("{server}/{name}").as_bytes());
    let hash = hex::encode(&digest[..HASH_HEX_LEN / 2]);
    let mut keep = MAX_NAME_LEN - 1 - HASH_HEX_LEN;
    while !full.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}_{hash}", &full[..keep])
}

/// The server an exposed name belongs to, and the rest of the name.
pub fn split_name(exposed: &str) -> Option<(&str, &str)> {
    exposed
        .split_once(NAME_SEPARATOR)
        .filter(|(server, rest)| !server.is_empty() && !rest.is_empty())
}

/// The original name, among `server`'s `names`, that `exposed` stands for.
pub fn resolve_name<'a>(
    server: &str,
    exposed: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    names
        .into_iter()
        .find(|name| exposed_name(server, name) == exposed)
}

/// The URI of `server`'s resource (or URI template) `uri` on `/mcp`.
pub fn exposed_uri(server: &str, uri: &str) -> String {
    format!("{server}{URI_SEPARATOR}{uri}")
}

/// The server and original URI of an exposed resource URI.
pub fn split_uri(exposed: &str) -> Option<(&str, &str)> {
    exposed
        .split_once(URI_SEPARATOR)
        .filter(|(server, uri)| !server.is_empty() && !uri.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_the_server_and_the_name() {
        assert_eq!(exposed_name("github", "search_code"), "github__search_code");
        assert_eq!(
            split_name("github__search_code"),
            Some(("github", "search_code"))
        );
        // A tool's own double underscore stays in the name part.
        assert_eq!(split_name("demo__a__b"), Some(("demo", "a__b")));
        assert_eq!(split_name("demo__"), None);
        assert_eq!(split_name("__echo"), None);
        assert_eq!(split_name("echo"), None);
    }

    #[test]
    fn long_names_are_cut_with_a_hash_of_the_original() {
        let long = "a_tool_name_that_is_far_too_long_to_fit_beside_a_prefix";
        let exposed = exposed_name("atlassian", long);
        assert_eq!(exposed.len(), MAX_NAME_LEN);
        // sha256("atlassian/a_tool_name_that_is_far_too_long_to_fit_beside_a_prefix"), first 4 bytes.
        let digest = Sha256::digest(format!("atlassian/{long}").as_bytes());
        assert!(exposed.ends_with(&format!("_{}", hex::encode(&digest[..4]))));
        assert!(exposed.starts_with("atlassian__a_tool_name"));
        assert_eq!(exposed, exposed_name("atlassian", long), "stable");
        let other = format!("{long}_2");
        assert_ne!(exposed, exposed_name("atlassian", &other));
    }

    #[test]
    fn shortened_names_resolve_among_the_servers_names_only() {
        let long = "x".repeat(60);
        let exposed = exposed_name("demo", &long);
        let names = ["echo", long.as_str()];
        assert_eq!(resolve_name("demo", &exposed, names), Some(long.as_str()));
        assert_eq!(resolve_name("other", &exposed, names), None);
        assert_eq!(resolve_name("demo", "demo__echo", names), Some("echo"));
        assert_eq!(resolve_name("demo", "demo__nope", names), None);
    }

    #[test]
    fn names_cut_on_a_character_boundary() {
        let exposed = exposed_name("demo", &"é".repeat(40));
        assert!(exposed.len() <= MAX_NAME_LEN);
    }

    #[test]
    fn uris_keep_their_shape() {
        assert_eq!(
            exposed_uri("demo", "file:///a+b.txt"),
            "demo+file:///a+b.txt"
        );
        assert_eq!(
            split_uri("demo+file:///a+b.txt"),
            Some(("demo", "file:///a+b.txt"))
        );
        assert_eq!(exposed_uri("db", "db://{table}"), "db+db://{table}");
        assert_eq!(split_uri("file:///x"), None);
        assert_eq!(split_uri("+file:///x"), None);
    }
}
