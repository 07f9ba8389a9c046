"""samconfig.toml lets `sam build` and `sam deploy` run with no prompts and no extra flags, and
agrees with the template."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib

import pytest

from conftest import ROOT, load_template


@pytest.fixture(scope="module")
def samconfig():
    return tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))


def overrides(samconfig) -> dict[str, str]:
    text = samconfig["default"]["global"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in shlex.split(text))


def test_deploy_needs_no_prompt_and_no_flag(samconfig):
    deploy = samconfig["default"]["deploy"]["parameters"]
    assert samconfig["default"]["global"]["parameters"]["stack_name"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is False
    assert "region" not in deploy, "the region comes from the user's AWS profile"
    assert "region" not in samconfig["default"]["global"]["parameters"]
    assert samconfig["default"]["package"]["parameters"]["resolve_s3"] is True


def test_parameter_overrides_apply_to_build_too_and_match_template_defaults(samconfig):
    # Global, so `sam build` resolves the same LambdaRuntime as `sam deploy`. Equal to the
    # defaults, so the two never drift apart.
    params = load_template()["Parameters"]
    found = overrides(samconfig)
    assert "LambdaRuntime" in found
    for name, value in found.items():
        assert name in params, f"samconfig overrides unknown parameter {name}"
        assert value == str(params[name]["Default"]), f"{name}: samconfig {value!r} != template default"


def test_guided_deploy_is_told_what_each_parameter_means():
    # `sam deploy --guided` prompts with a parameter's name only; scripts/sam.sh prints each
    # one's description first (this is the text it prints).
    run = subprocess.run(
        [str(ROOT / "scripts/sam.sh"), "parameters"], capture_output=True, text=True, check=True
    )
    text = " ".join(run.stdout.split())
    params = load_template()["Parameters"]
    for name in params:
        assert f" {name} (default " in text, name
    allowed_paths = re.search(r" AllowedPaths \(default '[^']*'\) (.*?) \w+ \(default ", text)
    assert allowed_paths, text
    assert "guard against junk keys" in allowed_paths[1], allowed_paths[1]
