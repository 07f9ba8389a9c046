"""The Python measuring stick: the counter function as a straightforward boto3 Lambda.

Written for the benchmark only (bench/bench.js runs it under awslambdaric, the same way it runs
the Rust `bootstrap`), so that the README's Rust-vs-Python ratios compare like with like:

- init: read DYNAMODB_TABLE / DYNAMODB_ENDPOINT, build one boto3 DynamoDB client with the Rust
  function's timeouts and retries; no network call;
- per request: the same rules on the raw query string (one `path`, non-empty, at most 2048
  bytes of UTF-8, no control, format or separator characters), one `UpdateItem ADD hits :inc`
  returning UPDATED_NEW, `200 {"count": N, "counted": true}`, and one JSON log line.

It counts every request: the benchmark sends a browser's hits only, so it leaves out the
crawler filter, `increment=false` and the allow-list, which the Rust function checks too.
"""

import json
import logging
import os
import time
import unicodedata
from urllib.parse import unquote_to_bytes

import boto3
from botocore.config import Config

MAX_PATH_BYTES = 2048

TABLE = os.environ.get("DYNAMODB_TABLE", "").strip()
if not TABLE:
    raise RuntimeError("DYNAMODB_TABLE is not set")

# Same budgets as src/store.rs: 200 ms connect, 500 ms per attempt, 3 attempts in all.
_client = boto3.client(
    "dynamodb",
    endpoint_url=os.environ.get("DYNAMODB_ENDPOINT", "").strip() or None,
    config=Config(
        connect_timeout=0.2,
        read_timeout=0.5,
        retries={"mode": "standard", "total_max_attempts": 3},
    ),
)

_log = logging.getLogger("counter")
_log.setLevel(logging.INFO)


def _response(status, body):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", "cache-control": "no-store"},
        "body": json.dumps(body),
    }


def _reject(status, error, message):
    _log.info("request rejected", extra={"status": status, "rejection": error})
    return _response(status, {"error": error, "message": message})


def _path_values(raw_query):
    values = []
    for pair in filter(None, raw_query.split("&")):
        name, _, value = pair.partition("=")
        if unquote_to_bytes(name.replace("+", " ")) != b"path":
            continue
        values.append(unquote_to_bytes(value.replace("+", " ")).decode("utf-8"))
    return values


def handler(event, context):
    started = time.perf_counter()
    if event.get("requestContext", {}).get("http", {}).get("method") != "GET":
        return _reject(405, "method_not_allowed", "Only GET is supported.")
    try:
        values = _path_values(event.get("rawQueryString", ""))
    except UnicodeDecodeError:
        return _reject(400, "invalid_path", "The path must be percent-encoded UTF-8.")
    if len(values) > 1:
        return _reject(400, "ambiguous_path", "Give the path query parameter once.")
    path = values[0] if values else ""
    if not path:
        return _reject(400, "missing_path", "Give the page to count as a query parameter.")
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        return _reject(400, "path_too_long", "The path must be at most 2048 bytes of UTF-8.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in path):
        return _reject(400, "invalid_path", "The path must not contain invisible characters.")

    try:
        output = _client.update_item(
            TableName=TABLE,
            Key={"path": {"S": path}},
            UpdateExpression="ADD hits :inc",
            ExpressionAttributeValues={":inc": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        count = int(output["Attributes"]["hits"]["N"])
    except Exception as err:  # noqa: BLE001 - one answer for every failure, as the Rust one
        _log.error("request failed", extra={"path": path, "cause": repr(err)})
        return _reject(503, "unavailable", "The counter is unavailable; try again later.")

    _log.info(
        "hit counted",
        extra={
            "request_id": context.aws_request_id,
            "status": 200,
            "latency_ms": (time.perf_counter() - started) * 1000,
            "count": count,
            "counted": True,
            "path": path,
        },
    )
    return _response(200, {"count": count, "counted": True})
