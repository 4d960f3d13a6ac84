"""The sample's orders app written once more with aws-cdk-lib only, for comparison.

Same stacks, resources and safety as ``sample_app`` (encryption, DLQs, alarms wired to
rollback, access logs, least privilege, smoke-tested canary), written the way a team would
without the library: the platform publishes its contract as SSM parameters, the service reads
them by name (no object reference to the platform's stack), and a CDK Pipelines pipeline
deploys the service to dev (verified), then after an approval to prod. ``benchmarks/bench.py``
counts its lines and times its synthesis next to the library's version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codestarnotifications as notifications
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk import pipelines
from constructs import Construct, IConstruct

from sample_app.contract import BULK_SCHEMA, CONTAINER_HEALTH_CHECK, ORDER_SCHEMA, SMOKE_TEST_EVENT

SAMPLE = Path(__file__).resolve().parents[2] / "sample_app"
EXCLUDE = ["__pycache__", "*.pyc"]
MINUTE = cdk.Duration.minutes(1)
CONTRACT = "/modern-app-constructs/platform"  # where the platform publishes, one path per value
AZS = 2
VERIFY_API = 'test "$(curl -s -o /dev/null -w %{http_code} -X POST "${API_URL}orders")" = 403'


def ack(construct: IConstruct, rule: str, reason: str) -> None:
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


def retention_of(prod: bool) -> logs.RetentionDays:
    return logs.RetentionDays.ONE_YEAR if prod else logs.RetentionDays.ONE_MONTH


class RawPlatformStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, env: cdk.Environment) -> None:
        super().__init__(scope, construct_id, env=env)
        prod = self.node.try_get_context("profile") == "prod"
        profile = "prod" if prod else "dev"
        self.platform_name = f"orders-{profile}"
        removal = cdk.RemovalPolicy.RETAIN if prod else cdk.RemovalPolicy.DESTROY
        self.retention = retention_of(prod)
        self.key = kms.Key(self, "Key", enable_key_rotation=True, removal_policy=removal)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com")],
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
                        "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{self.region}:{self.account}:log-group:*"
                    }
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("codestar-notifications.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{self.region}.amazonaws.com"}},
            )
        )
        for service in ("sns.amazonaws.com", "cloudwatch.amazonaws.com"):
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": self.account}},
                )
            )
        self.alarm_topic = sns.Topic(self, "AlarmTopic", master_key=self.key, enforce_ssl=True)
        for service in ("cloudwatch.amazonaws.com", "codestar-notifications.amazonaws.com"):
            self.alarm_topic.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=["sns:Publish"],
                    resources=[self.alarm_topic.topic_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": self.account}},
                )
            )
        flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            retention=self.retention,
            encryption_key=self.key,
            removal_policy=removal,
        )
        flow_logs.node.add_dependency(self.key)
        # dev: one t4g.nano NAT instance; prod: a NAT gateway per AZ
        nat_provider = (
            None
            if prod
            else ec2.NatProvider.instance_v2(
                instance_type=ec2.InstanceType("t4g.nano"),
                associate_public_ip_address=True,
                default_allowed_traffic=ec2.NatTrafficDirection.OUTBOUND_ONLY,
            )
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=2 if prod else 1,
            nat_gateway_provider=nat_provider,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                ec2.SubnetConfiguration(
                    name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)
            },
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs)
                )
            },
        )
        if isinstance(nat_provider, ec2.NatInstanceProviderV2):
            for subnet in self.vpc.private_subnets:
                nat_provider.security_group.add_ingress_rule(
                    ec2.Peer.ipv4(subnet.ipv4_cidr_block), ec2.Port.all_traffic()
                )
            for instance in nat_provider.gateway_instances:
                cfn_instance = instance.instance
                cfn_instance.block_device_mappings = [
                    ec2.CfnInstance.BlockDeviceMappingProperty(
                        device_name="/dev/xvda",
                        ebs=ec2.CfnInstance.EbsProperty(
                            encrypted=True, volume_type="gp3", delete_on_termination=True
                        ),
                    )
                ]
                cfn_instance.metadata_options = ec2.CfnInstance.MetadataOptionsProperty(
                    http_tokens="required", http_endpoint="enabled"
                )
                ack(instance, "AwsSolutions-EC28", "Dev NAT instance: basic monitoring.")
                ack(instance, "AwsSolutions-EC29", "Replaced on a new image: no protection.")
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=self.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        self.cluster.enable_fargate_capacity_providers()
        role = iam.Role(
            self,
            "ApiGatewayAccountRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        ack(
            role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "The documented policy for the API Gateway account role.",
        )
        apigw.CfnAccount(
            self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn
        ).node.add_dependency(role)
        tags = {
            "team": "commerce-platform",
            "application": "orders",
            "cost-center": "cc-4711",
            "profile": profile,
        }
        for name, value in tags.items():
            cdk.Tags.of(self).add(name, value)

        # the contract services attach to by name: one SSM parameter per value
        private = self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnets
        public = self.vpc.public_subnets
        contract = {
            "contract-version": "1.0",
            "contract-major": "1",
            "profile": profile,
            "log-retention-days": "365" if prod else "30",
            "vpc-id": self.vpc.vpc_id,
            "availability-zones": cdk.Fn.join(",", [s.availability_zone for s in private]),
            "az-count": str(len(private)),
            "egress": "true",
            "private-subnet-ids": cdk.Fn.join(",", [s.subnet_id for s in private]),
            "private-route-table-ids": cdk.Fn.join(
                ",", [s.route_table.route_table_id for s in private]
            ),
            "public-subnet-ids": cdk.Fn.join(",", [s.subnet_id for s in public]),
            "public-route-table-ids": cdk.Fn.join(
                ",", [s.route_table.route_table_id for s in public]
            ),
            "cluster-name": self.cluster.cluster_name,
            "cluster-arn": self.cluster.cluster_arn,
            "key-arn": self.key.key_arn,
            "alarm-topic-arn": self.alarm_topic.topic_arn,
            **{f"tag/{name}": value for name, value in tags.items()},
        }
        for key, value in contract.items():
            ssm.StringParameter(
                self,
                f"Contract-{key}",
                parameter_name=f"{CONTRACT}/{self.platform_name}/{key}",
                string_value=value,
            )


@dataclass(frozen=True)
class Attached:
    """What a service uses of the platform, imported from its published contract."""

    key: kms.IKey
    alarm_topic: sns.ITopic
    vpc: ec2.IVpc
    cluster: ecs.ICluster
    retention: logs.RetentionDays
    tags: dict[str, str]


def read_contract(scope: Construct, platform_name: str, key: str) -> str:
    """One value of the platform's contract, read at deploy time (no stack reference)."""
    return ssm.StringParameter.value_for_string_parameter(
        scope, f"{CONTRACT}/{platform_name}/{key}"
    )


