"""Letta backend: everything in claude-compat that knows about Letta.

``claude_compat`` is imported first so that either package can be imported on its own: the
backend's modules use the Claude error tree, and ``claude_compat`` drives the backend.
"""

import claude_compat as _claude_compat  # noqa: F401  (import order: see the docstring)
