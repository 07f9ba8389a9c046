"""What CloudFormation will ask a stack's role to do, and whether the role allows it, offline.

For each resource of a deployed stack, the registry schema of its type (as cfn-lint ships it)
lists the calls CloudFormation's handlers make (`handlers.*.permissions`, and the tagging calls
of a type that takes system tags); cfn-lint's Policies.json says which of them IAM authorizes
on a resource and which only on "*". Each call is evaluated against the role's statements on
the resource's ARN, or on the other resource it acts on (the role a function passes). A type
with no rule in ARNS fails naming it, as does every action a role lacks. Left out (EXEMPT):
actions a handler calls only when the template sets a property; set it and they are required.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Callable

import cfnlint

from intrinsics import resolve_sub, sub_variables

CFNLINT_DATA = Path(cfnlint.__file__).parent / "data"
PARTITION, REGION, ACCOUNT = "aws", "us-east-1", "123456789012"
GENERATED = "GENERATEDID0"  # the random suffix CloudFormation gives a name it generates


# --- the registry schemas and IAM's action list ----------------------------------------------


@cache
def _providers() -> dict[str, str]:
    return json.loads((CFNLINT_DATA / "schemas/providers/us-east-1.json").read_text())


@cache
def schema(type_: str) -> dict[str, Any]:
    digest = _providers().get(type_)
    assert digest, f"{type_}: no registry schema in cfn-lint {cfnlint.__version__}"
    return json.loads((CFNLINT_DATA / f"schemas/resources/{digest}.json").read_text())


def handler_actions(type_: str) -> dict[str, list[str]]:
    """handler (create, read, update, delete, tagging) -> the actions CloudFormation calls."""
    s = schema(type_)
    found = {
        name: list(s["handlers"][name].get("permissions", []))
        for name in ("create", "read", "update", "delete")
        if name in s.get("handlers", {})
    }
    tagging = s.get("tagging", {})
    if tagging.get("cloudFormationSystemTags"):
        found["tagging"] = list(tagging.get("permissions", []))
    return found


@cache
def _iam_actions() -> dict[str, Any]:
    return json.loads((CFNLINT_DATA / "AdditionalSpecs/Policies.json").read_text())


def iam_knows(action: str) -> bool:
    service, name = action.split(":", 1)
    return name.lower() in _iam_actions().get(service.lower(), {}).get("Actions", {})


def only_on_star(action: str) -> bool:
    """IAM authorizes this action on no resource narrower than "*"."""
    service, name = action.split(":", 1)
    return not _iam_actions()[service.lower()]["Actions"][name.lower()].get("Resources")


# --- exemptions: actions that depend on a property this template does not set ---------------

# (type, action pattern) -> property path (dots for nesting). An action is left out only while
# the resource leaves that property unset.
EXEMPT: dict[tuple[str, str], str] = {
    # Customer managed KMS keys: no resource here names one.
    ("AWS::Lambda::Function", "kms:*"): "KmsKeyArn",
    ("AWS::DynamoDB::Table", "kms:*"): "SSESpecification.KMSMasterKeyId",
    ("AWS::Logs::LogGroup", "logs:*associateKmsKey"): "KmsKeyId",
    # A function in a VPC, with file systems, layers, code signing, a capacity provider.
    ("AWS::Lambda::Function", "ec2:*"): "VpcConfig",
    ("AWS::Lambda::Function", "elasticfilesystem:*"): "FileSystemConfigs",
    ("AWS::Lambda::Function", "s3files:*"): "FileSystemConfigs",
    ("AWS::Lambda::Function", "lambda:GetLayerVersion"): "Layers",
    ("AWS::Lambda::Function", "lambda:*CodeSigningConfig"): "CodeSigningConfigArn",
    ("AWS::Lambda::Function", "lambda:PassCapacityProvider"): "CapacityProviderConfig",
    ("AWS::Lambda::Function", "lambda:*FunctionConcurrency"): "ReservedConcurrentExecutions",
    ("AWS::Lambda::Function", "lambda:*RuntimeManagementConfig"): "RuntimeManagementConfig",
    ("AWS::Lambda::Function", "lambda:PutFunctionRecursionConfig"): "RecursiveLoop",
    ("AWS::Lambda::Function", "lambda:PutFunctionScalingConfig"): "FunctionScalingConfig",
    ("AWS::Lambda::Function", "lambda:PublishVersion"): "PublishToLatestPublished",
    # A role with a permissions boundary, managed policies, a description.
    ("AWS::IAM::Role", "iam:*RolePermissionsBoundary"): "PermissionsBoundary",
    ("AWS::IAM::Role", "iam:*tachRolePolicy"): "ManagedPolicyArns",
    ("AWS::IAM::Role", "iam:UpdateRoleDescription"): "Description",
    # Log groups: data protection, field indexes, resource policies, deletion protection,
    # delivery to S3 or Firehose, bearer-token ingestion.
    ("AWS::Logs::LogGroup", "logs:*DataProtectionPolicy"): "DataProtectionPolicy",
    ("AWS::Logs::LogGroup", "logs:*IndexPolic*"): "FieldIndexPolicies",
    ("AWS::Logs::LogGroup", "logs:*ResourcePolic*"): "ResourcePolicyDocument",
    ("AWS::Logs::LogGroup", "logs:CreateLogDelivery"): "LogGroupClass",
    ("AWS::Logs::LogGroup", "firehose:*"): "LogGroupClass",
    ("AWS::Logs::LogGroup", "logs:PutLogGroupDeletionProtection"): "DeletionProtectionEnabled",
    ("AWS::Logs::LogGroup", "logs:PutBearerTokenAuthentication"): "BearerTokenAuthenticationEnabled",
    # Tables: imports from S3, Kinesis streaming, contributor insights, resource policies, TTL,
    # replicas (which read and write items to copy them).
    ("AWS::DynamoDB::Table", "dynamodb:*Import*"): "ImportSourceSpecification",
    ("AWS::DynamoDB::Table", "s3:*"): "ImportSourceSpecification",
    ("AWS::DynamoDB::Table", "logs:*"): "ImportSourceSpecification",
    ("AWS::DynamoDB::Table", "dynamodb:*KinesisStreamingDestination"): "KinesisStreamSpecification",
    ("AWS::DynamoDB::Table", "kinesis:*"): "KinesisStreamSpecification",
    ("AWS::DynamoDB::Table", "dynamodb:*ContributorInsights"): "ContributorInsightsSpecification",
    ("AWS::DynamoDB::Table", "dynamodb:*ResourcePolicy"): "ResourcePolicy",
    ("AWS::DynamoDB::Table", "dynamodb:UpdateTimeToLive"): "TimeToLiveSpecification",
    # Topics and subscriptions: data protection, delivery-status logging, Firehose roles.
    ("AWS::SNS::Topic", "sns:*DataProtectionPolicy"): "DataProtectionPolicy",
    ("AWS::SNS::Topic", "iam:*"): "DeliveryStatusLogging",
    ("AWS::SNS::Subscription", "iam:*"): "SubscriptionRoleArn",
    ("AWS::SNS::Subscription", "sns:SetSubscriptionAttributes"): "SubscriptionRoleArn",
    # An HTTP API imported from an OpenAPI file in S3.
    ("AWS::ApiGatewayV2::Api", "s3:*"): "BodyS3Location",
    # The artifact bucket: replication (a role), S3 Tables and metadata tables, ACLs on objects,
    # inventory, analytics, metrics, websites, acceleration, intelligent tiering. (What the
    # pipeline stack's role grants anyway, s3:PutBucket* among it, needs no exemption.)
    ("AWS::S3::Bucket", "iam:PassRole"): "ReplicationConfiguration",
    ("AWS::S3::Bucket", "s3:Put*Replication*"): "ReplicationConfiguration",
    ("AWS::S3::Bucket", "s3tables:*"): "MetadataTableConfiguration",
    ("AWS::S3::Bucket", "s3:*BucketMetadata*"): "MetadataTableConfiguration",
    ("AWS::S3::Bucket", "s3:PutObjectAcl"): "AccessControl",
    ("AWS::S3::Bucket", "s3:PutInventoryConfiguration"): "InventoryConfigurations",
    ("AWS::S3::Bucket", "s3:*AnalyticsConfiguration"): "AnalyticsConfigurations",
    ("AWS::S3::Bucket", "s3:*MetricsConfiguration"): "MetricsConfigurations",
    ("AWS::S3::Bucket", "s3:*BucketWebsite"): "WebsiteConfiguration",
    ("AWS::S3::Bucket", "s3:PutAccelerateConfiguration"): "AccelerateConfiguration",
    ("AWS::S3::Bucket", "s3:PutIntelligentTieringConfiguration"): "IntelligentTieringConfigurations",
    # CodePipeline: stage transitions are disabled only when a stage says so.
    ("AWS::CodePipeline::Pipeline", "codepipeline:*StageTransition"): "DisableInboundStageTransitions",
}


# (type, action pattern) -> why: actions no property of this schema's version can call for.
# A test fails when the type gains a property they may belong to (then move them to EXEMPT).
NO_PROPERTY_YET: dict[tuple[str, str], str] = {
    # Replicas: AWS::DynamoDB::GlobalTable's, not a property of AWS::DynamoDB::Table; copying
    # a replica reads and writes items, under the service-linked role replication creates.
    # Granting them would let the deploy role read and change the counts.
    ("AWS::DynamoDB::Table", "dynamodb:*TableReplica"): "replicas",
    ("AWS::DynamoDB::Table", "dynamodb:Scan"): "replicas",
    ("AWS::DynamoDB::Table", "dynamodb:Query"): "replicas",
    ("AWS::DynamoDB::Table", "dynamodb:*Item"): "replicas",
    ("AWS::DynamoDB::Table", "iam:CreateServiceLinkedRole"): "replicas",
}


def _has_property(properties: dict[str, Any], path: str) -> bool:
    node: Any = properties
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def exemption(type_: str, action: str, properties: dict[str, Any]) -> str | None:
    """The property an exempt action depends on, while the resource leaves it unset."""
    for (t, pattern), prop in EXEMPT.items():
        if t == type_ and fnmatch.fnmatchcase(action.lower(), pattern.lower()):
            if not _has_property(properties, prop):
                return prop
    for (t, pattern), why in NO_PROPERTY_YET.items():
        if t == type_ and fnmatch.fnmatchcase(action.lower(), pattern.lower()):
            return why
    return None


# --- a stack, resolved: names, ids and ARNs of its resources ----------------------------------


@dataclass
class Stack:
    name: str
    resources: dict[str, dict[str, Any]]  # deployed_resources: conditions and Fn::If applied
    params: dict[str, str]

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::StackName": self.name, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION, "AWS::URLSuffix": "amazonaws.com",
        }

    def resolve(self, node: Any) -> Any:
        """Ref, Fn::GetAtt (Arn) and the one-string Fn::Sub, the ones the two templates use."""
        if isinstance(node, list):
            return [self.resolve(n) for n in node]
        if not isinstance(node, dict):
            return node if not isinstance(node, bool) else str(node).lower()
        if len(node) != 1 or not next(iter(node)).startswith(("Ref", "Fn::")):
            return {k: self.resolve(v) for k, v in node.items()}
        (fn, arg), = node.items()
        if fn == "Ref":
            return self.ref(arg)
        if fn == "Fn::GetAtt":
            logical, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
            return self.get_att(logical, attribute)
        if fn == "Fn::Sub":
            value_of = lambda n: self.get_att(*n.split(".", 1)) if "." in n else self.ref(n)  # noqa: E731
            return resolve_sub(node, {n: value_of(n) for n in sub_variables(node)})
        raise ValueError(f"stack_permissions cannot resolve {fn}: {arg!r}")

    def ref(self, name: str) -> str:
        if name in self.pseudo():
            return self.pseudo()[name]
        if name in self.params:
            return self.params[name]
        if self.type_of(name) in REF_IS_ARN:
            return self.arn(name)
        return self.physical_id(name)

    def get_att(self, logical: str, attribute: str) -> str:
        assert attribute == "Arn", f"stack_permissions cannot resolve {logical}.{attribute}"
        return self.arn(logical)

    def props(self, logical: str) -> dict[str, Any]:
        return self.resources[logical].get("Properties", {})

    def type_of(self, logical: str) -> str:
        return self.resources[logical]["Type"]

    def rule(self, logical: str) -> ArnRule:
        type_ = self.type_of(logical)
        assert type_ in ARNS, (
            f"{logical}: no ARN rule for {type_} in tests/infra/stack_permissions.py ARNS: add one "
            "(the ARN IAM authorizes its actions on, from the service's authorization reference)"
        )
        return ARNS[type_]

    def physical_id(self, logical: str) -> str:
        """What Ref gives: the name the template sets, or the one CloudFormation generates."""
        rule = self.rule(logical)
        if rule.name:
            node: Any = self.props(logical)
            for key in rule.name.split("."):
                node = node.get(key) if isinstance(node, dict) else None
            if node is not None:
                return str(self.resolve(node))
        generated = f"{self.name}-{logical}-{GENERATED}"
        return generated.lower() if self.type_of(logical) == "AWS::S3::Bucket" else generated

    def arn(self, logical: str) -> str:
        return self.rule(logical).arn(self, logical)


def _fmt(template: str, **values: str) -> str:
    return template.format(P=PARTITION, R=REGION, A=ACCOUNT, **values)


@dataclass(frozen=True)
class ArnRule:
    name: str | None  # the property naming it (dots for nesting); None: an id CloudFormation picks
    arn: Callable[[Stack, str], str]


def _named(template: str) -> Callable[[Stack, str], str]:
    return lambda s, logical: _fmt(template, name=s.physical_id(logical))


def _on(prop: str, of_type: str, template: str | None = None) -> Callable[[Stack, str], str]:
    """A resource IAM authorizes on another one: the resource its property points at."""

    def arn(s: Stack, logical: str) -> str:
        value = s.resolve(s.props(logical)[prop])
        if template:
            return _fmt(template, name=value)
        (target,) = [n for n in s.resources if s.physical_id(n) == value and s.type_of(n) == of_type]
        return s.arn(target)

    return arn


def _api_stage(s: Stack, logical: str) -> str:
    return _fmt("arn:{P}:apigateway:{R}::/apis/{api}/stages/{stage}",
                api=s.resolve(s.props(logical)["ApiId"]), stage=s.resolve(s.props(logical)["StageName"]))


def _api_id(s: Stack, logical: str) -> str:
    return _fmt("arn:{P}:apigateway:{R}::/apis/{id}", id=s.physical_id(logical))


# type -> how IAM names it, for the types the two stacks deploy (the custom domain's are not
# deployed by the pipeline). Ids CloudFormation does not let a template choose are placeholders.
ARNS: dict[str, ArnRule] = {
    "AWS::DynamoDB::Table": ArnRule("TableName", _named("arn:{P}:dynamodb:{R}:{A}:table/{name}")),
    "AWS::Lambda::Function": ArnRule("FunctionName", _named("arn:{P}:lambda:{R}:{A}:function:{name}")),
    "AWS::Lambda::Permission": ArnRule(
        None, _on("FunctionName", "AWS::Lambda::Function", "arn:{P}:lambda:{R}:{A}:function:{name}")
    ),
    "AWS::IAM::Role": ArnRule("RoleName", _named("arn:{P}:iam::{A}:role/{name}")),
    "AWS::Logs::LogGroup": ArnRule(
        "LogGroupName", _named("arn:{P}:logs:{R}:{A}:log-group:{name}:*")
    ),
    "AWS::Logs::MetricFilter": ArnRule(
        None, _on("LogGroupName", "AWS::Logs::LogGroup", "arn:{P}:logs:{R}:{A}:log-group:{name}:*")
    ),
    "AWS::CloudWatch::Alarm": ArnRule("AlarmName", _named("arn:{P}:cloudwatch:{R}:{A}:alarm:{name}")),
    "AWS::CloudWatch::Dashboard": ArnRule(
        "DashboardName", _named("arn:{P}:cloudwatch::{A}:dashboard/{name}")
    ),
    "AWS::SNS::Topic": ArnRule("TopicName", _named("arn:{P}:sns:{R}:{A}:{name}")),
    "AWS::SNS::Subscription": ArnRule(None, _on("TopicArn", "AWS::SNS::Topic")),
    "AWS::ApiGatewayV2::Api": ArnRule(None, _api_id),
    "AWS::ApiGatewayV2::Stage": ArnRule(None, _api_stage),
    "AWS::Budgets::Budget": ArnRule("Budget.BudgetName", _named("arn:{P}:budgets::{A}:budget/{name}")),
    "AWS::S3::Bucket": ArnRule("BucketName", _named("arn:{P}:s3:::{name}")),
    "AWS::S3::BucketPolicy": ArnRule(None, _on("Bucket", "AWS::S3::Bucket", "arn:{P}:s3:::{name}")),
    "AWS::CodeBuild::Project": ArnRule("Name", _named("arn:{P}:codebuild:{R}:{A}:project/{name}")),
    "AWS::CodeBuild::ReportGroup": ArnRule(
        "Name", _named("arn:{P}:codebuild:{R}:{A}:report-group/{name}")
    ),
    "AWS::CodePipeline::Pipeline": ArnRule("Name", _named("arn:{P}:codepipeline:{R}:{A}:{name}")),
    # GitHub's OIDC provider (github-oidc.yaml): its ARN ends in the issuer's host.
    "AWS::IAM::OIDCProvider": ArnRule(
        None, lambda s, logical: _fmt("arn:{P}:iam::{A}:oidc-provider/{host}",
                                      host=s.props(logical)["Url"].removeprefix("https://"))
    ),
    "AWS::CodeConnections::Connection": ArnRule(
        None, lambda s, logical: _fmt("arn:{P}:codeconnections:{R}:{A}:connection/{id}",
                                      id=f"{logical.lower()}-uuid")
    ),
}


# Types whose Ref is their ARN, not a name.
REF_IS_ARN = {"AWS::IAM::OIDCProvider", "AWS::CodeConnections::Connection"}


# --- actions on another resource than the one being deployed ---------------------------------


def _connections(s: Stack, logical: str) -> list[str]:
    stages = s.props(logical).get("Stages", [])
    return [
        s.resolve(a["Configuration"]["ConnectionArn"])
        for stage in stages for a in stage["Actions"]
        if "ConnectionArn" in a.get("Configuration", {})
    ]


def _code_object(s: Stack, logical: str) -> list[str]:
    code = s.resolve(s.props(logical)["Code"])
    return [_fmt("arn:{P}:s3:::{b}/{k}", b=code["S3Bucket"], k=code["S3Key"])]


def _property(prop: str) -> Callable[[Stack, str], list[str]]:
    return lambda s, logical: [s.resolve(s.props(logical)[prop])]


# (type, action pattern) -> the ARNs that action is authorized on, where not the resource's own.
OTHER_RESOURCE: dict[tuple[str, str], Callable[[Stack, str], list[str]]] = {
    ("AWS::Lambda::Function", "iam:PassRole"): _property("Role"),
    ("AWS::Lambda::Function", "s3:GetObject*"): _code_object,
    ("AWS::CodePipeline::Pipeline", "iam:*"): _property("RoleArn"),
    # Object calls among a bucket's (create empties what it may have written): its objects.
    ("AWS::S3::Bucket", "s3:DeleteObject"): lambda s, logical: [s.arn(logical) + "/*"],
    ("AWS::CodePipeline::Pipeline", "codestar-connections:PassConnection"): _connections,
    # A budget's handler reads the billing view it is on, not the budget.
    ("AWS::Budgets::Budget", "billing:*"): lambda s, logical: [_fmt("arn:{P}:billing::{A}:billingview/SOMEID")],
}

# The service a PassRole hands the role to, for the iam:PassedToService condition.
PASSED_TO = {
    "AWS::Lambda::Function": "lambda.amazonaws.com",
    "AWS::CodePipeline::Pipeline": "codepipeline.amazonaws.com",
}


def authorized_on(s: Stack, logical: str, action: str) -> list[str]:
    type_ = s.type_of(logical)
    for (t, pattern), targets in OTHER_RESOURCE.items():
        if t == type_ and fnmatch.fnmatchcase(action.lower(), pattern.lower()):
            return targets(s, logical)
    if only_on_star(action):
        return ["*"]
    return [s.arn(logical)]


# --- the role, and IAM's evaluation of an Allow --------------------------------------------


@dataclass(frozen=True)
class Grant:
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: dict[str, Any] | None


def grants(pipeline: Stack, role: str) -> list[Grant]:
    """The role's Allow statements (inline policies), resolved in the pipeline's stack."""
    found = []
    for policy in pipeline.props(role).get("Policies", []):
        for st in pipeline.resolve(policy["PolicyDocument"])["Statement"]:
            assert st["Effect"] == "Allow" and "NotAction" not in st and "NotResource" not in st
            as_tuple = lambda v: tuple(v if isinstance(v, list) else [v])  # noqa: E731
            found.append(Grant(as_tuple(st["Action"]), as_tuple(st["Resource"]), st.get("Condition")))
    return found


def _condition_holds(condition: dict[str, Any] | None, passed_to: str | None) -> bool:
    if not condition:
        return True
    if set(condition) != {"StringEquals"} or set(condition["StringEquals"]) != {"iam:PassedToService"}:
        return False  # a condition this evaluator does not know: never assume it holds
    services = condition["StringEquals"]["iam:PassedToService"]
    return passed_to in (services if isinstance(services, list) else [services])


def allows(role_grants: list[Grant], action: str, arn: str, passed_to: str | None = None) -> bool:
    return any(
        any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in g.actions)
        and any(fnmatch.fnmatchcase(arn, r) for r in g.resources)
        and _condition_holds(g.condition, passed_to)
        for g in role_grants
    )


def missing_actions(role_grants: list[Grant], stack: Stack) -> list[str]:
    """Every action the schemas require for the stack's resources that the role does not allow."""
    found = []
    for logical, resource in stack.resources.items():
        type_ = resource["Type"]
        props = resource.get("Properties", {})
        for handler, actions in handler_actions(type_).items():
            if handler == "delete" and never_deleted(resource):
                continue
            for action in actions:
                # IAM cannot authorize what it does not define (e.g. apigateway:TagResource,
                # s3:REST.PUT.OBJECT): there is nothing to grant.
                if not iam_knows(action) or exemption(type_, action, props):
                    continue
                for arn in authorized_on(stack, logical, action):
                    if not allows(role_grants, action, arn, PASSED_TO.get(type_)):
                        found.append(f"{stack.name} {logical} ({type_}): {handler} needs {action} on {arn}")
    return found


def never_deleted(resource: dict[str, Any]) -> bool:
    """Retain on delete and on replacement: CloudFormation never calls the delete handler
    (RetainExceptOnCreate does, to roll back a failed create)."""
    return resource.get("DeletionPolicy") == "Retain" and resource.get("UpdateReplacePolicy") == "Retain"


def without_handlers(stack: Stack) -> set[str]:
    """Types whose schema lists no handlers: CloudFormation's older providers, not checkable."""
    return {r["Type"] for r in stack.resources.values() if not schema(r["Type"]).get("handlers")}
