//! The copies of `servers.toml` in other files of the repository: regions between marker lines,
//! rewritten from the registry (`cargo xtask servers`) and compared with it (the tests).

use std::path::Path;

use crate::render::REGIONS;
use crate::{Error, Server};

/// The files holding copies, relative to the checkout's root.
pub fn files() -> Vec<&'static str> {
    let mut files: Vec<&'static str> = REGIONS.iter().map(|r| r.file).collect();
    files.dedup();
    files
}

/// Each file under `root` whose regions are not what `servers` renders, with its new text.
/// A route component of `spin.toml` outside its region counts as a difference too.
pub fn changes(root: &Path, servers: &[Server]) -> Result<Vec<(&'static str, String)>, Error> {
    let mut changed = Vec::new();
    for file in files() {
        let old = std::fs::read_to_string(root.join(file)).map_err(|err| Error::Read {
            file: file.to_owned(),
            message: err.to_string(),
        })?;
        let mut new = old.clone();
        for region in REGIONS.iter().filter(|r| r.file == file) {
            new = replace_region(&new, region.name, &(region.render)(servers)).map_err(
                |problem| Error::Region {
                    file: file.to_owned(),
                    problem,
                },
            )?;
        }
        if file == "spin.toml" {
            check_routes(&new, servers)?;
        }
        if new != old {
            changed.push((file, new));
        }
    }
    Ok(changed)
}

/// Rewrites every copy under `root` that differs from `servers`; returns the files written.
pub fn write(root: &Path, servers: &[Server]) -> Result<Vec<&'static str>, Error> {
    let changes = changes(root, servers)?;
    for (file, text) in &changes {
        std::fs::write(root.join(file), text).map_err(|err| Error::Write {
            file: (*file).to_owned(),
            message: err.to_string(),
        })?;
    }
    Ok(changes.into_iter().map(|(file, _)| file).collect())
}

