"""Route kinds of :class:`~modern_app_constructs.ApiFrontDoor`, one module each.

The front door plans a route (path, methods, schema, conflicts) and lets its target check
itself before anything is built; then the target binds itself to the route
(:class:`RouteTarget.bind`). :class:`Route` makes targets, :class:`Authorization` says who may
call.
"""

from .authorization import Authorization
from .function_route import FunctionRoute
from .paths import HTTP_METHODS, RoutePlan, check_schema, plan_route, route_name
from .queue_route import METHOD_RESPONSES, QueueRoute
from .route import Route
from .service_route import ServiceRoute
from .target import RouteBinding, RouteTarget

__all__ = [
    "HTTP_METHODS",
    "METHOD_RESPONSES",
    "Authorization",
    "FunctionRoute",
    "QueueRoute",
    "Route",
    "RouteBinding",
    "RoutePlan",
    "RouteTarget",
    "ServiceRoute",
    "check_schema",
    "plan_route",
    "route_name",
]
