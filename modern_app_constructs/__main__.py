"""``python -m modern_app_constructs <command>``; ``--help`` lists the commands."""

import sys

from ._cli import main

sys.exit(main())
