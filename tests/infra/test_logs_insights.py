"""logs_insights_fields() finds the fields a query reads, and nothing else."""

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
        pytest.param(r'filter message = "say \"path\" twice"', {"message"}, id="escaped-quotes"),
        pytest.param("filter message = 'count read'", {"message"}, id="single-quoted-string"),
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
            "fields @timestamp, @message | sort @timestamp desc", {"@timestamp", "@message"}, id="built-ins"
        ),
        pytest.param(
            "SOURCE '/aws/lambda/counter' | filter level = \"ERROR\"", {"level"}, id="source-log-group"
        ),
        pytest.param("filter @message like /count|path/", {"@message"}, id="regex-literal"),
        pytest.param("filter `odd-name` = 1", {"odd-name"}, id="backquoted-field"),
        pytest.param(
            'parse @message "* counted *" as verb, target | stats count(*) by verb, target',
            {"@message"},
            id="parse-aliases",
        ),
        pytest.param('# path is not read\nfilter message = "x"', {"message"}, id="comment"),
        pytest.param("filter status in [500, 503] and not ispresent(cause)", {"status", "cause"}, id="in-list"),
        pytest.param("fields latency_ms / 1000 as seconds", {"latency_ms"}, id="division-is-not-a-regex"),
        pytest.param(
            "filter counted = true and count > 10 | display path, count",
            {"counted", "count", "path"},
            id="booleans-and-display",
        ),
    ],
)
def test_logs_insights_fields(query, fields):
    assert logs_insights_fields(query) == fields


def test_an_unreadable_query_is_an_error_not_an_empty_set():
    with pytest.raises(ValueError):
        logs_insights_fields('filter message = "unterminated')


def test_flattened_fields_names_nested_json_with_dots():
    record = {"type": "t", "record": {"requestId": "r", "metrics": {"durationMs": 1.0}}}
    assert flattened_fields(record) == {
        "type", "record", "record.requestId", "record.metrics", "record.metrics.durationMs"
    }
