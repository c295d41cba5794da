"""`python -m approx ...`: the `approx` command (as `python -m approx.cli`)."""

import sys

from approx.cli import main

sys.exit(main())
