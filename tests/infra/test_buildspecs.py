"""buildspec.yml and unit-tests-buildspec.yml: well-formed CodeBuild buildspecs whose commands
are valid bash, that reuse the project's own scripts, and whose DEPLOY_MODE switch does what the
README says. The package/deploy commands run here with a stand-in `sam` that records its
arguments (no AWS)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomlkit as tomllib


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def commands(spec: dict, phase: str) -> list[str]:
    return spec["phases"][phase]["commands"]


def all_commands(spec: dict) -> list[str]:
    return [c for phase in spec["phases"].values() for c in phase.get("commands", [])]


@pytest.mark.parametrize("name", ["buildspec.yml", "unit-tests-buildspec.yml"])
def test_buildspec_shape_and_bash_syntax(name):
    spec = load(name)
    assert spec["version"] == 0.2
    assert spec["env"]["shell"] == "bash"
    assert spec["env"]["variables"]["SAM_CLI_TELEMETRY"] == "0"
    assert {"install", "build"} <= set(spec["phases"])
    for command in all_commands(spec):
        # A plain YAML scalar with ": " in it silently becomes a mapping, not a command.
        assert isinstance(command, str), f"{name}: not a shell command: {command!r}"
        check = subprocess.run(["bash", "-n"], input=command, text=True, capture_output=True)
        assert check.returncode == 0, f"{name}: bash syntax error in {command!r}: {check.stderr}"


def test_build_uses_the_ci_tools_and_checks():
    spec = load("buildspec.yml")
    build = commands(spec, "build")
    # The README's command: make build installs the pinned tools, builds and checks glibc.
    assert build[0] == "make build", "build and glibc check first, as in CI"
    assert spec["phases"]["build"]["on-failure"] == "ABORT"
    assert spec["artifacts"]["files"] == ["packaged-template.yaml", "bootstrap.cdx.json"]


def test_build_publishes_the_sbom_of_the_built_binary():
    build = commands(load("buildspec.yml"), "build")
    sbom = [i for i, c in enumerate(build) if "scripts/sbom.py" in c]
    assert sbom == [1], "scripts/sbom.py right after make build, from the same Cargo.lock"
    assert build[1].split()[-1] == "bootstrap.cdx.json", "the file the artifact publishes"


def test_deploy_mode_defaults_to_package():
    assert load("buildspec.yml")["env"]["variables"]["DEPLOY_MODE"] == "package"


def run_publish(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Runs buildspec.yml's publish command (the build phase after sam.sh) in tmp_path,
    with .venv/bin/sam replaced by a recorder."""
    spec = load("buildspec.yml")
    (tmp_path / ".venv/bin").mkdir(parents=True)
    log = tmp_path / "sam-calls"
    sam = tmp_path / ".venv/bin/sam"
    sam.write_text(f'#!/usr/bin/env bash\necho "$*" >> {log}\n')
    sam.chmod(0o755)
    variables = {k: str(v) for k, v in spec["env"]["variables"].items()}
    variables.update(env)
    publish = [c for c in commands(spec, "build") if "sam package" in c]
    script = "\n".join(["set -e", *publish])
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], **variables},
        text=True,
        capture_output=True,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


def test_package_mode_packages_only(tmp_path):
    result, calls = run_publish(tmp_path)
    assert result.returncode == 0, result.stderr
    assert calls == ["package --output-template-file packaged-template.yaml"]


def test_deploy_mode_deploys_the_packaged_template(tmp_path):
    result, calls = run_publish(tmp_path, DEPLOY_MODE="deploy")
    assert result.returncode == 0, result.stderr
    assert calls == [
        "package --output-template-file packaged-template.yaml",
        "deploy --template-file packaged-template.yaml",
    ]


def test_artifact_bucket_replaces_the_managed_bucket(tmp_path):
    result, calls = run_publish(tmp_path, DEPLOY_MODE="deploy", ARTIFACT_BUCKET="my-bucket")
    assert result.returncode == 0, result.stderr
    assert all(c.endswith("--no-resolve-s3 --s3-bucket my-bucket") for c in calls), calls
    assert len(calls) == 2


def test_unknown_deploy_mode_fails_before_any_upload(tmp_path):
    result, calls = run_publish(tmp_path, DEPLOY_MODE="Deploy")
    assert result.returncode != 0
    assert "DEPLOY_MODE" in result.stderr
    assert calls == []


