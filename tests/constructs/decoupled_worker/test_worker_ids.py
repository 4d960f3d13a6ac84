"""Logical IDs of the compute constructs come from the names users give, never from positions.

A ``DecoupledWorker`` subscribes to one topic with one filter policy; fan-out is several workers
on one topic. Adding, removing or reordering one worker (or a ``CanaryFunction`` or
``FargateService`` beside them) leaves the logical ID of every other resource unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from modern_app_constructs import (
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    SmokeTest,
    WorkerConsumer,
)
from tests.cdk_support import ENV, service_app

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")


def _filter(event_type: str) -> dict[str, sns.SubscriptionFilter]:
    return {"event_type": sns.SubscriptionFilter.string_filter(allowlist=[event_type])}


#: What each named item adds to the stack (a worker on the shared topic, or a sibling).
ITEMS: dict[str, Callable[[cdk.Stack, sns.ITopic], object]] = {
    "Fulfilment": lambda stack, topic: DecoupledWorker(
        stack,
        "Fulfilment",
        consumer=WorkerConsumer.code(CODE, "index.handler"),
        topic=topic,
        filter_policy=_filter("OrderPlaced"),
    ),
    "Audit": lambda stack, topic: DecoupledWorker(
        stack,
        "Audit",
        consumer=WorkerConsumer.function(
            CanaryFunction(stack, "Ledger", code=CODE, handler="index.handler")
        ),
        topic=topic,
        filter_policy=_filter("OrderCancelled"),
    ),
    "Billing": lambda stack, topic: DecoupledWorker(
        stack,
        "Billing",
        consumer=WorkerConsumer.container(IMAGE),
        topic=topic,
        filter_policy=_filter("OrderPaid"),
    ),
    "Shipping": lambda stack, topic: DecoupledWorker(
        stack,
        "Shipping",
        consumer=WorkerConsumer.code(CODE, "index.handler", in_vpc=True),
        topic=topic,
    ),
    "Checkout": lambda stack, topic: CanaryFunction(
        stack, "Checkout", code=CODE, handler="index.handler", smoke_test=SmokeTest({})
    ),
    "Catalog": lambda stack, topic: FargateService(stack, "Catalog", image=IMAGE),
}
#: The logical-ID prefixes of what each item creates (a canary consumer is an item of its own).
OWNED = {"Audit": ("Audit", "Ledger")}
BASE = ("Fulfilment", "Audit", "Billing", "Checkout", "Catalog")


def _logical_ids(items: Sequence[str]) -> set[str]:
    built = service_app(env=ENV)
    topic = sns.Topic(built.stack, "Orders", master_key=built.platform.key, enforce_ssl=True)
    for name in items:
        ITEMS[name](built.stack, topic)
    return set(Template.from_stack(built.stack).to_json()["Resources"])


def _owned_by(ids: set[str], name: str) -> set[str]:
    return {i for i in ids if i.startswith(OWNED.get(name, (name,)))}


@pytest.fixture(scope="module")
def base() -> set[str]:
    return _logical_ids(BASE)


def test_every_item_owns_resources_under_its_own_name(base):
    for name in BASE:
        assert _owned_by(base, name), name
    owned = set().union(*(_owned_by(base, name) for name in BASE))
    # the rest: the shared topic (and its policy) and the stack's own resources
    assert {i for i in base - owned if not i.startswith("Orders")} <= {"CDKMetadata"}


def test_reordering_changes_no_logical_id(base):
    assert _logical_ids(tuple(reversed(BASE))) == base


@pytest.mark.parametrize("removed", ["Fulfilment", "Audit", "Billing", "Catalog"])
def test_removing_one_item_leaves_every_other_logical_id(base, removed):
    after = _logical_ids(tuple(name for name in BASE if name != removed))
    assert after == base - _owned_by(base, removed)


def test_adding_one_item_leaves_every_other_logical_id(base):
    after = _logical_ids((*BASE[:2], "Shipping", *BASE[2:]))
    assert after - base == _owned_by(after, "Shipping")
    assert base <= after
