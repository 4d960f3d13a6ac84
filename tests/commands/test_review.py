"""`python -m modern_app_constructs review`: small hand-made assemblies, one class each."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from modern_app_constructs._cli import main
from modern_app_constructs._review import (
    RULES,
    Acceptance,
    ReviewInputError,
    read_accept_file,
    read_assembly,
    record_baseline,
    render_json,
    render_markdown,
    review_assemblies,
)
from modern_app_constructs.testing import assert_no_breaking_changes

REPO = Path(__file__).resolve().parents[2]


def write_assembly(directory: Path, stacks, *, protection=(), nested=None) -> Path:
    """A cloud assembly: one template per stack, ``nested`` ones in a stage's assembly."""
    directory.mkdir(parents=True, exist_ok=True)
    artifacts = {}
    for stack_id, template in stacks.items():
        (directory / f"{stack_id}.template.json").write_text(json.dumps(template))
        artifacts[stack_id] = {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/unknown-region",
            "properties": {
                "templateFile": f"{stack_id}.template.json",
                "terminationProtection": stack_id in protection,
            },
            "displayName": stack_id,
        }
    for stage, stage_stacks in (nested or {}).items():
        name = f"assembly-{stage}"
        write_assembly(directory / name, stage_stacks)
        artifacts[name] = {
            "type": "cdk:cloud-assembly",
            "properties": {"directoryName": name, "displayName": stage},
        }
    manifest = {"version": "55.0.0", "artifacts": artifacts}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def template(**resources):
    return {"Resources": resources}


def res(resource_type, path=None, **properties):
    resource = {"Type": resource_type, "Properties": properties}
    if path is not None:
        resource["Metadata"] = {"aws:cdk:path": path}
    return resource


def queue(**properties):
    return res("AWS::SQS::Queue", **properties)


def review_of(tmp_path, old, new, *, accept=(), **kwargs):
    base = write_assembly(tmp_path / "base", {"S": template(**old)}, **kwargs)
    head = write_assembly(tmp_path / "head", {"S": template(**new)})
    return review_assemblies(base, head, accept=accept)


def kinds(review):
    return {c.logical_id: c.kind for s in review.stacks for c in s.changes}


def rules(review):
    return {(f.logical_id, f.rule) for f in review.findings}


def statement(**kwargs):
    return {"Effect": "Allow", **kwargs}


def policy(*statements):
    return res(
        "AWS::IAM::Policy",
        PolicyName="p",
        Roles=[{"Ref": "Role"}],
        PolicyDocument={"Version": "2012-10-17", "Statement": list(statements)},
    )


# --- classification ---


