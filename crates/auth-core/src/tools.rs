//! Which tools of a server a caller may use: tool patterns, what the grants give and what the
//! tool denies take away. A grant gives a whole server or the tools its patterns match; grants
//! add up, and a deny wins over every grant.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest tool pattern accepted (MCP tool names are at most 128 characters).
pub const MAX_PATTERN_CHARS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolPatternError {
    #[error("a tool pattern must not be empty")]
    Empty,
    #[error("tool pattern '{0}' is longer than {MAX_PATTERN_CHARS} characters")]
    TooLong(String),
    #[error(
        "tool pattern '{0}' may contain only letters, digits, '_', '.', '-' and '*' (any characters)"
    )]
    Character(String),
}

/// A tool name, or a glob in which `*` stands for any characters (`get_*`, `*_issue`, `*`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ToolPattern(String);

impl ToolPattern {
    pub fn parse(pattern: &str) -> Result<Self, ToolPatternError> {
        if pattern.is_empty() {
            return Err(ToolPatternError::Empty);
        }
        if pattern.chars().count() > MAX_PATTERN_CHARS {
            return Err(ToolPatternError::TooLong(pattern.to_owned()));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '*');
        if !pattern.chars().all(allowed) {
            return Err(ToolPatternError::Character(pattern.to_owned()));
        }
        Ok(Self(pattern.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `tool` is this name, or matches this glob.
    pub fn matches(&self, tool: &str) -> bool {
        let mut parts = self.0.split('*');
        let first = parts.next().unwrap_or_default();
        let Some(mut rest) = tool.strip_prefix(first) else {
            return false;
        };
        let parts: Vec<&str> = parts.collect();
        let Some((last, middle)) = parts.split_last() else {
            return rest.is_empty();
        };
        // Leftmost matches of the inner parts leave the most room for the ones after them.
        for part in middle {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        rest.ends_with(last)
    }
}

impl TryFrom<String> for ToolPattern {
    type Error = ToolPatternError;

    fn try_from(pattern: String) -> Result<Self, Self::Error> {
        Self::parse(&pattern)
    }
}

impl From<ToolPattern> for String {
    fn from(pattern: ToolPattern) -> Self {
        pattern.0
    }
}

impl fmt::Display for ToolPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tools a grant (or the union of several) gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantedTools {
    /// The whole server, including tools it adds later.
    All,
    Patterns(BTreeSet<ToolPattern>),
}

impl GrantedTools {
    /// From a grant's tool list: none is the whole server.
    pub fn from_list(patterns: Option<Vec<ToolPattern>>) -> Self {
        patterns.map_or(Self::All, |patterns| {
            Self::Patterns(patterns.into_iter().collect())
        })
    }

    pub fn matches(&self, tool: &str) -> bool {
        match self {
            Self::All => true,
            Self::Patterns(patterns) => patterns.iter().any(|pattern| pattern.matches(tool)),
        }
    }

    /// What two grants give together: the whole server if either does.
    pub fn union(self, other: Self) -> Self {
        match (self, other) {
            (Self::Patterns(mut mine), Self::Patterns(theirs)) => {
                mine.extend(theirs);
                Self::Patterns(mine)
            }
            _ => Self::All,
        }
    }
}

impl fmt::Display for GrantedTools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("every tool"),
            Self::Patterns(patterns) => write!(f, "tools {}", join(patterns)),
        }
    }
}

/// Comma-separated patterns, as the admin CLI takes and shows them.
pub fn join<'a>(patterns: impl IntoIterator<Item = &'a ToolPattern>) -> String {
    let patterns: Vec<&str> = patterns.into_iter().map(ToolPattern::as_str).collect();
    patterns.join(", ")
}

/// A caller's tools on one server they may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolAccess {
    pub granted: GrantedTools,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub denied: BTreeSet<ToolPattern>,
}

impl ToolAccess {
    /// Every tool of the server.
    pub fn whole() -> Self {
        Self {
            granted: GrantedTools::All,
            denied: BTreeSet::new(),
        }
    }

    pub fn is_whole(&self) -> bool {
        self.granted == GrantedTools::All && self.denied.is_empty()
    }

    pub fn allows(&self, tool: &str) -> bool {
        self.granted.matches(tool) && !self.denied.iter().any(|pattern| pattern.matches(tool))
    }
}

