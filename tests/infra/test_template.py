"""template.yaml, after the SAM transform, has every property the product depends on.

Each test names one promise (CORS, throttling, the table surviving the stack, least privilege,
...), so deleting or weakening that part of the template fails exactly that test.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from conftest import ROOT, only_resource, resources_of_type, transform
from intrinsics import deployed_resources, parameter_values

FUNCTION = "CounterFunction"
TABLE = "CounterTable"
API = "CounterApi"
ROLE = "CounterFunctionRole"  # the role SAM generates for CounterFunction


def get_att(value: Any) -> tuple[str, str] | None:
    """("Resource", "Attribute") of a Fn::GetAtt in either the list or the dotted form."""
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        att = value["Fn::GetAtt"]
        name, attr = att.split(".", 1) if isinstance(att, str) else att
        return name, attr
    return None


def function(cfn: dict[str, Any]) -> dict[str, Any]:
    fn = cfn["Resources"][FUNCTION]
    assert fn["Type"] == "AWS::Lambda::Function"
    return fn["Properties"]


# --- the Lambda function ---------------------------------------------------------------------


def test_function_is_the_rust_bootstrap_on_an_os_only_runtime(sam_template, cfn):
    props = function(cfn)
    assert props["Handler"] == "bootstrap"
    assert props["Runtime"] == {"Ref": "LambdaRuntime"}
    assert props["Architectures"] == ["x86_64"]
    assert props["MemorySize"] == 128
    assert props["Timeout"] == 3

    source = sam_template["Resources"][FUNCTION]
    assert source["Properties"]["CodeUri"] == ".", "CodeUri must be the Cargo package (repo root)"
    assert source["Metadata"]["BuildMethod"] == "rust-cargolambda"
    assert source["Metadata"].get("BuildProperties", {}).get("Binary", "bootstrap") == "bootstrap"
    cargo = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    assert re.search(r'\[\[bin\]\]\s*name\s*=\s*"bootstrap"', cargo), "Cargo.toml has no bootstrap binary"


def test_runtime_parameter_defaults_to_provided_al2023_and_allows_al2(cfn):
    # provided.al2 is deprecated; it stays selectable for stacks that still run on it.
    param = cfn["Parameters"]["LambdaRuntime"]
    assert param["Type"] == "String"
    assert param["Default"] == "provided.al2023"
    assert sorted(param["AllowedValues"]) == ["provided.al2", "provided.al2023"]


def test_cargo_metadata_pins_the_glibc_2_26_target():
    # SAM passes no --target for provided.al2023, so this Cargo.toml entry is what keeps the one
    # artifact at glibc <= 2.26 for both runtimes (scripts/sam.sh build checks the binary).
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))
    build = cargo["package"]["metadata"]["lambda"]["build"]
    assert build["target"] == ["x86_64-unknown-linux-gnu.2.26"]


def test_function_environment(cfn):
    assert function(cfn)["Environment"]["Variables"] == {
        "DYNAMODB_TABLE": {"Ref": TABLE},
        "DYNAMODB_ENDPOINT": "",
        "COUNTER_ALLOWED_PATHS": {"Ref": "AllowedPaths"},
        "COUNTER_COUNT_CRAWLERS": {"Ref": "CountCrawlers"},
        "COUNTER_ALLOWED_ORIGINS": {"Ref": "AllowedOrigins"},
        "COUNTER_MAX_PATH_BYTES": {"Ref": "MaxPathBytes"},
        "COUNTER_REPEAT_WINDOW_SECONDS": {"Ref": "RepeatWindowSeconds"},
    }


def test_path_cap_defaults_to_256_bytes_and_stops_at_dynamodbs_limit(cfn):
    param = cfn["Parameters"]["MaxPathBytes"]
    assert param["Type"] == "Number"
    assert param["Default"] == 256
    assert (param["MinValue"], param["MaxValue"]) == (1, 2048)


def test_allowed_paths_says_it_is_the_guard_against_junk_keys(sam_template):
    description = " ".join(sam_template["Parameters"]["AllowedPaths"]["Description"].split())
    assert "guard against junk keys" in description, description


def test_allowed_paths_is_optional_and_empty_by_default(cfn):
    param = cfn["Parameters"]["AllowedPaths"]
    assert param["Type"] == "String"
    assert param["Default"] == "", "an empty default means: no allow-list, count any path"
    assert "/,/index.html,/blog/*" in param["Description"], "an example that means what it says"


def test_crawlers_are_not_counted_by_default(cfn):
    param = cfn["Parameters"]["CountCrawlers"]
    assert param["Default"] == "false"
    assert sorted(param["AllowedValues"]) == ["false", "true"]


def test_repeats_are_folded_for_ten_minutes_by_default_and_0_turns_it_off(cfn):
    param = cfn["Parameters"]["RepeatWindowSeconds"]
    assert param["Type"] == "Number"
    assert (param["Default"], param["MinValue"], param["MaxValue"]) == (600, 0, 86400)
    assert "0 turns it off" in param["Description"]


def test_function_logs_json_to_a_log_group_with_retention(cfn):
    logging = function(cfn)["LoggingConfig"]
    assert logging["LogFormat"] == "JSON", "the function writes JSON lines (tracing-subscriber json)"
    group_ref = logging["LogGroup"]
    assert set(group_ref) == {"Ref"}, "LoggingConfig.LogGroup must name the template's log group"
    group = cfn["Resources"][group_ref["Ref"]]
    assert group["Type"] == "AWS::Logs::LogGroup"
    retention = group["Properties"]["RetentionInDays"]
    if isinstance(retention, dict):
        retention = cfn["Parameters"][retention["Ref"]]["Default"]
    assert int(retention) > 0


def test_gateway_invokes_the_function_for_get_counter_only(cfn):
    body = cfn["Resources"][API]["Properties"]["Body"]
    assert list(body["paths"]) == ["/counter"]
    assert list(body["paths"]["/counter"]) == ["get"]
    integration = body["paths"]["/counter"]["get"]["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws_proxy"
    assert integration["payloadFormatVersion"] == "2.0"
    assert f"${{{FUNCTION}.Arn}}" in integration["uri"]["Fn::Sub"]

    permissions = resources_of_type(cfn, "AWS::Lambda::Permission")
    assert len(permissions) == 1
    (permission,) = permissions.values()
    assert permission["Properties"]["FunctionName"] == {"Ref": FUNCTION}
    arn, variables = permission["Properties"]["SourceArn"]["Fn::Sub"]
    assert arn.endswith("/GET/counter")
    assert variables["__ApiId__"] == {"Ref": API}


# --- least privilege ------------------------------------------------------------------------

TABLE_ARN = re.compile(
    r"arn:\$\{AWS::Partition\}:dynamodb:\$\{AWS::Region\}:\$\{AWS::AccountId\}:"
    r"table/\$\{tableName\}(/index/\*)?"
)
WRITE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"}


def is_counter_table_arn(resource: Any) -> bool:
    if get_att(resource) == (TABLE, "Arn"):
        return True
    if isinstance(resource, dict) and set(resource) == {"Fn::Sub"}:
        sub = resource["Fn::Sub"]
        if isinstance(sub, list):
            text, variables = sub
            return bool(TABLE_ARN.fullmatch(text)) and variables == {"tableName": {"Ref": TABLE}}
    return False


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in role["Properties"].get("Policies", []):
        found.extend(policy["PolicyDocument"]["Statement"])
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_function_role_is_the_generated_role(cfn):
    assert get_att(function(cfn)["Role"]) == (ROLE, "Arn")
    assert cfn["Resources"][ROLE]["Type"] == "AWS::IAM::Role"


def test_role_writes_and_gets_items_of_the_counter_table_only(cfn):
    role = cfn["Resources"][ROLE]
    allowed = WRITE_ACTIONS | {"dynamodb:GetItem"}
    dynamodb_actions = set()
    for statement in statements(role):
        assert statement["Effect"] == "Allow"
        actions = set(as_list(statement["Action"]))
        assert all(a.startswith("dynamodb:") for a in actions), f"unexpected actions {actions}"
        assert actions <= allowed, f"more than writes and GetItem: {sorted(actions - allowed)}"
        for resource in as_list(statement["Resource"]):
            assert is_counter_table_arn(resource), f"not scoped to {TABLE}: {resource}"
        dynamodb_actions |= actions
    assert "dynamodb:UpdateItem" in dynamodb_actions, "counting is UpdateItem"
    assert "dynamodb:GetItem" in dynamodb_actions, "reading is GetItem"
    # No Scan, Query or BatchGetItem: nothing can read the table in bulk.
    assert not dynamodb_actions & {"dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem"}


def test_role_has_only_the_basic_execution_managed_policy(cfn):
    managed = cfn["Resources"][ROLE]["Properties"].get("ManagedPolicyArns", [])
    assert managed == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]


# --- the HTTP API ---------------------------------------------------------------------------


def deployed_cors(sam_template: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    """The API's CORS as deployed with these parameters: transformed with them (the translator
    resolves parameter Refs there), Fn::If chosen, Fn::Split applied."""
    cfn = transform(sam_template, given)
    api = deployed_resources(cfn, given)[API]
    assert api["Type"] == "AWS::ApiGatewayV2::Api"
    cors = dict(api["Properties"]["Body"].get("x-amazon-apigateway-cors") or {})
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


def test_http_api_answers_cors_for_any_origin(sam_template):
    cors = deployed_cors(sam_template, {})
    assert cors["allowOrigins"] == ["*"]
    methods = {m.upper() for m in cors["allowMethods"]}
    assert "*" in methods or {"GET", "OPTIONS"} <= methods


def test_http_api_cors_allows_exactly_the_allowed_origins(sam_template):
    sites = "https://ada.example,https://www.ada.example"
    cors = deployed_cors(sam_template, {"AllowedOrigins": sites})
    assert cors["allowOrigins"] == ["https://ada.example", "https://www.ada.example"]
    local = deployed_cors(sam_template, {"AllowedOrigins": "http://127.0.0.1:3001"})
    assert local["allowOrigins"] == ["http://127.0.0.1:3001"]
    # Everything else as with every origin allowed.
    assert {k: v for k, v in cors.items() if k != "allowOrigins"} == {
        k: v for k, v in deployed_cors(sam_template, {}).items() if k != "allowOrigins"
    }
    methods = {m.upper() for m in cors["allowMethods"]}
    assert "*" in methods or {"GET", "OPTIONS"} <= methods


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
    stages = {
        name: r
        for name, r in resources_of_type(cfn, "AWS::ApiGatewayV2::Stage").items()
        if r["Properties"]["ApiId"] == {"Ref": API}
    }
    assert len(stages) == 1, f"expected one stage for {API}, found {sorted(stages)}"
    (stage,) = stages.values()
    settings = stage["Properties"].get("DefaultRouteSettings")
    assert settings, "DefaultRouteSettings missing: the API would be unthrottled"
    assert settings.get("ThrottlingRateLimit") == 10
    assert settings.get("ThrottlingBurstLimit") == 10
    for route, override in stage["Properties"].get("RouteSettings", {}).items():
        assert override.get("ThrottlingRateLimit", 10) <= 10, route
        assert override.get("ThrottlingBurstLimit", 10) <= 10, route


# --- the table ------------------------------------------------------------------------------


def test_table_survives_stack_deletion_and_replacement(cfn):
    table = cfn["Resources"][TABLE]
    assert table["Type"] == "AWS::DynamoDB::Table"
    # RetainExceptOnCreate: kept on a stack delete; deleted only to roll back a failed create,
    # so that the retry can create it again under its fixed name.
    assert table.get("DeletionPolicy") == "RetainExceptOnCreate", (
        "Retain: a failed first create leaves the table behind and blocks every retry; "
        "Delete: deleting the stack would delete the counts"
    )
    assert table.get("UpdateReplacePolicy") == "Retain", "replacing the table would delete the counts"


def test_table_is_on_demand_keyed_by_path(cfn):
    props = cfn["Resources"][TABLE]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "path", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "path", "AttributeType": "S"}]
    assert "ProvisionedThroughput" not in props


def test_table_has_point_in_time_recovery(cfn):
    props = cfn["Resources"][TABLE]["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_table_refuses_deletion_until_protection_is_turned_off(cfn):
    props = cfn["Resources"][TABLE]["Properties"]
    assert props.get("DeletionProtectionEnabled") == {"Ref": "DeletionProtection"}
    parameter = cfn["Parameters"]["DeletionProtection"]
    assert parameter["Default"] == "true", "a stray delete-table would drop the counts"
    assert parameter["AllowedValues"] == ["true", "false"]


def test_table_name_is_a_parameter(cfn):
    assert cfn["Resources"][TABLE]["Properties"]["TableName"] == {"Ref": "TableName"}
    assert cfn["Parameters"]["TableName"]["Default"] == "CloudResumeCounterHits"


def test_only_one_table_and_one_function(cfn):
    only_resource(cfn, "AWS::DynamoDB::Table")
    only_resource(cfn, "AWS::Lambda::Function")


# --- outputs (CounterUrl, which depends on DomainName: test_guards.py) -----------------------

EXPECTED_OUTPUTS = {
    "CounterFunctionArn": (FUNCTION, "Arn"),
    "CounterFunctionRoleArn": (ROLE, "Arn"),
    "CounterTableName": {"Ref": TABLE},
    "CounterTableArn": (TABLE, "Arn"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_OUTPUTS))
def test_output(cfn, name):
    assert name in cfn.get("Outputs", {}), f"output {name} missing"
    value = cfn["Outputs"][name]["Value"]
    expected = EXPECTED_OUTPUTS[name]
    if isinstance(expected, tuple):
        assert get_att(value) == expected
    else:
        assert value == expected


def walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_every_ref_and_getatt_resolves(cfn):
    known = set(cfn["Resources"]) | set(cfn.get("Parameters", {}))
    for node in walk({"Resources": cfn["Resources"], "Outputs": cfn.get("Outputs", {})}):
        if set(node) == {"Ref"} and not node["Ref"].startswith("AWS::"):
            assert node["Ref"] in known, f"dangling Ref {node['Ref']}"
        if (att := get_att(node)) is not None:
            assert att[0] in cfn["Resources"], f"dangling GetAtt {att}"
