"""What an operator of the deployed stack relies on: the API's access log, the alarms and
where they notify, and the dashboard. Each test names one promise, so removing or weakening
that part of template.yaml fails exactly that test."""

from __future__ import annotations

import json
from typing import Any

from conftest import resources_of_type

API = "CounterApi"
ACCESS_LOG_GROUP = "CounterApiAccessLogGroup"


def default_stage(cfn: dict[str, Any]) -> dict[str, Any]:
    stages = [
        r for r in resources_of_type(cfn, "AWS::ApiGatewayV2::Stage").values()
        if r["Properties"]["ApiId"] == {"Ref": API}
    ]
    assert len(stages) == 1
    (stage,) = stages
    assert stage["Properties"]["StageName"] == "$default"
    return stage["Properties"]


# --- the API's access log -------------------------------------------------------------------

# Field name in each access-log line -> the $context variable API Gateway fills it with.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "responseLatency": "$context.responseLatency",
    "integrationErrorMessage": "$context.integrationErrorMessage",
}


def access_log_format(cfn: dict[str, Any]) -> dict[str, Any]:
    settings = default_stage(cfn).get("AccessLogSettings")
    assert settings, "the $default stage writes no access log"
    return json.loads(settings["Format"])


def test_access_log_goes_to_its_own_log_group_with_the_retention_parameter(cfn):
    settings = default_stage(cfn).get("AccessLogSettings")
    assert settings, "the $default stage writes no access log"
    assert settings["DestinationArn"] == {"Fn::GetAtt": [ACCESS_LOG_GROUP, "Arn"]}
    group = cfn["Resources"][ACCESS_LOG_GROUP]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    function_group = cfn["Resources"]["CounterFunction"]["Properties"]["LoggingConfig"]["LogGroup"]
    assert function_group != {"Ref": ACCESS_LOG_GROUP}, "gateway and function lines would mix"


def test_access_log_line_is_json_with_the_request_fields(cfn):
    line = access_log_format(cfn)
    for field, variable in ACCESS_LOG_FIELDS.items():
        assert line.get(field) == variable, f"access log lacks {field} ({variable})"
    # Quoted, so every line stays valid JSON and the throttle metric filter compares strings.
    assert all(isinstance(value, str) for value in line.values())


def test_access_log_leaves_out_the_client_ip(cfn):
    # The decision is written next to AccessLogSettings in template.yaml: privacy over
    # attribution; the throttle bounds abuse. Adding the IP means revisiting that comment.
    settings = default_stage(cfn)["AccessLogSettings"]
    assert "sourceIp" not in settings["Format"]
    assert "X-Forwarded-For" not in settings["Format"]
