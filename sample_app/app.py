"""The "orders" sample service: every construct of the library composed into one app.

Two stacks share one app: the platform stack a platform team owns (``OrdersPlatform``) and the
orders service stack a service team owns (``OrdersService``). The profile comes from the
``profile`` context value: ``cdk synth`` gives dev, ``cdk synth -c profile=prod`` gives prod.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct

from modern_app_constructs import PlatformEnvironment

__all__ = ["PlatformStack", "SampleApp", "build"]


class PlatformStack(cdk.Stack):
    """The platform team's stack: the shared environment every service deploys into."""

    def __init__(self, scope: Construct, construct_id: str, *, description: str) -> None:
        super().__init__(scope, construct_id, description=description)
        self.platform = PlatformEnvironment(
            self,
            "Platform",
            team="commerce-platform",
            application="orders",
            cost_center="cc-4711",
        )


@dataclass(frozen=True)
class SampleApp:
    """The stacks of the sample app, as built into an ``App``."""

    platform_stack: PlatformStack

    @property
    def stacks(self) -> tuple[cdk.Stack, ...]:
        """Every stack of the sample, in deployment order."""
        return (self.platform_stack,)


def build(app: cdk.App) -> SampleApp:
    """Add the sample's stacks to ``app`` and return them."""
    platform_stack = PlatformStack(
        app,
        "OrdersPlatform",
        description="Orders sample: shared platform environment (VPC, cluster, key, alarms)",
    )
    return SampleApp(platform_stack=platform_stack)
