"""The GitHub Actions workflow (.github/workflows/ci.yml), offline: what a pull request can reach
(its triggers, each job's `if:` and `needs`, evaluated for a pull request), who holds an OIDC
token, the pins, and that it runs what the CodePipeline runs. scripts/lint-workflows.sh (make
lint) checks it against GitHub's schema, with zizmor and with shellcheck."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from conftest import ROOT, load_template, load_yaml

WORKFLOW = ROOT / ".github/workflows/ci.yml"
DEFAULT_BRANCH = "main"
PULL_REQUEST = {"github.event_name": "pull_request", "github.ref": "refs/pull/7/merge"}
PUSH_TO_MAIN = {"github.event_name": "push", "github.ref": f"refs/heads/{DEFAULT_BRANCH}"}
PUSH_ELSEWHERE = {"github.event_name": "push", "github.ref": "refs/heads/topic"}


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True.
    return workflow.get("on", workflow.get(True))


# --- a small evaluator of the `if:` expressions a job may carry -----------------------------

TOKEN = re.compile(r"\s*(\$\{\{|\}\}|==|!=|&&|\|\||!|\(|\)|'[^']*'|[A-Za-z_][A-Za-z0-9_.\-]*)")


def evaluate(expression: str, context: dict[str, str], needs_ok: bool) -> bool:
    """GitHub's expression syntax, as far as job conditions here use it: context values,
    'strings', == != ! && || and parentheses, and the status functions. Anything else fails."""
    text = expression.strip()
    tokens = []
    pos = 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
        assert match, f"cannot read {text[pos:]!r} in {expression!r}"
        pos = match.end()
        if match.group(1) not in ("${{", "}}"):
            tokens.append(match.group(1))

    def value(i: int) -> tuple[Any, int]:
        token = tokens[i]
        if token == "!":
            v, i = value(i + 1)
            return not v, i
        if token == "(":
            v, i = disjunction(i + 1)
            assert tokens[i] == ")", expression
            return v, i + 1
        if token.startswith("'"):
            return token[1:-1], i + 1
        if tokens[i + 1: i + 3] == ["(", ")"]:
            status = {"success": needs_ok, "always": True, "failure": False, "cancelled": False}
            assert token in status, f"unknown function {token} in {expression!r}"
            return status[token], i + 3
        assert token in context, f"unknown context {token} in {expression!r}"
        return context[token], i + 1

    def comparison(i: int) -> tuple[Any, int]:
        left, i = value(i)
        if i < len(tokens) and tokens[i] in ("==", "!="):
            right, j = value(i + 1)
            return (left == right) == (tokens[i] == "=="), j
        return left, i

    def conjunction(i: int) -> tuple[Any, int]:
        left, i = comparison(i)
        while i < len(tokens) and tokens[i] == "&&":
            right, i = comparison(i + 1)
            left = left and right
        return left, i

    def disjunction(i: int) -> tuple[Any, int]:
        left, i = conjunction(i)
        while i < len(tokens) and tokens[i] == "||":
            right, i = conjunction(i + 1)
            left = left or right
        return left, i

    result, end = disjunction(0)
    assert end == len(tokens), f"cannot read {expression!r}"
    status_function = any(t in ("success", "always", "failure", "cancelled") for t in tokens)
    # Without a status function GitHub adds success(): every job it needs must have succeeded.
    return bool(result) and (needs_ok or status_function)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def runs_on(workflow: dict[str, Any], context: dict[str, str]) -> set[str]:
    """The jobs that run for an event, from their needs and conditions (every job that runs is
    taken to succeed: the most a pull request could reach)."""
    jobs = workflow["jobs"]
    ran: dict[str, bool] = {}

    def runs(job_id: str) -> bool:
        if job_id not in ran:
            job = jobs[job_id]
            needs_ok = all(runs(n) for n in as_list(job.get("needs")))
            ran[job_id] = evaluate(str(job.get("if", "success()")), context, needs_ok)
        return ran[job_id]

    return {job_id for job_id in jobs if runs(job_id)}


def holds_credentials(job: dict[str, Any]) -> bool:
    """A job that deploys: an environment, an OIDC token, AWS credentials or a SAM deploy."""
    steps = job.get("steps", [])
    return (
        "environment" in job
        or (job.get("permissions") or {}).get("id-token") == "write"
        or any("configure-aws-credentials" in s.get("uses", "") for s in steps)
        or any(re.search(r"\bsam (deploy|package)\b", s.get("run", "")) for s in steps)
    )


# --- the tests --------------------------------------------------------------------------------


def test_triggers_are_pull_requests_and_pushes_to_the_default_branch(workflow):
    on = triggers(workflow)
    # Never pull_request_target or workflow_run: they run with the base repository's secrets.
    assert set(on) == {"pull_request", "push"}
    assert on["push"] == {"branches": [DEFAULT_BRANCH]}
    assert not on["pull_request"], "every pull request, no filter to get wrong"


def test_a_pull_request_reaches_no_job_that_deploys_or_holds_an_id_token(workflow):
    reached = runs_on(workflow, PULL_REQUEST)
    assert reached == {"test"}, reached
    for job_id in reached:
        assert not holds_credentials(workflow["jobs"][job_id]), job_id
    # Nor does a push to another branch (the same guard, by ref).
    assert not [j for j in runs_on(workflow, PUSH_ELSEWHERE) if holds_credentials(workflow["jobs"][j])]


def test_a_push_to_main_runs_every_job_in_the_pipelines_order(workflow):
    assert runs_on(workflow, PUSH_TO_MAIN) == set(workflow["jobs"])
    order = ["test", "build", "deploy-test", "smoke-test", "deploy-production", "smoke-production"]
    assert list(workflow["jobs"]) == order
    for before, after in zip(order, order[1:]):
        assert before in as_list(workflow["jobs"][after].get("needs")), f"{after} needs {before}"


def test_each_job_that_deploys_guards_itself_and_names_its_environment(workflow):
    deploying = {j: job for j, job in workflow["jobs"].items() if holds_credentials(job)}
    assert set(deploying) == {"deploy-test", "deploy-production"}
    oidc = load_template(ROOT / "github-oidc.yaml")
    environments = {"deploy-test": "TestEnvironment", "deploy-production": "ProductionEnvironment"}
    for job_id, job in deploying.items():
        # Its own condition, so that no change to the jobs it needs opens it to a pull request.
        assert not evaluate(str(job.get("if", "")), PULL_REQUEST, needs_ok=True), job_id
        assert job["environment"]["name"] == oidc["Parameters"][environments[job_id]]["Default"]
        assert job["env"]["AWS_DEFAULT_REGION"] == "${{ vars.AWS_REGION }}", "the CLI v1 and SAM need it"


def test_permissions_are_none_by_default_and_id_token_only_where_deploying(workflow):
    assert workflow["permissions"] == {}
    for job_id, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        deploys = holds_credentials(job)
        expected = {"contents": "read", "id-token": "write"} if deploys else {"contents": "read"}
        assert permissions == expected, job_id


def test_every_action_is_pinned_to_a_commit_with_its_version(workflow):
    lines = [line.strip() for line in WORKFLOW.read_text(encoding="utf-8").splitlines()]
    uses = [line for line in lines if line.startswith(("uses:", "- uses:"))]
    assert uses
    pinned = re.compile(r"(- )?uses: [\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+")
    assert [u for u in uses if not pinned.fullmatch(u)] == []
    # One version per action: two pins of one action would be two things to keep current.
    versions = {}
    for u in uses:
        action, rest = u.split("uses: ", 1)[1].split("@", 1)
        versions.setdefault(action, set()).add(rest)
    assert all(len(v) == 1 for v in versions.values()), versions


def runs_of(job: dict[str, Any]) -> str:
    return "\n".join(s.get("run", "") for s in job["steps"])


def test_the_test_job_runs_what_the_pipelines_test_stage_runs(workflow):
    job = workflow["jobs"]["test"]
    run = runs_of(job)
    assert "scripts/setup-rust-ci.sh" in run
    assert re.search(r"^make lint$", run, re.M)
    assert "scripts/check-deps.sh advisories" in run
    buildspec = load_yaml("unit-tests-buildspec.yml")["phases"]["build"]["commands"]
    # The same make test, the same JUnit reports as the CodeBuild reports.
    assert 'make test CARGO_TEST="cargo nextest run --locked --profile ci"' in " ".join(run.split())
    assert any('CARGO_TEST="cargo nextest run --locked --profile ci"' in c for c in buildspec)
    # The runner installs QEMU (apt-get with sudo), so the arm64 tests run here; only CodeBuild's
    # Amazon Linux image, which has none, leaves them out.
    assert "ARM64_TESTS" not in run
    assert any("make test ARM64_TESTS= " in " ".join(c.split()) for c in buildspec)
    (upload,) = [s for s in job["steps"] if "upload-artifact" in s.get("uses", "")]
    reports = load_yaml("unit-tests-buildspec.yml")["reports"]
    assert set(upload["with"]["path"].split()) == {r["files"][0] for r in reports.values()}
    assert upload["if"] == "${{ !cancelled() }}", "reports of a failed run too"
    assert job["env"]["CI"] == "true"


@pytest.mark.parametrize(
    "job_id, stack, table, extra",
    [
        ("deploy-test", "TEST_STACK_NAME", "TEST_TABLE_NAME", "DeletionProtection=false"),
        ("deploy-production", "PROD_STACK_NAME", "PROD_TABLE_NAME", None),
    ],
)
def test_each_deploy_passes_the_stack_table_and_role_of_its_environment(workflow, job_id, stack, table, extra):
    job = workflow["jobs"][job_id]
    (deploy,) = [s for s in job["steps"] if "sam deploy" in s.get("run", "")]
    env, run = deploy["env"], " ".join(deploy["run"].split())
    assert env["STACK"] == f"${{{{ vars.{stack} }}}}" and env["TABLE"] == f"${{{{ vars.{table} }}}}"
    assert env["DEPLOY_ROLE_ARN"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert '--stack-name "$STACK"' in run and '--role-arn "$DEPLOY_ROLE_ARN"' in run
    assert '--parameter-overrides "TableName=$TABLE"' in run
    assert ("DeletionProtection=false" in run) == (extra is not None)
    assert ("--on-failure DELETE" in run) == (job_id == "deploy-test"), "only the test stack is ever deleted"
    (credentials,) = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
    role = "AWS_TEST_ROLE_ARN" if job_id == "deploy-test" else "AWS_PRODUCTION_ROLE_ARN"
    assert credentials["with"]["role-to-assume"] == f"${{{{ vars.{role} }}}}"


def test_both_stacks_get_the_architecture_the_binary_was_built_for(workflow):
    jobs = workflow["jobs"]
    (build,) = [s for s in jobs["build"]["steps"] if s.get("run") == "make build"]
    assert build["env"]["LAMBDA_ARCHITECTURE"] == "${{ vars.ARCHITECTURE }}"
    for job_id in ("deploy-test", "deploy-production"):
        (deploy,) = [s for s in jobs[job_id]["steps"] if "sam deploy" in s.get("run", "")]
        assert deploy["env"]["ARCHITECTURE"] == "${{ vars.ARCHITECTURE }}", job_id
        # Unset, both sides mean the template's default, x86_64.
        assert '"Architecture=${ARCHITECTURE:-x86_64}"' in deploy["run"], job_id


@pytest.mark.parametrize("job_id, deploy, read_only", [("smoke-test", "deploy-test", None), ("smoke-production", "deploy-production", "1")])
def test_smoke_runs_on_the_url_its_deploy_output_without_credentials(workflow, job_id, deploy, read_only):
    job = workflow["jobs"][job_id]
    (smoke,) = [s for s in job["steps"] if "make smoke" in s.get("run", "")]
    assert smoke["env"]["COUNTER_URL"] == f"${{{{ needs.{deploy}.outputs.counter-url }}}}"
    assert smoke["env"].get("SMOKE_READ_ONLY") == read_only
    assert not holds_credentials(job)


def test_the_variables_it_reads_are_the_ones_github_oidc_yaml_outputs_and_readme_lists(workflow):
    text = WORKFLOW.read_text(encoding="utf-8")
    read = set(re.findall(r"\bvars\.([A-Z_]+)", text))
    output = load_template(ROOT / "github-oidc.yaml")["Outputs"]["RepositoryVariables"]["Value"]["Fn::Join"][1]
    written = {item["Fn::Sub"].split("=", 1)[0] for item in output}
    optional = {"ARCHITECTURE", "COUNTER_PARAMETERS", "PRODUCTION_PARAMETERS"}
    assert read == written | optional
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [v for v in sorted(read) if f"`{v}`" not in readme] == [], "README lists each variable"


def test_the_smoke_jobs_use_the_runners_own_chromium(workflow):
    # actions/runner-images' Ubuntu 24.04 readme: Chromium linked at /usr/bin/chromium.
    assert workflow["env"]["CHROMIUM"] == "/usr/bin/chromium"
    assert "apt-get" not in WORKFLOW.read_text(encoding="utf-8")