class TestClassification:
    def test_added_removed_updated_and_unchanged(self, tmp_path):
        review = review_of(
            tmp_path,
            {
                "Gone": res("AWS::SNS::Topic"),
                "Same": queue(),
                "Fn": res("AWS::Lambda::Function", Runtime="python3.12"),
            },
            {
                "New": res("AWS::SNS::Topic"),
                "Same": queue(),
                "Fn": res("AWS::Lambda::Function", Runtime="python3.13"),
            },
        )
        assert kinds(review) == {"Gone": "removed", "New": "added", "Fn": "updated"}
        fn = next(c for c in review.stacks[0].changes if c.logical_id == "Fn")
        assert fn.properties == ("Runtime",)
        assert review.blocking == []  # a topic without subscriptions holds no state

    def test_a_create_only_property_from_the_provider_schema_replaces(self, tmp_path):
        review = review_of(tmp_path, {"Q": queue(QueueName="a")}, {"Q": queue(QueueName="b")})
        (change,) = review.stacks[0].changes
        assert (change.kind, change.reasons) == ("replaced", ("QueueName is create-only",))
        assert (change.stateful, change.retention) == (True, "lost")
        (finding,) = review.blocking
        assert finding.rule == "stateful-replaced"
        assert "UpdateReplacePolicy Delete (default)" in finding.message

    @pytest.mark.parametrize(
        ("policy", "retention"), [("Retain", "orphaned"), ("Snapshot", "snapshotted")]
    )
    def test_a_retained_stateful_resource_is_reported_kept_not_lost(
        self, tmp_path, policy, retention
    ):
        old = {**queue(QueueName="a"), "UpdateReplacePolicy": policy, "DeletionPolicy": policy}
        new = {**queue(QueueName="b"), "UpdateReplacePolicy": policy, "DeletionPolicy": policy}
        review = review_of(tmp_path, {"Q": old}, {"Q": new})
        assert review.stacks[0].changes[0].retention == retention
        assert rules(review) == {("Q", "stateful-retained")}
        assert review.blocking == []

    def test_removal_uses_the_deletion_policy(self, tmp_path):
        kept = {**res("AWS::Logs::LogGroup"), "DeletionPolicy": "Retain"}
        review = review_of(tmp_path, {"Kept": kept, "Lost": res("AWS::Logs::LogGroup")}, {})
        assert rules(review) == {("Kept", "stateful-retained"), ("Lost", "stateful-removed")}
        assert [f.logical_id for f in review.blocking] == ["Lost"]

    def test_a_changed_logical_id_with_the_same_construct_path_is_a_replacement(self, tmp_path):
        review = review_of(
            tmp_path,
            {"JobsQueue1": queue(path="S/Jobs/Queue/Resource")},
            {"JobsQueue2": queue(path="S/Jobs/Queue/Resource")},
        )
        (change,) = review.stacks[0].changes
        assert (change.logical_id, change.old_logical_id, change.kind) == (
            "JobsQueue2",
            "JobsQueue1",
            "replaced",
        )
        assert rules(review) == {("JobsQueue2", "stateful-replaced")}

    def test_a_changed_hash_of_the_same_construct_id_is_a_replacement(self, tmp_path):
        review = review_of(
            tmp_path,
            {"JobsQueueDF1CC2D4": queue(path="S/Jobs/Queue")},
            {"JobsQueue1A2B3C4D": queue(path="S/Worker/Jobs/Queue")},
        )
        (change,) = review.stacks[0].changes
        assert change.kind == "replaced"
        assert change.reasons == ("logical ID changed from JobsQueueDF1CC2D4 (same construct ID)",)

    def test_a_different_type_under_a_similar_id_is_not_a_rename(self, tmp_path):
        review = review_of(
            tmp_path, {"JobsDF1CC2D4": queue()}, {"Jobs1A2B3C4D": res("AWS::SNS::Topic")}
        )
        assert kinds(review) == {"JobsDF1CC2D4": "removed", "Jobs1A2B3C4D": "added"}

    def test_a_token_in_a_create_only_property_or_a_conditional_one_may_replace(self, tmp_path):
        table = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
        review = review_of(
            tmp_path,
            {"Q": queue(QueueName={"Ref": "A"}), "T": res("AWS::DynamoDB::Table", **table)},
            {
                "Q": queue(QueueName={"Ref": "B"}),
                "T": res(
                    "AWS::DynamoDB::Table", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}]
                ),
            },
        )
        assert kinds(review) == {"Q": "may replace", "T": "may replace"}
        assert rules(review) == {("Q", "stateful-replaced"), ("T", "stateful-replaced")}
        assert all("may be replaced" in f.message for f in review.findings)

    def test_a_topic_is_stateful_only_with_subscriptions(self, tmp_path):
        subscription = res("AWS::SNS::Subscription", TopicArn={"Ref": "T"}, Protocol="sqs")
        review = review_of(
            tmp_path,
            {"T": res("AWS::SNS::Topic", TopicName="a"), "Sub": subscription},
            {"T": res("AWS::SNS::Topic", TopicName="b"), "Sub": subscription},
        )
        assert rules(review) == {("T", "stateful-replaced")}

    def test_a_metadata_only_difference_is_no_change(self, tmp_path):
        review = review_of(tmp_path, {"Q": queue(path="S/A")}, {"Q": queue(path="S/B")})
        assert review.stacks[0].status == "unchanged"

    def test_nested_stage_assemblies_are_read_and_stacks_matched_by_artifact_id(self, tmp_path):
        base = write_assembly(
            tmp_path / "base",
            {"Pipeline": template(P=queue())},
            nested={"Pipeline-Prod": {"ProdService": template(Q=queue(QueueName="a"))}},
        )
        head = write_assembly(
            tmp_path / "head",
            {"Pipeline": template(P=queue()), "Extra": template(X=queue())},
            nested={"Pipeline-Prod": {"ProdService": template(Q=queue(QueueName="b"))}},
        )
        assert set(read_assembly(base)) == {"Pipeline", "ProdService"}
        review = review_assemblies(base, head)
        status = {s.stack: s.status for s in review.stacks}
        assert status == {"Pipeline": "unchanged", "ProdService": "changed", "Extra": "added"}
        assert [(f.stack, f.rule) for f in review.blocking] == [
            ("ProdService", "stateful-replaced")
        ]

    def test_a_removed_stack_reports_its_stateful_resources(self, tmp_path):
        base = write_assembly(tmp_path / "base", {"Gone": template(Q=queue())})
        head = write_assembly(tmp_path / "head", {"Other": template(X=queue())})
        review = review_assemblies(base, head)
        gone = next(s for s in review.stacks if s.stack == "Gone")
        assert gone.status == "removed"
        assert [f.rule for f in gone.findings] == ["stateful-removed"]


# --- security ---


