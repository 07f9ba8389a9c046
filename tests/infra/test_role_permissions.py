"""Every role CloudFormation deploys with can do what its stack asks of it (stack_permissions.py):
the deploy role for the counter's test and production stacks as pipeline.yaml deploys them, the
same for github-oidc.yaml's deploy role (GitHub Actions' road), both written once in
deploy-policy.yaml, and the pipeline stack's own role for pipeline.yaml, for every combination
of the parameters that changes which resources exist."""

from __future__ import annotations

import copy
import fnmatch
import itertools
import json
from typing import Any

import pytest

from conftest import ROOT, load_template, transform
from intrinsics import deployed_resources, parameter_values
from stack_permissions import (
    EXEMPT, NO_PROPERTY_YET, Stack, grants, handler_actions, missing_actions, schema, without_handlers,
)

PIPELINE = ROOT / "pipeline.yaml"
PIPELINE_STACK = "cloudresumecounter-pipeline"  # the Makefile's PIPELINE_STACK
GITHUB_OIDC = ROOT / "github-oidc.yaml"
GITHUB_OIDC_STACK = "cloudresumecounter-github"  # the Makefile's GITHUB_OIDC_STACK
DEPLOY_POLICY = ROOT / "deploy-policy.yaml"
DEPLOY_ROLE = "CounterDeployRole"  # its name in both templates

# Parameters that decide which resources exist: an alarm address (topic and subscription), a
# connection of the stack's own or an existing one, an approval step.
COMBINATIONS = [
    {"GitHubRepository": "you/cloudresumecounter", "AlarmEmail": email, "ConnectionArn": conn,
     "RequireApproval": approval}
    for email, conn, approval in itertools.product(
        ["", "ops@example.com"],
        ["", "arn:aws:codeconnections:us-east-1:123456789012:connection/0f0f0f0f-existing"],
        ["true", "false"],
    )
]

# Types whose registry schema lists no handlers (CloudFormation's older, non-registry
# providers): nothing to check them against, so their grants are kept by hand, with the reason.
NO_HANDLERS = {
    "AWS::CodeBuild::Project": "PipelineStackRole's codebuild:*Project statement, from CodeBuild's docs",
}


def pipeline_stack(params: dict[str, str]) -> Stack:
    template = load_template(PIPELINE)
    return Stack(
        PIPELINE_STACK, deployed_resources(template, params),
        parameter_values(template, params),
    )


def role_of(action: dict[str, Any]) -> str:
    (logical, _attribute) = action["Configuration"]["RoleArn"]["Fn::GetAtt"]
    return logical


def deploy_actions(pipeline: Stack, stage: str) -> list[dict[str, Any]]:
    props = pipeline.props("Pipeline")
    (actions,) = [s["Actions"] for s in props["Stages"] if s["Name"] == stage]
    return [a for a in actions if a["ActionTypeId"]["Provider"] == "CloudFormation"]


def deployed_counter(cfn: dict[str, Any], name: str, overrides: dict[str, str], code_bucket: str) -> Stack:
    """The counter's stack as deployed under this name, with these parameters, its code zip in
    the bucket sam package put it in (buildspec.yml's ARTIFACT_BUCKET, the workflow's)."""
    template = copy.deepcopy(cfn)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            resource["Properties"]["Code"]["S3Bucket"] = code_bucket
    return Stack(name, deployed_resources(template, overrides), parameter_values(template, overrides))


def counter_stack(pipeline: Stack, cfn: dict[str, Any], stage: str) -> tuple[str, Stack]:
    """The counter stack a deploy stage creates, and the role it creates it with."""
    (with_template,) = [a for a in deploy_actions(pipeline, stage) if "TemplatePath" in a["Configuration"]]
    config = with_template["Configuration"]
    overrides = json.loads(pipeline.resolve(config["ParameterOverrides"]))
    stack = deployed_counter(
        cfn, pipeline.resolve(config["StackName"]), overrides, pipeline.physical_id("ArtifactBucket")
    )
    roles = {role_of(a) for a in deploy_actions(pipeline, stage)}
    assert len(roles) == 1, f"{stage}: one role for all its CloudFormation actions: {roles}"
    return roles.pop(), stack


def github_oidc_stack(params: dict[str, str]) -> Stack:
    template = load_template(GITHUB_OIDC)
    return Stack(GITHUB_OIDC_STACK, deployed_resources(template, params), parameter_values(template, params))


# The workflow's two deploys (.github/workflows/ci.yml; test_workflow.py holds it to these
# overrides), with and without an alarm address (topic, subscription, budget). Like the pipeline's,
# not with a custom domain (stack_permissions.ARNS has no rule for its types).
WORKFLOW_DEPLOYS = [
    ("TestStackName", {"TableName": "TestTableName", "DeletionProtection": "false"}),
    ("ProdStackName", {"TableName": "ProdTableName"}),
]
OPTIONAL = [
    {},
    {"AlarmEmail": "ops@example.com"},
]


