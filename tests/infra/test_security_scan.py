"""checkov (scripts/scan-templates.sh, run by `make lint`) on our templates: every waiver says why,
and a template that loses a protection fails the scan,
naming the resource and the check."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, load_template

SCAN = ROOT / "scripts/scan-templates.sh"
TEMPLATES = ["template.yaml", "pipeline.yaml", "github-oidc.yaml"]
CHECK_ID = re.compile(r"^CKV2?_AWS_\d+$")


def waivers(template: dict) -> dict[str, list[dict]]:
    return {
        name: resource["Metadata"]["checkov"]["skip"]
        for name, resource in template["Resources"].items()
        if "checkov" in resource.get("Metadata", {})
    }


def scan(*templates: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCAN), *map(str, templates)], cwd=ROOT, text=True, capture_output=True, timeout=300
    )


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_waiver_names_a_check_and_gives_a_reason(name):
    found = waivers(load_template(ROOT / name))
    for resource, skips in found.items():
        for skip in skips:
            assert set(skip) == {"id", "comment"}, f"{name} {resource}: {skip}"
            where = f"{name} {resource} {skip['id']}"
            assert CHECK_ID.match(skip["id"]), f"{where}: not a checkov AWS check"
            assert len(skip["comment"].split()) >= 8, f"{where}: a reason a reviewer can check"
        ids = [s["id"] for s in skips]
        assert len(ids) == len(set(ids)), f"{name} {resource}: a check waived twice"
    # Waivers live in Metadata only: a `# checkov:skip=` comment would not survive the transform.
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "checkov:skip" not in text, f"{name}: waive in the resource's Metadata instead"


def test_a_table_without_point_in_time_recovery_fails_the_scan(tmp_path):
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    pitr = "      PointInTimeRecoverySpecification:\n        PointInTimeRecoveryEnabled: true\n"
    assert text.count(pitr) == 1
    weakened = tmp_path / "template.yaml"
    weakened.write_text(text.replace(pitr, ""), encoding="utf-8")

    result = scan(weakened)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # Once as written, once transformed: the check and the resource are named each time.
    assert output.count("CKV_AWS_28") == 2, output
    assert output.count("FAILED for resource: AWS::DynamoDB::Table.CounterTable") == 2, output
    assert "Failed checks: 2," in output, output
