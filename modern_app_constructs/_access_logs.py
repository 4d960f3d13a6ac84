"""ALB access logs in any stack, env-agnostic ones included.

Who may write a load balancer's access logs into the bucket depends on the region: an Elastic
Load Balancing account for regions opened before August 2022, the
``logdelivery.elasticloadbalancing.amazonaws.com`` service principal for newer ones.
aws-cdk-lib's ``log_access_logs`` picks one at synth and therefore needs a concrete region. In an
env-agnostic stack the choice is made at deploy time instead: a mapping built from aws-cdk-lib's
region facts and a condition select one of two bucket-policy statements.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import region_info
from constructs import Construct

__all__ = ["enable_access_logs"]

_SERVICE = "service-principal"
_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"


@jsii.implements(cdk.IStableAnyProducer)
class _StatementsWith:
    """The policy document's statements as CDK renders them, plus one more (an ``Fn::If``)."""

    def __init__(self, stack: cdk.Stack, document: iam.PolicyDocument, extra: Any) -> None:
        self._stack = stack
        self._document = document
        self._extra = extra

    def produce(self) -> Any:
        # produced once, when the template is rendered: every statement has been added by then
        rendered = self._stack.resolve(self._document)
        return [*rendered["Statement"], self._extra]


def enable_access_logs(
    scope: Construct, load_balancer: elbv2.ApplicationLoadBalancer, bucket: s3.Bucket, prefix: str
) -> None:
    """Send ``load_balancer``'s access logs to ``bucket`` under ``prefix``, in any stack."""
    stack = cdk.Stack.of(scope)
    if not cdk.Token.is_unresolved(stack.region):
        load_balancer.log_access_logs(bucket, prefix=prefix)
        return
    load_balancer.set_attribute("access_logs.s3.enabled", "true")
    load_balancer.set_attribute("access_logs.s3.bucket", bucket.bucket_name)
    load_balancer.set_attribute("access_logs.s3.prefix", prefix)
    objects = bucket.arn_for_objects(f"{prefix}/AWSLogs/{stack.account}/*")
    mapping = cdk.CfnMapping(
        scope,
        "ElbLogDelivery",
        mapping={
            region.name: {"account": region.elbv2_account or _SERVICE}
            for region in region_info.RegionInfo.regions
        },
    )
    account = mapping.find_in_map(cdk.Aws.REGION, "account")
    by_service = cdk.CfnCondition(
        scope,
        "ElbLogDeliveryByServicePrincipal",
        expression=cdk.Fn.condition_equals(account, _SERVICE),
    )

    def put_logs(principal: dict[str, Any]) -> dict[str, Any]:
        return {
            "Action": "s3:PutObject",
            "Effect": "Allow",
            "Principal": principal,
            "Resource": objects,
        }

    chosen = cdk.Fn.condition_if(
        by_service.logical_id,
        put_logs({"Service": _LOG_DELIVERY}),
        put_logs({"AWS": cdk.Fn.join("", ["arn:", cdk.Aws.PARTITION, ":iam::", account, ":root"])}),
    )
    # The log delivery service's own statements, as aws-cdk-lib writes them.
    delivery = iam.ServicePrincipal("delivery.logs.amazonaws.com")
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            actions=["s3:PutObject"],
            principals=[delivery],
            resources=[objects],
            conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        )
    )
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            actions=["s3:GetBucketAcl"], principals=[delivery], resources=[bucket.bucket_arn]
        )
    )
    policy = bucket.policy
    assert policy is not None  # created by the statements above
    cfn_policy = policy.node.default_child
    assert isinstance(cfn_policy, s3.CfnBucketPolicy)
    cfn_policy.add_property_override(
        "PolicyDocument.Statement",
        cdk.Lazy.any(_StatementsWith(stack, policy.document, chosen)),
    )
    # the bucket policy before the load balancer (aws-cdk-lib does the same, for the same reason:
    # ELB checks it can write a test object when access logs are turned on)
    cfn_load_balancer = load_balancer.node.default_child
    assert isinstance(cfn_load_balancer, cdk.CfnResource)
    cfn_load_balancer.add_resource_dependency(cfn_policy)
