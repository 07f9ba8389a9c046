"""logs_insights_fields() finds the fields a query reads, and nothing else: on the constructs
the dashboard's queries use, so that a query's check cannot pass on fields it failed to see."""

from __future__ import annotations

import pytest

from logs_insights import flattened_fields, logs_insights_fields


@pytest.mark.parametrize(
    "query, fields",
    [
        pytest.param(
            'filter message = "hit counted" | stats count(*) as hits by path | sort hits desc | limit 20',
            {"message", "path"},
            id="alias-and-functions-are-not-fields",
        ),
        pytest.param('filter message = "path count level"', {"message"}, id="words-in-strings"),
        pytest.param(
            "stats avg(latency_ms) as avg_ms, pct(latency_ms, 99) as p99 by bin(1h)",
            {"latency_ms"},
            id="function-arguments-and-bin-units",
        ),
        pytest.param(
            'filter type = "platform.report" and ispresent(record.metrics.initDurationMs)',
            {"type", "record.metrics.initDurationMs"},
            id="nested-json-fields",
        ),
        pytest.param(
            "SOURCE '/aws/lambda/counter' | fields @timestamp | filter level = \"ERROR\"",
            {"@timestamp", "level"},
            id="source-log-group-and-built-ins",
        ),
    ],
)
def test_logs_insights_fields(query, fields):
    assert logs_insights_fields(query) == fields


def test_an_unreadable_query_is_an_error_not_an_empty_set():
    with pytest.raises(ValueError):
        logs_insights_fields('filter message = "unterminated')


def test_flattened_fields_names_nested_json_with_dots():
    record = {"type": "t", "record": {"metrics": {"durationMs": 1.0}}}
    assert flattened_fields(record) == {"type", "record", "record.metrics", "record.metrics.durationMs"}
