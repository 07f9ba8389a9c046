"""github-oidc.yaml, GitHub Actions' road into the account, offline: who may assume each role
(GitHub's OIDC token: one repository, one environment, audience sts.amazonaws.com) and what each
may do. What its deploy role may do is test_role_permissions.py's."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import ROOT, as_list, get_att, load_template, resources_of_type, statements
from intrinsics import resolve_sub

GITHUB_OIDC = ROOT / "github-oidc.yaml"
TOKEN = "token.actions.githubusercontent.com"
REPO = "you/cloudresumecounter"
ENVIRONMENT_ROLES = {"TestEnvironmentRole": "TestEnvironment", "ProductionEnvironmentRole": "ProductionEnvironment"}
STACK_OF = {"TestEnvironmentRole": "TestStackName", "ProductionEnvironmentRole": "ProdStackName"}


@pytest.fixture(scope="module")
def oidc() -> dict[str, Any]:
    return load_template(GITHUB_OIDC)


def defaults(oidc: dict[str, Any]) -> dict[str, str]:
    values = {name: str(p.get("Default", "")) for name, p in oidc["Parameters"].items()}
    return values | {"GitHubRepository": REPO, "AWS::Partition": "aws", "AWS::Region": "us-east-1",
                     "AWS::AccountId": "123456789012"}


def federated_roles(oidc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Roles whose trust policy lets a web identity in."""
    return {
        name: role for name, role in resources_of_type(oidc, "AWS::IAM::Role").items()
        if any("Federated" in s["Principal"] for s in role["Properties"]["AssumeRolePolicyDocument"]["Statement"])
    }


def test_one_role_per_environment(oidc):
    assert set(federated_roles(oidc)) == set(ENVIRONMENT_ROLES)
    environments = {oidc["Parameters"][p]["Default"] for p in ENVIRONMENT_ROLES.values()}
    assert environments == {"test", "production"}
    for parameter in ENVIRONMENT_ROLES.values():
        # No wildcard can reach the sub claim through a parameter either.
        assert re.fullmatch(oidc["Parameters"][parameter]["AllowedPattern"], "*") is None


@pytest.mark.parametrize("role", sorted(ENVIRONMENT_ROLES))
def test_each_trust_policy_names_one_repository_and_one_environment(oidc, role):
    (trust,) = oidc["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"] == {
        "Federated": {"Fn::If": ["CreateOidcProvider", {"Ref": "GitHubOidcProvider"}, {"Ref": "OidcProviderArn"}]}
    }
    # StringEquals only: StringLike (or ForAnyValue) would make * and ? wildcards.
    assert set(trust["Condition"]) == {"StringEquals"}, trust["Condition"]
    claims = trust["Condition"]["StringEquals"]
    assert set(claims) == {f"{TOKEN}:aud", f"{TOKEN}:sub"}
    assert claims[f"{TOKEN}:aud"] == "sts.amazonaws.com"
    sub = resolve_sub(claims[f"{TOKEN}:sub"], defaults(oidc))
    environment = oidc["Parameters"][ENVIRONMENT_ROLES[role]]["Default"]
    # Exactly one repository and one environment: a pull request's token
    # (repo:OWNER/NAME:pull_request) or a branch's (ref:refs/heads/...) never matches.
    assert sub == f"repo:{REPO}:environment:{environment}"
    assert "*" not in sub and "?" not in sub


def test_the_provider_is_githubs_for_sts_or_the_one_given(oidc):
    provider = oidc["Resources"]["GitHubOidcProvider"]
    assert provider["Condition"] == "CreateOidcProvider"
    assert provider["Properties"]["Url"] == f"https://{TOKEN}"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    assert oidc["Conditions"]["CreateOidcProvider"] == {"Fn::Equals": [{"Ref": "OidcProviderArn"}, ""]}
    pattern = oidc["Parameters"]["OidcProviderArn"]["AllowedPattern"]
    assert re.fullmatch(pattern, f"arn:aws:iam::123456789012:oidc-provider/{TOKEN}")
    assert not re.fullmatch(pattern, "arn:aws:iam::123456789012:oidc-provider/example.com")


@pytest.mark.parametrize("role", sorted(ENVIRONMENT_ROLES))
def test_an_environment_role_drives_cloudformation_on_its_own_stack_only(oidc, role):
    values = defaults(oidc)
    own_stack = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{values[STACK_OF[role]]}/*"
    transform = "arn:aws:cloudformation:us-east-1:aws:transform/Serverless-2016-10-31"
    for name, statement in statements(oidc):
        if name != role:
            continue
        assert statement["Effect"] == "Allow" and "NotAction" not in statement
        actions = as_list(statement["Action"])
        assert not [a for a in actions if "*" in a], statement
        for resource in as_list(statement["Resource"]):
            assert resource != "*", statement
            if any(a.startswith("cloudformation:") for a in actions):
                assert resolve_sub(resource, values) in {own_stack, transform}, statement
            if "iam:PassRole" in actions:
                # Only CloudFormation's deploy role, and only to CloudFormation.
                assert actions == ["iam:PassRole"] and get_att(resource) == ("CounterDeployRole", "Arn")
                assert statement["Condition"] == {
                    "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}
                }
            if any(a.startswith("s3:") for a in actions):
                assert get_att(resource) == ("ArtifactBucket", "Arn") or resource == {
                    "Fn::Sub": "${ArtifactBucket.Arn}/*"
                }, statement
    granted = {a for n, s in statements(oidc) if n == role for a in as_list(s["Action"])}
    # Never the counter's resources directly: those go through CloudFormation's deploy role.
    assert {a.split(":")[0] for a in granted} == {"cloudformation", "iam", "s3"}
    # Only the test stack may be deleted (a failed first create, sam deploy --on-failure DELETE).
    assert ("cloudformation:DeleteStack" in granted) == (role == "TestEnvironmentRole")


def test_the_deploy_role_is_cloudformations(oidc):
    (trust,) = oidc["Resources"]["CounterDeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "cloudformation.amazonaws.com"}
