"""The Letta-native API (``create_agent``, ``create_session``, ``resume_session``, ``prompt``), by the
path the migration guide uses; it is Claude-shaped, so it lives in ``claude_compat._internal.native``.
"""

from claude_compat._internal.native import (
    NATIVE_TAG,
    NativeSession,
    OptionsArg,
    create_agent,
    create_session,
    prompt,
    resume_session,
)

__all__ = [
    "NATIVE_TAG",
    "NativeSession",
    "OptionsArg",
    "create_agent",
    "create_session",
    "prompt",
    "resume_session",
]
