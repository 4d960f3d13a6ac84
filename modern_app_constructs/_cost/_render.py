"""The cost report as a plain-text table, as Markdown, or as JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence

from ._model import CostReport, PathCost, StackCost

__all__ = ["render", "render_json", "render_markdown", "render_table"]


def render(report: CostReport, fmt: str) -> str:
    """``report`` in ``fmt``: ``table``, ``markdown`` or ``json``."""
    renderers = {"table": render_table, "markdown": render_markdown, "json": render_json}
    return renderers[fmt](report)


def render_json(report: CostReport) -> str:
    """The report as indented JSON."""
    return json.dumps(report.to_json(), indent=2)


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _per_million(value: float) -> str:
    return f"${value:,.4f}" if value < 0.01 else f"${value:,.2f}"


def _heading(report: CostReport) -> str:
    where = report.region or "each stack's region"
    return (
        f"Fixed monthly cost at idle, {where}, from the price table of {report.price_date} "
        f"({report.price_table}): list prices in USD."
    )


def _usage_summary(stack: StackCost) -> str:
    counts = Counter(item.type for item in stack.usage_priced)
    return ", ".join(f"{kind} x{count}" for kind, count in sorted(counts.items()))


def _table(rows: Sequence[Sequence[str]], indent: str) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def render_table(report: CostReport) -> str:
    """The report as plain text, one block per stack."""
    lines = [_heading(report), ""]
    for stack in report.stacks:
        lines.append(f"{stack.name} ({stack.region}): {_money(stack.monthly_usd)} a month")
        if stack.items:
            rows = [("logical id", "type", "monthly", "basis")] + [
                (item.logical_id, item.type, _money(item.monthly_usd), item.basis)
                for item in stack.items
            ]
            lines += _table(rows, "  ")
        for unpriced in stack.unpriced:
            lines.append(f"  UNPRICED {unpriced.logical_id} ({unpriced.type}): {unpriced.reason}")
        if stack.usage_priced:
            lines.append(f"  no idle cost (billed by use): {_usage_summary(stack)}")
        for path in stack.paths:
            lines += _path_text(path)
        lines.append("")
    if len(report.stacks) > 1:
        lines.append(f"All {len(report.stacks)} stacks: {_money(report.monthly_usd)} a month")
        lines.append("")
    lines.append("Assumptions:")
    lines += [f"  - {line}" for line in report.assumptions]
    return "\n".join(lines)


def _path_text(path: PathCost) -> list[str]:
    label = "per million requests" if path.kind == "route" else "per million messages"
    lines = [f"  {path.name}: {_per_million(path.usd_per_million)} {label}"]
    lines += [
        f"    {_per_million(line.usd_per_million):>9}  {line.what}: {line.basis}"
        for line in path.lines
    ]
    lines += [f"    note: {note}" for note in path.notes]
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: CostReport, *, heading_level: int = 2) -> str:
    """The report as Markdown: a summary table, then one section per stack."""
    hashes = "#" * heading_level
    lines = [_heading(report), "", "| stack | region | monthly |", "|---|---|---:|"]
    lines += [
        f"| {_cell(stack.name)} | {stack.region} | {_money(stack.monthly_usd)} |"
        for stack in report.stacks
    ]
    lines.append("")
    for stack in report.stacks:
        lines += [f"{hashes} {stack.name}: {_money(stack.monthly_usd)} a month", ""]
        if stack.items:
            lines += ["| logical id | type | monthly | basis |", "|---|---|---:|---|"]
            lines += [
                f"| `{item.logical_id}` | {item.type} | {_money(item.monthly_usd)} | "
                f"{_cell(item.basis)} |"
                for item in stack.items
            ]
            lines.append("")
        if stack.unpriced:
            lines.append("Not priced (cost unknown, not zero):")
            lines += [f"- `{u.logical_id}` ({u.type}): {_cell(u.reason)}" for u in stack.unpriced]
            lines.append("")
        if stack.usage_priced:
            lines += [f"No idle cost (billed by use): {_usage_summary(stack)}.", ""]
        lines += _paths_markdown(stack.paths)
    lines.append("Assumptions:")
    lines += [f"- {line}" for line in report.assumptions]
    return "\n".join(lines)


def _paths_markdown(paths: Iterable[PathCost]) -> list[str]:
    lines: list[str] = []
    for path in paths:
        label = "request" if path.kind == "route" else "message"
        lines += [
            f"`{path.name}`: **{_per_million(path.usd_per_million)} per million {label}s**",
            "",
            "| part | per million | basis |",
            "|---|---:|---|",
        ]
        lines += [
            f"| {line.what} | {_per_million(line.usd_per_million)} | {_cell(line.basis)} |"
            for line in path.lines
        ]
        lines.append("")
        lines += [f"- {_cell(note)}" for note in path.notes]
        if path.notes:
            lines.append("")
    return lines
