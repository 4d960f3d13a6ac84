"""The platform seam: what a construct needs from an environment, and how it finds one.

Every construct depends on :class:`IPlatformEnvironment`, never on a concrete class: an
environment created in the same app and one attached by name are interchangeable. The
"explicit, else looked up, else standalone defaults" decision is made once per construct by
:func:`resolve_platform`, which yields a small frozen :class:`ResolvedPlatform` that the shared
helpers take (they never import a construct).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from ._contract import stamp_stack
from ._validation import implements
from ._warnings import FLAG_WEAK_REFERENCES, warn_missing_flags
from .profiles import Profile

__all__ = [
    "IPlatformEnvironment",
    "ResolvedPlatform",
    "find_platform",
    "register_platform",
    "registered_platforms",
    "resolve_platform",
]


@runtime_checkable
class IPlatformEnvironment(Protocol):
    """What every construct of this library needs from the environment it is deployed into.

    :class:`~modern_app_constructs.PlatformEnvironment` implements it; so does an environment
    attached by name from another app. Implement it yourself to place the constructs into an
    environment this library did not create (pass it as ``platform=``).
    """

    @property
    def vpc(self) -> ec2.IVpc:
        """The VPC services run in (private subnets with egress)."""
        ...

    @property
    def cluster(self) -> ecs.ICluster:
        """The ECS cluster container services and workers run in."""
        ...

    @property
    def key(self) -> kms.IKey:
        """The customer-managed key topics, queues and log groups are encrypted with."""
        ...

    @property
    def alarm_topic(self) -> sns.ITopic:
        """The topic every generated alarm notifies (ALARM and OK)."""
        ...

    @property
    def profile(self) -> Profile:
        """The deployment profile in force (dev, prod or a platform team's own)."""
        ...

    @property
    def log_retention(self) -> logs.RetentionDays:
        """The retention every log group gets."""
        ...

    @property
    def tags(self) -> Mapping[str, str]:
        """The ownership tags (team, application, profile, cost-center)."""
        ...

    def apply_tags(self, scope: IConstruct) -> None:
        """Apply the ownership tags to ``scope`` and everything beneath it."""
        ...


# Environments by construct-tree root, so constructs anywhere in an app find theirs without
# walking the whole tree. Only constructs are registered (the lookup compares stacks), each with
# the name it publishes or attaches to, if any.
_REGISTRY: weakref.WeakKeyDictionary[IConstruct, list[tuple[IConstruct, str | None]]] = (
    weakref.WeakKeyDictionary()
)


def register_platform(environment: IConstruct, name: str | None = None) -> None:
    """Make ``environment`` (a construct implementing the protocol) findable in its app.

    Raises:
        TypeError: ``environment`` does not implement :class:`IPlatformEnvironment`.
        ValueError: another environment of the same ``name`` is in the same stack.
    """
    if not implements(environment, IPlatformEnvironment):
        raise TypeError(f"{environment.node.path} does not implement IPlatformEnvironment")
    entries = _REGISTRY.setdefault(environment.node.root, [])
    stack = cdk.Stack.of(environment)
    for other, other_name in entries:
        if name is not None and other_name == name and cdk.Stack.of(other) is stack:
            raise ValueError(
                f"{environment.node.path}: the platform environment '{name}' is already in this "
                f"stack ({other.node.path}); a stack either owns an environment or attaches to "
                "it by name, once"
            )
    entries.append((environment, name))


def registered_platforms(scope: IConstruct) -> list[IConstruct]:
    """Every environment registered in ``scope``'s app, in creation order."""
    return [
        env for env, _ in _REGISTRY.get(scope.node.root, []) if env.node.root is scope.node.root
    ]


def find_platform(scope: IConstruct) -> IPlatformEnvironment | None:
    """The environment ``scope`` lives in, or ``None`` when its app (or stage) has none.

    The one in ``scope``'s own stack wins; otherwise the single one in ``scope``'s
    ``cdk.Stage`` (the app, or a pipeline stage).

    Raises:
        ValueError: when the app has several and none is in ``scope``'s stack.
    """
    # A cdk.Stage (a pipeline stage) is its own deployment: look only inside scope's stage.
    stage = cdk.Stage.of(scope)
    candidates = [env for env in registered_platforms(scope) if cdk.Stage.of(env) is stage]
    if not candidates:
        return None
    if len(candidates) > 1:
        stack = cdk.Stack.of(scope)
        local = [env for env in candidates if cdk.Stack.of(env) is stack]
        if len(local) != 1:
            paths = ", ".join(env.node.path for env in candidates)
            raise ValueError(
                f"{scope.node.path}: several platform environments are in this app ({paths}); "
                "pass platform= explicitly"
            )
        candidates = local
    found: IPlatformEnvironment = candidates[0]  # type: ignore[assignment]  # checked on entry
    return found


@dataclass(frozen=True)
class ResolvedPlatform:
    """What one construct takes from its environment, resolved once in its constructor.

    Standalone (no environment anywhere), the profile comes from the ``profile`` context value,
    there is no shared key or alarm topic, and nothing is tagged.

    Attributes:
        platform: the environment, or ``None`` standalone.
        profile: the profile in force.
        log_retention: the retention of every log group the construct creates.
        key: the shared key, or ``None`` (a construct then encrypts with its own or AWS's).
        alarm_topic: where generated alarms go, or ``None``.
    """

    platform: IPlatformEnvironment | None
    profile: Profile
    log_retention: logs.RetentionDays
    key: kms.IKey | None = None
    alarm_topic: sns.ITopic | None = None

    @property
    def removal_policy(self) -> cdk.RemovalPolicy:
        """What happens to stateful resources when the stack is deleted."""
        return self.profile.removal_policy

    def apply_tags(self, scope: IConstruct) -> None:
        """Apply the environment's ownership tags to ``scope`` (nothing standalone)."""
        if self.platform is not None:
            self.platform.apply_tags(scope)


def resolve_platform(
    scope: IConstruct, platform: IPlatformEnvironment | None = None
) -> ResolvedPlatform:
    """The environment ``scope`` uses: ``platform`` if given, else the app's, else standalone.

    Also stamps ``scope``'s stack with the library and contract versions (once per stack).
    """
    stamp_stack(scope)
    found = platform if platform is not None else find_platform(scope)
    if found is None:
        profile = Profile.from_context(scope)
        return ResolvedPlatform(platform=None, profile=profile, log_retention=profile.log_retention)
    if isinstance(found, Construct) and cdk.Stack.of(found) is not cdk.Stack.of(scope):
        warn_missing_flags(scope, FLAG_WEAK_REFERENCES)
    return ResolvedPlatform(
        platform=found,
        profile=found.profile,
        log_retention=found.log_retention,
        key=found.key,
        alarm_topic=found.alarm_topic,
    )
