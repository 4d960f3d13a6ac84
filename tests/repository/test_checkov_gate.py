"""checkov as a gate: every template snapshot passes it, the sample's and every construct's.

checkov runs from its own environment (``make checkov-install``, ``scripts/checkov_gate.py``),
once per test session (its start-up costs seconds, its graph of a template more): over every
snapshot file (the templates the snapshot tests prove equal to what is synthesized: every
stack of the sample in both profiles, the pipeline's stages included, and every construct
scenario) and over small templates that prove the gate reports a failed check per resource,
honours ``Metadata: checkov: skip`` entries and rejects a skip without a comment. Checks that
do not apply are skipped on the resource by the construct that owns it, each with its reason.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scripts.checkov_gate import (
    CheckovNotInstalledError,
    CheckovReport,
    CheckResult,
    checkov_executable,
    parse_report,
    run_checkov,
    templates_in,
)
from tests.cdk_support import SAMPLE_STACKS, recorded_snapshots

ENV_CHECK = "CKV_AWS_173"  # Lambda environment variables encrypted with a customer key
LOGGING_CHECK = "CKV_AWS_18"  # S3 access logging


def _function(metadata=None):
    resource = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Handler": "index.handler",
            "Runtime": "python3.12",
            "Role": "arn:aws:iam::123456789012:role/fn",
            "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"},
            "Environment": {"Variables": {"TABLE": "orders"}},
        },
    }
    if metadata is not None:
        resource["Metadata"] = metadata
    return resource


def _skip(*entries):
    return {"checkov": {"skip": [dict(entry) for entry in entries]}}


TEMPLATES = {
    "violating": {"Resources": {"Fn": _function(), "Logs": {"Type": "AWS::S3::Bucket"}}},
    "skipped": {
        "Resources": {
            "Fn": _function(
                _skip({"id": ENV_CHECK, "comment": "no secrets in the environment (test)"})
            ),
            "Logs": {
                "Type": "AWS::S3::Bucket",
                "Metadata": _skip({"id": LOGGING_CHECK, "comment": "a log bucket (test)"}),
            },
        }
    },
    "uncommented": {"Resources": {"Fn": _function(_skip({"id": ENV_CHECK}))}},
    "encrypted": {
        "Resources": {
            "Fn": {
                **_function(),
                "Properties": {
                    **_function()["Properties"],
                    "KmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/abc",
                },
            }
        }
    },
}


def _snapshot_name(path: Path) -> str:
    """The name checkov reports a snapshot file under: ``snapshot.<test module>.<snapshot>``."""
    return "snapshot." + re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{path.parent.name}.{path.stem}")


def _snapshot_templates() -> dict[str, dict[str, Any]]:
    """Every template snapshot file: the sample's stacks and the construct scenarios'."""
    found = {}
    for path in recorded_snapshots():
        template = json.loads(path.read_text())
        if "Resources" in template:
            found[_snapshot_name(path)] = template
    return found


@pytest.fixture(scope="module")
def gated() -> dict[str, dict[str, Any]]:
    """Every template this module's checkov run checks, by the name checkov reports it under."""
    return {**TEMPLATES, **_snapshot_templates()}


@pytest.fixture(scope="module")
def report(gated) -> CheckovReport:
    """The one checkov run; a missing checkov fails the tests, it is no skip."""
    try:
        checkov_executable()
    except CheckovNotInstalledError as error:
        pytest.fail(str(error))
    return run_checkov(gated)


def problems_of(report: CheckovReport, prefix: str) -> str:
    """The gate's problems in the templates whose names start with ``prefix``, one per line."""
    return "\n".join(line for line in report.describe().splitlines() if line.startswith(prefix))


def test_every_snapshot_passes_checkov(report, gated):
    constructs = [n for n in gated if n.startswith("snapshot.") and "test_sample_" not in n]
    assert len(constructs) >= 10
    assert not problems_of(report, "snapshot."), problems_of(report, "snapshot.")


def test_every_stack_of_the_sample_is_checked(report, gated):
    sample = Path("test_sample_snapshots")  # a snapshot's name is its module's and its own
    for profile, stacks in SAMPLE_STACKS.items():
        for stack in stacks:
            name = _snapshot_name(sample / f"test_stack_snapshot[{profile}-{stack}].json")
            assert name in gated, f"no snapshot of {profile}/{stack}: `make snapshots`"
    checked = {s.template for s in report.skipped if ".test_sample_snapshots." in s.template}
    assert checked, "the sample's resources say why the checks they skip do not apply"


