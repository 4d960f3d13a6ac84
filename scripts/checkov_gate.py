"""checkov over synthesized CloudFormation templates, in one run, from its own environment.

checkov pins an old boto3, so it lives in ``.venv-checkov`` (``make checkov-install``, exact
versions in ``requirements/checkov.txt``) and is only ever run as a separate process: nothing
here imports it. :func:`run_checkov` writes every template it is given into one directory and
runs checkov once over all of them (its start-up costs several seconds, a run per template
would multiply that), then returns the failed and skipped checks per resource.

Checks that do not apply are skipped on the resource itself, in the template::

    "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_117", "comment": "why it does not apply"}]}}

checkov honours those entries; the gate also rejects a skip without a comment (checkov reports
it as ``No comment provided``), so every skip carries the reason a reviewer reads.

Usage: ``python -m scripts.checkov_gate DIR [DIR ...]`` checks every ``*.template.json`` in the
given cloud assembly directories and exits 1 on any failed check or uncommented skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CheckResult",
    "CheckovNotInstalledError",
    "CheckovReport",
    "checkov_executable",
    "run_checkov",
    "templates_in",
]

ROOT = Path(__file__).resolve().parent.parent
#: Where ``make checkov-install`` puts checkov; the ``CHECKOV`` environment variable overrides it.
DEFAULT_CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
#: What checkov records for a ``Metadata: checkov: skip`` entry that has no comment.
_NO_COMMENT = "No comment provided"
_TEMPLATE_SUFFIX = ".template.json"


class CheckovNotInstalledError(RuntimeError):
    """checkov's own environment is missing: run ``make checkov-install``."""


@dataclass(frozen=True, order=True)
class CheckResult:
    """One check on one resource of one template.

    Attributes:
        template: the template's name (its file name without ``.template.json``).
        logical_id: the resource's logical id.
        check_id: the checkov check, e.g. ``CKV_AWS_173``.
        check_name: what the check requires.
        resource_type: the CloudFormation type, e.g. ``AWS::Lambda::Function``.
        comment: for a skipped check, the comment of its ``Metadata: checkov: skip`` entry.
    """

    template: str
    logical_id: str
    check_id: str
    check_name: str
    resource_type: str
    comment: str = ""


@dataclass(frozen=True)
class CheckovReport:
    """The outcome of one checkov run over a set of templates.

    Attributes:
        failed: every failed check.
        skipped: every check skipped through ``Metadata: checkov: skip``.
        resource_count: resources checkov read (0 means it parsed nothing: suspicious).
    """

    failed: tuple[CheckResult, ...]
    skipped: tuple[CheckResult, ...]
    resource_count: int

    @property
    def uncommented_skips(self) -> tuple[CheckResult, ...]:
        """Skips without a reason: the gate treats them as failures."""
        return tuple(s for s in self.skipped if not s.comment.strip() or s.comment == _NO_COMMENT)

    @property
    def problems(self) -> tuple[CheckResult, ...]:
        """What fails the gate: failed checks and skips without a comment."""
        return self.failed + self.uncommented_skips

    def failed_by_resource(self, template: str | None = None) -> dict[str, list[str]]:
        """Failed check ids per ``template/logical id`` (only ``template``'s when given)."""
        grouped: dict[str, list[str]] = defaultdict(list)
        for result in sorted(self.failed):
            if template is None or result.template == template:
                grouped[f"{result.template}/{result.logical_id}"].append(result.check_id)
        return dict(grouped)

    def describe(self) -> str:
        """The problems, one line each, for an assertion message or the console."""
        lines = [
            f"{r.template}/{r.logical_id} ({r.resource_type}): {r.check_id} {r.check_name}"
            for r in sorted(self.failed)
        ]
        lines += [
            f"{r.template}/{r.logical_id} ({r.resource_type}): {r.check_id} skipped without a "
            "comment (Metadata: checkov: skip entries need one)"
            for r in sorted(self.uncommented_skips)
        ]
        return "\n".join(lines)


def checkov_executable() -> Path:
    """The checkov executable: ``$CHECKOV``, else the one ``make checkov-install`` created.

    Raises:
        CheckovNotInstalledError: when it does not exist.
    """
    path = Path(os.environ.get("CHECKOV") or DEFAULT_CHECKOV)
    if not path.is_file():
        raise CheckovNotInstalledError(
            f"checkov not found at {path}: run `make checkov-install` (it lives in its own "
            "environment, .venv-checkov) or point $CHECKOV at an executable"
        )
    return path


