"""The AWS Control Tower proactive controls (cfn-guard rules) over synthesized templates.

``cdklabs-cdk-validator-cfnguard`` bundles cfn-guard and the Control Tower rules as a CDK
validation plugin, but its plugin fails processing cfn-guard's results on a template whose
resources reference a template parameter (``AWS::SSM::Parameter::Value<String>``: every value a
service reads from the platform it attaches to by name), and then reports nothing. So the
report runs the bundled cfn-guard binary and rules directly, once per template, on a copy of the
template in which each SSM-typed parameter a resource references is replaced by a placeholder of
the type the platform contract publishes under that name (:data:`PLACEHOLDERS`): a key ARN for
``key-arn``, subnet ids for ``private-subnet-ids``, ... ``Fn::Split``/``Fn::Select`` over a
substituted list are then evaluated, so a subnet reads as a subnet id. A parameter the table
does not know fails the run, rather than leaving a reference cfn-guard cannot read.

What is substituted changes no rule's outcome but the ones that read the reference: a log group
or queue encrypted with the platform key (``KmsKeyId``/``KmsMasterKeyId``) reads as encrypted
with a customer-managed key, which is what the deployed stack has.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "PLACEHOLDERS",
    "GuardFinding",
    "GuardRun",
    "bundled_guard",
    "run_guard",
    "substitute_parameters",
]

_ACCOUNT = "111111111111"
_KEY_ID = "00000000-0000-4000-8000-000000000000"
#: The placeholder of each platform contract value, by the last segment of its SSM path.
#: ``{region}`` is the template's region (from its ARNs) or ``eu-west-1``.
PLACEHOLDERS: Mapping[str, str] = {
    "contract-major": "1",
    "profile": "{profile}",
    "log-retention-days": "{retention}",
    "team": "placeholder-team",
    "application": "placeholder-application",
    "cost-center": "placeholder-cost-center",
    "key-arn": f"arn:aws:kms:{{region}}:{_ACCOUNT}:key/{_KEY_ID}",
    "alarm-topic-arn": f"arn:aws:sns:{{region}}:{_ACCOUNT}:placeholder-alarms",
    "vpc-id": "vpc-0000000000000000a",
    "availability-zones": "{region}a,{region}b,{region}c",
    "private-subnet-ids": "subnet-0000000000000001a,subnet-0000000000000001b,"
    "subnet-0000000000000001c",
    "private-route-table-ids": "rtb-0000000000000001a,rtb-0000000000000001b,rtb-0000000000000001c",
    "public-subnet-ids": "subnet-0000000000000002a,subnet-0000000000000002b,"
    "subnet-0000000000000002c",
    "public-route-table-ids": "rtb-0000000000000002a,rtb-0000000000000002b,rtb-0000000000000002c",
    "az-count": "3",
    "cluster-name": "placeholder-cluster",
    "cluster-arn": f"arn:aws:ecs:{{region}}:{_ACCOUNT}:cluster/placeholder-cluster",
}
_SSM_TYPE = "AWS::SSM::Parameter::Value<String>"
_RESOURCE_PATH = re.compile(r"^/Resources/([^/\[]+)")
_CONTROL = re.compile(r"\[(CT\.[A-Z0-9]+\.PR\.\d+)\]:\s*([^\n]*)")
_RETENTION = {"dev": "30", "prod": "365"}


@dataclass(frozen=True, order=True)
class GuardFinding:
    """One rule that one resource of one template fails.

    Attributes:
        template: the template's name.
        rule: the guard rule, e.g. ``kms_create_grant_aws_service_check``.
        logical_id: the failing resource.
        control: its Control Tower control id, e.g. ``CT.KMS.PR.3``.
        title: what the control requires.
    """

    template: str
    rule: str
    logical_id: str
    control: str = ""
    title: str = ""


@dataclass(frozen=True)
class GuardRun:
    """The outcome of cfn-guard over a set of templates.

    Attributes:
        findings: every failing rule and resource.
        evaluated: the templates cfn-guard returned a result for.
        substituted: per template, each substituted parameter and its placeholder.
    """

    findings: tuple[GuardFinding, ...]
    evaluated: tuple[str, ...]
    substituted: Mapping[str, Mapping[str, str]]


def bundled_guard(directory: Path) -> tuple[Path, Path]:
    """Unpack the cfn-guard binary and the Control Tower rules the plugin bundles.

    Returns (the binary for this platform, the rules directory), both beneath ``directory``;
    they come from the package's own archive, so the version is the plugin's.
    """
    import platform
    import tarfile

    import cdklabs.cdk_validator_cfnguard as plugin

    system = {"Linux": "ubuntu", "Darwin": "macos"}[platform.system()]
    machine = {"x86_64": "x86_64", "AMD64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}[
        platform.machine()
    ]
    (archive,) = Path(plugin.__file__).parent.glob("_jsii/*.jsii.tgz")
    binary = f"package/bin/{system}/{machine}/cfn-guard"
    rules = "package/rules/control-tower/cfn-guard/"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name == binary or m.name.startswith(rules)]
        tar.extractall(directory, members=members, filter="data")
    return directory / binary, directory / rules


def _region(template: Mapping[str, Any]) -> str:
    match = re.search(r"arn:aws:[a-z0-9-]+:([a-z]{2}-[a-z]+-\d):", json.dumps(template))
    return match.group(1) if match else "eu-west-1"


def substitute_parameters(
    template: Mapping[str, Any], *, profile: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy of ``template`` with each referenced SSM-typed parameter replaced by a placeholder.

    Returns the copy and what was substituted (parameter -> placeholder).

    Raises:
        ValueError: for a referenced SSM-typed parameter whose path :data:`PLACEHOLDERS` does
            not know.
    """
    region = _region(template)
    values: dict[str, str] = {}
    for name, parameter in dict(template.get("Parameters", {})).items():
        if parameter.get("Type") != _SSM_TYPE:
            continue
        segment = str(parameter.get("Default", "")).rsplit("/", 1)[-1]
        if segment in PLACEHOLDERS:
            values[name] = PLACEHOLDERS[segment].format(
                region=region, profile=profile, retention=_RETENTION.get(profile, "30")
            )
    copied = copy.deepcopy(dict(template))
    resources = _resolve(copied.get("Resources", {}), values)
    ssm = {n for n, p in dict(template.get("Parameters", {})).items() if p.get("Type") == _SSM_TYPE}
    unknown = sorted(ssm - set(values) & _references(resources))
    if unknown:
        raise ValueError(f"no placeholder for the SSM-typed parameters {unknown}: see PLACEHOLDERS")
    copied["Resources"] = resources
    used = _references(template.get("Resources", {}))
    return copied, {name: value for name, value in values.items() if name in used}


