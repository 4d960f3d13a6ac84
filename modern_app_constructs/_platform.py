"""The platform seam: what a construct needs from an environment, and how it finds one.

Every construct depends on :class:`IPlatformEnvironment`, never on a concrete class: an
environment created in the same app and one attached by name are interchangeable. The
"explicit, else looked up, else standalone" decision is made once per construct by
:func:`resolve_platform`, which always yields an :class:`IPlatformEnvironment`: with no
environment anywhere, a :class:`StandaloneEnvironment` (a null object) stands in, so no
construct branches on a missing platform. The shared helpers take the protocol (they never
import a construct).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from ._alarm_actions import AlarmActions
from ._checkov import skip_checkov_on_vpc_handler
from ._contract import stamp_stack
from ._fargate import associate_fargate_capacity
from ._validation import InvalidPropError, implements
from ._warnings import FLAG_WEAK_REFERENCES, warn_missing_flags
from .profiles import Profile

__all__ = [
    "IPlatformEnvironment",
    "StandaloneEnvironment",
    "find_platform",
    "is_standalone",
    "register_platform",
    "registered_platforms",
    "resolve_platform",
    "vpc_with_egress",
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
    def key(self) -> kms.IKey | None:
        """The customer-managed key topics, queues and log groups are encrypted with.

        ``None`` where there is no shared key (standalone): each construct then encrypts with
        a key of its own, or with the service's.
        """
        ...

    @property
    def alarm_topic(self) -> sns.ITopic | None:
        """The environment's alarm topic (``None`` standalone); alarms go to ``alarm_actions``."""
        ...

    @property
    def alarm_actions(self) -> AlarmActions:
        """Where every generated alarm goes: the one place that decides it (default: the topic)."""
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
    try:
        _check_earlier_choices(environment)
    except ValueError:
        entries.pop()  # refused: it is not this app's environment
        raise


# Constructs that found their environment by looking (no ``platform=``), with what they found
# (``None``: none, so standalone), by construct-tree root: a later environment must not change
# what they would have found.
_CHOICES: weakref.WeakKeyDictionary[IConstruct, list[tuple[IConstruct, IConstruct | None]]] = (
    weakref.WeakKeyDictionary()
)


def _record_choice(scope: IConstruct, found: IPlatformEnvironment | None) -> None:
    chosen = found if isinstance(found, Construct) else None
    _CHOICES.setdefault(scope.node.root, []).append((scope, chosen))


def _check_earlier_choices(environment: IConstruct) -> None:
    """Refuse an environment that would change what a construct made before it found.

    Without this, the order of construction would decide: a construct made before the app's
    only environment works standalone (a VPC of its own), one made after attaches to it.

    Raises:
        ValueError: naming the construct, what it found and what it would find now.
    """
    for scope, chosen in _CHOICES.get(environment.node.root, []):
        try:
            now: object = find_platform(scope)
        except ValueError:
            now, ambiguous = None, True
        else:
            ambiguous = False
        if not ambiguous and now is chosen:
            continue
        before = chosen.node.path if chosen is not None else "none: it works standalone"
        raise ValueError(
            f"{environment.node.path}: this platform environment is created after "
            f"{scope.node.path}, which already looked for one ({before}) and would now find "
            f"{'several' if ambiguous else 'this one'}. Create platform environments before the "
            f"constructs that use them, or pass platform= to {scope.node.path}."
        )


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


