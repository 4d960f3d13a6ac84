"""``make integ``: deploy each integ app to the caller's AWS account, then destroy it.

Each ``tests/integ/integ_*.py`` is an aws-cdk style integ app (``IntegTest`` + ``DeployAssert``):
its stacks under test plus an assertion stack whose custom resources make the checks while
CloudFormation creates it, so a failed assertion fails that stack's deployment. For each app,
in turn: synthesize it into ``cdk.out/integ/<app>`` (with ``CDK_INTEG_REGION`` set to the
caller's region), ``cdk deploy`` its stacks under test and assertion stack, then
``cdk destroy --force`` the same whatever happened.

``integ-runner`` would be the tool for this, but the newest one on npm (2.197.10) reads cloud
assemblies up to schema 53 and aws-cdk-lib 2.275 writes schema 55: it cannot check a snapshot
nor deploy one. The pinned CDK CLI (package.json) can, so this script drives it the same way.

Usage: ``scripts/integ.py [NAME ...]`` (e.g. ``decoupled_worker``); default: every app.
Without credentials it says so and exits 2; any failed app makes it exit 1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTEG_DIR = ROOT / "tests" / "integ"
OUT = ROOT / "cdk.out" / "integ"
BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"


def caller() -> tuple[str, str] | str:
    """``(account, region)`` of the caller's credentials, or why there are none."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    region = os.environ.get("AWS_REGION") or boto3.Session().region_name
    if not region:
        return "no region configured (set AWS_REGION or a profile's region)"
    session = boto3.Session(region_name=region)
    try:
        identity = session.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        return f"no usable AWS credentials ({error})"
    try:
        session.client("ssm").get_parameter(Name=BOOTSTRAP_PARAMETER)
    except ClientError:
        return (
            f"account {identity['Account']} is not CDK-bootstrapped in {region}: "
            "run `npx cdk bootstrap` once"
        )
    return str(identity["Account"]), region


def cdk(*args: str, env: dict[str, str]) -> int:
    """Run the pinned CDK CLI; its output streams to ours."""
    return subprocess.run(["npx", "--no-install", "cdk", *args], cwd=ROOT, env=env).returncode


def run(app: Path, account: str, region: str) -> bool:
    """Deploy one integ app, then destroy it; True when every assertion passed."""
    outdir = OUT / app.stem
    shutil.rmtree(outdir, ignore_errors=True)
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_INTEG_ACCOUNT": account,
        "CDK_INTEG_REGION": region,
        "AWS_REGION": region,
        "PYTHONPATH": str(ROOT),
        "CDK_DISABLE_VERSION_CHECK": "1",
    }
    subprocess.run([sys.executable, str(app)], cwd=ROOT, env=env, check=True)
    manifest = json.loads((outdir / "integ.json").read_text())
    (case,) = manifest["testCases"].values()
    print(f"\n=== {app.stem}: {', '.join(case['stacks'])} + {case['assertionStackName']}")
    # only what the test deploys: an app may hold other stacks (the sample's pipeline)
    selection = ["--app", str(outdir), *case["stacks"], case["assertionStack"]]
    started = time.monotonic()
    try:
        deployed = cdk("deploy", *selection, "--require-approval", "never", env=env) == 0
    finally:
        destroyed = cdk("destroy", *selection, "--force", env=env) == 0
    minutes = (time.monotonic() - started) / 60
    verdict = "PASSED" if deployed else "FAILED"
    print(
        f"=== {app.stem}: {verdict} in {minutes:.1f} min"
        + ("" if destroyed else " - DESTROY FAILED: delete its stacks by hand")
    )
    return deployed and destroyed


def main(names: list[str]) -> int:
    """Run the integ apps named (every one by default); the process's exit code."""
    apps = sorted(INTEG_DIR.glob("integ_*.py"))
    if names:
        apps = [
            app for app in apps if app.stem.removeprefix("integ_") in names or app.stem in names
        ]
        if not apps:
            print(f"no integ app named {' '.join(names)}", file=sys.stderr)
            return 2
    found = caller()
    if isinstance(found, str):
        print(
            f"make integ deploys to a real AWS account and cannot run: {found}.\n"
            "The offline checks of these apps (snapshots) run in `make test`; "
            "`make integ-local` exercises what a local emulator can.",
            file=sys.stderr,
        )
        return 2
    account, region = found
    print(f"integ: {len(apps)} app(s) into account {account}, region {region}")
    results = {app.stem: run(app, account, region) for app in apps}
    print("\n" + "\n".join(f"{'ok  ' if ok else 'FAIL'} {name}" for name, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
