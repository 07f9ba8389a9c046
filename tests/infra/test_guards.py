"""An owner's guards in template.yaml, after the SAM transform: the table's cost caps, the
monthly budget, the dashboard's view of the caps, and the optional custom domain, each optional
part with its parameters given and without them. The documented defaults are test_template.py's."""

from __future__ import annotations

import math
from typing import Any

import pytest

from conftest import default_stage, only_resource, resources_of_type
from intrinsics import condition_holds, deployed_resources, evaluate, parameter_values, resolve_ifs
from test_operations import EMAIL, FAKE, widgets

TABLE = "CounterTable"
API = "CounterApi"
DOMAIN = {
    "DomainName": "counter.ada.example",
    "CertificateArn": "arn:aws:acm:eu-west-3:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
}
ZONE = {"HostedZoneId": "Z0123456789ABCDEFGHIJ"}


def deployed_outputs(cfn: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    params = parameter_values(cfn, given)
    return {
        name: resolve_ifs(output, cfn, params)["Value"]
        for name, output in cfn["Outputs"].items()
        if "Condition" not in output or condition_holds(cfn, output["Condition"], params)
    }


def failed_rules(cfn: dict[str, Any], given: dict[str, str]) -> set[str]:
    """The template's Rules that refuse these parameter values before anything is created."""
    params = parameter_values(cfn, given)
    failed = set()
    for name, rule in cfn.get("Rules", {}).items():
        if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], cfn, params):
            continue
        if not all(evaluate(a["Assert"], cfn, params) for a in rule["Assertions"]):
            failed.add(name)
    return failed


# --- the table's cost caps ---------------------------------------------------------------------

# What the gateway's throttle lets reach the table in its worst second, from DynamoDB's rules:
# a write costs one unit per KB of the item (a key of up to 2,048 bytes plus `hits`: 3 units),
# an eventually consistent read half a unit per 4 KB; an operator's Scan page is 1 MB (128).
KEY_BYTES_MAX = 2048  # MaxPathBytes's MaxValue (test_template.py)
ITEM_OVERHEAD_BYTES = len("path") + len("hits") + 21  # attribute names and a number
WRITE_UNITS_PER_HIT = math.ceil((KEY_BYTES_MAX + ITEM_OVERHEAD_BYTES) / 1024)
READ_UNITS_PER_READ = 0.5
SCAN_PAGE_READ_UNITS = 1024 * 1024 / 4096 * 0.5


def worst_second_requests(cfn: dict[str, Any]) -> float:
    settings = default_stage(cfn)[1]["DefaultRouteSettings"]
    # A full bucket, and what refills it during that second.
    return settings["ThrottlingBurstLimit"] + settings["ThrottlingRateLimit"]


def test_table_caps_its_on_demand_throughput_from_two_parameters(cfn):
    props = cfn["Resources"][TABLE]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props.get("OnDemandThroughput") == {
        "MaxReadRequestUnits": {"Ref": "MaxReadRequestUnits"},
        "MaxWriteRequestUnits": {"Ref": "MaxWriteRequestUnits"},
    }, "without OnDemandThroughput the table's throughput, and its bill, has no ceiling"
    for name in ("MaxReadRequestUnits", "MaxWriteRequestUnits"):
        assert int(cfn["Parameters"][name]["MinValue"]) >= 1, f"{name}: DynamoDB reads -1 as 'no maximum'"


def test_write_cap_is_well_above_what_the_throttle_lets_through(cfn):
    worst = worst_second_requests(cfn) * WRITE_UNITS_PER_HIT
    default = int(cfn["Parameters"]["MaxWriteRequestUnits"]["Default"])
    assert default >= 1.5 * worst, f"visitors alone could reach the write cap: {default} < 1.5 × {worst}"
    description = cfn["Parameters"]["MaxWriteRequestUnits"]["Description"]
    assert f"{worst:.0f} units" in description, "the description shows the arithmetic"


def test_read_cap_is_above_the_visitors_reads_and_one_scan_page(cfn):
    worst = worst_second_requests(cfn) * READ_UNITS_PER_READ
    default = int(cfn["Parameters"]["MaxReadRequestUnits"]["Default"])
    assert default >= 1.5 * worst and default >= SCAN_PAGE_READ_UNITS, default
    description = cfn["Parameters"]["MaxReadRequestUnits"]["Description"]
    assert f"({worst:.0f})" in description and f"{SCAN_PAGE_READ_UNITS:.0f} units" in description


# --- the budget ----------------------------------------------------------------------------------


def test_with_an_email_a_monthly_budget_mails_at_a_forecast_and_an_actual_threshold(cfn):
    deployed = {"Resources": deployed_resources(cfn, {"AlarmEmail": EMAIL})}
    props = only_resource(deployed, "AWS::Budgets::Budget")[1]["Properties"]
    budget = props["Budget"]
    assert (budget["BudgetType"], budget["TimeUnit"]) == ("COST", "MONTHLY")
    assert budget["BudgetLimit"] == {"Amount": {"Ref": "MonthlyBudgetUsd"}, "Unit": "USD"}
    kinds = {}
    for entry in props["NotificationsWithSubscribers"]:
        notification = entry["Notification"]
        assert notification["ThresholdType"] == "PERCENTAGE"
        assert notification["ComparisonOperator"] == "GREATER_THAN"
        assert 0 < notification["Threshold"] <= 100, "told before the budget is spent, not after"
        assert entry["Subscribers"] == [{"SubscriptionType": "EMAIL", "Address": {"Ref": "AlarmEmail"}}]
        kinds[notification["NotificationType"]] = notification["Threshold"]
    assert set(kinds) == {"FORECASTED", "ACTUAL"}, kinds


