"""cfn-lint with the runtime and the architecture spelled out, for each pair of values
LambdaRuntime and Architecture allow: its runtime-lifecycle rules (and any rule on a runtime
and architecture together) read only literal strings, not `!Ref LambdaRuntime`.

The decision on provided.al2 (selectable, no longer the default):
- W2531 "runtime deprecated" is accepted. AWS deprecated provided.al2 on 2026-07-31, but
  functions on it can still be created and updated, and the same binary runs on both runtimes
  (glibc <= 2.26). The warning is printed, not fatal.
- E2531 "creation blocked" / E2533 "update blocked" are NOT accepted: once cfn-lint's
  lifecycle data says AWS blocks them (creation from 2027-02-01 in cfn-lint 1.58.0's data),
  choosing provided.al2 would fail a deploy, so CI fails too, and provided.al2 must leave
  LambdaRuntime's AllowedValues.
- Every other finding fails, for both runtimes.
"""

from __future__ import annotations

import copy
import json
import warnings

import pytest
from cfnlint.api import ManualArgs, lint

from conftest import load_template

ACCEPTED = {"provided.al2": {"W2531"}, "provided.al2023": set()}
ARCHITECTURES = ["x86_64", "arm64"]


def lint_with(runtime: str, architecture: str) -> list:
    template = copy.deepcopy(load_template())
    props = template["Resources"]["CounterFunction"]["Properties"]
    assert props["Runtime"] == {"Ref": "LambdaRuntime"}
    assert props["Architectures"] == [{"Ref": "Architecture"}]
    props["Runtime"] = runtime
    props["Architectures"] = [architecture]
    return lint(json.dumps(template), config=ManualArgs(regions=["us-east-1"]))


def test_every_allowed_runtime_and_architecture_is_covered():
    params = load_template()["Parameters"]
    assert sorted(params["LambdaRuntime"]["AllowedValues"]) == sorted(ACCEPTED)
    assert sorted(params["Architecture"]["AllowedValues"]) == sorted(ARCHITECTURES)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize("runtime", sorted(ACCEPTED))
def test_lint_clean_with_literal_runtime_and_architecture(runtime, architecture):
    matches = lint_with(runtime, architecture)
    accepted = [m for m in matches if m.rule.id in ACCEPTED[runtime]]
    rejected = [m for m in matches if m.rule.id not in ACCEPTED[runtime]]
    for m in accepted:
        warnings.warn(f"accepted {m.rule.id} for {runtime}: {m.message}", stacklevel=1)
    assert not rejected, "\n".join(f"{m.rule.id} {m.message} (line {m.linenumber})" for m in rejected)
