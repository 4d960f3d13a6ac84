"""`python -m modern_app_constructs cost`: idle cost and cost per request, from the price table.

Each expected figure is computed here by hand from the shipped table's eu-west-1 prices (``P``),
on small hand-made cloud assemblies, and on the sample's synthesized assembly.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import aws_cdk as cdk
import pytest

from modern_app_constructs import Nat, PlatformEnvironment
from modern_app_constructs._cli import EXIT_UNUSABLE, main
from modern_app_constructs._cost import (
    Assumptions,
    CostInputError,
    CostReport,
    estimate,
    load_price_table,
    render,
    shipped_price_table,
)
from modern_app_constructs.testing import app_for_tests
from scripts import cost_doc

TABLE = shipped_price_table()
P = TABLE.for_region("eu-west-1")
H = 730  # hours a month
PRICES_FILE = Path(__file__).resolve().parents[2] / "modern_app_constructs" / "data" / "prices.json"


# --- hand-made assemblies ------------------------------------------------------------------


def stack_artifact(name: str, env: str = "aws://unknown-account/eu-west-1") -> dict:
    return {
        "type": "aws:cloudformation:stack",
        "environment": env,
        "properties": {"templateFile": f"{name}.template.json"},
        "displayName": name,
    }


def write_assembly(
    root: Path,
    stacks: dict[str, dict],
    *,
    env: str = "aws://unknown-account/eu-west-1",
    nested: dict[str, dict[str, dict]] | None = None,
) -> Path:
    """A cloud assembly in ``root``: one template per stack (its resources), nested ones too."""
    root.mkdir(parents=True, exist_ok=True)
    artifacts: dict[str, dict] = {}
    for name, resources in stacks.items():
        artifacts[name] = stack_artifact(name, env)
        template = {"Resources": resources}
        (root / f"{name}.template.json").write_text(json.dumps(template))
    for directory, inner in (nested or {}).items():
        write_assembly(root / directory, inner, env=env)
        artifacts[directory] = {
            "type": "cdk:cloud-assembly",
            "properties": {"directoryName": directory, "displayName": directory},
        }
    (root / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}))
    return root


def one_stack(tmp_path: Path, resources: dict, **kwargs) -> CostReport:
    return estimate(write_assembly(tmp_path / "cdk.out", {"Stack": resources}), **kwargs)


def items(report: CostReport) -> dict[str, float]:
    return {item.logical_id: item.monthly_usd for s in report.stacks for item in s.items}


def res(kind: str, **properties) -> dict:
    return {"Type": kind, "Properties": properties}


def ref(logical_id: str) -> dict:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str = "Arn") -> dict:
    return {"Fn::GetAtt": [logical_id, attribute]}


# --- the price table --------------------------------------------------------------------------


def test_the_price_table_is_younger_than_its_stated_age():
    age = (date.today() - TABLE.price_date).days
    assert age <= TABLE.max_age_days, (
        f"the price table of {TABLE.price_date} is {age} days old (limit {TABLE.max_age_days}): "
        "check each figure against its source page, update it and the price_date"
    )


def test_every_price_names_its_source_and_covers_every_region_of_the_table():
    """A few regions, the sample's (eu-west-1) among them, each priced for every entry."""
    assert TABLE.regions == ("eu-west-1", "us-east-1", "us-west-2")
    for key, entry in TABLE.entries.items():
        assert entry.source.startswith("https://aws.amazon.com/"), key
        assert entry.unit.startswith("USD per"), key
        assert set(entry.regions) == set(TABLE.regions), key


def test_eu_west_1_prices_agree_with_the_design_notes_sanity_figures():
    assert (P["nat_gateway_hour"], P["public_ipv4_hour"], P["alb_hour"]) == (0.048, 0.005, 0.0252)
    assert (P["kms_key_month"], P["alarm_standard_metric_month"], P["dashboard_month"]) == (
        1.0,
        0.10,
        3.0,
    )
    assert (P["waf_web_acl_month"], P["waf_rule_month"]) == (5.0, 1.0)


# --- idle cost per kind -------------------------------------------------------------------------


