"""The library as a service team gets it: the wheel, installed into a fresh venv, used elsewhere.

Slow (a fresh venv installs aws-cdk-lib): deselected from a plain ``pytest`` run and run by
``make dist-check``, which ``make test`` (and so CI) includes. pip reuses its own cache; nothing
else is fetched, and nothing talks to AWS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from modern_app_constructs import __version__
from tests.cdk_support import ROOT

pytestmark = pytest.mark.slow

PACKAGE_DIR = ROOT / "modern_app_constructs"
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"

#: A small service, every construct on its defaults, in an env-agnostic stack (what `cdk init`
#: gives), behind cdk-nag.
CONSUMER_APP = """
import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from cdk_nag import AwsSolutionsChecks

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    Route,
    ServiceDashboard,
    SmokeTest,
    WorkerConsumer,
    asset_code,
)

app = cdk.App()
stack = cdk.Stack(app, "Checkout")
orders = CanaryFunction(
    stack,
    "Orders",
    code=asset_code("handlers"),
    handler="orders.handler",
    smoke_test=SmokeTest({"httpMethod": "GET", "path": "/orders"}),
)
intake = DecoupledWorker(
    stack, "Intake", consumer=WorkerConsumer.code(asset_code("handlers"), "intake.handler")
)
catalog = FargateService(
    stack, "Catalog", image=ecs.ContainerImage.from_registry("public.ecr.aws/example/catalog:1.0")
)
api = ApiFrontDoor(stack, "Api")
api.add_route("/orders", Route.function(orders))
api.add_route("/intake", Route.queue(intake))
api.add_route("/catalog", Route.service(catalog))
ServiceDashboard(stack, "Dashboard", service_name="checkout").add(api, orders, intake, catalog)
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
"""


#: A service team's own gate and snapshot, with the test support the wheel ships.
CONSUMER_CONFTEST = """
import aws_cdk as cdk
import pytest

from modern_app_constructs import CanaryFunction, DecoupledWorker, WorkerConsumer, asset_code
from modern_app_constructs.testing import app_for_tests, assert_compliant

pytest_plugins = ["modern_app_constructs.testing"]


@pytest.fixture(scope="session")
def templates():
    app = app_for_tests(cfn_lint=True)  # cdk init's cdk.json, found above this file
    stack = cdk.Stack(app, "Checkout")
    CanaryFunction(stack, "Orders", code=asset_code("handlers"), handler="orders.handler")
    consumer = WorkerConsumer.code(asset_code("handlers"), "intake.handler")
    DecoupledWorker(stack, "Intake", consumer=consumer)
    return assert_compliant(app)
"""
CONSUMER_TEST = """
def test_checkout(templates, template_snapshot):
    assert templates["Checkout"] == template_snapshot
"""


def _env() -> dict[str, str]:
    """This process's environment without what would let the repository leak into the app."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"}
    }
    env.update(
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        CDK_DISABLE_VERSION_CHECK="1",
        CDK_DISABLE_CLI_TELEMETRY="true",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built as `make dist` builds them."""
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT, cwd=ROOT)
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (built,) = dist.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def consumer_python(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel and its testing extra installed under the constraints."""
    venv = tmp_path_factory.mktemp("consumer-venv")
    _run(sys.executable, "-m", "venv", venv, cwd=venv)
    python = venv / "bin" / "python"
    _run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-compile",
        "--disable-pip-version-check",
        "-c",
        CONSTRAINTS,
        f"{wheel}[testing]",  # cdk-nag, and what modern_app_constructs.testing needs
        cwd=venv,
    )
    return python


def test_dist_holds_an_sdist_and_a_wheel_of_this_version(dist):
    assert sorted(path.name for path in dist.iterdir()) == [
        f"modern_app_constructs-{__version__}-py3-none-any.whl",
        f"modern_app_constructs-{__version__}.tar.gz",
    ]


