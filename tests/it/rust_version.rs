//! Cargo.toml's `rust-version` tells the truth: no locked dependency asks for a newer compiler.
//! A dependency bump that raises the floor fails here, naming the packages that raised it.

use std::process::Command;

use serde_json::Value;

/// "1.94.1" or "1.82" as a comparable triple.
fn version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|part| {
        part.parse()
            .unwrap_or_else(|_| panic!("not a version: {text}"))
    });
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

#[test]
fn rust_version_covers_every_locked_dependency() {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", "x86_64-unknown-linux-gnu"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("JSON metadata");
    let packages = metadata["packages"].as_array().expect("packages");
    let rust_version_of = |name: &str| {
        packages
            .iter()
            .find(|package| package["name"] == name)
            .and_then(|package| package["rust_version"].as_str())
    };
    let declared = rust_version_of(env!("CARGO_PKG_NAME")).expect("Cargo.toml sets rust-version");

    let newer: Vec<String> = packages
        .iter()
        .filter_map(|package| {
            let needed = package["rust_version"].as_str()?;
            let (name, release) = (package["name"].as_str()?, package["version"].as_str()?);
            (version(needed) > version(declared))
                .then(|| format!("{name} {release} needs {needed}"))
        })
        .collect();
    assert!(
        newer.is_empty(),
        "Cargo.toml says rust-version = {declared:?}, but:\n{}",
        newer.join("\n")
    );
}
