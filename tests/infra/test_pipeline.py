"""pipeline.yaml, the delivery pipeline, offline, held to each promise its comments make; what
its roles must be able to do is test_role_permissions.py's. checkov holds the bucket's
encryption, versioning and public access block (CKV_AWS_19, 21, 53 to 56) and Action "*"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import ROOT, as_list, get_att, load_template, load_yaml, resources_of_type, statements
from intrinsics import resolve_sub, sub_variables

PIPELINE = ROOT / "pipeline.yaml"
STACK = "crc-pipeline"  # a stack name to resolve ${AWS::StackName} with


@pytest.fixture(scope="module")
def pipeline() -> dict[str, Any]:
    return load_template(PIPELINE)


def stages(pipeline: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    props = pipeline["Resources"]["Pipeline"]["Properties"]
    return {stage["Name"]: stage["Actions"] for stage in props["Stages"]}


def action(pipeline: dict[str, Any], stage: str, name: str) -> dict[str, Any]:
    (found,) = [a for a in stages(pipeline)[stage] if isinstance(a, dict) and a.get("Name") == name]
    return found


def ref(node: Any) -> str:
    assert isinstance(node, dict) and set(node) == {"Ref"}, f"not a Ref: {node!r}"
    return node["Ref"]


def get_att_resource(node: Any) -> str:
    att = get_att(node)
    assert att, f"not a GetAtt: {node!r}"
    return att[0]


def sub(node: Any, **values: str) -> str:
    return resolve_sub(node, {"AWS::StackName": STACK, **values})


def role_actions(pipeline: dict[str, Any], role: str) -> set[str]:
    return {a for name, s in statements(pipeline) if name == role for a in as_list(s["Action"])}


def action_role(pipeline: dict[str, Any], stage: str, name: str) -> str:
    return get_att_resource(action(pipeline, stage, name)["Configuration"]["RoleArn"])


def placeholders(pipeline: dict[str, Any]) -> dict[str, str]:
    """Each parameter's name as "<Name>", to resolve a Fn::Sub and see which went where."""
    return {p: f"<{p}>" for p in pipeline["Parameters"]}


# --- the file as a whole ----------------------------------------------------------------------


def test_stages_run_in_order(pipeline):
    # Each smoke right after its deploy; production only after the test stack's smoke passed.
    assert list(stages(pipeline)) == [
        "Source", "UpdatePipeline", "Test", "Build", "DeployTest", "SmokeTest", "DeployProd",
        "SmokeProd",
    ]


def test_source_is_a_connection_to_the_repository_and_branch(pipeline):
    source = action(pipeline, "Source", "Source")
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    config = source["Configuration"]
    assert config["ConnectionArn"] == {
        "Fn::If": ["CreateConnection", {"Ref": "GitHubConnection"}, {"Ref": "ConnectionArn"}]
    }
    assert ref(config["FullRepositoryId"]) == "GitHubRepository"
    assert ref(config["BranchName"]) == "BranchName"
    connection = pipeline["Resources"]["GitHubConnection"]
    assert connection["Type"] == "AWS::CodeConnections::Connection"
    assert connection["Condition"] == "CreateConnection"


