"""DecoupledWorker: SNS topic -> encrypted SQS queue (with DLQ) -> consumer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ._alarms import create_alarm
from ._fargate import ContainerSpec, build_fargate_service, build_task
from ._kms import deny_direct_grants
from ._lambda import DeadLetterWaiver, FunctionSettings, check_in_vpc, create_function
from ._logs import create_log_group
from ._monitoring import PERIOD, MetricGraph
from ._nag import acknowledge
from ._overrides import merge_overrides
from ._platform import IPlatformEnvironment, is_standalone, resolve_platform, vpc_with_egress
from ._typecheck import check_prop_types
from ._validation import InvalidPropError, check_int_range
from .canary_function import warn_if_canary_bypassed
from .worker_consumer import CodeConsumer, ContainerConsumer, FunctionConsumer

__all__ = ["DecoupledWorker"]

#: AWS's advice: a queue's visibility timeout at least six times its consumer's timeout.
VISIBILITY_FACTOR = 6
_MAX_VISIBILITY_S = 43_200
_PROTECTED_QUEUE_PROPS = {
    "encryption": "a customer-managed key SNS may use",
    "encryption_master_key": "the platform's (or the worker's own) key",
    "data_key_reuse": "set with the key",
    "enforce_ssl": "HTTPS only",
    "dead_letter_queue": "the worker's DLQ (max_receive_count= sets the receives)",
    "fifo": "follows the topic (fifo=)",
    "visibility_timeout": "derived from the consumer's timeout (visibility_timeout=)",
    "retention_period": "retention_period=",
    "removal_policy": "comes from the profile",
}
_QUEUE_OWNER_ACTIONS = [
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
]

#: SQS keeps a message from 60 seconds to 14 days.
_MIN_RETENTION_S = 60
_MAX_RETENTION_S = 14 * 24 * 3600
#: SNS filter policy limits: attribute names per policy, combinations of values.
_MAX_FILTER_KEYS = 5
_MAX_FILTER_COMBINATIONS = 150


class DecoupledWorker(Construct):
    """An SNS topic feeding an encrypted SQS queue (with a DLQ) that a consumer drains.

    The queue is encrypted with a customer-managed key SNS may use (the platform's, or one of
    its own), HTTPS-only and owner-only, with a dead-letter queue operators can redrive from;
    the subscription dead-letters to the same queue the deliveries SNS cannot make.
    The consumer is a Lambda function (yours, a ``CanaryFunction``'s alias, or one built from
    code and handler) reporting partial batch failures, or a Fargate queue processor.
    The invariants that make this safe are checked at synth time.

    Args:
        scope: the parent construct.
        construct_id: the construct id.
        consumer: what drains the queue, made by a :class:`WorkerConsumer` factory:
            ``WorkerConsumer.function(fn)`` (an existing ``IFunction``, or a
            ``CanaryFunction`` whose alias is subscribed, so the worker ships by canary),
            ``WorkerConsumer.code(code, handler, ...)`` (a new function with the library's
            Lambda defaults; ``in_vpc=True`` puts it in the platform's private subnets) or
            ``WorkerConsumer.container(image, ...)`` (a Fargate queue processor for
            long-running work, in the platform's cluster unless given one).
        topic: the topic to subscribe to. Default: a new topic, encrypted and HTTPS-only.
        filter_policy: SNS subscription filter (attribute name -> ``sns.SubscriptionFilter``);
            at most 5 attributes and 150 combinations of values (SNS's limits).
            Default: every message.
        raw_message_delivery: deliver the message body without the SNS envelope.
            Default: False.
        fifo: a FIFO queue (required for a FIFO topic). Default: whatever the topic is.
        batch_size: records per Lambda invocation, 1..10000 (FIFO: 1..10). Default: 10.
        max_batching_window: wait for a fuller batch, at most 5 minutes; required for a batch
            size above 10. Default: none.
        max_concurrency: concurrent invocations the event source may use, 2..1000.
            Default: unlimited.
        max_receive_count: receives before a message goes to the DLQ, 1..1000. Default: 5.
        visibility_timeout: at least 6x the consumer's timeout, at most 12 hours.
            Default: 6x the consumer's timeout plus the batching window.
        retention_period: how long the queue keeps messages, 60 seconds to 14 days. Default:
            4 days (DLQ: 14 days).
        oldest_message_age_alarm_threshold: alarm when the oldest message
            (``metric_oldest_message_age``) is older, at least 1 minute and less than the
            retention period (or it could never fire). Default: 5 minutes.
        queue_overrides: other ``sqs.Queue`` props of the queue (e.g. ``delivery_delay``);
            encryption, TLS, the DLQ, FIFO and the visibility timeout are owned by the
            construct and rejected. Default: none.
        platform: the :class:`IPlatformEnvironment` (key, alarm topic, cluster). Default: the
            app's platform environment, if any; standalone otherwise (a key of its own).

    Attributes:
        topic, queue, dead_letter_queue, key, subscription: the messaging resources.
        consumer: the function the event source invokes, or ``None`` for a container.
        event_source: the SQS event source of a function consumer.
        processor: the Fargate service of a container consumer, else ``None``.
        alarms: DLQ not empty, oldest message too old, consumer errors.
    """

    @check_prop_types
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        consumer: FunctionConsumer | CodeConsumer | ContainerConsumer,
        topic: sns.ITopic | None = None,
        filter_policy: Mapping[str, sns.SubscriptionFilter] | None = None,
        raw_message_delivery: bool = False,
        fifo: bool | None = None,
        batch_size: int = 10,
        max_batching_window: cdk.Duration | None = None,
        max_concurrency: int | None = None,
        max_receive_count: int = 5,
        visibility_timeout: cdk.Duration | None = None,
        retention_period: cdk.Duration | None = None,
        oldest_message_age_alarm_threshold: cdk.Duration | None = None,
        queue_overrides: Mapping[str, Any] | None = None,
        platform: IPlatformEnvironment | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        owner = f"DecoupledWorker '{construct_id}'"
        # validate
        function_settings: FunctionSettings | None = None
        consumer_timeout: cdk.Duration | None
        if isinstance(consumer, CodeConsumer):
            function_settings = FunctionSettings(
                code=consumer.code,
                handler=consumer.handler,
                service_name=consumer.service_name or construct_id,
                memory_size=consumer.memory_size,
                timeout=consumer.timeout,
                environment=consumer.environment,
                in_vpc=consumer.in_vpc,
                overrides=consumer.checked_overrides(owner, "consumer"),
            )
            consumer_timeout = consumer.timeout
        elif isinstance(consumer, ContainerConsumer):
            consumer.check(owner, "consumer")
            consumer_timeout = consumer.visibility_timeout
        else:
            consumer_timeout = consumer.timeout
        is_fifo = self._check_fifo(owner, topic, fifo)
        self._check_batching(owner, batch_size, max_batching_window, max_concurrency, is_fifo)
        check_int_range(owner, "max_receive_count", max_receive_count, 1, 1000)
        extra_queue_props = merge_overrides(
            owner,
            "queue_overrides",
            sqs.Queue.__init__,
            {},
            queue_overrides,
            _PROTECTED_QUEUE_PROPS,
        )
        visibility = self._visibility(
            owner, visibility_timeout, consumer_timeout, max_batching_window
        )
        age_threshold = oldest_message_age_alarm_threshold or cdk.Duration.minutes(5)
        if age_threshold.to_seconds() < 60:
            raise InvalidPropError(
                owner,
                "oldest_message_age_alarm_threshold",
                age_threshold.to_human_string(),
                "allowed: >= 1 minute",
            )
        retention = retention_period or cdk.Duration.days(4)
        self._check_retention(owner, retention, age_threshold)
        self._check_filter_policy(owner, filter_policy)

        # resolve defaults
        env = resolve_platform(self, platform)
        cluster: ecs.ICluster | None = None
        if isinstance(consumer, CodeConsumer):
            check_in_vpc(owner, consumer.in_vpc, env, "consumer.in_vpc")
        elif isinstance(consumer, ContainerConsumer):
            cluster = consumer.cluster
            if cluster is None and not is_standalone(env):
                vpc_with_egress(env, owner, "platform", "its tasks pull the image and ship logs")
                cluster = env.cluster
            if cluster is None:
                raise InvalidPropError(
                    owner,
                    "consumer.cluster",
                    None,
                    "allowed: an ECS cluster (or a PlatformEnvironment) for a container consumer",
                )
        else:
            warn_if_canary_bypassed(self, "consumer", consumer.function)

        # create children
        self.key: kms.IKey = env.key if env.key is not None else self._build_key(env)
        self.topic: sns.ITopic = topic or sns.Topic(
            self,
            "Topic",
            master_key=self.key,
            enforce_ssl=True,
            fifo=is_fifo or None,
            content_based_deduplication=True if is_fifo else None,
        )
        self.dead_letter_queue = self._build_queue(
            "DeadLetterQueue",
            env,
            fifo=is_fifo,
            retention_period=cdk.Duration.days(14),
            redrive_allow_policy=sqs.RedriveAllowPolicy(
                redrive_permission=sqs.RedrivePermission.ALLOW_ALL
            ),
        )
        acknowledge(
            self.dead_letter_queue,
            "Serverless-SQSRedrivePolicy",
            "This is the worker's dead-letter queue, the end of the redrive chain: messages are "
            "kept 14 days, an alarm fires when it is not empty, and operators redrive it "
            "(RedriveAllowPolicy allowAll).",
        )
        self.queue = self._build_queue(
            "Queue",
            env,
            fifo=is_fifo,
            retention_period=retention,
            visibility_timeout=visibility,
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=max_receive_count, queue=self.dead_letter_queue
            ),
            **extra_queue_props,
        )

        # wire
        self.subscription = self._subscribe(filter_policy, raw_message_delivery)
        self.consumer: lambda_.IFunction | None = None
        self.event_source: event_sources.SqsEventSource | None = None
        self.processor: ecs.FargateService | None = None
        if isinstance(consumer, ContainerConsumer) and cluster is not None:
            self.processor = self._build_processor(consumer, cluster, env)
        else:
            function: lambda_.IFunction
            if isinstance(consumer, FunctionConsumer):
                function = consumer.target
            else:
                assert function_settings is not None  # a CodeConsumer, validated above
                function, _ = create_function(
                    self,
                    "Consumer",
                    function_settings,
                    platform=env,
                    dead_letter_waiver=DeadLetterWaiver.SQS_EVENT_SOURCE,
                    environment_key=self.key,
                )
            self.consumer = function
            self.event_source = event_sources.SqsEventSource(
                self.queue,
                batch_size=batch_size,
                max_batching_window=max_batching_window,
                max_concurrency=max_concurrency,
                report_batch_item_failures=True,
            )
            function.add_event_source(self.event_source)
            self._acknowledge_event_source(function)

        # expose
        self.alarms: list[cloudwatch.IAlarm] = self._build_alarms(age_threshold, env)
        env.apply_tags(self)

    # ------------------------------------------------------------------ public

    @check_prop_types
    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` publish to the topic and use its key for exactly that.

        Narrower than ``ITopic.grant_publish``, which also grants ``kms:ReEncrypt*`` and
        ``kms:GenerateDataKey*`` wildcards.
        """
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=["sns:Publish"], resource_arns=[self.topic.topic_arn]
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resource_arns=[self.key.key_arn],
        )
        return grant

    def metric_queue_depth(self, **props: Any) -> cloudwatch.Metric:
        """Visible messages in the queue (Maximum per minute unless overridden)."""
        return self.queue.metric_approximate_number_of_messages_visible(
            **{"period": PERIOD, "statistic": "Maximum", **props}
        )

    def metric_oldest_message_age(self, **props: Any) -> cloudwatch.Metric:
        """Age of the oldest message in seconds (Maximum per minute unless overridden)."""
        return self.queue.metric_approximate_age_of_oldest_message(
            **{"period": PERIOD, "statistic": "Maximum", **props}
        )

    def metric_messages_in_flight(self, **props: Any) -> cloudwatch.Metric:
        """Messages received but not yet deleted (Maximum per minute unless overridden)."""
        return self.queue.metric_approximate_number_of_messages_not_visible(
            **{"period": PERIOD, "statistic": "Maximum", **props}
        )

    def metric_dead_letter_depth(self, **props: Any) -> cloudwatch.Metric:
        """Visible messages in the dead-letter queue (Maximum per minute unless overridden)."""
        return self.dead_letter_queue.metric_approximate_number_of_messages_visible(
            **{"period": PERIOD, "statistic": "Maximum", **props}
        )

    def metric_consumer_invocations(self, **props: Any) -> cloudwatch.Metric | None:
        """Invocations of a function consumer (Sum per minute); ``None`` for a container."""
        if self.consumer is None:
            return None
        return self.consumer.metric_invocations(**{"period": PERIOD, "statistic": "Sum", **props})

    def metric_consumer_errors(self, **props: Any) -> cloudwatch.Metric | None:
        """Errors of a function consumer (Sum per minute); ``None`` for a container."""
        if self.consumer is None:
            return None
        return self.consumer.metric_errors(**{"period": PERIOD, "statistic": "Sum", **props})

    # -------------------------------------------------------------- monitoring

    @property
    def dashboard_title(self) -> str:
        """``Worker <id>``."""
        return f"Worker {self.node.id}"

    def dashboard_graphs(self, period: cdk.Duration = PERIOD) -> list[MetricGraph]:
        """Queue depth and in-flight, oldest message age, DLQ depth, consumer activity."""
        graphs = [
            MetricGraph(
                "Queue depth",
                [self.metric_queue_depth(period=period)],
                [self.metric_messages_in_flight(period=period)],
            ),
            MetricGraph(
                "Age of oldest message (s)", [self.metric_oldest_message_age(period=period)]
            ),
            MetricGraph("Dead-letter queue depth", [self.metric_dead_letter_depth(period=period)]),
        ]
        invocations = self.metric_consumer_invocations(period=period)
        errors = self.metric_consumer_errors(period=period)
        if invocations is not None and errors is not None:
            graphs.append(MetricGraph("Consumer invocations / errors", [invocations], [errors]))
        return graphs

    # -------------------------------------------------------------- validation

    @staticmethod
    def _check_fifo(owner: str, topic: sns.ITopic | None, fifo: bool | None) -> bool:
        topic_fifo = bool(topic.fifo) if topic is not None else None
        if topic_fifo is not None and fifo is not None and topic_fifo != fifo:
            raise InvalidPropError(
                owner,
                "fifo",
                fifo,
                f"allowed: {topic_fifo} — a {'FIFO' if topic_fifo else 'standard'} topic needs a "
                f"{'FIFO' if topic_fifo else 'standard'} queue",
            )
        return bool(fifo if fifo is not None else topic_fifo)

    @staticmethod
    def _check_batching(
        owner: str,
        batch_size: int,
        window: cdk.Duration | None,
        max_concurrency: int | None,
        fifo: bool,
    ) -> None:
        check_int_range(owner, "batch_size", batch_size, 1, 10 if fifo else 10_000)
        if batch_size > 10 and window is None:
            raise InvalidPropError(
                owner,
                "batch_size",
                batch_size,
                "allowed: at most 10 without max_batching_window (set a batching window)",
            )
        if window is not None and not 0 <= window.to_seconds() <= 300:
            raise InvalidPropError(
                owner, "max_batching_window", window.to_human_string(), "allowed: 0 to 5 minutes"
            )
        check_int_range(owner, "max_concurrency", max_concurrency, 2, 1000)

    @staticmethod
    def _visibility(
        owner: str,
        given: cdk.Duration | None,
        consumer_timeout: cdk.Duration | None,
        window: cdk.Duration | None,
    ) -> cdk.Duration:
        if consumer_timeout is None:
            if given is None:
                raise InvalidPropError(
                    owner,
                    "visibility_timeout",
                    None,
                    "allowed: a duration; required when the consumer's timeout cannot be read "
                    "(an imported function)",
                )
            minimum_s = 0
        else:
            minimum_s = int(consumer_timeout.to_seconds()) * VISIBILITY_FACTOR
        if given is None:
            window_s = int(window.to_seconds()) if window is not None else 0
            return cdk.Duration.seconds(min(minimum_s + window_s, _MAX_VISIBILITY_S))
        seconds = given.to_seconds()
        if seconds < minimum_s or seconds > _MAX_VISIBILITY_S:
            raise InvalidPropError(
                owner,
                "visibility_timeout",
                given.to_human_string(),
                f"allowed: at least {VISIBILITY_FACTOR}x the consumer's timeout ({minimum_s} "
                f"seconds) and at most 12 hours",
            )
        return given

    # ---------------------------------------------------------------- builders

    def _build_key(self, env: IPlatformEnvironment) -> kms.Key:
        key = kms.Key(
            self,
            "Key",
            description=f"{self.node.path}: topic and queue encryption",
            enable_key_rotation=True,
            removal_policy=env.profile.removal_policy,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowSnsDeliveryToEncryptedQueues",
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
            )
        )
        deny_direct_grants(key)
        return key

    def _build_queue(
        self, construct_id: str, env: IPlatformEnvironment, *, fifo: bool, **props: Any
    ) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            construct_id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            data_key_reuse=cdk.Duration.hours(1),
            enforce_ssl=True,
            fifo=fifo or None,
            removal_policy=env.profile.removal_policy,
            **props,
        )
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="QueueOwnerOnlyAccess",
                principals=[iam.AccountRootPrincipal()],
                actions=_QUEUE_OWNER_ACTIONS,
                resources=[queue.queue_arn],
            )
        )
        return queue

    @staticmethod
    def _check_retention(owner: str, retention: cdk.Duration, age: cdk.Duration) -> None:
        seconds = retention.to_seconds()
        if not _MIN_RETENTION_S <= seconds <= _MAX_RETENTION_S:
            raise InvalidPropError(
                owner,
                "retention_period",
                retention.to_human_string(),
                "allowed: 60 seconds to 14 days (what SQS keeps a message)",
            )
        if age.to_seconds() >= seconds:
            raise InvalidPropError(
                owner,
                "oldest_message_age_alarm_threshold",
                age.to_human_string(),
                f"allowed: less than retention_period ({retention.to_human_string()}): SQS "
                "deletes a message before it is that old, so the alarm could never fire",
            )

    @staticmethod
    def _check_filter_policy(
        owner: str, filter_policy: Mapping[str, sns.SubscriptionFilter] | None
    ) -> None:
        if not filter_policy:
            return
        if len(filter_policy) > _MAX_FILTER_KEYS:
            raise InvalidPropError(
                owner,
                "filter_policy",
                sorted(filter_policy),
                f"allowed: at most {_MAX_FILTER_KEYS} attribute names (SNS's limit per policy)",
            )
        combinations = 1
        for name, condition in filter_policy.items():
            values = len(condition.conditions)
            if values == 0:
                raise InvalidPropError(
                    owner,
                    f"filter_policy[{name!r}]",
                    "no conditions",
                    "allowed: a SubscriptionFilter with at least one condition",
                )
            combinations *= values
        if combinations > _MAX_FILTER_COMBINATIONS:
            raise InvalidPropError(
                owner,
                "filter_policy",
                f"{combinations} combinations of values",
                f"allowed: at most {_MAX_FILTER_COMBINATIONS} (SNS multiplies the number of "
                "values of every attribute; its limit per policy)",
            )

    def _subscribe(
        self, filter_policy: Mapping[str, sns.SubscriptionFilter] | None, raw: bool
    ) -> sns.Subscription:
        # An explicit queue-policy statement instead of SqsSubscription: with a shared key the
        # latter writes the topic into the key policy and creates a dependency cycle.
        self.queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowTopicDelivery",
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": self.topic.topic_arn}},
            )
        )
        # Deliveries SNS cannot make (the queue or its key refusing them) go to the worker's DLQ
        # instead of being lost: it is encrypted with a key SNS may use, alarmed on, and
        # redriving it sends them to the queue they missed. aws-cdk-lib lets SNS send to it for
        # this topic only (a queue-policy statement conditioned on the topic's ARN).
        subscription = sns.Subscription(
            self,
            "Subscription",
            topic=self.topic,
            endpoint=self.queue.queue_arn,
            protocol=sns.SubscriptionProtocol.SQS,
            filter_policy=dict(filter_policy) if filter_policy else None,
            raw_message_delivery=raw,
            dead_letter_queue=self.dead_letter_queue,
        )
        # deliveries must not start before SNS may send to both queues
        for queue in (self.queue, self.dead_letter_queue):
            policy = queue.node.try_find_child("Policy")
            if policy is not None:
                subscription.node.add_dependency(policy)
        return subscription

    def _acknowledge_event_source(self, function: lambda_.IFunction) -> None:
        # the mapping aws-cdk-lib's SqsEventSource adds beside the function (or alias)
        mapping = function.node.find_child(
            f"SqsEventSource:{cdk.Names.node_unique_id(self.queue.node)}"
        )
        acknowledge(
            mapping,
            "Serverless-LambdaEventSourceMappingDestination",
            "On-failure destinations exist for stream and Kafka sources only. For this SQS "
            "source, messages the consumer fails on return to the queue and, after "
            "max_receive_count receives, move to the worker's dead-letter queue (alarmed on).",
        )

    def _build_processor(
        self, container: ContainerConsumer, cluster: ecs.ICluster, env: IPlatformEnvironment
    ) -> ecs.FargateService:
        log_group = create_log_group(self, "ProcessorLogs", platform=env)
        task, _ = build_task(
            self,
            "ProcessorTask",
            "Processor",
            ContainerSpec(
                image=container.image,
                cpu=container.cpu,
                memory_limit_mib=container.memory_limit_mib,
                stream_prefix="processor",
                environment={"QUEUE_URL": self.queue.queue_url, **container.environment},
                secrets=dict(container.secrets),
                writable_tmp=False,
            ),
            log_group,
        )
        self.queue.grant_consume_messages(task.task_role)
        service = build_fargate_service(
            self,
            "Processor",
            cluster=cluster,
            task_definition=task,
            desired_count=container.min_capacity,
            min_healthy_percent=100,
        )
        scaling = service.auto_scale_task_count(
            min_capacity=container.min_capacity, max_capacity=container.max_capacity
        )
        scaling.scale_on_metric(
            "QueueDepth",
            metric=self.metric_queue_depth(),
            scaling_steps=[
                appscaling.ScalingInterval(upper=0, change=-1),
                appscaling.ScalingInterval(lower=1, change=+1),
                appscaling.ScalingInterval(lower=100, change=+3),
            ],
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=cdk.Duration.minutes(2),
        )
        return service

    def _build_alarms(
        self, age_threshold: cdk.Duration, env: IPlatformEnvironment
    ) -> list[cloudwatch.IAlarm]:
        alarms: list[cloudwatch.IAlarm] = [
            create_alarm(
                self,
                "DeadLetterQueueNotEmpty",
                metric=self.metric_dead_letter_depth(),
                threshold=1,
                description="Messages in the dead-letter queue",
                platform=env,
            ),
            create_alarm(
                self,
                "OldestMessageTooOld",
                metric=self.metric_oldest_message_age(),
                threshold=age_threshold.to_seconds(),
                evaluation_periods=3,
                datapoints_to_alarm=3,
                description=f"Oldest message older than {age_threshold.to_human_string()}",
                platform=env,
            ),
        ]
        consumer_errors = self.metric_consumer_errors()
        if consumer_errors is not None:
            alarms.append(
                create_alarm(
                    self,
                    "ConsumerErrors",
                    metric=consumer_errors,
                    threshold=1,
                    description="Consumer function errors",
                    platform=env,
                )
            )
        return alarms
