"""The operator recipes of OPERATIONS.md, run as written against dynalite.

Each ```sh block after a `<!-- recipe: NAME -->` marker runs verbatim in bash with .venv/bin/aws,
after the `table` block, which asks a CloudFormation stub on loopback for the stack's
CounterTableName. DynamoDB is dynalite, or a front of ours before it playing what dynalite does
not (unprocessed items, deletion protection). `sleep` is a recorder, so a pause is asserted,
not waited for. The table is checked with boto3, not with the CLI under test.

Fixtures live here, not in a conftest.py: a second one would shadow tests/infra's.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import selectors
import shutil
import subprocess
import threading
import tomllib
import urllib.error
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import pytest
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
RECIPES_DOC = ROOT / "OPERATIONS.md"
AWS_CLI = ROOT / ".venv" / "bin" / "aws"
DYNALITE_JS = ROOT / "tools" / "local" / "dynalite.js"
# Not the template's default name, so a recipe that hard-codes the table fails.
TABLE = "OpsRecipesCounterHits"
RECIPES = {"set-count", "reset-page", "top-pages", "list-prefix", "list-not-allowed", "delete-listed", "failed-create"}
# The block that sets TABLE from the stack's outputs, run before each recipe but failed-create
# (which reads the table's name from the stack's parameters itself).
TABLE_BLOCK = "table"


# ---------------------------------------------------------------------------------------------
# The recipes, as OPERATIONS.md has them

MARKER = re.compile(r"<!-- recipe: ([a-z0-9-]+) -->[ \t]*\n```sh\n(.*?)^```[ \t]*$", re.S | re.M)


def readme_recipes() -> dict[str, str]:
    text = RECIPES_DOC.read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for name, body in MARKER.findall(text):
        assert name not in found, f"OPERATIONS.md has the recipe marker {name!r} twice"
        found[name] = body
    loose = sorted(set(re.findall(r"<!-- recipe: ([^ ]+) -->", text)) - set(found))
    assert not loose, f"OPERATIONS.md: recipe markers not directly followed by a ```sh block: {loose}"
    return found


def stack_name() -> str:
    samconfig = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    return samconfig["default"]["global"]["parameters"]["stack_name"]


def template_outputs() -> list[str]:
    return list(yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))["Outputs"])


def test_readme_has_exactly_the_tested_recipes_and_each_reads_the_table_from_the_stack():
    found = readme_recipes()
    assert set(found) == RECIPES | {TABLE_BLOCK}, (
        f"OPERATIONS.md recipes {sorted(found)} != the tested ones {sorted(RECIPES)} and "
        f"{TABLE_BLOCK!r}: a recipe without a test here, or a test without its recipe"
    )
    table = (
        f"TABLE=$(aws cloudformation describe-stacks --stack-name {stack_name()} "
        "--query \"Stacks[0].Outputs[?OutputKey=='CounterTableName'].OutputValue\" --output text)\n"
    )
    assert found[TABLE_BLOCK] == table, f"the {TABLE_BLOCK!r} block must be exactly\n{table}"
    for name in RECIPES:
        assert '"$TABLE"' in found[name], f"recipe {name!r} must use the stack's table"
    assert "CounterTableName" in template_outputs(), "template.yaml lost the CounterTableName output"


# ---------------------------------------------------------------------------------------------
# dynalite with the counter table, and a boto3 client of our own for it

def require_tools() -> None:
    if not AWS_CLI.is_file():
        pytest.fail(
            f"the AWS CLI is not installed at {AWS_CLI.relative_to(ROOT)}: run "
            "scripts/setup-python.sh (or `make setup`); requirements-dev.txt pins awscli"
        )
    for tool, why in [("node", "install Node.js 20+ (dynalite runs on it)"), ("bash", "the recipes are bash")]:
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found on PATH: {why}")


@pytest.fixture
def dynalite() -> Iterator[str]:
    require_tools()
    proc = subprocess.Popen(
        ["node", str(DYNALITE_JS), "--table", TABLE],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        # dynalite.js prints its endpoint once the table is ACTIVE.
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            line = proc.stdout.readline() if sel.select(timeout=30) else ""
        if not line:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            pytest.fail(
                "dynalite did not start (tools/local/dynalite.js; `npm ci` installs dynalite):\n"
                + (err.strip() or "no output within 30 s")
            )
        yield json.loads(line)["endpoint"]
    finally:
        proc.stdin.close()  # dynalite.js exits when its stdin closes
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def db(dynalite: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb", endpoint_url=dynalite, region_name="us-east-1", aws_access_key_id="local",
        aws_secret_access_key="local", config=Config(retries={"max_attempts": 1}),
    )


def put(db, counts: dict[str, int]) -> None:
    items = [{"PutRequest": {"Item": {"path": {"S": p}, "hits": {"N": str(n)}}}} for p, n in counts.items()]
    for i in range(0, len(items), 25):
        left = db.batch_write_item(RequestItems={TABLE: items[i : i + 25]})["UnprocessedItems"]
        assert not left, f"dynalite left items unprocessed: {left}"


def scan_pages(db, **consistent: bool) -> list[list[dict[str, Any]]]:
    """The items on each page of a Scan (a page stops at 1 MB)."""
    return [page["Items"] for page in db.get_paginator("scan").paginate(TableName=TABLE, **consistent)]


def table_state(db) -> dict[str, dict[str, Any]]:
    return {item["path"]["S"]: item for page in scan_pages(db, ConsistentRead=True) for item in page}


def counts(db) -> dict[str, int]:
    return {p: int(item["hits"]["N"]) for p, item in table_state(db).items()}


def page_paths(db) -> list[set[str]]:
    return [{item["path"]["S"] for item in page} for page in scan_pages(db)]


def visit(db, path: str) -> int:
    """What the function does for one hit (src/store.rs), the new total read from its answer."""
    answer = db.update_item(
        TableName=TABLE, Key={"path": {"S": path}}, UpdateExpression="ADD hits :inc",
        ExpressionAttributeValues={":inc": {"N": "1"}}, ReturnValues="UPDATED_NEW",
    )
    return int(answer["Attributes"]["hits"]["N"])


def fill_pages(db, n: int = 1100) -> dict[str, int]:
    """About 2 MB of items (1,800-byte keys under /blog/pad-), so that a Scan has 2 or 3 pages."""
    pad = {f"/blog/pad-{i:04d}-" + "x" * 1780: 1 + i for i in range(n)}
    put(db, pad)
    assert len(page_paths(db)) >= 2, "the filler did not make a Scan page twice"
    return pad


# ---------------------------------------------------------------------------------------------
# Stand-ins on loopback: CloudFormation knowing one stack, and a front before dynalite

@contextlib.contextmanager
def serving(do_post: Callable[[BaseHTTPRequestHandler, bytes], tuple[int, str, bytes]]) -> Iterator[str]:
    """A loopback HTTP server answering each POST with do_post(handler, body); yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            status, content_type, data = do_post(self, self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amz-crc32", str(zlib.crc32(data)))  # botocore checks DynamoDB's
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def members(pairs: dict[str, str], key: str, value: str) -> str:
    return "".join(f"<member><{key}>{escape(k)}</{key}><{value}>{escape(v)}</{value}></member>" for k, v in pairs.items())


@contextlib.contextmanager
def cloudformation(stack: dict[str, Any]) -> Iterator[str]:
    """CloudFormation knowing samconfig.toml's stack as `stack` says (DeleteStack only if
    "deletable"); every call is recorded in stack["calls"], anything else is a ValidationError."""
    name = stack_name()

    def do_post(_handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, str, bytes]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        action = form.get("Action")
        stack["calls"].append(action)
        known = form.get("StackName") == name and stack["exists"]
        if known and action == "DescribeStacks":
            xml = (
                '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
                f"<DescribeStacksResult><Stacks><member><StackName>{escape(name)}</StackName>"
                f"<StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/{escape(name)}/1</StackId>"
                f"<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>{stack['status']}</StackStatus>"
                f"<Parameters>{members(stack.get('parameters', {}), 'ParameterKey', 'ParameterValue')}</Parameters>"
                f"<Outputs>{members(stack.get('outputs', {}), 'OutputKey', 'OutputValue')}</Outputs>"
                "</member></Stacks></DescribeStacksResult></DescribeStacksResponse>"
            )
            return 200, "text/xml", xml.encode()
        if known and action == "DeleteStack" and stack.get("deletable"):
            stack["exists"] = False
            return 200, "text/xml", b"<DeleteStackResponse><ResponseMetadata><RequestId>s</RequestId></ResponseMetadata></DeleteStackResponse>"
        xml = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
            f"<Message>Stack with id {escape(form.get('StackName', ''))} does not exist"
            f" (the stub answers {escape(str(action))} of {escape(name)} only as set up)</Message>"
            "</Error><RequestId>stub</RequestId></ErrorResponse>"
        )
        return 400, "text/xml", xml.encode()

    with serving(do_post) as url:
        yield url


