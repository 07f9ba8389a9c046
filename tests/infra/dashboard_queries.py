"""Prints, as JSON, each dashboard query over the function's own log lines with the fields it
reads. tests/e2e/dashboard.test.js holds them against real lines of the built binary:

    .venv/bin/python tests/infra/dashboard_queries.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import load_template, transform  # noqa: E402
from logs_insights import BUILTIN_FIELDS, logs_insights_fields  # noqa: E402
from test_operations import function_line_queries  # noqa: E402

if __name__ == "__main__":
    queries = function_line_queries(transform(load_template()))
    print(
        json.dumps(
            [
                {"title": title, "query": query, "fields": sorted(logs_insights_fields(query) - BUILTIN_FIELDS)}
                for title, query in queries.items()
            ]
        )
    )
