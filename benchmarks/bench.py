"""``make bench``: what the library costs at synth and test time, and how much code it saves.

Every synth scenario (``benchmarks/scenarios.py``) runs in a fresh Python process, as ``cdk synth``
does, several times; the median wall time is reported next to its ratio to the floor (an empty
App: Python start, importing aws_cdk and loading aws-cdk-lib into the jsii kernel). Each scenario
runs twice: with aws-cdk-lib's built-in template validation and with ``CDK_VALIDATION=false``,
so the share of that validation is visible. Runs are interleaved round-robin over all scenarios
(a slow moment of the machine hits every scenario alike), after one untimed warm-up run each;
byte code is cached outside the repository (``PYTHONPYCACHEPREFIX``), as an installed library's
would be. Then the whole test suite runs once.

The consumer suites: the app in ``benchmarks/consumer/`` (two environment-agnostic stacks, as a
service team's ``cdk init`` project would have them) tested two ways, each run as its own pytest
process, round-robin after one warm-up run each: with ``modern_app_constructs.testing``
(``tests_library/``: the app synthesized once behind cdk-nag and cfn-lint, a snapshot per
stack, the team's assertions) and with the harness ``cdk init app --language python`` generates
(``tests_plain/``: a bare ``App()`` and ``Template.from_stack`` in every test, the same
assertions, no snapshots and no gates). The warm-up run of the library suite records its
snapshots (in a temporary copy of the project, with cdk.json's context as its ``cdk.json``).

Results go to ``benchmarks/results/<commit>.json`` and ``benchmarks/results/latest.md``.

Usage: ``python -m benchmarks.bench [--repeat N] [--skip-tests] [--skip-consumer] [--only ...]``
(``--only consumer`` runs the consumer suites alone).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.scenarios import CONSTRUCT_SCENARIOS, SCENARIOS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PYCACHE = ROOT / "benchmarks" / ".work" / "pycache"
SAMPLE_USER_CODE = (ROOT / "sample_app" / "app.py",)
RAW_USER_CODE = tuple(sorted((ROOT / "benchmarks" / "raw_cdk").glob("*.py")))
CONSUMER = ROOT / "benchmarks" / "consumer"
CONSUMER_SUITES = {"library": "tests_library", "plain": "tests_plain"}
CDK_JSON_SAMPLE_ONLY = frozenset({"profile", "region"})


@dataclass(frozen=True)
class Timing:
    """The median of several runs of one scenario, with and without built-in validation."""

    scenario: str
    median_s: float
    runs_s: list[float]
    median_no_validation_s: float
    runs_no_validation_s: list[float]


def _env(validation: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    if validation:
        env.pop("CDK_VALIDATION", None)
    else:
        env["CDK_VALIDATION"] = "false"
    return env


def _run_once(scenario: str, validation: bool) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "benchmarks.scenarios", scenario],
        cwd=ROOT,
        env=_env(validation),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def time_scenarios(scenarios: list[str], repeat: int) -> list[Timing]:
    """Run every scenario ``repeat`` times each way, round-robin, after one warm-up run each."""
    for scenario in scenarios:
        _run_once(scenario, validation=True)
    runs: dict[tuple[str, bool], list[float]] = {
        (scenario, validation): [] for scenario in scenarios for validation in (True, False)
    }
    for round_ in range(repeat):
        print(f"round {round_ + 1}/{repeat} ...", file=sys.stderr, flush=True)
        for scenario in scenarios:
            for validation in (True, False):
                runs[scenario, validation].append(_run_once(scenario, validation))
    return [
        Timing(
            scenario=scenario,
            median_s=statistics.median(runs[scenario, True]),
            runs_s=[round(t, 3) for t in runs[scenario, True]],
            median_no_validation_s=statistics.median(runs[scenario, False]),
            runs_no_validation_s=[round(t, 3) for t in runs[scenario, False]],
        )
        for scenario in scenarios
    ]


def _consumer_project(workdir: Path) -> Path:
    """A copy of the consumer project whose cdk.json carries this repository's feature flags."""
    project = workdir / "consumer"
    shutil.copytree(
        CONSUMER, project, ignore=shutil.ignore_patterns("__pycache__", "__snapshots__")
    )
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    flags = {key: value for key, value in context.items() if key not in CDK_JSON_SAMPLE_ONLY}
    cdk_json = {"app": "python3 app.py", "context": flags}
    (project / "cdk.json").write_text(json.dumps(cdk_json, indent=2) + "\n")
    return project


