"""The sample's delivery pipeline: dev (verified) -> approval -> prod, both stages gated."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sample_app.pipeline import VERIFY_API
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
    assert dev == [("OrdersService.Prepare", 1), ("OrdersService.Deploy", 2), ("Verify", 3)]
    prod = [(a["Name"], a["RunOrder"]) for a in stages["Prod"]]
    assert prod == [("Approve", 1), ("OrdersService.Prepare", 2), ("OrdersService.Deploy", 3)]
    assert stages["Prod"][0]["ActionTypeId"]["Provider"] == "Manual"
    assert stages["Dev"][0]["Configuration"]["StackName"] == "Dev-OrdersService"
    assert stages["Prod"][1]["Configuration"]["StackName"] == "Prod-OrdersService"


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
