"""``python -m sample_app``: the app ``cdk.json`` runs for ``cdk synth`` and ``cdk deploy``.

cdk-nag's AwsSolutions pack is attached as a validation plugin, exactly as the compliance tests
do: an unacknowledged finding fails ``cdk synth`` on a laptop before it can fail in CI.
"""

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from sample_app.app import build

app = cdk.App()
build(app)
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
