"""``python -m sample_app``: the app ``cdk.json`` runs for ``cdk synth`` and ``cdk deploy``."""

import aws_cdk as cdk

from sample_app.app import build

app = cdk.App()
build(app)
app.synth()
