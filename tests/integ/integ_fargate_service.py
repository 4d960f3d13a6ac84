"""FargateService deployed: the service reaches a steady state behind its internal ALB, and an
ApiFrontDoor service route reaches it privately through the VPC link (v2) to the listener.

The container is the sample's catalog service (built from its Dockerfile: ``make integ``
needs Docker for this test and the sample's).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk.integ_tests_alpha import ExpectedResult, Match
from support import app, integ_test, invoke_method, region, status_is

from modern_app_constructs import ApiFrontDoor, FargateService, Route
from sample_app.app import CATALOG_SERVICE
from sample_app.contract import CONTAINER_HEALTH_CHECK

integ_app = app()
stack = cdk.Stack(integ_app, "IntegFargateService", env=cdk.Environment(region=region(integ_app)))
catalog = FargateService(
    stack,
    "Catalog",
    image=ecs.ContainerImage.from_asset(
        str(CATALOG_SERVICE),
        platform=ecr_assets.Platform.LINUX_ARM64,
        exclude=["**/__pycache__", "**/*.pyc"],
    ),
    container_port=8080,
    health_check_path="/health",
    container_health_check=CONTAINER_HEALTH_CHECK,
    user="10001",
)
api = ApiFrontDoor(stack, "Api", api_name="integ-fargate-service")
api.add_route("/catalog", Route.service(catalog))
catalog_resource = api.api.root.get_resource("catalog")
assert catalog_resource is not None
proxy = catalog_resource.get_resource("{proxy+}")
assert proxy is not None
integ = integ_test(integ_app, "FargateService", stack)

steady = integ.assertions.aws_api_call(
    "ECS",
    "describeServices",
    {"cluster": catalog.service.cluster.cluster_name, "services": [catalog.service.service_name]},
)
steady.expect(
    ExpectedResult.object_like(
        {
            "services": [
                Match.object_like(
                    {
                        "runningCount": 1,
                        "deployments": [Match.object_like({"rolloutState": "COMPLETED"})],
                    }
                )
            ]
        }
    )
).wait_for_assertions(total_timeout=cdk.Duration.minutes(10), interval=cdk.Duration.seconds(30))

healthy = integ.assertions.aws_api_call(
    "ElasticLoadBalancingV2",
    "describeTargetHealth",
    {"TargetGroupArn": catalog.target_group.target_group_arn},
)
healthy.expect(
    ExpectedResult.object_like(
        {
            "TargetHealthDescriptions": [
                Match.object_like({"TargetHealth": Match.object_like({"State": "healthy"})})
            ]
        }
    )
).wait_for_assertions(total_timeout=cdk.Duration.minutes(5), interval=cdk.Duration.seconds(20))

item = status_is(
    invoke_method(integ, api.api, proxy, "GET", "/catalog/items/TEA-GREEN-100"),
    200,
    {"sku": "TEA-GREEN-100"},
)
steady.next(healthy).next(item)

integ_app.synth()