class TestIam:
    def test_a_new_action_on_an_existing_policy_widens(self, tmp_path):
        old = policy(statement(Action="sqs:SendMessage", Resource="arn:q"))
        new = policy(statement(Action=["sqs:SendMessage", "sqs:DeleteMessage"], Resource="arn:q"))
        review = review_of(tmp_path, {"P": old}, {"P": new})
        (finding,) = review.blocking
        assert finding.rule == "iam-widened"
        assert "sqs:DeleteMessage on arn:q" in finding.message

    def test_a_new_roles_trust_names_who_may_assume_it_and_no_resource(self, tmp_path):
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                statement(Action="sts:AssumeRole", Principal={"Service": "ecs-tasks.amazonaws.com"})
            ],
        }
        role = res("AWS::IAM::Role", AssumeRolePolicyDocument=trust)
        (finding,) = review_of(tmp_path, {}, {"R": role}).findings
        assert finding.rule == "iam-widened"
        assert "sts:AssumeRole to Service:ecs-tasks.amazonaws.com" in finding.message
        assert " on " not in finding.message

    def test_a_wildcard_is_called_out(self, tmp_path):
        old = policy(statement(Action="sqs:SendMessage", Resource="arn:q"))
        new = policy(statement(Action="sqs:*", Resource="*"))
        assert rules(review_of(tmp_path, {"P": old}, {"P": new})) == {("P", "iam-wildcard")}

    def test_narrowing_is_no_finding(self, tmp_path):
        old = policy(statement(Action=["sqs:SendMessage", "sqs:DeleteMessage"], Resource="arn:q"))
        new = policy(statement(Action="sqs:SendMessage", Resource="arn:q"))
        assert review_of(tmp_path, {"P": old}, {"P": new}).findings == []

    def test_a_new_principal_in_a_trust_policy(self, tmp_path):
        def role(*services):
            trust = [statement(Action="sts:AssumeRole", Principal={"Service": list(services)})]
            return res("AWS::IAM::Role", AssumeRolePolicyDocument={"Statement": trust})

        review = review_of(
            tmp_path,
            {"R": role("lambda.amazonaws.com")},
            {"R": role("lambda.amazonaws.com", "ec2.amazonaws.com")},
        )
        (finding,) = review.findings
        assert finding.rule == "iam-principal-added"
        assert "Service:ec2.amazonaws.com" in finding.message

    def test_a_removed_condition(self, tmp_path):
        grant = {
            "Action": "sns:Publish",
            "Resource": "arn:t",
            "Principal": {"Service": "s3.amazonaws.com"},
        }
        condition = {"ArnLike": {"aws:SourceArn": "arn:b"}}
        old = res(
            "AWS::SNS::TopicPolicy",
            PolicyDocument={"Statement": [statement(**grant, Condition=condition)]},
        )
        new = res("AWS::SNS::TopicPolicy", PolicyDocument={"Statement": [statement(**grant)]})

        assert rules(review_of(tmp_path, {"TP": old}, {"TP": new})) == {
            ("TP", "iam-condition-removed")
        }

    def test_managed_policies_and_inline_role_policies(self, tmp_path):
        def role(arns, actions):
            inline = [
                {
                    "PolicyName": "i",
                    "PolicyDocument": {"Statement": [statement(Action=actions, Resource="arn:x")]},
                }
            ]
            return res("AWS::IAM::Role", ManagedPolicyArns=arns, Policies=inline)

        review = review_of(
            tmp_path,
            {"R": role([], "s3:GetObject")},
            {
                "R": role(
                    ["arn:aws:iam::aws:policy/AdministratorAccess"],
                    ["s3:GetObject", "s3:PutObject"],
                )
            },
        )
        (finding,) = review.findings
        assert finding.rule == "iam-widened"
        assert "AdministratorAccess" in finding.message
        assert "s3:PutObject on arn:x" in finding.message

    def test_a_lambda_permission_for_anyone(self, tmp_path):
        def permission(principal, **extra):
            return res(
                "AWS::Lambda::Permission",
                Action="lambda:InvokeFunction",
                FunctionName={"Ref": "Fn"},
                Principal=principal,
                **extra,
            )

        review = review_of(
            tmp_path,
            {"Perm": permission("apigateway.amazonaws.com", SourceArn="arn:api")},
            {"Perm": permission("*")},
        )
        assert rules(review) == {("Perm", "iam-wildcard")}

    def test_the_enforce_tls_deny_removed_from_a_bucket_policy(self, tmp_path):
        deny = {
            "Effect": "Deny",
            "Action": "s3:*",
            "Principal": {"AWS": "*"},
            "Resource": "arn:b/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        read = statement(
            Action="s3:GetObject",
            Principal={"Service": "logging.s3.amazonaws.com"},
            Resource="arn:b/*",
        )
        old = res("AWS::S3::BucketPolicy", PolicyDocument={"Statement": [deny, read]})
        new = res("AWS::S3::BucketPolicy", PolicyDocument={"Statement": [read]})

        assert rules(review_of(tmp_path, {"BP": old}, {"BP": new})) == {("BP", "tls-removed")}

    def test_a_key_policy_statement_for_a_new_principal(self, tmp_path):
        def key(*principals):
            statements = [
                statement(Action="kms:Decrypt", Resource="*", Principal={"Service": p})
                for p in principals
            ]
            return res("AWS::KMS::Key", KeyPolicy={"Statement": statements})

        review = review_of(
            tmp_path,
            {"K": key("sns.amazonaws.com")},
            {"K": key("sns.amazonaws.com", "s3.amazonaws.com")},
        )

        assert rules(review) == {("K", "iam-wildcard")}  # Resource "*" is a key policy's usual


class TestNetwork:
    def sg(self, *ingress, egress=()):
        return res(
            "AWS::EC2::SecurityGroup",
            GroupDescription="g",
            SecurityGroupIngress=list(ingress),
            SecurityGroupEgress=list(egress),
        )

    def rule(self, cidr, port=443, **extra):
        key = "CidrIpv6" if ":" in cidr else "CidrIp"
        return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, key: cidr, **extra}

    def test_inline_ingress_opened_to_the_world(self, tmp_path):
        review = review_of(
            tmp_path,
            {"SG": self.sg(self.rule("10.0.0.0/8"))},
            {"SG": self.sg(self.rule("0.0.0.0/0"))},
        )
        (finding,) = review.blocking
        assert (finding.rule, finding.message) == (
            "network-world",
            "ingress TCP 443 from/to 0.0.0.0/0 (anywhere)",
        )
        assert kinds(review) == {"SG": "updated"}

    def test_standalone_rules_and_egress(self, tmp_path):
        ingress = res(
            "AWS::EC2::SecurityGroupIngress", GroupId={"Ref": "SG"}, **self.rule("::/0", 80)
        )
        egress = res(
            "AWS::EC2::SecurityGroupEgress",
            GroupId={"Ref": "SG"},
            IpProtocol="-1",
            CidrIp="0.0.0.0/0",
        )
        peer = res(
            "AWS::EC2::SecurityGroupIngress",
            GroupId={"Ref": "SG"},
            IpProtocol="tcp",
            FromPort=5432,
            ToPort=5432,
            SourceSecurityGroupId={"Ref": "Other"},
        )
        review = review_of(tmp_path, {}, {"In": ingress, "Out": egress, "Peer": peer})

        assert rules(review) == {
            ("In", "network-world"),
            ("Out", "network-world"),
            ("Peer", "network-widened"),
        }

    def test_a_description_change_is_no_exposure(self, tmp_path):
        review = review_of(
            tmp_path,
            {"SG": self.sg(self.rule("0.0.0.0/0", Description="a"))},
            {"SG": self.sg(self.rule("0.0.0.0/0", Description="b"))},
        )
        assert review.findings == []


LB = "AWS::ElasticLoadBalancingV2::LoadBalancer"


