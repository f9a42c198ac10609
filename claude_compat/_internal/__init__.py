"""Private machinery of claude_compat: the turn engine and its helpers."""
