"""The orders team's delivery pipeline: tests and gates, dev (verified), approval, prod.

It lives in the dev account (this sample's tooling account) and deploys the service into each
stage's account, attached to the environment the platform team published there; what a stage
holds is the app's ``build_stage`` function.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from modern_app_constructs import (
    DeploymentStage,
    PlatformEnvironment,
    ServicePipeline,
    StageBuilder,
)

__all__ = ["PIPELINE_CONTEXT", "REVIEW_INSTALL", "VERIFY_API", "OrdersPipelineStack"]

#: The context values the pipeline reads (``cdk.json`` holds placeholders; ``-c key=value``).
PIPELINE_CONTEXT = {
    "connection_arn": "orders:connectionArn",
    "repository": "orders:repository",
    "branch": "orders:branch",
    "dev_account": "orders:devAccount",
    "prod_account": "orders:prodAccount",
}
#: How the Review steps install the library (the sample lives in the library's repository).
REVIEW_INSTALL = "python -m pip install --quiet '.[review]'"
#: The Dev stage's check: the API answers and refuses an unsigned request (IAM authorization).
VERIFY_API = 'test "$(curl -s -o /dev/null -w %{http_code} -X POST "${API_URL}orders")" = 403'


class OrdersPipelineStack(cdk.Stack):
    """The orders team's delivery pipeline: dev (verified), approval, prod.

    It lives in the dev account, where it attaches to the published ``orders-dev`` environment
    for its build logs and failure notifications.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        build_stage: StageBuilder,
        region: str,
        connection_arn: str,
        repository: str,
        branch: str,
        dev_account: str,
        prod_account: str,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=cdk.Environment(account=dev_account, region=region),
            description="Orders sample: delivery pipeline (tests and gates, dev, approval, prod)",
        )
        self.pipeline = ServicePipeline(
            self,
            "Pipeline",
            connection_arn=connection_arn,
            repository=repository,
            branch=branch,
            stages=[
                DeploymentStage(
                    "Dev",
                    cdk.Environment(account=dev_account, region=region),
                    "dev",
                    verify_commands=(VERIFY_API,),
                ),
                DeploymentStage(
                    "Prod", cdk.Environment(account=prod_account, region=region), "prod"
                ),
            ],
            build_stage=build_stage,
            platform=PlatformEnvironment.from_published(self, "Platform", name="orders-dev"),
            # the library is this repository: its Review steps install it from the checkout
            review_install_commands=(REVIEW_INSTALL,),
        )

    @staticmethod
    def from_context(
        scope: Construct, construct_id: str, *, build_stage: StageBuilder, region: str
    ) -> OrdersPipelineStack:
        """The pipeline with the accounts, repository and connection of the context values."""
        values = {key: scope.node.try_get_context(name) for key, name in PIPELINE_CONTEXT.items()}
        missing = sorted(PIPELINE_CONTEXT[key] for key, value in values.items() if not value)
        if missing:
            raise ValueError(f"the sample's pipeline needs the context values {missing} (cdk.json)")
        return OrdersPipelineStack(
            scope, construct_id, build_stage=build_stage, region=region, **values
        )
