"""checkov skips: on the resource, with a reason, only where the check does not apply.

The gate itself (tests/repository/test_checkov_gate.py) proves the sample and the construct
scenarios pass checkov; these tests pin down which resource carries which skip, and that a skip
goes away when the construct is configured so that the check applies.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from modern_app_constructs import CanaryFunction, FargateService, PlatformEnvironment
from modern_app_constructs._checkov import skip_checkov
from modern_app_constructs.testing import app_for_tests
from tests.cdk_support import ENV, Scenarios, logical_id, scenarios

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")


def _skips(resource: dict[str, Any]) -> dict[str, str]:
    entries = resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    return {entry["id"]: entry["comment"] for entry in entries}


FUNCTIONS: dict[str, dict[str, Any]] = {
    "Defaults": {},
    "InVpc": {"in_vpc": True},
    "Reserved": {"reserved_concurrent_executions": 5},
    "WithDlq": {"function_overrides": {"dead_letter_queue_enabled": True}},
}


@pytest.fixture(scope="module")
def functions() -> Scenarios:
    """A CanaryFunction per case of ``FUNCTIONS``, beside one platform, synthesized once."""

    def canary(kwargs: dict[str, Any]) -> Any:
        return lambda stack: CanaryFunction(
            stack, "Fn", code=CODE, handler="index.handler", **kwargs
        )

    return scenarios({name: canary(kwargs) for name, kwargs in FUNCTIONS.items()}, env=ENV)


def _function(functions: Scenarios, name: str) -> dict[str, str]:
    resources = functions.templates[name].to_json()["Resources"]
    return _skips(resources[logical_id(functions[name].function)])


def test_a_function_says_why_each_lambda_check_does_not_apply(functions):
    skips = _function(functions, "Defaults")
    assert set(skips) == {"CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"}
    assert skips["CKV_AWS_115"].startswith("Opt-in (reserved_concurrent_executions=")
    assert "invokes a CanaryFunction synchronously" in skips["CKV_AWS_116"]
    assert skips["CKV_AWS_117"].startswith("Opt-in (in_vpc=True)")


@pytest.mark.parametrize(
    ("name", "applies"),
    [("InVpc", "CKV_AWS_117"), ("Reserved", "CKV_AWS_115"), ("WithDlq", "CKV_AWS_116")],
)
def test_a_skip_goes_away_when_the_check_applies(functions, name, applies):
    skips = _function(functions, name)
    assert applies not in skips
    assert skips  # the other checks keep their skips


def test_the_vpc_handler_of_aws_cdk_lib_says_why_in_the_stack_that_creates_the_vpc():
    stack = cdk.Stack(app_for_tests(), "Platform", env=ENV)
    PlatformEnvironment(stack, "Platform", team="t", application="a")
    standalone = cdk.Stack(app_for_tests(), "Standalone", env=ENV)  # an app of its own
    FargateService(standalone, "Svc", image=ecs.ContainerImage.from_registry("nginx"))
    for owner in (stack, standalone):
        (handler,) = [
            resource
            for logical, resource in Template.from_stack(owner).to_json()["Resources"].items()
            if logical.startswith("CustomVpcRestrictDefaultSGCustomResourceProviderHandler")
        ]
        skips = _skips(handler)
        assert set(skips) == {"CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"}
        assert all("aws-cdk-lib's own deploy-time handler" in c for c in skips.values())


def test_skips_add_up_and_a_second_skip_of_a_check_replaces_its_comment():
    stack = cdk.Stack(app_for_tests(), "Stack")
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    skip_checkov(queue, "CKV_AWS_27", "first")
    skip_checkov(queue, "CKV_AWS_999", "other")
    skip_checkov(queue, "CKV_AWS_27", "second")
    resource = Template.from_stack(stack).to_json()["Resources"][logical_id(queue)]
    assert resource["Metadata"]["checkov"]["skip"] == [
        {"id": "CKV_AWS_999", "comment": "other"},
        {"id": "CKV_AWS_27", "comment": "second"},
    ]


def test_a_skip_needs_a_reason_and_a_resource():
    stack = cdk.Stack(app_for_tests(), "Stack")
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    with pytest.raises(ValueError, match="needs a comment"):
        skip_checkov(queue, "CKV_AWS_27", " ")
    with pytest.raises(ValueError, match="no CloudFormation resource"):
        skip_checkov(stack, "CKV_AWS_27", "a stack is not a resource")
