"""Registered attachments: every attached service stack says so where its platform can read it.

An attached service stack (``PlatformEnvironment.from_published``) creates one SSM parameter
under its environment's path, ``/modern-app-constructs/platform/<name>/attachments/<stack>``,
holding JSON: the stack, the service and its owner, the library and contract versions it was
built with, its account and region. CloudFormation creates it with the stack and deletes it with
the stack, so the list of parameters under ``attachments/`` is the list of attached stacks: the
platform's deletion guard refuses to delete the environment while there is one, and
``python -m modern_app_constructs report --environment`` lists them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from ._contract import CONTRACT_VERSION, PARAMETER_ROOT
from ._typecheck import check_prop_types
from ._validation import check_tag_value
from ._version import __version__

__all__ = [
    "ATTACHMENTS",
    "AttachmentRegistration",
    "attachment_path",
    "attachments_path",
]

#: The path segment under an environment that holds its registrations.
ATTACHMENTS = "attachments"


def attachments_path(environment: str) -> str:
    """``/modern-app-constructs/platform/<environment>/attachments``."""
    return f"{PARAMETER_ROOT}/{environment}/{ATTACHMENTS}"


def attachment_path(environment: str, stack_name: str) -> str:
    """The registration of ``stack_name`` with ``environment``."""
    return f"{attachments_path(environment)}/{stack_name}"


@dataclass(frozen=True)
class _Fields:
    stack: str
    service: str
    owner: str | None


class AttachmentRegistration(Construct):
    """The SSM parameter that registers a service stack with the environment it attaches to.

    Created by :class:`PublishedPlatformEnvironment`; created and deleted with the stack. Its
    value is JSON::

        {"stack": "OrdersService", "service": "orders", "owner": "payments",
         "environment": "shop-prod", "library-version": "1.0.0", "contract-version": "1.0",
         "account": "111111111111", "region": "eu-west-1"}

    Args:
        scope: the attached environment construct.
        construct_id: the construct id.
        environment: the environment's published name.
        service: the service's name. Default: the stack's ``service`` tag
            (``cdk.Stack(..., tags={"service": "orders"})``), else the stack's name.
        owner: the owning team. Default: the stack's ``team`` tag, else ``null``.

    Attributes:
        parameter: the SSM parameter.
        parameter_name: its name (the path above).

    Within SSM's limits by construction: an environment name and a stack name have at most 128
    characters each (a path of at most 300 of the 1011 allowed), a service and an owner at most
    256 (a value of at most 1 KB of a standard parameter's 4 KB).

    Raises:
        InvalidPropError: a service or owner that is not a valid tag value.
    """

    @check_prop_types
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: str,
        service: str | None = None,
        owner: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        owner_label = f"AttachmentRegistration '{self.node.path}'"
        stack = cdk.Stack.of(self)
        check_tag_value(owner_label, "service", service, required=False)
        check_tag_value(owner_label, "owner", owner, required=False)
        self.parameter_name: str = attachment_path(environment, stack.stack_name)
        self._environment = environment
        self._service = service
        self._owner = owner
        self.parameter: ssm.StringParameter = ssm.StringParameter(
            self,
            "Parameter",
            parameter_name=self.parameter_name,
            string_value=cdk.Lazy.string(_Value(self)),
            description=(
                f"modern-app-constructs: stack {stack.stack_name} is attached to the platform "
                f"environment '{environment}' (deleted with the stack)"
            ),
            tier=ssm.ParameterTier.STANDARD,
        )

    def render(self, account: str, region: str) -> str:
        """The registration's JSON with ``account`` and ``region`` (tokens in the template)."""
        fields = self._fields()
        return json.dumps(
            {
                "stack": fields.stack,
                "service": fields.service,
                "owner": fields.owner,
                "environment": self._environment,
                "library-version": __version__,
                "contract-version": CONTRACT_VERSION,
                "account": account,
                "region": region,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def _fields(self) -> _Fields:
        stack = cdk.Stack.of(self)
        # a tag whose value is a token (e.g. the platform's published team) names nobody here
        tags = {
            key: value
            for key, value in stack.tags.tag_values().items()
            if not cdk.Token.is_unresolved(value)
        }
        service = self._service or tags.get("service") or stack.stack_name
        return _Fields(
            stack=stack.stack_name, service=service, owner=self._owner or tags.get("team")
        )


@jsii.implements(cdk.IStableStringProducer)
class _Value:
    """Renders the registration when the template is written (after tags are applied)."""

    def __init__(self, registration: AttachmentRegistration) -> None:
        self._registration = registration

    def produce(self) -> str | None:
        # JSON with two placeholders that Fn::Sub fills at deploy time
        text = self._registration.render("${AWS::AccountId}", "${AWS::Region}")
        return cdk.Fn.sub(text)
