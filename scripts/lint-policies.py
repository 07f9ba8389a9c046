"""parliament (Duo Labs' IAM linter) on every role's policies, as the templates produce them:
template.yaml after the SAM transform (the function's generated role), pipeline.yaml and
github-oidc.yaml as deployed with their defaults; CloudFormation's Ref, GetAtt and Sub resolved
to the ARNs they name (tests/infra/stack_permissions.py), since parliament reads plain JSON.
Trust policies are not its kind (it reads identity policies): tests/infra holds those
(test_github_oidc.py, test_pipeline.py).

    .venv/bin/python scripts/lint-policies.py      (scripts/lint-iam.sh, make lint)

Any finding fails. One we accept is waived in WAIVERS below, by template, role, issue and a
text its detail contains, with the reason; a waiver that matches nothing fails too.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests/infra"))

# parliament 1.6.4 imports pkg_resources, which warns on every run (requirements-dev.txt pins a
# setuptools that still has it).
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
import parliament  # noqa: E402

from conftest import ROOT, load_template, transform  # noqa: E402
from intrinsics import deployed_resources, parameter_values  # noqa: E402
from stack_permissions import Stack  # noqa: E402

REPOSITORY = {"GitHubRepository": "you/cloudresumecounter"}
# template -> (stack name, parameters, whether it is a SAM template)
TEMPLATES = {
    "template.yaml": ("cloudresumecounter", {}, True),
    "pipeline.yaml": ("cloudresumecounter-pipeline", REPOSITORY, False),
    "github-oidc.yaml": ("cloudresumecounter-github", REPOSITORY, False),
}

TRANSFORM = "aws:transform/Serverless-2016-10-31"
# (template, role, issue, text in the finding's detail or location) -> why it is accepted.
WAIVERS: dict[tuple[str, str, str, str], str] = {
    **{
        (template, role, "INVALID_ARN", TRANSFORM): (
            "the SAM transform's ARN: its account field is literally 'aws', as AWS names it; "
            "a change set of a template with a transform is authorized on it"
        )
        for template, role in [
            ("pipeline.yaml", "PipelineRole"), ("pipeline.yaml", "CounterDeployRole"),
            ("github-oidc.yaml", "CounterDeployRole"), ("github-oidc.yaml", "TestEnvironmentRole"),
            ("github-oidc.yaml", "ProductionEnvironmentRole"),
        ]
    },
    **{
        (template, "CounterDeployRole", "RESOURCE_MISMATCH", "sns:Unsubscribe"): (
            "parliament 1.6.4's IAM data (April 2025) gives sns:Unsubscribe and "
            "GetSubscriptionAttributes no resource type; cfn-lint 1.58's newer Policies.json, which "
            "test_role_permissions.py evaluates with, authorizes them on the topic"
        )
        for template in ("pipeline.yaml", "github-oidc.yaml")
    },
    **{
        (template, "CounterDeployRole", "UNKNOWN_ACTION", action): (
            "newer than parliament 1.6.4's IAM data: the registry schema of the resource calls "
            "it (the budget's, the function's read handler) and cfn-lint 1.58's Policies.json "
            "defines it"
        )
        for template in ("pipeline.yaml", "github-oidc.yaml")
        for action in ("billing:GetBillingViewData", "lambda:GetFunctionScalingConfig")
    },
    # pipeline.yaml's own roles (the pipeline's and its stack's), as reviewed before this linter:
    **{
        ("pipeline.yaml", role, "RESOURCE_MISMATCH", f"codestar-connections:{action}"): (
            "both prefixes are granted on the one connection ARN: ConnectionArn may name an "
            "existing codestar-connections connection, the stack creates a codeconnections one"
        )
        for role, action in [("PipelineRole", "UseConnection"), ("PipelineStackRole", "PassConnection")]
    },
    **{
        ("pipeline.yaml", "PipelineStackRole", "RESOURCE_POLICY_PRIVILEGE_ESCALATION", f"{object_action} not being allowed, but does allow {bucket_action}"): (
            "CloudFormation sets the artifact bucket's policy and ACL settings with this role, "
            "which also writes the stack's roles: a bucket policy gives it nothing it lacks"
        )
        for object_action in ("s3:PutObject", "s3:GetObject")
        for bucket_action in ("s3:PutBucketPolicy", "s3:PutBucketAcl")
    },
    ("pipeline.yaml", "PipelineStackRole", "PERMISSIONS_MANAGEMENT_ACTIONS", ""): (
        "it deploys the pipeline stack, whose roles and bucket policy it must write; each such "
        "action is scoped to the stack's own names (test_role_permissions.py)"
    ),
    ("pipeline.yaml", "PipelineStackRole", "RESOURCE_STAR", "codeconnections:ListConnections"): (
        "IAM also takes connection/* for it, which names the same set (every connection of the "
        "account and region) as '*'; the pipeline stack's own role is left as it was reviewed"
    ),
}


def stack_of(name: str) -> Stack:
    stack_name, params, sam = TEMPLATES[name]
    template = load_template(ROOT / name)
    if sam:
        template = transform(template, params)
    return Stack(stack_name, deployed_resources(template, params), parameter_values(template, params))


def documents(stack: Stack) -> dict[str, dict[str, Any]]:
    """label -> policy document, for each role's inline policies."""
    found = {}
    for logical, resource in stack.resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        props = resource["Properties"]
        for policy in props.get("Policies", []):
            found[f"{logical} policy {policy['PolicyName']}"] = stack.resolve(policy["PolicyDocument"])
    return found


def waiver_of(template: str, label: str, finding: Any) -> tuple[str, str, str, str] | None:
    role = label.split(" ", 1)[0]
    detail = json.dumps([finding.detail, finding.location], default=str)
    for key in WAIVERS:
        t, r, issue, text = key
        if (t, r, issue) == (template, role, finding.issue) and text in detail:
            return key
    return None


def main() -> int:
    failures = []
    used = set()
    checked = 0
    for name in TEMPLATES:
        for label, document in documents(stack_of(name)).items():
            checked += 1
            policy = parliament.analyze_policy_string(json.dumps(document), include_community_auditors=True)
            for finding in policy.findings:
                waiver = waiver_of(name, label, finding)
                if waiver:
                    used.add(waiver)
                else:
                    failures.append(f"{name} {label}: {finding.issue} {finding.title}: {finding.detail}")
    failures += [f"waiver {key} matches no finding: remove it" for key in WAIVERS if key not in used]
    for line in failures:
        print(f"lint-policies.py: {line}", file=sys.stderr)
    print(f"lint-policies.py: parliament {parliament.__version__}: {checked} policy documents, "
          f"{len(failures)} finding(s), {len(WAIVERS)} waiver(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
