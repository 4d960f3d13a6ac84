"""What drains a DecoupledWorker's queue: one typed value per kind of consumer.

``WorkerConsumer.function(...)`` (a function you have), ``.code(...)`` (a new function built with
the library's defaults) or ``.container(...)`` (a Fargate queue processor): each kind carries
only the settings that apply to it, so a setting of one kind cannot be given to another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_

from ._environment import check_function_environment, check_no_plain_secrets
from ._fargate import check_fargate_size
from ._lambda import (
    FunctionOverrides,
    check_function_overrides,
    check_handler_in_asset,
    powertools_environment,
)
from ._typecheck import check_field_types
from ._validation import InvalidPropError, check_int_range, check_whole_seconds
from .canary_function import CanaryFunction

__all__ = ["CodeConsumer", "ContainerConsumer", "FunctionConsumer", "WorkerConsumer"]

#: Lambda's limit: a function runs at most 15 minutes.
_MAX_TIMEOUT_S = 900


class WorkerConsumer:
    """The factories of a :class:`DecoupledWorker`'s consumer, one per kind.

    - :meth:`function`: a function you have (a ``CanaryFunction``'s alias ships by canary);
    - :meth:`code`: a new function from code and handler, with the library's Lambda defaults;
    - :meth:`container`: containers on Fargate that poll the queue, scaled on its depth.

    Each returns a frozen value of its own type (:class:`FunctionConsumer`,
    :class:`CodeConsumer`, :class:`ContainerConsumer`) holding only the settings of its kind.
    """

    @staticmethod
    def function(function: CanaryFunction | lambda_.IFunction) -> FunctionConsumer:
        """A function you have.

        Args:
            function: an ``IFunction`` (a function, an alias, an imported function) or a
                ``CanaryFunction``, whose alias is subscribed so the worker ships by canary.
                An imported function's timeout cannot be read: give the worker a
                ``visibility_timeout``.
        """
        return FunctionConsumer(function)

    @staticmethod
    def code(
        code: lambda_.Code,
        handler: str,
        *,
        environment: Mapping[str, str] | None = None,
        timeout: cdk.Duration | None = None,
        memory_size: int = 256,
        service_name: str | None = None,
        in_vpc: bool = False,
        function_overrides: Mapping[str, Any] | None = None,
    ) -> CodeConsumer:
        """A new function built from ``code`` and ``handler`` with the library's Lambda defaults.

        Args:
            code: the function's code, e.g. ``asset_code("functions/fulfilment")``.
            handler: the handler, e.g. ``"fulfilment.handler"``.
            environment: environment variables; a name that looks secret (``PASSWORD``,
                ``TOKEN``, ``API_KEY``, ...) is refused unless its value is wrapped in
                :class:`NotASecret` (pass a secret's ARN or name instead and read it at run
                time). At most 4 KB with the Powertools settings. Default: only the
                Powertools settings.
            timeout: 1 second to 15 minutes. Default: 30 seconds.
            memory_size: MiB, 128..10240. Default: 256.
            service_name: ``POWERTOOLS_SERVICE_NAME`` and metrics namespace. Default: the
                worker's id.
            in_vpc: run the function in the platform's private subnets with a security group
                of its own allowing outbound HTTPS only. Needs a platform environment; see the
                docs/networking.md for the costs. Default: False.
            function_overrides: other ``lambda_.Function`` props; safety-owned props are
                rejected. Default: none.
        """
        return CodeConsumer(
            code=code,
            handler=handler,
            environment=dict(environment or {}),
            timeout=timeout or cdk.Duration.seconds(30),
            memory_size=memory_size,
            service_name=service_name,
            in_vpc=in_vpc,
            function_overrides=dict(function_overrides or {}),
        )

    @staticmethod
    def container(
        image: ecs.ContainerImage,
        *,
        cpu: int = 256,
        memory_limit_mib: int = 512,
        min_capacity: int = 0,
        max_capacity: int = 4,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, ecs.Secret] | None = None,
        visibility_timeout: cdk.Duration | None = None,
        cluster: ecs.ICluster | None = None,
    ) -> ContainerConsumer:
        """Containers on Fargate (ARM64, private subnets) that poll the queue, scaled on its depth.

        Args:
            image: the container image; it reads ``QUEUE_URL`` from its environment.
            cpu: Fargate CPU units (256, 512, ..., 16384). Default: 256.
            memory_limit_mib: a size Fargate offers for ``cpu`` (the pairs are listed under
                :class:`FargateService`). Default: 512.
            min_capacity: tasks kept running with an empty queue, 0..1000 (0 scales to zero).
                Default: 0.
            max_capacity: ``max(1, min_capacity)``..1000. Default: 4.
            environment: more environment variables; a name that looks secret
                (``PASSWORD``, ``TOKEN``, ``API_KEY``, ...) is refused unless its value is
                wrapped in :class:`NotASecret`. Default: none.
            secrets: ``ecs.Secret`` values (Secrets Manager or SSM SecureString) that ECS
                injects as environment variables at start; the task's execution role may read
                them. Default: none.
            visibility_timeout: how long a message stays invisible while a task works on it.
                Default: 5 minutes.
            cluster: the ECS cluster. Default: the platform's (required standalone).
        """
        return ContainerConsumer(
            image=image,
            cpu=cpu,
            memory_limit_mib=memory_limit_mib,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            environment=dict(environment or {}),
            secrets=dict(secrets or {}),
            visibility_timeout=visibility_timeout or cdk.Duration.minutes(5),
            cluster=cluster,
        )


@dataclass(frozen=True)
class FunctionConsumer:
    """A function you have; made by :meth:`WorkerConsumer.function`.

    Attributes:
        function: the function, alias or ``CanaryFunction``.
    """

    function: CanaryFunction | lambda_.IFunction

    def __post_init__(self) -> None:
        check_field_types(self)

    @property
    def target(self) -> lambda_.IFunction:
        """What the event source invokes: a ``CanaryFunction``'s alias, else the function."""
        return self.function.alias if isinstance(self.function, CanaryFunction) else self.function

    @property
    def timeout(self) -> cdk.Duration | None:
        """The function's timeout, or ``None`` when it cannot be read (an imported function)."""
        function = self.function
        if isinstance(function, CanaryFunction):
            return function.function.timeout
        if isinstance(function, lambda_.Function):
            return function.timeout
        if isinstance(function, lambda_.Alias) and isinstance(
            function.version.lambda_, lambda_.Function
        ):
            return function.version.lambda_.timeout
        return None


@dataclass(frozen=True)
class CodeConsumer:
    """A new function from code and handler; made by :meth:`WorkerConsumer.code`.

    Attributes:
        code: the function's code.
        handler: the handler.
        environment: environment variables. Default: none beyond the Powertools settings.
        timeout: 1 second to 15 minutes. Default: 30 seconds.
        memory_size: MiB, 128..10240. Default: 256.
        service_name: ``POWERTOOLS_SERVICE_NAME``. Default: ``None`` (the worker's id).
        in_vpc: in the platform's private subnets. Default: False.
        function_overrides: other ``lambda_.Function`` props. Default: none.
    """

    code: lambda_.Code
    handler: str
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout: cdk.Duration = field(default_factory=lambda: cdk.Duration.seconds(30))
    memory_size: int = 256
    service_name: str | None = None
    in_vpc: bool = False
    function_overrides: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_field_types(self)

    def checked_overrides(self, owner: str, prop: str) -> FunctionOverrides:
        """Validate the settings for the construct ``owner`` (``prop``: this value's prop name).

        Returns:
            The function overrides, checked against the props safety owns.

        Raises:
            InvalidPropError: naming ``<prop>.<setting>``.
        """
        if not self.handler.strip():
            raise InvalidPropError(
                owner, f"{prop}.handler", self.handler, "allowed: a handler, e.g. 'app.handler'"
            )
        if not 1000 <= self.timeout.to_milliseconds() <= _MAX_TIMEOUT_S * 1000:
            raise InvalidPropError(
                owner,
                f"{prop}.timeout",
                self.timeout.to_human_string(),
                "allowed: 1 second to 15 minutes",
            )
        check_whole_seconds(owner, f"{prop}.timeout", self.timeout)
        check_int_range(owner, f"{prop}.memory_size", self.memory_size, 128, 10240, unit="MiB")
        check_handler_in_asset(owner, f"{prop}.handler", self.code, self.handler)
        check_function_environment(
            owner,
            f"{prop}.environment",
            self.environment,
            added=powertools_environment(self.service_name or "").items(),
        )
        return check_function_overrides(
            owner, self.function_overrides, f"{prop}.function_overrides", in_vpc=self.in_vpc
        )


@dataclass(frozen=True)
class ContainerConsumer:
    """A Fargate queue processor; made by :meth:`WorkerConsumer.container`.

    Attributes:
        image: the container image; it reads ``QUEUE_URL`` from its environment.
        cpu: Fargate CPU units (256, 512, ..., 16384). Default: 256.
        memory_limit_mib: a size Fargate offers for ``cpu`` (listed under
            :class:`FargateService`). Default: 512.
        min_capacity: tasks kept running with an empty queue (0 scales to zero). Default: 0.
        max_capacity: Default: 4.
        environment: more environment variables (no secret-like names). Default: none.
        secrets: ``ecs.Secret`` values injected at start. Default: none.
        visibility_timeout: how long a message stays invisible while a task works on it.
            Default: 5 minutes.
        cluster: the ECS cluster. Default: ``None`` (the platform's).
    """

    image: ecs.ContainerImage
    cpu: int = 256
    memory_limit_mib: int = 512
    min_capacity: int = 0
    max_capacity: int = 4
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, ecs.Secret] = field(default_factory=dict)
    visibility_timeout: cdk.Duration = field(default_factory=lambda: cdk.Duration.minutes(5))
    cluster: ecs.ICluster | None = None

    def __post_init__(self) -> None:
        check_field_types(self)

    def check(self, owner: str, prop: str) -> None:
        """Validate the settings for the construct ``owner`` (``prop``: this value's prop name).

        Raises:
            InvalidPropError: naming ``<prop>.<setting>``.
        """
        check_fargate_size(owner, self.cpu, self.memory_limit_mib, prefix=f"{prop}.")
        check_no_plain_secrets(owner, f"{prop}.environment", self.environment, container=True)
        check_whole_seconds(owner, f"{prop}.visibility_timeout", self.visibility_timeout)
        check_int_range(owner, f"{prop}.min_capacity", self.min_capacity, 0, 1000)
        check_int_range(
            owner, f"{prop}.max_capacity", self.max_capacity, max(1, self.min_capacity), 1000
        )
