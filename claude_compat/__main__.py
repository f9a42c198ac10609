"""``python -m claude_compat ...``: the same command line as the ``claude-compat`` script."""

from __future__ import annotations

import sys

from claude_compat._cli import main

if __name__ == "__main__":
    sys.exit(main())