class TestProtections:
    @pytest.mark.parametrize(
        ("resource_type", "before", "after", "rule"),
        [
            ("AWS::SQS::Queue", {"KmsMasterKeyId": "k"}, {}, "encryption-removed"),
            ("AWS::SQS::Queue", {}, {"SqsManagedSseEnabled": False}, "encryption-removed"),
            ("AWS::SNS::Topic", {"KmsMasterKeyId": "k"}, {}, "encryption-removed"),
            ("AWS::Logs::LogGroup", {"KmsKeyId": "k"}, {}, "encryption-removed"),
            ("AWS::S3::Bucket", {"BucketEncryption": {}}, {}, "encryption-removed"),
            (
                "AWS::Lambda::Function",
                {"TracingConfig": {"Mode": "Active"}},
                {"TracingConfig": {"Mode": "PassThrough"}},
                "tracing-disabled",
            ),
            (
                "AWS::ApiGateway::Stage",
                {"TracingEnabled": True},
                {"TracingEnabled": False},
                "tracing-disabled",
            ),
            (
                "AWS::ApiGateway::Stage",
                {"AccessLogSetting": {"DestinationArn": "a"}},
                {},
                "logging-disabled",
            ),
            (
                "AWS::ApiGateway::Stage",
                {"MethodSettings": [{"LoggingLevel": "INFO"}]},
                {"MethodSettings": [{"LoggingLevel": "OFF"}]},
                "logging-disabled",
            ),
            (
                LB,
                {"LoadBalancerAttributes": [{"Key": "access_logs.s3.enabled", "Value": "true"}]},
                {},
                "logging-disabled",
            ),
            (
                LB,
                {
                    "LoadBalancerAttributes": [
                        {"Key": "deletion_protection.enabled", "Value": "true"}
                    ]
                },
                {
                    "LoadBalancerAttributes": [
                        {"Key": "deletion_protection.enabled", "Value": "false"}
                    ]
                },
                "deletion-protection-removed",
            ),
            (
                "AWS::S3::Bucket",
                {"PublicAccessBlockConfiguration": {"BlockPublicPolicy": True}},
                {"PublicAccessBlockConfiguration": {}},
                "public-access",
            ),
            (
                "AWS::DynamoDB::Table",
                {"DeletionProtectionEnabled": True},
                {},
                "deletion-protection-removed",
            ),
            (
                "AWS::RDS::DBCluster",
                {"DeletionProtection": True},
                {"DeletionProtection": False},
                "deletion-protection-removed",
            ),
        ],
    )
    def test_switched_off(self, tmp_path, resource_type, before, after, rule):
        review = review_of(
            tmp_path, {"R": res(resource_type, **before)}, {"R": res(resource_type, **after)}
        )
        assert rules(review) == {("R", rule)}
        assert review.blocking

    def test_switched_on_is_no_finding(self, tmp_path):
        review = review_of(tmp_path, {"Q": queue()}, {"Q": queue(KmsMasterKeyId="k")})
        assert review.findings == []

    def test_termination_protection_removed(self, tmp_path):
        review = review_of(tmp_path, {"Q": queue()}, {"Q": queue()}, protection=("S",))
        assert rules(review) == {("", "deletion-protection-removed")}


class TestContract:
    def parameter(self, key, value):
        return res(
            "AWS::SSM::Parameter",
            Type="String",
            Name=f"/modern-app-constructs/platform/shop/{key}",
            Value=value,
        )

    def test_a_value_change_is_noted_a_structural_one_blocks(self, tmp_path):
        review = review_of(
            tmp_path,
            {"Vpc": self.parameter("vpc-id", "vpc-1"), "Az": self.parameter("az-count", "2")},
            {"Vpc": self.parameter("vpc-id", "vpc-2"), "Az": self.parameter("az-count", "3")},
        )
        assert rules(review) == {("Vpc", "contract-changed"), ("Az", "contract-structural")}
        assert [f.logical_id for f in review.blocking] == ["Az"]

    def test_a_removed_parameter_blocks(self, tmp_path):
        review = review_of(tmp_path, {"Vpc": self.parameter("vpc-id", "vpc-1")}, {})
        assert ("Vpc", "contract-removed") in rules(review)


# --- accept files ---


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


class TestAccept:
    def test_an_entry_by_logical_id_or_rule_accepts_with_its_reason(self, tmp_path):
        old = {
            "Q": queue(QueueName="a"),
            "P": policy(statement(Action="s3:GetObject", Resource="arn:b")),
        }
        new = {"Q": queue(QueueName="b"), "P": policy(statement(Action="s3:*", Resource="arn:b"))}

        accept = [
            Acceptance("S", "drained first", logical_id="Q"),
            Acceptance("S", "reviewed by security", rule="iam-wildcard"),
        ]
        review = review_of(tmp_path, old, new, accept=accept)
        assert review.blocking == []
        assert {f.accepted for f in review.findings} == {"drained first", "reviewed by security"}
        assert "accepted: drained first" in render_markdown(review)

    def test_an_entry_for_another_rule_does_not_accept(self, tmp_path):
        accept = [Acceptance("S", "x", logical_id="Q", rule="iam-widened")]
        review = review_of(
            tmp_path, {"Q": queue(QueueName="a")}, {"Q": queue(QueueName="b")}, accept=accept
        )

        assert len(review.blocking) == 1

    def test_an_unknown_stack_is_a_warning(self, tmp_path):
        review = review_of(tmp_path, {}, {}, accept=[Acceptance("Nope", "x", rule="iam-widened")])
        assert review.warnings == (
            "accept entry for stack 'Nope' names no stack of either assembly",
        )

    def test_json_and_toml(self, tmp_path):
        entry = {"stack": "S", "logical_id": "Q", "reason": "ok"}
        from_json = read_accept_file(write(tmp_path / "a.json", json.dumps({"accept": [entry]})))
        toml = '[[accept]]\nstack = "S"\nlogical_id = "Q"\nreason = "ok"\n'
        assert read_accept_file(write(tmp_path / "a.toml", toml)) == from_json
        assert from_json == [Acceptance("S", "ok", logical_id="Q")]

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("{", "not valid json"),
            ('{"accept": {}}', "expected a list 'accept'"),
            ('{"accept": [{"stack": "S", "rule": "iam-widened"}]}', "'reason' is required"),
            ('{"accept": [{"stack": "S", "reason": "r"}]}', "give 'logical_id' and/or 'rule'"),
            ('{"accept": [{"stack": "S", "rule": "typo", "reason": "r"}]}', "unknown rule 'typo'"),
            ('{"accept": [{"stack": "S", "id": "Q", "reason": "r"}]}', "unknown key(s) ['id']"),
        ],
    )
    def test_a_bad_accept_file(self, tmp_path, content, message):
        with pytest.raises(ReviewInputError, match=None) as error:
            read_accept_file(write(tmp_path / "a.json", content))
        assert message in str(error.value)

    def test_every_rule_is_documented(self):
        assert all(description for _, description in RULES.values())