def test_nat_gateway_and_its_public_ipv4_address(tmp_path):
    report = one_stack(
        tmp_path,
        {
            "Eip": res("AWS::EC2::EIP", Domain="vpc"),
            "Nat": res("AWS::EC2::NatGateway", AllocationId=get_att("Eip", "AllocationId")),
        },
    )
    assert items(report) == {"Nat": H * 0.048, "Eip": H * 0.005}
    basis = {i.logical_id: i.basis for i in report.stacks[0].items}
    assert basis["Nat"].startswith("1 NAT gateway x 730 h x $0.048")
    assert report.stacks[0].monthly_usd == pytest.approx(35.04 + 3.65)


def test_load_balancers_hours_plus_the_stated_minimum_of_capacity_units(tmp_path):
    resources = {
        "Internal": res("AWS::ElasticLoadBalancingV2::LoadBalancer", Scheme="internal"),
        "Public": res(
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            Subnets=[ref("SubnetA"), ref("SubnetB")],
        ),
        "Nlb": res("AWS::ElasticLoadBalancingV2::LoadBalancer", Type="network", Scheme="internal"),
    }
    alb = H * (P["alb_hour"] + P["alb_lcu_hour"])
    assert items(one_stack(tmp_path, resources)) == pytest.approx(
        {
            "Internal": alb,
            # internet-facing: a public IPv4 address per AZ
            "Public": alb + 2 * H * P["public_ipv4_hour"],
            "Nlb": H * (P["nlb_hour"] + P["nlb_lcu_hour"]),
        }
    )
    no_lcu = one_stack(tmp_path / "b", resources, assumptions=Assumptions.parse(["lcu=0"]))
    assert items(no_lcu)["Internal"] == pytest.approx(H * 0.0252)


def fargate_resources(cpu: str, memory: str, arch: str, **service) -> dict:
    return {
        "Task": res(
            "AWS::ECS::TaskDefinition",
            Cpu=cpu,
            Memory=memory,
            RequiresCompatibilities=["FARGATE"],
            RuntimePlatform={"CpuArchitecture": arch, "OperatingSystemFamily": "LINUX"},
        ),
        "Service": res(
            "AWS::ECS::Service", LaunchType="FARGATE", TaskDefinition=ref("Task"), **service
        ),
    }


def test_fargate_tasks_at_their_size_and_architecture_times_the_autoscaling_minimum(tmp_path):
    resources = fargate_resources("512", "1024", "ARM64", DesiredCount=1)
    resources["Target"] = res(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        MinCapacity=2,
        MaxCapacity=4,
        ResourceId={"Fn::Join": ["", ["service/cluster/", get_att("Service", "Name")]]},
    )
    expected = 2 * H * (0.5 * P["fargate_arm_vcpu_hour"] + 1 * P["fargate_arm_gb_hour"])
    report = one_stack(tmp_path, resources)
    assert items(report) == pytest.approx({"Service": expected})
    assert "2 task(s) (autoscaling minimum)" in report.stacks[0].items[0].basis


def test_fargate_x86_tasks_at_the_desired_count(tmp_path):
    resources = fargate_resources("1024", "2048", "X86_64", DesiredCount=3)
    expected = 3 * H * (1 * P["fargate_x86_vcpu_hour"] + 2 * P["fargate_x86_gb_hour"])
    assert items(one_stack(tmp_path, resources)) == pytest.approx({"Service": expected})


def test_interface_endpoints_per_az_gateway_endpoints_free(tmp_path):
    report = one_stack(
        tmp_path,
        {
            "Ecr": res(
                "AWS::EC2::VPCEndpoint",
                VpcEndpointType="Interface",
                SubnetIds=[ref("A"), ref("B"), ref("C")],
            ),
            "S3": res("AWS::EC2::VPCEndpoint", VpcEndpointType="Gateway"),
        },
    )
    assert items(report) == pytest.approx({"Ecr": 3 * H * P["interface_endpoint_hour"]})
    assert [u.logical_id for u in report.stacks[0].usage_priced] == ["S3"]


