"""The raw aws-cdk-lib version of the orders app really builds, and is as safe and as complete.

It is compared with the sample (``make bench``: lines of code, synth time), so it must have
what the sample has: the same kinds of resources, the attachment by name, the same pipeline.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from benchmarks.raw_cdk.orders import VERIFY_API as RAW_VERIFY_API
from benchmarks.raw_cdk.orders import build
from modern_app_constructs.testing import app_for_tests, assert_compliant
from sample_app.pipeline import VERIFY_API
from tests.cdk_support import STAGE_STACKS

CONTRACT = "/modern-app-constructs/platform/"
#: What the library's attached service reads only for its contract checks (template ``Rules``),
#: the public subnets it imports by default, and the cost-center tag it carries: the raw version
#: leaves them out.
LIBRARY_ONLY_READS = {
    "contract-major",
    "profile",
    "log-retention-days",
    "az-count",
    "egress",
    "public-subnet-ids",
    "public-route-table-ids",
    "tag/cost-center",
}
#: What the raw version declares and never uses: aws-cdk-lib's ``Vpc.from_vpc_attributes`` and
#: ``Cluster.from_cluster_attributes`` take them up front (W2001 warnings); the library declares
#: only the parameters its template references.
RAW_UNUSED_READS = {"availability-zones", "private-route-table-ids", "cluster-arn"}
RAW_STAGE_STACKS = {
    f"{stage}-RawOrdersService": profile for stage, profile in (("Dev", "dev"), ("Prod", "prod"))
}


@pytest.fixture(scope="module")
def raw_templates(tmp_path_factory):
    app = app_for_tests(outdir=tmp_path_factory.mktemp("raw"), cfn_lint=True)
    build(app)
    return assert_compliant(app)


def resource_types(template):
    return Counter(resource["Type"] for resource in template["Resources"].values())


def contract_reads(template):
    """The contract keys a stack reads, by environment: {name: {key, ...}}."""
    reads: dict[str, set[str]] = {}
    for parameter in template.get("Parameters", {}).values():
        default = str(parameter.get("Default", ""))
        if parameter["Type"].startswith("AWS::SSM::") and default.startswith(CONTRACT):
            name, key = default.removeprefix(CONTRACT).split("/", 1)
            reads.setdefault(name, set()).add(key)
    return reads


def published(template):
    return {
        resource["Properties"]["Name"].removeprefix(CONTRACT)
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::SSM::Parameter"
        and resource["Properties"]["Name"].startswith(CONTRACT)
        and "/attachments/" not in resource["Properties"]["Name"]
    }


def pipeline_stages(template):
    (pipeline,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"
    ]
    return {stage["Name"]: stage["Actions"] for stage in pipeline["Properties"]["Stages"]}


def test_raw_version_passes_both_compliance_gates(raw_templates):
    assert set(raw_templates) == {
        "RawOrdersPlatform",
        "RawOrdersService",
        "RawOrdersPipeline",
        *RAW_STAGE_STACKS,
    }


def test_raw_version_delivers_the_same_kinds_of_resources(raw_templates, dev_sample):
    ours = resource_types(dev_sample.templates["OrdersService"])
    for stack in ("RawOrdersService", *RAW_STAGE_STACKS):
        raw = resource_types(raw_templates[stack])
        for kind in (
            "AWS::Lambda::Alias",
            "AWS::CodeDeploy::DeploymentGroup",
            "AWS::SQS::Queue",
            "AWS::SNS::Subscription",
            "AWS::ECS::Service",
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "AWS::ApiGateway::Method",
            "AWS::ApiGatewayV2::VpcLink",
            "AWS::CloudWatch::Dashboard",
        ):
            assert raw[kind] == ours[kind], (stack, kind)
        assert raw["AWS::CloudWatch::Alarm"] == ours["AWS::CloudWatch::Alarm"], stack


WAF_KINDS = (
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::WAFv2::LoggingConfiguration",
)


def test_raw_stages_have_the_samples_web_acl_in_prod_only(raw_templates, dev_sample):
    for (raw_stack, profile), ours in zip(RAW_STAGE_STACKS.items(), STAGE_STACKS, strict=True):
        raw = resource_types(raw_templates[raw_stack])
        theirs = resource_types(dev_sample.templates[ours])
        for kind in WAF_KINDS:
            assert raw[kind] == theirs[kind] == (1 if profile == "prod" else 0), (raw_stack, kind)


def test_raw_platform_has_the_samples_nat_and_capacity_providers(raw_templates, dev_sample):
    raw = resource_types(raw_templates["RawOrdersPlatform"])
    ours = resource_types(dev_sample.templates["OrdersPlatform"])
    for kind in (
        "AWS::EC2::Instance",  # dev: a NAT instance
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::ECS::ClusterCapacityProviderAssociations",
    ):
        assert raw[kind] == ours[kind], kind
    assert ours["AWS::EC2::Instance"] == 1


def test_raw_platform_publishes_the_same_contract(raw_templates, dev_sample):
    ours = published(dev_sample.templates["OrdersPlatform"])
    raw = published(raw_templates["RawOrdersPlatform"])
    assert raw == ours - {"orders-dev/library-version"}


def test_raw_service_attaches_by_name_like_the_sample(raw_templates, dev_sample):
    ours = contract_reads(dev_sample.templates["OrdersService"])
    raw = contract_reads(raw_templates["RawOrdersService"])
    assert set(raw) == set(ours) == {"orders-dev"}
    assert raw["orders-dev"] == (ours["orders-dev"] - LIBRARY_ONLY_READS) | RAW_UNUSED_READS
    for stack in ("RawOrdersService", *RAW_STAGE_STACKS):
        body = json.dumps(raw_templates[stack])
        assert "Fn::ImportValue" not in body, stack
        outputs = raw_templates[stack].get("Outputs", {}).values()
        assert not [output for output in outputs if "Export" in output], stack
    assert not [
        output
        for output in raw_templates["RawOrdersPlatform"].get("Outputs", {}).values()
        if "Export" in output
    ]


def test_raw_stages_attach_to_the_environment_of_their_account(raw_templates):
    for stack, profile in RAW_STAGE_STACKS.items():
        assert set(contract_reads(raw_templates[stack])) == {f"orders-{profile}"}
        (group,) = [
            r["Properties"]
            for r in raw_templates[stack]["Resources"].values()
            if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"
        ]
        expected = "AllAtOnce" if profile == "dev" else "Canary10Percent5Minutes"
        assert group["DeploymentConfigName"] == f"CodeDeployDefault.Lambda{expected}"
    assert set(RAW_STAGE_STACKS.values()) == set(STAGE_STACKS.values())


def test_raw_pipeline_has_the_sample_pipelines_shape(raw_templates, dev_sample):
    ours = pipeline_stages(dev_sample.templates["OrdersPipeline"])
    raw = pipeline_stages(raw_templates["RawOrdersPipeline"])
    assert list(raw) == list(ours)

    def actions(stages, stage):
        # the sample's Review step is the library's change review: the raw version has none
        return [
            a["Name"].replace("RawOrdersService", "OrdersService")
            for a in stages[stage]
            if a["Name"] != "Review"
        ]

    for stage in ("Dev", "Prod"):
        assert actions(raw, stage) == actions(ours, stage), stage
    assert actions(raw, "Prod")[0] == "Approve"
    assert raw["Prod"][0]["ActionTypeId"]["Provider"] == "Manual"
    assert RAW_VERIFY_API == VERIFY_API
    (verify,) = [a for a in raw["Dev"] if a["Name"] == "Verify"]
    variables = json.loads(verify["Configuration"]["EnvironmentVariables"])
    assert [variable["name"] for variable in variables] == ["API_URL"]


def test_raw_pipeline_notifies_the_platform_alarm_topic_on_failure(raw_templates, dev_sample):
    for template in (raw_templates["RawOrdersPipeline"], dev_sample.templates["OrdersPipeline"]):
        assert resource_types(template)["AWS::CodeStarNotifications::NotificationRule"] == 1
    ours = contract_reads(dev_sample.templates["OrdersPipeline"])
    raw = contract_reads(raw_templates["RawOrdersPipeline"])
    assert set(raw) == set(ours) == {"orders-dev"}
    assert {"alarm-topic-arn", "key-arn"} <= raw["orders-dev"] <= ours["orders-dev"]
