"""The CodeBuild buildspecs: commands that are valid bash, that reuse the project's own scripts,
and whose switches do what their comments say. Their commands run here with a stand-in `sam`
or `make` that records its arguments (no AWS)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT, load_yaml

SPECS = ["buildspec.yml", "unit-tests-buildspec.yml", "smoke-buildspec.yml"]


def commands(spec: dict, phase: str) -> list[str]:
    return spec["phases"][phase]["commands"]


@pytest.mark.parametrize("name", SPECS)
def test_every_command_is_bash_and_a_failed_build_aborts(name):
    spec = load_yaml(name)
    if name != "unit-tests-buildspec.yml":  # it sets on-failure for its install phase only
        assert spec["phases"]["build"]["on-failure"] == "ABORT"
    for command in (c for phase in spec["phases"].values() for c in phase.get("commands", [])):
        # A plain YAML scalar with ": " in it silently becomes a mapping, not a command.
        assert isinstance(command, str), f"{name}: not a shell command: {command!r}"
        check = subprocess.run(["bash", "-n"], input=command, text=True, capture_output=True)
        assert check.returncode == 0, f"{name}: bash syntax error in {command!r}: {check.stderr}"


def test_build_runs_make_build_then_publishes_the_sbom_of_that_binary():
    spec = load_yaml("buildspec.yml")
    build = commands(spec, "build")
    # The README's command: make build installs the pinned tools, builds and checks glibc.
    assert build[0] == "make build", "build and glibc check first, as in CI"
    assert "scripts/sbom.py" in build[1], "the SBOM right after make build, from the same Cargo.lock"
    assert build[1].split()[-1] == "bootstrap.cdx.json"
    assert spec["artifacts"]["files"] == ["packaged-template.yaml", "bootstrap.cdx.json"]


def run_with_recorder(tmp_path: Path, spec: dict, script: list[str], stub: str, **env: str):
    """`script` in bash in tmp_path with the spec's variables and `env`, `stub` (.venv/bin/sam,
    or bin/make on PATH) a recorder of its arguments."""
    recorder, log = tmp_path / stub, tmp_path / "calls"
    recorder.parent.mkdir(parents=True, exist_ok=True)
    recorder.write_text(f'#!/usr/bin/env bash\necho "$*" >> {log}\n')
    recorder.chmod(0o755)
    variables = {k: str(v) for k, v in spec["env"]["variables"].items()} | env
    result = subprocess.run(
        ["bash", "-c", "\n".join(["set -e", *script])], cwd=tmp_path, text=True, capture_output=True,
        env={"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", **variables},
    )
    return result, log.read_text().splitlines() if log.exists() else []


PACKAGE = "package --output-template-file packaged-template.yaml"
DEPLOY = "deploy --template-file packaged-template.yaml"
OWN_BUCKET = " --no-resolve-s3 --s3-bucket my-bucket"


@pytest.mark.parametrize(
    "env, calls",
    [
        ({}, [PACKAGE]),  # DEPLOY_MODE defaults to package
        ({"DEPLOY_MODE": "deploy"}, [PACKAGE, DEPLOY]),
        ({"DEPLOY_MODE": "deploy", "ARTIFACT_BUCKET": "my-bucket"}, [PACKAGE + OWN_BUCKET, DEPLOY + OWN_BUCKET]),
        ({"DEPLOY_MODE": "deploy", "LAMBDA_ARCHITECTURE": "arm64"},
         [PACKAGE, DEPLOY + " --parameter-overrides Architecture=arm64"]),  # as the binary was built
        ({"DEPLOY_MODE": "Deploy"}, None),  # unknown: fails before any upload
    ],
    ids=["package", "deploy", "own-bucket", "arm64", "unknown-mode"],
)
def test_publish_packages_and_deploys_as_deploy_mode_says(tmp_path, env, calls):
    spec = load_yaml("buildspec.yml")
    publish = [c for c in commands(spec, "build") if "sam package" in c]
    result, recorded = run_with_recorder(tmp_path, spec, publish, ".venv/bin/sam", **env)
    if calls is None:
        assert result.returncode != 0 and "DEPLOY_MODE" in result.stderr
        assert recorded == []
    else:
        assert result.returncode == 0, result.stderr
        assert recorded == calls


def test_unit_tests_buildspec_runs_the_test_command_and_reports_junit():
    spec = load_yaml("unit-tests-buildspec.yml")
    build = commands(spec, "build")
    assert any(c.strip() == "make lint" for c in build)
    # make lint runs cargo-deny's offline checks; the advisories need GitHub, reachable here.
    assert build.index("scripts/check-deps.sh advisories") == build.index("make lint") + 1

    # nextest's committed profile turns JUnit on (nextest reads .config/nextest.toml itself).
    config = tomllib.loads((ROOT / ".config/nextest.toml").read_text())
    junit = config["profile"]["ci"]["junit"]["path"]
    files = {f for r in spec["reports"].values() for f in r["files"]}
    (test_command,) = [c for c in build if "make test" in c]
    assert "--profile ci" in test_command and f"target/nextest/ci/{junit}" in files
    assert "reports/infra-junit.xml" in test_command and "reports/infra-junit.xml" in files


RUST_SETUP = "scripts/setup-rust-ci.sh"


def pinned_rust() -> str:
    return subprocess.run(
        [str(ROOT / RUST_SETUP), "--version"], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.parametrize("name", ["buildspec.yml", "unit-tests-buildspec.yml"])
def test_buildspecs_install_the_one_pinned_toolchain(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert RUST_SETUP in commands(load_yaml(name), "install"), f"{name}: Rust comes from {RUST_SETUP}"
    # No second place names a toolchain: not "stable", not a version of its own.
    assert "stable" not in text and "--default-toolchain" not in text, name
    assert pinned_rust() not in text, f"{name}: the version lives only in {RUST_SETUP}"
    assert not (ROOT / "rust-toolchain.toml").exists() and not (ROOT / "rust-toolchain").exists()


def test_the_pinned_toolchain_is_a_release_no_older_than_rust_version():
    pinned = pinned_rust()
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), f"a release, not a channel: {pinned!r}"
    assert "--component rustfmt,clippy" in (ROOT / RUST_SETUP).read_text(), "make lint needs both"
    declared = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["rust-version"]
    as_tuple = lambda v: tuple(int(p) for p in v.split("."))  # noqa: E731
    assert as_tuple(pinned) >= as_tuple(declared), f"{pinned} is older than rust-version {declared}"


URL = "https://abc123.execute-api.us-east-1.amazonaws.com/counter"


@pytest.mark.parametrize(
    "outputs, calls",
    [({"CounterUrl": URL, "DashboardUrl": "x"}, [f"smoke COUNTER_URL={URL}"]), (None, None), ({"DashboardUrl": "x"}, None)],
    ids=["counter-url", "no-artifact", "no-counter-url"],
)
def test_smoke_takes_the_counter_url_from_the_stack_outputs_or_fails_before_make(tmp_path, outputs, calls):
    # The deploy action's output artifact, a secondary source (pipeline.yaml's OutputFileName).
    artifact = tmp_path / "outputs"
    artifact.mkdir()
    if outputs is not None:
        (artifact / "stack-outputs.json").write_text(json.dumps(outputs))
    spec = load_yaml("smoke-buildspec.yml")
    result, recorded = run_with_recorder(
        tmp_path, spec, commands(spec, "build"), "bin/make",
        STACK_OUTPUTS="TestStackOutputs", CODEBUILD_SRC_DIR_TestStackOutputs=str(artifact),
    )
    if calls is None:
        assert result.returncode != 0 and ("CounterUrl" in result.stderr or "stack outputs" in result.stderr)
        assert recorded == []
    else:
        assert result.returncode == 0, result.stderr
        assert recorded == calls
