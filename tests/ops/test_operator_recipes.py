"""The operator recipes of OPERATIONS.md, run as written against dynalite.

Each ```sh block after a `<!-- recipe: NAME -->` marker in OPERATIONS.md runs in bash, verbatim, with
the project's AWS CLI (.venv/bin/aws), after the `<!-- recipe: table -->` block, as in a user's
shell. That block asks CloudFormation for the stack's `CounterTableName`; a stub CloudFormation
endpoint on loopback answers DescribeStacks for the stack named in samconfig.toml, with the
outputs template.yaml declares, so it runs as written too. DynamoDB is dynalite (tools/local/dynalite.js). The CLI reaches them through
AWS_ENDPOINT_URL (dynalite) and AWS_ENDPOINT_URL_CLOUDFORMATION (the stub); a user against AWS
sets neither. The table state is then checked with boto3, not with the CLI under test, and a
visit is emulated with the function's own call (UpdateItem `ADD hits :inc`, UPDATED_NEW).

Fixtures live here, not in a conftest.py: tests/infra's modules do `from conftest import ...`,
and a second conftest.py in the same pytest run would shadow theirs.
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
import zlib
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECIPES_DOC = ROOT / "OPERATIONS.md"
AWS_CLI = ROOT / ".venv" / "bin" / "aws"
DYNALITE_JS = ROOT / "tools" / "local" / "dynalite.js"
# Not the template's default name, so a recipe that hard-codes the table fails.
TABLE = "OpsRecipesCounterHits"
RECIPES = {"set-count", "reset-page", "top-pages", "list-prefix", "list-not-allowed", "delete-listed", "failed-create"}
# The block that sets TABLE from the stack's outputs, run before each recipe.
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
    markers = re.findall(r"<!-- recipe: ([^ ]+) -->", text)
    loose = sorted(set(markers) - set(found))
    assert not loose, f"OPERATIONS.md: recipe markers not directly followed by a ```sh block: {loose}"
    return found


def recipe(name: str) -> str:
    found = readme_recipes()
    assert name in found, (
        f"OPERATIONS.md has no `<!-- recipe: {name} -->` marker followed by a ```sh block "
        f"(found: {sorted(found)})"
    )
    return found[name]


def stack_name() -> str:
    samconfig = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    return samconfig["default"]["global"]["parameters"]["stack_name"]


def template_outputs() -> list[str]:
    # Short-form tags (!Sub, !GetAtt) only appear in values; the output names are plain keys.
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    block = re.search(r"^Outputs:\n((?:[ \t]+.*\n|\n)*)", text, re.M)
    assert block, "template.yaml has no Outputs section"
    return re.findall(r"^  ([A-Za-z0-9]+):", block.group(1), re.M)


# ---------------------------------------------------------------------------------------------
# Tools: fail, never skip, when one is missing

def require_tools() -> None:
    if not AWS_CLI.is_file():
        pytest.fail(
            f"the AWS CLI is not installed at {AWS_CLI.relative_to(ROOT)}: run "
            "scripts/setup-python.sh (or `make setup`); requirements-dev.txt pins awscli"
        )
    if shutil.which("node") is None:
        pytest.fail("node not found on PATH: install Node.js 20+ (dynalite runs on it)")
    if shutil.which("bash") is None:
        pytest.fail("bash not found on PATH: the recipes are bash")


# ---------------------------------------------------------------------------------------------
# dynalite with the counter table, and a boto3 client of our own for it

@pytest.fixture
def dynalite() -> Iterator[str]:
    require_tools()
    proc = subprocess.Popen(
        ["node", str(DYNALITE_JS), "--table", TABLE],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout=30)
        line = proc.stdout.readline() if ready else ""
        if not line:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            pytest.fail(
                "dynalite did not start (tools/local/dynalite.js; `npm ci` installs dynalite):\n"
                + (err.strip() or "no output within 30 s")
            )
        yield json.loads(line)["endpoint"]
    finally:
        if proc.poll() is None:
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
        "dynamodb",
        endpoint_url=dynalite,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )


def put(db, counts: dict[str, int]) -> None:
    items = [{"path": {"S": p}, "hits": {"N": str(n)}} for p, n in counts.items()]
    for i in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[i : i + 25]]
        left = db.batch_write_item(RequestItems={TABLE: batch})["UnprocessedItems"]
        assert not left, f"dynalite left items unprocessed: {left}"


def table_state(db) -> dict[str, dict[str, Any]]:
    """Every item, whole, keyed by path: {path: {"path": {"S": ..}, "hits": {"N": ..}}}."""
    items: dict[str, dict[str, Any]] = {}
    for page in db.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True):
        for item in page["Items"]:
            items[item["path"]["S"]] = item
    return items


def counts(db) -> dict[str, int]:
    return {p: int(item["hits"]["N"]) for p, item in table_state(db).items()}


# The function's one update for a hit (src/store.rs), the new total read from its answer.
ADD_ONE_HIT = {
    "UpdateExpression": "ADD hits :inc",
    "ExpressionAttributeValues": {":inc": {"N": "1"}},
    "ReturnValues": "UPDATED_NEW",
}


def visit(db, path: str) -> int:
    """What the function does for one hit."""
    answer = db.update_item(TableName=TABLE, Key={"path": {"S": path}}, **ADD_ONE_HIT)
    return int(answer["Attributes"]["hits"]["N"])


def scan_pages(db) -> list[list[str]]:
    """The paths on each page of a plain Scan (DynamoDB and dynalite stop a page at 1 MB)."""
    return [
        [item["path"]["S"] for item in page["Items"]]
        for page in db.get_paginator("scan").paginate(TableName=TABLE)
    ]


def fill_pages(db, n: int = 1100) -> dict[str, int]:
    """About 2 MB of items (1,800-byte keys under /blog/pad-), so that a Scan has 2 or 3 pages."""
    pad = {f"/blog/pad-{i:04d}-" + "x" * 1780: 1 + i for i in range(n)}
    put(db, pad)
    pages = scan_pages(db)
    assert len(pages) >= 2, f"the filler did not make a Scan page twice: {len(pages)} page(s)"
    return pad


# ---------------------------------------------------------------------------------------------
# A CloudFormation endpoint that knows one stack

@pytest.fixture(scope="module")
def cloudformation() -> Iterator[str]:
    stack = stack_name()
    outputs = {name: f"fake-{name}" for name in template_outputs()}
    outputs["CounterTableName"] = TABLE
    outputs["CounterTableArn"] = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"

    def members(pairs: dict[str, str]) -> str:
        return "".join(
            f"<member><OutputKey>{escape(k)}</OutputKey><OutputValue>{escape(v)}</OutputValue></member>"
            for k, v in pairs.items()
        )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if form.get("Action") != "DescribeStacks" or form.get("StackName") != stack:
                code, body = 400, (
                    "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
                    f"<Message>stub CloudFormation knows only DescribeStacks of {escape(stack)}; "
                    f"got {escape(json.dumps(form))}</Message></Error>"
                    "<RequestId>stub</RequestId></ErrorResponse>"
                )
            else:
                code, body = 200, (
                    '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
                    "<DescribeStacksResult><Stacks><member>"
                    f"<StackName>{escape(stack)}</StackName>"
                    f"<StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/{escape(stack)}/1</StackId>"
                    "<CreationTime>2026-01-01T00:00:00Z</CreationTime>"
                    "<StackStatus>UPDATE_COMPLETE</StackStatus>"
                    f"<Outputs>{members(outputs)}</Outputs>"
                    "</member></Stacks></DescribeStacksResult>"
                    "<ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata>"
                    "</DescribeStacksResponse>"
                )
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as url:
        yield url


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` on a free loopback port, for the block's length; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------------------------
# Running a recipe

def recipe_env(dynalite: str, cloudformation: str, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": f"{AWS_CLI.parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),  # no ~/.aws of the user's
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        # Every service goes to dynalite, except CloudFormation: nothing can reach AWS.
        "AWS_ENDPOINT_URL": dynalite,
        "AWS_ENDPOINT_URL_CLOUDFORMATION": cloudformation,
        # A recipe must set TABLE from the stack's outputs itself.
        "TABLE": "not-the-counter-table",
    }


@pytest.fixture
def run(dynalite: str, cloudformation: str, tmp_path: Path):
    def run_recipe(*names: str, endpoint: str | None = None) -> str:
        """The recipes one after the other in one shell, as a user pastes them; DynamoDB is
        dynalite, or `endpoint` (a proxy in front of it)."""
        name = " + ".join(names)
        script = recipe(TABLE_BLOCK) + "".join(recipe(n) for n in names)
        env = recipe_env(endpoint or dynalite, cloudformation, tmp_path)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (
            f"recipe {name!r} exited {done.returncode}\n--- script\n{script}"
            f"--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
        )
        return done.stdout

    return run_recipe


# ---------------------------------------------------------------------------------------------
# The document itself

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
# 1. set a page's count

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


# ---------------------------------------------------------------------------------------------
# 2. reset a page (or delete one junk key)

def test_reset_page_removes_only_that_page_and_its_next_visit_counts_one(run, db):
    others = {"/": 9, "/index.html.bak": 4, "/Index.html": 2}
    put(db, others | {"/index.html": 42})

    run("reset-page")

    assert counts(db) == others, "reset-page must remove /index.html and nothing else"
    assert visit(db, "/index.html") == 1, "after a reset the next visit must count 1"


def test_reset_page_of_a_page_without_a_count_writes_nothing(run, db):
    put(db, {"/": 9})
    run("reset-page")
    assert counts(db) == {"/": 9}


# ---------------------------------------------------------------------------------------------
# 3. the top pages

# `--output table` rows, `|  1234  |  /index.html   |`; also `--output text` rows, `1234<TAB>/index.html`,
# so that a recipe switched to text fails on what it prints, not on its layout.
ROW = re.compile(r"^(?:\|\s+(\d+)\s+\|  (.*?)\s+\||(\d+)\t(.*))$")


def top_rows(stdout: str) -> list[tuple[int, str]]:
    rows = [m.groups() for m in map(ROW.match, stdout.splitlines()) if m]
    return [(int(a or c), b if a else d) for a, b, c, d in rows]


def test_top_pages_sorts_by_number_not_by_string(run, db):
    put(db, {"/a": 9, "/b": 100, "/c": 10, "/ünï €": 55})
    rows = top_rows(run("top-pages"))
    assert rows == [(100, "/b"), (55, "/ünï €"), (10, "/c"), (9, "/a")], rows


def test_top_pages_are_the_whole_tables_top_ten_across_scan_pages(run, db):
    pad = fill_pages(db)
    candidates = [f"/p{i:02d}" for i in range(40)]
    put(db, dict.fromkeys(candidates, 0))
    # Sorting each Scan page on its own would pass if the top ten shared a page: take six
    # from the first page and six from the others, with counts above every filler's and in
    # no order of their keys or pages.
    pages = scan_pages(db)
    first = [p for p in candidates if p in pages[0]][:6]
    rest = [p for p in candidates if p not in pages[0]][:6]
    assert len(first) == len(rest) == 6, f"setup: candidates per page {len(first)}, {len(rest)}"
    top = {p: 10_000 + 37 * ((i * 7) % 12) for i, p in enumerate(first + rest)}
    put(db, top)
    expected = sorted(((n, p) for p, n in (pad | top).items()), reverse=True)[:10]
    assert {p for _, p in expected} & set(first) and {p for _, p in expected} & set(rest)

    rows = top_rows(run("top-pages"))
    assert rows == expected, f"top-pages printed {rows}, expected {expected}"


# ---------------------------------------------------------------------------------------------
# 4. junk keys

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


JUNK_COUNT = 1000
BATCH_MAX = 25  # BatchWriteItem's limit


def many_junk_keys() -> dict[str, int]:
    """1,000 keys a scanner leaves (under /wp-, as a WordPress probe asks for them)."""
    return {f"/wp-content/plugins/probe-{i:04d}.php": 1 for i in range(JUNK_COUNT)}


class BatchWriteProxy:
    """DynamoDB through a proxy that answers BatchWriteItem as DynamoDB does under throttling:
    for the first few calls of more than `held` requests it passes on all but the last `held`
    and returns those as UnprocessedItems. It records each call's size. Every other call passes through unchanged."""

    def __init__(self, upstream: str, short_calls: int = 3, held: int = 5) -> None:
        self.upstream = urlsplit(upstream)
        self.short_calls, self.held = short_calls, held
        self.sizes: list[int] = []
        self.shorted = 0
        self.lock = threading.Lock()

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        conn = HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            return answer.status, dict(answer.getheaders()), answer.read()
        finally:
            conn.close()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if headers.get("X-Amz-Target", "").endswith(".BatchWriteItem"):
            request = json.loads(body)
            size = sum(len(v) for v in request["RequestItems"].values())
            with self.lock:
                self.sizes.append(size)
                short = size > self.held and self.shorted < self.short_calls
                self.shorted += short
            if short:
                held: dict[str, list[Any]] = {}
                for table, requests in request["RequestItems"].items():
                    keep = max(0, len(requests) - self.held)
                    held[table], request["RequestItems"][table] = requests[keep:], requests[:keep]
                body = json.dumps(request).encode()
                status, answer_headers, answer = self.forward(method, path, headers | {"Content-Length": str(len(body))}, body)
                result = json.loads(answer)
                result["UnprocessedItems"] = {t: r for t, r in held.items() if r}
                answer = json.dumps(result).encode()
                answer_headers |= {"Content-Length": str(len(answer)), "x-amz-crc32": str(zlib.crc32(answer))}
                return status, answer_headers, answer
        return self.forward(method, path, headers, body)


