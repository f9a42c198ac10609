"""An import hook that makes ``claude_agent_sdk`` and its submodules resolve to claude-compat.

``claude-compat run`` installs it so an unmodified Claude SDK program runs on Letta. A finder first
on ``sys.meta_path`` answers for ``claude_agent_sdk`` and every ``claude_agent_sdk.*`` name, so the
real package is never loaded, even when it is installed: ``sys.modules["claude_agent_sdk"]`` *is*
``claude_compat``. (wrapt's post-import hooks patch a module after it loads; they cannot stop the
real one from loading, hence a finder.) ``claude-compat migrate`` rewrites imports with the same
module table.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType

from claude_compat.errors import ClaudeSDKError

__all__ = [
    "MODULES",
    "SDK_PACKAGE",
    "UNSUPPORTED",
    "install",
    "is_installed",
    "target_of",
    "uninstall",
    "unsupported_reason",
]

SDK_PACKAGE = "claude_agent_sdk"

MODULES: Mapping[str, str] = {
    "claude_agent_sdk": "claude_compat",
    "claude_agent_sdk.types": "claude_compat.types",
    "claude_agent_sdk.client": "claude_compat.client",
    "claude_agent_sdk.query": "claude_compat.query",
    "claude_agent_sdk._errors": "claude_compat.errors",
}
"""Each Claude SDK module a program may import, and the claude-compat module that stands in for it
(``_errors`` is where the Claude SDK keeps ``MessageParseError``)."""

UNSUPPORTED: Mapping[str, str] = {
    "claude_agent_sdk._internal": (
        "the Claude SDK's private machinery (CLI transport, message parser, session files) has no "
        "claude-compat counterpart; import the public names from claude_agent_sdk instead"
    ),
    "claude_agent_sdk._cli_version": "the bundled Claude Code CLI version; there is no CLI on Letta",
    "claude_agent_sdk._version": "a private module; read claude_agent_sdk.__version__ instead",
    "claude_agent_sdk.testing": (
        "the Claude SDK's session store conformance harness is not provided; claude-compat's "
        "offline test kit is claude_compat.testing"
    ),
}
"""Claude SDK modules (and their submodules) with no claude-compat counterpart, and why."""


def target_of(module: str) -> str | None:
    """The claude-compat module standing in for a Claude SDK module, or None when there is none."""
    return MODULES.get(module)


def unsupported_reason(module: str) -> str | None:
    """Why a ``claude_agent_sdk`` module (or a submodule of one) cannot be imported on claude-compat.

    None for a module that maps, and for names outside ``claude_agent_sdk``.
    """
    if module in MODULES or not _is_sdk_name(module):
        return None
    for prefix, reason in UNSUPPORTED.items():
        if module == prefix or module.startswith(prefix + "."):
            return reason
    return "the Claude SDK has no such module"


def _is_sdk_name(name: str) -> bool:
    return name == SDK_PACKAGE or name.startswith(SDK_PACKAGE + ".")


class _AliasLoader(importlib.abc.Loader):
    """Loads a Claude SDK module name by putting the claude-compat module in its place."""

    def __init__(self, target: str) -> None:
        self._target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        """A throwaway module (the default): the target's own spec is never touched."""
        return None

    def exec_module(self, module: ModuleType) -> None:
        """Swap in the target; the import system returns whatever ``sys.modules`` holds then."""
        target = importlib.import_module(self._target)
        _alias_all()
        sys.modules[module.__name__] = target


_ADDED_ATTRIBUTES: list[str] = []
"""Submodule attributes the hook set on the claude_compat package (removed by ``uninstall``)."""


def _alias_all() -> None:
    """Register every alias at once, and make each aliased submodule an attribute of the package.

    Registered up front, ``import claude_agent_sdk.query`` finds its alias in ``sys.modules`` and so
    does not set the package attribute ``query`` (the function) to the module, which the import
    system does for a submodule it loads itself. The attributes make ``claude_agent_sdk._errors.X``
    and ``import claude_agent_sdk._errors as e`` work: both look the submodule up on the package.
    """
    package = importlib.import_module(MODULES[SDK_PACKAGE])
    for sdk_name, compat_name in MODULES.items():
        target = importlib.import_module(compat_name)
        sys.modules.setdefault(sdk_name, target)
        attribute = sdk_name.rpartition(".")[2]
        if sdk_name != SDK_PACKAGE and not hasattr(package, attribute):
            setattr(package, attribute, target)
            _ADDED_ATTRIBUTES.append(attribute)


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Answers for every ``claude_agent_sdk`` name, first on ``sys.meta_path``."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """A spec for the alias; ModuleNotFoundError, saying why, for a module with no counterpart."""
        if not _is_sdk_name(fullname):
            return None
        compat_name = MODULES.get(fullname)
        if compat_name is None:
            # Claimed rather than left to the path finder, which would look for it inside the
            # claude_compat package (the alias's __path__) and load one of ours under this name.
            raise ModuleNotFoundError(
                f"No module named {fullname!r} under claude-compat: {unsupported_reason(fullname)}",
                name=fullname,
            )
        return importlib.util.spec_from_loader(fullname, _AliasLoader(compat_name))


_FINDER = _AliasFinder()


def is_installed() -> bool:
    """Whether the hook is on ``sys.meta_path``."""
    return _FINDER in sys.meta_path


def install() -> None:
    """Make ``claude_agent_sdk`` imports resolve to claude-compat from now on (idempotent).

    Raises ClaudeSDKError when the real Claude SDK is already imported in this process: modules
    holding its classes could not be redirected any more.
    """
    if is_installed():
        return
    real = sorted(name for name, module in sys.modules.items() if _is_sdk_name(name) and not _ours(module))
    if real:
        raise ClaudeSDKError(
            f"the Claude SDK ({real[0]}) was imported before claude-compat's import hook was installed; "
            "install the hook first (claude-compat run does) or import claude_compat directly"
        )
    sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    """Remove the hook and forget the aliases it registered (for tests and embedding programs)."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n, module in sys.modules.items() if _is_sdk_name(n) and _ours(module)]:
        del sys.modules[name]
    package = sys.modules.get(MODULES[SDK_PACKAGE])
    while _ADDED_ATTRIBUTES:
        attribute = _ADDED_ATTRIBUTES.pop()
        if package is not None and hasattr(package, attribute):
            delattr(package, attribute)


def _ours(module: object) -> bool:
    """Whether a ``sys.modules`` entry is one of claude-compat's modules (an alias we set)."""
    name = getattr(module, "__name__", "")
    return isinstance(name, str) and (name == "claude_compat" or name.startswith("claude_compat."))
