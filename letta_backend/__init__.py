"""Letta backend: everything in claude-compat that knows about Letta."""
