"""Shared test support: the app + platform builder, references, role statements.

Apps come from :func:`modern_app_constructs.testing.app_for_tests` (cdk.json's context, as
``cdk synth`` gives it); the compliance gates and template snapshots from the same module.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cdk_nag import ServerlessChecks
from constructs import IConstruct

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    PlatformEnvironment,
    Route,
    ServiceDashboard,
    WorkerConsumer,
)
from modern_app_constructs.testing import app_for_tests, assert_compliant

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def recorded_snapshots() -> list[Path]:
    """Every recorded template snapshot: ``__snapshots__/<test module>/`` beside each module."""
    return sorted(
        path
        for path in TESTS.rglob("__snapshots__/*/*.json")
        if TESTS / "baseline" not in path.parents
    )


def recorded_snapshot(name: str) -> Path:
    """The recorded snapshot ``<test module>/<file>``, wherever its test module lives.

    A name that is not recorded gives the path it would have beside ``tests/`` (it does not
    exist), so callers can test ``.exists()``.
    """
    found = [path for path in recorded_snapshots() if path.as_posix().endswith(f"/{name}")]
    return found[0] if found else TESTS / "__snapshots__" / name


CDK_JSON = ROOT / "cdk.json"
#: The service stacks of the sample pipeline's stages (in the dev synthesis), by the profile
#: each stage deploys with.
STAGE_STACKS = {"Dev-OrdersService": "dev", "Prod-OrdersService": "prod"}
#: Every stack of the sample app's synthesis, per profile: the laptop stacks, and in the dev
#: synthesis the pipeline with the service stacks of its stages.
SAMPLE_STACKS = {
    "dev": ("OrdersPlatform", "OrdersService", "OrdersPipeline", *STAGE_STACKS),
    "prod": ("OrdersPlatform", "OrdersService"),
}
PROFILES = tuple(SAMPLE_STACKS)
#: The cdk-nag packs gated next to AwsSolutions (``assert_compliant(app, GATED_PACKS)``).
GATED_PACKS = (ServerlessChecks,)
ENV = cdk.Environment(region="eu-west-1")


@dataclass(frozen=True)
class ServiceApp:
    """An app with a service stack and, unless asked otherwise, a platform stack beside it.

    Attributes:
        app: the App, with cdk.json's context.
        stack: the service stack (``Service``), where the construct under test goes.
        platform: the ``PlatformEnvironment`` in its own stack (``Platform``), or ``None``.
        platform_template: the platform stack's template from a synthesis already made, or
            ``None`` (the references synthesize the app to read it).
    """

    app: cdk.App
    stack: cdk.Stack
    platform: PlatformEnvironment | None
    platform_template: Mapping[str, Any] | None = None

    @property
    def platform_stack(self) -> cdk.Stack:
        """The stack the platform lives in."""
        assert self.platform is not None, "built with platform=False"
        return cdk.Stack.of(self.platform)

    def template(self) -> Template:
        """The service stack's template (synthesizes the app on first use)."""
        return Template.from_stack(self.stack)

    def alarm_topic_ref(self) -> dict[str, Any]:
        """The platform alarm topic exactly as the service template references it."""
        assert self.platform is not None, "built with platform=False"
        return self.platform_ref(ref(self.platform.alarm_topic))

    def key_arn_ref(self) -> dict[str, Any]:
        """The platform key's ARN exactly as the service template references it."""
        assert self.platform is not None, "built with platform=False"
        return self.platform_ref(get_att(self.platform.key))

    def platform_stack_template(self) -> Template:
        """The platform stack's template (from the synthesis already made, if there is one)."""
        if self.platform_template is not None:
            return Template.from_json(dict(self.platform_template))
        return Template.from_stack(self.platform_stack)

    def gate(self, packs: tuple[Any, ...] = ()) -> dict[str, dict[str, Any]]:
        """The app through :func:`assert_compliant` (cdk-nag on every stack, ``packs`` too).

        cfn-lint leaves the platform stack out: its resources are those of every test's
        platform, linted by the platform's own tests and in the sample; only the outputs this
        app's references add to it differ.
        """
        skip = [self.platform_stack] if self.platform is not None else []
        return assert_compliant(self.app, packs, skip_lint=skip)

    def platform_ref(self, value: dict[str, Any]) -> dict[str, Any]:
        """How the service template reads ``value`` (an expression of the platform stack).

        The platform is in another stack: cdk.json's weak cross-stack references make that an
        ``Fn::GetStackOutput`` of the platform stack's output whose value it is.
        """
        platform_stack = self.platform_stack
        outputs = self.platform_stack_template().find_outputs("*", {"Value": value})
        (output_name,) = outputs
        return {
            "Fn::GetStackOutput": {
                "OutputName": output_name,
                "Region": self.stack.resolve(platform_stack.region),
                "StackName": platform_stack.stack_name,
            }
        }


