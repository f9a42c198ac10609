"""Subcommands of the claude-compat CLI, one module each, each exposing ``add(commands)``."""
