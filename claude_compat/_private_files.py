"""Owner-only directories and files: where claude-compat keeps sessions, server data, secrets and logs.

Dependency-free but for the error tree, so both the engine and ``letta_backend`` use it. A
directory is created 0700 and a file 0600; one that already exists must belong to the current
user and not be a symlink (another local user could otherwise pre-create it and read or swap
what is written there); our own older, wider-open ones are narrowed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from pathlib import Path

from claude_compat.errors import InsecureStorageError

__all__ = ["private_dir", "private_file", "write_private_text"]

_CHECKS = sys.platform != "win32"  # Windows: per-user profile dirs carry their own ACLs


def private_dir(path: Path) -> Path:
    """``path`` as a directory only the current user can enter (created 0700 with its parents)."""
    path = Path(path)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700, parents=True)
    if _CHECKS:
        _own(path, is_dir=True)
    return path


def private_file(path: Path) -> Path:
    """``path`` as an existing file only the current user can read (created empty, 0600)."""
    path = Path(path)
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise _refusal(path, f"cannot be opened safely ({exc.strerror})") from None
    os.close(fd)
    if _CHECKS:
        _own(path, is_dir=False)
    return path


def write_private_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, the new file 0600 from its first byte."""
    path = Path(path)
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _own(path: Path, *, is_dir: bool) -> None:
    """Refuse ``path`` unless it is ours and not a symlink; narrow its mode to the owner."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise _refusal(path, "is a symbolic link")
    if is_dir != stat.S_ISDIR(info.st_mode):
        raise _refusal(path, "is not a directory" if is_dir else "is not a regular file")
    if info.st_uid != os.getuid():
        raise _refusal(path, f"belongs to another user (uid {info.st_uid})")
    wanted = 0o700 if is_dir else 0o600
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, stat.S_IMODE(info.st_mode) & wanted)


def _refusal(path: Path, what: str) -> InsecureStorageError:
    return InsecureStorageError(
        f"{path} {what}, so claude-compat will not keep private data there: remove it, or point "
        "CLAUDE_COMPAT_HOME (or TMPDIR for temporary files) at a directory of your own",
        path=str(path),
    )
