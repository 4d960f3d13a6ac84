"""LocalStack run as a plain Python process on loopback, and CloudFormation deployments to it.

The emulator runs from its own venv (``.emulator/venv``, Python >= 3.12, built by
``scripts/emulator.py install``), bound to 127.0.0.1 on a free port, with its data in a temporary
directory. The test session starts it and stops it by its process id; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3

from tests.cdk_support import ROOT

VENV_PYTHON = ROOT / ".emulator" / "venv" / "bin" / "python"
REGION = "us-east-1"
ACCOUNT = "000000000000"
#: CloudFormation takes a template of at most this many bytes inline; larger ones go through S3.
TEMPLATE_BODY_LIMIT = 51_200
#: The default synthesizer's templates check the bootstrap stack's version through SSM.
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
START_TIMEOUT_S = 120
#: LocalStack shuts down in ~15 s on SIGTERM here; its data is throwaway, so it gets 5 s
STOP_TIMEOUT_S = 5
DEPLOY_TIMEOUT_S = 180

T = TypeVar("T")


def wait_for(
    what: str, probe: Callable[[], T | None], timeout_s: float, interval_s: float = 0.5
) -> T:
    """Call ``probe`` until it returns something other than ``None``; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Emulator:
    """A running LocalStack: its endpoint, and boto3 clients pointed at it."""

    process: subprocess.Popen[bytes]
    endpoint: str
    log_file: Path
    _clients: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls, data_dir: Path, python: Path = VENV_PYTHON) -> Emulator:
        """Start LocalStack on 127.0.0.1 and wait (bounded) until it answers."""
        port = _free_port()
        listen = f"127.0.0.1:{port}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(data_dir),
            "GATEWAY_LISTEN": listen,
            # the default (twisted) gateway binds every interface whatever GATEWAY_LISTEN says;
            # hypercorn binds exactly the address given
            "GATEWAY_SERVER": "hypercorn",
            "LOCALSTACK_HOST": listen,
            # the machine has a /.dockerenv file: without this LocalStack thinks it runs in
            # its own container and listens on every interface
            "OVERRIDE_IN_DOCKER": "0",
            "DNS_ADDRESS": "0",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "DISABLE_EVENTS": "1",
            "FILESYSTEM_ROOT": str(data_dir / "filesystem"),
            "TMPDIR": str(data_dir / "tmp"),
        }
        for directory in ("filesystem", "tmp"):
            (data_dir / directory).mkdir(parents=True, exist_ok=True)
        log_file = data_dir / "localstack.log"
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                [str(python), "-m", "localstack.runtime.main"],
                env=env,
                cwd=data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        emulator = cls(process=process, endpoint=f"http://{listen}", log_file=log_file)
        try:
            wait_for("LocalStack to answer", emulator._ready, START_TIMEOUT_S)
        except BaseException:
            emulator.stop()
            raise
        return emulator

    def _ready(self) -> bool | None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"LocalStack exited with {self.process.returncode}:\n{self.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{self.endpoint}/_localstack/health", timeout=2) as r:
                json.load(r)
        except OSError:
            return None
        return True

    def stop(self) -> None:
        """Stop the emulator by its process id: SIGTERM, then SIGKILL after a bounded wait."""
        if self.process.poll() is not None:
            return
        # the process leads its own session: its group holds only what it started
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the emulator's log, for failure messages."""
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` at the emulator (test credentials, one region)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.endpoint,
                region_name=REGION,
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
        return self._clients[service]

    def deploy(self, stack_name: str, template: dict[str, Any]) -> DeployedStack:
        """Create ``stack_name`` from a synthesized template and wait (bounded) for the outcome.

        Returns whatever the outcome; callers assert on every resource, since the emulator
        reports CREATE_COMPLETE for a stack whose unsupported resources it only pretended to
        create ("deployed as a fallback").
        """
        self.client("ssm").put_parameter(
            Name=BOOTSTRAP_VERSION_PARAMETER, Value="30", Type="String", Overwrite=True
        )
        cloudformation = self.client("cloudformation")
        body = json.dumps(template)
        source: dict[str, str]
        if len(body.encode()) > TEMPLATE_BODY_LIMIT:
            bucket = "integ-local-templates"
            s3 = self.client("s3")
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key=f"{stack_name}.json", Body=body.encode())
            source = {"TemplateURL": f"{self.endpoint}/{bucket}/{stack_name}.json"}
        else:
            source = {"TemplateBody": body}
        cloudformation.create_stack(
            StackName=stack_name,
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            **source,
        )

        def finished() -> dict[str, Any] | None:
            stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
            return None if stack["StackStatus"].endswith("_IN_PROGRESS") else stack

        stack = wait_for(f"stack {stack_name}", finished, DEPLOY_TIMEOUT_S)
        resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
        return DeployedStack(
            name=stack_name,
            status=stack["StackStatus"],
            template=template,
            resources={resource["LogicalResourceId"]: resource for resource in resources},
            outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        )


@dataclass(frozen=True)
class DeployedStack:
    """A stack as the emulator reports it."""

    name: str
    status: str
    template: dict[str, Any]
    resources: dict[str, dict[str, Any]]
    outputs: dict[str, str]

    def physical_id(self, logical_id: str) -> str:
        """The physical id of one resource (a queue URL, a topic ARN, a key id, ...)."""
        return str(self.resources[logical_id]["PhysicalResourceId"])

    def problems(self) -> list[str]:
        """Every resource that is not really there: failed, missing, or a fallback stand-in."""
        found = []
        for logical_id in self.template["Resources"]:
            resource = self.resources.get(logical_id)
            if resource is None:
                found.append(f"{logical_id}: not deployed at all")
                continue
            status = resource["ResourceStatus"]
            reason = resource.get("ResourceStatusReason") or ""
            physical = resource.get("PhysicalResourceId")
            if (
                status != "CREATE_COMPLETE"
                or "fallback" in reason.lower()
                or physical
                in (
                    None,
                    "",
                    "unknown",
                )
            ):
                found.append(
                    f"{logical_id} ({resource['ResourceType']}): {status}, "
                    f"physical id {physical!r}, reason {reason!r}"
                )
        return found
