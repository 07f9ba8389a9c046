"""Fixtures for the offline infrastructure tests: template.yaml as written, and as the
AWS::Serverless-2016-10-31 transform turns it into plain CloudFormation (aws-sam-translator, no
AWS account, no network)."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

# The translator asks boto3 for the region (for pseudo parameters and ARNs) before anything else.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from samtranslator.parser.parser import Parser  # noqa: E402
from samtranslator.translator.translator import Translator  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """template.yaml parsed with CloudFormation's short-form tags (!Ref, !Sub, !GetAtt)."""
    return yaml_parse(path.read_text(encoding="utf-8"))


def transform(
    template: dict[str, Any], parameter_values: dict[str, str] | None = None
) -> dict[str, Any]:
    """SAM -> CloudFormation, offline. CodeUri becomes an s3:// URI, as `sam package` makes it
    (the translator refuses a local path); the template names no managed policy, so an empty
    map keeps the translator offline. Conditions stay for intrinsics.py to evaluate."""
    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://example-bucket/cloudresumecounter.zip"
    return Translator(None, Parser()).translate(
        packaged, parameter_values=dict(parameter_values or {}), get_managed_policy_map=lambda: {}
    )


@pytest.fixture(scope="session")
def sam_template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def cfn(sam_template: dict[str, Any]) -> dict[str, Any]:
    return transform(sam_template)


def resources_of_type(cfn: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    """The template's (or, given {"Resources": deployed}, the deployed) resources of a type."""
    return {name: r for name, r in cfn["Resources"].items() if r["Type"] == type_}


def only_resource(cfn: dict[str, Any], type_: str) -> tuple[str, dict[str, Any]]:
    found = resources_of_type(cfn, type_)
    assert len(found) == 1, f"expected exactly one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def default_stage(cfn: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, properties) of the HTTP API's one stage, $default (the alarms' Stage dimension)."""
    name, stage = only_resource(cfn, "AWS::ApiGatewayV2::Stage")
    assert stage["Properties"]["ApiId"] == {"Ref": "CounterApi"}
    assert stage["Properties"]["StageName"] == "$default"
    return name, stage["Properties"]


def load_yaml(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def get_att(value: Any) -> tuple[str, str] | None:
    """("Resource", "Attribute") of a Fn::GetAtt in either the list or the dotted form."""
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        att = value["Fn::GetAtt"]
        name, attr = att.split(".", 1) if isinstance(att, str) else att
        return name, attr
    return None


def statements(cfn: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(role, statement) for every statement of every inline policy of the template's roles."""
    return [
        (name, statement)
        for name, role in resources_of_type(cfn, "AWS::IAM::Role").items()
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
