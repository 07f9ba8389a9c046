"""pipeline.yaml, the delivery pipeline, offline: loaded with CloudFormation's short-form tags
(the SAM translator's YAML loader), linted with cfn-lint, and held to each promise its comments
make. Deleting any of these properties from the template fails the test named for it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from cfnlint.api import ManualArgs, lint

from conftest import ROOT, load_template, resources_of_type
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
    assert isinstance(node, dict) and set(node) == {"Fn::GetAtt"}, f"not a GetAtt: {node!r}"
    att = node["Fn::GetAtt"]
    return (att.split(".")[0] if isinstance(att, str) else att[0])


def sub(node: Any, **values: str) -> str:
    return resolve_sub(node, {"AWS::StackName": STACK, **values})


def yaml_file(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def statements(pipeline: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, role in resources_of_type(pipeline, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            found += [(name, s) for s in policy["PolicyDocument"]["Statement"]]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_actions(pipeline: dict[str, Any], role: str) -> set[str]:
    return {a for name, s in statements(pipeline) if name == role for a in as_list(s["Action"])}


def action_role(pipeline: dict[str, Any], stage: str, name: str) -> str:
    return get_att_resource(action(pipeline, stage, name)["Configuration"]["RoleArn"])


def placeholders(pipeline: dict[str, Any]) -> dict[str, str]:
    """Each parameter's name as "<Name>", to resolve a Fn::Sub and see which went where."""
    return {p: f"<{p}>" for p in pipeline["Parameters"]}


# --- the file as a whole ----------------------------------------------------------------------


def test_pipeline_lints_clean():
    matches = lint(PIPELINE.read_text(encoding="utf-8"), config=ManualArgs(regions=["us-east-1"]))
    assert not matches, "\n".join(f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches)


def test_stages_run_in_order(pipeline):
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
    assert pipeline["Parameters"]["ConnectionArn"]["Default"] == ""


def test_pipeline_updates_itself_first_keeping_every_parameter(pipeline):
    create = action(pipeline, "UpdatePipeline", "CreateChangeSet")
    execute = action(pipeline, "UpdatePipeline", "ExecuteChangeSet")
    assert create["Configuration"]["ActionMode"] == "CHANGE_SET_REPLACE"
    assert execute["Configuration"]["ActionMode"] == "CHANGE_SET_EXECUTE"
    assert create["RunOrder"] < execute["RunOrder"]
    for a in (create, execute):
        assert ref(a["Configuration"]["StackName"]) == "AWS::StackName"
    assert create["Configuration"]["ChangeSetName"] == execute["Configuration"]["ChangeSetName"]
    template_path = create["Configuration"]["TemplatePath"]
    assert template_path == f"Source::{PIPELINE.name}"
    assert pipeline["Resources"]["Pipeline"]["Properties"]["RestartExecutionOnUpdate"] is True
    # An omitted parameter would fall back to its default on the next self-update.
    overrides = create["Configuration"]["ParameterOverrides"]
    assert json.loads(sub(overrides, **placeholders(pipeline))) == placeholders(pipeline)


# --- the two CodeBuild jobs -------------------------------------------------------------------


def project_of(pipeline: dict[str, Any], stage: str) -> dict[str, Any]:
    (build,) = stages(pipeline)[stage]
    assert build["ActionTypeId"]["Provider"] == "CodeBuild"
    return pipeline["Resources"][ref(build["Configuration"]["ProjectName"])]["Properties"]


@pytest.mark.parametrize(
    "stage, buildspec", [("Test", "unit-tests-buildspec.yml"), ("Build", "buildspec.yml")]
)
def test_each_project_runs_a_buildspec_of_this_repository(pipeline, stage, buildspec):
    project = project_of(pipeline, stage)
    assert project["Source"] == {"Type": "CODEPIPELINE", "BuildSpec": buildspec}
    assert (ROOT / buildspec).is_file()


@pytest.mark.parametrize("stage", ["Test", "Build", "SmokeTest"])
def test_projects_run_unprivileged_on_amazon_linux_2023(pipeline, stage):
    environment = project_of(pipeline, stage)["Environment"]
    assert environment["Image"] == "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    assert environment["Type"] == "LINUX_CONTAINER"
    assert environment["PrivilegedMode"] is False, "nothing here runs Docker"


