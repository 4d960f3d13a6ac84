"""``python -m modern_app_constructs cost CDK_OUT``: what a synthesized app costs.

Reads a cloud assembly (every stack, nested stage assemblies included) and prices it from a
dated table of list prices (``data/prices.json``, or ``--prices FILE``): per stack, the fixed
monthly cost at idle with the line each figure comes from, the resources that cost nothing
while idle, and those it cannot price (listed, never counted as zero); per API route and per
worker's message path, the cost of a million requests, with what it assumes beside it.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from .._exit_codes import EXIT_UNUSABLE
from ._assembly import AssemblyStack, read_assembly
from ._idle import price_resources
from ._model import (
    ASSUMPTION_KEYS,
    Assumptions,
    CostInputError,
    CostItem,
    CostReport,
    PathCost,
    RequestLine,
    StackCost,
    Unpriced,
    UsagePriced,
)
from ._paths import price_paths
from ._prices import PriceTable, load_price_table, shipped_price_table
from ._render import render, render_json, render_markdown, render_table

__all__ = [
    "Assumptions",
    "CostInputError",
    "CostItem",
    "CostReport",
    "PathCost",
    "PriceTable",
    "RequestLine",
    "StackCost",
    "Unpriced",
    "UsagePriced",
    "add_parser",
    "estimate",
    "load_price_table",
    "monthly_cost_delta",
    "render",
    "render_json",
    "render_markdown",
    "render_table",
    "run",
    "shipped_price_table",
]

FORMATS = ("table", "json", "markdown")


def estimate(
    directory: str | Path,
    *,
    region: str | None = None,
    prices: PriceTable | None = None,
    assumptions: Assumptions | None = None,
) -> CostReport:
    """Price the cloud assembly in ``directory``.

    Args:
        directory: a cloud assembly (``cdk synth``'s output directory).
        region: the region to price every stack in. Default: each stack's own environment.
        prices: the price table. Default: the table shipped with the library.
        assumptions: what the estimate assumes. Default: :class:`Assumptions`' defaults.

    Raises:
        CostInputError: not a cloud assembly, a stack with no region and none given, a region
            the table lacks, an ``--assume`` key that names no route or message path.
    """
    table = prices if prices is not None else shipped_price_table()
    assumed = assumptions if assumptions is not None else Assumptions()
    stacks = [
        _price_stack(stack, _region_of(stack, region), table, assumed)
        for stack in read_assembly(directory)
    ]
    known = {path.name for stack in stacks for path in stack.paths}
    unknown = sorted(set(assumed.durations_ms) - known)
    if unknown:
        raise CostInputError(
            f"--assume {', '.join(repr(k) for k in unknown)}: no such route or message path "
            f"(routes and paths: {', '.join(sorted(known)) or 'none'}; other keys: "
            f"{', '.join(sorted(ASSUMPTION_KEYS))})"
        )
    regions = {stack.region for stack in stacks}
    return CostReport(
        price_date=table.price_date,
        price_table=table.origin,
        region=regions.pop() if len(regions) == 1 else None,
        stacks=tuple(stacks),
        assumptions=assumed.describe(),
    )


def monthly_cost_delta(
    base: AssemblyStack | None,
    head: AssemblyStack | None,
    *,
    region: str | None = None,
    prices: PriceTable | None = None,
    assumptions: Assumptions | None = None,
) -> float | None:
    """The fixed monthly cost of ``head`` minus that of ``base`` (one stack before and after).

    A stack that does not exist on one side costs nothing there. Unpriced resources count on
    neither side (the cost report lists them).

    Args:
        base: the stack before the change, ``None`` when it is new.
        head: the stack after the change, ``None`` when it is removed.
        region: the region to price in. Default: the stack's own environment (the head's).
        prices: the price table. Default: the table shipped with the library.
        assumptions: what the estimate assumes. Default: :class:`Assumptions`' defaults.

    Returns:
        The difference in USD a month, or ``None`` when no region is known (an
        environment-agnostic stack and no ``region``).

    Raises:
        CostInputError: the region is not in the price table.
    """
    sides = [stack for stack in (head, base) if stack is not None]
    where = region or next((stack.region for stack in sides if stack.region), None)
    if where is None:
        return None
    table = prices if prices is not None else shipped_price_table()
    assumed = assumptions if assumptions is not None else Assumptions()

    def monthly(stack: AssemblyStack | None) -> float:
        if stack is None:
            return 0.0
        return _price_stack(stack, where, table, assumed).monthly_usd

    return monthly(head) - monthly(base)


def _region_of(stack: AssemblyStack, region: str | None) -> str:
    if region is not None:
        return region
    if stack.region is None:
        raise CostInputError(
            f"stack {stack.name} is environment-agnostic (no region in the assembly): pass --region"
        )
    return stack.region


def _price_stack(
    stack: AssemblyStack, region: str, table: PriceTable, assumptions: Assumptions
) -> StackCost:
    prices = table.for_region(region)
    items, usage, unpriced = price_resources(stack, prices, assumptions)
    return StackCost(
        name=stack.name,
        artifact_id=stack.artifact_id,
        region=region,
        items=tuple(items),
        usage_priced=tuple(usage),
        unpriced=tuple(unpriced),
        paths=tuple(price_paths(stack, prices, assumptions)),
    )


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``cost`` to the command line's sub-parsers."""
    cost: argparse.ArgumentParser = commands.add_parser(
        "cost",
        help="estimate what a synthesized app costs a month at idle, and per million requests",
        description=__doc__.split("\n\n", 1)[1].replace("``", "") if __doc__ else None,
    )
    cost.add_argument("assembly", metavar="CDK_OUT", help="the cloud assembly (cdk synth's output)")
    cost.add_argument(
        "--region", help="price every stack in this region (default: each stack's environment)"
    )
    cost.add_argument("--format", choices=FORMATS, default="table", help="default: table")
    cost.add_argument(
        "--prices",
        metavar="FILE",
        help="your own price table, in the schema of the shipped one (default: the shipped table)",
    )
    cost.add_argument(
        "--assume",
        metavar="KEY=NUMBER",
        action="append",
        default=[],
        help="'METHOD /path=MS', e.g. 'POST /orders=120' (ms of Lambda per request on a route, "
        "or per batch on a message path), or "
        + ", ".join(f"{key} ({what})" for key, what in ASSUMPTION_KEYS.items()),
    )
    return cost


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run a parsed ``cost``; return its exit code (0, or 2 for unusable input)."""
    try:
        table = load_price_table(args.prices) if args.prices else shipped_price_table()
        report = estimate(
            args.assembly,
            region=args.region,
            prices=table,
            assumptions=Assumptions.parse(args.assume),
        )
    except CostInputError as error:
        err.write(f"cost: {error}\n")
        return EXIT_UNUSABLE
    age = (date.today() - table.price_date).days
    if age > table.max_age_days:
        err.write(
            f"cost: warning: the price table {table.origin} is {age} days old (dated "
            f"{table.price_date}, to be refreshed after {table.max_age_days}): prices may have "
            "changed\n"
        )
    out.write(render(report, args.format) + "\n")
    return 0