def test_kms_keys_alarms_per_metric_and_resolution_and_dashboards(tmp_path):
    def stat(period: int) -> dict:
        return {"Metric": {"MetricName": "Errors"}, "Period": period, "Stat": "Sum"}

    report = one_stack(
        tmp_path,
        {
            "Key": res("AWS::KMS::Key", EnableKeyRotation=True),
            "Standard": res("AWS::CloudWatch::Alarm", MetricName="Errors", Period=60),
            "HighResolution": res("AWS::CloudWatch::Alarm", MetricName="Errors", Period=10),
            "Math": res(
                "AWS::CloudWatch::Alarm",
                Metrics=[
                    {"Id": "e", "Expression": "m1 / m2"},
                    {"Id": "m1", "MetricStat": stat(60), "ReturnData": False},
                    {"Id": "m2", "MetricStat": stat(60), "ReturnData": False},
                ],
            ),
            "Anomaly": res(
                "AWS::CloudWatch::Alarm",
                Metrics=[
                    {"Id": "band", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
                    {"Id": "m1", "MetricStat": stat(300)},
                ],
            ),
            "Composite": res("AWS::CloudWatch::CompositeAlarm", AlarmRule="ALARM(Standard)"),
            "Dashboard": res("AWS::CloudWatch::Dashboard", DashboardBody="{}"),
        },
    )
    standard = P["alarm_standard_metric_month"]
    assert items(report) == pytest.approx(
        {
            "Key": 1.0,
            "Standard": standard,
            "HighResolution": P["alarm_high_resolution_metric_month"],
            "Math": 2 * standard,
            "Anomaly": 3 * standard,
            "Composite": P["alarm_composite_month"],
            "Dashboard": 3.0,
        }
    )


def test_waf_web_acl_and_rules_and_its_requests_on_the_routes_of_its_stage(tmp_path):
    rules = [
        {"Name": name, "Priority": i, "Statement": {"ManagedRuleGroupStatement": {"Name": name}}}
        for i, name in enumerate(
            ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "RateLimit")
        )
    ]
    resources = {
        **api_route_resources({"Type": "MOCK"}),
        "Acl": res(
            "AWS::WAFv2::WebACL", Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=rules
        ),
        "AclAssociation": res(
            "AWS::WAFv2::WebACLAssociation",
            WebACLArn=get_att("Acl"),
            ResourceArn={
                "Fn::Join": [
                    "",
                    ["arn:aws:apigateway:::/restapis/", ref("Api"), "/stages/", ref("Stage")],
                ]
            },
        ),
    }
    report = one_stack(tmp_path, resources)
    assert items(report)["Acl"] == pytest.approx(P["waf_web_acl_month"] + 3 * P["waf_rule_month"])
    (route,) = report.stacks[0].paths
    assert {line.what: line.usd_per_million for line in route.lines} == pytest.approx(
        {"API Gateway REST request": 3.50, "WAF inspection": P["waf_million_requests"]}
    )


def test_secrets_pipelines_advanced_parameters_and_log_ingestion_as_assumed(tmp_path):
    stage = {"Name": "Build", "Actions": [{"Name": "a"}, {"Name": "b"}]}
    resources = {
        "Secret": res("AWS::SecretsManager::Secret", ReplicaRegions=[{"Region": "us-east-1"}]),
        "V1": res("AWS::CodePipeline::Pipeline", Stages=[stage]),
        "V2": res("AWS::CodePipeline::Pipeline", PipelineType="V2", Stages=[stage, stage]),
        "Advanced": res("AWS::SSM::Parameter", Tier="Advanced", Type="String", Value="x"),
        "Standard": res("AWS::SSM::Parameter", Type="String", Value="x"),
        "Logs": res("AWS::Logs::LogGroup", RetentionInDays=30),
    }
    idle = one_stack(tmp_path, resources)
    assert items(idle) == pytest.approx(
        {
            "Secret": 2 * P["secret_month"],
            "V1": P["codepipeline_v1_month"],
            "V2": 0.0,  # billed per action minute: no runs at idle, said so in its basis
            "Advanced": P["ssm_advanced_parameter_month"],
        }
    )
    assert {u.logical_id for u in idle.stacks[0].usage_priced} == {"Standard", "Logs"}
    used = one_stack(
        tmp_path / "b", resources, assumptions=Assumptions.parse(["logs=2", "runs=10"])
    )
    stored = 2 * 30 / (H / 24)  # GB held at a 30-day retention
    assert items(used)["Logs"] == pytest.approx(
        2 * P["logs_ingestion_gb"] + stored * P["logs_storage_gb_month"]
    )
    assert items(used)["V2"] == pytest.approx(10 * 4 * 2 * P["codepipeline_v2_action_minute"])