def test_wheel_ships_the_package_its_typing_marker_runtime_code_and_data_only(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE_DIR.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and (path.suffix in {".py", ".typed", ".json"} or "templates" in path.parts)
    }
    assert "modern_app_constructs/py.typed" in package
    assert "modern_app_constructs/runtime/smoke_test_hook.py" in package
    assert "modern_app_constructs/data/prices.json" in package
    assert "modern_app_constructs/templates/service/copier.yml" in package
    assert "modern_app_constructs/templates/service/.gitignore" in package
    assert package <= names, package - names
    dist_info = f"modern_app_constructs-{__version__}.dist-info/"
    assert {name for name in names - package if not name.startswith(dist_info)} == set()
    metadata = zipfile.ZipFile(wheel).read(f"{dist_info}METADATA").decode()
    assert f"\nVersion: {__version__}\n" in metadata


def test_installed_wheel_is_what_the_app_imports_and_reports_the_version(consumer_python, tmp_path):
    script = (
        "import importlib.metadata, modern_app_constructs as m; "
        "print(importlib.metadata.version('modern-app-constructs'), m.__version__, m.__file__)"
    )
    meta_version, package_version, location = _run(
        consumer_python, "-c", script, cwd=tmp_path
    ).stdout.split()
    assert meta_version == package_version == __version__
    assert Path(location).is_relative_to(consumer_python.parent.parent)


def test_a_service_app_outside_the_repository_synthesizes_under_cdk_nag(consumer_python, tmp_path):
    app_dir = tmp_path / "checkout"
    app_dir.mkdir()
    _run(CDK_CLI, "init", "app", "--language", "python", "--generate-only", cwd=app_dir)
    cdk_json = json.loads((app_dir / "cdk.json").read_text())
    assert "profile" not in cdk_json["context"]  # cdk init's context, not this repository's
    cdk_json["app"] = f"{consumer_python} app.py"
    (app_dir / "cdk.json").write_text(json.dumps(cdk_json, indent=2))
    (app_dir / "app.py").write_text(CONSUMER_APP)
    (app_dir / "handlers").mkdir()
    for name in ("orders", "intake"):
        (app_dir / "handlers" / f"{name}.py").write_text(
            "def handler(event, context):\n    return {'statusCode': 200}\n"
        )

    _run(CDK_CLI, "synth", "--quiet", "--no-notices", "--output", "cdk.out", cwd=app_dir)

    out = app_dir / "cdk.out"
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        manifest["artifacts"]["Checkout"]["environment"] == "aws://unknown-account/unknown-region"
    )
    template = json.loads((out / "Checkout.template.json").read_text())
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {
        "AWS::Lambda::Alias",
        "AWS::CodeDeploy::DeploymentGroup",
        "AWS::SQS::Queue",
        "AWS::ECS::Service",
        "AWS::ApiGateway::RestApi",
        "AWS::CloudWatch::Dashboard",
    } <= types
    (balancer,) = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer"
    ]
    attributes = {a["Key"]: a["Value"] for a in balancer["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"  # on by default, env-agnostic too
    # the built-in smoke test's handler is shipped in the wheel and staged from site-packages
    assert any((asset / "smoke_test_hook.py").is_file() for asset in out.glob("asset.*"))
    assert (out / "validation-report.json").is_file()  # cdk-nag ran (and found nothing open)


def test_the_shipped_test_support_gates_and_snapshots_a_service_app(consumer_python, tmp_path):
    app_dir = tmp_path / "checkout"
    app_dir.mkdir()
    _run(CDK_CLI, "init", "app", "--language", "python", "--generate-only", cwd=app_dir)
    (app_dir / "handlers").mkdir()
    for name in ("orders", "intake"):
        (app_dir / "handlers" / f"{name}.py").write_text(
            "def handler(event, context):\n    return {'statusCode': 200}\n"
        )
    (app_dir / "conftest.py").write_text(CONSUMER_CONFTEST)
    (app_dir / "gates").mkdir()
    (app_dir / "gates" / "test_checkout.py").write_text(CONSUMER_TEST)
    pytest_args = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "gates")

    _run(consumer_python, *pytest_args, "--snapshot-update", cwd=app_dir)
    (snapshot,) = (app_dir / "gates" / "__snapshots__").rglob("*.json")
    template = json.loads(snapshot.read_text())
    assert "<asset-hash>" in json.dumps(template)
    assert any("CurrentVersion<hash>" in logical_id for logical_id in template["Resources"])
    # the second run compares against what the first recorded: byte-identical
    assert "1 snapshot passed" in _run(consumer_python, *pytest_args, cwd=app_dir).stdout