class StandaloneEnvironment:
    """The environment of a construct that found none: a null object, not a missing one.

    The profile comes from the ``profile`` context value (default ``dev``) and its log
    retention; there is no shared key (``key`` is ``None``: constructs encrypt with a key of
    their own or the service's), no alarm topic (alarms have no actions, and the construct
    warns), no tags. A construct that needs a network gets one of its own: ``vpc`` and
    ``cluster`` are created on first use beneath ``owner`` (``Vpc``, ``Cluster``): two AZs, one
    NAT of the profile's kind (``Profile.nat``: dev a NAT instance, prod a NAT gateway), flow
    logs, no public IPv4 assigned at launch.

    Args:
        owner: the construct that uses it (the network, when needed, is created beneath it).
    """

    def __init__(self, owner: Construct) -> None:
        self._owner = owner
        self.profile: Profile = Profile.resolve(owner, None, owner=owner.node.path)
        self.log_retention: logs.RetentionDays = self.profile.log_retention
        self.key: kms.IKey | None = None
        self.alarm_topic: sns.ITopic | None = None
        self.alarm_actions: AlarmActions = AlarmActions.none()
        self.tags: Mapping[str, str] = {}
        self._vpc: ec2.Vpc | None = None
        self._cluster: ecs.Cluster | None = None

    @property
    def vpc(self) -> ec2.IVpc:
        """A VPC of the owner's own, created on first use."""
        if self._vpc is None:
            nat = self.profile.nat
            nat_provider = nat._provider()
            self._vpc = ec2.Vpc(
                self._owner,
                "Vpc",
                max_azs=2,
                nat_gateways=1 if nat.egress else 0,
                nat_gateway_provider=nat_provider,
                # aws-cdk-lib's default layout, without public IPv4 assigned at launch
                subnet_configuration=[
                    ec2.SubnetConfiguration(
                        name="Public",
                        subnet_type=ec2.SubnetType.PUBLIC,
                        map_public_ip_on_launch=False,
                    ),
                    ec2.SubnetConfiguration(name="Private", subnet_type=nat.private_subnet_type),
                ],
                flow_logs={"All": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.ALL)},
            )
            nat._harden(self._vpc, nat_provider)
            skip_checkov_on_vpc_handler(self._vpc)
        return self._vpc

    @property
    def cluster(self) -> ecs.ICluster:
        """An ECS cluster of the owner's own (Container Insights on), created on first use."""
        if self._cluster is None:
            self._cluster = ecs.Cluster(
                self._owner,
                "Cluster",
                vpc=self.vpc,
                container_insights_v2=ecs.ContainerInsights.ENABLED,
            )
            associate_fargate_capacity(self._cluster)
        return self._cluster

    def apply_tags(self, scope: IConstruct) -> None:
        """Nothing: a standalone construct carries no ownership tags."""


def vpc_with_egress(platform: IPlatformEnvironment, owner: str, prop: str, needs: str) -> ec2.IVpc:
    """``platform.vpc``, refused when it has no private subnets with egress (``Nat.none()``).

    An environment attached by name cannot tell at synth: its template's ``Rules`` assert the
    published ``egress`` instead, once a construct uses the VPC.

    Args:
        platform: the environment in force.
        owner: the construct, as error messages name it.
        prop: the prop that put it in the VPC (``platform``, ``in_vpc``, ...).
        needs: what it does through the NAT, for the message.

    Raises:
        InvalidPropError: the VPC's private subnets are isolated.
    """
    vpc = platform.vpc
    if not vpc.private_subnets:
        where = platform.node.path if isinstance(platform, Construct) else "standalone"
        raise InvalidPropError(
            owner,
            prop,
            f"{where}: a VPC without private subnets with egress (Nat.none(), or isolated "
            "subnets only)",
            f"allowed: an environment whose private subnets reach the internet ({needs}): give "
            "it Nat.instance() or Nat.gateway(), or bring a VPC with private subnets with egress",
        )
    return vpc


def is_standalone(environment: IPlatformEnvironment) -> bool:
    """Whether ``environment`` is the stand-in of a construct that found none."""
    return isinstance(environment, StandaloneEnvironment)


def resolve_platform(
    scope: Construct, platform: IPlatformEnvironment | None = None
) -> IPlatformEnvironment:
    """The environment ``scope`` uses: ``platform`` if given, else the app's, else standalone.

    Also stamps ``scope``'s stack with the library and contract versions (once per stack).
    """
    stamp_stack(scope)
    found = platform
    if found is None:
        found = find_platform(scope)
        _record_choice(scope, found)
    if found is None:
        return StandaloneEnvironment(scope)
    if isinstance(found, Construct) and cdk.Stack.of(found) is not cdk.Stack.of(scope):
        warn_missing_flags(scope, FLAG_WEAK_REFERENCES)
    return found