@pytest.mark.parametrize(
    "stage, buildspec", [("Test", "unit-tests-buildspec.yml"), ("Build", "buildspec.yml")]
)
def test_projects_cache_the_cargo_registry_and_target(pipeline, stage, buildspec):
    cache = project_of(pipeline, stage)["Cache"]
    assert cache["Type"] == "S3"
    assert sub(cache["Location"], ArtifactBucket="<bucket>").startswith("<bucket>/cache/")
    paths = yaml_file(buildspec)["cache"]["paths"]
    assert "/root/.cargo/registry/**/*" in paths and "target/**/*" in paths


def test_test_reports_land_in_the_report_groups(pipeline):
    project = sub(project_of(pipeline, "Test")["Name"])
    reports = yaml_file("unit-tests-buildspec.yml")["reports"]
    groups = resources_of_type(pipeline, "AWS::CodeBuild::ReportGroup")
    # CodeBuild files report NAME of project P under the report group "P-NAME".
    assert {sub(g["Properties"]["Name"]) for g in groups.values()} == {
        f"{project}-{name}" for name in reports
    }
    assert all(g["Properties"]["Type"] == "TEST" for g in groups.values())
    assert all(r["file-format"] == "JUNITXML" for r in reports.values())
    test_role = get_att_resource(project_of(pipeline, "Test")["ServiceRole"])
    (reporting,) = [
        s for n, s in statements(pipeline)
        if n == test_role and "codebuild:CreateReport" in s["Action"]
    ]
    assert {get_att_resource(r) for r in reporting["Resource"]} == set(groups)


def test_build_takes_bucket_and_mode_from_the_pipeline(pipeline):
    build = action(pipeline, "Build", "Build")
    variables = build["Configuration"]["EnvironmentVariables"]
    variables = json.loads(sub(variables, ArtifactBucket="<bucket>"))
    assert {v["name"]: v["value"] for v in variables} == {
        "DEPLOY_MODE": "package", "ARTIFACT_BUCKET": "<bucket>",
    }
    # ... which are the variables buildspec.yml reads.
    assert {"DEPLOY_MODE", "ARTIFACT_BUCKET"} <= set(yaml_file("buildspec.yml")["env"]["variables"])


# --- deploying the counter --------------------------------------------------------------------


def test_production_is_a_change_set_of_the_build_artifact_then_executed(pipeline):
    create = action(pipeline, "DeployProd", "CreateChangeSet")
    execute = action(pipeline, "DeployProd", "ExecuteChangeSet")
    config = create["Configuration"]
    assert config["ActionMode"] == "CHANGE_SET_REPLACE"
    assert execute["Configuration"]["ActionMode"] == "CHANGE_SET_EXECUTE"
    assert create["RunOrder"] < execute["RunOrder"]
    assert ref(config["StackName"]) == "ProdStackName" == ref(execute["Configuration"]["StackName"])
    assert config["ChangeSetName"] == execute["Configuration"]["ChangeSetName"]
    assert_deploys_the_build_artifact(pipeline, create, "ProdTableName", protected="true")


def test_the_test_stack_is_replaced_when_failed_and_keeps_no_protected_table(pipeline):
    # A first create that rolled back (ROLLBACK_COMPLETE) takes no change set: REPLACE_ON_FAILURE
    # deletes such a stack and creates it again; its table can go with the rollback.
    deploy = action(pipeline, "DeployTest", "Deploy")
    assert deploy["Configuration"]["ActionMode"] == "REPLACE_ON_FAILURE"
    assert ref(deploy["Configuration"]["StackName"]) == "TestStackName"
    assert_deploys_the_build_artifact(pipeline, deploy, "TestTableName", protected="false")