def templates_in(directories: Iterable[str | Path], prefix: str = "") -> dict[str, Path]:
    """Every ``*.template.json`` of the given cloud assembly directories, by name.

    A name is ``prefix`` + the stack's template name, e.g. ``dev-OrdersService``.
    """
    found: dict[str, Path] = {}
    for directory in directories:
        for path in sorted(Path(directory).glob(f"*{_TEMPLATE_SUFFIX}")):
            found[prefix + path.name.removesuffix(_TEMPLATE_SUFFIX)] = path
    return found


def run_checkov(
    templates: Mapping[str, Mapping[str, Any] | str | Path],
    *,
    executable: Path | None = None,
    timeout_s: float = 600,
) -> CheckovReport:
    """Run checkov once over every template and return its failed and skipped checks.

    Args:
        templates: template name -> the template (a dict) or the path of its JSON file. Names
            become file names, so use ones that are unique and file-system safe
            (e.g. ``dev-OrdersService``).
        executable: checkov to run. Default: :func:`checkov_executable`.
        timeout_s: give up after this many seconds. Default: 600.

    Raises:
        CheckovNotInstalledError: when checkov is not installed.
        RuntimeError: when checkov fails to run or its output cannot be read.
    """
    if not templates:
        raise ValueError("run_checkov: no templates given")
    exe = executable or checkov_executable()
    with tempfile.TemporaryDirectory(prefix="checkov-") as workdir:
        for name, template in templates.items():
            target = Path(workdir) / f"{name}{_TEMPLATE_SUFFIX}"
            if isinstance(template, Mapping):
                target.write_text(json.dumps(template))
            else:
                target.write_bytes(Path(template).read_bytes())
        completed = subprocess.run(
            [
                str(exe),
                "--directory",
                workdir,
                "--framework",
                "cloudformation",
                "--output",
                "json",
                "--compact",
                "--skip-download",  # no network: no guidelines or policy downloads
            ],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            env={
                **os.environ,
                "BC_SKIP_MAPPING": "TRUE",
                "LOG_LEVEL": "ERROR",
                # one process: forked workers cost ~10% more CPU (each pickles its share of
                # the graph) and the run shares the machine with the test workers anyway
                "CHECKOV_PARALLELIZATION_TYPE": "none",
            },
        )
    # checkov exits 1 when a check failed; anything else but 0 is a crash
    if completed.returncode not in (0, 1):
        raise RuntimeError(
            f"checkov exited {completed.returncode}: {completed.stderr.strip()[-2000:]}"
        )
    try:
        output = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(
            f"checkov printed no JSON ({error}): {completed.stdout[:500]!r} "
            f"{completed.stderr.strip()[-1000:]!r}"
        ) from error
    return parse_report(output)


def parse_report(output: Any) -> CheckovReport:
    """A :class:`CheckovReport` from checkov's JSON output (one report or a list of them)."""
    reports = output if isinstance(output, list) else [output]
    failed: list[CheckResult] = []
    skipped: list[CheckResult] = []
    resources = 0
    for report in reports:
        if report.get("check_type", "cloudformation") != "cloudformation":
            continue
        resources += int(report.get("summary", {}).get("resource_count", 0))
        results = report.get("results", {})
        failed += [_result(check) for check in results.get("failed_checks", [])]
        skipped += [_result(check) for check in results.get("skipped_checks", [])]
    return CheckovReport(failed=tuple(failed), skipped=tuple(skipped), resource_count=resources)


def _result(check: Mapping[str, Any]) -> CheckResult:
    resource_type, _, logical_id = str(check["resource"]).rpartition(".")
    template = Path(str(check["file_path"])).name.removesuffix(_TEMPLATE_SUFFIX)
    return CheckResult(
        template=template,
        logical_id=logical_id,
        check_id=str(check["check_id"]),
        check_name=str(check.get("check_name") or ""),
        resource_type=resource_type,
        comment=str((check.get("check_result") or {}).get("suppress_comment") or ""),
    )


def main(argv: list[str]) -> int:
    """Check every template of the given cloud assembly directories; 1 on any problem."""
    if not argv:
        print(__doc__)
        return 2
    templates: dict[str, Path] = {}
    for index, directory in enumerate(argv):
        templates.update(templates_in([directory], prefix=f"{index}-" if len(argv) > 1 else ""))
    if not templates:
        print(f"no *{_TEMPLATE_SUFFIX} in {' '.join(argv)}", file=sys.stderr)
        return 2
    report = run_checkov(templates)
    problems = report.describe()
    print(
        f"checkov: {len(templates)} templates, {report.resource_count} resources, "
        f"{len(report.failed)} failed, {len(report.skipped)} skipped "
        f"({len(report.uncommented_skips)} without a comment)"
    )
    if problems:
        print(problems)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
