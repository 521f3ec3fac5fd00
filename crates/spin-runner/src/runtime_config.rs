//! The runtime configuration file (`--runtime-config-file`): where key-value stores live.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RuntimeConfig {
    #[serde(default)]
    pub key_value_store: BTreeMap<String, KeyValueStoreConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum KeyValueStoreConfig {
    /// Spin's own store: a SQLite file.
    Spin {
        #[serde(default)]
        path: Option<PathBuf>,
    },
    Redis {
        url: String,
    },
}

impl RuntimeConfig {
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, Error> {
        toml::from_str(text).map_err(|err| Error::RuntimeConfig(err.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_and_spin_stores() {
        let config = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6379\"\n\
             [key_value_store.local]\ntype = \"spin\"\npath = \"kv.db\"\n",
        )
        .unwrap();
        assert_eq!(
            config.key_value_store["default"],
            KeyValueStoreConfig::Redis {
                url: "redis://127.0.0.1:6379".into()
            }
        );
        assert!(matches!(
            config.key_value_store["local"],
            KeyValueStoreConfig::Spin { .. }
        ));
    }

    #[test]
    fn unsupported_store_type_is_an_error() {
        let err =
            RuntimeConfig::parse("[key_value_store.default]\ntype = \"aws_dynamo\"\n").unwrap_err();
        assert!(err.to_string().contains("aws_dynamo"), "{err}");
    }
}