def report(missing: list[str]) -> str:
    lines = sorted(set(missing))
    return (
        f"{len(lines)} action(s) CloudFormation will call that the role does not allow "
        "(grant them in pipeline.yaml, or, if one only matters for a property the template "
        "does not set, add it to stack_permissions.EXEMPT with that property):\n  "
        + "\n  ".join(lines)
    )


def test_the_deploy_role_can_do_what_the_counter_stacks_ask(cfn):
    missing = []
    for params in COMBINATIONS:
        pipeline = pipeline_stack(params)
        for stage in ("DeployTest", "DeployProd"):
            role, stack = counter_stack(pipeline, cfn, stage)
            role_grants = grants(pipeline, role)
            missing += [f"[{role}] {m}" for m in missing_actions(role_grants, stack)]
    assert not missing, report(missing)


def test_the_workflows_deploy_role_can_do_what_the_counter_stacks_ask(sam_template):
    missing = []
    for provider in ("", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"):
        oidc = github_oidc_stack({"GitHubRepository": "you/cloudresumecounter", "OidcProviderArn": provider})
        role_grants = grants(oidc, DEPLOY_ROLE)
        for stack_param, overrides in WORKFLOW_DEPLOYS:
            for optional in OPTIONAL:
                given = {k: oidc.params[v] if v in oidc.params else v for k, v in overrides.items()} | optional
                cfn = transform(sam_template, given)
                stack = deployed_counter(cfn, oidc.params[stack_param], given, oidc.physical_id("ArtifactBucket"))
                missing += [f"[github-oidc {DEPLOY_ROLE}] {m}" for m in missing_actions(role_grants, stack)]
    assert not missing, report(missing)


def deploy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    (policy,) = template["Resources"][DEPLOY_ROLE]["Properties"]["Policies"]
    return policy["PolicyDocument"]["Statement"]


@pytest.mark.parametrize("path", [PIPELINE, GITHUB_OIDC], ids=lambda p: p.name)
def test_both_deploy_roles_are_deploy_policy_yaml(path):
    # One source: scripts/sync-deploy-policy.py copies it; an edit to one copy fails here.
    source = load_template(DEPLOY_POLICY)
    assert deploy_statements(load_template(path)) == source, (
        f"{path.name}'s {DEPLOY_ROLE} differs from deploy-policy.yaml: edit deploy-policy.yaml, "
        "then run scripts/sync-deploy-policy.py"
    )


def test_the_pipeline_stacks_role_can_do_what_pipeline_yaml_asks():
    missing = []
    for params in COMBINATIONS:
        pipeline = pipeline_stack(params)
        (update,) = [a for a in deploy_actions(pipeline, "UpdatePipeline") if "TemplatePath" in a["Configuration"]]
        role = role_of(update)
        missing += [f"[{role}] {m}" for m in missing_actions(grants(pipeline, role), pipeline)]
    assert not missing, report(missing)


def test_types_without_handlers_are_the_known_ones(cfn):
    pipeline = pipeline_stack(COMBINATIONS[0])
    _role, counter = counter_stack(pipeline, cfn, "DeployTest")
    found = without_handlers(pipeline) | without_handlers(counter)
    assert found <= set(NO_HANDLERS), (
        f"{sorted(found - set(NO_HANDLERS))}: no handlers in the registry schema: add to "
        "NO_HANDLERS with where its grants come from"
    )


@pytest.mark.parametrize("type_, pattern", sorted(EXEMPT))
def test_each_exemption_names_a_property_and_an_action_of_its_type(type_, pattern):
    prop = EXEMPT[(type_, pattern)]
    assert prop.split(".")[0] in schema(type_)["properties"], f"{type_} has no property {prop}"
    actions = {a.lower() for acts in handler_actions(type_).values() for a in acts}
    assert fnmatch.filter(actions, pattern.lower()), f"{type_}: no handler action matches {pattern}"


def test_an_exempt_action_is_required_once_its_property_is_set(cfn):
    pipeline = pipeline_stack(COMBINATIONS[0])
    role, stack = counter_stack(pipeline, cfn, "DeployTest")
    (function,) = [n for n, r in stack.resources.items() if r["Type"] == "AWS::Lambda::Function"]
    stack.resources[function]["Properties"]["KmsKeyArn"] = "arn:aws:kms:us-east-1:123456789012:key/k"
    missing = missing_actions(grants(pipeline, role), stack)
    assert any(f" {function} " in m and " needs kms:Decrypt on " in m for m in missing), missing


@pytest.mark.parametrize("type_, pattern", sorted(NO_PROPERTY_YET))
def test_actions_no_property_calls_for_have_no_property_yet(type_, pattern):
    why = NO_PROPERTY_YET[(type_, pattern)]
    actions = {a.lower() for acts in handler_actions(type_).values() for a in acts}
    assert fnmatch.filter(actions, pattern.lower()), f"{type_}: no handler action matches {pattern}"
    stem = why.rstrip("s").lower()  # "replicas": no property named for a replica yet
    named = [p for p in schema(type_)["properties"] if stem in p.lower()]
    assert not named, f"{type_} now has {named}: move {pattern} to EXEMPT with that property"
