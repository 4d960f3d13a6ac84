"""PublishedPlatformEnvironment: a platform environment published elsewhere, attached by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct, IConstruct

from ._alarm_actions import AlarmActions
from ._contract import (
    CONTRACT_VERSION,
    SUPPORTED_CONTRACT_MAJORS,
    check_contract_version,
    check_environment_name,
    parameter_path,
    stamp_stack,
)
from ._contract_values import ContractValues
from ._platform import register_platform
from ._registration import AttachmentRegistration
from ._typecheck import check_prop_types
from ._validation import InvalidPropError, check_int_range
from .profiles import Profile
from .service_ownership import ServiceOwnership

__all__ = ["AZ_COUNT_CONTEXT_KEY", "PublishedPlatformEnvironment"]

#: ``-c modern-app-constructs:azCount=3``: the AZ count of every attached environment whose
#: ``az_count`` is not given.
AZ_COUNT_CONTEXT_KEY = "modern-app-constructs:azCount"
#: What a created PlatformEnvironment spans unless told otherwise.
DEFAULT_AZ_COUNT = 2
_DUMMY_PREFIX = "dummy-value-for-"


class PublishedPlatformEnvironment(Construct):
    """A platform environment another app published, attached by its name.

    Build it with :meth:`PlatformEnvironment.from_published`. It implements
    :class:`IPlatformEnvironment` and registers itself, so every construct in its stack finds it
    (``PlatformEnvironment.of``) and uses the published VPC, cluster, key and alarm topic; none of
    them is created here.

    Values are read at **deploy time**: each becomes an ``AWS::SSM::Parameter::Value<String>``
    template parameter whose default is the contract's parameter path, resolved by
    CloudFormation in the account and region the stack deploys to. Synthesis therefore needs no
    credentials and no network and is deterministic. What shapes the template must be known at
    synth — the profile (deployment strategy, desired count, retention, deletion protection) and
    the number of AZs (list lengths) — and is asserted against the published values by a
    template ``Rules`` entry, so a mismatch (or an unsupported contract major) fails the change
    set before anything is touched. Parameters are added to the template only for what the
    stack's constructs use.

    Args:
        scope: the parent construct (the service's stack, or a construct in it).
        construct_id: the construct id.
        name: the environment's published name. Required; one SSM path segment.
        profile: the environment's profile (``"dev"``, ``"prod"`` or a :class:`Profile`).
            Default: what ``lookup`` read, else the ``profile`` context value
            (``cdk synth -c profile=prod``), else ``"dev"``; nothing is inferred from the name.
            The template's ``Rules`` refuse a deployment against an environment that publishes
            another profile.
        az_count: the number of AZs the environment spans. Default: the
            ``modern-app-constructs:azCount`` context value, else 2.
        public_subnets: offer the public subnets to the stack's constructs. Their template
            parameters exist only when a construct uses them (a public ``FargateService``), so
            an internal-only service attaches to an environment published without public
            subnets as it is; ``False`` makes such a use fail at synth instead. Default: True.
        lookup: also read the contract version, profile and AZ count at synth time with CDK
            context lookups (cached in ``cdk.context.json`` like ``Vpc.from_lookup``; needs a
            stack with a concrete account and region, and credentials the first time), so a
            mismatch fails ``cdk synth`` already. Default: False.
        alarm_actions: where the service's generated alarms go. Default: the published alarm
            topic (``AlarmActions.to_topic``), ALARM and OK.
        ownership: the service team's own tags (:class:`ServiceOwnership`): ``team`` (the
            service team's, instead of the platform's) and ``service``. Default: the
            platform's ``team`` tag, no ``service`` tag.

    Attributes:
        name: the environment's name.
        profile: the :class:`Profile` the service synthesizes for.
        log_retention: the profile's log retention.
        az_count: the AZ count list values are split into.
        contract_rule: the ``Rules`` entry asserting the contract version and shape.
        alarm_actions: the :class:`AlarmActions` every generated alarm gets.
        registration: the stack's registration with the environment (an SSM parameter under
            ``/modern-app-constructs/platform/<name>/attachments/``, deleted with the stack).
    """

    @check_prop_types
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        profile: str | Profile | None = None,
        az_count: int | None = None,
        public_subnets: bool = True,
        lookup: bool = False,
        alarm_actions: AlarmActions | None = None,
        ownership: ServiceOwnership | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        owner = f"PlatformEnvironment.from_published '{construct_id}'"
        # validate
        self.name = check_environment_name(owner, name)
        check_int_range(owner, "az_count", az_count, 1, 6)
        stack = cdk.Stack.of(self)
        if lookup and (
            cdk.Token.is_unresolved(stack.account) or cdk.Token.is_unresolved(stack.region)
        ):
            raise InvalidPropError(
                owner,
                "lookup",
                lookup,
                "allowed only in a stack with a concrete account and region "
                "(env=cdk.Environment(account=..., region=...)); context lookups are per account",
            )
        published = self._looked_up(lookup)

        # resolve defaults (and check them against what is known at synth)
        self.profile: Profile = self._resolve_profile(owner, profile, published.get("profile"))
        self.log_retention: logs.RetentionDays = self.profile.log_retention
        published_azs = _az_count(owner, f"az-count published by '{name}'", published)
        if az_count is None:
            context_value = self.node.try_get_context(AZ_COUNT_CONTEXT_KEY)
            configured = _az_count(owner, AZ_COUNT_CONTEXT_KEY, {"az-count": context_value})
            az_count = published_azs or configured or DEFAULT_AZ_COUNT
        elif published_azs is not None and published_azs != az_count:
            raise InvalidPropError(
                owner,
                "az_count",
                az_count,
                f"allowed: {published['az-count']}, the AZ count '{name}' publishes",
            )
        self.az_count: int = az_count
        if "contract-version" in published:
            check_contract_version(owner, name, published["contract-version"])
        self._public_subnets = public_subnets
        self._contract = ContractValues(self, self.name, sentinel="contract-major")
        self._values: dict[str, cdk.CfnParameter] = self._contract.parameters
        self._vpc: ec2.IVpc | None = None
        self._cluster: ecs.ICluster | None = None
        self._key: kms.IKey | None = None
        self._alarm_topic: sns.ITopic | None = None
        self._alarm_actions = alarm_actions

        # build: the contract checks, before any resource of the stack changes
        self.contract_rule = cdk.CfnRule(self, "ContractRule")
        supported = [str(major) for major in SUPPORTED_CONTRACT_MAJORS]
        self.contract_rule.add_assertion(
            cdk.Fn.condition_contains(supported, self._value("contract-major")),
            f"The platform environment '{name}' publishes a contract major other than "
            f"{', '.join(supported)} (see {parameter_path(name, 'contract-version')}); this stack "
            f"was built for contract {CONTRACT_VERSION}: upgrade modern-app-constructs or attach "
            "to an environment of a supported contract.",
        )
        self.contract_rule.add_assertion(
            cdk.Fn.condition_equals(self._value("profile"), self.profile.name),
            f"The platform environment '{name}' publishes another profile than "
            f"'{self.profile.name}', the one this stack was synthesized for "
            f"(see {parameter_path(name, 'profile')}): synthesize with its profile.",
        )
        self.contract_rule.add_assertion(
            cdk.Fn.condition_equals(
                self._value("log-retention-days"), str(self.profile.log_retention_days)
            ),
            f"The platform environment '{name}' publishes another log retention than "
            f"{self.profile.log_retention_days} days, the one profile '{self.profile.name}' "
            f"gives this stack (see {parameter_path(name, 'log-retention-days')}).",
        )

        # expose
        self.tags: Mapping[str, str] = {
            "team": self._value("tag/team"),
            "application": self._value("tag/application"),
            "profile": self.profile.name,
            "cost-center": self._value("tag/cost-center"),
            **(ownership.tags if ownership is not None else {}),
        }
        stamp_stack(self)
        register_platform(self, self.name)
        self.registration = AttachmentRegistration(self, "Registration", environment=self.name)

    # ------------------------------------------------------------ the protocol

    @property
    def vpc(self) -> ec2.IVpc:
        """The published VPC with its private (and public) subnets, imported."""
        if self._vpc is None:
            self._vpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=self._value("vpc-id"),
                availability_zones=self._list("availability-zones"),
                private_subnet_ids=self._list("private-subnet-ids"),
                private_subnet_route_table_ids=self._list("private-route-table-ids"),
                public_subnet_ids=(
                    self._list("public-subnet-ids") if self._public_subnets else None
                ),
                public_subnet_route_table_ids=(
                    self._list("public-route-table-ids") if self._public_subnets else None
                ),
            )
            self.contract_rule.add_assertion(
                cdk.Fn.condition_equals(self._value("egress"), "true"),
                f"The platform environment '{self.name}' has no egress from its private subnets "
                f"(Nat.none(), see {parameter_path(self.name, 'egress')}), and this stack runs "
                "in its VPC: a Fargate service or container consumer pulls its image and ships "
                "its logs, an in-VPC function calls AWS APIs. Give the environment a NAT or "
                "attach to one that has it.",
            )
            self.contract_rule.add_assertion(
                cdk.Fn.condition_equals(self._value("az-count"), str(self.az_count)),
                f"The platform environment '{self.name}' spans another number of availability "
                f"zones than {self.az_count}, the one this stack was synthesized for (see "
                f"{parameter_path(self.name, 'az-count')}): pass az_count= or set "
                f"-c {AZ_COUNT_CONTEXT_KEY}=N.",
            )
        return self._vpc

    @property
    def cluster(self) -> ecs.ICluster:
        """The published ECS cluster, imported."""
        if self._cluster is None:
            self._cluster = ecs.Cluster.from_cluster_attributes(
                self,
                "Cluster",
                cluster_name=self._value("cluster-name"),
                cluster_arn=self._value("cluster-arn"),
                vpc=self.vpc,
                security_groups=[],
            )
        return self._cluster

    @property
    def key(self) -> kms.IKey:
        """The published customer-managed key, imported."""
        if self._key is None:
            self._key = kms.Key.from_key_arn(self, "Key", self._value("key-arn"))
        return self._key

    @property
    def alarm_topic(self) -> sns.ITopic:
        """The published alarm topic, imported."""
        if self._alarm_topic is None:
            self._alarm_topic = sns.Topic.from_topic_arn(
                self, "AlarmTopic", self._value("alarm-topic-arn")
            )
        return self._alarm_topic

    @property
    def alarm_actions(self) -> AlarmActions:
        """Where generated alarms go: ``alarm_actions=``, else the published alarm topic."""
        if self._alarm_actions is None:
            self._alarm_actions = AlarmActions.to_topic(self.alarm_topic)
        return self._alarm_actions

    def apply_tags(self, scope: IConstruct) -> None:
        """Apply the ownership tags (application, cost center, profile, team, service).

        Application and cost center as published; the team is the service's with
        ``ownership``, else the platform's as published.
        """
        for tag, value in self.tags.items():
            cdk.Tags.of(scope).add(tag, value)

    def parameter_path(self, key: str) -> str:
        """The SSM path of one contract parameter of this environment."""
        return parameter_path(self.name, key)

    # ---------------------------------------------------------------- helpers

    def _value(self, key: str) -> str:
        """The deploy-time value of one contract parameter (declared only if referenced)."""
        return self._contract.value(key)

    def _list(self, key: str) -> list[str]:
        return self._contract.list(key, self.az_count)

    def _looked_up(self, lookup: bool) -> dict[str, str]:
        """Contract values known at synth (context lookups), without the dummy first pass."""
        if not lookup:
            return {}
        found = {}
        for key in ("contract-version", "profile", "az-count"):
            value = ssm.StringParameter.value_from_lookup(self, parameter_path(self.name, key))
            if not value.startswith(_DUMMY_PREFIX):
                found[key] = value
        return found

    def _resolve_profile(
        self, owner: str, given: str | Profile | None, published: str | None
    ) -> Profile:
        profile = Profile.resolve(self, given if given is not None else published, owner=owner)
        if published is not None and published != profile.name:
            raise InvalidPropError(
                owner,
                "profile",
                profile.name,
                f"allowed: '{published}', the profile '{self.name}' publishes",
            )
        return profile


def _az_count(owner: str, source: str, values: Mapping[str, Any]) -> int | None:
    """The ``az-count`` in ``values`` (a published or context value) as 1..6, or ``None``.

    Raises:
        InvalidPropError: naming ``source`` when the value is not a whole number from 1 to 6.
    """
    raw = values.get("az-count")
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or not 1 <= int(text) <= 6:
        raise InvalidPropError(owner, source, raw, "allowed: a whole number of AZs from 1 to 6")
    return int(text)
