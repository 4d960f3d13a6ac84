"""Write the sample's cost figures into docs/cost.md, docs/operations.md and the README.

Run by ``make cost``.

The sample app is synthesized in each profile and priced by
``python -m modern_app_constructs cost``'s own functions; the figures replace the generated
blocks between ``<!-- cost:<profile>:begin -->`` and ``<!-- cost:<profile>:end -->``, so they
are never typed by hand. The README's table (block ``readme``) sets both profiles beside the
dev sample of the 0.1.0 release (``tests/baseline/0.1.0/dev``), priced with the same table.
``tests/commands/test_cost.py`` regenerates them and fails when a committed block differs.

Usage::

    python -m scripts.cost_doc
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from modern_app_constructs._cost import CostReport, estimate, render_markdown

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "cost.md"
#: The page with the one-line summary per profile (its *Cost* section).
SUMMARY = ROOT / "docs" / "operations.md"
PROFILES = ("dev", "prod")
#: The stacks a developer deploys from a laptop: the profile's idle cost.
LAPTOP_STACKS = ("OrdersPlatform", "OrdersService")
PIPELINE_STACK = "OrdersPipeline"
ROUTE = "POST /orders"
README = ROOT / "README.md"
#: The dev sample as released in 0.1.0: what "today's dev profile" cost before the NAT choice.
BASELINE = ROOT / "tests" / "baseline" / "0.1.0" / "dev"
BASELINE_LABEL = "dev at 0.1.0"
#: The README's block (one table for every profile).
README_BLOCK = "readme"


def markers(profile: str) -> tuple[str, str]:
    """The lines that open and close a profile's generated block."""
    return f"<!-- cost:{profile}:begin -->", f"<!-- cost:{profile}:end -->"


def doc_block(report: CostReport) -> str:
    """The docs page's block for one profile: the command's Markdown."""
    return render_markdown(report, heading_level=3)


def summary_block(report: CostReport, profile: str) -> str:
    """The summary line for one profile: idle cost of the laptop stacks, one route's cost."""
    figures = _figures(report)
    parts = " + ".join(f"{name} {_money(figures[name])}" for name in LAPTOP_STACKS)
    line = f"- **{profile}**: {_money(figures['both'])} a month at idle ({parts})"
    pipeline = next((s for s in report.stacks if s.name == PIPELINE_STACK), None)
    if pipeline is not None:
        line += f"; the delivery pipeline {_money(pipeline.monthly_usd)} more"
    return line + f"; `{ROUTE}` {_money(figures[ROUTE])} per million requests."


def readme_block(reports: Mapping[str, CostReport], baseline: CostReport) -> str:
    """The README's table: each profile's laptop stacks and ``ROUTE``, beside 0.1.0's dev."""
    labels = [*PROFILES, BASELINE_LABEL]
    columns = [_figures(report) for report in (*(reports[p] for p in PROFILES), baseline)]
    platform, service = LAPTOP_STACKS
    rows = {
        f"the environment (`{platform}`), a month at idle": platform,
        f"the service (`{service}`), a month at idle": service,
        "both, a month at idle": "both",
        f"a million `{ROUTE}`": ROUTE,
    }
    region = reports[PROFILES[0]].region or "each stack's region"
    lines = [
        f"| the sample, {region} | " + " | ".join(labels) + " |",
        "|---|" + "---:|" * len(labels),
    ]
    for label, key in rows.items():
        cells = [_money(figures.get(key)) for figures in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _figures(report: CostReport) -> dict[str, float]:
    """The laptop stacks' monthly figures, their sum and ``ROUTE``'s cost per million."""
    stacks = {stack.name: stack for stack in report.stacks}
    figures = {name: stacks[name].monthly_usd for name in LAPTOP_STACKS}
    figures["both"] = sum(figures.values())
    for path in stacks[LAPTOP_STACKS[1]].paths:
        if path.name == ROUTE:
            figures[ROUTE] = path.usd_per_million
    return figures


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def replace_block(text: str, profile: str, content: str, *, where: str) -> str:
    """``text`` with the profile's block replaced by ``content``.

    Raises:
        ValueError: ``text`` lacks the block's markers.
    """
    begin, end = markers(profile)
    pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.DOTALL)
    if pattern.search(text) is None:
        raise ValueError(f"{where} has no {begin} ... {end} block")
    return pattern.sub(lambda _: f"{begin}\n{content}\n{end}", text, count=1)


def block(text: str, profile: str) -> str:
    """The content of the profile's block in ``text`` (empty when absent)."""
    begin, end = markers(profile)
    match = re.search(re.escape(begin) + r"\n(.*?)\n" + re.escape(end), text, re.DOTALL)
    return match.group(1) if match else ""


def synthesize(profile: str, outdir: Path) -> Path:
    """The sample app in ``profile``, synthesized into ``outdir`` with cdk.json's context."""
    import aws_cdk as cdk

    from sample_app.app import build

    context = {**json.loads((ROOT / "cdk.json").read_text())["context"], "profile": profile}
    # the built-in template validation is not what is priced here (and ~3 s per synthesis)
    app = cdk.App(context=context, outdir=str(outdir), builtin_cloud_formation_validation=False)
    build(app)
    app.synth()
    return outdir


def main(argv: Sequence[str] | None = None) -> int:
    """Synthesize the sample in each profile and rewrite the generated blocks."""
    del argv
    doc, summary, readme = DOC.read_text(), SUMMARY.read_text(), README.read_text()
    reports: dict[str, CostReport] = {}
    with tempfile.TemporaryDirectory(prefix="cost-") as tmp:
        for profile in PROFILES:
            report = reports[profile] = estimate(synthesize(profile, Path(tmp) / profile))
            doc = replace_block(doc, profile, doc_block(report), where=str(DOC))
            summary = replace_block(
                summary, profile, summary_block(report, profile), where=str(SUMMARY)
            )
            print(summary_block(report, profile))
    table = readme_block(reports, estimate(BASELINE))
    readme = replace_block(readme, README_BLOCK, table, where=str(README))
    print(table)
    DOC.write_text(doc)
    SUMMARY.write_text(summary)
    README.write_text(readme)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
