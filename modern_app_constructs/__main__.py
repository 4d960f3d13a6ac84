"""``python -m modern_app_constructs report [--region R] [--profile P] [--fail-if-behind]``."""

import sys

from ._report import main

sys.exit(main())
