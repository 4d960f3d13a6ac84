"""A service team's app as ``cdk init app --language python`` starts it, built with the library.

Two environment-agnostic stacks: the platform (``Platform``) and the service (``Service``): a
canary-deployed function behind an API, a decoupled worker fed by the API's queue route, and
the service dashboard. ``benchmarks/bench.py`` times two test suites of this app: the one
``modern_app_constructs.testing`` gives (``tests_library/``) and the plain ``cdk init``
harness (``tests_plain/``).
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    PlatformEnvironment,
    Route,
    ServiceDashboard,
    WorkerConsumer,
    asset_code,
)

CODE = Path(__file__).parent / "functions" / "orders"


class PlatformStack(cdk.Stack):
    """The shared environment."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.platform = PlatformEnvironment(self, "Platform", team="shop", application="orders")


class ServiceStack(cdk.Stack):
    """The orders service."""

    def __init__(self, scope: Construct, construct_id: str, *, platform: PlatformEnvironment):
        super().__init__(scope, construct_id)
        orders = CanaryFunction(
            self,
            "CreateOrder",
            code=asset_code(CODE),
            handler="handler.create_order",
            platform=platform,
        )
        bulk = DecoupledWorker(
            self,
            "BulkIntake",
            consumer=WorkerConsumer.code(asset_code(CODE), "handler.bulk"),
            platform=platform,
        )
        api = ApiFrontDoor(self, "Api", api_name="orders", platform=platform)
        api.add_route("/orders", Route.function(orders), methods=("POST",))
        api.add_route("/orders/bulk", Route.queue(bulk))
        ServiceDashboard(self, "Dashboard", service_name="orders").add(api, orders, bulk)


def build(app: cdk.App) -> tuple[PlatformStack, ServiceStack]:
    """Both stacks in ``app``."""
    platform = PlatformStack(app, "Platform")
    return platform, ServiceStack(app, "Service", platform=platform.platform)


if __name__ == "__main__":
    application = cdk.App()
    build(application)
    application.synth()