def attach(scope: Construct, platform_name: str, prod: bool) -> Attached:
    """Import what the service uses of the platform from its published contract, by name."""

    def read(key: str) -> str:
        return read_contract(scope, platform_name, key)

    def split(key: str) -> list[str]:
        return cdk.Fn.split(",", read(key), AZS)

    vpc = ec2.Vpc.from_vpc_attributes(
        scope,
        "PlatformVpc",
        vpc_id=read("vpc-id"),
        availability_zones=split("availability-zones"),
        private_subnet_ids=split("private-subnet-ids"),
        private_subnet_route_table_ids=split("private-route-table-ids"),
    )
    return Attached(
        key=kms.Key.from_key_arn(scope, "PlatformKey", read("key-arn")),
        alarm_topic=sns.Topic.from_topic_arn(scope, "PlatformAlarms", read("alarm-topic-arn")),
        vpc=vpc,
        cluster=ecs.Cluster.from_cluster_attributes(
            scope,
            "PlatformCluster",
            cluster_name=read("cluster-name"),
            cluster_arn=read("cluster-arn"),
            vpc=vpc,
            security_groups=[],
        ),
        retention=retention_of(prod),
        tags={"team": read("tag/team"), "application": read("tag/application")},
    )


class RawOrdersStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        platform_name: str,
        env: cdk.Environment | None = None,
    ) -> None:
        super().__init__(scope, construct_id, env=env)
        prod = self.node.try_get_context("profile") == "prod"
        removal = cdk.RemovalPolicy.RETAIN if prod else cdk.RemovalPolicy.DESTROY
        self.platform = platform = attach(self, platform_name, prod)
        self.removal = removal
        self.alarms: list[cw.Alarm] = []
        self.layer = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "Powertools",
            cdk.Fn.sub(
                "arn:${AWS::Partition}:lambda:${AWS::Region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:27"
            ),
        )
        topic = sns.Topic(self, "OrdersTopic", master_key=platform.key, enforce_ssl=True)
        table = dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=platform.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expiration",
            removal_policy=removal,
            deletion_protection=prod,
        )
        idempotency_env = {"IDEMPOTENCY_TABLE": table.table_name}

        # fulfilment worker: queue + DLQ + subscription + function + alarms
        fulfil_fn = self.function(
            "FulfilmentFn",
            SAMPLE / "functions" / "fulfilment",
            "fulfilment.handler",
            "orders-fulfilment",
            idempotency_env,
            30,
        )
        fulfil_queue, fulfil_dlq = self.queues("Fulfilment", 180)
        fulfil_queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[fulfil_queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": topic.topic_arn}},
            )
        )
        subscription = sns.Subscription(
            self,
            "FulfilmentSubscription",
            topic=topic,
            endpoint=fulfil_queue.queue_arn,
            protocol=sns.SubscriptionProtocol.SQS,
            raw_message_delivery=True,
            filter_policy={
                "event_type": sns.SubscriptionFilter.string_filter(allowlist=["OrderPlaced"])
            },
        )
        subscription.node.add_dependency(fulfil_queue.node.find_child("Policy"))
        fulfil_fn.add_event_source(
            sources.SqsEventSource(fulfil_queue, batch_size=10, report_batch_item_failures=True)
        )
        self.queue_alarms("Fulfilment", fulfil_queue, fulfil_dlq, fulfil_fn)

        # create order: version + alias + CodeDeploy + alarms + smoke-test hook
        create_fn = self.function(
            "CreateOrderFn",
            SAMPLE / "functions" / "orders",
            "create_order.handler",
            "orders",
            {
                "ORDERS_TOPIC_ARN": topic.topic_arn,
                **idempotency_env,
                "HANDLED_FAILURES_METRIC_NAMESPACE": "orders",
                "HANDLED_FAILURES_METRIC_NAME": "HandledFailures",
            },
            30,
        )
        self.grant_publish(topic, create_fn)
        for recorder in (create_fn, fulfil_fn):
            table.grant(
                recorder,
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
            )
            platform.key.grant(recorder, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
        version = create_fn.current_version
        alias = lambda_.Alias(self, "CreateOrderAlias", alias_name="live", version=version)
        canary_alarms = [
            self.alarm("CreateOrderErrors", alias.metric_errors(period=MINUTE, statistic="Sum"), 1),
            self.alarm(
                "CreateOrderNewVersionErrors",
                cw.Metric(
                    namespace="AWS/Lambda",
                    metric_name="Errors",
                    dimensions_map={
                        "FunctionName": create_fn.function_name,
                        "Resource": f"{create_fn.function_name}:live",
                        "ExecutedVersion": version.version,
                    },
                    period=MINUTE,
                    statistic="Sum",
                ),
                1,
            ),
            self.alarm(
                "CreateOrderThrottles", alias.metric_throttles(period=MINUTE, statistic="Sum"), 1
            ),
            self.alarm(
                "CreateOrderDuration",
                alias.metric_duration(period=MINUTE, statistic="p99"),
                24000,
                periods=2,
            ),
            self.alarm(
                "CreateOrderHandledFailures",
                cw.Metric(
                    namespace="orders",
                    metric_name="HandledFailures",
                    dimensions_map={"service": "orders", "FunctionVersion": version.version},
                    period=MINUTE,
                    statistic="Sum",
                ),
                1,
            ),
            *self.route_alarms("CreateOrderRoute", "/orders", "POST", 2),
        ]
        hook = self.function(
            "SmokeTestFn",
            Path(__file__).resolve().parents[2] / "modern_app_constructs" / "runtime",
            "smoke_test_hook.handler",
            "orders-smoke-test",
            {
                "TARGET_VERSION_ARN": version.function_arn,
                "SMOKE_TEST_EVENT": json.dumps(SMOKE_TEST_EVENT, sort_keys=True),
                "EXPECTED_STATUS_CODES": "[200]",
            },
            90,
        )
        version.grant_invoke(hook)
        group = codedeploy.LambdaDeploymentGroup(
            self,
            "CreateOrderDeployment",
            application=codedeploy.LambdaApplication(self, "CreateOrderApplication"),
            alias=alias,
            deployment_config=(
                codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES
                if prod
                else codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE
            ),
            alarms=canary_alarms,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
            pre_hook=hook,
        )
        ack(
            group,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]",
            "CDK attaches AWSCodeDeployRoleForLambdaLimited to the group role.",
        )
        ack(
            group,
            "AwsSolutions-IAM5[Resource::<SmokeTestFnD09FEFBB.Arn>:*]",
            "CodeDeploy invokes the hook by any of its versions.",
        )

        # bulk intake worker: its own topic, queue, DLQ, function
        bulk_topic = sns.Topic(self, "BulkTopic", master_key=platform.key, enforce_ssl=True)
        bulk_fn = self.function(
            "BulkIntakeFn",
            SAMPLE / "functions" / "orders",
            "bulk_intake.handler",
            "orders-bulk-intake",
            {"ORDERS_TOPIC_ARN": topic.topic_arn},
            60,
        )
        self.grant_publish(topic, bulk_fn)
        bulk_queue, bulk_dlq = self.queues("BulkIntake", 360)
        bulk_queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[bulk_queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": bulk_topic.topic_arn}},
            )
        )
        sns.Subscription(
            self,
            "BulkSubscription",
            topic=bulk_topic,
            endpoint=bulk_queue.queue_arn,
            protocol=sns.SubscriptionProtocol.SQS,
        )
        bulk_fn.add_event_source(
            sources.SqsEventSource(bulk_queue, batch_size=10, report_batch_item_failures=True)
        )
        self.queue_alarms("BulkIntake", bulk_queue, bulk_dlq, bulk_fn)

        # catalog: Fargate behind an internal ALB with access logs, scaling, alarm rollback
        service, load_balancer, listener, target_group = self.catalog(prod)

        # API: access logs, tracing, throttling, IAM auth, three route kinds
        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            retention=platform.retention,
            encryption_key=platform.key,
            removal_policy=removal,
        )
        api = apigw.RestApi(
            self,
            "Api",
            rest_api_name="orders",
            cloud_watch_role=False,
            endpoint_types=[apigw.EndpointType.REGIONAL],
            deploy_options=apigw.StageOptions(
                stage_name="v1",
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.INFO,
                data_trace_enabled=False,
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=100,
                throttling_burst_limit=200,
            ),
            default_method_options=apigw.MethodOptions(
                authorization_type=apigw.AuthorizationType.IAM
            ),
        )
        ack(api, "AwsSolutions-COG4", "IAM authorization is used deliberately.")
        if prod:
            self.web_acl(api, removal)
        else:
            ack(api, "AwsSolutions-APIG3", "WAF in prod only (USD 8 a month fixed).")
        validator = apigw.RequestValidator(
            self,
            "Validator",
            rest_api=api,
            validate_request_body=True,
            validate_request_parameters=True,
        )
        order_model, bulk_model = (
            apigw.Model.from_model_name(
                self,
                f"{name}Ref",
                apigw.CfnModel(
                    self,
                    name,
                    rest_api_id=api.rest_api_id,
                    content_type="application/json",
                    schema={"$schema": "http://json-schema.org/draft-04/schema#", **schema},
                ).ref,
            )
            for name, schema in (("OrderModel", ORDER_SCHEMA), ("BulkModel", BULK_SCHEMA))
        )
        orders = api.root.add_resource("orders")
        orders.add_method(
            "POST",
            apigw.LambdaIntegration(alias),
            request_validator=validator,
            request_models={"application/json": order_model},
        )
        queue_role = iam.Role(
            self, "BulkRouteRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com")
        )
        queue_role.add_to_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[bulk_queue.queue_arn])
        )
        queue_role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[platform.key.key_arn]
            )
        )
        error = '{"message": "The request could not be queued."}'
        orders.add_resource("bulk").add_method(
            "POST",
            apigw.AwsIntegration(
                service="sqs",
                path=f"{self.account}/{bulk_queue.queue_name}",
                integration_http_method="POST",
                options=apigw.IntegrationOptions(
                    credentials_role=queue_role,
                    passthrough_behavior=apigw.PassthroughBehavior.NEVER,
                    request_parameters={
                        "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
                    },
                    request_templates={
                        "application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
                    },
                    integration_responses=[
                        apigw.IntegrationResponse(
                            status_code="202",
                            selection_pattern=r"2\d{2}",
                            response_templates={
                                "application/json": '{"message_id": "$input.path(\'$.SendMessageResponse.SendMessageResult.MessageId\')"}'
                            },
                        ),
                        apigw.IntegrationResponse(
                            status_code="400",
                            selection_pattern=r"4\d{2}",
                            response_templates={"application/json": error},
                        ),
                        apigw.IntegrationResponse(
                            status_code="500",
                            selection_pattern=r"5\d{2}",
                            response_templates={"application/json": error},
                        ),
                    ],
                ),
            ),
            request_validator=validator,
            request_models={"application/json": bulk_model},
            method_responses=[
                apigw.MethodResponse(status_code=code) for code in ("202", "400", "500")
            ],
        )
        link_sg = ec2.SecurityGroup(self, "VpcLinkSg", vpc=platform.vpc, allow_all_outbound=False)
        link = apigwv2.VpcLink(
            self,
            "VpcLink",
            vpc=platform.vpc,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[link_sg],
        )
        listener.connections.allow_default_port_from(link_sg)
        catalog = api.root.add_resource("catalog")
        for resource, suffix in ((catalog, ""), (catalog.add_resource("{proxy+}"), "/{proxy}")):
            method = resource.add_method(
                "GET",
                apigw.Integration(
                    type=apigw.IntegrationType.HTTP_PROXY,
                    integration_http_method="GET",
                    uri=f"http://{load_balancer.load_balancer_dns_name}/catalog{suffix}",
                    options=apigw.IntegrationOptions(
                        request_parameters={
                            "integration.request.path.proxy": "method.request.path.proxy"
                        }
                        if suffix
                        else None
                    ),
                ),
                request_parameters={"method.request.path.proxy": True} if suffix else None,
            )
            cfn = method.node.default_child
            assert isinstance(cfn, apigw.CfnMethod)
            cfn.add_property_override("Integration.ConnectionType", "VPC_LINK")
            cfn.add_property_override("Integration.ConnectionId", link.vpc_link_id)
            cfn.add_property_override("Integration.IntegrationTarget", listener.listener_arn)
        self.alarm(
            "ApiErrorRate",
            api.metric_server_error(period=MINUTE, statistic="Average"),
            0.05,
            periods=3,
        )
        self.alarm(
            "ApiLatency", api.metric_latency(period=MINUTE, statistic="p99"), 2000, periods=3
        )

        # dashboard
        dashboard = cw.Dashboard(
            self, "Dashboard", dashboard_name=f"orders-{'prod' if prod else 'dev'}"
        )
        dashboard.add_widgets(cw.AlarmStatusWidget(alarms=list(self.alarms), width=24))
        dashboard.add_widgets(
            cw.GraphWidget(
                title="API requests",
                left=[api.metric_count(period=MINUTE, statistic="Sum")],
                width=6,
            ),
            cw.GraphWidget(
                title="API 4XX",
                left=[api.metric_client_error(period=MINUTE, statistic="Sum")],
                width=6,
            ),
            cw.GraphWidget(
                title="API 5XX",
                left=[api.metric_server_error(period=MINUTE, statistic="Sum")],
                width=6,
            ),
            cw.GraphWidget(
                title="API p99", left=[api.metric_latency(period=MINUTE, statistic="p99")], width=6
            ),
        )
        for name, fn in (
            ("CreateOrder", alias),
            ("BulkIntake", bulk_fn),
            ("Fulfilment", fulfil_fn),
        ):
            dashboard.add_widgets(
                cw.GraphWidget(
                    title=f"{name} invocations",
                    left=[fn.metric_invocations(period=MINUTE, statistic="Sum")],
                    width=8,
                ),
                cw.GraphWidget(
                    title=f"{name} errors",
                    left=[fn.metric_errors(period=MINUTE, statistic="Sum")],
                    width=8,
                ),
                cw.GraphWidget(
                    title=f"{name} p99",
                    left=[fn.metric_duration(period=MINUTE, statistic="p99")],
                    width=8,
                ),
            )
        for name, queue, dlq in (
            ("Fulfilment", fulfil_queue, fulfil_dlq),
            ("BulkIntake", bulk_queue, bulk_dlq),
        ):
            dashboard.add_widgets(
                cw.GraphWidget(
                    title=f"{name} depth",
                    left=[queue.metric_approximate_number_of_messages_visible(period=MINUTE)],
                    width=8,
                ),
                cw.GraphWidget(
                    title=f"{name} oldest",
                    left=[queue.metric_approximate_age_of_oldest_message(period=MINUTE)],
                    width=8,
                ),
                cw.GraphWidget(
                    title=f"{name} DLQ",
                    left=[dlq.metric_approximate_number_of_messages_visible(period=MINUTE)],
                    width=8,
                ),
            )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Catalog CPU", left=[service.metric_cpu_utilization(period=MINUTE)], width=6
            ),
            cw.GraphWidget(
                title="Catalog memory",
                left=[service.metric_memory_utilization(period=MINUTE)],
                width=6,
            ),
            cw.GraphWidget(
                title="Catalog 5XX",
                left=[target_group.metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT)],
                width=6,
            ),
            cw.GraphWidget(
                title="Catalog healthy", left=[target_group.metrics.healthy_host_count()], width=6
            ),
        )
        self.api_url = api.url
        for name, value in {**platform.tags, "profile": "prod" if prod else "dev"}.items():
            cdk.Tags.of(self).add(name, value)

    def function(
        self,
        construct_id: str,
        path: Path,
        handler: str,
        service: str,
        env: dict[str, str],
        timeout: int,
    ) -> lambda_.Function:
        log_group = logs.LogGroup(
            self,
            f"{construct_id}Logs",
            retention=self.platform.retention,
            encryption_key=self.platform.key,
            removal_policy=self.removal,
        )
        role = iam.Role(
            self, f"{construct_id}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            )
        )
        ack(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray actions do not support resource-level permissions.",
        )
        return lambda_.Function(
            self,
            construct_id,
            code=lambda_.Code.from_asset(str(path), exclude=EXCLUDE),
            handler=handler,
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            memory_size=256,
            timeout=cdk.Duration.seconds(timeout),
            environment={
                "POWERTOOLS_SERVICE_NAME": service,
                "POWERTOOLS_METRICS_NAMESPACE": service,
                **env,
            },
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            layers=[self.layer],
        )

    def queues(self, name: str, visibility: int) -> tuple[sqs.Queue, sqs.Queue]:
        def owner_only(queue: sqs.Queue) -> sqs.Queue:
            queue.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.AccountRootPrincipal()],
                    actions=[
                        "sqs:ChangeMessageVisibility",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                        "sqs:GetQueueUrl",
                        "sqs:ReceiveMessage",
                        "sqs:SendMessage",
                    ],
                    resources=[queue.queue_arn],
                )
            )
            return queue

        common = {
            "encryption": sqs.QueueEncryption.KMS,
            "encryption_master_key": self.platform.key,
            "enforce_ssl": True,
            "removal_policy": self.removal,
        }
        dlq = owner_only(
            sqs.Queue(
                self,
                f"{name}Dlq",
                retention_period=cdk.Duration.days(14),
                redrive_allow_policy=sqs.RedriveAllowPolicy(
                    redrive_permission=sqs.RedrivePermission.ALLOW_ALL
                ),
                **common,
            )
        )
        queue = owner_only(
            sqs.Queue(
                self,
                f"{name}Queue",
                visibility_timeout=cdk.Duration.seconds(visibility),
                dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=5, queue=dlq),
                **common,
            )
        )
        return queue, dlq

    def queue_alarms(
        self, name: str, queue: sqs.Queue, dlq: sqs.Queue, fn: lambda_.Function
    ) -> None:
        self.alarm(
            f"{name}DlqNotEmpty",
            dlq.metric_approximate_number_of_messages_visible(period=MINUTE, statistic="Maximum"),
            1,
        )
        self.alarm(
            f"{name}OldestMessage",
            queue.metric_approximate_age_of_oldest_message(period=MINUTE, statistic="Maximum"),
            300,
            periods=3,
        )
        self.alarm(f"{name}Errors", fn.metric_errors(period=MINUTE, statistic="Sum"), 1)

    def route_alarms(self, prefix: str, resource: str, method: str, periods: int) -> list[cw.Alarm]:
        def metric(name: str, statistic: str) -> cw.Metric:
            return cw.Metric(
                namespace="AWS/ApiGateway",
                metric_name=name,
                dimensions_map={
                    "ApiName": "orders",
                    "Method": method,
                    "Resource": resource,
                    "Stage": "v1",
                },
                period=MINUTE,
                statistic=statistic,
            )

        return [
            self.alarm(f"{prefix}5xxRate", metric("5XXError", "Average"), 0.05, periods),
            self.alarm(f"{prefix}LatencyP99", metric("Latency", "p99"), 2000, periods),
        ]

    def alarm(
        self, construct_id: str, metric: cw.IMetric, threshold: float, periods: int = 1
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.platform.alarm_topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.platform.alarm_topic))
        self.alarms.append(alarm)
        return alarm

    def grant_publish(self, topic: sns.Topic, fn: lambda_.Function) -> None:
        fn.add_to_role_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn])
        )
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[self.platform.key.key_arn],
            )
        )

    def web_acl(self, api: apigw.RestApi, removal: cdk.RemovalPolicy) -> None:
        """Prod's web ACL: AWS managed rule groups, every request logged, Authorization redacted."""

        def visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
            )

        groups = (
            "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesAmazonIpReputationList",
        )
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("orders-web-acl"),
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
                for priority, group in enumerate(groups)
            ],
        )
        log_group = logs.LogGroup(
            self,
            "WebAclLogs",
            log_group_name="aws-waf-logs-orders-prod",
            retention=self.platform.retention,
            encryption_key=self.platform.key,
            removal_policy=removal,
        )
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "WebAclLogging",
            resource_arn=acl.attr_arn,
            log_destination_configs=[
                self.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name="aws-waf-logs-orders-prod",
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
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=api.deployment_stage.stage_arn,
            web_acl_arn=acl.attr_arn,
        )

    def catalog(
        self, prod: bool
    ) -> tuple[
        ecs.FargateService,
        elbv2.ApplicationLoadBalancer,
        elbv2.ApplicationListener,
        elbv2.ApplicationTargetGroup,
    ]:
        platform = self.platform
        log_group = logs.LogGroup(
            self,
            "CatalogLogs",
            retention=platform.retention,
            encryption_key=platform.key,
            removal_policy=self.removal,
        )
        task = ecs.FargateTaskDefinition(
            self,
            "CatalogTask",
            cpu=256,
            memory_limit_mib=512,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.ARM64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        container = task.add_container(
            "App",
            image=ecs.ContainerImage.from_asset(
                str(SAMPLE / "catalog_service"),
                platform=ecr_assets.Platform.LINUX_ARM64,
                exclude=["**/__pycache__"],
            ),
            port_mappings=[ecs.PortMapping(container_port=8080)],
            logging=ecs.LogDrivers.aws_logs(stream_prefix="app", log_group=log_group),
            readonly_root_filesystem=True,
            user="10001",
            health_check=ecs.HealthCheck(command=CONTAINER_HEALTH_CHECK),
        )
        task.add_volume(name="tmp")
        container.add_mount_points(
            ecs.MountPoint(container_path="/tmp", source_volume="tmp", read_only=False)
        )
        if task.execution_role is not None:
            ack(
                task.execution_role,
                "AwsSolutions-IAM5[Resource::*]",
                "ecr:GetAuthorizationToken has no resource-level permissions.",
            )
        bucket = s3.Bucket(
            self,
            "CatalogAccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            versioned=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(90))],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        ack(bucket, "AwsSolutions-S1", "The access-log bucket itself needs no access logs.")
        load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "CatalogLb",
            vpc=platform.vpc,
            internet_facing=False,
            drop_invalid_header_fields=True,
            deletion_protection=prod,
        )
        load_balancer.log_access_logs(bucket, prefix="catalog")
        target_group = elbv2.ApplicationTargetGroup(
            self,
            "CatalogTargets",
            vpc=platform.vpc,
            port=8080,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=cdk.Duration.seconds(30),
            health_check=elbv2.HealthCheck(path="/health", interval=cdk.Duration.seconds(15)),
        )
        listener = load_balancer.add_listener(
            "Http", port=80, open=False, default_target_groups=[target_group]
        )
        alarms = [
            self.alarm(
                "CatalogTarget5xx",
                target_group.metrics.http_code_target(
                    elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=MINUTE
                ),
                5,
                periods=2,
            ),
            self.alarm(
                "CatalogUnhealthy",
                target_group.metrics.unhealthy_host_count(period=MINUTE),
                1,
                periods=2,
            ),
            self.alarm(
                "CatalogP99",
                target_group.metrics.target_response_time(period=MINUTE, statistic="p99"),
                2,
                periods=3,
            ),
            *self.route_alarms("CatalogRoute", "/catalog", "GET", 2),
            *self.route_alarms("CatalogProxyRoute", "/catalog/{proxy+}", "GET", 2),
        ]
        service = ecs.FargateService(
            self,
            "Catalog",
            cluster=platform.cluster,
            task_definition=task,
            desired_count=2 if prod else 1,
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            deployment_alarms=ecs.DeploymentAlarmConfig(alarm_names=[a.alarm_name for a in alarms]),
            min_healthy_percent=100,
            health_check_grace_period=cdk.Duration.seconds(60),
        )
        service.attach_to_application_target_group(target_group)
        scaling = service.auto_scale_task_count(
            min_capacity=2 if prod else 1, max_capacity=8 if prod else 4
        )
        scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=60)
        scaling.scale_on_request_count(
            "Requests", requests_per_target=500, target_group=target_group
        )
        return service, load_balancer, listener, target_group


