//! Application variables: manifest defaults, the `SPIN_VARIABLE_<NAME>` environment provider
//! (with `.env` beside the manifest as fallback), and `{{ name }}` templates.

use std::collections::BTreeMap;
use std::path::Path;

use crate::Error;
use crate::manifest::Variable;

const ENV_PREFIX: &str = "SPIN_VARIABLE_";

/// Where variable values come from; injected so tests never touch the process environment.
pub trait VariableSource {
    fn get(&self, env_key: &str) -> Option<String>;
}

/// The process environment, then `KEY=value` lines of a `.env` file.
pub struct EnvSource {
    dotenv: BTreeMap<String, String>,
}

impl EnvSource {
    pub fn new(app_dir: &Path) -> Self {
        let dotenv = std::fs::read_to_string(app_dir.join(".env"))
            .map(|text| parse_dotenv(&text))
            .unwrap_or_default();
        Self { dotenv }
    }
}

impl VariableSource for EnvSource {
    fn get(&self, env_key: &str) -> Option<String> {
        std::env::var(env_key)
            .ok()
            .or_else(|| self.dotenv.get(env_key).cloned())
    }
}

impl VariableSource for BTreeMap<String, String> {
    fn get(&self, env_key: &str) -> Option<String> {
        BTreeMap::get(self, env_key).cloned()
    }
}

fn parse_dotenv(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}

/// The value of every application variable, resolved once at start.
#[derive(Debug, Clone, Default)]
pub struct AppVariables {
    values: BTreeMap<String, String>,
}

impl AppVariables {
    /// Fails like Spin when a required variable has no provider:
    /// `provider error: no provider resolved required variable(s): [Key("name")]`.
    pub fn resolve(
        declared: &BTreeMap<String, Variable>,
        source: &dyn VariableSource,
    ) -> Result<Self, Error> {
        let mut values = BTreeMap::new();
        let mut missing = Vec::new();
        for (name, variable) in declared {
            let env_key = format!("{ENV_PREFIX}{}", name.to_ascii_uppercase());
            match source.get(&env_key).or_else(|| variable.default.clone()) {
                Some(value) => {
                    values.insert(name.clone(), value);
                }
                None => missing.push(format!("Key({name:?})")),
            }
        }
        if missing.is_empty() {
            Ok(Self { values })
        } else {
            Err(Error::MissingVariables(format!(
                "provider error: no provider resolved required variable(s): [{}]",
                missing.join(", ")
            )))
        }
    }

    /// Renders a manifest template such as `"{{ github_origin }}{{ github_path }}"`.
    pub fn render(&self, template: &str) -> Result<String, Error> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| Error::Manifest(format!("unterminated template in {template:?}")))?;
            let name = after[..end].trim();
            let value = self.values.get(name).ok_or_else(|| {
                Error::Manifest(format!(
                    "template {template:?} references undeclared variable {name:?}"
                ))
            })?;
            out.push_str(value);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> BTreeMap<String, Variable> {
        let var = |default: Option<&str>, required| Variable {
            default: default.map(str::to_string),
            required,
            secret: false,
            description: None,
        };
        BTreeMap::from([
            ("origin".to_string(), var(Some("http://a"), false)),
            ("path".to_string(), var(Some("/mcp"), false)),
            ("token".to_string(), var(None, true)),
        ])
    }

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_overrides_default() {
        let source = env(&[
            ("SPIN_VARIABLE_ORIGIN", "http://b"),
            ("SPIN_VARIABLE_TOKEN", "t"),
        ]);
        let vars = AppVariables::resolve(&declared(), &source).unwrap();
        assert_eq!(vars.render("{{ origin }}{{path}}").unwrap(), "http://b/mcp");
    }

    #[test]
    fn missing_required_variable_is_named() {
        let err = AppVariables::resolve(&declared(), &env(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "provider error: no provider resolved required variable(s): [Key(\"token\")]"
        );
    }

    #[test]
    fn empty_value_counts_as_set() {
        let vars =
            AppVariables::resolve(&declared(), &env(&[("SPIN_VARIABLE_TOKEN", "")])).unwrap();
        assert_eq!(vars.render("[{{ token }}]").unwrap(), "[]");
    }

    #[test]
    fn template_with_unknown_variable_fails() {
        let vars =
            AppVariables::resolve(&declared(), &env(&[("SPIN_VARIABLE_TOKEN", "")])).unwrap();
        assert!(vars.render("{{ nope }}").is_err());
        assert!(vars.render("{{ origin").is_err());
    }

    #[test]
    fn dotenv_lines_are_parsed() {
        let parsed = parse_dotenv("# c\nSPIN_VARIABLE_A=1\nSPIN_VARIABLE_B = \"two\"\n\n");
        assert_eq!(parsed["SPIN_VARIABLE_A"], "1");
        assert_eq!(parsed["SPIN_VARIABLE_B"], "two");
    }
}
