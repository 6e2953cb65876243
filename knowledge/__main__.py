"""``python -m knowledge``: see ``knowledge.cli``."""

from __future__ import annotations

import sys

from knowledge.cli import main

sys.exit(main())
