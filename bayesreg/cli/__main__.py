"""``python -m bayesreg.cli``: the ``bayesreg`` command."""

import sys

from .main import main

sys.exit(main())