# --- the dashboard shows the table against its caps -----------------------------------------------


@pytest.mark.parametrize("kind", ["Write", "Read"])
def test_dashboard_charts_the_tables_consumed_units_per_second_against_the_cap(cfn, kind):
    table_dims = ["TableName", FAKE[TABLE]]
    charts = [
        w for w in widgets(cfn, "metric")
        if any(line[:4] == ["AWS/DynamoDB", f"Consumed{kind}CapacityUnits", *table_dims] for line in w["metrics"])
    ]
    assert len(charts) == 1, f"no widget charts Consumed{kind}CapacityUnits of the table"
    (chart,) = charts
    (consumed,) = [line for line in chart["metrics"] if line[1:2] == [f"Consumed{kind}CapacityUnits"]]
    assert consumed[-1]["stat"] == "Sum"
    (expression,) = [line[0] for line in chart["metrics"] if "expression" in line[0]]
    assert expression["expression"] == f"{consumed[-1]['id']} / PERIOD({consumed[-1]['id']})", (
        "a Sum over the period is not units per second: divide by PERIOD()"
    )
    (cap,) = chart["annotations"]["horizontal"]
    assert cap["value"] == int(FAKE[f"Max{kind}RequestUnits"]), "the cap line is the parameter's value"
    throttled = [line for line in chart["metrics"] if line[1:2] == [f"{kind}MaxOnDemandThroughputThrottleEvents"]]
    assert throttled and throttled[0][2:4] == table_dims, "requests turned away at the cap"


# --- the custom domain -------------------------------------------------------------------------

EXECUTE_API_URL = {"Fn::Sub": "https://${CounterApi}.execute-api.${AWS::Region}.amazonaws.com/counter"}
DOMAIN_TYPES = {"AWS::ApiGatewayV2::DomainName", "AWS::ApiGatewayV2::ApiMapping", "AWS::Route53::RecordSet"}


def execute_api_disabled(cfn: dict[str, Any], given: dict[str, str]) -> bool:
    api = deployed_resources(cfn, given)[API]["Properties"]["Body"]
    (server,) = api["servers"]
    return server["x-amazon-apigateway-endpoint-configuration"]["disableExecuteApiEndpoint"]


def test_without_a_domain_nothing_changes(cfn):
    deployed = deployed_resources(cfn, {})
    assert not {r["Type"] for r in deployed.values()} & DOMAIN_TYPES
    outputs = deployed_outputs(cfn, {})
    assert outputs["CounterUrl"] == EXECUTE_API_URL
    assert "CustomDomainTarget" not in outputs
    assert execute_api_disabled(cfn, {}) is False
    assert not failed_rules(cfn, {})


@pytest.mark.parametrize("zone", [{}, ZONE], ids=["no-zone", "zone"])
def test_a_domain_maps_the_api_and_becomes_the_counter_url(cfn, zone):
    given = DOMAIN | zone
    deployed = deployed_resources(cfn, given)
    (domain_name, domain), = resources_of_type({"Resources": deployed}, "AWS::ApiGatewayV2::DomainName").items()
    assert domain["Properties"] == {
        "DomainName": {"Ref": "DomainName"},
        "DomainNameConfigurations": [
            {"CertificateArn": {"Ref": "CertificateArn"}, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}
        ],
    }
    (mapping,) = resources_of_type({"Resources": deployed}, "AWS::ApiGatewayV2::ApiMapping").values()
    stage_name, _ = default_stage(cfn)
    assert mapping["Properties"] == {
        "DomainName": {"Ref": domain_name},
        "ApiId": {"Ref": API},
        "Stage": {"Ref": stage_name},
    }, "the whole API at the domain's root, so <domain>/counter is the route"
    assert deployed_outputs(cfn, given)["CounterUrl"] == {"Fn::Sub": "https://${DomainName}/counter"}
    assert deployed_outputs(cfn, given)["CustomDomainTarget"] == {"Fn::GetAtt": [domain_name, "RegionalDomainName"]}
    assert execute_api_disabled(cfn, given) is False, "the old address keeps counting until the owner says"
    assert execute_api_disabled(cfn, given | {"DisableExecuteApiEndpoint": "true"}) is True
    assert not failed_rules(cfn, given)

    records = resources_of_type({"Resources": deployed}, "AWS::Route53::RecordSet")
    if not zone:
        assert not records, "no HostedZoneId: the owner points the name at CustomDomainTarget"
        return
    (record,) = records.values()
    assert record["Properties"] == {
        "HostedZoneId": {"Ref": "HostedZoneId"},
        "Name": {"Ref": "DomainName"},
        "Type": "A",
        "AliasTarget": {
            "DNSName": {"Fn::GetAtt": [domain_name, "RegionalDomainName"]},
            "HostedZoneId": {"Fn::GetAtt": [domain_name, "RegionalHostedZoneId"]},
            "EvaluateTargetHealth": False,
        },
    }


@pytest.mark.parametrize(
    "given, rule",
    [
        ({"DomainName": DOMAIN["DomainName"]}, "DomainNeedsCertificate"),
        ({"CertificateArn": DOMAIN["CertificateArn"]}, "DomainSettingsNeedADomain"),
        (ZONE, "DomainSettingsNeedADomain"),
        ({"DisableExecuteApiEndpoint": "true"}, "DomainSettingsNeedADomain"),
    ],
    ids=["domain-without-certificate", "certificate-alone", "zone-alone", "disable-without-domain"],
)
def test_half_a_domain_is_refused_before_anything_is_created(cfn, given, rule):
    assert failed_rules(cfn, given) == {rule}
