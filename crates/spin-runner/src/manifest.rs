//! The Spin application manifest, version 2 (the parts this runner implements).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub spin_manifest_version: u32,
    pub application: Application,
    #[serde(default)]
    pub variables: BTreeMap<String, Variable>,
    #[serde(default, rename = "trigger")]
    pub triggers: Triggers,
    #[serde(default, rename = "component")]
    pub components: BTreeMap<String, Component>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Application {
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub authors: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Triggers {
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpTrigger {
    #[serde(default)]
    pub id: Option<String>,
    pub route: RouteConfig,
    pub component: String,
    #[serde(default)]
    pub executor: Option<toml::Table>,
}

/// `route = "/path"` or `route = { private = true }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RouteConfig {
    Route(String),
    Private(PrivateEndpoint),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateEndpoint {
    pub private: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Component {
    pub source: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub build: Option<toml::Table>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, Error> {
        let manifest: Manifest =
            toml::from_str(text).map_err(|err| Error::Manifest(err.to_string()))?;
        if manifest.spin_manifest_version != 2 {
            return Err(Error::Manifest(format!(
                "spin_manifest_version {} is not supported (only 2)",
                manifest.spin_manifest_version
            )));
        }
        for name in manifest.variables.keys() {
            check_variable_name(name)?;
        }
        for (name, variable) in &manifest.variables {
            if variable.default.is_none() && !variable.required {
                return Err(Error::Manifest(format!(
                    "variable {name:?} must have a default or be required"
                )));
            }
            if variable.default.is_some() && variable.required {
                return Err(Error::Manifest(format!(
                    "variable {name:?} cannot be both required and have a default"
                )));
            }
        }
        for trigger in &manifest.triggers.http {
            if !manifest.components.contains_key(&trigger.component) {
                return Err(Error::Manifest(format!(
                    "trigger references unknown component {:?}",
                    trigger.component
                )));
            }
            if let RouteConfig::Private(PrivateEndpoint { private: false }) = trigger.route {
                return Err(Error::Manifest(format!(
                    "route must be a string pattern or '{{ private = true }}': '{}' has {{ private = false }}",
                    trigger.component
                )));
            }
        }
        Ok(manifest)
    }
}

impl Component {
    /// The component's wasm file, relative sources resolved against the manifest's folder.
    pub fn source_path(&self, app_dir: &Path) -> PathBuf {
        let source = Path::new(&self.source);
        if source.is_absolute() {
            source.to_path_buf()
        } else {
            app_dir.join(source)
        }
    }
}

/// Variable names are lower snake case, as Spin requires (they become `SPIN_VARIABLE_<UPPER>`).
fn check_variable_name(name: &str) -> Result<(), Error> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Error::Manifest(format!(
            "variable name {name:?} must be lower snake case"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
spin_manifest_version = 2
[application]
name = "t"
[variables]
a = { default = "x" }
b = { required = true, secret = true }
[[trigger.http]]
route = "/..."
component = "c"
[[trigger.http]]
route = { private = true }
component = "c"
[component.c]
source = "c.wasm"
"#;

    #[test]
    fn parses_routes_and_variables() {
        let m = Manifest::parse(MINIMAL).unwrap();
        assert_eq!(m.triggers.http.len(), 2);
        assert!(matches!(m.triggers.http[1].route, RouteConfig::Private(_)));
        assert!(m.variables["b"].required && m.variables["b"].secret);
    }

    #[test]
    fn rejects_private_false() {
        let text = MINIMAL.replace("private = true", "private = false");
        assert!(
            Manifest::parse(&text)
                .unwrap_err()
                .to_string()
                .contains("private = false")
        );
    }

    #[test]
    fn rejects_variable_without_default_or_required() {
        let text = MINIMAL.replace("a = { default = \"x\" }", "a = { secret = true }");
        assert!(Manifest::parse(&text).is_err());
    }

    #[test]
    fn rejects_unknown_component_in_trigger() {
        let text = MINIMAL.replacen("component = \"c\"", "component = \"nope\"", 1);
        assert!(
            Manifest::parse(&text)
                .unwrap_err()
                .to_string()
                .contains("nope")
        );
    }

    #[test]
    fn rejects_upper_case_variable_names() {
        let text = MINIMAL.replace("a = {", "Aa = {");
        assert!(Manifest::parse(&text).is_err());
    }
}