impl fmt::Display for ToolAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.granted)?;
        if !self.denied.is_empty() {
            write!(f, " except {}", join(&self.denied))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> ToolPattern {
        ToolPattern::parse(text).unwrap()
    }

    fn patterns(texts: &[&str]) -> GrantedTools {
        GrantedTools::Patterns(texts.iter().map(|text| pattern(text)).collect())
    }

    #[test]
    fn exact_names_match_only_themselves() {
        let echo = pattern("echo");
        assert!(echo.matches("echo"));
        for other in ["echo2", "ech", "Echo", "xecho", ""] {
            assert!(!echo.matches(other), "{other}");
        }
    }

    #[test]
    fn stars_match_any_characters_anywhere() {
        let cases: [(&str, &[&str], &[&str]); 6] = [
            (
                "get_*",
                &["get_", "get_issue", "get_a_b"],
                &["get", "list_get_x", "Get_x"],
            ),
            (
                "*_issue",
                &["_issue", "create_issue"],
                &["create_issues", "issue"],
            ),
            ("*", &["", "anything.at-all"], &[]),
            (
                "a*b*c",
                &["abc", "aXbYc", "abbc", "acbc"],
                &["ab", "acb", "abcd"],
            ),
            ("*ab*ab", &["abab", "xabyab", "ababab"], &["aba", "ab"]),
            ("a**b", &["ab", "axb"], &["ba"]),
        ];
        for (glob, hits, misses) in cases {
            let glob = pattern(glob);
            for hit in hits {
                assert!(glob.matches(hit), "{glob} should match {hit}");
            }
            for miss in misses {
                assert!(!glob.matches(miss), "{glob} should not match {miss}");
            }
        }
    }

    #[test]
    fn invalid_patterns_are_refused_with_a_reason() {
        assert_eq!(ToolPattern::parse(""), Err(ToolPatternError::Empty));
        for bad in ["get issue", "a,b", "x/y", "ü", "a?", "[a]"] {
            assert_eq!(
                ToolPattern::parse(bad),
                Err(ToolPatternError::Character(bad.into())),
                "{bad}"
            );
        }
        let long = "a".repeat(MAX_PATTERN_CHARS + 1);
        assert!(matches!(
            ToolPattern::parse(&long),
            Err(ToolPatternError::TooLong(_))
        ));
        assert!(ToolPattern::parse(&long[1..]).is_ok());
        assert!(ToolPattern::parse("search.v2-beta_*").is_ok());
    }

    #[test]
    fn patterns_deserialize_only_when_valid() {
        let ok: ToolPattern = serde_json::from_str(r#""get_*""#).unwrap();
        assert_eq!(ok, pattern("get_*"));
        assert!(serde_json::from_str::<ToolPattern>(r#""get issue""#).is_err());
    }

    #[test]
    fn a_union_with_a_whole_server_grant_is_the_whole_server() {
        let read = patterns(&["get_*", "list_*"]);
        assert_eq!(
            read.clone().union(patterns(&["search_*"])),
            patterns(&["get_*", "list_*", "search_*"])
        );
        assert_eq!(read.clone().union(GrantedTools::All), GrantedTools::All);
        assert_eq!(GrantedTools::All.union(read), GrantedTools::All);
        assert_eq!(GrantedTools::from_list(None), GrantedTools::All);
    }

    #[test]
    fn denies_win_over_every_grant() {
        let access = ToolAccess {
            granted: patterns(&["get_*", "delete_repo"]),
            denied: [pattern("get_secret*")].into(),
        };
        assert!(access.allows("get_issue"));
        assert!(access.allows("delete_repo"));
        assert!(!access.allows("get_secret_value"), "denied by pattern");
        assert!(!access.allows("create_issue"), "not granted");

        let whole_but = ToolAccess {
            granted: GrantedTools::All,
            denied: [pattern("delete_*")].into(),
        };
        assert!(whole_but.allows("create_issue"));
        assert!(!whole_but.allows("delete_repo"));
        assert!(!whole_but.is_whole());
        assert!(ToolAccess::whole().is_whole());
        assert!(ToolAccess::whole().allows("anything"));
    }

    #[test]
    fn access_round_trips_through_json() {
        let access = ToolAccess {
            granted: patterns(&["echo*"]),
            denied: [pattern("echo_secret")].into(),
        };
        let json = serde_json::to_value(&access).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"granted": {"patterns": ["echo*"]}, "denied": ["echo_secret"]})
        );
        assert_eq!(serde_json::from_value::<ToolAccess>(json).unwrap(), access);
        let whole = serde_json::to_value(ToolAccess::whole()).unwrap();
        assert_eq!(whole, serde_json::json!({"granted": "all"}));
    }
}