def test_an_unknown_billable_type_is_reported_unpriced_never_zero(tmp_path):
    report = one_stack(
        tmp_path,
        {
            "Database": res("AWS::RDS::DBInstance", DBInstanceClass="db.t4g.micro"),
            "Role": res("AWS::IAM::Role", AssumeRolePolicyDocument={}),
            "Queue": res("AWS::SQS::Queue"),
        },
    )
    (stack,) = report.stacks
    assert stack.items == ()
    assert stack.monthly_usd == 0
    assert [(u.logical_id, u.type) for u in stack.unpriced] == [
        ("Database", "AWS::RDS::DBInstance")
    ]
    assert "unknown, not zero" in stack.unpriced[0].reason
    assert {u.logical_id for u in stack.usage_priced} == {"Role", "Queue"}
    table = render(report, "table")
    assert "UNPRICED Database (AWS::RDS::DBInstance)" in table
    assert (
        json.loads(render(report, "json"))["stacks"][0]["unpriced"][0]["logical_id"] == "Database"
    )


# --- cost per request ----------------------------------------------------------------------


def api_route_resources(integration: dict, *, method: str = "POST", tracing: bool = False) -> dict:
    return {
        "Api": res("AWS::ApiGateway::RestApi", Name="api"),
        "Orders": res(
            "AWS::ApiGateway::Resource",
            ParentId=get_att("Api", "RootResourceId"),
            PathPart="orders",
            RestApiId=ref("Api"),
        ),
        "Bulk": res(
            "AWS::ApiGateway::Resource",
            ParentId=ref("Orders"),
            PathPart="bulk",
            RestApiId=ref("Api"),
        ),
        "Method": res(
            "AWS::ApiGateway::Method",
            HttpMethod=method,
            ResourceId=ref("Bulk"),
            RestApiId=ref("Api"),
            Integration=integration,
        ),
        "Stage": res(
            "AWS::ApiGateway::Stage", RestApiId=ref("Api"), StageName="v1", TracingEnabled=tracing
        ),
    }


def lambda_function(memory: int, arch: str) -> dict:
    return res(
        "AWS::Lambda::Function",
        MemorySize=memory,
        Architectures=[arch],
        TracingConfig={"Mode": "Active"},
    )


def test_a_lambda_route_costs_the_request_the_invocation_and_the_assumed_duration(tmp_path):
    resources = {
        **api_route_resources(
            {
                "Type": "AWS_PROXY",
                "IntegrationHttpMethod": "POST",
                "Uri": {
                    "Fn::Join": [
                        "",
                        [
                            "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/",
                            ref("Alias"),
                            "/invocations",
                        ],
                    ]
                },
            },
            tracing=True,
        ),
        "Function": lambda_function(512, "arm64"),
        "Version": res("AWS::Lambda::Version", FunctionName=ref("Function")),
        "Alias": res(
            "AWS::Lambda::Alias",
            FunctionName=ref("Function"),
            FunctionVersion=get_att("Version", "Version"),
            Name="live",
        ),
    }
    (route,) = (
        one_stack(tmp_path, resources, assumptions=Assumptions.parse(["POST /orders/bulk=120"]))
        .stacks[0]
        .paths
    )
    assert (route.kind, route.name, route.logical_id) == ("route", "POST /orders/bulk", "Method")
    duration = 1_000_000 * 0.120 * 0.5 * P["lambda_arm_gb_second"]
    assert {line.what: line.usd_per_million for line in route.lines} == pytest.approx(
        {
            "API Gateway REST request": P["apigateway_rest_million_requests"],
            "X-Ray trace": 0.05 * P["xray_million_traces"],
            "Lambda invocation": P["lambda_million_requests"],
            "Lambda duration": duration,
        }
    )
    assert any("120 ms assumed" in note for note in route.notes)


def test_an_untraced_stage_leaves_the_functions_own_traces_to_count(tmp_path):
    resources = {
        **api_route_resources(
            {
                "Type": "AWS_PROXY",
                "Uri": {
                    "Fn::Join": [
                        "",
                        [
                            "arn:aws:apigateway:eu-west-1:lambda:path/",
                            get_att("Function"),
                            "/invocations",
                        ],
                    ]
                },
            }
        ),
        "Function": lambda_function(128, "x86_64"),
    }
    (route,) = one_stack(tmp_path, resources).stacks[0].paths
    lines = {line.what: line.usd_per_million for line in route.lines}
    assert "X-Ray trace" not in lines
    assert lines["X-Ray trace (function)"] == pytest.approx(0.05 * P["xray_million_traces"])
    assert lines["Lambda duration"] == pytest.approx(
        1_000_000 * 0.1 * 0.125 * P["lambda_x86_gb_second"]
    )


