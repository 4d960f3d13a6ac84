"""PlatformEnvironment: the shared environment a platform team owns."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct, IConstruct

from ._alarm_actions import AlarmActions
from ._checkov import skip_checkov_on_vpc_handler
from ._contract import (
    CONTRACT_PARAMETERS,
    CONTRACT_VERSION,
    UNASSIGNED_COST_CENTER,
    check_environment_name,
    parameter_construct_id,
    parameter_path,
    stamp_stack,
)
from ._contract_record import check_recorded
from ._deletion_guard import DeletionGuard
from ._fargate import associate_fargate_capacity
from ._kms import deny_direct_grants
from ._logs import create_log_group
from ._nag import acknowledge
from ._platform import IPlatformEnvironment, find_platform, register_platform
from ._typecheck import check_prop_types
from ._validation import InvalidPropError, check_tag_value
from ._version import __version__
from ._warnings import FLAG_RESTRICT_DEFAULT_SG, warn_missing_flags
from .nat import Nat
from .profiles import Profile
from .published_environment import DEFAULT_AZ_COUNT, PublishedPlatformEnvironment
from .service_ownership import ServiceOwnership

__all__ = ["PlatformEnvironment"]

_ZONE = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+[a-z]$")


class PlatformEnvironment(Construct):
    """The shared environment a platform team owns and service teams deploy into.

    It plays the role of an AWS Proton environment template: one VPC, one ECS cluster, one
    customer-managed KMS key, one alarm topic, the account-level API Gateway logging role, the
    log retention and the deployment profile (``dev`` / ``prod``). It implements
    :class:`IPlatformEnvironment`: every construct of this library finds it (``platform=`` or
    :meth:`of`) and takes its key, alarm topic, retention and profile from it. Ownership tags
    (team, application, cost-center, profile) are applied to everything beneath it and to every
    construct that uses it.

    Args:
        scope: the parent construct.
        construct_id: the construct id.
        team: the owning team, applied as the ``team`` tag. Required, a valid tag value.
        application: the application, applied as the ``application`` tag. Required, a valid
            tag value.
        profile: ``"dev"``, ``"prod"`` or a custom :class:`Profile`. Default: the ``profile``
            context value (``cdk synth -c profile=prod``), else ``"dev"``.
        cost_center: applied as the ``cost-center`` tag when given. Default: no tag.
        vpc: bring your own VPC instead of creating one. To be published it needs private
            subnets with egress and, for each subnet, its route table (an imported VPC:
            ``private_subnet_route_table_ids=``, and ``public_subnet_route_table_ids=`` with
            public subnets). Default: a new VPC over 2 AZs with public subnets (no public IPv4
            assigned at launch) and private subnets, flow logs, and NAT per ``nat`` and the
            profile.
        nat: how a created VPC's private subnets reach the internet: ``Nat.gateway()``
            (managed NAT gateways) or ``Nat.instance(...)`` (a small NAT instance), as many
            as the profile's ``nat_gateways`` (at most one per AZ), or ``Nat.none()`` (isolated
            private subnets, for services that need no egress from the VPC: a
            ``FargateService``, a container consumer or an ``in_vpc`` function is then refused).
            Ignored with ``vpc=``. Default: the profile's ``nat`` (dev: ``Nat.instance()``,
            prod: ``Nat.gateway()``).
        max_azs: how many availability zones a created VPC spans. Default: the number of
            ``availability_zones``, else 2.
        availability_zones: the availability zones a created VPC spans, e.g.
            ``["eu-west-1a", "eu-west-1b"]``: names of the stack's region, a subset of the
            stack's zones. Default: the first ``max_azs`` of the stack's zones. In a stack with
            an explicit account and region, the stack's zones are a context lookup (aws-cdk-lib's
            VPC reads them even when zones are given): synthesis without credentials needs
            them in the context, ``"availability-zones:account=<account>:region=<region>":
            [...]`` in cdk.json or a committed ``cdk.context.json`` (see the README).
        container_insights: Container Insights on the created ECS cluster. Default: ``True``.
        create_api_gateway_account: create the account-level API Gateway CloudWatch Logs role
            (``AWS::ApiGateway::Account``). There is one per account and region: turn it off
            where another stack already owns it. Default: ``True``.
        restrict_key_grants: the key policy denies ``kms:CreateGrant`` unless an AWS service
            creates the grant for a resource of the account (AWS Control Tower CT.KMS.PR.3), so
            an IAM permission to create grants cannot hand the key to anyone else. Turn it off
            only where someone must create grants on this key directly (e.g. for EC2 Auto
            Scaling's service-linked role to launch instances with volumes encrypted with it).
            Default: ``True``.
        alarm_email_subscriptions: e-mail addresses subscribed to the alarm topic.
            Default: none.
        alarm_actions: where every alarm the constructs generate goes, for every construct in
            this environment (e.g. ``AlarmActions.to_topic(incident_topic)`` or an SSM OpsItem
            action). Default: ``AlarmActions.to_topic(alarm_topic)``, ALARM and OK.
        name: the name the environment is published under and services attach to (one SSM
            path segment: letters, digits, ``_ . -``). Default: ``<application>-<profile>``,
            the application lower-cased with other characters replaced by ``-``.
        publish: publish the contract as SSM parameters under
            ``/modern-app-constructs/platform/<name>/`` (docs/platform.md has the contract's
            table), so that services in other apps attach with :meth:`from_published`.
            Default: True.

    Attributes:
        vpc: the VPC services run in.
        cluster: the ECS cluster (Container Insights on).
        key: the customer-managed KMS key (rotation on) shared by topics, queues, log groups.
        alarm_topic: the encrypted, HTTPS-only SNS topic generated alarms notify by default.
        alarm_actions: the :class:`AlarmActions` every generated alarm gets.
        profile: the :class:`Profile` in force.
        nat: the :class:`Nat` in force (``nat``, else the profile's).
        log_retention: the retention every log group gets.
        api_gateway_account_role: the API Gateway logging role, if created here.
        tags: the ownership tags, as a mapping.
        name: the published name.
        contract_parameters: the published SSM parameters by contract key (empty when
            ``publish=False``).
        deletion_guard: the :class:`DeletionGuard` that refuses to delete or replace the
            environment while service stacks are registered with it (``None`` when
            ``publish=False``); with a prod profile the stack also gets termination protection.
    """

    @check_prop_types
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        team: str,
        application: str,
        profile: str | Profile | None = None,
        cost_center: str | None = None,
        vpc: ec2.IVpc | None = None,
        nat: Nat | None = None,
        max_azs: int | None = None,
        availability_zones: Sequence[str] | None = None,
        container_insights: bool = True,
        create_api_gateway_account: bool = True,
        restrict_key_grants: bool = True,
        alarm_email_subscriptions: tuple[str, ...] = (),
        alarm_actions: AlarmActions | None = None,
        name: str | None = None,
        publish: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        owner = f"PlatformEnvironment '{construct_id}'"
        # validate
        check_tag_value(owner, "team", team)
        check_tag_value(owner, "application", application)
        check_tag_value(owner, "cost_center", cost_center, required=False)
        if max_azs is not None and (isinstance(max_azs, bool) or not 1 <= max_azs <= 6):
            raise InvalidPropError(owner, "max_azs", max_azs, "allowed: an integer from 1 to 6")
        zones = _availability_zones(self, owner, availability_zones, max_azs, vpc)
        for address in alarm_email_subscriptions:
            if not isinstance(address, str) or "@" not in address:
                raise InvalidPropError(
                    owner, "alarm_email_subscriptions", address, "allowed: e-mail addresses"
                )

        # resolve defaults
        self.profile: Profile = Profile.resolve(self, profile, owner=owner)
        self.log_retention: logs.RetentionDays = self.profile.log_retention
        self.tags: dict[str, str] = {
            "team": team,
            "application": application,
            "profile": self.profile.name,
        }
        if cost_center is not None:
            self.tags["cost-center"] = cost_center
        self.name: str = check_environment_name(
            owner, name if name is not None else _default_name(application, self.profile)
        )
        if publish and vpc is not None and not vpc.private_subnets:
            raise InvalidPropError(
                owner,
                "vpc",
                vpc.node.path,
                "allowed: a VPC with private subnets with egress (the contract publishes them "
                "for services), or publish=False",
            )
        if publish and vpc is not None and not _route_tables_known(vpc):
            raise InvalidPropError(
                owner,
                "vpc",
                vpc.node.path,
                "allowed: a VPC whose subnets have route tables (an imported VPC needs "
                "private_subnet_route_table_ids=, and public_subnet_route_table_ids= with public "
                "subnets: the contract publishes them), or publish=False",
            )

        # create children
        self.key: kms.Key = self._create_key(restrict_key_grants)
        self.alarm_topic: sns.Topic = self._create_alarm_topic(alarm_email_subscriptions)
        self.alarm_actions: AlarmActions = alarm_actions or AlarmActions.to_topic(self.alarm_topic)
        self.nat: Nat = nat if nat is not None else self.profile.nat
        self._vpc_given = vpc is not None
        self.vpc: ec2.IVpc = (
            vpc if vpc is not None else self._create_vpc(max_azs or DEFAULT_AZ_COUNT, zones)
        )
        if vpc is None:
            warn_missing_flags(self, FLAG_RESTRICT_DEFAULT_SG)
        self.cluster: ecs.Cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=self.vpc,
            container_insights_v2=(
                ecs.ContainerInsights.ENABLED
                if container_insights
                else ecs.ContainerInsights.DISABLED
            ),
        )
        associate_fargate_capacity(self.cluster)
        self.api_gateway_account_role: iam.Role | None = (
            self._create_api_gateway_account() if create_api_gateway_account else None
        )

        self.contract_parameters: dict[str, ssm.StringParameter] = (
            self._publish_contract() if publish else {}
        )
        self.deletion_guard: DeletionGuard | None = (
            DeletionGuard(self, "DeletionGuard", name=self.name, platform=self) if publish else None
        )

        # wire + expose
        self.apply_tags(self)
        stamp_stack(self)
        register_platform(self, self.name)

    # ------------------------------------------------------------------ lookup

    @staticmethod
    def from_published(
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
    ) -> PublishedPlatformEnvironment:
        """Attach to the environment another app published as ``name``.

        Synthesizes without credentials or network (values resolve at deploy time in the
        account and region the stack deploys to); see :class:`PublishedPlatformEnvironment`
        for every argument and what is checked when.

        Raises:
            InvalidPropError: an invalid name, profile or AZ count, ``lookup`` in a stack
                without a concrete account and region, or (with ``lookup``) a published contract
                major this library does not support.
            ValueError: the same stack already owns or attaches to an environment of that name.
        """
        return PublishedPlatformEnvironment(
            scope,
            construct_id,
            name=name,
            profile=profile,
            az_count=az_count,
            public_subnets=public_subnets,
            lookup=lookup,
            alarm_actions=alarm_actions,
            ownership=ownership,
        )

    @staticmethod
    def try_of(scope: IConstruct) -> IPlatformEnvironment | None:
        """The platform environment ``scope`` lives in, or ``None`` when the app has none.

        The one in ``scope``'s own stack wins; otherwise the single one in the app.

        Raises:
            ValueError: when the app has several and none is in ``scope``'s stack.
        """
        return find_platform(scope)

    @staticmethod
    def of(scope: IConstruct) -> IPlatformEnvironment:
        """The platform environment ``scope`` lives in.

        Raises:
            ValueError: when the app has none, or several and none in ``scope``'s stack.
        """
        found = find_platform(scope)
        if found is None:
            raise ValueError(
                f"{scope.node.path}: no PlatformEnvironment in this app; create one or pass "
                "platform= explicitly"
            )
        return found

    # ----------------------------------------------------------------- helpers

    def apply_tags(self, scope: IConstruct) -> None:
        """Apply the ownership tags to ``scope`` and everything beneath it."""
        for name, value in self.tags.items():
            cdk.Tags.of(scope).add(name, value)

    # ---------------------------------------------------------------- builders

    def _create_key(self, restrict_grants: bool) -> kms.Key:
        stack = cdk.Stack.of(self)
        key = kms.Key(
            self,
            "Key",
            description=f"{self.node.path}: shared key for topics, queues and logs",
            enable_key_rotation=True,
            removal_policy=self.profile.removal_policy,
            pending_window=cdk.Duration.days(self.profile.key_pending_window_days),
        )
        same_account = {"StringEquals": {"aws:SourceAccount": stack.account}}
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogs",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )
        for sid, service in (
            ("AllowSnsDeliveryToEncryptedQueues", "sns.amazonaws.com"),
            ("AllowCloudWatchAlarmsToEncryptedTopics", "cloudwatch.amazonaws.com"),
        ):
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions=same_account,
                )
            )
        # CodeStar Notifications (pipeline notification rules) publishes to the encrypted alarm
        # topic through SNS: the condition AWS documents for it.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCodeStarNotificationsToEncryptedTopics",
                principals=[iam.ServicePrincipal("codestar-notifications.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringEquals": {"kms:ViaService": f"sns.{stack.region}.amazonaws.com"}
                },
            )
        )
        # SQS and everything else in the account use the key through their IAM policies, which
        # the key's default policy (account root) allows.
        if restrict_grants:
            deny_direct_grants(key)
        return key

    def _create_alarm_topic(self, email_subscriptions: tuple[str, ...]) -> sns.Topic:
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"{self.tags['application']} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        for sid, service in (
            ("AllowCloudWatchAlarms", "cloudwatch.amazonaws.com"),
            ("AllowCodeStarNotifications", "codestar-notifications.amazonaws.com"),
        ):
            topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.ServicePrincipal(service)],
                    actions=["sns:Publish"],
                    resources=[topic.topic_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
                )
            )
        for index, address in enumerate(email_subscriptions):
            sns.Subscription(
                self,
                f"AlarmEmail{index}",
                topic=topic,
                endpoint=address,
                protocol=sns.SubscriptionProtocol.EMAIL,
            )
        return topic

    def _create_vpc(self, max_azs: int, zones: list[str] | None) -> ec2.Vpc:
        flow_log_group = create_log_group(self, "FlowLogs", platform=self)
        nat_gateways = (
            min(self.profile.nat_gateways, len(zones) if zones else max_azs)
            if self.nat.egress
            else 0
        )
        nat_provider = self.nat._provider()
        vpc = ec2.Vpc(
            self,
            "Vpc",
            # given zones need no lookup (an explicit account and region synthesizes offline)
            max_azs=None if zones else max_azs,
            availability_zones=zones,
            nat_gateways=nat_gateways,
            nat_gateway_provider=nat_provider,
            subnet_configuration=[
                # only NAT gateways (Elastic IPs), NAT instances (they ask for their own) and
                # internet-facing load balancers (their own addresses) live here: nothing needs
                # an address assigned at launch
                ec2.SubnetConfiguration(
                    name="public",
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=24,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name="private", subnet_type=self.nat.private_subnet_type, cidr_mask=20
                ),
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
            },
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        self.nat._harden(vpc, nat_provider)
        skip_checkov_on_vpc_handler(vpc)
        return vpc

    def _publish_contract(self) -> dict[str, ssm.StringParameter]:
        """The contract as SSM parameters (docs/platform.md: "The platform contract")."""
        vpc = self.vpc
        egress = self._vpc_given or self.nat.egress
        private = vpc.select_subnets(
            subnet_type=(
                ec2.SubnetType.PRIVATE_WITH_EGRESS if egress else ec2.SubnetType.PRIVATE_ISOLATED
            ),
            one_per_az=True,
        ).subnets
        public = (
            vpc.select_subnets(subnet_type=ec2.SubnetType.PUBLIC, one_per_az=True).subnets
            if vpc.public_subnets
            else []
        )

        def joined(values: Iterable[str]) -> str:
            return cdk.Fn.join(",", list(values))

        values: dict[str, str | None] = {
            "contract-version": CONTRACT_VERSION,
            "contract-major": CONTRACT_VERSION.split(".", 1)[0],
            "profile": self.profile.name,
            "log-retention-days": str(self.profile.log_retention_days),
            "vpc-id": vpc.vpc_id,
            "availability-zones": joined(subnet.availability_zone for subnet in private),
            "az-count": str(len(private)),
            "egress": "true" if egress else "false",
            "private-subnet-ids": joined(subnet.subnet_id for subnet in private),
            "private-route-table-ids": joined(
                subnet.route_table.route_table_id for subnet in private
            ),
            "public-subnet-ids": joined(subnet.subnet_id for subnet in public) if public else None,
            "public-route-table-ids": (
                joined(subnet.route_table.route_table_id for subnet in public) if public else None
            ),
            "cluster-name": self.cluster.cluster_name,
            "cluster-arn": self.cluster.cluster_arn,
            "key-arn": self.key.key_arn,
            "alarm-topic-arn": self.alarm_topic.topic_arn,
            **{f"tag/{tag}": value for tag, value in self.tags.items()},
            "library-version": __version__,
            # services tag themselves with it: always published
            "tag/cost-center": self.tags.get("cost-center", UNASSIGNED_COST_CENTER),
        }
        given = {key: value for key, value in values.items() if value is not None}
        check_recorded(f"PlatformEnvironment '{self.node.id}'", self, self.name, given)
        contract = Construct(self, "Contract")
        published = {}
        for parameter in CONTRACT_PARAMETERS:
            value = values.get(parameter.key)
            if value is None:
                continue
            published[parameter.key] = ssm.StringParameter(
                contract,
                parameter_construct_id(parameter.key),
                parameter_name=parameter_path(self.name, parameter.key),
                string_value=value,
                description=(
                    f"modern-app-constructs platform contract {CONTRACT_VERSION}, environment "
                    f"'{self.name}': {parameter.meaning.replace('`', '')}"
                ),
                tier=ssm.ParameterTier.STANDARD,
            )
        return published

    def _create_api_gateway_account(self) -> iam.Role:
        role = iam.Role(
            self,
            "ApiGatewayAccountRole",
            description="Lets API Gateway write execution and access logs for every API here",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        acknowledge(
            role,
            "AwsSolutions-IAM4",
            "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the "
            "account-level API Gateway logging role; it only grants CloudWatch Logs actions.",
            findings=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs"
            ],
        )
        account = apigateway.CfnAccount(
            self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn
        )
        account.node.add_dependency(role)
        return role


def _route_tables_known(vpc: ec2.IVpc) -> bool:
    """Whether every private and public subnet of ``vpc`` has a route table id.

    ``Vpc.from_vpc_attributes`` without ``*_subnet_route_table_ids`` gives subnets whose route
    table id is undefined, which jsii cannot hand to Python: reading it raises.
    """
    try:
        for subnet in (*vpc.private_subnets, *vpc.public_subnets):
            subnet.route_table.route_table_id  # noqa: B018 - read for the error
    except RuntimeError:
        return False
    return True


def _availability_zones(
    scope: Construct,
    owner: str,
    given: Sequence[str] | None,
    max_azs: int | None,
    vpc: ec2.IVpc | None,
) -> list[str] | None:
    """The zones ``availability_zones`` pins a created VPC to, checked; ``None`` if not given."""
    if given is None:
        return None
    if vpc is not None:
        raise InvalidPropError(
            owner, "availability_zones", given, "allowed: only for a created VPC (not with vpc=)"
        )
    zones = list(given)
    region = cdk.Stack.of(scope).region
    if (
        not 1 <= len(zones) <= 6
        or len(set(zones)) != len(zones)
        or not all(_ZONE.match(zone) for zone in zones)
        or (
            not cdk.Token.is_unresolved(region)
            and not all(zone.startswith(region) for zone in zones)
        )
    ):
        raise InvalidPropError(
            owner,
            "availability_zones",
            given,
            "allowed: 1 to 6 distinct availability zone names of the stack's region "
            "(e.g. ['eu-west-1a', 'eu-west-1b'])",
        )
    if max_azs is not None and max_azs != len(zones):
        raise InvalidPropError(
            owner,
            "max_azs",
            max_azs,
            f"allowed: {len(zones)} (the number of availability_zones given), or leave it out",
        )
    return zones


def _default_name(application: str, profile: Profile) -> str:
    """``<application>-<profile>``, lower-cased, other characters replaced by ``-``."""
    slug = re.sub(r"[^a-z0-9_.-]+", "-", application.lower()).strip("-._")
    return f"{slug}-{profile.name}"
