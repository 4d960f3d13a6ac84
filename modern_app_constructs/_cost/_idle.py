"""The fixed monthly cost of each resource of a template: one pricer per billable type.

A type no pricer handles is looked up in ``data/usage_priced_types.json`` (no idle cost); any
other type is reported as unpriced, never as zero.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ._assembly import AssemblyStack, refs
from ._model import Assumptions, CostItem, Unpriced, UsagePriced, usd
from ._prices import RegionPrices

__all__ = ["price_resources", "usage_priced_types"]

Result = CostItem | UsagePriced | Unpriced

#: Managed rule groups that carry their own subscription and request fees.
_PAID_RULE_GROUPS = (
    "AWSManagedRulesBotControlRuleSet",
    "AWSManagedRulesATPRuleSet",
    "AWSManagedRulesACFPRuleSet",
    "AWSManagedRulesAntiDDoSRuleSet",
)
_CDK_METADATA = "AWS::CDK::Metadata"
#: The root volume assumed for an instance that does not size its own (Amazon Linux 2023).
_ROOT_VOLUME_GB = 8


@cache
def usage_priced_types() -> Mapping[str, str]:
    """The resource types with no idle cost, with what each bills by (a data file)."""
    text = (
        resources.files("modern_app_constructs")
        .joinpath("data/usage_priced_types.json")
        .read_text()
    )
    types: dict[str, str] = json.loads(text)["types"]
    return types


@dataclass(frozen=True)
class _Context:
    stack: AssemblyStack
    prices: RegionPrices
    assumptions: Assumptions

    @property
    def hours(self) -> float:
        return self.assumptions.hours_per_month

    def hourly(self, count: float, what: str, key: str) -> tuple[float, str]:
        """``count`` things at an hourly price for a month, and how that is made."""
        price = self.prices[key]
        return count * self.hours * price, f"{count:g} {what} x {self.hours:g} h x {usd(price)}"


def price_resources(
    stack: AssemblyStack, prices: RegionPrices, assumptions: Assumptions
) -> tuple[list[CostItem], list[UsagePriced], list[Unpriced]]:
    """Every resource of ``stack``: priced, usage-priced or unpriced."""
    context = _Context(stack=stack, prices=prices, assumptions=assumptions)
    items: list[CostItem] = []
    usage: list[UsagePriced] = []
    unpriced: list[Unpriced] = []
    for logical_id, resource in stack.resources.items():
        if resource.get("Type") == _CDK_METADATA:
            continue  # CDK's version reporting: not an AWS resource (absent in-process)
        result = _price(context, logical_id, resource)
        if isinstance(result, CostItem):
            items.append(result)
        elif isinstance(result, UsagePriced):
            usage.append(result)
        else:
            unpriced.append(result)
    return items, usage, unpriced


def _price(context: _Context, logical_id: str, resource: Mapping[str, Any]) -> Result:
    kind = str(resource.get("Type", ""))
    properties = resource.get("Properties") or {}
    pricer = _PRICERS.get(kind)
    if pricer is not None:
        return pricer(context, logical_id, kind, properties)
    return _usage_or_unpriced(logical_id, kind)


def _usage_or_unpriced(logical_id: str, kind: str) -> UsagePriced | Unpriced:
    why = usage_priced_types().get(kind)
    if why is not None:
        return UsagePriced(logical_id, kind, why)
    if kind.startswith("Custom::"):
        return UsagePriced(logical_id, kind, "a custom resource: its provider runs at deploy time")
    return Unpriced(logical_id, kind, "no price for this type: its cost is unknown, not zero")


def _count(value: Any) -> int | None:
    """The length of a literal list (``None`` for a token resolved at deploy time)."""
    return len(value) if isinstance(value, list) else None


def _nat_gateway(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    monthly, basis = context.hourly(1, "NAT gateway", "nat_gateway_hour")
    return CostItem(logical_id, kind, monthly, basis + " (+ data processed per GB, not counted)")


def _eip(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    monthly, basis = context.hourly(1, "public IPv4 address", "public_ipv4_hour")
    return CostItem(logical_id, kind, monthly, basis)


def _vpc_endpoint(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    endpoint_type = props.get("VpcEndpointType", "Gateway")
    if endpoint_type == "Gateway":
        return UsagePriced(logical_id, kind, "a gateway endpoint: no charge")
    if endpoint_type != "Interface":
        return Unpriced(logical_id, kind, f"a {endpoint_type} endpoint: not in the price table")
    azs = _count(props.get("SubnetIds"))
    if azs is None:
        return Unpriced(
            logical_id, kind, "an interface endpoint whose subnets are resolved at deploy time"
        )
    monthly, basis = context.hourly(
        azs, "AZ(s) of an interface endpoint", "interface_endpoint_hour"
    )
    return CostItem(logical_id, kind, monthly, basis + " (+ data processed per GB)")


def _load_balancer(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    lb_type = props.get("Type", "application")
    if lb_type not in ("application", "network"):
        return Unpriced(logical_id, kind, f"a {lb_type} load balancer: not in the price table")
    short, unit = ("ALB", "LCU") if lb_type == "application" else ("NLB", "NLCU")
    prefix = "alb" if lb_type == "application" else "nlb"
    monthly, basis = context.hourly(1, short, f"{prefix}_hour")
    lcu = context.assumptions.lcu_minimum
    lcu_monthly, lcu_basis = context.hourly(
        lcu, f"{unit} (assumed minimum: --assume lcu=N)", f"{prefix}_lcu_hour"
    )
    monthly += lcu_monthly
    basis += f" + {lcu_basis}"
    internet_facing = props.get("Scheme", "internet-facing") == "internet-facing"
    if internet_facing and props.get("IpAddressType") != "dualstack-without-public-ipv4":
        addresses = _count(props.get("Subnets"))
        if addresses is None:
            addresses = _count(props.get("SubnetMappings"))
        if addresses is None:
            basis += " (+ a public IPv4 address per AZ: AZ count unknown, not counted)"
        else:
            ip_monthly, ip_basis = context.hourly(
                addresses, "public IPv4 address(es)", "public_ipv4_hour"
            )
            monthly += ip_monthly
            basis += f" + {ip_basis}"
    return CostItem(logical_id, kind, monthly, basis)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(vcpu|gb)?\s*$", re.IGNORECASE)


def _task_size(value: Any, unit_per: float) -> float | None:
    """Task CPU (``"256"``, ``"0.25 vCPU"``) in vCPU or memory (``"512"``, ``"1 GB"``) in GB."""
    match = _SIZE.match(str(value)) if isinstance(value, str | int) else None
    if match is None:
        return None
    number = float(match.group(1))
    return number if match.group(2) else number / unit_per


def _fargate_service(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    launch = props.get("LaunchType")
    providers = [
        str(entry.get("CapacityProvider", ""))
        for entry in props.get("CapacityProviderStrategy") or []
        if isinstance(entry, dict)
    ]
    note = ""
    if launch in ("EC2", "EXTERNAL"):
        return UsagePriced(
            logical_id, kind, f"{launch} launch type: runs on the cluster's capacity"
        )
    if launch != "FARGATE":
        if not providers or not all(p.startswith("FARGATE") for p in providers):
            return Unpriced(
                logical_id, kind, "its capacity comes from a capacity provider strategy"
            )
        if "FARGATE_SPOT" in providers:
            note = " (priced on demand: Fargate Spot costs less, and varies)"
    task = context.stack.resources.get(next(iter(refs(props.get("TaskDefinition"))), ""), {})
    task_props = task.get("Properties") or {}
    vcpu = _task_size(task_props.get("Cpu"), 1024)
    memory = _task_size(task_props.get("Memory"), 1024)
    if task.get("Type") != "AWS::ECS::TaskDefinition" or vcpu is None or memory is None:
        return Unpriced(
            logical_id, kind, "its task definition's CPU and memory are not in this template"
        )
    platform = task_props.get("RuntimePlatform") or {}
    if str(platform.get("OperatingSystemFamily", "LINUX")).upper() != "LINUX":
        return Unpriced(logical_id, kind, "a Windows task: not in the price table")
    arch = "arm" if platform.get("CpuArchitecture") == "ARM64" else "x86"
    count, source = _task_count(context, logical_id, props)
    vcpu_price = context.prices[f"fargate_{arch}_vcpu_hour"]
    gb_price = context.prices[f"fargate_{arch}_gb_hour"]
    monthly = count * context.hours * (vcpu * vcpu_price + memory * gb_price)
    basis = (
        f"{count:g} task(s) ({source}) x {context.hours:g} h x ({vcpu:g} vCPU x {usd(vcpu_price)}"
        f" + {memory:g} GB x {usd(gb_price)}), {'ARM64' if arch == 'arm' else 'x86_64'}{note}"
    )
    return CostItem(logical_id, kind, monthly, basis)


def _task_count(context: _Context, logical_id: str, props: Any) -> tuple[float, str]:
    """The tasks running at idle: the autoscaling minimum, else the desired count."""
    for resource in context.stack.resources.values():
        target = resource.get("Properties") or {}
        if (
            resource.get("Type") == "AWS::ApplicationAutoScaling::ScalableTarget"
            and logical_id in refs(target.get("ResourceId"))
            and isinstance(target.get("MinCapacity"), int)
        ):
            return target["MinCapacity"], "autoscaling minimum"
    desired = props.get("DesiredCount")
    if isinstance(desired, int):
        return desired, "desired count"
    return 1, "desired count by default"


def _kms_key(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    price = context.prices["kms_key_month"]
    basis = f"1 key x {usd(price)} a month"
    if props.get("EnableKeyRotation"):
        basis += " (rotation on: +$1 a month after each of the first two yearly rotations)"
    return CostItem(logical_id, kind, price, basis + " (+ requests)")


def _alarm(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    metrics = props.get("Metrics")
    if isinstance(metrics, list):
        expressions = " ".join(str(m.get("Expression", "")) for m in metrics if isinstance(m, dict))
        if "SELECT" in expressions.upper():
            return Unpriced(
                logical_id, kind, "a Metrics Insights query alarm bills per metric it analyses"
            )
        stats = [m["MetricStat"] for m in metrics if isinstance(m, dict) and "MetricStat" in m]
        count = len(stats)
        periods = [s.get("Period", 60) for s in stats]
        what = f"{count} metric(s) (metric math: each metric counts)"
        if "ANOMALY_DETECTION_BAND" in expressions.upper():
            count *= 3
            what = f"{count} metric(s) (anomaly detection: the metric and its band's two bounds)"
    else:
        count, periods, what = 1, [props.get("Period", 60)], "1 metric"
    high = any(isinstance(p, int) and p < 60 for p in periods)
    key = "alarm_high_resolution_metric_month" if high else "alarm_standard_metric_month"
    price = context.prices[key]
    resolution = "high resolution" if high else "standard resolution"
    return CostItem(logical_id, kind, count * price, f"{what} x {usd(price)} a month, {resolution}")


def _monthly(key: str, what: str) -> Callable[[_Context, str, str, Any], Result]:
    def pricer(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
        price = context.prices[key]
        return CostItem(logical_id, kind, price, f"1 {what} x {usd(price)} a month")

    return pricer


def _dashboard(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    price = context.prices["dashboard_month"]
    return CostItem(
        logical_id,
        kind,
        price,
        f"1 dashboard x {usd(price)} a month (an account's first three, up to 50 metrics each, "
        "are free: not deducted)",
    )


def _web_acl(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    rules = props.get("Rules") or []
    count = _count(rules)
    if count is None:
        return Unpriced(logical_id, kind, "its rules are resolved at deploy time")
    acl, rule = context.prices["waf_web_acl_month"], context.prices["waf_rule_month"]
    basis = f"1 web ACL x {usd(acl)} + {count} rule(s) x {usd(rule)} a month (+ requests)"
    paid = sorted(name for name in _PAID_RULE_GROUPS if name in json.dumps(rules))
    if paid:
        basis += f"; the fees of {', '.join(paid)} are not counted"
    return CostItem(logical_id, kind, acl + count * rule, basis)


def _secret(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    replicas = _count(props.get("ReplicaRegions")) or 0
    price = context.prices["secret_month"]
    return CostItem(
        logical_id,
        kind,
        (1 + replicas) * price,
        f"{1 + replicas} secret(s) (replicas count) x {usd(price)} a month (+ API calls)",
    )


def _pipeline(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    if props.get("PipelineType", "V1") == "V1":
        price = context.prices["codepipeline_v1_month"]
        return CostItem(
            logical_id, kind, price, f"1 V1 pipeline x {usd(price)} a month (when it runs at all)"
        )
    stages = props.get("Stages") or []
    actions = sum(len(s.get("Actions") or []) for s in stages if isinstance(s, dict))
    runs, minutes = context.assumptions.pipeline_runs, context.assumptions.action_minutes
    price = context.prices["codepipeline_v2_action_minute"]
    return CostItem(
        logical_id,
        kind,
        runs * actions * minutes * price,
        f"V2, billed per action minute: {runs:g} run(s) x {actions} actions x {minutes:g} min "
        f"x {usd(price)} (its CodeBuild minutes are billed apart)",
    )


def _ssm_parameter(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    if props.get("Tier") == "Advanced":
        price = context.prices["ssm_advanced_parameter_month"]
        return CostItem(logical_id, kind, price, f"1 advanced parameter x {usd(price)} a month")
    return _usage_or_unpriced(logical_id, kind)


def _log_group(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    gigabytes = context.assumptions.log_gb_per_group
    if gigabytes == 0:
        return _usage_or_unpriced(logical_id, kind)
    ingest, store = context.prices["logs_ingestion_gb"], context.prices["logs_storage_gb_month"]
    retention = props.get("RetentionInDays")
    if isinstance(retention, int):
        stored = gigabytes * retention / (context.hours / 24)
        kept = f"{retention}-day retention"
    else:
        stored, kept = gigabytes * 12, "never expires: a year's worth"
    return CostItem(
        logical_id,
        kind,
        gigabytes * ingest + stored * store,
        f"{gigabytes:g} GB ingested x {usd(ingest)} + {stored:.3g} GB stored ({kept}) x "
        f"{usd(store)} (assumed ingestion)",
    )


def _instance(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    instance_type = props.get("InstanceType")
    hourly = context.prices.instance_hour(instance_type) if isinstance(instance_type, str) else None
    if hourly is None:
        return Unpriced(
            logical_id, kind, f"instance type {instance_type!r} is not in the price table"
        )
    monthly = context.hours * hourly
    basis = f"1 {instance_type} x {context.hours:g} h x {usd(hourly)}"
    sizes = [
        mapping["Ebs"].get("VolumeSize")
        for mapping in props.get("BlockDeviceMappings") or []
        if isinstance(mapping, dict) and isinstance(mapping.get("Ebs"), dict)
    ]
    volume = sum(s for s in sizes if isinstance(s, int)) or _ROOT_VOLUME_GB
    gb_month = context.prices["ebs_gp3_gb_month"]
    monthly += volume * gb_month
    basis += f" + {volume} GB gp3 x {usd(gb_month)} a month"
    if not sizes:
        basis += " (root volume assumed)"
    public = any(
        isinstance(interface, dict) and interface.get("AssociatePublicIpAddress") is True
        for interface in props.get("NetworkInterfaces") or []
    )
    if public:
        ip_monthly, ip_basis = context.hourly(1, "public IPv4 address", "public_ipv4_hour")
        monthly += ip_monthly
        basis += f" + {ip_basis}"
    return CostItem(logical_id, kind, monthly, basis)


def _stage(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    if props.get("CacheClusterEnabled") is True:
        return Unpriced(logical_id, kind, "a stage cache bills by the hour: not in the price table")
    return _usage_or_unpriced(logical_id, kind)


def _lambda_version(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    if props.get("ProvisionedConcurrencyConfig"):
        return Unpriced(
            logical_id, kind, "provisioned concurrency bills by the hour: not in the price table"
        )
    return _usage_or_unpriced(logical_id, kind)


def _cluster(context: _Context, logical_id: str, kind: str, props: Any) -> Result:
    settings = props.get("ClusterSettings") or []
    insights = any(
        isinstance(s, dict)
        and s.get("Name") == "containerInsights"
        and s.get("Value") != "disabled"
        for s in settings
    )
    if insights:
        return Unpriced(
            logical_id,
            kind,
            "Container Insights is on: it bills metrics and log ingestion for every running "
            "service and task (not in the price table)",
        )
    return _usage_or_unpriced(logical_id, kind)


_PRICERS: dict[str, Callable[[_Context, str, str, Any], Result]] = {
    "AWS::EC2::NatGateway": _nat_gateway,
    "AWS::EC2::EIP": _eip,
    "AWS::EC2::VPCEndpoint": _vpc_endpoint,
    "AWS::EC2::Instance": _instance,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _load_balancer,
    "AWS::ECS::Service": _fargate_service,
    "AWS::ECS::Cluster": _cluster,
    "AWS::KMS::Key": _kms_key,
    "AWS::KMS::ReplicaKey": _kms_key,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::CloudWatch::CompositeAlarm": _monthly("alarm_composite_month", "composite alarm"),
    "AWS::CloudWatch::Dashboard": _dashboard,
    "AWS::WAFv2::WebACL": _web_acl,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::CodePipeline::Pipeline": _pipeline,
    "AWS::SSM::Parameter": _ssm_parameter,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::ApiGateway::Stage": _stage,
    "AWS::Lambda::Alias": _lambda_version,
    "AWS::Lambda::Version": _lambda_version,
}
