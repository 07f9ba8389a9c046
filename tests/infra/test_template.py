"""template.yaml, after the SAM transform, has every property the product depends on that no
linter holds: checkov (scripts/scan-templates.sh, `make lint`) checks point-in-time recovery, log
retention, access logging and IAM wildcards; cfn-lint every Ref and GetAtt and that each default
is within its parameter's constraints. Each test names one promise (CORS, throttling, the table
surviving the stack, least privilege, ...), so weakening that part of the template fails it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import ROOT, as_list, default_stage, get_att, only_resource, statements, transform
from intrinsics import deployed_resources, evaluate, parameter_values

FUNCTION = "CounterFunction"
TABLE = "CounterTable"
API = "CounterApi"
ROLE = "CounterFunctionRole"  # the role SAM generates for CounterFunction


def function(cfn: dict[str, Any]) -> dict[str, Any]:
    return cfn["Resources"][FUNCTION]["Properties"]


# The parameters as README's configuration table documents them: the one place each documented
# default (and range) is asserted. The caps' and the throttle's arithmetic is test_guards.py's.
DOCUMENTED = {
    "LambdaRuntime": {"Default": "provided.al2023"},
    "Architecture": {"Default": "x86_64", "AllowedValues": ["x86_64", "arm64"]},
    "AllowedPaths": {"Default": ""},  # empty: count any path
    "AllowedOrigins": {"Default": ""},  # empty: every site, CORS *
    "CountCrawlers": {"Default": "false"},
    "MaxPathBytes": {"Default": 256, "MinValue": 1, "MaxValue": 2048},  # 2048: DynamoDB's key limit
    "RepeatWindowSeconds": {"Default": 600, "MinValue": 0, "MaxValue": 86400},
    "HitsPerAddress": {"Default": 10, "MinValue": 1, "MaxValue": 255},
    "LogRetentionInDays": {"Default": 30},
    "AlarmEmail": {"Default": ""},
    "DeletionProtection": {"Default": "true"},  # a stray delete-table would drop the counts
    "MaxWriteRequestUnits": {"Default": 100},
    "MaxReadRequestUnits": {"Default": 200},
    "MonthlyBudgetUsd": {"Default": 5},
    "DomainName": {"Default": ""},
    "CertificateArn": {"Default": ""},
    "HostedZoneId": {"Default": ""},
    "DisableExecuteApiEndpoint": {"Default": "false"},
}


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_parameter_is_as_documented(cfn, name):
    param = cfn["Parameters"][name]
    assert {key: param.get(key) for key in DOCUMENTED[name]} == DOCUMENTED[name]


# --- the Lambda function ---------------------------------------------------------------------


@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_function_runs_on_the_architecture_chosen(sam_template, architecture):
    # The artifact `LAMBDA_ARCHITECTURE=… make build` builds for it (scripts/sam.sh checks the
    # ELF): the Ref stays in the transformed template, so CloudFormation resolves it on deploy.
    cfn = transform(sam_template, {"Architecture": architecture})
    params = parameter_values(cfn, {"Architecture": architecture})
    props = deployed_resources(cfn, {"Architecture": architecture})[FUNCTION]["Properties"]
    assert [evaluate(value, cfn, params) for value in props["Architectures"]] == [architecture]


def test_function_has_the_timeout_the_fault_tests_assume(cfn):
    # tests/it/faults.rs's LAMBDA_TIMEOUT: the SDK's attempts must end before it.
    assert function(cfn)["Timeout"] == 3


def test_function_environment(cfn):
    # The names src/config.rs reads; tests/e2e/template-env.test.js starts the binary with them.
    assert function(cfn)["Environment"]["Variables"] == {
        "DYNAMODB_TABLE": {"Ref": TABLE},
        "DYNAMODB_ENDPOINT": "",
        "COUNTER_ALLOWED_PATHS": {"Ref": "AllowedPaths"},
        "COUNTER_COUNT_CRAWLERS": {"Ref": "CountCrawlers"},
        "COUNTER_ALLOWED_ORIGINS": {"Ref": "AllowedOrigins"},
        "COUNTER_MAX_PATH_BYTES": {"Ref": "MaxPathBytes"},
        "COUNTER_REPEAT_WINDOW_SECONDS": {"Ref": "RepeatWindowSeconds"},
        "COUNTER_HITS_PER_ADDRESS": {"Ref": "HitsPerAddress"},
    }


def test_gateway_invokes_the_function_for_get_counter_only(cfn):
    body = cfn["Resources"][API]["Properties"]["Body"]
    assert {path: list(methods) for path, methods in body["paths"].items()} == {"/counter": ["get"]}
    integration = body["paths"]["/counter"]["get"]["x-amazon-apigateway-integration"]
    # src/gateway.rs reads HTTP API v2 events.
    assert (integration["type"], integration["payloadFormatVersion"]) == ("aws_proxy", "2.0")
    assert f"${{{FUNCTION}.Arn}}" in integration["uri"]["Fn::Sub"]

    _, permission = only_resource(cfn, "AWS::Lambda::Permission")
    assert permission["Properties"]["FunctionName"] == {"Ref": FUNCTION}
    arn, variables = permission["Properties"]["SourceArn"]["Fn::Sub"]
    assert arn.endswith("/GET/counter") and variables["__ApiId__"] == {"Ref": API}


# --- least privilege ------------------------------------------------------------------------

def test_function_role_allows_exactly_update_item_and_get_item_on_the_counter_table(cfn):
    # src/store.rs makes two calls: UpdateItem (a hit) and GetItem (a read). Any other
    # data-plane action (PutItem, DeleteItem, BatchWriteItem, Scan, Query, ...) would let stolen
    # credentials overwrite, delete or dump the counts.
    assert get_att(function(cfn)["Role"]) == (ROLE, "Arn")
    role = cfn["Resources"][ROLE]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    granted = set()
    for name, statement in statements(cfn):
        assert name == ROLE and statement["Effect"] == "Allow"
        assert set(statement) == {"Effect", "Action", "Resource"}, f"no NotAction or Condition: {statement}"
        # The table itself: not "*", not its indexes (it has none), not another table.
        assert [get_att(r) for r in as_list(statement["Resource"])] == [(TABLE, "Arn")], statement
        granted |= set(as_list(statement["Action"]))
    assert granted == {"dynamodb:UpdateItem", "dynamodb:GetItem"}


# --- the HTTP API ---------------------------------------------------------------------------


def deployed_cors(sam_template: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    """The API's CORS as deployed with these parameters: transformed with them (the translator
    resolves parameter Refs there), Fn::If chosen, Fn::Split applied."""
    cfn = transform(sam_template, given)
    cors = dict(deployed_resources(cfn, given)[API]["Properties"]["Body"].get("x-amazon-apigateway-cors") or {})
    assert cors, "CorsConfiguration missing: browsers on the resume site would be refused"
    origins = cors["allowOrigins"]
    if isinstance(origins, dict):
        ((separator, source),) = [origins.pop("Fn::Split")]
        assert not origins, cors["allowOrigins"]
        if source == {"Ref": "AllowedOrigins"}:
            source = parameter_values(cfn, given)["AllowedOrigins"]
        origins = source.split(separator)
    cors["allowOrigins"] = origins
    return cors


@pytest.mark.parametrize(
    "given, origins",
    [
        ({}, ["*"]),
        ({"AllowedOrigins": "https://ada.example,https://www.ada.example"}, ["https://ada.example", "https://www.ada.example"]),
        ({"AllowedOrigins": "http://127.0.0.1:3001"}, ["http://127.0.0.1:3001"]),
    ],
    ids=["any", "two-sites", "one-site"],
)
def test_http_api_answers_cors_for_exactly_the_allowed_origins_or_any(sam_template, given, origins):
    cors = deployed_cors(sam_template, given)
    assert cors.pop("allowOrigins") == origins
    methods = {m.upper() for m in cors["allowMethods"]}
    assert "*" in methods or {"GET", "OPTIONS"} <= methods
    # Everything else as with every origin allowed.
    assert cors == {k: v for k, v in deployed_cors(sam_template, {}).items() if k != "allowOrigins"}


@pytest.mark.parametrize(
    "value, accepted",
    [
        ("", True),
        ("https://ada.example", True),
        ("https://ada.example,https://www.ada.example", True),
        ("https://ada.example, https://www.ada.example", False),
        ("https://ada.example,", False),
        (",https://ada.example", False),
        ("https://ada.example,,https://www.ada.example", False),
        (" ", False),
    ],
)
def test_allowed_origins_refuses_blanks_before_they_reach_cors(cfn, value, accepted):
    # CloudFormation matches AllowedPattern against the whole value.
    pattern = cfn["Parameters"]["AllowedOrigins"]["AllowedPattern"]
    assert (re.fullmatch(pattern, value) is not None) == accepted, value


def test_http_api_is_throttled_to_10_rps_burst_10(cfn):
    _, stage = default_stage(cfn)
    settings = stage.get("DefaultRouteSettings") or {}
    assert (settings.get("ThrottlingRateLimit"), settings.get("ThrottlingBurstLimit")) == (10, 10)
    for route, override in stage.get("RouteSettings", {}).items():
        assert override.get("ThrottlingRateLimit", 10) <= 10, route
        assert override.get("ThrottlingBurstLimit", 10) <= 10, route


def test_the_repeat_record_holds_what_the_throttle_lets_through_in_the_default_window(cfn):
    # src/repeat.rs's CAPACITY is sized so that, at the default window, it never forgets a
    # client that has not expired: the throttle's rate times the window must fit in it.
    source = (ROOT / "src/repeat.rs").read_text(encoding="utf-8")
    capacity = int(re.search(r"pub const CAPACITY: usize = ([\d_]+);", source)[1].replace("_", ""))
    window = int(re.search(r"DEFAULT_WINDOW: Duration = Duration::from_secs\((\d+)\)", source)[1])
    _, stage = default_stage(cfn)
    rate = stage["DefaultRouteSettings"]["ThrottlingRateLimit"]
    assert rate * window <= capacity, (rate, window, capacity)


# --- the table ------------------------------------------------------------------------------


def test_table_survives_stack_deletion_replacement_and_a_stray_delete(cfn):
    table = cfn["Resources"][TABLE]
    # RetainExceptOnCreate: kept on a stack delete; deleted only to roll back a failed create,
    # so that the retry can create it again under its fixed name (Retain would block it).
    assert table.get("DeletionPolicy") == "RetainExceptOnCreate"
    assert table.get("UpdateReplacePolicy") == "Retain", "replacing the table would delete the counts"
    assert table["Properties"].get("DeletionProtectionEnabled") == {"Ref": "DeletionProtection"}


def test_table_is_keyed_by_path_and_named_by_a_parameter_and_an_output(cfn):
    # src/store.rs's key; the pipeline names each stack's table, and OPERATIONS.md's recipes
    # find it by the parameter (failed-create) or the output.
    props = cfn["Resources"][TABLE]["Properties"]
    assert props["TableName"] == {"Ref": "TableName"}
    assert props["KeySchema"] == [{"AttributeName": "path", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "path", "AttributeType": "S"}]
    assert cfn["Outputs"]["CounterTableName"]["Value"] == {"Ref": TABLE}