def assert_deploys_the_build_artifact(pipeline, deploy, table, protected):
    config = deploy["Configuration"]
    (packaged,) = action(pipeline, "Build", "Build")["OutputArtifacts"]
    assert deploy["InputArtifacts"] == [packaged]
    artifact, path = config["TemplatePath"].split("::")
    assert artifact == packaged["Name"]
    assert path in yaml_file("buildspec.yml")["artifacts"]["files"]

    # The counter's template has a SAM transform and creates an IAM role.
    assert set(config["Capabilities"].split(",")) == {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"}

    counter = load_template()["Parameters"]
    overrides = json.loads(sub(config["ParameterOverrides"], **placeholders(pipeline)))
    assert set(overrides) <= set(counter), "only the counter's own parameters"
    assert overrides["TableName"] == f"<{table}>"
    assert overrides["DeletionProtection"] == protected


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
    names = list(stages(pipeline))
    assert names.index(smoke_stage) == names.index(deploy_stage) + 1, "right after the deploy"
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
    spec = yaml_file("smoke-buildspec.yml")
    script = "\n".join(spec["phases"]["build"]["commands"])
    assert file in script and "CounterUrl" in script and "make smoke" in script
    project = pipeline["Resources"][ref(smoke["Configuration"]["ProjectName"])]["Properties"]
    assert project["Source"] == {"Type": "CODEPIPELINE", "BuildSpec": "smoke-buildspec.yml"}


def test_a_failed_test_smoke_stops_the_run_before_the_approval(pipeline):
    names = list(stages(pipeline))
    assert names.index("SmokeTest") < names.index("DeployProd")
    first, *_ = stages(pipeline)["DeployProd"]
    assert first["Fn::If"][1]["Name"] == "Approve"


def test_production_waits_for_an_optional_approval(pipeline):
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


def test_bucket_is_encrypted(pipeline):
    (rule,) = bucket(pipeline)["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"aws:kms", "AES256"}


def test_bucket_is_versioned(pipeline):
    assert bucket(pipeline)["VersioningConfiguration"] == {"Status": "Enabled"}


def test_bucket_blocks_public_access(pipeline):
    block = bucket(pipeline)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True,
        "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }


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
    jobs = {
        "pipeline": get_att_resource(resources["Pipeline"]["Properties"]["RoleArn"]),
        "test": get_att_resource(project_of(pipeline, "Test")["ServiceRole"]),
        "build": get_att_resource(project_of(pipeline, "Build")["ServiceRole"]),
        "smoke": get_att_resource(project_of(pipeline, "SmokeTest")["ServiceRole"]),
        "update-pipeline": action_role(pipeline, "UpdatePipeline", "CreateChangeSet"),
        "deploy": action_role(pipeline, "DeployTest", "Deploy"),
    }
    assert len(set(jobs.values())) == len(jobs), jobs
    assert set(jobs.values()) == set(resources_of_type(pipeline, "AWS::IAM::Role"))
    for stage, name in [
        ("UpdatePipeline", "CreateChangeSet"), ("UpdatePipeline", "ExecuteChangeSet"),
        ("DeployTest", "Deploy"),
        ("DeployProd", "CreateChangeSet"), ("DeployProd", "ExecuteChangeSet"),
    ]:
        expected = jobs["update-pipeline"] if stage == "UpdatePipeline" else jobs["deploy"]
        assert action_role(pipeline, stage, name) == expected
    assert project_of(pipeline, "SmokeProd") == project_of(pipeline, "SmokeTest")
    services = {"pipeline": "codepipeline", "test": "codebuild", "build": "codebuild",
                "smoke": "codebuild",
                "update-pipeline": "cloudformation", "deploy": "cloudformation"}
    for job, role in jobs.items():
        (trust,) = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": f"{services[job]}.amazonaws.com"}, job


def test_no_wildcard_action_on_a_wildcard_resource(pipeline):
    for role, statement in statements(pipeline):
        actions = as_list(statement["Action"])
        assert "*" not in actions, f"{role}: Action '*'"
        if "*" in as_list(statement["Resource"]):
            wild = [a for a in actions if "*" in a]
            assert not wild, f"{role}: {wild} on Resource '*'"


def test_every_statement_on_resource_star_says_why():
    lines = PIPELINE.read_text(encoding="utf-8").splitlines()
    stars = [i for i, line in enumerate(lines) if re.fullmatch(r'\s*Resource: "\*"', line)]
    assert stars, "the template has statements on Resource '*' (describe calls)"
    for i in stars:
        start = max(j for j in range(i) if lines[j].lstrip().startswith("- Effect:"))
        assert lines[start - 1].lstrip().startswith("#"), f"line {i + 1}: no comment saying why"


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
    smoke = get_att_resource(project_of(pipeline, "SmokeTest")["ServiceRole"])
    actions = role_actions(pipeline, smoke)
    assert actions == {
        "logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject", "s3:GetObjectVersion",
        "s3:GetBucketAcl", "s3:GetBucketLocation",
    }, "no CloudFormation, no writes: the URL comes in the deploy's output artifact"


def test_outputs_name_the_pipeline_and_the_connection(pipeline):
    outputs = pipeline["Outputs"]
    assert ref(outputs["PipelineName"]["Value"]) == "Pipeline"
    assert "codepipeline/pipelines/${Pipeline}" in outputs["PipelineUrl"]["Value"]["Fn::Sub"]
    assert outputs["ConnectionArn"]["Value"]["Fn::If"][0] == "CreateConnection"
    hint = outputs["ConnectionStatusHint"]["Value"]["Fn::If"]
    assert "approve" in hint[1].lower()