@pytest.fixture
def batch_proxy(dynalite: str) -> Iterator[BatchWriteProxy]:
    proxy = BatchWriteProxy(dynalite)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "connection"}}
            status, answer_headers, answer = proxy.handle("POST", self.path, headers, body)
            self.send_response(status)
            for key, value in answer_headers.items():
                if key.lower() not in {"connection", "transfer-encoding", "date", "server"}:
                    self.send_header(key, value)
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as url:
        proxy.endpoint = url
        yield proxy


def listed_keys(tmp_path: Path) -> list[str]:
    return [json.loads(line)["path"]["S"] for line in (tmp_path / "junk.txt").read_text().splitlines()]


def test_list_prefix_lists_exactly_the_keys_with_the_prefix_on_every_scan_page(run, db, tmp_path):
    pad = fill_pages(db)
    put(db, KEEP | NOT_ALLOWED_BUT_NOT_WP | WP_JUNK)
    pages = scan_pages(db)
    assert len({i for i, page in enumerate(pages) for p in page if p in WP_JUNK}) >= 2, (
        "setup: the junk keys all sit on one Scan page; change the keys"
    )

    run("list-prefix")

    assert sorted(listed_keys(tmp_path)) == sorted(WP_JUNK), "junk.txt must list exactly the /wp- keys"
    assert counts(db) == pad | KEEP | NOT_ALLOWED_BUT_NOT_WP | WP_JUNK, "listing deletes nothing"