# --- rendering and the command ---


def cli(*args, **seams):
    out, err = io.StringIO(), io.StringIO()
    code = main(["review", *map(str, args)], out=out, err=err, **seams)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def pair(tmp_path):
    base = write_assembly(
        tmp_path / "base", {"S": template(Q=queue(QueueName="a"), T=res("AWS::SNS::Topic"))}
    )
    head = write_assembly(
        tmp_path / "head", {"S": template(Q=queue(QueueName="b"), U=res("AWS::SNS::Topic"))}
    )

    return base, head


class TestCommand:
    def test_markdown_summary_then_a_table_blocking_first_and_exit_1(self, pair):
        code, out, err = cli(*pair)
        assert (code, err) == (1, "")
        lines = out.splitlines()
        assert lines[0] == (
            "**Change review: 1 blocking; 1 of 1 stack(s) changed: "
            "1 removed, 1 replaced, 1 added.**"
        )
        rows = [line for line in lines if line.startswith("| ") and "verdict" not in line]
        assert rows[0].startswith("| **blocking** | replaced | Q | AWS::SQS::Queue | QueueName")
        assert len(rows) == 3

    def test_json(self, pair):
        code, out, _ = cli(*pair, "--format", "json")
        document = json.loads(out)
        assert (code, document["blocking"]) == (1, 1)
        (finding,) = document["stacks"][0]["findings"]
        assert (finding["rule"], finding["blocking"]) == ("stateful-replaced", True)

    def test_accepted_exits_0(self, pair, tmp_path):
        accept = write(
            tmp_path / "accept.json",
            json.dumps({"accept": [{"stack": "S", "logical_id": "Q", "reason": "drained"}]}),
        )

        assert cli(*pair, "--accept", accept)[0] == 0

    def test_an_unknown_stack_in_the_accept_file_warns(self, pair, tmp_path):
        accept = write(
            tmp_path / "accept.json",
            json.dumps({"accept": [{"stack": "Nope", "rule": "iam-widened", "reason": "r"}]}),
        )

        code, _, err = cli(*pair, "--accept", accept)
        assert code == 1
        assert "warning: accept entry for stack 'Nope'" in err

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("missing", "head"), "missing: no such directory"),
            (("empty", "head"), "not a cloud assembly (no manifest.json)"),
            (("base", "head", "--accept", "nope.json"), "cannot read the accept file"),
            (("base",), "give BASE and HEAD"),
            (("base", "head", "--base-ref", "HEAD"), "with --base-ref give HEAD only"),
            (("base", "broken"), "cannot read the template of S"),
        ],
    )
    def test_unusable_input_exits_2_with_a_message(
        self, pair, tmp_path, monkeypatch, args, message
    ):
        monkeypatch.chdir(tmp_path)
        (tmp_path / "empty").mkdir()
        broken = write_assembly(tmp_path / "broken", {"S": template()})
        (broken / "S.template.json").write_text("{nope")
        code, out, err = cli(*args)
        assert (code, out) == (2, "")
        assert message in err
        assert "Traceback" not in err

    def test_base_ref_synthesizes_the_base(self, pair, tmp_path):
        base, head = pair
        calls = []

        def synthesize(ref, workdir):
            calls.append((ref, workdir.is_dir()))
            return base

        code, out, _ = cli("--base-ref", "main", head, synthesize=synthesize)
        assert (code, calls) == (1, [("main", True)])
        assert "QueueName is create-only" in out

    def test_a_cost_estimator_fills_its_line(self, pair):
        base, head = pair
        review = review_assemblies(base, head, cost=lambda old, new: 12.5)
        assert "Monthly cost difference: +12.50 USD" in render_markdown(review)
        assert json.loads(render_json(review))["stacks"][0]["monthly_cost_delta"] == 12.5

    def test_base_templates_review_against_what_is_deployed(self, pair, tmp_path):
        base, head = pair
        deployed = tmp_path / "deployed"
        deployed.mkdir()
        (deployed / "S.template.json").write_text((base / "S.template.json").read_text())
        code, out, _ = cli("--base-templates", deployed, head)
        assert code == 1
        assert "QueueName is create-only" in out

    def test_a_stack_not_deployed_yet_reviews_against_nothing(self, pair, tmp_path):
        _, head = pair
        (tmp_path / "deployed").mkdir()
        code, out, _ = cli("--base-templates", tmp_path / "deployed", head)
        assert code == 0
        assert "### S (added)" in out

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--base-templates", "deployed", "--base-ref", "main", "head"), "not both"),
            (("--base-templates", "deployed", "base", "head"), "give HEAD only"),
            (("--base-templates", "nowhere", "head"), "nowhere: no such directory"),
            (("--base-templates", "deployed", "head"), "cannot read the deployed template"),
        ],
    )
    def test_bad_base_templates_exit_2(self, pair, tmp_path, monkeypatch, args, message):
        monkeypatch.chdir(tmp_path)
        (tmp_path / "deployed").mkdir()
        (tmp_path / "deployed" / "S.template.json").write_text("{nope")
        code, out, err = cli(*args)
        assert (code, out) == (2, "")
        assert message in err


