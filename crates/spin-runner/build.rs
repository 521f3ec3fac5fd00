//! Generates the host bindings for Spin's own interfaces from the WIT files that ship inside the
//! `spin-sdk` crate the components are built with, so host and guests agree on one definition.

use std::path::PathBuf;
use std::process::Command;

const SPIN_SDK: &str = "spin-sdk";
const SPIN_SDK_SERIES: &str = "5.2.";

fn main() {
    let wit = spin_sdk_wit_dir();
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", wit.display());
    let bindings = format!(
        r#"wasmtime::component::bindgen!({{
    inline: "
        package mcpgw:runner;
        world host {{
            import fermyon:spin/key-value@2.0.0;
            import fermyon:spin/variables@2.0.0;
            import spin:postgres/postgres@4.0.0;
        }}
    ",
    path: {path:?},
    imports: {{ default: async | trappable }},
    with: {{
        "fermyon:spin/key-value@2.0.0.store": crate::host::key_value::StoreHandle,
        "spin:postgres/postgres@4.0.0.connection": crate::host::postgres::ConnectionHandle,
    }},
}});
"#,
        path = wit.display().to_string()
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("spin_bindings.rs");
    std::fs::write(out, bindings).expect("write bindings");
}

/// The `wit` folder of the spin-sdk 5.2 package in this workspace's lock file.
fn spin_sdk_wit_dir() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(&manifest_dir)
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata JSON");
    let package = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| {
            p["name"] == SPIN_SDK
                && p["version"]
                    .as_str()
                    .is_some_and(|v| v.starts_with(SPIN_SDK_SERIES))
        })
        .expect("spin-sdk 5.2 in the workspace (components depend on it)");
    let manifest = PathBuf::from(package["manifest_path"].as_str().expect("manifest_path"));
    let wit = manifest.parent().expect("package dir").join("wit");
    assert!(
        wit.is_dir(),
        "{} is missing: run `cargo fetch` so the spin-sdk sources are present",
        wit.display()
    );
    wit
}
