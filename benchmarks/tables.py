"""Render ``benchmarks/results/*.json`` into the tables of ``benchmarks/README.md``.

The tables are never typed by hand: each lives between ``<!-- bench:<name>:begin -->`` and
``<!-- bench:<name>:end -->`` and this module rewrites it from the result files;
``tests/repository/test_bench_tables.py`` fails when a committed table differs from the generated one.

Usage::

    python -m benchmarks.tables
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE / "README.md"

#: What each synth scenario builds, in the order the latest table lists them.
SCENARIOS = {
    "empty_app": "empty `App` (the floor)",
    "sample_dev": "sample app, dev (platform + service)",
    "sample_prod": "sample app, prod",
    "sample_with_pipeline": "sample app as `cdk synth` builds it (+ pipeline and its stages)",
    "raw_cdk_dev": "the same service in raw aws-cdk-lib, dev",
    "raw_cdk_with_pipeline": "the same app in raw aws-cdk-lib (+ pipeline and its stages)",
    "platform_environment": "one PlatformEnvironment",
    "canary_function": "one CanaryFunction (with smoke test)",
    "decoupled_worker": "one DecoupledWorker",
    "fargate_service": "one FargateService (standalone VPC)",
    "api_front_door": "one ApiFrontDoor",
}

Result = dict[str, Any]


def load(results: Path = RESULTS) -> list[Result]:
    """Every result file, oldest first (by date, then commit: the order is reproducible)."""
    loaded = [json.loads(path.read_text()) | {"file": path.name} for path in results.glob("*.json")]
    return sorted(loaded, key=lambda result: (result["date"], result["commit"], result["file"]))


def _timings(result: Result) -> dict[str, Result]:
    return {timing["scenario"]: timing for timing in result.get("timings") or ()}


def _full(result: Result) -> bool:
    return "empty_app" in _timings(result) and "sample_dev" in _timings(result)


def latest(results: list[Result]) -> str:
    """The newest full run: every scenario against the floor, code size, test suites."""
    result = [r for r in results if _full(r)][-1]
    timings = _timings(result)
    floor = timings["empty_app"]["median_s"]
    lines = [
        f"Run `{result['file']}`: commit {result['commit']}, {result['date']}, "
        f"{result['machine']}, median of {result['repeat']} fresh-process runs.",
        "",
        "| scenario | synth (s) | x floor | validation off (s) |",
        "|---|---:|---:|---:|",
    ]
    for name, label in SCENARIOS.items():
        if name in timings:
            timing = timings[name]
            lines.append(
                f"| {label} | {timing['median_s']:.2f} | {timing['median_s'] / floor:.2f} "
                f"| {timing['median_no_validation_s']:.2f} |"
            )
    loc = result["user_code_lines"]
    lines += [
        "",
        "| code a service team writes | lines of code |",
        "|---|---:|",
        f"| `sample_app` (this library) | {loc['library']} |",
        f"| `benchmarks/raw_cdk` (aws-cdk-lib only) | {loc['raw_cdk']} |",
    ]
    consumer = result.get("consumer_suites")
    if consumer:
        lines += [
            "",
            "| a service team's test suite | what it checks | wall time (s) |",
            "|---|---|---:|",
            f"| `cdk init` harness | 7 assertions | {consumer['plain_s']:.2f} |",
            "| `modern_app_constructs.testing` | the same 7, a snapshot per stack, cdk-nag, "
            f"cfn-lint | {consumer['library_s']:.2f} |",
        ]
    return "\n".join(lines)


def _ratio(numerator: float | None, denominator: float | None) -> str:
    return f"{numerator / denominator:.2f}" if numerator and denominator else ""


def history(results: list[Result]) -> str:
    """One row per result file: the ratios, which compare across machines and days."""
    lines = [
        "| result | date | floor (s) | sample dev, x floor | library / raw aws-cdk-lib "
        "| code, raw / library | test suite, library / plain | unit suite (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        timings = _timings(result)
        floor = timings.get("empty_app", {}).get("median_s")
        sample = timings.get("sample_dev", {}).get("median_s")
        raw = timings.get("raw_cdk_dev", {}).get("median_s")
        loc = result.get("user_code_lines") or {}
        consumer = result.get("consumer_suites") or {}
        suite = result.get("test_suite_s")
        lines.append(
            f"| `{result['file']}` | {result['date']} | {f'{floor:.2f}' if floor else ''} "
            f"| {_ratio(sample, floor)} | {_ratio(sample, raw)} "
            f"| {_ratio(loc.get('raw_cdk'), loc.get('library'))} "
            f"| {_ratio(consumer.get('library_s'), consumer.get('plain_s'))} "
            f"| {f'{suite:.1f}' if suite else ''} |"
        )
    return "\n".join(lines)


TABLES: dict[str, Callable[[list[Result]], str]] = {"latest": latest, "history": history}


def markers(name: str) -> tuple[str, str]:
    """The lines that open and close a generated table."""
    return f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"


def block(text: str, name: str) -> str:
    """The content of the named block in ``text`` (empty when absent)."""
    begin, end = markers(name)
    match = re.search(re.escape(begin) + r"\n(.*?)\n" + re.escape(end), text, re.DOTALL)
    return match.group(1) if match else ""


def rewrite(text: str, results: list[Result]) -> str:
    """``text`` with every generated block replaced by its table.

    Raises:
        ValueError: ``text`` lacks a block's markers.
    """
    for name, render in TABLES.items():
        begin, end = markers(name)
        pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.DOTALL)
        if pattern.search(text) is None:
            raise ValueError(f"{README} has no {begin} ... {end} block")
        replacement = f"{begin}\n{render(results)}\n{end}"
        text = pattern.sub(lambda _, replacement=replacement: replacement, text, count=1)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the tables of benchmarks/README.md from the result files."""
    del argv
    README.write_text(rewrite(README.read_text(), load()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
