"""``python -m agentkit`` runs the ``agentkit`` command."""

from __future__ import annotations

import sys

from agentkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
