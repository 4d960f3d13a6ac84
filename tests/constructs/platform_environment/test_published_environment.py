"""The platform contract: published by PlatformEnvironment, attached by name from other apps."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from modern_app_constructs import (
    CanaryFunction,
    DecoupledWorker,
    InvalidPropError,
    IPlatformEnvironment,
    PlatformEnvironment,
    Profile,
    PublishedPlatformEnvironment,
    WorkerConsumer,
    __version__,
)
from modern_app_constructs._contract import CONTRACT_PARAMETERS, CONTRACT_VERSION
from modern_app_constructs.testing import assert_compliant
from tests.cdk_support import ROOT, add_every_construct, make_app

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")
ROOT_PATH = "/modern-app-constructs/platform"


# ------------------------------------------------------------------------ publishing


@pytest.fixture(scope="module")
def published():
    stack = cdk.Stack(make_app(profile="prod"), "Platform")
    platform = PlatformEnvironment(
        stack, "Platform", team="payments", application="Checkout Web", cost_center="cc-1"
    )
    template = Template.from_stack(stack)
    parameters = {
        resource["Properties"]["Name"]: resource["Properties"]
        for resource in template.find_resources("AWS::SSM::Parameter").values()
    }
    return stack, platform, template, parameters


def ref(stack: cdk.Stack, element: Any) -> dict:
    return {"Ref": stack.resolve(stack.get_logical_id(element))}


def test_the_default_name_is_application_and_profile(published):
    _, platform, _, _ = published
    assert platform.name == "checkout-web-prod"


def test_every_contract_parameter_is_published(published):
    _, _, _, parameters = published
    expected = {f"{ROOT_PATH}/checkout-web-prod/{p.key}" for p in CONTRACT_PARAMETERS}
    assert set(parameters) == expected  # this VPC has public subnets and a cost center


def test_published_values(published):
    stack, platform, _, parameters = published

    def value(key: str) -> Any:
        return parameters[f"{ROOT_PATH}/checkout-web-prod/{key}"]["Value"]

    assert value("contract-version") == CONTRACT_VERSION == "1.0"
    assert value("contract-major") == "1"
    assert value("profile") == "prod"
    assert value("log-retention-days") == "365"
    assert value("az-count") == "2"
    assert value("vpc-id") == ref(stack, platform.vpc.node.default_child)
    assert value("key-arn") == stack.resolve(platform.key.key_arn)
    assert value("alarm-topic-arn") == ref(stack, platform.alarm_topic.node.default_child)
    assert value("cluster-name") == ref(stack, platform.cluster.node.default_child)
    assert value("cluster-arn") == stack.resolve(platform.cluster.cluster_arn)
    private = platform.vpc.private_subnets
    assert value("private-subnet-ids") == {
        "Fn::Join": [",", [stack.resolve(s.subnet_id) for s in private]]
    }
    assert value("private-route-table-ids") == {
        "Fn::Join": [",", [stack.resolve(s.route_table.route_table_id) for s in private]]
    }
    assert value("availability-zones") == {
        "Fn::Join": [",", [stack.resolve(s.availability_zone) for s in private]]
    }
    assert value("tag/team") == "payments"
    assert value("tag/application") == "Checkout Web"
    assert value("tag/profile") == "prod"
    assert value("tag/cost-center") == "cc-1"


def test_parameters_are_standard_strings_that_say_what_they_are(published):
    _, _, _, parameters = published
    for name, properties in parameters.items():
        assert properties["Type"] == "String"
        assert properties["Tier"] == "Standard"
        assert "modern-app-constructs platform contract 1.0" in properties["Description"], name


def test_optional_parameters_are_left_out_when_the_environment_has_none():
    app = make_app()
    stack = cdk.Stack(app, "Platform")
    vpc = ec2.Vpc(
        stack,
        "Own",
        max_azs=2,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="nat", subnet_type=ec2.SubnetType.PUBLIC),
            ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        ],
    )
    platform = PlatformEnvironment(stack, "Env", team="t", application="a", vpc=vpc, name="shop")
    names = set(platform.contract_parameters)
    cost_center = platform.contract_parameters["tag/cost-center"].node.default_child
    assert stack.resolve(cost_center.value) == "unassigned"  # always published: services read it
    assert {"public-subnet-ids", "public-route-table-ids"} <= names
    # two private subnet groups over two AZs: one subnet per AZ is published
    values = {
        key: stack.resolve(parameter.node.default_child.value)
        for key, parameter in platform.contract_parameters.items()
    }
    assert values["az-count"] == "2"
    assert len(values["private-subnet-ids"]["Fn::Join"][1]) == 2


def test_publish_false_publishes_nothing():
    stack = cdk.Stack(make_app(), "Platform")
    platform = PlatformEnvironment(stack, "Env", team="t", application="a", publish=False)
    assert platform.contract_parameters == {}
    Template.from_stack(stack).resource_count_is("AWS::SSM::Parameter", 0)


@pytest.mark.parametrize(
    "name", ["", "orders/prod", "-orders", "orders prod", "x" * 129, "ordérs", 42]
)
def test_invalid_names_are_rejected(name):
    stack = cdk.Stack(make_app(), "Platform")
    with pytest.raises(InvalidPropError) as raised:
        PlatformEnvironment(stack, "Env", team="t", application="a", name=name)
    assert (raised.value.prop, raised.value.value) == ("name", name)
    with pytest.raises(InvalidPropError) as raised:
        PlatformEnvironment.from_published(cdk.Stack(make_app(), "Svc"), "Env", name=name)
    assert raised.value.prop == "name"


def test_publishing_needs_private_subnets():
    stack = cdk.Stack(make_app(), "Platform")
    vpc = ec2.Vpc(
        stack,
        "PublicOnly",
        subnet_configuration=[ec2.SubnetConfiguration(name="p", subnet_type=ec2.SubnetType.PUBLIC)],
    )
    with pytest.raises(InvalidPropError) as raised:
        PlatformEnvironment(stack, "Env", team="t", application="a", vpc=vpc)
    assert raised.value.prop == "vpc"
    PlatformEnvironment(stack, "Unpublished", team="t", application="a", vpc=vpc, publish=False)


@pytest.mark.parametrize("missing", ["private", "public"])
def test_publishing_an_imported_vpc_needs_its_route_tables(missing):
    stack = cdk.Stack(make_app(), "Platform")
    attributes = {
        "vpc_id": "vpc-0a1b2c3d",
        "availability_zones": ["eu-west-1a", "eu-west-1b"],
        "private_subnet_ids": ["subnet-1", "subnet-2"],
        "private_subnet_route_table_ids": ["rtb-1", "rtb-2"],
        "public_subnet_ids": ["subnet-3", "subnet-4"],
        "public_subnet_route_table_ids": ["rtb-3", "rtb-4"],
    }
    del attributes[f"{missing}_subnet_route_table_ids"]
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Imported", **attributes)
    with pytest.raises(InvalidPropError, match=r"route_table_ids=") as raised:
        PlatformEnvironment(stack, "Env", team="t", application="a", vpc=vpc)
    assert (raised.value.prop, raised.value.value) == ("vpc", "Platform/Imported")
    assert not stack.node.find_child("Env").node.children  # raised before the first child
    PlatformEnvironment(stack, "Unpublished", team="t", application="a", vpc=vpc, publish=False)


def test_the_docs_document_every_contract_parameter():
    page = (ROOT / "docs" / "platform.md").read_text()
    for parameter in CONTRACT_PARAMETERS:
        assert f"| `{parameter.key}` | {parameter.meaning} |" in page, parameter.key


# ------------------------------------------------------------------------- attaching


@dataclass(frozen=True)
class Service:
    """A service-only app: no platform stack, every construct, one dashboard."""

    app: cdk.App
    stack: cdk.Stack
    platform: PublishedPlatformEnvironment
    templates: dict[str, dict]

    @property
    def template(self) -> dict:
        return self.templates[self.stack.stack_name]


def service_only(env: cdk.Environment | None, **attach: Any) -> Service:
    app = make_app(cfn_lint=True)
    stack = cdk.Stack(app, "Checkout", env=env)
    platform = PlatformEnvironment.from_published(
        stack, "Platform", name="shop-prod", **{"profile": "prod", **attach}
    )
    add_every_construct(stack, "checkout")
    return Service(app, stack, platform, assert_compliant(app))


@pytest.fixture(scope="module")
def concrete():
    return service_only(cdk.Environment(account="111111111111", region="eu-west-1"))


def test_a_service_only_app_attaches_and_creates_nothing_of_the_environment(concrete):
    types = {r["Type"] for r in concrete.template["Resources"].values()}
    for created in ("AWS::EC2::VPC", "AWS::ECS::Cluster", "AWS::KMS::Key", "AWS::EC2::Subnet"):
        assert created not in types
    # the one parameter it writes is its registration with the environment, not the contract
    written = [
        r["Properties"]["Name"]
        for r in concrete.template["Resources"].values()
        if r["Type"] == "AWS::SSM::Parameter"
    ]
    assert written == [f"{ROOT_PATH}/shop-prod/attachments/Checkout"]
    topics = [r for r in concrete.template["Resources"].values() if r["Type"] == "AWS::SNS::Topic"]
    assert len(topics) == 1  # the worker's own topic; the alarm topic is the platform's


def test_values_resolve_at_deploy_time_from_the_contract(concrete):
    parameters = concrete.template["Parameters"]
    defaults = {
        name: p["Default"]
        for name, p in parameters.items()
        if p["Type"] == "AWS::SSM::Parameter::Value<String>" and name != "BootstrapVersion"
    }
    assert set(defaults.values()) == {
        f"{ROOT_PATH}/shop-prod/{key}"
        for key in (
            "contract-major",
            "profile",
            "log-retention-days",
            "az-count",
            "egress",
            "vpc-id",
            "private-subnet-ids",
            "cluster-name",
            "key-arn",
            "alarm-topic-arn",
            "tag/team",
            "tag/application",
            "tag/cost-center",
        )
    }  # only what the template references: no AZs, route tables, public subnets, cluster ARN


def test_alarms_notify_the_published_topic(concrete):
    stack, platform = concrete.stack, concrete.platform
    topic = {"Ref": stack.resolve(stack.get_logical_id(platform._values["alarm-topic-arn"]))}
    alarms = [
        r for r in concrete.template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"
    ]
    assert len(alarms) >= 10
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [topic]


def test_log_groups_use_the_published_key(concrete):
    stack, platform = concrete.stack, concrete.platform
    key = {"Ref": stack.resolve(stack.get_logical_id(platform._values["key-arn"]))}
    groups = [
        r for r in concrete.template["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"
    ]
    assert groups
    for group in groups:
        assert group["Properties"]["KmsKeyId"] == key
        assert group["Properties"]["RetentionInDays"] == 365  # the prod profile, as given


def test_subnet_lists_are_split_into_the_az_count(concrete):
    body = json.dumps(concrete.template["Resources"])
    selected = re.findall(
        r'\{"Fn::Select": \[(\d+), \{"Fn::Split": \[",", \{"Ref": "PlatformPrivateSubnetIds',
        body,
    )
    assert set(selected) == {"0", "1"}


def test_the_contract_rule_guards_the_change_set(concrete):
    (rule,) = [r for name, r in concrete.template["Rules"].items() if name.startswith("Platform")]
    asserts = [a["Assert"] for a in rule["Assertions"]]
    parameter = concrete.stack.resolve(
        concrete.stack.get_logical_id(concrete.platform._values["contract-major"])
    )
    assert {"Fn::Contains": [["1"], {"Ref": parameter}]} in asserts
    descriptions = " ".join(a["AssertDescription"] for a in rule["Assertions"])
    assert "contract major other than 1" in descriptions
    assert f"{ROOT_PATH}/shop-prod/contract-version" in descriptions
    equals = {json.dumps(a["Fn::Equals"][1]) for a in asserts if "Fn::Equals" in a}
    # profile, retention, egress (the stack runs in the VPC), AZ count
    assert equals == {'"prod"', '"365"', '"true"', '"2"'}
    assert "no egress from its private subnets" in descriptions


def test_a_stack_outside_the_vpc_neither_reads_nor_asserts_egress():
    app = make_app()
    stack = cdk.Stack(app, "Jobs")
    PlatformEnvironment.from_published(stack, "Platform", name="shop-prod", profile="prod")
    DecoupledWorker(
        stack,
        "Worker",
        consumer=WorkerConsumer.code(
            lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"),
            "index.handler",
        ),
    )
    template = app.synth().get_stack_by_name("Jobs").template
    defaults = {p.get("Default") for p in template["Parameters"].values()}
    assert f"{ROOT_PATH}/shop-prod/key-arn" in defaults
    assert f"{ROOT_PATH}/shop-prod/egress" not in defaults
    assert f"{ROOT_PATH}/shop-prod/vpc-id" not in defaults
    assert "no egress" not in json.dumps(template["Rules"])


def test_stacks_are_stamped_with_library_and_contract_versions(concrete):
    assert concrete.template["Metadata"]["modern-app-constructs"] == {
        "version": __version__,
        "contract-version": CONTRACT_VERSION,
    }
    assert concrete.stack.tags.tag_values() == {
        "modern-app-constructs:version": __version__,
        "modern-app-constructs:contract-version": CONTRACT_VERSION,
    }


def test_an_env_agnostic_service_attaches_too():
    service = service_only(None)
    types = {r["Type"] for r in service.template["Resources"].values()}
    assert "AWS::EC2::VPC" not in types
    assert "AWS::KMS::Key" not in types


def test_synthesis_is_deterministic_and_offline(concrete):
    again = service_only(cdk.Environment(account="111111111111", region="eu-west-1"))
    assert again.template == concrete.template


def test_only_what_is_used_becomes_a_template_parameter():
    stack = cdk.Stack(make_app(), "Small")
    PlatformEnvironment.from_published(stack, "Platform", name="shop-dev")
    CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
    template = Template.from_stack(stack).to_json()
    keys = {p["Default"].rsplit("/shop-dev/", 1)[-1] for p in template["Parameters"].values()}
    assert "vpc-id" not in keys
    assert "cluster-name" not in keys
    assert {"key-arn", "alarm-topic-arn", "contract-major", "profile"} <= keys


def test_the_attached_environment_is_found_and_implements_the_protocol():
    stack = cdk.Stack(make_app(), "Svc")
    platform = PlatformEnvironment.from_published(stack, "Platform", name="shop-dev")
    assert isinstance(platform, IPlatformEnvironment)
    canary = CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
    assert PlatformEnvironment.of(canary) is platform
    assert platform.profile is Profile.DEV


@pytest.mark.parametrize(
    ("name", "context", "given", "expected"),
    [
        # nothing is inferred from the name: a name is a name, the profile is said
        ("shop-prod", {}, None, "dev"),
        ("shop-dev", {"profile": "prod"}, None, "prod"),
        ("shop", {"profile": "prod"}, None, "prod"),
        ("shop", {}, None, "dev"),
        ("shop-dev", {}, "prod", "prod"),
    ],
)
def test_the_profile_comes_from_the_prop_or_the_context_never_the_name(
    name, context, given, expected
):
    stack = cdk.Stack(make_app(**context), "Svc")
    platform = PlatformEnvironment.from_published(stack, "P", name=name, profile=given)
    assert platform.profile.name == expected


def test_the_az_count_comes_from_the_prop_or_the_context():
    stack = cdk.Stack(make_app(**{"modern-app-constructs:azCount": 3}), "Svc")
    assert PlatformEnvironment.from_published(stack, "P", name="a").az_count == 3
    assert PlatformEnvironment.from_published(stack, "Q", name="b", az_count=1).az_count == 1


# ------------------------------------------------------------- synth-time (lookup) mode


def lookup_context(values: dict[str, str]) -> dict[str, str]:
    """What `cdk.context.json` holds after the CLI has looked the values up."""
    return {
        f"ssm:account=111111111111:parameterName={ROOT_PATH}/shop-prod/{key}"
        ":region=eu-west-1": value
        for key, value in values.items()
    }


def looked_up_stack(values: dict[str, str]) -> cdk.Stack:
    app = make_app(**lookup_context(values))
    return cdk.Stack(app, "Svc", env=cdk.Environment(account="111111111111", region="eu-west-1"))


def test_lookup_checks_the_contract_at_synth_and_names_both_versions():
    stack = looked_up_stack({"contract-version": "2.0", "profile": "prod", "az-count": "2"})
    with pytest.raises(InvalidPropError) as raised:
        PlatformEnvironment.from_published(stack, "P", name="shop-prod", lookup=True)
    assert raised.value.prop == "name"
    message = str(raised.value)
    assert "'2.0'" in message
    assert "1.x" in message
    assert f"built for {CONTRACT_VERSION}" in message


def test_lookup_accepts_a_newer_minor_and_takes_the_published_shape():
    stack = looked_up_stack({"contract-version": "1.7", "profile": "prod", "az-count": "3"})
    platform = PlatformEnvironment.from_published(stack, "P", name="shop-prod", lookup=True)
    assert platform.az_count == 3
    assert platform.profile.name == "prod"


def test_lookup_rejects_a_profile_or_az_count_that_differs_from_the_published():
    stack = looked_up_stack({"contract-version": "1.0", "profile": "prod", "az-count": "2"})
    with pytest.raises(InvalidPropError) as raised:
        PlatformEnvironment.from_published(stack, "P", name="shop-prod", lookup=True, profile="dev")
    assert raised.value.prop == "profile"
    with pytest.raises(InvalidPropError) as raised:
        PlatformEnvironment.from_published(stack, "Q", name="shop-prod", lookup=True, az_count=3)
    assert raised.value.prop == "az_count"


def test_lookup_needs_a_concrete_environment():
    with pytest.raises(InvalidPropError) as raised:
        PlatformEnvironment.from_published(
            cdk.Stack(make_app(), "Agnostic"), "P", name="shop-prod", lookup=True
        )
    assert raised.value.prop == "lookup"


def test_lookup_before_the_cli_has_looked_up_defers_to_the_rule():
    stack = looked_up_stack({})
    platform = PlatformEnvironment.from_published(stack, "P", name="shop-prod", lookup=True)
    CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
    assert platform.profile.name == "dev"  # from the context until the values are known
    assembly = stack.node.root.synth()
    # the manifest (read as JSON: the CLI looks up what is missing and synthesizes again)
    manifest = json.loads((Path(assembly.directory) / "manifest.json").read_text())
    missing = {entry["key"] for entry in manifest["missing"]}
    assert {key.split("parameterName=")[1].split(":")[0] for key in missing} == {
        f"{ROOT_PATH}/shop-prod/{key}" for key in ("contract-version", "profile", "az-count")
    }
    template = json.loads((Path(assembly.directory) / "Svc.template.json").read_text())
    assert any(name.startswith("PContractRule") for name in template["Rules"])


# ---------------------------------------------------------------------- bad input


def test_owning_and_attaching_the_same_name_in_one_stack_is_rejected():
    stack = cdk.Stack(make_app(), "Mixed")
    PlatformEnvironment(stack, "Env", team="t", application="a", name="shop-dev")
    with pytest.raises(ValueError, match="'shop-dev' is already in this stack"):
        PlatformEnvironment.from_published(stack, "Attached", name="shop-dev")
    other = cdk.Stack(make_app(), "Other")
    PlatformEnvironment.from_published(other, "Attached", name="shop-dev")
    with pytest.raises(ValueError, match="'shop-dev' is already in this stack"):
        PlatformEnvironment(other, "Env", team="t", application="a", name="shop-dev")


@pytest.mark.parametrize(
    ("kwargs", "prop"),
    [
        ({"az_count": 0}, "az_count"),
        ({"az_count": 7}, "az_count"),
        ({"profile": "staging"}, "profile"),
        ({"profile": 3}, "profile"),
    ],
)
def test_bad_attachment_props(kwargs, prop):
    with pytest.raises(InvalidPropError) as raised:
        PlatformEnvironment.from_published(cdk.Stack(make_app(), "Svc"), "P", name="x", **kwargs)
    assert raised.value.prop == prop


def test_a_missing_environment_fails_the_deploy_with_its_parameter_path(concrete):
    # CloudFormation refuses the change set with "Unable to fetch parameters [<path>] from
    # parameter store": the default of each template parameter is exactly the contract's path.
    (parameter,) = [
        p
        for p in concrete.template["Parameters"].values()
        if p.get("Default") == f"{ROOT_PATH}/shop-prod/contract-major"
    ]
    assert "deploy the platform first" in parameter["Description"]


# ------------------------------------------------------------------ multi-account


def test_one_environment_per_account_each_stage_attaches_to_its_own():
    app = make_app()
    stacks = {}
    for profile, account in (("dev", "111111111111"), ("prod", "222222222222")):
        stage = cdk.Stage(
            app, profile.capitalize(), env=cdk.Environment(account=account, region="eu-west-1")
        )
        stack = cdk.Stack(stage, "Checkout")
        PlatformEnvironment.from_published(stack, "Platform", name=f"shop-{profile}")
        CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
        stacks[profile] = stack
    for profile, stack in stacks.items():
        template = Template.from_stack(stack).to_json()
        defaults = {p.get("Default", "") for p in template["Parameters"].values()}
        assert f"{ROOT_PATH}/shop-{profile}/key-arn" in defaults
        other = "prod" if profile == "dev" else "dev"
        assert not any(f"/shop-{other}/" in d for d in defaults)
        body = json.dumps(template)
        assert "Fn::ImportValue" not in body
        assert "Fn::GetStackOutput" not in body
