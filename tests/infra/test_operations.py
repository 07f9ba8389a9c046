"""What an operator of the deployed stack relies on: the API's access log, the alarms and
where they notify, and the dashboard. Each test names one promise, so removing or weakening
that part of template.yaml fails exactly that test. That the access log exists and log groups
keep a retention is checkov's (CKV_AWS_95, CKV_AWS_66); that the dashboard's queries over the
function's lines read what its real lines hold is tests/e2e/dashboard.test.js's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import default_stage, resources_of_type
from intrinsics import deployed_resources, resolve_sub
from logs_insights import BUILTIN_FIELDS, logs_insights_fields

API = "CounterApi"
ACCESS_LOG_GROUP = "CounterApiAccessLogGroup"


# --- the API's access log -------------------------------------------------------------------

# The fields of each access-log line, each the $context variable of its name.
ACCESS_LOG_FIELDS = [
    "requestId", "requestTime", "httpMethod", "routeKey", "status", "responseLatency",
    "integrationErrorMessage",
]


def test_access_log_goes_to_its_own_log_group_named_by_an_output(cfn):
    settings = default_stage(cfn)[1]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": [ACCESS_LOG_GROUP, "Arn"]}
    function_group = cfn["Resources"]["CounterFunction"]["Properties"]["LoggingConfig"]["LogGroup"]
    assert function_group != {"Ref": ACCESS_LOG_GROUP}, "gateway and function lines would mix"
    for group in (ACCESS_LOG_GROUP, function_group["Ref"]):
        assert cfn["Resources"][group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert cfn["Outputs"]["AccessLogGroupName"]["Value"] == {"Ref": ACCESS_LOG_GROUP}


def test_access_log_line_is_json_with_the_request_fields_and_no_client_ip(cfn):
    text = default_stage(cfn)[1]["AccessLogSettings"]["Format"]
    line = json.loads(text)
    for field in ACCESS_LOG_FIELDS:
        assert line.get(field) == f"$context.{field}", f"access log lacks {field}"
    # Quoted, so every line stays valid JSON and the throttle metric filter compares strings.
    assert all(isinstance(value, str) for value in line.values())
    # The decision is written next to AccessLogSettings in template.yaml: privacy over
    # attribution; the throttle bounds abuse. Adding the IP means revisiting that comment.
    assert "sourceIp" not in text and "X-Forwarded-For" not in text


# --- alarms ---------------------------------------------------------------------------------

ALARM_NAMESPACE = {"Fn::Sub": "cloudresumecounter/${AWS::StackName}"}

# What each alarm watches and when it fires (OPERATIONS.md): a Sum of at least 1 per period;
# (3, 5) is DatapointsToAlarm of EvaluationPeriods.
ALARMS = {
    "FunctionErrorsAlarm": (
        "AWS/Lambda", "Errors", [{"Name": "FunctionName", "Value": {"Ref": "CounterFunction"}}], 300, (None, 1),
    ),
    "Api5xxAlarm": (
        "AWS/ApiGateway", "5xx",
        [{"Name": "ApiId", "Value": {"Ref": API}}, {"Name": "Stage", "Value": "$default"}], 300, (None, 1),
    ),
    "ThrottledRequestsAlarm": (ALARM_NAMESPACE, "ThrottledRequests", None, 60, (3, 5)),
}


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_alarm_watches_its_metric(cfn, name):
    props = resources_of_type(cfn, "AWS::CloudWatch::Alarm")[name]["Properties"]
    keys = ("Namespace", "MetricName", "Dimensions", "Period", "DatapointsToAlarm", "EvaluationPeriods")
    namespace, metric, dimensions, period, (datapoints, periods) = ALARMS[name]
    assert tuple(props.get(k) for k in keys) == (namespace, metric, dimensions, period, datapoints, periods)
    assert (props["Statistic"], props["ComparisonOperator"], props["Threshold"]) == (
        "Sum", "GreaterThanOrEqualToThreshold", 1,
    )
    # No traffic is not an outage: a quiet night must not page anyone.
    assert props["TreatMissingData"] == "notBreaching"


def test_throttled_requests_are_counted_from_the_access_log(cfn):
    (metric_filter,) = resources_of_type(cfn, "AWS::Logs::MetricFilter").values()
    props = metric_filter["Properties"]
    assert props["LogGroupName"] == {"Ref": ACCESS_LOG_GROUP}
    # The access log writes status as a JSON string (see the access-log test), so the pattern
    # compares with the string "429"; a number here would never match.
    assert props["FilterPattern"].replace(" ", "") == '{$.status="429"}'
    (transformation,) = props["MetricTransformations"]
    assert transformation["MetricNamespace"] == ALARM_NAMESPACE
    assert transformation["MetricName"] == ALARMS["ThrottledRequestsAlarm"][1]
    assert transformation["MetricValue"] == "1"


# --- where the alarms notify ----------------------------------------------------------------

EMAIL = "ops@example.com"


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


def test_without_an_email_the_alarms_exist_with_no_actions_no_topic_and_no_budget(cfn):
    deployed = deployed_resources(cfn, {})
    kinds = {r["Type"] for r in deployed.values()}
    assert not kinds & {"AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::Budgets::Budget"}
    for name in ALARMS:
        props = deployed[name]["Properties"]
        assert "AlarmActions" not in props and "OKActions" not in props, name


# --- the dashboard --------------------------------------------------------------------------

DASHBOARD = "CounterDashboard"
FUNCTION_LOG_GROUP = "CounterFunctionLogGroup"

# Stand-ins for what CloudFormation substitutes at deploy time.
FAKE = {
    "AWS::Region": "eu-west-3",
    "AWS::StackName": "fake-stack",
    API: "fakeapi123",
    "CounterFunction": "fake-stack-CounterFunction-ABC",
    FUNCTION_LOG_GROUP: "/aws/lambda/fake-stack-counter",
    "FunctionErrorsAlarm.Arn": "arn:aws:cloudwatch:eu-west-3:123456789012:alarm:fake-function-errors",
    "Api5xxAlarm.Arn": "arn:aws:cloudwatch:eu-west-3:123456789012:alarm:fake-api-5xx",
    "ThrottledRequestsAlarm.Arn": "arn:aws:cloudwatch:eu-west-3:123456789012:alarm:fake-throttled",
    "CounterTable": "FakeCounterHits",
    "MaxWriteRequestUnits": "100",
    "MaxReadRequestUnits": "200",
}


def dashboard_body(cfn: dict[str, Any]) -> dict[str, Any]:
    return json.loads(resolve_sub(cfn["Resources"][DASHBOARD]["Properties"]["DashboardBody"], FAKE))


def widgets(cfn: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [w["properties"] for w in dashboard_body(cfn)["widgets"] if w["type"] == type_]


def metric_lines(cfn: dict[str, Any]) -> list[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """(namespace, metric, dimensions, options) of every metric line, the widget's stat filled
    in where the line names none; metric math lines name no metric and are left out."""
    lines = []
    for widget in widgets(cfn, "metric"):
        for line in widget["metrics"]:
            if len(line) == 1 and "expression" in line[0]:
                continue
            options = line[-1] if isinstance(line[-1], dict) else {}
            names = line[:-1] if options else line
            namespace, metric, *pairs = names
            dims = dict(zip(pairs[::2], pairs[1::2]))
            lines.append((namespace, metric, dims, {"stat": widget.get("stat"), **options}))
    return lines


def log_queries(cfn: dict[str, Any]) -> dict[str, str]:
    return {w["title"]: w["query"] for w in widgets(cfn, "log")}


def test_dashboard_widgets_show_the_stacks_region(cfn):
    # A ${Name} of the body that FAKE lacks fails every dashboard test (resolve_sub's KeyError);
    # one naming no resource or parameter of the stack is cfn-lint's (E1019).
    for widget in widgets(cfn, "metric") + widgets(cfn, "log"):
        assert widget["region"] == FAKE["AWS::Region"], widget.get("title")


API_DIMS = {"ApiId": FAKE[API], "Stage": "$default"}
FUNCTION_DIMS = {"FunctionName": FAKE["CounterFunction"]}

# (namespace, metric, dimensions, stat) the dashboard must chart.
EXPECTED_METRICS = [
    ("AWS/ApiGateway", "Count", API_DIMS, "Sum"),
    ("AWS/ApiGateway", "4xx", API_DIMS, "Sum"),
    ("AWS/ApiGateway", "5xx", API_DIMS, "Sum"),
    ("AWS/ApiGateway", "Latency", API_DIMS, "p50"),
    ("AWS/ApiGateway", "Latency", API_DIMS, "p99"),
    ("AWS/Lambda", "Invocations", FUNCTION_DIMS, "Sum"),
    ("AWS/Lambda", "Errors", FUNCTION_DIMS, "Sum"),
    ("AWS/Lambda", "Throttles", FUNCTION_DIMS, "Sum"),
    ("AWS/Lambda", "Duration", FUNCTION_DIMS, "p50"),
    ("AWS/Lambda", "Duration", FUNCTION_DIMS, "p99"),
    ("cloudresumecounter/" + FAKE["AWS::StackName"], "ThrottledRequests", {}, "Sum"),
]


@pytest.mark.parametrize(
    "namespace, metric, dims, stat", EXPECTED_METRICS, ids=[f"{m[1]}-{m[3]}" for m in EXPECTED_METRICS]
)
def test_dashboard_charts_metric(cfn, namespace, metric, dims, stat):
    charted = [(n, m, d, o["stat"]) for n, m, d, o in metric_lines(cfn)]
    assert (namespace, metric, dims, stat) in charted, f"no {stat} of {namespace} {metric} {dims}"


def test_dashboard_shows_every_alarm(cfn):
    assert set(resources_of_type(cfn, "AWS::CloudWatch::Alarm")) == set(ALARMS), "an alarm not tested here"
    (alarm_widget,) = widgets(cfn, "alarm")
    assert sorted(alarm_widget["alarms"]) == sorted(FAKE[f"{name}.Arn"] for name in ALARMS)


def test_every_log_query_reads_the_log_group_the_function_writes_to(cfn):
    logging = cfn["Resources"]["CounterFunction"]["Properties"]["LoggingConfig"]
    assert logging["LogGroup"] == {"Ref": FUNCTION_LOG_GROUP}
    queries = log_queries(cfn)
    assert queries
    for title, query in queries.items():
        assert query.startswith(f"SOURCE '{FAKE[FUNCTION_LOG_GROUP]}' |"), title
        logs_insights_fields(query)  # readable


def test_dashboard_url_output_opens_this_dashboard(cfn):
    url = cfn["Outputs"]["DashboardUrl"]["Value"]
    assert url == {
        "Fn::Sub": "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home"
        "?region=${AWS::Region}#dashboards:name=${CounterDashboard}"
    }


# --- what the dashboard's Logs Insights queries may read -------------------------------------

# The fields of Lambda's platform.report record in the JSON log format, as Logs Insights names
# them, from AWS's Telemetry API schema reference (initDurationMs only after a cold start).
PLATFORM_REPORT_FIELDS = {
    "time", "type", "record", "record.requestId", "record.status", "record.metrics",
    "record.metrics.durationMs", "record.metrics.billedDurationMs", "record.metrics.memorySizeMB",
    "record.metrics.maxMemoryUsedMB", "record.metrics.initDurationMs",
}

def function_line_queries(cfn: dict[str, Any]) -> dict[str, str]:
    return {t: q for t, q in log_queries(cfn).items() if '"platform.report"' not in q}


def test_platform_queries_read_only_fields_of_the_platform_report_record(cfn):
    queries = {t: q for t, q in log_queries(cfn).items() if '"platform.report"' in q}
    assert queries, "no cold-start widget"
    allowed = PLATFORM_REPORT_FIELDS | BUILTIN_FIELDS
    for title, query in queries.items():
        fields = logs_insights_fields(query)
        assert fields <= allowed, f"{title}: not in platform.report: {sorted(fields - allowed)}"
        assert 'type = "platform.report"' in query, f"{title} reads other records too"
    read = set().union(*(logs_insights_fields(q) for q in queries.values()))
    assert "record.metrics.initDurationMs" in read, "cold starts are counted from initDurationMs"
