//! Protocol revisions of the two eras and version negotiation.

use serde::{Deserialize, Serialize};

/// Stateless revisions, newest first.
pub const MODERN_VERSIONS: &[&str] = &["2026-07-28"];
/// Revisions with the `initialize` handshake, newest first.
pub const HANDSHAKE_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];
/// What a handshake-era request without `MCP-Protocol-Version` means (2025-06-18 transport rules).
pub const HANDSHAKE_DEFAULT_VERSION: &str = "2025-03-26";

pub fn is_modern(version: &str) -> bool {
    MODERN_VERSIONS.contains(&version)
}

pub fn is_handshake(version: &str) -> bool {
    HANDSHAKE_VERSIONS.contains(&version)
}

/// The newest of `ours` (newest first) that `theirs` also lists.
pub fn newest_common<'a>(ours: &[&'a str], theirs: &[String]) -> Option<&'a str> {
    ours.iter()
        .copied()
        .find(|version| theirs.iter().any(|their| their == version))
}

/// `error.data` of -32022 (unsupported protocol version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsupportedVersionData {
    pub supported: Vec<String>,
    pub requested: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn newest_common_prefers_our_order() {
        let ours = ["2027-01-01", "2026-07-28"];
        assert_eq!(
            newest_common(&ours, &strings(&["2026-07-28", "2027-01-01"])),
            Some("2027-01-01")
        );
        assert_eq!(
            newest_common(&ours, &strings(&["2026-07-28", "2025-11-25"])),
            Some("2026-07-28")
        );
        assert_eq!(newest_common(&ours, &strings(&["2025-11-25"])), None);
    }

    #[test]
    fn eras_are_disjoint() {
        assert!(is_modern("2026-07-28") && !is_handshake("2026-07-28"));
        assert!(is_handshake("2025-06-18") && !is_modern("2025-06-18"));
        assert!(!is_modern("2024-11-05") && !is_handshake("2024-11-05"));
    }
}
