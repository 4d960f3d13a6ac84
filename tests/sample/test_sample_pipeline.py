"""The sample's delivery pipeline: dev (verified) -> approval -> prod, both stages gated."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sample_app.pipeline import REVIEW_INSTALL, VERIFY_API
from tests.cdk_support import STAGE_STACKS


def stage_templates(sample: Any) -> dict[str, dict]:
    """The service stacks inside the pipeline's stages, as synthesized behind the gates."""
    return {name: template for name, template in sample.templates.items() if name in STAGE_STACKS}


def pipeline_stages(sample: Any) -> list[dict]:
    (pipeline,) = [
        r
        for r in sample.templates["OrdersPipeline"]["Resources"].values()
        if r["Type"] == "AWS::CodePipeline::Pipeline"
    ]
    return pipeline["Properties"]["Stages"]


def test_dev_then_verification_then_approval_then_prod(dev_sample):
    stages = {stage["Name"]: stage["Actions"] for stage in pipeline_stages(dev_sample)}
    assert list(stages) == ["Source", "Build", "UpdatePipeline", "Assets", "Dev", "Prod"]
    dev = [(a["Name"], a["RunOrder"]) for a in stages["Dev"]]
    assert dev == [
        ("Review", 1),
        ("OrdersService.Prepare", 2),
        ("OrdersService.Deploy", 3),
        ("Verify", 4),
    ]
    prod = [(a["Name"], a["RunOrder"]) for a in stages["Prod"]]
    assert prod == [
        ("Review", 1),
        ("Approve", 2),
        ("OrdersService.Prepare", 3),
        ("OrdersService.Deploy", 4),
    ]
    assert stages["Prod"][1]["ActionTypeId"]["Provider"] == "Manual"
    assert stages["Dev"][1]["Configuration"]["StackName"] == "Dev-OrdersService"
    assert stages["Prod"][2]["Configuration"]["StackName"] == "Prod-OrdersService"


def _review_project(sample: Any, stage: str) -> dict:
    (action,) = [
        a
        for s in pipeline_stages(sample)
        if s["Name"] == stage
        for a in s["Actions"]
        if a["Name"] == "Review"
    ]
    project_id = action["Configuration"]["ProjectName"]["Ref"]
    return sample.templates["OrdersPipeline"]["Resources"][project_id]


def test_the_prod_review_reads_what_is_deployed_with_the_lookup_role_then_fails_on_blocking(
    dev_sample,
):
    project = _review_project(dev_sample, "Prod")
    spec = json.loads(project["Properties"]["Source"]["BuildSpec"])
    assert REVIEW_INSTALL in spec["phases"]["install"]["commands"]
    commands = spec["phases"]["build"]["commands"]
    assembly = "cdk.out/assembly-OrdersPipeline-Pipeline-Prod"
    fetch = next(c for c in commands if c.startswith("aws cloudformation get-template"))
    assert "--profile stage-lookup" in fetch
    assert "--stack-name Prod-OrdersService --template-stage Original" in fetch
    assert 'grep -q "does not exist"' in fetch  # a first deployment reviews against nothing
    review = f"python -m modern_app_constructs review --base-templates deployed {assembly}"
    cost = f"python -m modern_app_constructs cost {assembly} --format markdown > cost.md"
    upload = next(c for c in commands if c.startswith("aws s3 cp change-review.md"))
    assert "reviews/Prod/change-review.md" in upload
    order = [
        commands.index(fetch),
        next(i for i, c in enumerate(commands) if c.startswith(review)),
        commands.index(cost),
        commands.index(upload),
        commands.index('test ! -s review.exit || exit "$(cat review.exit)"'),
    ]
    assert order == sorted(order)
    variables = {
        v["Name"]: v["Value"] for v in project["Properties"]["Environment"]["EnvironmentVariables"]
    }
    assert variables["LOOKUP_ROLE_ARN"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::222222222222:role/"
        "cdk-hnb659fds-lookup-role-222222222222-eu-west-1"
    }


