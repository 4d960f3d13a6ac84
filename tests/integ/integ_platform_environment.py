"""PlatformEnvironment deployed: the key rotates, the alarm topic uses it, flow logs are on.

The dev profile's NAT instance runs, forwards and requires IMDSv2.

The account-level API Gateway logging role is left alone here
(``create_api_gateway_account=False``): there is one per account and region, and a test must
not replace the one the account already has.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk.integ_tests_alpha import ExpectedResult, Match
from support import app, integ_test

from modern_app_constructs import PlatformEnvironment

integ_app = app()
stack = cdk.Stack(integ_app, "IntegPlatformEnvironment")
platform = PlatformEnvironment(
    stack,
    "Platform",
    team="integ",
    application="platform-environment",
    create_api_gateway_account=False,
)
integ = integ_test(integ_app, "PlatformEnvironment", stack)

integ.assertions.aws_api_call("KMS", "getKeyRotationStatus", {"KeyId": platform.key.key_id}).expect(
    ExpectedResult.object_like({"KeyRotationEnabled": True})
)

integ.assertions.aws_api_call(
    "SNS", "getTopicAttributes", {"TopicArn": platform.alarm_topic.topic_arn}
).expect(
    ExpectedResult.object_like(
        {"Attributes": Match.object_like({"KmsMasterKeyId": platform.key.key_arn})}
    )
)

integ.assertions.aws_api_call(
    "EC2",
    "describeFlowLogs",
    {"Filter": [{"Name": "resource-id", "Values": [platform.vpc.vpc_id]}]},
).expect(
    ExpectedResult.object_like(
        {
            "FlowLogs": [
                Match.object_like(
                    {
                        "FlowLogStatus": "ACTIVE",
                        "TrafficType": "ALL",
                        "DeliverLogsStatus": "SUCCESS",
                    }
                )
            ]
        }
    )
)

# dev profile: one NAT instance for the whole VPC, forwarding (no source/dest check), IMDSv2
integ.assertions.aws_api_call(
    "EC2",
    "describeInstances",
    {
        "Filters": [
            {"Name": "vpc-id", "Values": [platform.vpc.vpc_id]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
    },
).expect(
    ExpectedResult.object_like(
        {
            "Reservations": [
                Match.object_like(
                    {
                        "Instances": [
                            Match.object_like(
                                {
                                    "InstanceType": "t4g.nano",
                                    "SourceDestCheck": False,
                                    "MetadataOptions": Match.object_like(
                                        {"HttpTokens": "required"}
                                    ),
                                }
                            )
                        ]
                    }
                )
            ]
        }
    )
)

integ.assertions.aws_api_call(
    "ECS",
    "describeClusters",
    {"clusters": [platform.cluster.cluster_name], "include": ["SETTINGS"]},
).expect(
    ExpectedResult.object_like(
        {
            "clusters": [
                Match.object_like(
                    {
                        "status": "ACTIVE",
                        "settings": Match.array_with(
                            [{"name": "containerInsights", "value": "enabled"}]
                        ),
                    }
                )
            ]
        }
    )
)

integ_app.synth()
