"""What the cost command computes: plain dataclasses, rendered at the edge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = [
    "Assumptions",
    "CostInputError",
    "CostItem",
    "CostReport",
    "PathCost",
    "RequestLine",
    "StackCost",
    "Unpriced",
    "UsagePriced",
    "usd",
]


class CostInputError(ValueError):
    """Unusable input: not a cloud assembly, no region, an unreadable price table, ..."""


def usd(value: float) -> str:
    """``$0.048``, ``$5.00``, ``$0.0000133334``: a price as written, at least two decimals."""
    text = f"{value:.10f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


#: Reserved ``--assume`` keys; any other key names a route (``POST /orders``) or a message path.
ASSUMPTION_KEYS = {
    "duration": "Lambda duration in ms per invocation, for every route and message path",
    "lcu": "capacity units each load balancer is assumed to use at idle (a stated minimum)",
    "sampling": "share of requests X-Ray records as traces (0-1)",
    "logs": "GB ingested a month into each log group",
    "runs": "pipeline runs a month",
}


@dataclass(frozen=True)
class Assumptions:
    """The figures the estimate assumes; each is printed beside the result.

    Attributes:
        hours_per_month: hours in a month. Default: 730 (AWS's pricing pages).
        lcu_minimum: capacity units a load balancer uses at idle. Default: 1.
        duration_ms: Lambda duration per invocation. Default: 100 ms.
        durations_ms: duration per route (``POST /orders``) or message path. Default: none.
        xray_sampling: share of requests recorded as traces. Default: 0.05 (X-Ray's default
            rule records the first request each second and 5% of the rest).
        log_gb_per_group: GB ingested a month into each log group. Default: 0 (idle).
        pipeline_runs: pipeline runs a month. Default: 0 (idle).
        action_minutes: minutes an action of a pipeline run takes. Default: 2.
        sqs_batch_fill: share of a batch an event source mapping receives. Default: 1 (full
            batches: at low traffic batches are smaller and cost more per message).
    """

    hours_per_month: float = 730.0
    lcu_minimum: float = 1.0
    duration_ms: float = 100.0
    durations_ms: Mapping[str, float] = field(default_factory=dict)
    xray_sampling: float = 0.05
    log_gb_per_group: float = 0.0
    pipeline_runs: float = 0.0
    action_minutes: float = 2.0
    sqs_batch_fill: float = 1.0

    @classmethod
    def parse(cls, pairs: list[str] | tuple[str, ...]) -> Assumptions:
        """``["POST /orders=120", "lcu=0", ...]`` (``--assume``) over the defaults.

        Raises:
            CostInputError: a pair without ``=``, a value that is not a number >= 0, a
                sampling rate above 1.
        """
        values: dict[str, float] = {}
        durations: dict[str, float] = {}
        for pair in pairs:
            key, sep, raw = pair.rpartition("=")
            key = " ".join(key.split())
            if not sep or not key:
                raise CostInputError(
                    f"--assume {pair!r}: expected KEY=NUMBER, e.g. 'POST /orders=120' or lcu=0"
                )
            try:
                number = float(raw)
            except ValueError:
                number = -1.0
            if not number >= 0 or number == float("inf"):
                raise CostInputError(f"--assume {pair!r}: {raw!r} is not a number >= 0")
            if key in ASSUMPTION_KEYS:
                values[key] = number
            else:
                durations[key] = number
        if values.get("sampling", 0.0) > 1:
            raise CostInputError(f"--assume sampling={values['sampling']:g}: a share, 0 to 1")
        defaults = cls()
        return cls(
            lcu_minimum=values.get("lcu", defaults.lcu_minimum),
            duration_ms=values.get("duration", defaults.duration_ms),
            durations_ms=durations,
            xray_sampling=values.get("sampling", defaults.xray_sampling),
            log_gb_per_group=values.get("logs", defaults.log_gb_per_group),
            pipeline_runs=values.get("runs", defaults.pipeline_runs),
        )

    def duration_for(self, path: str) -> float:
        """The duration assumed for ``path`` (a route or a message path)."""
        return self.durations_ms.get(path, self.duration_ms)

    def describe(self) -> tuple[str, ...]:
        """One sentence per assumption, for the output."""
        lines = [
            f"a month is {self.hours_per_month:g} hours",
            f"each load balancer uses at least {self.lcu_minimum:g} capacity unit(s) an hour "
            "(--assume lcu=N)",
            f"Lambda runs {self.duration_ms:g} ms per invocation unless a route says otherwise "
            "(--assume duration=MS; per route or message path: --assume 'METHOD /path=MS')",
            f"X-Ray records {self.xray_sampling:.0%} of requests as traces (the default rule: "
            "1 request a second, then 5%; --assume sampling=0.05)",
            f"{self.log_gb_per_group:g} GB a month is ingested into each log group "
            "(--assume logs=GB)",
            f"pipelines run {self.pipeline_runs:g} times a month, {self.action_minutes:g} min "
            "per action (--assume runs=N)",
            "an SQS event source receives full batches (fewer messages per batch cost more "
            "per message)",
            "free tiers (per account, not per stack) are not deducted",
        ]
        for path, ms in sorted(self.durations_ms.items()):
            lines.append(f"{path}: Lambda runs {ms:g} ms per invocation")
        return tuple(lines)


@dataclass(frozen=True)
class CostItem:
    """A resource with a fixed monthly cost.

    Attributes:
        logical_id: its logical ID in the stack's template.
        type: its CloudFormation type.
        monthly_usd: what it costs a month at idle.
        basis: how the figure is made (``1 NAT gateway x 730 h x $0.048``).
    """

    logical_id: str
    type: str
    monthly_usd: float
    basis: str


@dataclass(frozen=True)
class UsagePriced:
    """A resource that costs nothing while idle: it bills by use, or not at all.

    Attributes:
        logical_id: its logical ID.
        type: its CloudFormation type.
        why: what it bills by.
    """

    logical_id: str
    type: str
    why: str


@dataclass(frozen=True)
class Unpriced:
    """A resource the command cannot price: its cost is unknown, not zero.

    Attributes:
        logical_id: its logical ID.
        type: its CloudFormation type.
        reason: why it is not priced.
    """

    logical_id: str
    type: str
    reason: str


@dataclass(frozen=True)
class RequestLine:
    """One part of the cost of a million requests.

    Attributes:
        what: the service and action (``API Gateway REST request``).
        usd_per_million: its cost per million requests.
        basis: how the figure is made.
    """

    what: str
    usd_per_million: float
    basis: str


@dataclass(frozen=True)
class PathCost:
    """The cost of one million requests on a route, or messages on a worker's path.

    Attributes:
        kind: ``route`` or ``messages``.
        name: ``POST /orders``, or the queue's logical ID without CDK's hash.
        logical_id: the API method, or the event source mapping.
        lines: the parts of the cost.
        notes: what is assumed or left out, beside the figure.
    """

    kind: str
    name: str
    logical_id: str
    lines: tuple[RequestLine, ...]
    notes: tuple[str, ...] = ()

    @property
    def usd_per_million(self) -> float:
        """The total per million."""
        return sum(line.usd_per_million for line in self.lines)


@dataclass(frozen=True)
class StackCost:
    """One stack of the assembly, priced.

    Attributes:
        name: its display name (the construct path for a stage's stack).
        artifact_id: its artifact ID in the cloud assembly.
        region: the region it was priced for.
        items: the resources with a fixed monthly cost.
        usage_priced: the resources with no idle cost.
        unpriced: the resources the command cannot price.
        paths: the cost per million requests of each route and message path.
    """

    name: str
    artifact_id: str
    region: str
    items: tuple[CostItem, ...]
    usage_priced: tuple[UsagePriced, ...]
    unpriced: tuple[Unpriced, ...]
    paths: tuple[PathCost, ...]

    @property
    def monthly_usd(self) -> float:
        """The stack's fixed monthly cost (unpriced resources not included)."""
        return sum(item.monthly_usd for item in self.items)


@dataclass(frozen=True)
class CostReport:
    """The priced assembly.

    Attributes:
        price_date: the date of the price table.
        price_table: where the table came from.
        region: the region every stack was priced for, or ``None`` when they differ.
        stacks: every stack, in the assembly's order (nested stages after their parents).
        assumptions: what the figures assume, one sentence each.
    """

    price_date: date
    price_table: str
    region: str | None
    stacks: tuple[StackCost, ...]
    assumptions: tuple[str, ...]

    @property
    def monthly_usd(self) -> float:
        """Every stack's fixed monthly cost together."""
        return sum(stack.monthly_usd for stack in self.stacks)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (money rounded to the cent, per million to 1/10000)."""
        return {
            "price_date": self.price_date.isoformat(),
            "price_table": self.price_table,
            "region": self.region,
            "monthly_usd": round(self.monthly_usd, 2),
            "assumptions": list(self.assumptions),
            "stacks": [
                {
                    "name": stack.name,
                    "artifact_id": stack.artifact_id,
                    "region": stack.region,
                    "monthly_usd": round(stack.monthly_usd, 2),
                    "items": [
                        {
                            "logical_id": item.logical_id,
                            "type": item.type,
                            "monthly_usd": round(item.monthly_usd, 2),
                            "basis": item.basis,
                        }
                        for item in stack.items
                    ],
                    "unpriced": [
                        {"logical_id": u.logical_id, "type": u.type, "reason": u.reason}
                        for u in stack.unpriced
                    ],
                    "usage_priced": [
                        {"logical_id": u.logical_id, "type": u.type, "why": u.why}
                        for u in stack.usage_priced
                    ],
                    "per_million": [
                        {
                            "kind": path.kind,
                            "name": path.name,
                            "logical_id": path.logical_id,
                            "usd": round(path.usd_per_million, 4),
                            "lines": [
                                {
                                    "what": line.what,
                                    "usd": round(line.usd_per_million, 4),
                                    "basis": line.basis,
                                }
                                for line in path.lines
                            ],
                            "notes": list(path.notes),
                        }
                        for path in stack.paths
                    ],
                }
                for stack in self.stacks
            ],
        }
