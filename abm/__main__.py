"""``python -m abm``."""

import sys

from abm.cli import main

sys.exit(main())