def worker_resources(*, batch: int) -> dict:
    return {
        "Topic": res("AWS::SNS::Topic", KmsMasterKeyId="arn:aws:kms:eu-west-1:111111111111:key/k"),
        "Queue": res(
            "AWS::SQS::Queue",
            KmsMasterKeyId="arn:aws:kms:eu-west-1:111111111111:key/k",
            KmsDataKeyReusePeriodSeconds=3600,
        ),
        "Subscription": res(
            "AWS::SNS::Subscription",
            Protocol="sqs",
            TopicArn=ref("Topic"),
            Endpoint=get_att("Queue"),
        ),
        "Consumer": lambda_function(256, "x86_64"),
        "Mapping": res(
            "AWS::Lambda::EventSourceMapping",
            BatchSize=batch,
            EventSourceArn=get_att("Queue"),
            FunctionName=ref("Consumer"),
        ),
    }


def test_a_worker_message_path_from_topic_to_queue_to_batched_consumer(tmp_path):
    (path,) = one_stack(tmp_path, worker_resources(batch=5)).stacks[0].paths
    sqs = P["sqs_standard_million_requests"]
    invocations = 1 / 5
    assert (path.kind, path.name, path.logical_id) == ("messages", "Queue", "Mapping")
    assert {line.what: line.usd_per_million for line in path.lines} == pytest.approx(
        {
            "SNS Publish": P["sns_million_publishes"],
            "SQS SendMessage": sqs,
            "SQS ReceiveMessage + DeleteMessageBatch": 2 * invocations * sqs,
            "Lambda invocation": invocations * P["lambda_million_requests"],
            "Lambda duration": invocations * 1_000_000 * 0.100 * 0.25 * P["lambda_x86_gb_second"],
            "X-Ray trace (consumer)": invocations * 0.05 * P["xray_million_traces"],
        }
    )
    assert any(
        note.startswith("KMS (customer key on Queue): data keys are reused for 3600 s")
        for note in path.notes
    )


def test_a_queue_route_adds_the_send_and_the_workers_processing(tmp_path):
    resources = {
        **api_route_resources(
            {
                "Type": "AWS",
                "Uri": {
                    "Fn::Join": [
                        "",
                        [
                            "arn:aws:apigateway:eu-west-1:sqs:path/",
                            ref("AWS::AccountId"),
                            "/",
                            get_att("Queue", "QueueName"),
                        ],
                    ]
                },
            }
        ),
        **worker_resources(batch=10),
    }
    paths = {p.name: p for p in one_stack(tmp_path, resources).stacks[0].paths}
    route, worker = paths["POST /orders/bulk"], paths["Queue"]
    # the route: the API request, then the worker's path without the topic's publish
    assert route.usd_per_million == pytest.approx(
        P["apigateway_rest_million_requests"] + worker.usd_per_million - P["sns_million_publishes"]
    )


def test_assume_naming_no_route_or_path_is_unusable(tmp_path):
    with pytest.raises(CostInputError, match=r"'GET /nothing': no such route .*POST /orders/bulk"):
        one_stack(
            tmp_path,
            api_route_resources({"Type": "MOCK"}),
            assumptions=Assumptions.parse(["GET /nothing=5"]),
        )


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("lcu", "expected KEY=NUMBER"),
        ("lcu=-1", "not a number >= 0"),
        ("sampling=2", "a share, 0 to 1"),
        ("duration=fast", "not a number"),
    ],
)
def test_bad_assumptions_are_unusable(pair, message):
    with pytest.raises(CostInputError, match=message):
        Assumptions.parse([pair])


# --- the assembly, the region ----------------------------------------------------------------


def test_nested_stage_assemblies_are_read_after_their_parent(tmp_path):
    root = write_assembly(
        tmp_path / "cdk.out",
        {"Pipeline": {"Key": res("AWS::KMS::Key")}},
        nested={"assembly-Pipeline-Dev": {"Dev-Service": {"Nat": res("AWS::EC2::NatGateway")}}},
    )
    report = estimate(root)
    assert [s.name for s in report.stacks] == ["Pipeline", "Dev-Service"]
    assert report.monthly_usd == pytest.approx(1.0 + H * 0.048)