Forward = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]
JSON_TYPE = "application/x-amz-json-1.0"


@contextlib.contextmanager
def dynamodb_front(upstream: str, hook: Callable[[str, dict[str, Any], Forward], tuple[int, dict[str, Any]]]) -> Iterator[str]:
    """DynamoDB before `upstream`: each call is answered by hook(operation, request, forward)."""

    def do_post(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, str, bytes]:
        signed = {h: handler.headers[h] for h in ("Authorization", "X-Amz-Date") if h in handler.headers}

        def forward(operation: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            headers = {"Content-Type": JSON_TYPE, "X-Amz-Target": f"DynamoDB_20120810.{operation}", **signed}
            call = urllib.request.Request(upstream, data=json.dumps(request).encode(), method="POST", headers=headers)
            try:
                with urllib.request.urlopen(call, timeout=60) as answer:
                    return answer.status, json.loads(answer.read())
            except urllib.error.HTTPError as err:
                return err.code, json.loads(err.read())

        operation = handler.headers.get("X-Amz-Target", "").split(".")[-1]
        status, answer = hook(operation, json.loads(body or b"{}"), forward)
        return status, JSON_TYPE, json.dumps(answer).encode()

    with serving(do_post) as url:
        yield url


# ---------------------------------------------------------------------------------------------
# Running a recipe

@pytest.fixture
def cfn_stack() -> Iterator[dict[str, Any]]:
    outputs = {name: f"fake-{name}" for name in template_outputs()} | {
        "CounterTableName": TABLE, "CounterTableArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}",
    }
    stack = {"status": "UPDATE_COMPLETE", "outputs": outputs, "exists": True, "calls": []}
    with cloudformation(stack) as url:
        stack["url"] = url
        yield stack


@pytest.fixture
def run(dynalite: str, cfn_stack: dict[str, Any], tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sleep").write_text(f'#!/usr/bin/env bash\necho "$*" >> {tmp_path / "sleeps"}\n')
    (bin_dir / "sleep").chmod(0o755)

    def run_recipe(*names: str, dynamodb: str | None = None, cloudformation: str | None = None) -> str:
        """The recipes one after the other in one shell, as a user pastes them."""
        first = [] if "failed-create" in names else [TABLE_BLOCK]
        recipes = readme_recipes()
        script = "".join(recipes[n] for n in [*first, *names])
        env = {
            "PATH": os.pathsep.join([str(bin_dir), str(AWS_CLI.parent), os.environ.get("PATH", "/usr/bin:/bin")]),
            "HOME": str(tmp_path),  # no ~/.aws of the user's
            "LANG": "C.UTF-8",
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            # Every service goes to dynalite, except CloudFormation: nothing can reach AWS.
            "AWS_ENDPOINT_URL": dynamodb or dynalite,
            "AWS_ENDPOINT_URL_CLOUDFORMATION": cloudformation or cfn_stack["url"],
            # A recipe must set TABLE from the stack itself.
            "TABLE": "not-the-counter-table",
        }
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, (
            f"recipe {' + '.join(names)!r} exited {done.returncode}\n--- script\n{script}"
            f"--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
        )
        return done.stdout

    return run_recipe


# ---------------------------------------------------------------------------------------------
# set a page's count, reset a page

@pytest.mark.parametrize("before", [7, None], ids=["existing-page", "new-page"])
def test_set_count_sets_the_page_and_the_next_visit_adds_one(run, db, before):
    others = {"/about/": 3, "/blog/post-1": 12}
    put(db, others | ({"/index.html": before} if before is not None else {}))

    run("set-count")

    state = table_state(db)
    assert state.get("/index.html") == {"path": {"S": "/index.html"}, "hits": {"N": "1234"}}, (
        f"after set-count /index.html is {state.get('/index.html')}, not 1234 hits"
    )
    assert visit(db, "/index.html") == 1235, "the counter's next ADD does not continue from 1234"
    assert {p: n for p, n in counts(db).items() if p != "/index.html"} == others


@pytest.mark.parametrize("before", [42, None], ids=["counted-page", "page-without-a-count"])
def test_reset_page_removes_only_that_page_and_its_next_visit_counts_one(run, db, before):
    others = {"/": 9, "/index.html.bak": 4, "/Index.html": 2}
    put(db, others | ({"/index.html": before} if before is not None else {}))

    run("reset-page")

    assert counts(db) == others, "reset-page must remove /index.html and nothing else"
    assert visit(db, "/index.html") == 1, "after a reset the next visit must count 1"


# ---------------------------------------------------------------------------------------------
# the top pages

# `--output table` rows, `|  1234  |  /index.html   |`; also `--output text` rows, `1234<TAB>/index.html`,
# so that a recipe switched to text fails on what it prints, not on its layout.
ROW = re.compile(r"^(?:\|\s+(\d+)\s+\|  (.*?)\s+\||(\d+)\t(.*))$")


def top_rows(stdout: str) -> list[tuple[int, str]]:
    rows = [m.groups() for m in map(ROW.match, stdout.splitlines()) if m]
    return [(int(a or c), b if a else d) for a, b, c, d in rows]


def test_top_pages_are_the_whole_tables_top_ten_across_scan_pages_by_number(run, db):
    pad = fill_pages(db)  # counts 1 to 1100 below the top's 10,000s: a string sort puts 999 first
    candidates = [f"/p{i:02d}-ünï €" for i in range(40)]
    put(db, dict.fromkeys(candidates, 0))
    # Sorting each Scan page on its own would pass if the top ten shared a page: take six
    # from the first page and six from the others, with counts above every filler's and in
    # no order of their keys or pages.
    first_page = page_paths(db)[0]
    first = [p for p in candidates if p in first_page][:6]
    rest = [p for p in candidates if p not in first_page][:6]
    assert len(first) == len(rest) == 6, f"setup: candidates per page {len(first)}, {len(rest)}"
    top = {p: 10_000 + 37 * ((i * 7) % 12) for i, p in enumerate(first + rest)}
    put(db, top)
    expected = sorted(((n, p) for p, n in (pad | top).items()), reverse=True)[:10]
    assert {p for _, p in expected} & set(first) and {p for _, p in expected} & set(rest)

    rows = top_rows(run("top-pages"))
    assert rows == expected, f"top-pages printed {rows}, expected {expected}"


# ---------------------------------------------------------------------------------------------
# junk keys

KEEP = {
    "/": 5,
    "/index.html": 100,
    "/blog/": 7,
    "/blog/post-1": 30,
    "/blog/wp-config": 2,  # wp- inside a path, not at its start
}
NOT_ALLOWED_BUT_NOT_WP = {
    "/index.html.bak": 1,  # the allow-list's /index.html is exact, not a prefix
    "/WP-upper": 1,  # begins_with is case-sensitive
    "wp-no-slash": 1,
    "/about/wp-x": 1,
}
WP_JUNK = {
    "/wp-login.php": 3,
    "/wp-": 1,
    '/wp-x","S":"/index.html': 1,  # spliced into JSON, this key would name /index.html
    "/wp-tab\there\nand-newline": 1,  # the counter refuses these; a hand-written key may not
    "/wp-\\back slash $(touch pwned) 'q' € ü": 1,
}
BATCH_MAX = 25  # BatchWriteItem's limit


def listed_keys(tmp_path: Path) -> list[str]:
    return [json.loads(line)["path"]["S"] for line in (tmp_path / "junk.txt").read_text().splitlines()]


class ShortBatches:
    """BatchWriteItem under throttling: the first `short_calls` calls of more than `held`
    requests write all but the last `held` and return those as UnprocessedItems."""

    def __init__(self, short_calls: int = 3, held: int = 5) -> None:
        self.short_calls, self.held = short_calls, held
        self.sizes: list[int] = []
        self.shorted = 0
        self.lock = threading.Lock()

    def __call__(self, operation: str, request: dict[str, Any], forward: Forward) -> tuple[int, dict[str, Any]]:
        if operation != "BatchWriteItem":
            return forward(operation, request)
        ((table, requests),) = request["RequestItems"].items()
        with self.lock:
            short = len(requests) > self.held and self.shorted < self.short_calls
            self.shorted += short
            self.sizes.append(len(requests))
        if not short:
            return forward(operation, request)
        keep, held = requests[: -self.held], requests[-self.held :]
        status, answer = forward(operation, {**request, "RequestItems": {table: keep}})
        return status, {**answer, "UnprocessedItems": {table: held}}


def test_list_prefix_then_delete_listed_removes_every_junk_key_in_batches_of_25_resending_the_unprocessed(run, db, tmp_path, dynalite):
    pad = fill_pages(db)
    # The keys a scanner leaves (under /wp-, as a WordPress probe asks for them).
    junk = {f"/wp-content/plugins/probe-{i:04d}.php": 1 for i in range(200)} | WP_JUNK
    put(db, KEEP | NOT_ALLOWED_BUT_NOT_WP | junk)
    assert sum(bool(page & set(junk)) for page in page_paths(db)) >= 2, "setup: junk on one Scan page only"
    short = ShortBatches()

    with dynamodb_front(dynalite, short) as front:
        run("list-prefix", "delete-listed", dynamodb=front)

    assert sorted(listed_keys(tmp_path)) == sorted(junk), "junk.txt must list exactly the /wp- keys"
    left = counts(db)
    kept_junk = sorted(set(left) & set(junk))
    assert not kept_junk, f"{len(kept_junk)} junk keys left, e.g. {kept_junk[:3]}"
    assert left == pad | KEEP | NOT_ALLOWED_BUT_NOT_WP, "a kept key was deleted or changed"
    assert max(short.sizes) <= BATCH_MAX, f"a BatchWriteItem of {max(short.sizes)} requests: DynamoDB refuses over 25"
    assert len(short.sizes) == math.ceil(len(junk) / BATCH_MAX) + short.short_calls, (
        f"{len(short.sizes)} BatchWriteItem calls for {len(junk)} keys: expected full batches of 25, "
        f"plus one call for each of the {short.short_calls} answers with unprocessed items"
    )
    assert short.sizes[1] == short.held, "the unprocessed items are sent again, alone, right after"
    sleeps = (tmp_path / "sleeps").read_text().splitlines()
    assert sleeps == ["1"] * short.short_calls, "a second's pause before each resend, none otherwise"
    assert not (tmp_path / "pwned").exists(), "a key was evaluated by the shell"


def test_delete_listed_of_an_empty_list_deletes_nothing_and_succeeds(run, db, tmp_path):
    # What it deletes from a list is the two list-then-delete tests'.
    put(db, KEEP | WP_JUNK)
    (tmp_path / "junk.txt").write_text("")

    run("delete-listed")

    assert counts(db) == KEEP | WP_JUNK


def test_list_not_allowed_then_delete_keeps_exactly_the_allow_list(run, db, tmp_path):
    pad = fill_pages(db)  # /blog/pad-…: allowed, and over a 1 MB Scan page
    put(db, KEEP | NOT_ALLOWED_BUT_NOT_WP | WP_JUNK)

    run("list-not-allowed")
    assert sorted(listed_keys(tmp_path)) == sorted(NOT_ALLOWED_BUT_NOT_WP | WP_JUNK)
    run("delete-listed")

    assert counts(db) == pad | KEEP, (
        "list-not-allowed + delete-listed must keep /, /index.html and /blog/… and delete the "
        f"rest; left: {sorted(set(counts(db)) - set(pad))}"
    )


# ---------------------------------------------------------------------------------------------
# a failed first create of production: the stack in ROLLBACK_FAILED, its new table protected

@pytest.fixture
def stuck(dynalite: str) -> Iterator[dict[str, Any]]:
    """A stack in ROLLBACK_FAILED that DeleteStack removes, and a front that plays deletion
    protection, which dynalite does not know: DeleteTable of a protected table is refused."""
    stack = {"status": "ROLLBACK_FAILED", "parameters": {"TableName": TABLE}, "exists": True,
             "deletable": True, "calls": [], "protected": True}

    def protection(operation: str, request: dict[str, Any], forward: Forward) -> tuple[int, dict[str, Any]]:
        stack["calls"].append(operation)
        if operation == "UpdateTable" and set(request) == {"TableName", "DeletionProtectionEnabled"}:
            stack["protected"] = request["DeletionProtectionEnabled"]
            stack["calls"][-1] = f"UpdateTable DeletionProtectionEnabled={stack['protected']}"
            status, answer = forward("DescribeTable", {"TableName": request["TableName"]})
            return status, {"TableDescription": answer["Table"]}
        if operation == "DeleteTable" and stack["protected"]:
            return 400, {"__type": "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
                         "message": "deletion protection is enabled"}
        return forward(operation, request)

    with cloudformation(stack) as cfn_url, dynamodb_front(dynalite, protection) as ddb_url:
        stack["endpoints"] = {"cloudformation": cfn_url, "dynamodb": ddb_url}
        yield stack


def test_failed_create_with_an_empty_table_deletes_table_then_stack(run, stuck, db):
    out = run("failed-create", **stuck["endpoints"])
    assert TABLE not in db.list_tables()["TableNames"], out
    assert stuck["exists"] is False, "the stack was deleted"
    calls = stuck["calls"]
    protection_off = calls.index("UpdateTable DeletionProtectionEnabled=False")
    assert protection_off < calls.index("DeleteTable") < calls.index("DeleteStack")


def test_failed_create_with_counts_deletes_nothing(run, stuck, db):
    put(db, {"/": 3})
    out = run("failed-create", **stuck["endpoints"])
    assert "holds 1 item(s): nothing deleted" in out
    assert counts(db) == {"/": 3}
    assert stuck["exists"] is True and stuck["protected"] is True
    assert "DeleteTable" not in stuck["calls"] and "DeleteStack" not in stuck["calls"]
