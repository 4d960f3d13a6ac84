"""The "orders" sample service: every construct of the library composed into one app.

Three stacks share one app for convenience, and nothing ties them but names:

- ``OrdersPlatform``: the platform team's environment, published as ``orders-<profile>``;
- ``OrdersService``: the orders team's service, attached to that environment by name only — no
  object reference, no cross-stack output — so the two could live in separate repositories;
- ``OrdersPipeline``: the orders team's delivery pipeline (in the dev account), which deploys
  ``OrdersService`` to the dev account (then verifies it) and, after a manual approval, to the
  prod account, each stage attached to the environment published there.

The profile of the laptop stacks comes from the ``profile`` context value: ``cdk synth`` gives
dev, ``cdk synth -c profile=prod`` gives prod; the pipeline's stages set their own. The pipeline
is one per service, not one per profile: it is part of the default (dev) synthesis, and
``-c profile=prod`` synthesizes the two laptop stacks alone. The region
comes from the ``region`` context value (``cdk.json``: ``eu-west-1``); the pipeline's accounts,
repository and connection from the ``orders:*`` context values (``cdk.json`` holds placeholders:
see docs/sample.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    DeploymentStage,
    FargateService,
    HandledFailures,
    IPlatformEnvironment,
    PlatformEnvironment,
    Route,
    ServiceDashboard,
    SmokeTest,
    WorkerConsumer,
    asset_code,
)
from sample_app.contract import BULK_SCHEMA, CONTAINER_HEALTH_CHECK, ORDER_SCHEMA, SMOKE_TEST_EVENT
from sample_app.pipeline import OrdersPipelineStack

__all__ = [
    "OrdersServiceStack",
    "PlatformStack",
    "SampleApp",
    "build",
    "build_laptop_stacks",
    "build_service_stage",
    "platform_name",
    "web_acl",
]

HERE = Path(__file__).parent
ORDERS_CODE = HERE / "functions" / "orders"
FULFILMENT_CODE = HERE / "functions" / "fulfilment"
CATALOG_SERVICE = HERE / "catalog_service"


def platform_name(profile: str) -> str:
    """The name the orders platform environment is published under in ``profile``."""
    return f"orders-{profile}"


class PlatformStack(cdk.Stack):
    """The platform team's stack: the shared environment every service deploys into.

    It publishes the environment's contract as ``orders-<profile>`` (the default name).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, env: cdk.Environment, description: str
    ) -> None:
        super().__init__(scope, construct_id, env=env, description=description)
        self.platform = PlatformEnvironment(
            self,
            "Platform",
            team="commerce-platform",
            application="orders",
            cost_center="cc-4711",
        )