def test_the_region_comes_from_the_stack_unless_given(tmp_path):
    root = write_assembly(tmp_path / "cdk.out", {"Stack": {"Nat": res("AWS::EC2::NatGateway")}})
    assert items(estimate(root)) == {"Nat": H * 0.048}
    us = estimate(root, region="us-east-1")
    assert (us.region, items(us)) == (
        "us-east-1",
        {"Nat": H * TABLE.for_region("us-east-1")["nat_gateway_hour"]},
    )


def test_an_environment_agnostic_stack_needs_a_region(tmp_path):
    root = write_assembly(
        tmp_path / "cdk.out",
        {"Stack": {"Nat": res("AWS::EC2::NatGateway")}},
        env="aws://unknown-account/unknown-region",
    )
    with pytest.raises(CostInputError, match=r"Stack is environment-agnostic.*--region"):
        estimate(root)
    assert estimate(root, region="eu-west-1").region == "eu-west-1"


# --- the command's shell: output and exit codes ------------------------------------------------


def cost(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["cost", *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_json_output_has_the_documented_shape(tmp_path):
    root = write_assembly(tmp_path / "cdk.out", {"Stack": {"Nat": res("AWS::EC2::NatGateway")}})
    code, out, err = cost(str(root), "--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["price_date"] == TABLE.price_date.isoformat()
    assert document["region"] == "eu-west-1"
    (stack,) = document["stacks"]
    assert stack["name"] == "Stack"
    assert stack["monthly_usd"] == 35.04
    assert stack["items"] == [
        {
            "logical_id": "Nat",
            "type": "AWS::EC2::NatGateway",
            "monthly_usd": 35.04,
            "basis": "1 NAT gateway x 730 h x $0.048 (+ data processed per GB, not counted)",
        }
    ]


def test_markdown_and_table_outputs_carry_the_figure_and_its_basis(tmp_path):
    root = write_assembly(tmp_path / "cdk.out", {"Stack": {"Nat": res("AWS::EC2::NatGateway")}})
    for fmt in ("table", "markdown"):
        code, out, _ = cost(str(root), "--format", fmt)
        assert code == 0
        assert "$35.04" in out
        assert "1 NAT gateway x 730 h x $0.048" in out


def test_bad_input_is_a_clear_message_and_exit_2(tmp_path):
    root = write_assembly(tmp_path / "cdk.out", {"Stack": {"Nat": res("AWS::EC2::NatGateway")}})
    not_json = tmp_path / "prices.json"
    not_json.write_text("{not json")
    no_nat = json.loads(PRICES_FILE.read_text())
    del no_nat["prices"]["nat_gateway_hour"]
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps(no_nat))
    cases = {
        "not an assembly": ([str(tmp_path)], "is not a cloud assembly (no manifest.json)"),
        "region not in the table": (
            [str(root), "--region", "ap-south-1"],
            "region 'ap-south-1' is not in the price table",
        ),
        "price table missing": (
            [str(root), "--prices", str(tmp_path / "none.json")],
            "cannot read the price table",
        ),
        "price table not JSON": ([str(root), "--prices", str(not_json)], "is not JSON"),
        "price table incomplete": (
            [str(root), "--prices", str(incomplete)],
            "missing prices: nat_gateway_hour",
        ),
        "bad assumption": ([str(root), "--assume", "lcu=many"], "not a number"),
    }
    for case, (args, message) in cases.items():
        code, out, err = cost(*args)
        assert (code, out) == (EXIT_UNUSABLE, ""), case
        assert err.startswith("cost: "), (case, err)
        assert message in err, (case, err)


def test_a_users_own_price_table_is_used(tmp_path):
    document = json.loads(PRICES_FILE.read_text())
    document["prices"]["nat_gateway_hour"]["regions"]["eu-west-1"] = 0.04
    document["price_date"] = "2026-01-01"
    own = tmp_path / "negotiated.json"
    own.write_text(json.dumps(document))
    root = write_assembly(tmp_path / "cdk.out", {"Stack": {"Nat": res("AWS::EC2::NatGateway")}})
    report = estimate(root, prices=load_price_table(own))
    assert (report.price_date, items(report)) == (date(2026, 1, 1), {"Nat": H * 0.04})


def test_a_table_past_its_age_is_used_with_a_warning(tmp_path):
    document = json.loads(PRICES_FILE.read_text())
    document["price_date"] = "2020-01-01"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document))
    root = write_assembly(tmp_path / "cdk.out", {"Stack": {"Nat": res("AWS::EC2::NatGateway")}})
    code, out, err = cost(str(root), "--prices", str(old))
    assert code == 0
    assert "$35.04" in out
    age = (date.today() - date(2020, 1, 1)).days
    assert err == (
        f"cost: warning: the price table {old} is {age} days old (dated 2020-01-01, to be "
        "refreshed after 200): prices may have changed\n"
    )
    assert cost(str(root))[2] == ""  # the shipped table is young enough (tested above)