def service_app(
    profile: str = "dev",
    *,
    env: cdk.Environment | None = None,
    platform: bool = True,
    cfn_lint: bool = False,
    **context: Any,
) -> ServiceApp:
    """An app (``profile`` in its context) with a ``Platform`` and a ``Service`` stack.

    Args:
        profile: the ``profile`` context value.
        env: both stacks' environment. Default: environment-agnostic.
        platform: whether to create the ``PlatformEnvironment``. Default: yes.
        cfn_lint: build the app for :func:`assert_compliant` (cfn-lint instead of the
            built-in validation).
        **context: more context values.
    """
    app = app_for_tests(profile=profile, cfn_lint=cfn_lint, **context)
    environment = add_platform(app, env) if platform else None
    return ServiceApp(app=app, stack=cdk.Stack(app, "Service", env=env), platform=environment)


def add_platform(app: cdk.App, env: cdk.Environment | None = None) -> PlatformEnvironment:
    """The tests' ``PlatformEnvironment``, in its own stack ``Platform`` of ``app``."""
    return PlatformEnvironment(
        cdk.Stack(app, "Platform", env=env), "Platform", team="t", application="a"
    )


@dataclass(frozen=True)
class Scenarios:
    """Scenarios built beside one platform in one app, a stack each, synthesized once.

    A ``PlatformEnvironment`` costs more to build and synthesize than most scenarios: a module
    whose tests each need one builds them all here, beside a single platform.

    Attributes:
        built: the app with the shared platform (its ``stack`` is the first scenario's), for
            references into the platform; :meth:`service_app` gives one per scenario.
        objects: what each scenario's builder returned, by scenario name.
        stacks: each scenario's stack (named after the scenario), by scenario name.
        templates: each scenario's template, by scenario name.
    """

    built: ServiceApp
    objects: Mapping[str, Any]
    stacks: Mapping[str, cdk.Stack]
    templates: Mapping[str, Template]

    def __getitem__(self, name: str) -> Any:
        return self.objects[name]

    def service_app(self, name: str) -> ServiceApp:
        """The app as a :class:`ServiceApp` whose service stack is scenario ``name``'s."""
        return dataclasses.replace(self.built, stack=self.stacks[name])


def scenarios(
    builders: Mapping[str, Callable[[cdk.Stack], Any]],
    profile: str = "dev",
    *,
    env: cdk.Environment | None = None,
    gated: bool = False,
    packs: tuple[Any, ...] = (),
) -> Scenarios:
    """Each builder in its own stack (the scenario's name) beside one platform; one synthesis.

    Args:
        builders: scenario name -> a function that builds the scenario into the stack it is
            given and returns what the test reads.
        profile: the ``profile`` context value.
        env: every stack's environment. Default: environment-agnostic.
        gated: synthesize through :meth:`ServiceApp.gate` (cdk-nag's AwsSolutions on every
            stack, cfn-lint on the scenarios'). Default: a plain synthesis (built-in validation).
        packs: more cdk-nag packs for the gated synthesis (e.g. ``GATED_PACKS``). Default: none.
    """
    first, *_ = builders
    app = app_for_tests(profile=profile, cfn_lint=gated)
    platform = add_platform(app, env)
    stacks = {name: cdk.Stack(app, name, env=env) for name in builders}
    objects = {name: build(stacks[name]) for name, build in builders.items()}
    built = ServiceApp(app=app, stack=stacks[first], platform=platform)
    if gated:
        synthesized = built.gate(packs)
    else:
        synthesized = {stack.stack_name: stack.template for stack in app.synth().stacks}
    for name, template in synthesized.items():
        # no construct test's template declares a parameter it does not reference
        assert not unreferenced_parameters(template), (name, unreferenced_parameters(template))
    return Scenarios(
        built=dataclasses.replace(built, platform_template=synthesized["Platform"]),
        objects=objects,
        stacks=stacks,
        templates={name: Template.from_json(synthesized[name]) for name in stacks},
    )


