"""Synth scenarios timed by ``benchmarks/bench.py``; each runs in its own fresh process.

``python -m benchmarks.scenarios NAME`` builds the scenario's App with cdk.json's context (as
``cdk synth`` would) and synthesizes it into a temporary directory.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk

ROOT = Path(__file__).resolve().parent.parent
ENV = cdk.Environment(region="eu-west-1")


def _app(outdir: str, **context: Any) -> cdk.App:
    settings = json.loads((ROOT / "cdk.json").read_text())["context"]
    return cdk.App(context={**settings, **context}, outdir=outdir)


def empty_app(outdir: str) -> cdk.App:
    """The floor: Python, aws_cdk and aws-cdk-lib loaded into the jsii kernel, nothing built."""
    return _app(outdir)


def _sample(outdir: str, profile: str) -> cdk.App:
    """The sample's platform and service stacks: what benchmarks/raw_cdk writes by hand."""
    from sample_app.app import OrdersServiceStack, PlatformStack

    app = _app(outdir, profile=profile)
    platform = PlatformStack(app, "OrdersPlatform", env=ENV, description="bench")
    OrdersServiceStack(app, "OrdersService", platform_name=platform.platform.name, env=ENV)
    return app


def sample_dev(outdir: str) -> cdk.App:
    """The sample's platform and service stacks, dev profile."""
    return _sample(outdir, "dev")


def sample_prod(outdir: str) -> cdk.App:
    """The sample's platform and service stacks, prod profile."""
    return _sample(outdir, "prod")


def sample_with_pipeline(outdir: str) -> cdk.App:
    """The whole sample app as `cdk synth` builds it: platform, service and the pipeline (whose
    two stages hold the service stack again)."""
    from sample_app.app import build

    app = _app(outdir, profile="dev")
    build(app)
    return app


def raw_cdk_dev(outdir: str) -> cdk.App:
    """The same platform and service written with aws-cdk-lib only, dev profile (no pipeline)."""
    from benchmarks.raw_cdk.orders import build_laptop_stacks

    app = _app(outdir, profile="dev")
    build_laptop_stacks(app)
    return app


def raw_cdk_with_pipeline(outdir: str) -> cdk.App:
    """The whole raw aws-cdk-lib app: platform, service and the pipeline with its stages."""
    from benchmarks.raw_cdk.orders import build

    app = _app(outdir, profile="dev")
    build(app)
    return app


def _one(outdir: str, make: Callable[[cdk.Stack], object]) -> cdk.App:
    app = _app(outdir)
    make(cdk.Stack(app, "Bench", env=ENV))
    return app


def _code() -> Any:
    from aws_cdk import aws_lambda as lambda_

    return lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")


def platform_environment(outdir: str) -> cdk.App:
    """One PlatformEnvironment."""
    from modern_app_constructs import PlatformEnvironment

    return _one(outdir, lambda s: PlatformEnvironment(s, "P", team="t", application="a"))


def canary_function(outdir: str) -> cdk.App:
    """One CanaryFunction with the built-in smoke test."""
    from modern_app_constructs import CanaryFunction, SmokeTest

    return _one(
        outdir,
        lambda s: CanaryFunction(
            s, "C", code=_code(), handler="index.handler", smoke_test=SmokeTest({})
        ),
    )


def decoupled_worker(outdir: str) -> cdk.App:
    """One DecoupledWorker with a new consumer function (standalone key)."""
    from modern_app_constructs import DecoupledWorker, WorkerConsumer

    return _one(
        outdir,
        lambda s: DecoupledWorker(s, "W", consumer=WorkerConsumer.code(_code(), "index.handler")),
    )


def fargate_service(outdir: str) -> cdk.App:
    """One standalone FargateService (its own VPC and cluster)."""
    from aws_cdk import aws_ecs as ecs

    from modern_app_constructs import FargateService

    image = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")
    return _one(outdir, lambda s: FargateService(s, "F", image=image))


def api_front_door(outdir: str) -> cdk.App:
    """One ApiFrontDoor with a queue route."""
    from aws_cdk import aws_sqs as sqs

    from modern_app_constructs import ApiFrontDoor, Route

    def make(stack: cdk.Stack) -> None:
        ApiFrontDoor(stack, "A").add_route(
            "/q", Route.queue(sqs.Queue(stack, "Q", enforce_ssl=True))
        )

    return _one(outdir, make)


SCENARIOS: dict[str, Callable[[str], cdk.App]] = {
    "empty_app": empty_app,
    "sample_dev": sample_dev,
    "sample_prod": sample_prod,
    "sample_with_pipeline": sample_with_pipeline,
    "raw_cdk_dev": raw_cdk_dev,
    "raw_cdk_with_pipeline": raw_cdk_with_pipeline,
    "platform_environment": platform_environment,
    "canary_function": canary_function,
    "decoupled_worker": decoupled_worker,
    "fargate_service": fargate_service,
    "api_front_door": api_front_door,
}
CONSTRUCT_SCENARIOS = frozenset(
    {
        "platform_environment",
        "canary_function",
        "decoupled_worker",
        "fargate_service",
        "api_front_door",
    }
)


def main(name: str) -> None:
    """Build and synthesize one scenario."""
    with tempfile.TemporaryDirectory() as outdir:
        SCENARIOS[name](outdir).synth()


if __name__ == "__main__":
    main(sys.argv[1])
