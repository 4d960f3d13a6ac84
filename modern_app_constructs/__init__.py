"""AWS CDK v2 constructs for services that are secure by default and safe to deploy.

The public API: the shared :class:`PlatformEnvironment` and its :class:`Profile`, the
service constructs that live in any :class:`IPlatformEnvironment` (an API's routes made by
:class:`Route`, authorized by :class:`Authorization`), the
:class:`ServiceDashboard` that shows any :class:`IMonitorable`, the :class:`ServicePipeline`
that ships a service through its :class:`DeploymentStage` list, and :func:`acknowledge` for
reviewed cdk-nag findings. Test support for apps built with them:
:mod:`modern_app_constructs.testing`.
"""

from ._alarm_actions import AlarmActions
from ._contract import CONTRACT_VERSION
from ._lambda import asset_code
from ._monitoring import IMonitorable, MetricGraph
from ._nag import acknowledge
from ._platform import IPlatformEnvironment
from ._routes import Authorization, Route, RouteTarget
from ._validation import InvalidPropError, InvalidPropTypeError
from ._version import __version__
from .api_front_door import ApiFrontDoor, UsagePlanOptions
from .canary_function import CanaryFunction, SmokeTest
from .decoupled_worker import DecoupledWorker
from .deployment import DeploymentStrategy
from .deployment_stage import DeploymentStage, StageBuilder
from .fargate_service import FargateService, ServiceScaling
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
    "AlarmActions",
    "ApiFrontDoor",
    "Authorization",
    "CanaryFunction",
    "CodeConsumer",
    "ContainerConsumer",
    "DecoupledWorker",
    "DeploymentStage",
    "DeploymentStrategy",
    "FargateService",
    "FunctionConsumer",
    "FunctionMonitoring",
    "IMonitorable",
    "IPlatformEnvironment",
    "InvalidPropError",
    "InvalidPropTypeError",
    "MetricGraph",
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