NAT_MONTH = 730 * 0.048  # the shipped table's NAT gateway hour in eu-west-1


class TestCost:
    """The monthly difference per stack, priced by the cost command's table."""

    def test_environment_agnostic_stacks_show_no_figure_without_a_region(self, pair):
        review = review_assemblies(*pair)
        assert review.stacks[0].monthly_cost_delta is None
        assert "Monthly cost difference" not in render_markdown(review)

    def test_region_prices_the_difference_per_stack(self, tmp_path):
        nat = res("AWS::EC2::NatGateway")
        base = write_assembly(
            tmp_path / "base", {"S": template(Q=queue()), "Gone": template(N=nat)}
        )
        head = write_assembly(
            tmp_path / "head",
            {"S": template(Q=queue(), N1=nat, N2=nat), "New": template(K=res("AWS::KMS::Key"))},
        )
        review = review_assemblies(base, head, region="eu-west-1")
        deltas = {stack.stack: stack.monthly_cost_delta for stack in review.stacks}
        assert deltas == pytest.approx({"S": 2 * NAT_MONTH, "New": 1.0, "Gone": -NAT_MONTH})
        assert "Monthly cost difference: +70.08 USD" in render_markdown(review)

    def test_the_stacks_own_region_is_used(self, tmp_path):
        base = write_assembly(tmp_path / "base", {"S": template(Q=queue())})
        head = write_assembly(
            tmp_path / "head", {"S": template(Q=queue(), N=res("AWS::EC2::NatGateway"))}
        )
        manifest = json.loads((head / "manifest.json").read_text())
        manifest["artifacts"]["S"]["environment"] = "aws://123456789012/eu-west-1"
        (head / "manifest.json").write_text(json.dumps(manifest))
        (stack,) = review_assemblies(base, head).stacks
        assert stack.monthly_cost_delta == pytest.approx(NAT_MONTH)

    def test_the_command_takes_region_and_rejects_one_the_table_lacks(self, pair):
        code, out, _ = cli(*pair, "--region", "eu-west-1")
        assert (code, "Monthly cost difference: +0.00 USD" in out) == (1, True)
        code, out, err = cli(*pair, "--region", "mars-north-1")
        assert (code, out) == (2, "")
        assert "cost: region 'mars-north-1' is not in the price table" in err


APP = """\
import json, os, sys
out = os.environ["CDK_OUTDIR"]
name = open("name.txt").read().strip()
template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name}}}}
json.dump(template, open(os.path.join(out, "S.template.json"), "w"))
manifest = {"version": "55.0.0", "artifacts": {"S": {"type": "aws:cloudformation:stack",
    "environment": "aws://unknown-account/unknown-region",
    "properties": {"templateFile": "S.template.json"}}}}
json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"))
"""


def test_base_ref_checks_out_the_ref_in_a_worktree_synthesizes_and_cleans_up(tmp_path):
    assert (REPO / "node_modules" / ".bin" / "cdk").exists(), "the pinned CDK CLI: make install"
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "node_modules").symlink_to(REPO / "node_modules")
    (repo / ".gitignore").write_text("node_modules\ncdk.out\n")
    (repo / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    (repo / "app.py").write_text(APP)
    (repo / "name.txt").write_text("jobs-a")

    def git(*args):
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
        }
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)

    git("init", "--quiet")
    git("add", ".gitignore", "cdk.json", "app.py", "name.txt")
    git("commit", "--quiet", "-m", "base")
    head = write_assembly(tmp_path / "head", {"S": template(Q=queue(QueueName="jobs-b"))})
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        code, out, err = cli("--base-ref", "HEAD", head)
        bad_ref = cli("--base-ref", "no-such-ref", head)
    finally:
        os.chdir(cwd)
    assert (code, err) == (1, "")
    assert "| **blocking** | replaced | Q | AWS::SQS::Queue | QueueName is create-only" in out
    worktrees = subprocess.run(
        ["git", "worktree", "list"], cwd=repo, capture_output=True, text=True
    )
    assert len(worktrees.stdout.splitlines()) == 1  # the temporary worktree is gone
    assert bad_ref[0] == 2
    assert "no-such-ref" in bad_ref[2]


# --- baselines and the testing helper ---


class TestBaseline:
    def test_record_keeps_manifests_and_templates_only(self, tmp_path):
        source = write_assembly(
            tmp_path / "cdk.out",
            {"S": template(Q=queue())},
            nested={"Stage": {"N": template(Q=queue())}},
        )
        (source / "asset.abc").mkdir()
        (source / "asset.abc" / "index.py").write_text("x")
        (source / "tree.json").write_text("{}")
        baseline = record_baseline(source, tmp_path / "tests" / "baseline")
        files = sorted(str(p.relative_to(baseline)) for p in baseline.rglob("*") if p.is_file())
        assert files == [
            "S.template.json",
            "assembly-Stage/N.template.json",
            "assembly-Stage/manifest.json",
            "manifest.json",
        ]
        assert set(read_assembly(baseline)) == {"S", "N"}

    def test_assert_no_breaking_changes_lists_the_blocking_ones(self, tmp_path):
        baseline = record_baseline(
            write_assembly(tmp_path / "old", {"S": template(Q=queue(QueueName="a"))}),
            tmp_path / "baseline",
        )
        head = write_assembly(tmp_path / "new", {"S": template(Q=queue(QueueName="b"))})
        with pytest.raises(AssertionError, match=r"1 blocking change\(s\)") as error:
            assert_no_breaking_changes(head, baseline=baseline)
        assert "S Q [stateful-replaced] AWS::SQS::Queue replaced" in str(error.value)
        accept = write(
            tmp_path / "accept.toml", '[[accept]]\nstack = "S"\nlogical_id = "Q"\nreason = "r"\n'
        )

        assert_no_breaking_changes(head, baseline=baseline, accept=accept)

    def test_without_a_baseline_it_says_how_to_record_one(self, tmp_path):
        head = write_assembly(tmp_path / "new", {"S": template(Q=queue())})
        with pytest.raises(AssertionError, match="record_baseline"):
            assert_no_breaking_changes(head, baseline=tmp_path / "none")

    def test_an_app_is_synthesized(self, tmp_path):
        import aws_cdk as cdk
        from aws_cdk import aws_sqs as sqs

        app = cdk.App(outdir=str(tmp_path / "app.out"))
        stack = cdk.Stack(app, "S")
        sqs.Queue(stack, "Jobs", queue_name="a")
        record_baseline(app.synth().directory, tmp_path / "baseline")
        renamed = cdk.App(outdir=str(tmp_path / "app2.out"))
        sqs.Queue(cdk.Stack(renamed, "S"), "Jobs", queue_name="b")
        with pytest.raises(AssertionError, match="stateful-replaced"):
            assert_no_breaking_changes(renamed, baseline=tmp_path / "baseline")