def _run_suite(project: Path, suite: str, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", suite, *args],
        cwd=project,
        env=_env(validation=True),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def time_consumer_suites(repeat: int) -> dict[str, Any]:
    """Both consumer suites ``repeat`` times each, round-robin, after one warm-up run each."""
    with tempfile.TemporaryDirectory() as workdir:
        project = _consumer_project(Path(workdir))
        _run_suite(project, CONSUMER_SUITES["library"], "--snapshot-update")
        _run_suite(project, CONSUMER_SUITES["plain"])
        runs: dict[str, list[float]] = {name: [] for name in CONSUMER_SUITES}
        for round_ in range(repeat):
            print(f"consumer suites, round {round_ + 1}/{repeat} ...", file=sys.stderr, flush=True)
            for name, suite in CONSUMER_SUITES.items():
                runs[name].append(_run_suite(project, suite))
    medians = {name: statistics.median(times) for name, times in runs.items()}
    return {
        "library_s": round(medians["library"], 2),
        "plain_s": round(medians["plain"], 2),
        "ratio": round(medians["library"] / medians["plain"], 2),
        "runs_library_s": [round(t, 2) for t in runs["library"]],
        "runs_plain_s": [round(t, 2) for t in runs["plain"]],
    }


def user_code_lines(paths: tuple[Path, ...]) -> int:
    """Lines of code a user writes: not blank, not a comment, not a docstring line."""
    count = 0
    in_docstring = False
    for path in paths:
        for raw in path.read_text().splitlines():
            line = raw.strip()
            quotes = line.count('"""')
            if in_docstring:
                in_docstring = quotes % 2 == 0
                continue
            if line.startswith('"""'):
                in_docstring = quotes == 1
                continue
            if line and not line.startswith("#"):
                count += 1
    return count


def time_test_suite() -> float:
    """Wall time of the unit suite exactly as ``make test`` runs it: ``make unit`` (every core)."""
    started = time.perf_counter()
    subprocess.run(
        ["make", "--no-print-directory", "unit", "PYTEST_ARGS=-q -p no:randomly"],
        cwd=ROOT,
        env=_env(validation=True),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def _commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


def _machine() -> str:
    cpus = os.cpu_count() or 0
    return f"{platform.machine()}, {cpus} cores, Python {platform.python_version()}"


def render(results: dict[str, Any]) -> str:
    """The results as a Markdown report (the parts that were run)."""
    lines = [
        f"# Benchmark results ({results['commit']}, {results['date']})",
        "",
        f"Machine: {results['machine']}. Median of {results['repeat']} fresh-process runs each.",
        "",
    ]
    timings = {t["scenario"]: t for t in results["timings"]}
    if "empty_app" in timings:
        floor = timings["empty_app"]["median_s"]
        lines += [
            "| scenario | synth (s) | x floor | marginal (s) | validation off (s) | validation share |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, timing in timings.items():
            median = timing["median_s"]
            off = timing["median_no_validation_s"]
            marginal = "" if name == "empty_app" else f"{median - floor:.2f}"
            share = f"{(median - off) / median:.0%}" if median else ""
            lines.append(
                f"| {name} | {median:.2f} | {median / floor:.2f} | {marginal} | {off:.2f} | {share} |"
            )
        floor_nv = timings["empty_app"]["median_no_validation_s"]
        lines += ["", f"Floor without validation: {floor_nv:.2f} s.", ""]
    if {"sample_dev", "raw_cdk_dev"} <= timings.keys():
        loc = results["user_code_lines"]
        sample, raw = timings["sample_dev"]["median_s"], timings["raw_cdk_dev"]["median_s"]
        lines += [
            "## Code a service team writes",
            "",
            "| version | lines of code | synth (s) |",
            "|---|---:|---:|",
            f"| sample_app (this library) | {loc['library']} | {sample:.2f} |",
            f"| benchmarks/raw_cdk (aws-cdk-lib only) | {loc['raw_cdk']} | {raw:.2f} |",
            "",
            f"Ratio: the raw version needs {loc['raw_cdk'] / max(loc['library'], 1):.1f}x the code; "
            f"the library's synth costs {sample / raw - 1:+.1%} over the raw version.",
            "",
        ]
    consumer = results.get("consumer_suites")
    if consumer:
        lines += [
            "## A service team's test suite (benchmarks/consumer, two stacks)",
            "",
            "| suite | what it checks | wall time (s) |",
            "|---|---|---:|",
            "| `cdk init` harness (bare `App()` + `Template.from_stack` per test) "
            f"| 7 assertions | {consumer['plain_s']:.2f} |",
            "| `modern_app_constructs.testing` (one synthesis per session) "
            "| the same 7 assertions, a snapshot per stack, cdk-nag + cfn-lint "
            f"| {consumer['library_s']:.2f} |",
            "",
            f"Ratio: {consumer['ratio']:.2f}x the plain harness's time (goal: at most 0.6x).",
            "",
        ]
    if results.get("test_suite_s") is not None:
        lines += [
            f"Whole unit suite (`make unit`, {os.cpu_count()} workers): "
            f"{results['test_suite_s']:.1f} s.",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every scenario, print the table and write the result files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--skip-consumer", action="store_true")
    parser.add_argument(
        "--only", nargs="*", default=None, help="scenario names, or 'consumer'; implies no suite"
    )
    args = parser.parse_args(argv)

    names = args.only or ["empty_app", *SCENARIOS.keys() - {"empty_app"}, "consumer"]
    # the whole-app scenarios in SCENARIOS' order (the floor first), then the constructs
    ordered = [n for n in SCENARIOS if n in names and n not in CONSTRUCT_SCENARIOS]
    ordered += sorted(n for n in names if n in CONSTRUCT_SCENARIOS)
    timings = [asdict(timing) for timing in time_scenarios(ordered, args.repeat)] if ordered else []
    consumer = "consumer" in names and not args.skip_consumer
    results: dict[str, Any] = {
        "commit": _commit(),
        "date": time.strftime("%Y-%m-%d"),
        "machine": _machine(),
        "repeat": args.repeat,
        "timings": timings,
        "user_code_lines": {
            "library": user_code_lines(SAMPLE_USER_CODE),
            "raw_cdk": user_code_lines(RAW_USER_CODE),
        },
        "consumer_suites": time_consumer_suites(args.repeat) if consumer else None,
        "test_suite_s": None if args.skip_tests or args.only else round(time_test_suite(), 1),
    }
    report = render(results)
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.only:
        # a partial run leaves the full results alone
        name = f"{results['commit']}-only-{'-'.join(args.only)}.json"
        (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
        return 0
    (RESULTS / f"{results['commit']}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
