"""The template parameters an attached service reads its environment's contract through.

Each contract value an attached stack's constructs read becomes an
``AWS::SSM::Parameter::Value<String>`` template parameter. Imports such as
``ec2.Vpc.from_vpc_attributes`` take every attribute up front (availability zones, route
tables, public subnets) although most stacks never reference them, and CloudFormation resolves
every declared SSM-typed parameter, so a parameter nobody references is both a cfn-lint W2001
warning and a deploy failure against an environment that does not publish it.

So a value is handed out as an uncached lazy token that records its use when it is rendered,
and the parameters whose value was never rendered are removed before the template is written.
CDK renders every CloudFormation element of the app while preparing it (to find cross-stack
references) and validates the tree right after: a validation of the attached environment then
knows exactly which values the stack's template references. It removes nothing unless the
stack was rendered (the always-referenced ``sentinel`` key was), so a ``node.validate()`` before
synthesis leaves the parameters alone.
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from constructs import Construct, IValidation

from ._contract import CONTRACT_VERSION, parameter_construct_id, parameter_path

__all__ = ["ContractValues"]


class ContractValues:
    """The deploy-time values of one attached environment, declared only where referenced.

    Args:
        scope: the construct the template parameters are created beneath.
        name: the environment's published name.
        sentinel: a key the stack always references (the contract rule's): until its value
            has been rendered, no parameter is removed.
    """

    def __init__(self, scope: Construct, name: str, *, sentinel: str) -> None:
        self._scope = scope
        self._name = name
        self._sentinel = sentinel
        #: the template parameters by contract key, as created (removed ones included)
        self.parameters: dict[str, cdk.CfnParameter] = {}
        self._used: set[str] = set()
        self._removed: set[str] = set()
        scope.node.add_validation(_RemoveUnreferenced(self))

    def value(self, key: str) -> str:
        """The deploy-time value of contract parameter ``key`` (a token)."""
        if key not in self.parameters:
            self.parameters[key] = cdk.CfnParameter(
                self._scope,
                parameter_construct_id(key),
                type="AWS::SSM::Parameter::Value<String>",
                default=parameter_path(self._name, key),
                description=(
                    f"'{key}' of the platform environment '{self._name}' (modern-app-constructs "
                    f"contract {CONTRACT_VERSION}), published by its PlatformEnvironment: "
                    "deploy the platform first."
                ),
            )
        return cdk.Lazy.uncached_string(_Use(self, key))

    def list(self, key: str, count: int) -> list[str]:
        """The comma-separated value of ``key`` split into ``count`` tokens."""
        return cdk.Fn.split(",", self.value(key), count)

    @property
    def referenced(self) -> frozenset[str]:
        """The keys whose value a rendered template referenced so far."""
        return frozenset(self._used)

    def produce(self, key: str) -> str:
        """Render ``key``'s value: its template parameter's ``Ref``, the use recorded."""
        if key in self._removed:
            raise RuntimeError(
                f"{self._scope.node.path}: the contract value '{key}' was first referenced "
                "after synthesis removed its unreferenced template parameter; change the "
                "construct tree before synthesizing, not between two syntheses"
            )
        self._used.add(key)
        return self.parameters[key].value_as_string

    def remove_unreferenced(self) -> None:
        """Remove the parameters no rendered template referenced (once it was rendered)."""
        if self._sentinel not in self._used:
            return  # not rendered yet: nothing is known about the references
        for key, parameter in self.parameters.items():
            if key not in self._used and key not in self._removed:
                self._scope.node.try_remove_child(parameter.node.id)
                self._removed.add(key)


@jsii.implements(cdk.IStringProducer)
class _Use:
    def __init__(self, values: ContractValues, key: str) -> None:
        self._values = values
        self._key = key

    def produce(self, context: cdk.IResolveContext) -> str:
        return self._values.produce(self._key)


@jsii.implements(IValidation)
class _RemoveUnreferenced:
    def __init__(self, values: ContractValues) -> None:
        self._values = values

    def validate(self) -> list[str]:
        self._values.remove_unreferenced()
        return []
