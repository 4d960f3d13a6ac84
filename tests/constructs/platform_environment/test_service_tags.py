"""An attached service's tags: the platform's cost center, the service team's ownership."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from modern_app_constructs import (
    DecoupledWorker,
    InvalidPropError,
    InvalidPropTypeError,
    PlatformEnvironment,
    ServiceOwnership,
    WorkerConsumer,
)
from tests.cdk_support import make_app, unreferenced_parameters

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")


def _queue_tags(ownership: ServiceOwnership | None) -> tuple[dict[str, object], dict]:
    app = make_app()
    stack = cdk.Stack(app, "Svc")
    PlatformEnvironment.from_published(stack, "Platform", name="shop-prod", ownership=ownership)
    DecoupledWorker(stack, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"))
    template = app.synth().get_stack_by_name("Svc").template
    (queue,) = [
        resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::SQS::Queue" and "DeadLetter" not in name
    ]
    return {tag["Key"]: tag["Value"] for tag in queue["Properties"]["Tags"]}, template


def _parameter(template: dict, key: str) -> dict[str, str]:
    (name,) = [
        name
        for name, parameter in template["Parameters"].items()
        if parameter.get("Default") == f"/modern-app-constructs/platform/shop-prod/{key}"
    ]
    return {"Ref": name}


def test_an_attached_service_carries_the_platforms_cost_center_and_team():
    tags, template = _queue_tags(None)
    assert tags["cost-center"] == _parameter(template, "tag/cost-center")
    assert tags["team"] == _parameter(template, "tag/team")
    assert tags["application"] == _parameter(template, "tag/application")
    assert "service" not in tags


def test_the_service_team_tags_its_ownership():
    tags, template = _queue_tags(ServiceOwnership(team="checkout", service="checkout-api"))
    assert tags["team"] == "checkout"
    assert tags["service"] == "checkout-api"
    assert tags["cost-center"] == _parameter(template, "tag/cost-center")
    # the platform's team is not read, so not declared
    defaults = {parameter.get("Default") for parameter in template["Parameters"].values()}
    assert "/modern-app-constructs/platform/shop-prod/tag/team" not in defaults
    assert unreferenced_parameters(template) == []


@pytest.mark.parametrize(
    ("kwargs", "prop"),
    [
        ({"team": "", "service": "api"}, "team"),
        ({"team": "checkout", "service": "   "}, "service"),
        ({"team": "check<out>", "service": "api"}, "team"),
        ({"team": "checkout", "service": "x" * 257}, "service"),
    ],
)
def test_invalid_ownership_is_rejected(kwargs, prop):
    with pytest.raises(InvalidPropError) as raised:
        ServiceOwnership(**kwargs)
    assert (raised.value.owner, raised.value.prop) == ("ServiceOwnership", prop)


def test_ownership_of_the_wrong_type_is_rejected():
    with pytest.raises(InvalidPropTypeError):
        ServiceOwnership(team=42, service="api")  # type: ignore[arg-type]
    stack = cdk.Stack(make_app(), "Svc")
    with pytest.raises(InvalidPropTypeError):
        PlatformEnvironment.from_published(
            stack,
            "Platform",
            name="shop-prod",
            ownership={"team": "checkout"},  # type: ignore[arg-type]
        )
