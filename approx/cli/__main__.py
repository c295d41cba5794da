"""`python -m approx.cli ...`: the `approx` command."""

import sys

from . import main

sys.exit(main())
