"""`python -m checker ...`: the kit's `grader` command."""

import sys

from .cli import main

sys.exit(main())
