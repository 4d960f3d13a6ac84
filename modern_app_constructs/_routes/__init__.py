"""Route kinds of :class:`~modern_app_constructs.ApiFrontDoor`, one module each.

Every kind first checks everything it was given (no construct is created), then builds. The
front door plans a route (path, methods, schema, conflicts) before any kind builds anything.
"""

from .lambda_route import lambda_integration, resolve_lambda_target, warn_if_canary_bypassed
from .paths import HTTP_METHODS, RoutePlan, check_schema, plan_route
from .queue_route import METHOD_RESPONSES, queue_integration, resolve_queue_target
from .service_route import (
    ServiceTarget,
    resolve_service_target,
    service_integration,
    use_vpc_link,
)

__all__ = [
    "HTTP_METHODS",
    "METHOD_RESPONSES",
    "RoutePlan",
    "ServiceTarget",
    "check_schema",
    "lambda_integration",
    "plan_route",
    "queue_integration",
    "resolve_lambda_target",
    "resolve_queue_target",
    "resolve_service_target",
    "service_integration",
    "use_vpc_link",
    "warn_if_canary_bypassed",
]