/// `text` with the lines between `# >>> servers.toml: <name>` and `# <<< servers.toml: <name>`
/// replaced by `content`.
fn replace_region(text: &str, name: &str, content: &str) -> Result<String, String> {
    let begin = format!("# >>> servers.toml: {name}");
    let end = format!("# <<< servers.toml: {name}");
    let marker = |line: &str, marker: &str| {
        let line = line.trim();
        line == marker || line.starts_with(&format!("{marker} "))
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(start) = lines.iter().position(|line| marker(line, &begin)) else {
        return Err(format!("no line `{begin}`"));
    };
    let Some(stop) = lines[start..].iter().position(|line| marker(line, &end)) else {
        return Err(format!("`{begin}` has no `{end}` after it"));
    };
    let mut out: String = lines[..=start].concat();
    out.push_str(content);
    out.push_str(&lines[start + stop..].concat());
    Ok(out)
}

/// The route components of `spin.toml` (a `server_id` variable, not the aggregate's `members`)
/// are exactly the registry's: one written by hand outside the region is drift.
fn check_routes(spin_toml: &str, servers: &[Server]) -> Result<(), Error> {
    let manifest: toml::Table = spin_toml
        .parse()
        .map_err(|err: toml::de::Error| Error::Manifest(err.message().to_owned()))?;
    let mut routes: Vec<String> = manifest
        .get("component")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
        .filter_map(|(id, component)| {
            let variables = component.get("variables")?.as_table()?;
            (variables.contains_key("server_id") && !variables.contains_key("members"))
                .then(|| id.clone())
        })
        .collect();
    let mut declared: Vec<String> = servers.iter().map(|s| s.id.clone()).collect();
    routes.sort();
    declared.sort();
    if routes != declared {
        let extra = routes
            .into_iter()
            .filter(|r| !declared.contains(r))
            .collect();
        return Err(Error::Undeclared(extra));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load;

    fn repo() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// The committed files, copied to a fresh folder a test may change.
    fn copy_of_repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files().into_iter().chain(["servers.toml"]) {
            let to = dir.path().join(file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(repo().join(file), to).unwrap();
        }
        dir
    }

    fn changed_files(root: &Path) -> Vec<&'static str> {
        let servers = load(&root.join("servers.toml")).unwrap();
        changes(root, &servers)
            .unwrap()
            .into_iter()
            .map(|(file, _)| file)
            .collect()
    }

    const WIKI: &str = "\n[[server]]\nid = \"wiki\"\nname = \"Wiki\"\ntier = \"http\"\nauth = \"bearer\"\norigin = \"https://wiki.example.com\"\npath = \"/mcp\"\n";

    /// `dir` with the `wiki` server appended to its registry.
    fn add_wiki(dir: &Path) {
        let registry = dir.join("servers.toml");
        let text = std::fs::read_to_string(&registry).unwrap() + WIKI;
        std::fs::write(&registry, text).unwrap();
    }

    #[test]
    fn every_committed_copy_is_current() {
        assert_eq!(changed_files(&repo()), Vec::<&str>::new());
    }

    #[test]
    fn a_server_added_to_servers_toml_only_is_drift_in_every_copy() {
        let dir = copy_of_repo();
        add_wiki(dir.path());
        let mut changed = changed_files(dir.path());
        changed.sort();
        let mut expected = files();
        expected.sort();
        // Not hot: the hot SpinApp's list stays as it was.
        expected.retain(|f| *f != "k8s/overlays/split/kustomization.yaml");
        assert_eq!(changed, expected);
    }

    #[test]
    fn a_route_added_to_spin_toml_only_is_drift() {
        let dir = copy_of_repo();
        let spin = dir.path().join("spin.toml");
        let text = std::fs::read_to_string(&spin).unwrap()
            + "\n[[trigger.http]]\nroute = \"/wiki/...\"\ncomponent = \"wiki\"\n\n[component.wiki]\nsource = \"target/wasm32-wasip2/release/route.wasm\"\n[component.wiki.variables]\nserver_id = \"wiki\"\n";
        std::fs::write(&spin, text).unwrap();
        let servers = load(&dir.path().join("servers.toml")).unwrap();
        let err = changes(dir.path(), &servers).unwrap_err();
        assert_eq!(err, Error::Undeclared(vec!["wiki".to_owned()]));
    }

    #[test]
    fn a_hand_edit_inside_a_region_is_drift() {
        let dir = copy_of_repo();
        let env = dir.path().join("k8s/base/gateway.env");
        let text = std::fs::read_to_string(&env)
            .unwrap()
            .replace("demo_timeout=60", "demo_timeout=5");
        std::fs::write(&env, text).unwrap();
        assert_eq!(changed_files(dir.path()), ["k8s/base/gateway.env"]);
    }

    #[test]
    fn writing_then_checking_finds_nothing_to_change() {
        let dir = copy_of_repo();
        add_wiki(dir.path());
        let servers = load(&dir.path().join("servers.toml")).unwrap();
        assert!(!write(dir.path(), &servers).unwrap().is_empty());
        assert_eq!(changed_files(dir.path()), Vec::<&str>::new());
        let spin = std::fs::read_to_string(dir.path().join("spin.toml")).unwrap();
        assert!(spin.contains("[component.wiki.variables]"));
        assert!(spin.contains("\"http://wiki.spin.internal\""));
    }

    #[test]
    fn a_region_is_replaced_between_its_markers_only() {
        let text = "a\n  # >>> servers.toml: x (written)\nold\n  # <<< servers.toml: x\nb\n";
        assert_eq!(
            replace_region(text, "x", "new\n").unwrap(),
            "a\n  # >>> servers.toml: x (written)\nnew\n  # <<< servers.toml: x\nb\n"
        );
        assert!(replace_region("a\n", "x", "").is_err());
        assert!(replace_region("# >>> servers.toml: x\n", "x", "").is_err());
    }
}