def logical_id(construct: IConstruct) -> str:
    """The logical id of ``construct``'s CloudFormation resource (or of a ``CfnElement``)."""
    element = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
    assert isinstance(element, cdk.CfnElement), f"{construct.node.path} has no resource"
    stack = cdk.Stack.of(element)
    return str(stack.resolve(stack.get_logical_id(element)))


def ref(construct: IConstruct) -> dict[str, str]:
    """``{"Ref": <logical id>}`` of ``construct``'s CloudFormation resource."""
    return {"Ref": logical_id(construct)}


def get_att(construct: IConstruct, attribute: str = "Arn") -> dict[str, list[str]]:
    """``{"Fn::GetAtt": [<logical id>, attribute]}`` of ``construct``'s resource."""
    return {"Fn::GetAtt": [logical_id(construct), attribute]}


def role_statements(template: Template, owner: IConstruct) -> list[dict[str, Any]]:
    """Every statement of the policies attached to ``owner`` (a role, or a construct's role)."""
    role = owner if isinstance(owner, iam.Role) else owner.role  # type: ignore[attr-defined]
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if ref(role) in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(statement: dict[str, Any]) -> list[str]:
    """A statement's actions as a list (IAM allows a single string)."""
    action = statement["Action"]
    return list(action) if isinstance(action, list) else [action]


def make_app(**context: Any) -> cdk.App:
    """An App with this repository's cdk.json context (``app_for_tests`` at the root)."""
    return app_for_tests(ROOT, **context)


def unreferenced_parameters(template: Mapping[str, Any]) -> list[str]:
    """The template's parameters that nothing outside ``Parameters`` references.

    A reference is a ``Ref`` or a ``${Name}`` in an ``Fn::Sub`` string (in ``Rules``,
    ``Conditions``, ``Resources``, ``Outputs`` or ``Metadata``): what cfn-lint's W2001 counts.
    """
    referenced: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Ref" and isinstance(value, str):
                    referenced.add(value)
                elif key == "Fn::Sub":
                    text = value[0] if isinstance(value, list) else value
                    if isinstance(text, str):
                        referenced.update(re.findall(r"\$\{([A-Za-z0-9]+)\}", text))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({section: body for section, body in template.items() if section != "Parameters"})
    return sorted(set(template.get("Parameters", {})) - referenced)


def add_every_construct(stack: cdk.Stack, service_name: str) -> None:
    """A function, a worker, a container service, an API routing to the three, a dashboard.

    What a service stack holds when a test needs every construct on its defaults (the code and
    image are placeholders: nothing runs).
    """
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_lambda as lambda_

    code = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
    image = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")
    canary = CanaryFunction(stack, "Fn", code=code, handler="index.handler")
    worker = DecoupledWorker(stack, "Worker", consumer=WorkerConsumer.code(code, "index.handler"))
    service = FargateService(stack, "Svc", image=image)
    api = ApiFrontDoor(stack, "Api")
    api.add_route("/fn", Route.function(canary))
    api.add_route("/jobs", Route.queue(worker))
    api.add_route("/svc", Route.service(service))
    ServiceDashboard(stack, "Dash", service_name=service_name).add(api, canary, worker, service)
