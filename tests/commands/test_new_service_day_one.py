"""Day one, offline: each generated repository's own `make synth` and `make test` pass.

Slow (part of ``make dist-check``): the built wheel in ONE fresh venv shared by the three
generated repositories (their Makefiles take ``VENV=``), and this repository's CDK CLI linked
in (one npm install). Nothing talks to AWS.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from modern_app_constructs import _new
from tests.cdk_support import ROOT
from tests.repository.test_wheel_install import CONSTRAINTS, _env, _run, dist, wheel  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """One venv with the wheel, its testing extra and what the handlers' tests import."""
    venv = tmp_path_factory.mktemp("service-venv")
    _run(sys.executable, "-m", "venv", venv, cwd=venv)
    _run(
        venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile",
        "--disable-pip-version-check", "-c", CONSTRAINTS, f"{wheel}[testing]",
        "aws-lambda-powertools[tracer]", cwd=venv,
    )  # fmt: skip
    return venv


@pytest.mark.parametrize("template", _new.TEMPLATES)
def test_a_generated_repository_synthesizes_and_tests_green(template, service_venv, tmp_path):
    repo = _new.new_service(
        "day-one", environment="shop-dev", template=template, output=tmp_path / "day-one",
        cache=tmp_path / "cache",
    )  # fmt: skip
    (repo / "node_modules").symlink_to(ROOT / "node_modules")
    stamp = tmp_path / "npm-installed"
    time.sleep(0.01)
    stamp.touch()  # the CLI is linked in: no npm ci (it would empty the shared node_modules)
    make = ("make", f"VENV={service_venv}", f"NODE_INSTALLED={stamp}")

    synth = _run(*make, "synth", cwd=repo)
    assert (repo / "cdk.out" / "DayOneService.template.json").is_file()
    assert "DayOneService" in synth.stdout  # the cost command's table
    first = _run(*make, "test", cwd=repo)
    assert "this run RECORDED the template snapshots" in first.stdout
    assert len(list((repo / "tests" / "__snapshots__").rglob("*.json"))) == 4
    second = _run(*make, "test", cwd=repo)
    assert "RECORDED" not in second.stdout
    assert "failed" not in second.stdout
