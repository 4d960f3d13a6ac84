"""Nat: how the platform VPC's private subnets reach the internet (a profile default)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from constructs import IConstruct

from ._checkov import skip_checkov
from ._nag import acknowledge
from ._validation import InvalidPropError

__all__ = ["Nat"]

#: An EC2 instance type name: family (with generation and attributes), a dot, a size.
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")

_GATEWAY = "gateway"
_INSTANCE = "instance"
_NONE = "none"


@dataclass(frozen=True)
class Nat:
    """How a created platform VPC's private subnets reach the internet.

    Build it with :meth:`gateway`, :meth:`instance` or :meth:`none`; a :class:`Profile`
    carries one (``Profile.nat``: prod a gateway, dev an instance) and
    ``PlatformEnvironment(nat=...)`` overrides it. The profile's ``nat_gateways`` stays the
    count: how many gateways or instances (at most one per AZ). docs/networking.md ("NAT
    choices") says what each gives up.

    Attributes:
        kind: ``"gateway"``, ``"instance"`` or ``"none"``.
        instance_type: the NAT instance's type (``instance`` only). Default: ``None``.
    """

    kind: str
    instance_type: str | None = None

    @staticmethod
    def gateway() -> Nat:
        """Managed NAT gateways, each with an Elastic IP: the prod profile's choice.

        Highly available within its AZ, scales to 100 Gbps, nothing to patch.
        """
        return Nat(_GATEWAY)

    @staticmethod
    def instance(instance_type: str = "t4g.nano") -> Nat:
        """NAT instances (aws-cdk-lib's ``NatProvider.instance_v2``): the dev profile's choice.

        Amazon Linux 2023 (the image resolved at deploy time, no lookup), a public IP, IMDSv2
        and an encrypted root volume. One instance in one AZ, the instance type's bandwidth, and a
        new image replaces the instance (a brief egress outage).

        Args:
            instance_type: the EC2 instance type, e.g. ``"t4g.nano"`` (ARM, the cheapest) or
                ``"t3.micro"``. Default: ``"t4g.nano"``.

        Raises:
            InvalidPropError: ``instance_type`` is not an instance type name.
        """
        if not isinstance(instance_type, str) or not _INSTANCE_TYPE.match(instance_type):
            raise InvalidPropError(
                "Nat.instance",
                "instance_type",
                instance_type,
                "allowed: an EC2 instance type name such as 't4g.nano' or 't3.micro'",
            )
        return Nat(_INSTANCE, instance_type)

    @staticmethod
    def none() -> Nat:
        """No NAT: isolated private subnets, for services that need no egress from the VPC.

        Functions outside the VPC, queues, topics and API routes to them need none. What runs in
        the VPC does: a ``FargateService`` or container consumer pulls its image and ships its
        logs, a function with ``in_vpc=True`` calls AWS APIs. Those are refused at synth in an
        environment of the same app and, attached by name, by the template's ``Rules`` at
        deploy (the contract publishes ``egress``). Interface endpoints for ECR, CloudWatch Logs
        and the rest would serve them, at about USD 16 a month each in two AZs: more than a NAT
        instance.
        """
        return Nat(_NONE)

    @property
    def egress(self) -> bool:
        """Whether the private subnets reach the internet (all but :meth:`none`)."""
        return self.kind != _NONE

    @property
    def private_subnet_type(self) -> ec2.SubnetType:
        """The type of a created VPC's private subnets: with egress, or isolated without NAT."""
        if self.egress:
            return ec2.SubnetType.PRIVATE_WITH_EGRESS
        return ec2.SubnetType.PRIVATE_ISOLATED

    def __post_init__(self) -> None:
        if self.kind not in (_GATEWAY, _INSTANCE, _NONE):
            raise InvalidPropError(
                "Nat",
                "kind",
                self.kind,
                "allowed: Nat.gateway(), Nat.instance(...) or Nat.none()",
            )
        if (self.kind == _INSTANCE) != (self.instance_type is not None):
            raise InvalidPropError(
                "Nat",
                "instance_type",
                self.instance_type,
                "allowed: an instance type with Nat.instance(...) only",
            )

    def _provider(self) -> ec2.NatProvider | None:
        """The NAT provider for ``ec2.Vpc`` (``None``: aws-cdk-lib's NAT gateways)."""
        if self.instance_type is None:
            return None
        return ec2.NatProvider.instance_v2(
            instance_type=ec2.InstanceType(self.instance_type),
            # public subnets assign no public IPv4 at launch: the instance asks for its own
            associate_public_ip_address=True,
            # inbound from the private subnets only, added once the subnets exist
            default_allowed_traffic=ec2.NatTrafficDirection.OUTBOUND_ONLY,
        )

    def _harden(self, vpc: ec2.Vpc, provider: ec2.NatProvider | None) -> None:
        """Admit the private subnets, encrypt root volumes, require IMDSv2, record waivers."""
        if not isinstance(provider, ec2.NatInstanceProviderV2):
            return
        group = provider.security_group
        for subnet in vpc.private_subnets:
            group.add_ingress_rule(
                ec2.Peer.ipv4(subnet.ipv4_cidr_block),
                ec2.Port.all_traffic(),
                f"NAT for private subnet {subnet.node.id}",
            )
        for instance in provider.gateway_instances:
            _harden_instance(instance)


def _harden_instance(instance: ec2.Instance) -> None:
    resource = instance.instance
    resource.block_device_mappings = [
        ec2.CfnInstance.BlockDeviceMappingProperty(
            device_name="/dev/xvda",  # Amazon Linux 2023's root device
            ebs=ec2.CfnInstance.EbsProperty(
                encrypted=True, volume_type="gp3", delete_on_termination=True
            ),
        )
    ]
    resource.metadata_options = ec2.CfnInstance.MetadataOptionsProperty(
        http_tokens="required", http_endpoint="enabled"
    )
    _waive(instance)


def _waive(instance: IConstruct) -> None:
    acknowledge(
        instance,
        "AwsSolutions-EC28",
        "A NAT instance is the cheap dev choice: detailed monitoring would add about a third "
        "of its cost; basic (5-minute) monitoring is on, and prod uses managed NAT gateways.",
    )
    acknowledge(
        instance,
        "AwsSolutions-EC29",
        "The NAT instance holds no data and CloudFormation replaces it on a new image: "
        "termination protection would block that replacement; the stack owns its lifecycle.",
    )
    skip_checkov(
        instance,
        "CKV_AWS_88",
        "A NAT instance needs a public IP to forward the private subnets' traffic to the "
        "internet; its security group admits only the VPC's private subnets.",
    )
    skip_checkov(
        instance,
        "CKV_AWS_126",
        "Detailed monitoring on the dev NAT instance would add about a third of its cost; "
        "basic monitoring is on.",
    )
    skip_checkov(
        instance,
        "CKV_AWS_135",
        "EBS optimization is the default on the Nitro instance types a NAT instance runs on "
        "and cannot be switched off; the NAT path does not touch the root volume.",
    )
