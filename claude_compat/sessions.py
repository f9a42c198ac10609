"""Session functions of the Claude SDK: listing, reading, renaming, tagging, forking, stores.

Signatures and return values are the Claude SDK's. Sessions live on Letta: records in the
session registry (``CLAUDE_COMPAT_REGISTRY``: local SQLite, or the Letta server), histories in
Letta conversations. The functions are synchronous like Claude's; called from inside an event
loop they do their network work on a worker thread. ``InMemorySessionStore``,
``fold_session_summary`` and ``project_key_for_directory`` work as in the Claude SDK, and so do the
``*_from_store`` / ``*_via_store`` functions on any ``SessionStore``; ``import_session_to_store``
also copies a claude-compat session into a store as the transcript the Claude CLI would have written.

This module only gathers them; each verb lives in its own module under ``_internal``:
``session_reads`` and ``store_reads`` (history), ``session_mutations`` (rename, tag, delete,
fork), ``store_import`` (import), ``memory_store``, ``session_summary`` and ``store_keys``.
"""

from __future__ import annotations

from ._internal.memory_store import InMemorySessionStore
from ._internal.session_mutations import (
    ForkSessionResult,
    delete_session,
    delete_session_via_store,
    fork_session,
    fork_session_via_store,
    rename_session,
    rename_session_via_store,
    tag_session,
    tag_session_via_store,
)
from ._internal.session_reads import (
    get_session_info,
    get_session_messages,
    get_subagent_messages,
    list_sessions,
    list_subagents,
)
from ._internal.session_summary import fold_session_summary
from ._internal.store_import import import_session_to_store
from ._internal.store_keys import project_key_for_directory
from ._internal.store_reads import (
    get_session_info_from_store,
    get_session_messages_from_store,
    get_subagent_messages_from_store,
    list_sessions_from_store,
    list_subagents_from_store,
)

__all__ = [
    "ForkSessionResult",
    "InMemorySessionStore",
    "delete_session",
    "delete_session_via_store",
    "fold_session_summary",
    "fork_session",
    "fork_session_via_store",
    "get_session_info",
    "get_session_info_from_store",
    "get_session_messages",
    "get_session_messages_from_store",
    "get_subagent_messages",
    "get_subagent_messages_from_store",
    "import_session_to_store",
    "list_sessions",
    "list_sessions_from_store",
    "list_subagents",
    "list_subagents_from_store",
    "project_key_for_directory",
    "rename_session",
    "rename_session_via_store",
    "tag_session",
    "tag_session_via_store",
]
