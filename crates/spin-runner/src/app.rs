//! The application as loaded at start: manifest, resolved variables, routes and the components
//! kept by selective deployment. Everything that can be wrong with configuration fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::Error;
use crate::allowed_hosts::{AllowedHost, AllowedHosts};
use crate::manifest::{Manifest, RouteConfig};
use crate::routes::Router;
use crate::variables::{AppVariables, VariableSource};

pub struct App {
    pub name: String,
    pub version: String,
    pub dir: PathBuf,
    pub components: BTreeMap<String, ComponentConfig>,
    pub router: Router,
}

pub struct ComponentConfig {
    pub id: String,
    pub description: String,
    pub source: PathBuf,
    /// Component variables, rendered from their templates.
    pub variables: BTreeMap<String, String>,
    pub environment: BTreeMap<String, String>,
    pub allowed_hosts: AllowedHosts,
    pub key_value_stores: BTreeSet<String>,
}

impl App {
    /// Loads `manifest_path`, keeping only `retain` when it is not empty (`--component-id`).
    pub fn load(
        manifest_path: &Path,
        source: &dyn VariableSource,
        retain: &[String],
    ) -> Result<Self, Error> {
        let manifest = Manifest::load(manifest_path)?;
        let dir = manifest_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Self::from_manifest(manifest, dir, source, retain)
    }

    pub fn from_manifest(
        manifest: Manifest,
        dir: PathBuf,
        source: &dyn VariableSource,
        retain: &[String],
    ) -> Result<Self, Error> {
        let kept = retained(&manifest, retain)?;
        let variables = AppVariables::resolve(&manifest.variables, source)?;
        let mut components = BTreeMap::new();
        for (id, component) in &manifest.components {
            if !kept.contains(id) {
                continue;
            }
            let rendered_hosts = component
                .allowed_outbound_hosts
                .iter()
                .map(|entry| variables.render(entry))
                .collect::<Result<Vec<_>, _>>()?;
            let allowed_hosts = AllowedHosts::parse(&rendered_hosts)
                .map_err(|err| Error::Manifest(format!("component {id}: {err}")))?;
            let component_variables = component
                .variables
                .iter()
                .map(|(name, template)| Ok((name.clone(), variables.render(template)?)))
                .collect::<Result<BTreeMap<_, _>, Error>>()?;
            components.insert(
                id.clone(),
                ComponentConfig {
                    id: id.clone(),
                    description: component.description.clone(),
                    source: component.source_path(&dir),
                    variables: component_variables,
                    environment: component.environment.clone(),
                    allowed_hosts,
                    key_value_stores: component.key_value_stores.iter().cloned().collect(),
                },
            );
        }
        let routes: Vec<(String, String)> = manifest
            .triggers
            .http
            .iter()
            .filter(|t| kept.contains(&t.component))
            .filter_map(|t| match &t.route {
                RouteConfig::Route(route) => Some((route.clone(), t.component.clone())),
                RouteConfig::Private(_) => None,
            })
            .collect();
        if routes
            .iter()
            .any(|(route, _)| route.starts_with("/.well-known/spin/"))
        {
            return Err(Error::Manifest(
                "routes under /.well-known/spin/ are reserved by Spin".into(),
            ));
        }
        Ok(Self {
            name: manifest.application.name,
            version: manifest.application.version,
            dir,
            components,
            router: Router::build(&routes)?,
        })
    }
}

/// The components to keep, validated like `spin up --component-id`: each must exist, and a kept
/// component may not chain to a component left out (nor use the `*.spin.internal` wildcard).
/// Templated hosts are skipped, as Spin does.
fn retained(manifest: &Manifest, retain: &[String]) -> Result<BTreeSet<String>, Error> {
    if retain.is_empty() {
        return Ok(manifest.components.keys().cloned().collect());
    }
    for id in retain {
        if !manifest.components.contains_key(id) {
            return Err(Error::Selection(format!(
                "Specified component \"{id}\" not found in application"
            )));
        }
    }
    let kept: BTreeSet<String> = retain.iter().cloned().collect();
    for id in &kept {
        for entry in &manifest.components[id].allowed_outbound_hosts {
            if entry.contains("{{") {
                continue;
            }
            let Ok(host) = AllowedHost::parse(entry) else {
                continue;
            };
            match host.service_chaining_target() {
                Some("*") => {
                    return Err(Error::Selection(format!(
                        "Selected component '{id}' cannot use wildcard service chaining: allowed_outbound_hosts = [\"http://*.spin.internal\"]"
                    )));
                }
                Some(target) if !kept.contains(target) => {
                    return Err(Error::Selection(format!(
                        "Selected component '{id}' cannot use service chaining to unselected component: allowed_outbound_hosts = [\"http://{target}.spin.internal\"]"
                    )));
                }
                _ => {}
            }
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = r#"
spin_manifest_version = 2
[application]
name = "t"
[variables]
upstream = { default = "http://127.0.0.1:9" }
[[trigger.http]]
route = "/front/..."
component = "front"
[[trigger.http]]
route = { private = true }
component = "back"
[[trigger.http]]
route = "/other"
component = "other"
[component.front]
source = "front.wasm"
allowed_outbound_hosts = ["http://back.spin.internal", "{{ upstream }}"]
[component.front.variables]
target = "{{ upstream }}/x"
[component.back]
source = "back.wasm"
[component.other]
source = "other.wasm"
allowed_outbound_hosts = ["http://*.spin.internal"]
"#;

    fn load(text: &str, retain: &[&str]) -> Result<App, Error> {
        let retain: Vec<String> = retain.iter().map(|s| s.to_string()).collect();
        App::from_manifest(
            Manifest::parse(text).unwrap(),
            PathBuf::from("/app"),
            &BTreeMap::new(),
            &retain,
        )
    }

    #[test]
    fn loads_every_component_and_renders_templates() {
        let app = load(APP, &[]).unwrap();
        assert_eq!(app.components.len(), 3);
        assert_eq!(
            app.components["front"].variables["target"],
            "http://127.0.0.1:9/x"
        );
        assert_eq!(
            app.components["front"].source,
            PathBuf::from("/app/front.wasm")
        );
        assert!(app.router.route("/front/a").is_some());
        assert!(
            app.router.route("/back").is_none(),
            "private components have no route"
        );
    }

    #[test]
    fn selection_keeps_chained_targets() {
        let app = load(APP, &["front", "back"]).unwrap();
        assert_eq!(app.components.len(), 2);
        assert!(app.router.route("/other").is_none());
    }

    #[test]
    fn selection_fails_when_a_chained_target_is_left_out() {
        let err = load(APP, &["front"]).err().unwrap().to_string();
        assert!(err.contains("unselected component"), "{err}");
        assert!(err.contains("back"), "{err}");
    }

    #[test]
    fn selection_rejects_wildcard_chaining() {
        let err = load(APP, &["other"]).err().unwrap().to_string();
        assert!(err.contains("wildcard service chaining"), "{err}");
    }

    #[test]
    fn selection_of_unknown_component_fails() {
        let err = load(APP, &["nope"]).err().unwrap().to_string();
        assert!(err.contains("\"nope\" not found"), "{err}");
    }

    #[test]
    fn reserved_routes_are_rejected() {
        let text = APP.replace("/other", "/.well-known/spin/x");
        assert!(load(&text, &[]).is_err());
    }
}