class OrdersServiceStack(cdk.Stack):
    """The orders team's stack: API, canary-deployed function, workers, catalog, dashboard.

    It attaches to the published platform environment ``platform_name`` (every construct finds
    it in this stack); nothing of the environment is created here. It owns the idempotency
    table its handlers record what they did in (order creation per client key, fulfilment per
    order id).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        platform_name: str,
        env: cdk.Environment | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id, env=env, description=description)
        platform = PlatformEnvironment.from_published(self, "Platform", name=platform_name)
        orders_topic = sns.Topic(
            self,
            "OrdersTopic",
            display_name="Orders events",
            master_key=platform.key,
            enforce_ssl=True,
        )
        self.idempotency_table = idempotency_table(self, platform)
        idempotency_env = {"IDEMPOTENCY_TABLE": self.idempotency_table.table_name}
        self.fulfilment = DecoupledWorker(
            self,
            "Fulfilment",
            consumer=WorkerConsumer.code(
                asset_code(FULFILMENT_CODE),
                "fulfilment.handler",
                service_name="orders-fulfilment",
                environment=idempotency_env,
            ),
            topic=orders_topic,
            filter_policy={
                "event_type": sns.SubscriptionFilter.string_filter(allowlist=["OrderPlaced"])
            },
            raw_message_delivery=True,
        )
        self.create_order = CanaryFunction(
            self,
            "CreateOrder",
            code=asset_code(ORDERS_CODE),
            handler="create_order.handler",
            description="POST /orders: validates an order and publishes OrderPlaced",
            service_name="orders",
            environment={"ORDERS_TOPIC_ARN": orders_topic.topic_arn, **idempotency_env},
            smoke_test=SmokeTest(SMOKE_TEST_EVENT, expected_status_codes=[200]),
            # create_order counts every 5XX it answers: a version that cannot publish rolls back
            handled_failure_metric=HandledFailures(),
        )
        self.bulk_intake = DecoupledWorker(
            self,
            "BulkIntake",
            consumer=WorkerConsumer.code(
                asset_code(ORDERS_CODE),
                "bulk_intake.handler",
                service_name="orders-bulk-intake",
                timeout=cdk.Duration.seconds(60),
                environment={"ORDERS_TOPIC_ARN": orders_topic.topic_arn},
            ),
        )
        for publisher in (self.create_order.function, self.bulk_intake.consumer):
            if publisher is not None:
                self.fulfilment.grant_publish(publisher)
        for recorder in (self.create_order.function, self.fulfilment.consumer):
            if recorder is not None:
                grant_idempotency(self.idempotency_table, platform, recorder)
        self.catalog = FargateService(
            self,
            "Catalog",
            image=ecs.ContainerImage.from_asset(
                str(CATALOG_SERVICE),
                platform=ecr_assets.Platform.LINUX_ARM64,
                exclude=["**/__pycache__", "**/*.pyc"],
            ),
            container_port=8080,
            health_check_path="/health",
            container_health_check=CONTAINER_HEALTH_CHECK,
            user="10001",  # the image's own non-root user
        )
        self.web_acl = web_acl(self, platform, "orders")
        self.api = ApiFrontDoor(
            self,
            "Api",
            api_name="orders",
            web_acl_arn=self.web_acl.attr_arn if self.web_acl is not None else None,
        )
        self.api.add_route(
            "/orders",
            Route.function(self.create_order),
            methods=("POST",),
            request_schema=ORDER_SCHEMA,
        )
        self.api.add_route(
            "/orders/bulk", Route.queue(self.bulk_intake), request_schema=BULK_SCHEMA
        )
        self.api.add_route("/catalog", Route.service(self.catalog))
        self.dashboard = ServiceDashboard(self, "Dashboard", service_name="orders").add(
            self.api, self.create_order, self.bulk_intake, self.fulfilment, self.catalog
        )


#: AWS managed rule groups of the prod web ACL, in priority order: the common rule set (OWASP
#: classes), known bad inputs (Log4j and other exploit patterns), Amazon's IP reputation list.
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)


def web_acl(scope: Construct, platform: IPlatformEnvironment, name: str) -> wafv2.CfnWebACL | None:
    """In prod, a regional WAF web ACL for the API, logged; in dev none (USD 8 a month fixed).

    AWS managed rule groups only (:data:`MANAGED_RULE_GROUPS`), in block mode; every request it
    sees is logged to ``aws-waf-logs-<name>-<profile>`` (the name WAF requires), encrypted with
    the platform key, kept as long as the profile keeps logs, with the ``Authorization``
    header (the callers' SigV4 signatures) redacted.
    """
    profile = platform.profile
    if profile.name != "prod":
        return None

    def visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
        )

    acl = wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility(f"{name}-web-acl"),
        rules=[
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group
                    )
                ),
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                visibility_config=visibility(group),
            )
            for priority, group in enumerate(MANAGED_RULE_GROUPS)
        ],
    )
    log_group_name = f"aws-waf-logs-{name}-{profile.name}"
    log_group = logs.LogGroup(
        scope,
        "WebAclLogs",
        log_group_name=log_group_name,
        retention=profile.log_retention,
        encryption_key=platform.key,
        removal_policy=profile.removal_policy,
    )
    logging = wafv2.CfnLoggingConfiguration(
        scope,
        "WebAclLogging",
        resource_arn=acl.attr_arn,
        # WAF takes the log group's ARN without the ":*" suffix of LogGroup.log_group_arn
        log_destination_configs=[
            cdk.Stack.of(scope).format_arn(
                service="logs",
                resource="log-group",
                resource_name=log_group_name,
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
        ],
        redacted_fields=[
            wafv2.CfnLoggingConfiguration.FieldToMatchProperty(
                single_header={"Name": "authorization"}
            )
        ],
    )
    logging.node.add_dependency(log_group)
    return acl


def idempotency_table(scope: Construct, platform: IPlatformEnvironment) -> dynamodb.Table:
    """The table of Powertools idempotency records: key ``id``, TTL ``expiration``.

    Encrypted with the platform key, point-in-time recovery on, on-demand capacity; the
    profile decides what deleting the stack does to it (dev: deleted, prod: retained and
    deletion-protected).
    """
    profile = platform.profile
    return dynamodb.Table(
        scope,
        "IdempotencyTable",
        partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=platform.key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute="expiration",
        removal_policy=profile.removal_policy,
        deletion_protection=profile.deletion_protection,
    )


def grant_idempotency(
    table: dynamodb.ITable, platform: IPlatformEnvironment, grantee: iam.IGrantable
) -> None:
    """What Powertools idempotency does with its records, and the table key, nothing more."""
    table.grant(
        grantee,
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    )
    if platform.key is not None:
        platform.key.grant(grantee, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")


def build_service_stage(stage: cdk.Stage, spec: DeploymentStage) -> dict[str, cdk.CfnOutput]:
    """The orders service in one pipeline stage, attached to that account's environment."""
    service = OrdersServiceStack(
        stage,
        "OrdersService",
        platform_name=platform_name(spec.resolved_profile.name),
        description=f"Orders sample, {spec.name} stage of the pipeline",
    )
    return {"API_URL": cdk.CfnOutput(service, "ApiUrl", value=service.api.url)}


@dataclass(frozen=True)
class SampleApp:
    """The stacks of the sample app, as built into an ``App``."""

    platform_stack: PlatformStack
    service_stack: OrdersServiceStack
    #: ``None`` in a profile other than dev: the pipeline is one per service
    pipeline_stack: OrdersPipelineStack | None

    @property
    def stacks(self) -> tuple[cdk.Stack, ...]:
        """Every top-level stack of the sample, in deployment order."""
        laptop = (self.platform_stack, self.service_stack)
        return laptop if self.pipeline_stack is None else (*laptop, self.pipeline_stack)


def build(app: cdk.App) -> SampleApp:
    """Add the sample's stacks to ``app`` and return them."""
    platform_stack, service_stack = build_laptop_stacks(app)
    pipeline_stack = None
    if (app.node.try_get_context("profile") or "dev") == "dev":
        pipeline_stack = OrdersPipelineStack.from_context(
            app,
            "OrdersPipeline",
            build_stage=build_service_stage,
            region=service_stack.region,
        )
    return SampleApp(
        platform_stack=platform_stack, service_stack=service_stack, pipeline_stack=pipeline_stack
    )


def build_laptop_stacks(app: cdk.App) -> tuple[PlatformStack, OrdersServiceStack]:
    """Add the platform and service stacks a developer deploys from a laptop (no pipeline)."""
    env = cdk.Environment(region=app.node.try_get_context("region") or "eu-west-1")
    platform_stack = PlatformStack(
        app,
        "OrdersPlatform",
        env=env,
        description="Orders sample: shared platform environment (VPC, cluster, key, alarms)",
    )
    service_stack = OrdersServiceStack(
        app,
        "OrdersService",
        platform_name=platform_stack.platform.name,
        env=env,
        description="Orders sample: API, canary-deployed function, workers, catalog, dashboard",
    )
    # Only the deployment order: the service reads what the platform publishes.
    service_stack.add_stack_dependency(platform_stack, "reads the platform contract it publishes")
    return platform_stack, service_stack
