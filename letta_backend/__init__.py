"""Letta backend: everything in claude-compat that knows about Letta.

Of ``claude_compat`` it imports only the error tree and the dependency-free leaves (the Backend
protocol and its events in ``claude_compat._backend``, ``claude_compat._private_files``); the
test ``tests/test_layering.py`` holds it to that. ``claude_compat.errors`` is imported first so
that either package can be imported on its own: importing it loads ``claude_compat``, which
drives this backend, before any backend module is half-imported.
"""

import claude_compat.errors  # noqa: F401  (import order: see the docstring)