def test_a_region_missing_one_price_names_the_price(tmp_path):
    document = json.loads(PRICES_FILE.read_text())
    del document["prices"]["alb_hour"]["regions"]["eu-west-1"]
    holes = tmp_path / "holes.json"
    holes.write_text(json.dumps(document))
    root = write_assembly(tmp_path / "cdk.out", {"Stack": {"Nat": res("AWS::EC2::NatGateway")}})
    code, _, err = cost(str(root), "--prices", str(holes))
    assert code == EXIT_UNUSABLE
    assert (
        err == f"cost: the price table {holes} has no eu-west-1 price for alb_hour; add it, "
        "or pass --prices with a table that has it\n"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(price_date="last year"), "price_date must be a date"),
        (lambda d: d.update(currency="EUR"), "currency must be 'USD'"),
        (
            lambda d: d["prices"]["alb_hour"]["regions"].update({"eu-west-1": -1}),
            "alb_hour: the price in eu-west-1 must be a number >= 0",
        ),
        (
            lambda d: d["prices"]["alb_hour"].pop("source"),
            "alb_hour: source must be a non-empty string",
        ),
        (lambda d: d["prices"].update(nat_hour={}), "unknown price 'nat_hour'"),
    ],
)
def test_a_price_table_off_the_schema_is_rejected(tmp_path, change, message):
    document = json.loads(PRICES_FILE.read_text())
    change(document)
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(document))
    with pytest.raises(CostInputError, match=message):
        load_price_table(path)


# --- the sample -------------------------------------------------------------------------------


