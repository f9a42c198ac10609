"""claude-compat: run Claude Agent SDK programs on Letta by changing one import."""