def test_unit_tests_buildspec_runs_the_test_command_and_reports_junit(tmp_path):
    spec = load("unit-tests-buildspec.yml")
    build = commands(spec, "build")
    assert any("make test" in c for c in build)
    assert any(c.strip() == "make lint" for c in build)
    # make lint runs cargo-deny's offline checks; the advisories need GitHub, reachable here.
    assert build.index("scripts/check-deps.sh advisories") == build.index("make lint") + 1

    # nextest's committed profile turns JUnit on (nextest reads .config/nextest.toml itself).
    config = tomllib.loads((ROOT / ".config/nextest.toml").read_text())
    junit = config["profile"]["ci"]["junit"]["path"]

    reports = spec["reports"]
    assert all(r["file-format"] == "JUNITXML" for r in reports.values())
    files = {f for r in reports.values() for f in r["files"]}
    assert f"target/nextest/ci/{junit}" in files
    (test_command,) = [c for c in build if "make test" in c]
    assert "--profile ci" in test_command
    assert "reports/infra-junit.xml" in test_command and "reports/infra-junit.xml" in files


RUST_SETUP = "scripts/setup-rust-ci.sh"


def pinned_rust() -> str:
    return subprocess.run(
        [str(ROOT / RUST_SETUP), "--version"], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.parametrize("name", ["buildspec.yml", "unit-tests-buildspec.yml"])
def test_buildspecs_install_the_one_pinned_toolchain(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    install = commands(load(name), "install")
    assert RUST_SETUP in install, f"{name}: the pipeline's Rust comes from {RUST_SETUP}"
    # No second place names a toolchain: not "stable", not a version of its own.
    assert "stable" not in text and "--default-toolchain" not in text, name
    assert pinned_rust() not in text, f"{name}: the version lives only in {RUST_SETUP}"
    assert not (ROOT / "rust-toolchain.toml").exists() and not (ROOT / "rust-toolchain").exists()


def test_the_pinned_toolchain_is_a_release_no_older_than_rust_version():
    pinned = pinned_rust()
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), f"a release, not a channel: {pinned!r}"
    script = (ROOT / RUST_SETUP).read_text(encoding="utf-8")
    assert "--component rustfmt,clippy" in script, "make lint needs rustfmt and clippy"
    declared = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["rust-version"]
    as_tuple = lambda v: tuple(int(p) for p in v.split("."))  # noqa: E731
    assert as_tuple(pinned) >= as_tuple(declared), f"{pinned} is older than rust-version {declared}"


def run_smoke_build(tmp_path: Path, outputs: dict | None) -> tuple[subprocess.CompletedProcess, str]:
    """smoke-buildspec.yml's build command with `make` replaced by a recorder, and the stack's
    outputs (the deploy action's artifact) in a secondary source directory."""
    spec = load("smoke-buildspec.yml")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "make-calls"
    (bin_dir / "make").write_text(f'#!/usr/bin/env bash\necho "$*" >> {log}\n')
    (bin_dir / "make").chmod(0o755)
    artifact = tmp_path / "outputs"
    artifact.mkdir()
    if outputs is not None:
        (artifact / "stack-outputs.json").write_text(json.dumps(outputs))
    variables = {k: str(v) for k, v in spec["env"]["variables"].items()}
    variables["STACK_OUTPUTS"] = "TestStackOutputs"
    result = subprocess.run(
        ["bash", "-c", "\n".join(["set -e", *commands(spec, "build")])],
        cwd=tmp_path, text=True, capture_output=True,
        env={"PATH": f"{bin_dir}:{os.environ['PATH']}", "CODEBUILD_SRC_DIR_TestStackOutputs": str(artifact), **variables},
    )
    return result, log.read_text() if log.exists() else ""


def test_smoke_buildspec_shape():
    spec = load("smoke-buildspec.yml")
    assert spec["version"] == 0.2 and spec["env"]["shell"] == "bash"
    assert spec["phases"]["build"]["on-failure"] == "ABORT"
    assert "nodejs" in spec["phases"]["install"]["runtime-versions"]
    for command in all_commands(spec):
        check = subprocess.run(["bash", "-n"], input=command, text=True, capture_output=True)
        assert check.returncode == 0, check.stderr


def test_smoke_takes_the_counter_url_from_the_stack_outputs(tmp_path):
    url = "https://abc123.execute-api.us-east-1.amazonaws.com/counter"
    result, calls = run_smoke_build(tmp_path, {"CounterUrl": url, "DashboardUrl": "x"})
    assert result.returncode == 0, result.stderr
    assert calls == f"smoke COUNTER_URL={url}\n"


@pytest.mark.parametrize("outputs", [None, {"DashboardUrl": "x"}])
def test_smoke_without_a_counter_url_fails_before_make(tmp_path, outputs):
    result, calls = run_smoke_build(tmp_path, outputs)
    assert result.returncode != 0
    assert "CounterUrl" in result.stderr or "stack outputs" in result.stderr
    assert calls == ""
