"""The cost of a million requests on each API route and of a million messages on each worker.

Read from the template alone: a route's integration (a Lambda alias or function, an SQS queue,
an SNS topic, a private service), the stage's tracing and logging, a web ACL on the stage; a
worker's path is topic -> subscription -> queue -> event source mapping -> function.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._assembly import AssemblyStack, refs
from ._model import Assumptions, PathCost, RequestLine, usd
from ._prices import RegionPrices

__all__ = ["price_paths"]

MILLION = 1_000_000
#: The hash CDK appends to a logical ID.
_HASHED = re.compile(r"[0-9A-F]{8}$")
#: Bytes written to CloudWatch Logs per request, assumed: an access log line and the execution
#: log of a request at INFO (ERROR logs only failures).
ACCESS_LOG_KB = 0.5
EXECUTION_LOG_KB = {"INFO": 2.0}
#: SQS's default batch size for a Lambda event source mapping.
DEFAULT_BATCH_SIZE = 10
#: SQS's default data key reuse period (seconds).
DEFAULT_KEY_REUSE_SECONDS = 300


@dataclass(frozen=True)
class _Context:
    stack: AssemblyStack
    prices: RegionPrices
    assumptions: Assumptions

    def resource(self, logical_id: str) -> Mapping[str, Any]:
        return self.stack.resources.get(logical_id) or {}

    def props(self, logical_id: str) -> Mapping[str, Any]:
        return self.resource(logical_id).get("Properties") or {}

    def of_type(self, kind: str) -> list[str]:
        return [lid for lid, r in self.stack.resources.items() if r.get("Type") == kind]

    def first(self, value: Any, *kinds: str) -> str | None:
        """The first logical ID ``value`` refers to whose type is one of ``kinds``."""
        return next((lid for lid in refs(value) if self.resource(lid).get("Type") in kinds), None)

    def construct_path(self, logical_id: str) -> str:
        """``FulfilmentQueue`` for ``FulfilmentQueue26A1FA60``: the logical ID without CDK's hash.

        The same with or without path metadata in the template (``cdk synth`` writes it, an
        in-process synthesis does not); the whole logical ID when two would read the same.
        """
        short = _HASHED.sub("", logical_id) or logical_id
        twins = [lid for lid in self.stack.resources if _HASHED.sub("", lid) == short]
        return short if twins == [logical_id] else logical_id


def price_paths(
    stack: AssemblyStack, prices: RegionPrices, assumptions: Assumptions
) -> list[PathCost]:
    """Every API route of ``stack``, then every SQS event source mapping, per million."""
    context = _Context(stack=stack, prices=prices, assumptions=assumptions)
    routes = [_route(context, lid) for lid in context.of_type("AWS::ApiGateway::Method")]
    workers = [
        path
        for lid in context.of_type("AWS::Lambda::EventSourceMapping")
        if (path := _worker(context, lid)) is not None
    ]
    return sorted(routes, key=lambda p: p.name) + sorted(workers, key=lambda p: p.name)


# --- routes -------------------------------------------------------------------------------


def _resource_path(context: _Context, resource_id: Any) -> str:
    parts: list[str] = []
    current = next(iter(refs(resource_id)), None)
    seen: set[str] = set()
    while current is not None and current not in seen:
        seen.add(current)
        resource = context.resource(current)
        if resource.get("Type") != "AWS::ApiGateway::Resource":
            break  # the API's root (Fn::GetAtt RestApi.RootResourceId)
        props = resource.get("Properties") or {}
        parts.append(str(props.get("PathPart", "?")))
        current = next(iter(refs(props.get("ParentId"))), None)
    return "/" + "/".join(reversed(parts))


def _route(context: _Context, method_id: str) -> PathCost:
    props = context.props(method_id)
    name = f"{props.get('HttpMethod', '?')} {_resource_path(context, props.get('ResourceId'))}"
    api_price = context.prices["apigateway_rest_million_requests"]
    lines = [RequestLine("API Gateway REST request", api_price, f"1 request x {usd(api_price)}/M")]
    notes: list[str] = []
    api_id = next(iter(refs(props.get("RestApiId"))), None)
    stage_id = _stage_of(context, api_id)
    if stage_id is not None:
        lines += _stage_lines(context, stage_id)
    integration = props.get("Integration") or {}
    traced = stage_id is not None and context.props(stage_id).get("TracingEnabled") is True
    lines_, notes_ = _integration(context, name, integration, traced=traced)
    lines += lines_
    notes += notes_
    return PathCost(
        kind="route", name=name, logical_id=method_id, lines=tuple(lines), notes=tuple(notes)
    )


def _stage_of(context: _Context, api_id: str | None) -> str | None:
    if api_id is None:
        return None
    return next(
        (
            lid
            for lid in context.of_type("AWS::ApiGateway::Stage")
            if api_id in refs(context.props(lid).get("RestApiId"))
        ),
        None,
    )


def _stage_lines(context: _Context, stage_id: str) -> list[RequestLine]:
    stage = context.props(stage_id)
    lines: list[RequestLine] = []
    sampling = context.assumptions.xray_sampling
    trace = context.prices["xray_million_traces"]
    if stage.get("TracingEnabled") is True:
        lines.append(
            RequestLine(
                "X-Ray trace",
                sampling * trace,
                f"{sampling:.0%} sampled x {usd(trace)}/M traces (downstream segments join "
                "the same trace)",
            )
        )
    kilobytes = ACCESS_LOG_KB if stage.get("AccessLogSetting") else 0.0
    levels = {
        str(setting.get("LoggingLevel", "OFF"))
        for setting in stage.get("MethodSettings") or []
        if isinstance(setting, dict)
    }
    execution = max((EXECUTION_LOG_KB.get(level, 0.0) for level in levels), default=0.0)
    if kilobytes or execution:
        ingest = context.prices["logs_ingestion_gb"]
        total = kilobytes + execution
        lines.append(
            RequestLine(
                "CloudWatch Logs ingestion (API logs)",
                total * MILLION / 1024**2 * ingest,
                f"{total:g} KB a request assumed (access log {kilobytes:g} KB, execution log "
                f"{execution:g} KB) x {usd(ingest)}/GB",
            )
        )
    for acl in context.of_type("AWS::WAFv2::WebACLAssociation"):
        if stage_id in refs(context.props(acl).get("ResourceArn")):
            price = context.prices["waf_million_requests"]
            lines.append(RequestLine("WAF inspection", price, f"1 request x {usd(price)}/M"))
            break
    return lines


def _integration(
    context: _Context, route: str, integration: Mapping[str, Any], *, traced: bool
) -> tuple[list[RequestLine], list[str]]:
    """The integration's part; ``traced``: the stage already records the request's trace."""
    kind = integration.get("Type", "MOCK")
    uri = " ".join(_strings(integration.get("Uri")))
    if kind in ("AWS_PROXY", "AWS") and ":lambda:path" in uri:
        function = _function_of(context, integration.get("Uri"))
        if function is None:
            return [], ["the integrated function is not in this template: Lambda not counted"]
        lines, notes = _lambda_lines(
            context,
            function,
            invocations=1.0,
            duration_ms=context.assumptions.duration_for(route),
            traced_upstream=traced,
        )
        notes.append(
            f"Lambda: {context.assumptions.duration_for(route):g} ms assumed "
            f"(--assume '{route}=MS'); what the function itself calls is not counted"
        )
        return lines, notes
    if kind == "AWS" and ":sqs:" in uri:
        queue = context.first(integration, "AWS::SQS::Queue")
        if queue is None:
            return [], ["the integrated queue is not in this template: SQS not counted"]
        return _queue_lines(context, queue, fed_by_topic=None)
    if kind == "AWS" and ":sns:" in uri:
        topic = context.first(integration, "AWS::SNS::Topic")
        if topic is None:
            return [], ["the integrated topic is not in this template: SNS not counted"]
        return _topic_lines(context, topic)
    if kind in ("HTTP", "HTTP_PROXY"):
        target = (
            "a private service"
            if integration.get("ConnectionType") == "VPC_LINK"
            else "an HTTP endpoint"
        )
        return [], [
            f"the target is {target}: its load balancer and tasks are fixed costs (see the "
            "stack's monthly figures); the capacity units a request uses are not counted"
        ]
    if kind == "MOCK":
        return [], ["a mock integration: nothing behind the API"]
    return [], [f"a {kind} integration to {uri or 'an unknown target'}: not priced"]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


def _function_of(context: _Context, value: Any) -> str | None:
    """The ``AWS::Lambda::Function`` behind ``value`` (through an alias or a version)."""
    kinds = ("AWS::Lambda::Function", "AWS::Lambda::Alias", "AWS::Lambda::Version")
    target = context.first(value, *kinds)
    for _ in range(3):
        if target is None or context.resource(target).get("Type") == "AWS::Lambda::Function":
            return target
        target = context.first(context.props(target).get("FunctionName"), *kinds)
    return None


def _lambda_lines(
    context: _Context,
    function: str,
    *,
    invocations: float,
    duration_ms: float,
    traced_upstream: bool = False,
) -> tuple[list[RequestLine], list[str]]:
    """``invocations`` per request of ``function`` (1/batch size for a queue's consumer).

    Its X-Ray traces count unless ``traced_upstream`` (the API stage traces the request: the
    function's segments join that trace).
    """
    props = context.props(function)
    memory = props.get("MemorySize", 128)
    memory_mb = memory if isinstance(memory, int) else 128
    arm = "arm64" in (props.get("Architectures") or [])
    gb_second = context.prices["lambda_arm_gb_second" if arm else "lambda_x86_gb_second"]
    request = context.prices["lambda_million_requests"]
    per = f"1/{1 / invocations:g} " if invocations != 1 else "1 "
    lines = [
        RequestLine(
            "Lambda invocation", invocations * request, f"{per}invocation x {usd(request)}/M"
        ),
        RequestLine(
            "Lambda duration",
            invocations * MILLION * duration_ms / 1000 * memory_mb / 1024 * gb_second,
            f"{per}invocation x {duration_ms:g} ms x {memory_mb} MB x {usd(gb_second)}/GB-s "
            f"({'arm64' if arm else 'x86_64'})",
        ),
    ]
    notes: list[str] = []
    tracing = (props.get("TracingConfig") or {}).get("Mode") == "Active"
    if tracing and not traced_upstream:
        sampling = context.assumptions.xray_sampling
        trace = context.prices["xray_million_traces"]
        lines.append(
            RequestLine(
                "X-Ray trace (function)" if invocations == 1 else "X-Ray trace (consumer)",
                invocations * sampling * trace,
                f"{per}invocation x {sampling:.0%} sampled x {usd(trace)}/M",
            )
        )
    if memory != memory_mb:
        notes.append("the function's memory is resolved at deploy time: 128 MB assumed")
    return lines, notes


def _sqs_price(context: _Context, queue: str) -> tuple[float, str]:
    fifo = context.props(queue).get("FifoQueue") is True
    key = "sqs_fifo_million_requests" if fifo else "sqs_standard_million_requests"
    return context.prices[key], "FIFO" if fifo else "standard"


def _queue_lines(
    context: _Context, queue: str, *, fed_by_topic: str | None
) -> tuple[list[RequestLine], list[str]]:
    """One message sent to ``queue``, then received and deleted by its consumer, if any."""
    price, flavour = _sqs_price(context, queue)
    sender = f"SNS delivery from {fed_by_topic}" if fed_by_topic else "the API"
    lines = [
        RequestLine(
            "SQS SendMessage",
            price,
            f"1 request ({sender}) x {usd(price)}/M, {flavour} queue, messages up to 64 KB",
        )
    ]
    notes = _queue_key_note(context, queue)
    mapping = _mapping_of(context, queue)
    if mapping is None:
        notes.append(f"no consumer of {context.construct_path(queue)} in this template")
        return lines, notes
    worker_lines, worker_notes = _consumer_lines(context, mapping, queue)
    return lines + worker_lines, notes + worker_notes


def _queue_key_note(context: _Context, queue: str) -> list[str]:
    props = context.props(queue)
    key = props.get("KmsMasterKeyId")
    if key is None or key == "alias/aws/sqs":
        return []
    reuse = props.get("KmsDataKeyReusePeriodSeconds", DEFAULT_KEY_REUSE_SECONDS)
    if not isinstance(reuse, int):
        return ["the queue's KMS data key reuse period is resolved at deploy time"]
    calls = 2 * context.assumptions.hours_per_month * 3600 / reuse
    kms = context.prices["kms_million_requests"]
    return [
        f"KMS (customer key on {context.construct_path(queue)}): data keys are reused for "
        f"{reuse} s, so at most ~{calls:,.0f} requests a month for one sender and one receiver "
        f"(~{usd(round(calls * kms / MILLION, 4))}), whatever the volume: not counted per message"
    ]


def _mapping_of(context: _Context, queue: str) -> str | None:
    return next(
        (
            lid
            for lid in context.of_type("AWS::Lambda::EventSourceMapping")
            if queue in refs(context.props(lid).get("EventSourceArn"))
        ),
        None,
    )


def _consumer_lines(
    context: _Context, mapping: str, queue: str
) -> tuple[list[RequestLine], list[str]]:
    props = context.props(mapping)
    batch = props.get("BatchSize", DEFAULT_BATCH_SIZE)
    batch = batch if isinstance(batch, int) and batch > 0 else DEFAULT_BATCH_SIZE
    per_batch = 1 / (batch * context.assumptions.sqs_batch_fill)
    price, _ = _sqs_price(context, queue)
    name = context.construct_path(queue)
    lines = [
        RequestLine(
            "SQS ReceiveMessage + DeleteMessageBatch",
            2 * per_batch * price,
            f"2 requests per batch of {batch} x {usd(price)}/M",
        )
    ]
    function = _function_of(context, props.get("FunctionName"))
    if function is None:
        return lines, [f"the consumer of {name} is not in this template: Lambda not counted"]
    duration = context.assumptions.duration_for(name)
    lambda_lines, notes = _lambda_lines(
        context, function, invocations=per_batch, duration_ms=duration
    )
    notes.append(
        f"consumer of {name}: batches of {batch} assumed full, {duration:g} ms per batch "
        f"(--assume '{name}=MS')"
    )
    return lines + lambda_lines, notes


def _topic_lines(context: _Context, topic: str) -> tuple[list[RequestLine], list[str]]:
    price = context.prices["sns_million_publishes"]
    name = context.construct_path(topic)
    lines = [
        RequestLine("SNS Publish", price, f"1 publish to {name} x {usd(price)}/M, up to 64 KB")
    ]
    notes: list[str] = []
    if context.props(topic).get("KmsMasterKeyId") is not None:
        notes.append(
            f"{name} is encrypted: SNS requests data keys from KMS (cached for a while), not "
            "counted per message"
        )
    for subscription in context.of_type("AWS::SNS::Subscription"):
        props = context.props(subscription)
        if topic not in refs(props.get("TopicArn")) or props.get("Protocol") != "sqs":
            continue
        queue = context.first(props.get("Endpoint"), "AWS::SQS::Queue")
        if queue is None:
            continue
        queue_lines, queue_notes = _queue_lines(context, queue, fed_by_topic=name)
        lines += queue_lines
        notes += queue_notes
        if props.get("FilterPolicy"):
            target = context.construct_path(queue)
            notes.append(f"every message assumed to pass the filter policy to {target}")
    return lines, notes


# --- workers ------------------------------------------------------------------------------


def _worker(context: _Context, mapping: str) -> PathCost | None:
    """A million messages on the queue behind ``mapping``, from the topic(s) feeding it."""
    queue = context.first(context.props(mapping).get("EventSourceArn"), "AWS::SQS::Queue")
    if queue is None:
        return None  # a stream or an imported queue: not a worker path read from here
    topics = [
        context.first(context.props(s).get("TopicArn"), "AWS::SNS::Topic")
        for s in context.of_type("AWS::SNS::Subscription")
        if queue in refs(context.props(s).get("Endpoint"))
    ]
    topic = next((t for t in topics if t is not None), None)
    lines: list[RequestLine] = []
    notes: list[str] = []
    if topic is not None and context.props(topic).get("KmsMasterKeyId") is not None:
        notes.append(
            f"{context.construct_path(topic)} is encrypted: SNS requests data keys from KMS "
            "(cached for a while), not counted per message"
        )
    if topic is not None:
        price = context.prices["sns_million_publishes"]
        lines.append(
            RequestLine(
                "SNS Publish",
                price,
                f"1 publish to {context.construct_path(topic)} x {usd(price)}/M, up to 64 KB "
                "(delivery to SQS is free)",
            )
        )
    else:
        notes.append("messages are sent to the queue directly (no topic in this template)")
    queue_lines, queue_notes = _queue_lines(
        context, queue, fed_by_topic=None if topic is None else context.construct_path(topic)
    )
    return PathCost(
        kind="messages",
        name=context.construct_path(queue),
        logical_id=mapping,
        lines=tuple(lines + queue_lines),
        notes=tuple(notes + queue_notes),
    )