# --- agreement with CDK's own diff (the pinned CLI, offline) ---

CDK = REPO / "node_modules" / ".bin" / "cdk"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_RESOURCE_LINE = re.compile(r"^\[([+\-~])\] (\S+) (.+)$")
_IMPACTS = {"may be replaced": "may replace", "replace": "replaced", "destroy": "", "orphan": ""}


@dataclass(frozen=True)
class CdkDiff:
    resources: dict[str, str]
    iam_broadened: bool
    network_broadened: bool


def parse_cdk_diff(text: str) -> CdkDiff:
    """`cdk diff` output: each resource's change, and whether its IAM / SG tables add a row."""
    resources: dict[str, str] = {}
    section = ""
    added_in: set[str] = set()
    for raw in _ANSI.sub("", text).splitlines():
        line = raw.rstrip()
        if line in ("IAM Statement Changes", "Security Group Changes", "Resources"):
            section = line
            continue
        if section != "Resources" and line.startswith("│ + │"):
            added_in.add(section)
        match = _RESOURCE_LINE.match(line) if section == "Resources" else None
        if match is None:
            continue
        tag, rest = match.group(1), match.group(3)
        impact = ""
        for suffix, kind in _IMPACTS.items():
            if rest.endswith(" " + suffix):
                rest, impact = rest[: -len(suffix) - 1], kind
                break
        logical_id = rest.split()[-1]
        resources[logical_id] = {"+": "added", "-": "removed"}.get(tag) or impact or "updated"
    return CdkDiff(
        resources,
        "IAM Statement Changes" in added_in,
        "Security Group Changes" in added_in,
    )


def _route(path_part):
    return res(
        "AWS::ApiGateway::Resource",
        PathPart=path_part,
        RestApiId={"Ref": "Api"},
        ParentId={"Fn::GetAtt": ["Api", "RootResourceId"]},
    )


def _grant(action, resource):
    return policy(statement(Action=action, Resource=resource))


def _ingress(cidr):
    rule = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": cidr}
    return res("AWS::EC2::SecurityGroup", GroupDescription="g", SecurityGroupIngress=[rule])


def _bucket(name):
    return {**res("AWS::S3::Bucket", BucketName=name), "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain"}  # fmt: skip


def _permission(principal):
    function = "arn:aws:lambda:eu-west-1:111111111111:function:f"
    return res(
        "AWS::Lambda::Permission",
        Action="lambda:InvokeFunction",
        FunctionName=function,
        Principal=principal,
    )


def _function(runtime):
    code = {"ZipFile": "x"}
    return res("AWS::Lambda::Function", Runtime=runtime, Role="r", Handler="a.b", Code=code)


def _api():
    return res("AWS::ApiGateway::RestApi", Name="a")


