"""Developer tooling behind the CLI, off the runtime path: ab, migrate, run's import hook, sessions import.

Nothing a program that imports :mod:`claude_compat` runs imports this package
(``tests/test_tooling_layering.py`` holds it so): the tooling imports the runtime, never the reverse.
"""
