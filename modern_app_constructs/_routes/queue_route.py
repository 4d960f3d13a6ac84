"""Queue routes: the request body goes straight to SQS (no Lambda); 202 with the message id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .._typecheck import check_field_types
from ..decoupled_worker import DecoupledWorker
from .target import RouteBinding, RouteTarget

__all__ = ["METHOD_RESPONSES", "QueueRoute"]

_SEND_MESSAGE_TEMPLATE = "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
_MESSAGE_ID_TEMPLATE = (
    '{"message_id": "$input.path(\'$.SendMessageResponse.SendMessageResult.MessageId\')"}'
)
_ERROR = '{"message": "The request could not be queued."}'
#: The method responses a queue route declares.
METHOD_RESPONSES = ("202", "400", "500")


@dataclass(frozen=True)
class QueueRoute(RouteTarget):
    """A route that sends the request body to an SQS queue; made by ``Route.queue(...)``.

    No Lambda in between: API Gateway calls ``SendMessage`` with a role (one per route and
    method, named after them, e.g. ``OrdersBulkPOSTRole``) that may send to this queue only,
    and answers 202 with the message id (400/500 with a generic body). Its methods default to
    ``("POST",)``.

    Attributes:
        target: a ``DecoupledWorker`` (its queue) or any SQS ``IQueue``.
    """

    default_methods: ClassVar[tuple[str, ...]] = ("POST",)

    target: DecoupledWorker | sqs.IQueue

    def __post_init__(self) -> None:
        check_field_types(self)

    @property
    def queue(self) -> sqs.IQueue:
        """The queue the route sends to: a ``DecoupledWorker``'s queue, else the target."""
        if isinstance(self.target, DecoupledWorker):
            return self.target.queue
        return self.target

    def bind(self, route: RouteBinding) -> list[apigateway.Method]:
        """One ``SendMessage`` integration (and role) per method."""
        responses = [apigateway.MethodResponse(status_code=code) for code in METHOD_RESPONSES]
        return [
            route.add_method(
                route.resource,
                method,
                _integration(route.scope, f"{route.name}{method}Role", route.plan.path, self.queue),
                method_responses=responses,
            )
            for method in route.plan.methods
        ]


def _integration(
    scope: Construct, role_id: str, path: str, queue: sqs.IQueue
) -> apigateway.Integration:
    """An SQS ``SendMessage`` integration with a role that may send to ``queue`` only."""
    role = iam.Role(
        scope,
        role_id,
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        description=f"Lets {path} send messages to one queue",
    )
    # Exactly what SendMessage needs; grant_send_messages would add kms:ReEncrypt* etc.
    role.add_to_policy(
        iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn])
    )
    if queue.encryption_master_key is not None:
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[queue.encryption_master_key.key_arn],
            )
        )
    return apigateway.AwsIntegration(
        service="sqs",
        path=f"{cdk.Stack.of(scope).account}/{queue.queue_name}",
        integration_http_method="POST",
        options=apigateway.IntegrationOptions(
            credentials_role=role,
            passthrough_behavior=apigateway.PassthroughBehavior.NEVER,
            request_parameters={
                "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
            },
            request_templates={"application/json": _SEND_MESSAGE_TEMPLATE},
            integration_responses=[
                apigateway.IntegrationResponse(
                    status_code="202",
                    selection_pattern=r"2\d{2}",
                    response_templates={"application/json": _MESSAGE_ID_TEMPLATE},
                ),
                apigateway.IntegrationResponse(
                    status_code="400",
                    selection_pattern=r"4\d{2}",
                    response_templates={"application/json": _ERROR},
                ),
                apigateway.IntegrationResponse(
                    status_code="500",
                    selection_pattern=r"5\d{2}",
                    response_templates={"application/json": _ERROR},
                ),
            ],
        ),
    )