def _table(key):
    return res(
        "AWS::DynamoDB::Table",
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@dataclass(frozen=True)
class Case:
    """A change, and where the review deliberately says more than `cdk diff` (and why)."""

    stack: str
    old: dict
    new: dict
    review: dict[str, str]
    stricter: dict[str, str] | None = None  # what `cdk diff` says instead, when it differs
    why: str = ""
    security: str = ""  # "iam" / "network" when both must call it a broadening


CORPUS = (
    Case(
        "QueueName",
        {"Named": queue(QueueName="a")},
        {"Named": queue(QueueName="b")},
        {"Named": "replaced"},
    ),
    Case("Fifo", {"Jobs": queue()}, {"Jobs": queue(FifoQueue=True)}, {"Jobs": "replaced"}),
    Case(
        "TopicDisplayName",  # SNS DisplayName is updated in place
        {"Topic": res("AWS::SNS::Topic", DisplayName="a")},
        {"Topic": res("AWS::SNS::Topic", DisplayName="b")},
        {"Topic": "updated"},
    ),
    Case("BucketName", {"Bucket": _bucket("a")}, {"Bucket": _bucket("b")}, {"Bucket": "replaced"}),
    Case(
        "LambdaRuntime",
        {"Fn": _function("python3.12")},
        {"Fn": _function("python3.13")},
        {"Fn": "updated"},
    ),
    Case(
        "ReorderedRoute",  # position-derived IDs: the paths swap between logical IDs
        {"Api": _api(), "Route0": _route("orders"), "Route1": _route("items")},
        {"Api": _api(), "Route0": _route("items"), "Route1": _route("orders")},
        {"Route0": "replaced", "Route1": "replaced"},
    ),
    Case(
        "ConstructIdChange",
        {"JobsQueueDF1CC2D4": queue(path="S/Jobs/Queue")},
        {"JobsQueue1A2B3C4D": queue(path="S/Worker/Jobs/Queue")},
        {"JobsQueue1A2B3C4D": "replaced"},
        stricter={"JobsQueueDF1CC2D4": "removed", "JobsQueue1A2B3C4D": "added"},
        why="one resource whose logical ID changed is named as replaced (and its data lost), "
        "where cdk diff shows an unrelated removal and addition",
    ),
    Case(
        "TokenInCreateOnlyName",
        {"Stacked": queue(QueueName={"Ref": "AWS::StackName"})},
        {"Stacked": queue(QueueName={"Fn::Sub": "${AWS::StackName}"})},
        {"Stacked": "may replace"},
        stricter={"Stacked": "replaced"},
        why="a create-only value resolved at deploy time may not change: 'may replace', still "
        "blocking for a stateful resource; cdk diff says 'replace'",
    ),
    Case(
        "ConditionalCreateOnly",
        {"Table": _table("pk")},
        {"Table": _table("id")},
        {"Table": "may replace"},
        stricter={"Table": "replaced"},
        why="KeySchema is conditionally create-only in the provider schema; cdk diff's own "
        "spec says it always replaces. Both block (a table is stateful)",
    ),
    # security cases: a stack each, so that cdk diff's IAM / security-group tables are theirs
    Case(
        "SecurityGroupRule",
        {"SG": _ingress("10.0.0.0/8")},
        {"SG": _ingress("0.0.0.0/0")},
        {"SG": "updated"},
        security="network",
    ),
    Case(
        "PolicyWidening",
        {"P": _grant("sqs:SendMessage", "arn:aws:sqs:eu-west-1:111111111111:q")},
        {"P": _grant("sqs:*", "*")},
        {"P": "updated"},
        security="iam",
    ),
    Case(
        "LambdaPermission",  # Principal is create-only: the permission is replaced
        {"Perm": _permission("apigateway.amazonaws.com")},
        {"Perm": _permission("*")},
        {"Perm": "replaced"},
        security="iam",
    ),
)


def _stacks(side):
    """The classification cases in one stack (one cdk diff), each security case in its own."""
    stacks: dict = {}
    for case in CORPUS:
        name = case.stack if case.security else "Corpus"
        resources = stacks.setdefault(name, {})
        assert not resources.keys() & getattr(case, side).keys(), "logical IDs must be unique"
        resources.update(getattr(case, side))
    return {name: template(**resources) for name, resources in stacks.items()}


def _only(case, resources):
    ids = case.old.keys() | case.new.keys()
    return {key: value for key, value in resources.items() if key in ids}


@pytest.fixture(scope="module")
def cdk_diffs(tmp_path_factory):
    """`cdk diff --template` per stack of the corpus (~2 s of CPU each), run concurrently."""
    assert CDK.exists(), "the pinned CDK CLI (package.json) comes with `make install` (npm ci)"
    root = tmp_path_factory.mktemp("corpus")
    head = write_assembly(root / "head", _stacks("new"))
    base = write_assembly(root / "base", _stacks("old"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        CDK_DISABLE_VERSION_CHECK="1",
        AWS_EC2_METADATA_DISABLED="true",
        NO_COLOR="1",
    )

    def diff(stack):
        command = [str(CDK), "diff", "--no-notices", "--app", str(head),
                   "--template", str(base / f"{stack}.template.json"), stack]  # fmt: skip
        result = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert result.returncode in (0, 1), result.stderr
        return stack, parse_cdk_diff(result.stdout + result.stderr)

    with ThreadPoolExecutor(max_workers=2) as pool:
        diffs = dict(pool.map(diff, read_assembly(head)))
    review = review_assemblies(base, head)
    return diffs, {stack.stack: stack for stack in review.stacks}


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.stack)
def test_the_review_agrees_with_cdk_diff(cdk_diffs, case):
    diffs, reviews = cdk_diffs
    stack = case.stack if case.security else "Corpus"
    cdk_diff, review = diffs[stack], reviews[stack]
    kinds = {c.logical_id: c.kind for c in review.changes}
    assert _only(case, kinds) == case.review
    assert _only(case, cdk_diff.resources) == (case.stricter or case.review), case.why
    findings = [f for f in review.findings if f.logical_id in case.old.keys() | case.new.keys()]
    security = {f.rule.split("-")[0] for f in findings} & {"iam", "tls", "network"}
    assert security == ({case.security} if case.security else set())
    assert (cdk_diff.iam_broadened, cdk_diff.network_broadened) == (
        case.security == "iam",
        case.security == "network",
    )


# --- the docs' example: a real review of a change to the sample ---

OPERATIONS = REPO / "docs" / "operations.md"
_BEGIN = "<!-- generated by tests/commands/test_review.py: a review of a change to the sample -->\n"
_END = "<!-- end of the generated review -->\n"


def _laptop_stacks(outdir, change=None):
    from modern_app_constructs.testing import app_for_tests
    from sample_app.app import build_laptop_stacks

    app = app_for_tests(outdir=str(outdir), profile="dev")
    _, service = build_laptop_stacks(app)
    if change is not None:
        change(service)
    return Path(app.synth().directory)


def _name_the_queue_and_let_create_order_purge_it(service):
    service.fulfilment.queue.node.default_child.queue_name = "orders-fulfilment"
    service.fulfilment.queue.grant_purge(service.create_order.function)


def test_the_docs_show_a_real_review_of_a_change_to_the_sample(tmp_path, request):
    base = _laptop_stacks(tmp_path / "base")
    head = _laptop_stacks(tmp_path / "head", _name_the_queue_and_let_create_order_purge_it)
    code, out, err = cli(base, head)
    assert (code, err) == (1, "")
    assert "| **blocking** | replaced | FulfilmentQueue" in out
    block = f"{_BEGIN}```markdown\n{out}```\n{_END}"
    text = OPERATIONS.read_text()
    start, end = text.index(_BEGIN), text.index(_END) + len(_END)
    if request.config.getoption("--snapshot-update", default=False):
        OPERATIONS.write_text(text[:start] + block + text[end:])
    else:
        assert text[start:end] == block, (
            "re-generate it: pytest tests/commands/test_review.py --snapshot-update"
        )
