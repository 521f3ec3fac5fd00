//! `cargo xtask servers`: writes every copy of `servers.toml` (regions of `spin.toml` and `k8s/`);
//! with `--check`, fails naming each copy that differs instead.

use anyhow::{Result, bail};

pub fn run(check: bool) -> Result<()> {
    let root = crate::process::root();
    let servers = server_registry::load(&root.join("servers.toml"))?;
    if check {
        let changes = server_registry::copies::changes(&root, &servers)?;
        if !changes.is_empty() {
            let files: Vec<&str> = changes.iter().map(|(file, _)| *file).collect();
            bail!(
                "servers.toml and its copies differ in {}: run `cargo xtask servers`",
                files.join(", ")
            );
        }
        eprintln!("every copy of servers.toml is current");
        return Ok(());
    }
    let written = server_registry::copies::write(&root, &servers)?;
    for file in &written {
        eprintln!("wrote {file}");
    }
    if written.is_empty() {
        eprintln!("every copy of servers.toml was already current");
    }
    Ok(())
}