def test_delete_listed_removes_1000_junk_keys_in_batches_of_25_retrying_the_unprocessed(
    run, db, tmp_path, batch_proxy
):
    pad = fill_pages(db)
    junk = many_junk_keys() | WP_JUNK
    put(db, KEEP | NOT_ALLOWED_BUT_NOT_WP | junk)

    run("list-prefix", "delete-listed", endpoint=batch_proxy.endpoint)

    left = counts(db)
    kept_junk = sorted(set(left) & set(junk))
    assert not kept_junk, f"{len(kept_junk)} junk keys left, e.g. {kept_junk[:3]}"
    assert left == pad | KEEP | NOT_ALLOWED_BUT_NOT_WP, "a kept key was deleted or changed"
    sizes = batch_proxy.sizes
    assert max(sizes) <= BATCH_MAX, f"a BatchWriteItem of {max(sizes)} requests: DynamoDB refuses over 25"
    retries = batch_proxy.short_calls
    assert len(sizes) == math.ceil(len(junk) / BATCH_MAX) + retries, (
        f"{len(sizes)} BatchWriteItem calls for {len(junk)} keys: expected full batches of 25, "
        f"plus one call for each of the {retries} answers with unprocessed items"
    )
    assert sizes[1] == batch_proxy.held, "the unprocessed items are sent again, alone, right after"
    assert not (tmp_path / "pwned").exists(), "a key was evaluated by the shell"