def of_type(template: dict, kind: str) -> dict[str, dict]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def test_the_samples_idle_cost_nat_alb_fargate_alarms_waf_by_hand(sample):
    report = estimate(sample.outdir)
    stacks = {stack.name: stack for stack in report.stacks}
    platform, service = stacks["OrdersPlatform"], stacks["OrdersService"]
    platform_template = sample.templates["OrdersPlatform"]
    service_template = sample.templates["OrdersService"]

    nats = of_type(platform_template, "AWS::EC2::NatGateway")
    eips = of_type(platform_template, "AWS::EC2::EIP")
    nat_instances = of_type(platform_template, "AWS::EC2::Instance")
    assert len(nats) == {"dev": 0, "prod": 2}[sample.profile]
    assert len(nat_instances) == {"dev": 1, "prod": 0}[sample.profile]
    platform_items = {i.logical_id: i.monthly_usd for i in platform.items}
    assert platform_items == pytest.approx(
        {
            **dict.fromkeys(nats, H * 0.048),
            **dict.fromkeys(eips, H * 0.005),
            # t4g.nano, its 8 GB gp3 root volume, its public IPv4 address
            **dict.fromkeys(nat_instances, H * 0.0046 + 8 * 0.088 + H * 0.005),
            **dict.fromkeys(of_type(platform_template, "AWS::KMS::Key"), 1.0),
        }
    )

    service_items = {i.logical_id: i.monthly_usd for i in service.items}
    (alb,) = of_type(service_template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert service_items[alb] == pytest.approx(H * (0.0252 + 0.008))  # internal: no public IPv4
    (fargate,) = of_type(service_template, "AWS::ECS::Service")
    tasks = {"dev": 1, "prod": 2}[
        sample.profile
    ]  # the profile's desired count, the autoscaling minimum
    assert service_items[fargate] == pytest.approx(tasks * H * (0.25 * 0.03238 + 0.5 * 0.00356))
    alarms = of_type(service_template, "AWS::CloudWatch::Alarm")
    assert alarms
    assert all(service_items[lid] == pytest.approx(0.10) for lid in alarms)
    (dashboard,) = of_type(service_template, "AWS::CloudWatch::Dashboard")
    # prod's web ACL: the ACL and one rule per managed rule group (the sample has three)
    acls = of_type(service_template, "AWS::WAFv2::WebACL")
    assert len(acls) == {"dev": 0, "prod": 1}[sample.profile]
    for acl, resource in acls.items():
        assert len(resource["Properties"]["Rules"]) == 3
        assert service_items[acl] == pytest.approx(5.0 + 3 * 1.0)
    assert service.monthly_usd == pytest.approx(
        service_items[alb]
        + service_items[fargate]
        + 0.10 * len(alarms)
        + service_items[dashboard]
        + 8.0 * len(acls)
    )
    assert set(service_items) == {alb, fargate, dashboard, *alarms, *acls}


def test_the_samples_post_orders_resolves_the_canary_alias_to_its_function(dev_sample):
    service = next(s for s in estimate(dev_sample.outdir).stacks if s.name == "OrdersService")
    route = next(p for p in service.paths if p.name == "POST /orders")
    lines = {line.what: line for line in route.lines}
    assert "256 MB" in lines["Lambda duration"].basis
    assert "arm64" in lines["Lambda duration"].basis
    assert lines["Lambda duration"].usd_per_million == pytest.approx(
        1_000_000 * 0.1 * 0.25 * 0.0000133334
    )
    assert {p.name for p in service.paths} >= {
        "POST /orders/bulk",
        "GET /catalog",
        "FulfilmentQueue",
        "BulkIntakeQueue",
    }


def test_the_docs_figures_are_the_commands(sample):
    """`make cost` wrote them; regenerate and compare (run `make cost` when this fails)."""
    report = estimate(sample.outdir)
    doc = cost_doc.DOC.read_text()
    summary = cost_doc.SUMMARY.read_text()
    assert cost_doc.block(doc, sample.profile) == cost_doc.doc_block(report), "run `make cost`"
    assert cost_doc.block(summary, sample.profile) == cost_doc.summary_block(
        report, sample.profile
    ), "run `make cost`"


def test_the_readme_table_is_the_commands(samples):
    """`make cost` wrote it, with the 0.1.0 dev sample beside (run `make cost` when this fails)."""
    reports = {profile: estimate(sample.outdir) for profile, sample in samples.items()}
    table = cost_doc.readme_block(reports, estimate(cost_doc.BASELINE))
    assert cost_doc.block(cost_doc.README.read_text(), cost_doc.README_BLOCK) == table, (
        "run `make cost`"
    )


def test_the_dev_profile_costs_at_most_half_of_0_1s_dev_at_idle(dev_sample):
    """What the profile decides: the dev environment against the 0.1.0 release's, by the command.

    A service's own fixed cost (its load balancer, its tasks, its alarms) is its design, the
    same in 0.1.0 and now; the whole sample is reported beside it in the README's table.
    """
    now = {stack.name: stack.monthly_usd for stack in estimate(dev_sample.outdir).stacks}
    before = {stack.name: stack.monthly_usd for stack in estimate(cost_doc.BASELINE).stacks}
    assert before["OrdersPlatform"] == pytest.approx(H * (0.048 + 0.005) + 1.0)  # NAT gw + IPv4
    assert now["OrdersPlatform"] <= before["OrdersPlatform"] / 2
    # and no service-side cost moved to make it so
    assert now["OrdersService"] >= before["OrdersService"]


@pytest.mark.parametrize(
    ("nat", "expected"),
    [
        (Nat.gateway(), H * 0.048 + H * 0.005),  # the gateway and its Elastic IP
        (Nat.instance(), H * 0.0046 + 8 * 0.088 + H * 0.005),  # t4g.nano, 8 GB gp3, its IPv4
        (Nat.none(), 0.0),
    ],
    ids=["gateway", "instance", "none"],
)
def test_each_nat_choice_of_a_dev_environment_measured_by_the_command(tmp_path, nat, expected):
    app = app_for_tests(outdir=tmp_path / "cdk.out")
    stack = cdk.Stack(app, "Platform", env=cdk.Environment(region="eu-west-1"))
    PlatformEnvironment(stack, "Env", team="t", application="a", profile="dev", nat=nat)
    app.synth()
    (platform,) = estimate(tmp_path / "cdk.out").stacks
    assert platform.monthly_usd == pytest.approx(expected + P["kms_key_month"])  # + its key
