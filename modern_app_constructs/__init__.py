"""AWS CDK v2 constructs for services that are secure by default and safe to deploy.

The public API: the shared :class:`PlatformEnvironment` and its :class:`Profile`, and the
service constructs that live in it.
"""

from ._lambda import asset_code
from ._validation import InvalidPropError
from .api_front_door import ApiFrontDoor, UsagePlanOptions
from .canary_function import CanaryFunction
from .decoupled_worker import DecoupledWorker, WorkerContainer
from .deployment import DeploymentStrategy
from .fargate_service import FargateService
from .platform_environment import PlatformEnvironment
from .profiles import Profile
from .service_dashboard import ServiceDashboard

__all__ = [
    "ApiFrontDoor",
    "CanaryFunction",
    "DecoupledWorker",
    "DeploymentStrategy",
    "FargateService",
    "InvalidPropError",
    "PlatformEnvironment",
    "Profile",
    "ServiceDashboard",
    "UsagePlanOptions",
    "WorkerContainer",
    "asset_code",
]
