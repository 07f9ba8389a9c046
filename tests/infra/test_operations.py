"""What an operator of the deployed stack relies on: the API's access log, the alarms and
where they notify, and the dashboard. Each test names one promise, so removing or weakening
that part of template.yaml fails exactly that test."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import resources_of_type, transform
from intrinsics import condition_holds, deployed_resources, parameter_values

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


# --- alarms ---------------------------------------------------------------------------------

ALARM_NAMESPACE = {"Fn::Sub": "cloudresumecounter/${AWS::StackName}"}

# What each alarm watches and when it fires. Period in seconds; "3 of 5" is DatapointsToAlarm
# of EvaluationPeriods.
ALARMS = {
    "FunctionErrorsAlarm": {
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "CounterFunction"}}],
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": None,
        "Threshold": 1,
    },
    "Api5xxAlarm": {
        "Namespace": "AWS/ApiGateway",
        "MetricName": "5xx",
        "Dimensions": [
            {"Name": "ApiId", "Value": {"Ref": API}},
            {"Name": "Stage", "Value": "$default"},
        ],
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": None,
        "Threshold": 1,
    },
    "ThrottledRequestsAlarm": {
        "Namespace": ALARM_NAMESPACE,
        "MetricName": "ThrottledRequests",
        "Dimensions": None,
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 5,
        "DatapointsToAlarm": 3,
        "Threshold": 1,
    },
}


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_alarm_watches_its_metric(cfn, name):
    alarm = cfn["Resources"].get(name)
    assert alarm, f"alarm {name} missing"
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    props = alarm["Properties"]
    for key, expected in ALARMS[name].items():
        assert props.get(key) == expected, f"{name}.{key}: {props.get(key)!r} != {expected!r}"
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # No traffic is not an outage: a quiet night must not page anyone.
    assert props["TreatMissingData"] == "notBreaching"


def test_every_alarm_is_one_of_the_tested_ones(cfn):
    assert set(resources_of_type(cfn, "AWS::CloudWatch::Alarm")) == set(ALARMS)


def test_throttled_requests_are_counted_from_the_access_log(cfn):
    (metric_filter,) = resources_of_type(cfn, "AWS::Logs::MetricFilter").values()
    props = metric_filter["Properties"]
    assert props["LogGroupName"] == {"Ref": ACCESS_LOG_GROUP}
    # The access log writes status as a JSON string (see the access-log test), so the pattern
    # compares with the string "429"; a number here would never match.
    assert props["FilterPattern"].replace(" ", "") == '{$.status="429"}'
    (transformation,) = props["MetricTransformations"]
    assert transformation["MetricNamespace"] == ALARM_NAMESPACE
    assert transformation["MetricName"] == ALARMS["ThrottledRequestsAlarm"]["MetricName"]
    assert transformation["MetricValue"] == "1"
    assert access_log_format(cfn)["status"] == "$context.status"


# --- where the alarms notify ----------------------------------------------------------------

EMAIL = "ops@example.com"


def test_alarm_email_is_an_optional_parameter(cfn):
    param = cfn["Parameters"]["AlarmEmail"]
    assert param["Type"] == "String"
    assert param["Default"] == ""


def test_has_alarm_email_condition_is_true_exactly_when_an_address_is_given(cfn):
    assert cfn["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }
    assert condition_holds(cfn, "HasAlarmEmail", parameter_values(cfn, {"AlarmEmail": EMAIL}))
    assert not condition_holds(cfn, "HasAlarmEmail", parameter_values(cfn, {}))


@pytest.mark.parametrize("given", [{}, {"AlarmEmail": EMAIL}], ids=["no-email", "email"])
def test_translator_leaves_the_condition_to_cloudformation(sam_template, given):
    cfn = transform(sam_template, given)
    assert cfn["Resources"]["AlarmTopic"]["Condition"] == "HasAlarmEmail"
    assert cfn["Resources"]["AlarmEmailSubscription"]["Condition"] == "HasAlarmEmail"


def test_with_an_email_every_alarm_notifies_a_subscribed_topic(cfn):
    deployed = deployed_resources(cfn, {"AlarmEmail": EMAIL})
    topics = {n for n, r in deployed.items() if r["Type"] == "AWS::SNS::Topic"}
    assert topics == {"AlarmTopic"}
    (subscription,) = [r for r in deployed.values() if r["Type"] == "AWS::SNS::Subscription"]
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    for name in ALARMS:
        props = deployed[name]["Properties"]
        assert props.get("AlarmActions") == [{"Ref": "AlarmTopic"}], f"{name} tells no one it fired"
        assert props.get("OKActions") == [{"Ref": "AlarmTopic"}], f"{name} tells no one it recovered"


def test_without_an_email_the_alarms_exist_with_no_actions_and_no_topic(cfn):
    deployed = deployed_resources(cfn, {})
    kinds = {r["Type"] for r in deployed.values()}
    assert "AWS::SNS::Topic" not in kinds and "AWS::SNS::Subscription" not in kinds
    for name in ALARMS:
        props = deployed[name]["Properties"]
        assert "AlarmActions" not in props and "OKActions" not in props, name
