"""Registered attachments and the platform's deletion guard, as synthesized."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from modern_app_constructs import CONTRACT_VERSION, InvalidPropError, PlatformEnvironment
from modern_app_constructs import __version__ as library_version
from modern_app_constructs._registration import AttachmentRegistration, attachment_path
from modern_app_constructs.testing import assert_compliant
from tests.cdk_support import logical_id, make_app

ATTACHMENTS = "/modern-app-constructs/platform/shop-prod/attachments"


def attached_stack(app: cdk.App, name: str = "OrdersService", **stack_props):
    stack = cdk.Stack(app, name, **stack_props)
    env = PlatformEnvironment.from_published(stack, "Env", name="shop-prod", profile="prod")
    sns.Topic(stack, "Topic", master_key=env.key, enforce_ssl=True)
    return stack, env


def registration_value(template: dict) -> tuple[str, dict]:
    (parameter,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SSM::Parameter" and r["Properties"]["Name"].startswith(ATTACHMENTS)
    ]
    body = parameter["Value"]["Fn::Sub"]
    return parameter["Name"], json.loads(body)


# --------------------------------------------------------------------- registrations


def test_an_attached_stack_registers_itself_with_service_owner_and_versions():
    app = make_app()
    stack, _ = attached_stack(app, tags={"team": "payments", "service": "orders"})
    name, value = registration_value(Template.from_stack(stack).to_json())
    assert name == f"{ATTACHMENTS}/OrdersService"
    assert value == {
        "stack": "OrdersService",
        "service": "orders",
        "owner": "payments",
        "environment": "shop-prod",
        "library-version": library_version,
        "contract-version": CONTRACT_VERSION,
        "account": "${AWS::AccountId}",
        "region": "${AWS::Region}",
    }


def test_without_tags_the_service_is_the_stack_and_the_owner_unknown():
    app = make_app()
    stack, _ = attached_stack(app)
    _, value = registration_value(Template.from_stack(stack).to_json())
    assert value["service"] == "OrdersService"
    assert value["owner"] is None


def test_the_registration_is_deleted_with_the_stack():
    app = make_app()
    stack, env = attached_stack(app)
    resource = Template.from_stack(stack).to_json()["Resources"][
        logical_id(env.registration.parameter)
    ]
    assert "DeletionPolicy" not in resource
    assert resource["Properties"]["Tier"] == "Standard"


def test_the_worst_case_registration_fits_ssm_limits():
    app = make_app()
    stack = cdk.Stack(app, "S" * 128)
    registration = AttachmentRegistration(
        stack, "Registration", environment="e" * 128, service="s" * 256, owner="o" * 256
    )
    assert len(registration.parameter_name) <= 1011
    assert registration.parameter_name.count("/") <= 15
    worst = registration.render("1" * 12, "x" * 25)
    assert len(worst.encode()) <= 4096


@pytest.mark.parametrize("prop", ["service", "owner"])
def test_service_and_owner_must_be_tag_values(prop):
    stack = cdk.Stack(make_app(), "Svc")
    with pytest.raises(InvalidPropError) as raised:
        AttachmentRegistration(stack, "Registration", environment="shop", **{prop: "a{b}"})
    assert raised.value.prop == prop


def test_attachment_path():
    assert attachment_path("shop-prod", "Orders") == f"{ATTACHMENTS}/Orders"


# ------------------------------------------------------------------------ the guard


@pytest.fixture(scope="module")
def platforms():
    app = make_app(cfn_lint=True)
    prod_stack = cdk.Stack(app, "PlatformProd")
    prod = PlatformEnvironment(prod_stack, "Env", team="p", application="shop", profile="prod")
    dev_stack = cdk.Stack(app, "PlatformDev")
    dev = PlatformEnvironment(dev_stack, "Env", team="p", application="shop", profile="dev")
    service, _ = attached_stack(app)
    templates = assert_compliant(app)
    return app, prod, dev, templates


def guard_resource(templates, platform):
    stack = cdk.Stack.of(platform)
    return templates[stack.stack_name]["Resources"][logical_id(platform.deletion_guard.resource)]


def test_the_guard_checks_its_environment_and_watches_what_services_rely_on(platforms):
    _, prod, _, templates = platforms
    guard = guard_resource(templates, prod)
    assert guard["Type"] == "Custom::PlatformDeletionGuard"
    assert guard["Properties"]["Environment"] == "shop-prod"
    assert guard["Properties"]["AttachmentsPath"] == ATTACHMENTS
    assert guard["Properties"]["Protected"] == {
        "VpcId": {"Ref": logical_id(prod.vpc)},
        "ClusterArn": {"Fn::GetAtt": [logical_id(prod.cluster), "Arn"]},
        "KeyArn": {"Fn::GetAtt": [logical_id(prod.key), "Arn"]},
        "AlarmTopicArn": {"Ref": logical_id(prod.alarm_topic)},
    }
    assert guard["Properties"]["ServiceTimeout"] == "300"


def test_the_guard_is_deleted_before_every_resource_of_the_environment(platforms):
    _, prod, _, templates = platforms
    template = templates["PlatformProd"]
    guard_id = logical_id(prod.deletion_guard.resource)
    own = {
        logical_id(c) for c in prod.deletion_guard.node.find_all() if isinstance(c, cdk.CfnResource)
    }
    others = set(template["Resources"]) - own
    # the stack-level VPC default-SG provider is CDK's, shared by the stack
    others = {o for o in others if not o.startswith("CustomVpcRestrictDefaultSG")}
    assert others <= set(template["Resources"][guard_id]["DependsOn"]), sorted(
        others - set(template["Resources"][guard_id]["DependsOn"])
    )
    for parameter in prod.contract_parameters.values():
        assert logical_id(parameter) in template["Resources"][guard_id]["DependsOn"]


def test_the_handler_lists_only_the_attachments_path_and_its_own_stack(platforms):
    app, prod, _, templates = platforms
    template = templates["PlatformProd"]
    role = template["Resources"][logical_id(prod.deletion_guard.function.role)]
    assert role["Type"] == "AWS::IAM::Role"
    statements = [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        and {"Ref": logical_id(prod.deletion_guard.function.role)} in r["Properties"]["Roles"]
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in statements}
    ssm = by_action['"ssm:GetParametersByPath"']
    assert [json.dumps(r) for r in ssm] == [
        json.dumps(
            {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":ssm:",
                        {"Ref": "AWS::Region"},
                        ":",
                        {"Ref": "AWS::AccountId"},
                        f":parameter{ATTACHMENTS}{suffix}",
                    ],
                ]
            }
        )
        for suffix in ("", "/*")
    ]
    assert by_action['"cloudformation:DescribeStacks"'] == {"Ref": "AWS::StackId"}


def test_the_handler_asset_holds_only_the_guard(platforms):
    app, prod, _, templates = platforms
    function = templates["PlatformProd"]["Resources"][logical_id(prod.deletion_guard.function)]
    assert function["Properties"]["Handler"] == "deletion_guard.handler"
    asset_hash = function["Properties"]["Code"]["S3Key"].split(".")[0]
    directory = Path(app.outdir) / f"asset.{asset_hash}"
    assert sorted(p.name for p in directory.iterdir()) == ["deletion_guard.py"]


def test_prod_gets_termination_protection_and_dev_does_not(platforms):
    _, prod, dev, _ = platforms
    assert cdk.Stack.of(prod).termination_protection is True
    assert cdk.Stack.of(dev).termination_protection is False


def test_prod_retains_the_stateful_resources(platforms):
    _, prod, _, templates = platforms
    resources = templates["PlatformProd"]["Resources"]
    assert resources[logical_id(prod.key)]["DeletionPolicy"] == "Retain"


def test_an_unpublished_environment_has_no_guard():
    stack = cdk.Stack(make_app(), "Platform")
    env = PlatformEnvironment(stack, "Env", team="p", application="a", publish=False)
    assert env.deletion_guard is None
    assert not Template.from_stack(stack).find_resources("Custom::PlatformDeletionGuard")
