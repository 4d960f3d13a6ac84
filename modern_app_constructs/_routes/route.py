"""``Route``: the factories of route targets, one per kind."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs

from ..canary_function import CanaryFunction
from ..decoupled_worker import DecoupledWorker
from ..fargate_service import FargateService
from .function_route import FunctionRoute
from .queue_route import QueueRoute
from .service_route import ServiceRoute

__all__ = ["Route"]


class Route:
    """Where an :class:`~modern_app_constructs.ApiFrontDoor` route sends requests.

    Example::

        api.add_route("/orders", Route.function(create_order), methods=("POST",))
        api.add_route("/orders/bulk", Route.queue(bulk_intake))  # POST by default
        api.add_route("/catalog", Route.service(catalog))
    """

    @staticmethod
    def function(target: CanaryFunction | lambda_.IFunction) -> FunctionRoute:
        """A Lambda proxy integration; a ``CanaryFunction`` through its alias.

        Args:
            target: a ``CanaryFunction`` (traffic follows its canary) or any ``IFunction``.
        """
        return FunctionRoute(target)

    @staticmethod
    def service(target: FargateService, *, strip_prefix: bool = False) -> ServiceRoute:
        """The path and everything below it, privately to a ``FargateService`` (VPC link).

        Args:
            target: the ``FargateService``.
            strip_prefix: forward ``/catalog/items/1`` as ``/items/1``. Default: False.
        """
        return ServiceRoute(target, strip_prefix=strip_prefix)

    @staticmethod
    def queue(target: DecoupledWorker | sqs.IQueue) -> QueueRoute:
        """The request body straight to SQS (no Lambda); 202 with the message id.

        Args:
            target: a ``DecoupledWorker`` (its queue) or any SQS ``IQueue``.
        """
        return QueueRoute(target)