class RawPipelineStack(cdk.Stack):
    """Source, tests and synth, self-update, assets, Dev (verified), approval, Prod."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        region: str,
        connection_arn: str,
        repository: str,
        branch: str,
        dev_account: str,
        prod_account: str,
    ) -> None:
        super().__init__(
            scope, construct_id, env=cdk.Environment(account=dev_account, region=region)
        )
        key = kms.Key.from_key_arn(
            self, "PlatformKey", read_contract(self, "orders-dev", "key-arn")
        )
        alarm_topic_arn = read_contract(self, "orders-dev", "alarm-topic-arn")
        build_logs = logs.LogGroup(
            self,
            "BuildLogs",
            retention=retention_of(prod=False),
            encryption_key=key,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        synth = pipelines.ShellStep(
            "Synth",
            input=pipelines.CodePipelineSource.connection(
                repository, branch, connection_arn=connection_arn, trigger_on_push=True
            ),
            install_commands=["npm ci"],
            commands=["make test", "npx cdk synth --output cdk.out"],
            primary_output_directory="cdk.out",
        )
        pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=synth,
            cross_account_keys=True,
            enable_key_rotation=True,
            code_build_defaults=pipelines.CodeBuildOptions(
                logging=codebuild.LoggingOptions(
                    cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=build_logs)
                )
            ),
            asset_publishing_code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0
                )
            ),
        )
        for name, account in (("Dev", dev_account), ("Prod", prod_account)):
            stage = cdk.Stage(self, name, env=cdk.Environment(account=account, region=region))
            profile = name.lower()
            stage.node.set_context("profile", profile)
            service = RawOrdersStack(stage, "RawOrdersService", platform_name=f"orders-{profile}")
            if profile == "dev":
                url = cdk.CfnOutput(service, "ApiUrl", value=service.api_url)
                verify = pipelines.ShellStep(
                    "Verify", env_from_cfn_outputs={"API_URL": url}, commands=[VERIFY_API]
                )
                pipeline.add_stage(stage, post=[verify])
            else:
                approve = pipelines.ManualApprovalStep(
                    "Approve", comment=f"Deploy this change to {name} ({account}, {region})?"
                )
                pipeline.add_stage(stage, pre=[approve])
        pipeline.build_pipeline()
        pipeline.pipeline.notify_on(
            "FailureNotifications",
            sns.Topic.from_topic_arn(self, "PlatformAlarms", alarm_topic_arn),
            events=[codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED],
            detail_type=notifications.DetailType.FULL,
        )
        where = f"{region}:{dev_account}"
        projects = (
            "PipelineBuildSynthCdkBuildProject6BEFA8E6",
            "PipelineUpdatePipelineSelfMutationDAA41400",
            "PipelineDevVerify1BBD03D2",
        )
        for finding in (
            *(
                f"Action::s3:{a}*"
                for a in ("Abort", "DeleteObject", "GetBucket", "GetObject", "List")
            ),
            "Action::kms:GenerateDataKey*",
            "Action::kms:ReEncrypt*",
            "Resource::<PipelineArtifactsBucketAEA9A052.Arn>/*",
            "Resource::*",
            f"Resource::arn:aws:logs:{where}:log-group:/aws/codebuild/*",
            f"Resource::arn:aws:codebuild:{where}:report-group/*",
            f"Resource::arn:*:iam::{dev_account}:role/*",
            *(f"Resource::arn:aws:logs:{where}:log-group:/aws/codebuild/<{p}>:*" for p in projects),
            *(f"Resource::arn:aws:codebuild:{where}:report-group/<{p}>-*" for p in projects),
        ):
            ack(
                pipeline,
                f"AwsSolutions-IAM5[{finding}]",
                "CDK Pipelines' own grants: artifact bucket and key, CodeBuild logs and report "
                "groups, the CDK bootstrap roles.",
            )
        ack(
            pipeline,
            "cfn-lint::E3703",
            "CDK Pipelines writes the deployment role ARNs with Fn::Join.",
        )
        ack(
            pipeline.pipeline.artifact_bucket,
            "AwsSolutions-S1",
            "The artifact bucket holds only the pipeline's transient artifacts.",
        )


def build_laptop_stacks(app: cdk.App) -> tuple[RawPlatformStack, RawOrdersStack]:
    env = cdk.Environment(region=app.node.try_get_context("region") or "eu-west-1")
    platform = RawPlatformStack(app, "RawOrdersPlatform", env=env)
    service = RawOrdersStack(app, "RawOrdersService", platform_name=platform.platform_name, env=env)
    service.add_stack_dependency(platform, "reads the platform contract it publishes")
    return platform, service


def build(app: cdk.App) -> tuple[RawPlatformStack, RawOrdersStack, RawPipelineStack | None]:
    platform, service = build_laptop_stacks(app)
    if (app.node.try_get_context("profile") or "dev") != "dev":
        return platform, service, None
    context = {
        key: app.node.try_get_context(f"orders:{key}")
        for key in ("connectionArn", "repository", "branch", "devAccount", "prodAccount")
    }
    pipeline = RawPipelineStack(
        app,
        "RawOrdersPipeline",
        region=service.region,
        connection_arn=context["connectionArn"],
        repository=context["repository"],
        branch=context["branch"],
        dev_account=context["devAccount"],
        prod_account=context["prodAccount"],
    )
    return platform, service, pipeline