def test_the_review_role_may_assume_only_the_stage_lookup_role(dev_sample):
    project = _review_project(dev_sample, "Prod")
    role_id = project["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
    statements = [
        statement
        for r in dev_sample.templates["OrdersPipeline"]["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    assumed = [s["Resource"] for s in statements if "sts:AssumeRole" in json.dumps(s["Action"])]
    assert assumed == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:iam::222222222222:role/"
            "cdk-hnb659fds-lookup-role-222222222222-eu-west-1"
        }
    ]
    (put,) = [s for s in statements if s["Action"] == "s3:PutObject"]
    assert put["Resource"] == {
        "Fn::Join": [
            "",
            [
                {"Fn::GetAtt": ["PipelineCodePipelineArtifactsBucket166C7E80", "Arn"]},
                "/reviews/Prod/change-review.md",
            ],
        ]
    }


def test_the_prod_approval_links_to_the_review_and_waits_for_it(dev_sample):
    prod = next(s for s in pipeline_stages(dev_sample) if s["Name"] == "Prod")["Actions"]
    review, approve = prod[0], prod[1]
    assert (review["Name"], approve["Name"]) == ("Review", "Approve")
    assert review["RunOrder"] < approve["RunOrder"]
    bucket = {"Ref": "PipelineCodePipelineArtifactsBucket166C7E80"}
    assert approve["Configuration"]["ExternalEntityLink"] == {
        "Fn::Join": [
            "",
            [
                "https://console.aws.amazon.com/s3/object/",
                bucket,
                "?region=eu-west-1&prefix=reviews/Prod/change-review.md",
            ],
        ]
    }
    comment = approve["Configuration"]["CustomData"]["Fn::Join"][1]
    assert bucket in comment
    assert "/reviews/Prod/change-review.md" in comment[-1]


def test_the_build_runs_make_test_before_cdk_synth(dev_sample):
    projects = [
        json.loads(r["Properties"]["Source"]["BuildSpec"])
        for r in dev_sample.templates["OrdersPipeline"]["Resources"].values()
        if r["Type"] == "AWS::CodeBuild::Project"
        and "npx cdk synth" in r["Properties"]["Source"].get("BuildSpec", "")
    ]
    (spec,) = projects
    commands = spec["phases"]["build"]["commands"]
    assert commands.index("make test") < commands.index("npx cdk synth --output cdk.out")


def test_the_verification_calls_the_dev_api_from_its_output(dev_sample):
    resources = dev_sample.templates["OrdersPipeline"]["Resources"].values()
    specs = [
        json.loads(r["Properties"]["Source"]["BuildSpec"])
        for r in resources
        if r["Type"] == "AWS::CodeBuild::Project" and "BuildSpec" in r["Properties"]["Source"]
    ]
    assert [VERIFY_API] in [spec["phases"]["build"]["commands"] for spec in specs]
    (verify,) = [a for a in pipeline_stages(dev_sample)[4]["Actions"] if a["Name"] == "Verify"]
    variables = json.loads(verify["Configuration"]["EnvironmentVariables"])
    assert [variable["name"] for variable in variables] == ["API_URL"]
    assert variables[0]["value"].endswith(".ApiUrl}")


def test_each_stage_attaches_to_the_environment_of_its_account(dev_sample):
    templates = stage_templates(dev_sample)
    assert len(templates) == 2
    for name, template in templates.items():
        profile = STAGE_STACKS[name]
        defaults = {p.get("Default", "") for p in template["Parameters"].values()}
        assert f"/modern-app-constructs/platform/orders-{profile}/key-arn" in defaults
        (group,) = [
            r["Properties"]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"
        ]
        expected = "AllAtOnce" if profile == "dev" else "Canary10Percent5Minutes"
        assert group["DeploymentConfigName"] == f"CodeDeployDefault.Lambda{expected}"


@pytest.mark.parametrize("account", ["111111111111", "222222222222"])
def test_accounts_come_from_the_context(dev_sample, account):
    body = json.dumps(dev_sample.templates["OrdersPipeline"])
    assert account in body
