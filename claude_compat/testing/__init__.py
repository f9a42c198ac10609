"""Offline test kit: a scripted OpenAI-compatible model and a local Letta server for tests."""
