"""AWS CDK v2 constructs for services that are secure by default and safe to deploy.

The public API: the shared :class:`PlatformEnvironment` and its :class:`Profile`, the
service constructs that live in any :class:`IPlatformEnvironment` (an API's routes made by
:class:`Route`, authorized by :class:`Authorization`), the
:class:`ServiceDashboard` that shows any :class:`IMonitorable`, the :class:`ServicePipeline`
that ships a service through its :class:`DeploymentStage` list, and :func:`acknowledge` for
reviewed cdk-nag findings. Test support for apps built with them:
:mod:`modern_app_constructs.testing`.
"""

import os

# jsii prints an 11-line end-of-life banner for Node 20 on every run; the library supports Node 20
# (package.json's engines), so silence it on that version unless the user chose otherwise. It
# reaches the jsii kernel only when this package is imported before aws_cdk (as
# `python -m modern_app_constructs` does); an app that imports aws_cdk first sets it itself.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from ._alarm_actions import AlarmActions
from ._contract import CONTRACT_VERSION
from ._deletion_guard import DeletionGuard
from ._environment import NotASecret
from ._lambda import asset_code
from ._monitoring import IMonitorable, MetricGraph
from ._nag import acknowledge
from ._platform import IPlatformEnvironment
from ._registration import AttachmentRegistration
from ._routes import Authorization, Route, RouteTarget
from ._validation import InvalidPropError, InvalidPropTypeError
from ._version import __version__
from .api_front_door import ApiFrontDoor, UsagePlanOptions
from .canary_function import (
    DRY_RUN_HEADER,
    FUNCTION_VERSION_DIMENSION,
    CanaryFunction,
    HandledFailures,
    SmokeTest,
)
from .decoupled_worker import DecoupledWorker
from .deployment import DeploymentStrategy
from .deployment_stage import DeploymentStage, StageBuilder
from .fargate_service import FargateService, ServiceScaling
from .nat import Nat
from .platform_environment import PlatformEnvironment
from .profiles import Profile
from .published_environment import PublishedPlatformEnvironment
from .service_dashboard import FunctionMonitoring, ServiceDashboard
from .service_ownership import ServiceOwnership
from .service_pipeline import ServicePipeline
from .worker_consumer import (
    CodeConsumer,
    ContainerConsumer,
    FunctionConsumer,
    WorkerConsumer,
)

__all__ = [
    "CONTRACT_VERSION",
    "DRY_RUN_HEADER",
    "FUNCTION_VERSION_DIMENSION",
    "AlarmActions",
    "ApiFrontDoor",
    "AttachmentRegistration",
    "Authorization",
    "CanaryFunction",
    "CodeConsumer",
    "ContainerConsumer",
    "DecoupledWorker",
    "DeletionGuard",
    "DeploymentStage",
    "DeploymentStrategy",
    "FargateService",
    "FunctionConsumer",
    "FunctionMonitoring",
    "HandledFailures",
    "IMonitorable",
    "IPlatformEnvironment",
    "InvalidPropError",
    "InvalidPropTypeError",
    "MetricGraph",
    "Nat",
    "NotASecret",
    "PlatformEnvironment",
    "Profile",
    "PublishedPlatformEnvironment",
    "Route",
    "RouteTarget",
    "ServiceDashboard",
    "ServiceOwnership",
    "ServicePipeline",
    "ServiceScaling",
    "SmokeTest",
    "StageBuilder",
    "UsagePlanOptions",
    "WorkerConsumer",
    "__version__",
    "acknowledge",
    "asset_code",
]
