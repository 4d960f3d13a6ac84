"""ApiFrontDoor: adding, removing or reordering a route leaves every other logical ID as it was.

A logical ID that changes makes CloudFormation replace the resource. Each variant of one API
(four routes: a function, a queue and two services on two VPCs, three of them with a request
schema) is built in its own stack of one app and synthesized once; the logical IDs of two
variants may differ only by the resources of the route that changed (each route's path word is
in every ID it owns: its API resources and methods, the Lambda permission aws-cdk-lib names
after method and path, the request models, the queue role, the VPC link of its own VPC and its
security group rules) and by the ``AWS::ApiGateway::Deployment``, whose ID is a hash of the
methods by design (a new deployment is what publishes a changed API).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from modern_app_constructs import ApiFrontDoor, FargateService, Route, acknowledge
from modern_app_constructs.testing import app_for_tests
from tests.cdk_support import ENV

SCHEMA = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")
DEPLOYMENT = "AWS::ApiGateway::Deployment"


@dataclass(frozen=True)
class Targets:
    alpha: lambda_.Function
    bravo: sqs.Queue
    charlie: FargateService
    delta: FargateService


def targets(stack: cdk.Stack) -> Targets:
    """The same targets in every variant (standalone services: each in a VPC of its own)."""
    queue = sqs.Queue(stack, "Bravo", enforce_ssl=True)
    acknowledge(queue, "AwsSolutions-SQS3", "A test queue.")
    return Targets(
        alpha=lambda_.Function(
            stack,
            "Alpha",
            code=lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"),
            handler="index.handler",
            runtime=lambda_.Runtime.PYTHON_3_14,
        ),
        bravo=queue,
        charlie=FargateService(stack, "Charlie", image=IMAGE),
        delta=FargateService(stack, "Delta", image=IMAGE),
    )


#: route name -> how to add it (every ID it owns has the name in it).
ROUTES: Mapping[str, Callable[[ApiFrontDoor, Targets], Any]] = {
    "alpha": lambda api, t: api.add_route(
        "/alpha", Route.function(t.alpha), methods=("GET", "POST"), request_schema=SCHEMA
    ),
    "bravo": lambda api, t: api.add_route(
        "/bravo/bulk", Route.queue(t.bravo), request_schema=SCHEMA
    ),
    "charlie": lambda api, t: api.add_route(
        "/charlie", Route.service(t.charlie), methods=("POST",), request_schema=SCHEMA
    ),
    "delta": lambda api, t: api.add_route("/delta", Route.service(t.delta, strip_prefix=True)),
    "echo": lambda api, t: api.add_route("/echo", Route.queue(t.bravo)),
}

BASE = ("alpha", "bravo", "charlie", "delta")
VARIANTS: Mapping[str, Sequence[str]] = {
    "Base": BASE,
    "Reordered": ("delta", "charlie", "bravo", "alpha"),
    "WithoutAlpha": ("bravo", "charlie", "delta"),  # the first: counters shifted all others
    "WithoutBravo": ("alpha", "charlie", "delta"),
    "WithoutCharlie": ("alpha", "bravo", "delta"),
    "WithoutDelta": ("alpha", "bravo", "charlie"),  # and with it, the link into its VPC
    "WithEcho": (*BASE, "echo"),
}


@pytest.fixture(scope="module")
def logical_ids() -> dict[str, dict[str, str]]:
    """Variant -> {logical id: resource type}.

    Each variant is its own app with a stack of the same name: a security group rule's ID
    holds the peer's path, stack name included.
    """
    found = {}
    for variant, routes in VARIANTS.items():
        stack = cdk.Stack(app_for_tests(), "Service", env=ENV)
        built = targets(stack)
        api = ApiFrontDoor(stack, "Api")
        for route in routes:
            ROUTES[route](api, built)
        resources = Template.from_stack(stack).to_json()["Resources"]
        found[variant] = {logical: resource["Type"] for logical, resource in resources.items()}
    return found


def _changed(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[set[str], set[str]]:
    """IDs only in ``before`` and only in ``after``, the deployment's left out."""
    gone = {logical for logical, kind in before.items() if kind != DEPLOYMENT} - set(after)
    new = {logical for logical, kind in after.items() if kind != DEPLOYMENT} - set(before)
    return gone, new


def test_every_route_owns_resources_named_after_it(logical_ids):
    """What the other tests rely on: each route's word is in the IDs of what it creates."""
    base = logical_ids["Base"]
    for route in BASE:
        owned = {logical for logical in base if route in logical.lower()}
        assert any(base[logical] == "AWS::ApiGateway::Method" for logical in owned), route
    assert any(base[logical] == "AWS::IAM::Role" for logical in base if "Bravo" in logical)
    for route in ("alpha", "bravo", "charlie"):
        assert any(
            base[logical] == "AWS::ApiGateway::Model"
            for logical in base
            if route in logical.lower()
        ), route
    links = {logical for logical, kind in base.items() if kind == "AWS::ApiGatewayV2::VpcLink"}
    assert len(links) == 2  # two services on two VPCs: one link each, named after the VPC
    assert {"charlie", "delta"} == {
        route for route in ("charlie", "delta") for link in links if route in link.lower()
    }


def test_reordering_routes_changes_no_logical_id(logical_ids):
    assert _changed(logical_ids["Base"], logical_ids["Reordered"]) == (set(), set())


@pytest.mark.parametrize("route", ["alpha", "bravo", "charlie", "delta"])
def test_removing_a_route_removes_only_its_own_resources(logical_ids, route):
    gone, new = _changed(logical_ids["Base"], logical_ids[f"Without{route.capitalize()}"])
    assert gone, route  # the route did own resources
    assert {logical for logical in gone if route not in logical.lower()} == set()
    assert new == set()


def test_adding_a_route_adds_only_its_own_resources(logical_ids):
    gone, new = _changed(logical_ids["Base"], logical_ids["WithEcho"])
    assert gone == set()
    assert new
    assert {logical for logical in new if "echo" not in logical.lower()} == set()


def test_the_deployment_id_is_a_hash_of_the_methods(logical_ids):
    """The one ID that changes with any route, by design (a new deployment publishes it)."""

    def deployment(variant: str) -> str:
        (found,) = [k for k, kind in logical_ids[variant].items() if kind == DEPLOYMENT]
        return found

    assert deployment("Base") != deployment("WithEcho")
