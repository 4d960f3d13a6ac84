"""``python -m sample_app``: the app ``cdk.json`` runs for ``cdk synth`` and ``cdk deploy``.

cdk-nag's AwsSolutions and Serverless packs are attached as validation plugins, exactly as the
compliance tests do: an unacknowledged finding fails ``cdk synth`` on a laptop before it can fail
in CI.
"""

import os

# jsii prints a Node 20 end-of-life banner on every run unless told not to; set before import.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from sample_app.app import build

app = cdk.App()
build(app)
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
app.synth()
