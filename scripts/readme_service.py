"""A service composed exactly the way README.md's snippets compose it.

The independent rule sets are run over this app as well as over the sample, because a service
team starts from the README, not from ``sample_app``: two stacks (``Platform`` and
``Checkout``) as in *Your first service*, with the constructs configured as in each
construct's section.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sns as sns

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    PlatformEnvironment,
    Route,
    ServiceDashboard,
    SmokeTest,
    WorkerConsumer,
    asset_code,
)
from sample_app.app import CATALOG_SERVICE, FULFILMENT_CODE, ORDERS_CODE
from sample_app.contract import BULK_SCHEMA, ORDER_SCHEMA, SMOKE_TEST_EVENT

__all__ = ["build"]


def build(app: cdk.App) -> tuple[cdk.Stack, cdk.Stack]:
    """Add the README's ``Platform`` and ``Checkout`` stacks to ``app`` and return them.

    The stacks take the ``region`` context value, as the sample does.
    """
    env = cdk.Environment(region=app.node.try_get_context("region") or "eu-west-1")
    platform_stack = cdk.Stack(app, "Platform", env=env)
    platform = PlatformEnvironment(
        platform_stack, "Platform", team="payments", application="checkout", cost_center="cc-42"
    )
    stack = cdk.Stack(app, "Checkout", env=env)
    topic = sns.Topic(stack, "OrdersTopic", master_key=platform.key, enforce_ssl=True)
    create_order = CanaryFunction(
        stack,
        "CreateOrder",
        code=asset_code(ORDERS_CODE),
        handler="create_order.handler",
        environment={"ORDERS_TOPIC_ARN": topic.topic_arn},
        smoke_test=SmokeTest(SMOKE_TEST_EVENT, expected_status_codes=[200]),
    )
    fulfilment = DecoupledWorker(
        stack,
        "Fulfilment",
        consumer=WorkerConsumer.code(asset_code(FULFILMENT_CODE), "fulfilment.handler"),
        topic=topic,
        filter_policy={
            "event_type": sns.SubscriptionFilter.string_filter(allowlist=["OrderPlaced"])
        },
        raw_message_delivery=True,
    )
    fulfilment.grant_publish(create_order.function)
    bulk_intake = DecoupledWorker(
        stack,
        "BulkIntake",
        consumer=WorkerConsumer.code(
            asset_code(ORDERS_CODE),
            "bulk_intake.handler",
            environment={"ORDERS_TOPIC_ARN": topic.topic_arn},
        ),
    )
    catalog = FargateService(
        stack,
        "Catalog",
        image=ecs.ContainerImage.from_asset(
            str(CATALOG_SERVICE),
            platform=ecr_assets.Platform.LINUX_ARM64,
            exclude=["**/__pycache__", "**/*.pyc"],
        ),
        container_port=8080,
        health_check_path="/health",
    )
    api = ApiFrontDoor(stack, "Api", api_name="orders")
    api.add_route(
        "/orders", Route.function(create_order), methods=("POST",), request_schema=ORDER_SCHEMA
    )
    api.add_route("/orders/bulk", Route.queue(bulk_intake), request_schema=BULK_SCHEMA)
    api.add_route("/catalog", Route.service(catalog))
    ServiceDashboard(stack, "Dashboard", service_name="orders").add(
        api, create_order, bulk_intake, fulfilment, catalog
    )
    return platform_stack, stack
