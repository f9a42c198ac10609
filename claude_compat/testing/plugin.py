"""pytest plugin: local Letta server and scripted model fixtures (placeholder)."""
