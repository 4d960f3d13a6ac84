"""A published environment's contract and a service attached to it by name, deployed.

What is deployed: a contract stack publishing the SSM parameters a service reads (with a real
key and alarm topic beside them), then a service stack built with
``PlatformEnvironment.from_published``. The emulator cannot run Lambda code (its only executor
is Docker), so the full platform stack (its VPC default-security-group and deletion-guard
custom resources are Lambda-backed) is not deployed: the deletion guard's handler is run here
in-process against the emulator's SSM and CloudFormation, on the stacks deployed.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from botocore.exceptions import ClientError

from modern_app_constructs import CONTRACT_VERSION, PlatformEnvironment, Profile, __version__
from modern_app_constructs._contract import parameter_path
from modern_app_constructs._registration import attachment_path, attachments_path
from modern_app_constructs.runtime import deletion_guard
from tests.cdk_support import make_app
from tests.local.emulator import DEPLOY_TIMEOUT_S, Emulator, wait_for

pytestmark = pytest.mark.emulator

NAME = "local-dev"


def contract_template() -> tuple[dict[str, Any], dict[str, str]]:
    """The contract a dev platform publishes (what a service reads), with its key and topic."""
    app = make_app()
    stack = cdk.Stack(app, "LocalContract")
    key = kms.Key(stack, "Key", enable_key_rotation=True, removal_policy=cdk.RemovalPolicy.DESTROY)
    topic = sns.Topic(stack, "AlarmTopic", master_key=key, enforce_ssl=True)
    values = {
        "contract-version": CONTRACT_VERSION,
        "contract-major": CONTRACT_VERSION.split(".")[0],
        "profile": "dev",
        "log-retention-days": str(Profile.named("dev").log_retention_days),
        "key-arn": key.key_arn,
        "alarm-topic-arn": topic.topic_arn,
        "tag/team": "platform",
        "tag/application": "local",
        "tag/profile": "dev",
        "library-version": __version__,
    }
    for key_name, value in values.items():
        ssm.StringParameter(
            stack,
            key_name.replace("/", "-"),
            parameter_name=parameter_path(NAME, key_name),
            string_value=value,
        )
    ids = {"key": str(stack.resolve(stack.get_logical_id(key.node.default_child)))}
    return app.synth().get_stack_by_name("LocalContract").template, ids


def service_template(stack_name: str) -> dict[str, Any]:
    """A service stack attached by name, using the published key."""
    app = make_app()
    stack = cdk.Stack(app, stack_name, tags={"team": "orders-team", "service": "orders"})
    env = PlatformEnvironment.from_published(stack, "Env", name=NAME, profile="dev")
    sqs.Queue(stack, "Jobs", encryption_master_key=env.key, enforce_ssl=True)
    return app.synth().get_stack_by_name(stack_name).template


def delete(emulator: Emulator, stack_name: str) -> None:
    cloudformation = emulator.client("cloudformation")
    cloudformation.delete_stack(StackName=stack_name)

    def gone() -> bool | None:
        try:
            stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
        except ClientError:
            return True
        return True if stacks[0]["StackStatus"] == "DELETE_COMPLETE" else None

    wait_for(f"{stack_name} deleted", gone, DEPLOY_TIMEOUT_S)


def registrations(emulator: Emulator) -> list[str]:
    page = emulator.client("ssm").get_parameters_by_path(Path=attachments_path(NAME))
    return [p["Name"] for p in page["Parameters"]]


def guard(emulator: Emulator, stack_id: str) -> deletion_guard.Outcome:
    """The deletion guard's handler, on a Delete of the contract stack, against the emulator."""
    event = {
        "RequestType": "Delete",
        "ResponseURL": "https://unused.example",
        "StackId": stack_id,
        "RequestId": "r",
        "LogicalResourceId": "Guard",
        "PhysicalResourceId": f"deletion-guard:{NAME}",
        "ResourceProperties": {
            "Environment": NAME,
            "AttachmentsPath": attachments_path(NAME),
            "Protected": {},
        },
    }
    return deletion_guard.handle(event, emulator.client, lambda _e, _o: None)