def _references(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if set(node) == {"Ref"} and isinstance(node["Ref"], str):
            found.add(node["Ref"])
        for value in node.values():
            found |= _references(value)
    elif isinstance(node, list):
        for value in node:
            found |= _references(value)
    return found


def _resolve(node: Any, values: Mapping[str, str]) -> Any:
    """Replace ``Ref`` to a substituted parameter; evaluate Split/Select over literals."""
    if isinstance(node, list):
        return [_resolve(value, values) for value in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"} and node["Ref"] in values:
        return values[node["Ref"]]
    resolved = {key: _resolve(value, values) for key, value in node.items()}
    if set(resolved) == {"Fn::Split"}:
        delimiter, source = resolved["Fn::Split"]
        if isinstance(source, str):
            return source.split(delimiter)
    if set(resolved) == {"Fn::Select"}:
        index, items = resolved["Fn::Select"]
        if isinstance(items, list) and isinstance(index, int | str) and int(index) < len(items):
            return items[int(index)]
    return resolved


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _parse(template: str, result: Mapping[str, Any]) -> list[GuardFinding]:
    findings: set[GuardFinding] = set()
    for entry in result.get("not_compliant", []):
        rule = entry.get("Rule", {})
        control = title = ""
        logical_ids: set[str] = set()
        for key, value in _walk(rule):
            if key == "custom_message" and isinstance(value, str) and not control:
                match = _CONTROL.search(value)
                if match:
                    control, title = match.group(1), match.group(2).strip()
            elif key == "path" and isinstance(value, str):
                match = _RESOURCE_PATH.match(value)
                if match:
                    logical_ids.add(match.group(1))
        for logical_id in logical_ids:
            findings.add(GuardFinding(template, str(rule["name"]), logical_id, control, title))
    return sorted(findings)


def run_guard(
    templates: Mapping[str, Path],
    *,
    profile: str,
    disabled_rules: Sequence[str] = (),
    timeout_s: float = 300,
) -> GuardRun:
    """Run the bundled cfn-guard and Control Tower rules over each template (substituted copy).

    Args:
        templates: template name -> its JSON file.
        profile: the profile the templates were synthesized in (placeholder of ``profile``).
        disabled_rules: rule files to leave out, by name (``ct-sqs-pr-2``).
        timeout_s: per cfn-guard run.

    Raises:
        RuntimeError: cfn-guard failed (an exit status other than 0, 5 or 19, or no JSON).
    """
    workdir_handle = tempfile.TemporaryDirectory(prefix="guard-")
    workdir = workdir_handle.name
    binary, rules_dir = bundled_guard(Path(workdir))
    rules = [
        path
        for path in sorted(rules_dir.rglob("*.guard"))
        if path.name.removesuffix(".guard") not in disabled_rules
    ]
    findings: list[GuardFinding] = []
    evaluated: list[str] = []
    substituted: dict[str, dict[str, str]] = {}
    with workdir_handle:
        for name, path in sorted(templates.items()):
            copied, values = substitute_parameters(json.loads(path.read_text()), profile=profile)
            substituted[name] = values
            data = Path(workdir) / f"{name}.template.json"
            data.write_text(json.dumps(copied))
            command = [str(binary), "validate", "--data", str(data)]
            for rule in rules:
                command += ["--rules", str(rule)]
            command += ["--output-format", "json", "--show-summary", "none", "--structured"]
            process = subprocess.run(  # the bundled binary, our own arguments
                command, capture_output=True, text=True, timeout=timeout_s, check=False
            )
            if process.returncode not in (0, 5, 19):
                raise RuntimeError(
                    f"cfn-guard failed on {name} (exit {process.returncode}): "
                    f"{process.stderr.strip()[-2000:]}"
                )
            results = json.loads(process.stdout or "[]")
            if not results:
                raise RuntimeError(f"cfn-guard returned no result for {name}")
            evaluated.append(name)
            for result in results:
                findings += _parse(name, result)
    return GuardRun(tuple(sorted(findings)), tuple(evaluated), substituted)