def test_every_skip_carries_a_reason(report, gated):
    ours = [s for s in report.skipped if s.template not in TEMPLATES]
    assert ours
    assert not [s for s in ours if s in report.uncommented_skips]


def _ids(results, template, logical_id):
    return {r.check_id for r in results if (r.template, r.logical_id) == (template, logical_id)}


def test_a_violating_template_fails_per_resource(report):
    assert ENV_CHECK in _ids(report.failed, "violating", "Fn")
    assert LOGGING_CHECK in _ids(report.failed, "violating", "Logs")
    by_resource = report.failed_by_resource("violating")
    assert ENV_CHECK in by_resource["violating/Fn"]
    assert "violating/Fn" in report.describe()


def test_a_customer_key_satisfies_the_environment_check(report):
    assert ENV_CHECK not in _ids(report.failed, "encrypted", "Fn")


def test_skip_metadata_with_a_comment_is_honoured(report):
    assert ENV_CHECK not in _ids(report.failed, "skipped", "Fn")
    assert LOGGING_CHECK not in _ids(report.failed, "skipped", "Logs")
    (skip,) = [s for s in report.skipped if (s.template, s.check_id) == ("skipped", ENV_CHECK)]
    assert skip.comment == "no secrets in the environment (test)"
    assert not [s for s in report.uncommented_skips if s.template == "skipped"]


def test_a_skip_without_a_comment_fails_the_gate(report):
    assert ENV_CHECK not in _ids(report.failed, "uncommented", "Fn")
    (problem,) = [p for p in report.uncommented_skips if p.template == "uncommented"]
    assert problem.check_id == ENV_CHECK
    assert problem in report.problems
    assert "skipped without a comment" in report.describe()


def test_every_template_was_read(report, gated):
    assert report.resource_count == sum(len(t["Resources"]) for t in gated.values())


def test_parse_report_reads_a_single_report_and_ignores_other_frameworks():
    failed = {
        "check_id": "CKV_AWS_2",
        "check_name": "Ensure ALB protocol is HTTPS",
        "resource": "AWS::ElasticLoadBalancingV2::Listener.Http",
        "file_path": "/dev-OrdersService.template.json",
        "check_result": {"result": "FAILED"},
    }
    output = [
        {
            "check_type": "cloudformation",
            "summary": {"resource_count": 3},
            "results": {"failed_checks": [failed], "skipped_checks": []},
        },
        {"check_type": "secrets", "summary": {"resource_count": 9}, "results": {}},
    ]
    parsed = parse_report(output)
    assert parsed.failed == (
        CheckResult(
            template="dev-OrdersService",
            logical_id="Http",
            check_id="CKV_AWS_2",
            check_name="Ensure ALB protocol is HTTPS",
            resource_type="AWS::ElasticLoadBalancingV2::Listener",
        ),
    )
    assert parsed.resource_count == 3
    assert parse_report(output[0]).failed == parsed.failed


def test_templates_in_names_templates_by_prefix_and_stack(tmp_path):
    for name in ("OrdersPlatform", "OrdersService"):
        (tmp_path / f"{name}.template.json").write_text(json.dumps({"Resources": {}}))
    (tmp_path / "manifest.json").write_text("{}")
    assert set(templates_in([tmp_path], prefix="dev-")) == {
        "dev-OrdersPlatform",
        "dev-OrdersService",
    }


def test_a_missing_checkov_is_reported_with_the_way_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("CHECKOV", str(tmp_path / "nowhere" / "checkov"))
    with pytest.raises(CheckovNotInstalledError, match="make checkov-install"):
        checkov_executable()


def test_checkovs_jsonpath_parser_reads_its_tables_instead_of_generating_them():
    """``make checkov-install`` writes them (``scripts/checkov_parse_tables.py``)."""
    probe = (
        "import ply.yacc as yacc\n"
        "from bc_jsonpath_ng import parser\n"
        "from bc_jsonpath_ng.ext import parser as ext\n"
        "built = []\n"
        "class Spy(yacc.LRGeneratedTable):\n"
        "    def __init__(self, *args, **kwargs):\n"
        "        built.append(1)\n"
        "        super().__init__(*args, **kwargs)\n"
        "yacc.LRGeneratedTable = Spy\n"
        "assert str(ext.parse('Resources.*.Properties[?(@.Name)]'))\n"
        "assert str(parser.parse('a.b[0]'))\n"
        "print(len(built))\n"
    )
    python = checkov_executable().parent / "python"
    completed = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert completed.stdout.strip() == "0", completed.stdout + completed.stderr