@pytest.fixture(scope="module")
def contract(emulator: Emulator) -> Any:
    template, ids = contract_template()
    deployed = emulator.deploy("LocalContract", template)
    assert deployed.problems() == []
    stack_id = emulator.client("cloudformation").describe_stacks(StackName="LocalContract")[
        "Stacks"
    ][0]["StackId"]
    return deployed, ids, stack_id


def test_a_service_attaches_by_name_registers_and_unregisters_with_its_stack(emulator, contract):
    deployed_contract, ids, stack_id = contract
    service = emulator.deploy("OrdersService", service_template("OrdersService"))
    assert service.status == "CREATE_COMPLETE", service.problems()
    assert service.problems() == []

    # the attachment resolved: the queue is encrypted with the published key
    queue_url = next(
        r["PhysicalResourceId"]
        for r in service.resources.values()
        if r["ResourceType"] == "AWS::SQS::Queue"
    )
    attributes = emulator.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["KmsMasterKeyId"]
    )["Attributes"]
    key_id = deployed_contract.physical_id(ids["key"])
    assert key_id in attributes["KmsMasterKeyId"]

    # the registration appeared, saying who is attached
    assert registrations(emulator) == [attachment_path(NAME, "OrdersService")]
    value = json.loads(
        emulator.client("ssm").get_parameter(Name=attachment_path(NAME, "OrdersService"))[
            "Parameter"
        ]["Value"]
    )
    assert value["stack"] == "OrdersService"
    assert value["service"] == "orders"
    assert value["owner"] == "orders-team"
    assert value["library-version"] == __version__
    assert value["account"] == "000000000000"

    # the deletion guard refuses while it is registered, naming it
    refused = guard(emulator, stack_id)
    assert refused.status == "FAILED"
    assert "OrdersService" in refused.reason

    delete(emulator, "OrdersService")
    assert registrations(emulator) == []
    assert guard(emulator, stack_id).status == "SUCCESS"


def failed_rules(emulator: Emulator, template: dict[str, Any]) -> list[str]:
    """The template's ``Rules`` evaluated as CloudFormation does before a change set: every
    SSM-typed parameter resolved from the emulator's SSM; the failing assertions' messages.

    LocalStack 2026.3 does not evaluate ``Rules`` itself (it creates the stack), so this does.
    """
    ssm_client = emulator.client("ssm")
    values = {
        name: ssm_client.get_parameter(Name=parameter["Default"])["Parameter"]["Value"]
        for name, parameter in template.get("Parameters", {}).items()
        if parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    }

    def evaluate(expression: Any) -> Any:
        if isinstance(expression, str):
            return expression
        if isinstance(expression, list):
            return [evaluate(item) for item in expression]
        ((function, argument),) = expression.items()
        if function == "Ref":
            return values[argument]
        if function == "Fn::Contains":
            return evaluate(argument[1]) in evaluate(argument[0])
        if function == "Fn::Not":
            return not evaluate(argument[0])
        if function == "Fn::And":
            return all(evaluate(item) for item in argument)
        if function == "Fn::Or":
            return any(evaluate(item) for item in argument)
        if function == "Fn::Equals":
            return evaluate(argument[0]) == evaluate(argument[1])
        raise AssertionError(f"rule function {function} not evaluated here")

    return [
        assertion["AssertDescription"]
        for rule in template.get("Rules", {}).values()
        for assertion in rule["Assertions"]
        if not evaluate(assertion["Assert"])
    ]


def test_the_rules_refuse_an_unsupported_contract_major_before_anything_changes(emulator, contract):
    template = service_template("FutureService")
    assert failed_rules(emulator, template) == []
    client = emulator.client("ssm")
    major = parameter_path(NAME, "contract-major")
    client.put_parameter(Name=major, Value="2", Type="String", Overwrite=True)
    try:
        (refused,) = failed_rules(emulator, template)
        assert f"'{NAME}' publishes a contract major other than 1" in refused
    finally:
        client.put_parameter(
            Name=major, Value=CONTRACT_VERSION.split(".")[0], Type="String", Overwrite=True
        )