def change_set(pipeline: dict[str, Any], stage: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stage's CreateChangeSet and the ExecuteChangeSet after it, of one stack."""
    create, execute = (action(pipeline, stage, name) for name in ("CreateChangeSet", "ExecuteChangeSet"))
    modes = (create["Configuration"]["ActionMode"], execute["Configuration"]["ActionMode"])
    assert modes == ("CHANGE_SET_REPLACE", "CHANGE_SET_EXECUTE")
    assert create["RunOrder"] < execute["RunOrder"]
    for key in ("StackName", "ChangeSetName"):
        assert create["Configuration"][key] == execute["Configuration"][key], key
    return create, execute


def test_pipeline_updates_itself_first_keeping_every_parameter(pipeline):
    create, _ = change_set(pipeline, "UpdatePipeline")
    assert ref(create["Configuration"]["StackName"]) == "AWS::StackName"
    assert create["Configuration"]["TemplatePath"] == f"Source::{PIPELINE.name}"
    assert pipeline["Resources"]["Pipeline"]["Properties"]["RestartExecutionOnUpdate"] is True
    # An omitted parameter would fall back to its default on the next self-update.
    overrides = create["Configuration"]["ParameterOverrides"]
    assert json.loads(sub(overrides, **placeholders(pipeline))) == placeholders(pipeline)


# --- the two CodeBuild jobs -------------------------------------------------------------------


def project_of(pipeline: dict[str, Any], stage: str) -> dict[str, Any]:
    (build,) = stages(pipeline)[stage]
    assert build["ActionTypeId"]["Provider"] == "CodeBuild"
    return pipeline["Resources"][ref(build["Configuration"]["ProjectName"])]["Properties"]


def project_role(pipeline: dict[str, Any], stage: str) -> str:
    return get_att_resource(project_of(pipeline, stage)["ServiceRole"])


@pytest.mark.parametrize(
    "stage, buildspec",
    [("Test", "unit-tests-buildspec.yml"), ("Build", "buildspec.yml"), ("SmokeTest", "smoke-buildspec.yml")],
)
def test_each_project_runs_a_buildspec_of_this_repository_unprivileged(pipeline, stage, buildspec):
    project = project_of(pipeline, stage)
    assert project["Source"] == {"Type": "CODEPIPELINE", "BuildSpec": buildspec}
    assert (ROOT / buildspec).is_file()
    environment = project["Environment"]
    # The image the CI scripts are written for (Amazon Linux 2023: dnf, no Chromium of its own).
    assert environment["Image"] == "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    assert environment["PrivilegedMode"] is False, "nothing here runs Docker"
    if stage != "SmokeTest":  # the Rust builds cache the registry and target/
        assert sub(project["Cache"]["Location"], ArtifactBucket="<bucket>").startswith("<bucket>/cache/")
        paths = load_yaml(buildspec)["cache"]["paths"]
        assert "/root/.cargo/registry/**/*" in paths and "target/**/*" in paths


def test_test_reports_land_in_the_report_groups(pipeline):
    project = sub(project_of(pipeline, "Test")["Name"])
    reports = load_yaml("unit-tests-buildspec.yml")["reports"]
    groups = resources_of_type(pipeline, "AWS::CodeBuild::ReportGroup")
    # CodeBuild files report NAME of project P under the report group "P-NAME".
    assert {sub(g["Properties"]["Name"]) for g in groups.values()} == {
        f"{project}-{name}" for name in reports
    }
    assert all(g["Properties"]["Type"] == "TEST" for g in groups.values())
    assert all(r["file-format"] == "JUNITXML" for r in reports.values())
    test_role = project_role(pipeline, "Test")
    (reporting,) = [
        s for n, s in statements(pipeline)
        if n == test_role and "codebuild:CreateReport" in s["Action"]
    ]
    assert {get_att_resource(r) for r in reporting["Resource"]} == set(groups)


def test_build_takes_bucket_mode_and_architecture_from_the_pipeline(pipeline):
    build = action(pipeline, "Build", "Build")
    variables = build["Configuration"]["EnvironmentVariables"]
    variables = json.loads(sub(variables, ArtifactBucket="<bucket>", Architecture="<Architecture>"))
    assert {v["name"]: v["value"] for v in variables} == {
        "DEPLOY_MODE": "package", "ARTIFACT_BUCKET": "<bucket>", "LAMBDA_ARCHITECTURE": "<Architecture>",
    }
    # ... which are the variables buildspec.yml reads.
    assert {"DEPLOY_MODE", "ARTIFACT_BUCKET", "LAMBDA_ARCHITECTURE"} <= set(load_yaml("buildspec.yml")["env"]["variables"])


# --- deploying the counter --------------------------------------------------------------------


@pytest.mark.parametrize(
    "stage, table, protected", [("DeployTest", "TestTableName", "false"), ("DeployProd", "ProdTableName", "true")]
)
def test_each_deploy_stage_deploys_the_build_artifact(pipeline, stage, table, protected):
    if stage == "DeployTest":
        # A first create that rolled back (ROLLBACK_COMPLETE) takes no change set:
        # REPLACE_ON_FAILURE deletes such a stack and creates it again; its table can go with it.
        deploy = action(pipeline, stage, "Deploy")
        assert deploy["Configuration"]["ActionMode"] == "REPLACE_ON_FAILURE"
    else:  # production: a change set, then executed
        deploy, _ = change_set(pipeline, stage)
    config = deploy["Configuration"]
    assert ref(config["StackName"]) == stage.removeprefix("Deploy") + "StackName"
    (packaged,) = action(pipeline, "Build", "Build")["OutputArtifacts"]
    assert deploy["InputArtifacts"] == [packaged]
    artifact, path = config["TemplatePath"].split("::")
    assert artifact == packaged["Name"]
    assert path in load_yaml("buildspec.yml")["artifacts"]["files"]

    # The counter's template has a SAM transform and creates an IAM role.
    assert set(config["Capabilities"].split(",")) == {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"}

    overrides = json.loads(sub(config["ParameterOverrides"], **placeholders(pipeline)))
    assert set(overrides) <= set(load_template()["Parameters"]), "only the counter's own parameters"
    assert (overrides["TableName"], overrides["DeletionProtection"]) == (f"<{table}>", protected)
    # The function's architecture is the one the Build stage compiled for.
    assert overrides["Architecture"] == "<Architecture>"


@pytest.mark.parametrize(
    "deploy_stage, deploy_action, smoke_stage, outputs, read_only",
    [
        ("DeployTest", "Deploy", "SmokeTest", "TestStackOutputs", "0"),
        ("DeployProd", "ExecuteChangeSet", "SmokeProd", "ProdStackOutputs", "1"),
    ],
)
def test_smoke_runs_on_the_url_the_deploy_outputs(
    pipeline, deploy_stage, deploy_action, smoke_stage, outputs, read_only
):
    deploy = action(pipeline, deploy_stage, deploy_action)
    assert deploy["OutputArtifacts"] == [{"Name": outputs}]
    file = deploy["Configuration"]["OutputFileName"]
    smoke = action(pipeline, smoke_stage, "Smoke")
    assert smoke["InputArtifacts"] == [{"Name": "Source"}, {"Name": outputs}]
    assert smoke["Configuration"]["PrimarySource"] == "Source"
    variables = json.loads(sub(smoke["Configuration"]["EnvironmentVariables"], SmokePath="/s/"))
    assert {v["name"]: v["value"] for v in variables} == {
        "STACK_OUTPUTS": outputs, "SMOKE_PATH": "/s/", "SMOKE_READ_ONLY": read_only,
    }
    assert file == "stack-outputs.json", "the file test_buildspecs.py gives smoke-buildspec.yml"


def test_production_waits_for_an_optional_approval_after_the_test_smoke(pipeline):
    first, *rest = stages(pipeline)["DeployProd"]
    approve, no_approval = first["Fn::If"][1:]
    assert first["Fn::If"][0] == "ApprovalRequired"
    assert no_approval == {"Ref": "AWS::NoValue"}
    assert approve["ActionTypeId"] == {
        "Category": "Approval", "Owner": "AWS", "Provider": "Manual", "Version": "1",
    }
    assert all(approve["RunOrder"] < a["RunOrder"] for a in rest)
    condition = pipeline["Conditions"]["ApprovalRequired"]
    assert condition == {"Fn::Equals": [{"Ref": "RequireApproval"}, "true"]}
    assert pipeline["Parameters"]["RequireApproval"]["Default"] == "true"


# --- the artifact bucket ----------------------------------------------------------------------


def bucket(pipeline: dict[str, Any]) -> dict[str, Any]:
    store = pipeline["Resources"]["Pipeline"]["Properties"]["ArtifactStore"]
    return pipeline["Resources"][ref(store["Location"])]["Properties"]


def test_bucket_refuses_requests_without_tls(pipeline):
    (policy,) = resources_of_type(pipeline, "AWS::S3::BucketPolicy").values()
    assert ref(policy["Properties"]["Bucket"]) == "ArtifactBucket"
    denials = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s["Principal"] == "*" and s["Action"] == "s3:*"
        and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denials) == 1, "one statement denying every non-TLS request"
    resources = {json.dumps(r, sort_keys=True) for r in denials[0]["Resource"]}
    assert resources == {
        json.dumps({"Fn::GetAtt": ["ArtifactBucket", "Arn"]}, sort_keys=True),
        json.dumps({"Fn::Sub": "${ArtifactBucket.Arn}/*"}, sort_keys=True),
    }


def test_bucket_expires_old_artifacts(pipeline):
    rules = bucket(pipeline)["LifecycleConfiguration"]["Rules"]
    expiring = [r for r in rules if r["Status"] == "Enabled" and "ExpirationInDays" in r]
    assert expiring, "a rule that expires old artifacts"
    assert all("NoncurrentVersionExpiration" in r for r in expiring), "old versions too"


# --- roles ------------------------------------------------------------------------------------


def test_one_role_per_job(pipeline):
    resources = pipeline["Resources"]
    # job -> (its role, the service that assumes it)
    jobs = {
        "pipeline": (get_att_resource(resources["Pipeline"]["Properties"]["RoleArn"]), "codepipeline"),
        "test": (project_role(pipeline, "Test"), "codebuild"),
        "build": (project_role(pipeline, "Build"), "codebuild"),
        "smoke": (project_role(pipeline, "SmokeTest"), "codebuild"),
        "update-pipeline": (action_role(pipeline, "UpdatePipeline", "CreateChangeSet"), "cloudformation"),
        "deploy": (action_role(pipeline, "DeployTest", "Deploy"), "cloudformation"),
    }
    roles = {role for role, _ in jobs.values()}
    assert len(roles) == len(jobs) and roles == set(resources_of_type(pipeline, "AWS::IAM::Role")), jobs
    for job, (role, service) in jobs.items():
        (trust,) = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": f"{service}.amazonaws.com"}, job
    for stage, name, job in [
        ("UpdatePipeline", "ExecuteChangeSet", "update-pipeline"),
        ("DeployProd", "CreateChangeSet", "deploy"), ("DeployProd", "ExecuteChangeSet", "deploy"),
    ]:
        assert action_role(pipeline, stage, name) == jobs[job][0], (stage, name)
    assert project_of(pipeline, "SmokeProd") == project_of(pipeline, "SmokeTest")


def test_no_wildcard_action_on_a_wildcard_resource(pipeline):
    for role, statement in statements(pipeline):
        if "*" in as_list(statement["Resource"]):
            wild = [a for a in as_list(statement["Action"]) if "*" in a]
            assert not wild, f"{role}: {wild} on Resource '*'"


def test_roles_pass_roles_only_to_the_service_that_needs_them(pipeline):
    passes = [(n, s) for n, s in statements(pipeline) if "iam:PassRole" in as_list(s["Action"])]
    assert passes
    for role, statement in passes:
        assert as_list(statement["Action"]) == ["iam:PassRole"], role
        assert "iam:PassedToService" in statement["Condition"]["StringEquals"], role


def test_deploy_role_covers_every_service_the_counter_uses_and_no_more(pipeline, cfn):
    deploy = action_role(pipeline, "DeployTest", "Deploy")
    granted = {a.split(":")[0] for a in role_actions(pipeline, deploy)}
    service_of = {"ApiGatewayV2": "apigateway", "Logs": "logs", "CloudWatch": "cloudwatch"}
    needed = {
        service_of.get(r["Type"].split("::")[1], r["Type"].split("::")[1].lower())
        for r in cfn["Resources"].values()
    }
    # cloudformation for the SAM transform, s3 to read the code zip from the artifact bucket,
    # billing for the budget's handler (it reads the billing view the budget is on).
    assert granted == needed | {"cloudformation", "s3", "billing"}


def test_deploy_role_touches_only_the_two_tables_and_never_their_items(pipeline):
    deploy = action_role(pipeline, "DeployTest", "Deploy")
    table_statements = [
        s for n, s in statements(pipeline)
        if n == deploy and any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
    ]
    assert table_statements
    for statement in table_statements:
        assert not any("*" in a for a in statement["Action"])
        # The counts are the table's items: no role that deploys may read or write them.
        assert not [a for a in statement["Action"] if "Item" in a or a in {"dynamodb:Scan", "dynamodb:Query"}]
        named = {v for r in statement["Resource"] for v in sub_variables(r)} - {
            "AWS::Partition", "AWS::Region", "AWS::AccountId",
        }
        assert named == {"TestTableName", "ProdTableName"}


def test_the_smoke_job_reads_its_inputs_and_writes_only_its_logs(pipeline):
    smoke = project_role(pipeline, "SmokeTest")
    actions = role_actions(pipeline, smoke)
    assert actions == {
        "logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject", "s3:GetObjectVersion",
        "s3:GetBucketAcl", "s3:GetBucketLocation",
    }, "no CloudFormation, no writes: the URL comes in the deploy's output artifact"