def test_delete_listed_deletes_only_what_junk_txt_lists(run, db, tmp_path):
    put(db, KEEP | WP_JUNK)
    listed = dict(list(WP_JUNK.items())[:2])
    (tmp_path / "junk.txt").write_text(
        "".join(json.dumps({"path": {"S": p}}, separators=(",", ":")) + "\n" for p in listed)
    )

    run("delete-listed")

    assert counts(db) == KEEP | {p: n for p, n in WP_JUNK.items() if p not in listed}


def test_delete_listed_with_an_empty_list_writes_nothing(run, db, tmp_path):
    put(db, KEEP)
    (tmp_path / "junk.txt").write_text("")
    run("delete-listed")
    assert counts(db) == KEEP


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
# 7. a failed first create of production: the stack in ROLLBACK_FAILED, its new table protected

@pytest.fixture
def stuck(dynalite: str) -> Iterator[dict[str, Any]]:
    """CloudFormation knowing one stack in ROLLBACK_FAILED (parameters, no outputs) that
    DeleteStack removes; DynamoDB is dynalite behind a front that plays the deletion-protection
    switch dynalite does not know: UpdateTable of DeletionProtectionEnabled is answered and
    recorded, and DeleteTable of a protected table refused, as DynamoDB does."""
    stack = stack_name()
    state: dict[str, Any] = {"protected": True, "stack": True, "calls": []}

    def reply(handler: BaseHTTPRequestHandler, code: int, body: bytes, content_type: str) -> None:
        handler.send_response(code)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    class CloudFormation(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            state["calls"].append(form.get("Action"))
            ok = form.get("StackName") == stack and state["stack"]
            if form.get("Action") == "DescribeStacks" and ok:
                body = (
                    '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
                    "<DescribeStacksResult><Stacks><member>"
                    f"<StackName>{escape(stack)}</StackName><StackStatus>ROLLBACK_FAILED</StackStatus>"
                    "<CreationTime>2026-01-01T00:00:00Z</CreationTime>"
                    f"<Parameters><member><ParameterKey>TableName</ParameterKey><ParameterValue>{TABLE}"
                    "</ParameterValue></member></Parameters>"
                    "</member></Stacks></DescribeStacksResult></DescribeStacksResponse>"
                )
                return reply(self, 200, body.encode(), "text/xml")
            if form.get("Action") == "DeleteStack" and ok:
                state["stack"] = False
                return reply(self, 200, b"<DeleteStackResponse><ResponseMetadata><RequestId>s</RequestId></ResponseMetadata></DeleteStackResponse>", "text/xml")
            body = (
                "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
                f"<Message>Stack with id {escape(form.get('StackName', ''))} does not exist</Message>"
                "</Error><RequestId>stub</RequestId></ErrorResponse>"
            )
            reply(self, 400, body.encode(), "text/xml")

        def log_message(self, *args: Any) -> None:
            pass

    class DynamoDB(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            import urllib.error
            import urllib.request

            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            operation = self.headers.get("X-Amz-Target", "").split(".")[-1]
            request = json.loads(body or b"{}")
            state["calls"].append(operation)
            json_type = "application/x-amz-json-1.0"
            if operation == "UpdateTable" and set(request) == {"TableName", "DeletionProtectionEnabled"}:
                state["protected"] = request["DeletionProtectionEnabled"]
                state["calls"][-1] = f"UpdateTable DeletionProtectionEnabled={state['protected']}"
                operation, body = "DescribeTable", json.dumps({"TableName": request["TableName"]}).encode()
            elif operation == "DeleteTable" and state["protected"]:
                error = {"__type": "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
                         "message": "deletion protection is enabled"}
                return reply(self, 400, json.dumps(error).encode(), json_type)
            forward = urllib.request.Request(
                dynalite, data=body, method="POST",
                headers={"Content-Type": json_type, "X-Amz-Target": f"DynamoDB_20120810.{operation}",
                         **{h: self.headers[h] for h in ("Authorization", "X-Amz-Date") if h in self.headers}},
            )
            try:
                with urllib.request.urlopen(forward) as answer:
                    code, data = answer.status, answer.read()
            except urllib.error.HTTPError as err:
                code, data = err.code, err.read()
            if operation == "DescribeTable" and code == 200 and "protection" in state["calls"][-1]:
                data = json.dumps({"TableDescription": json.loads(data)["Table"]}).encode()
            reply(self, code, data, json_type)

        def log_message(self, *args: Any) -> None:
            pass

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), h) for h in (CloudFormation, DynamoDB)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    cfn, ddb = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    state["env"] = {"AWS_ENDPOINT_URL_CLOUDFORMATION": cfn, "AWS_ENDPOINT_URL_DYNAMODB": ddb}
    try:
        yield state
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def run_failed_create(stuck: dict[str, Any], dynalite: str, tmp_path: Path) -> str:
    env = recipe_env(dynalite, stuck["env"]["AWS_ENDPOINT_URL_CLOUDFORMATION"], tmp_path)
    env.update(stuck["env"])
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", recipe("failed-create")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def test_failed_create_with_an_empty_table_deletes_table_then_stack(stuck, dynalite, db, tmp_path):
    out = run_failed_create(stuck, dynalite, tmp_path)
    assert TABLE not in db.list_tables()["TableNames"], out
    assert stuck["stack"] is False, "the stack was deleted"
    calls = stuck["calls"]
    protection_off = calls.index("UpdateTable DeletionProtectionEnabled=False")
    assert protection_off < calls.index("DeleteTable") < calls.index("DeleteStack")


def test_failed_create_with_counts_deletes_nothing(stuck, dynalite, db, tmp_path):
    put(db, {"/": 3})
    out = run_failed_create(stuck, dynalite, tmp_path)
    assert "holds 1 item(s): nothing deleted" in out
    assert counts(db) == {"/": 3}
    assert stuck["stack"] is True and stuck["protected"] is True
    assert "DeleteTable" not in stuck["calls"] and "DeleteStack" not in stuck["calls"]
