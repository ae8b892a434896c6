"""Local files sageflow reads and keeps: bounded reads, private modes, exposure warnings."""

from __future__ import annotations

import os
import stat
import sys
import threading
from pathlib import Path

from sageflow._errors import SageflowError

#: ``--inputs FILE`` and ``-i NAME=@FILE``: far above any import a person runs by hand, far
#: below what would exhaust the machine.
MAX_INPUT_FILE_BYTES = 16_000_000
#: Token stores and ``connections.toml``: a few hundred bytes each in practice.
MAX_CONFIG_FILE_BYTES = 1_000_000

_GROUP_OR_WORLD = stat.S_IRWXG | stat.S_IRWXO
_warned: set[str] = set()
_warned_lock = threading.Lock()


class LocalFileError(SageflowError, ValueError):
    """A local file that cannot be used as what it claims to be (its message omits the path:
    the caller names the file and the option that brought it)."""


def read_bytes_bounded(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of ``path``, or :class:`LocalFileError`.

    The size a file reports is not trusted (``/dev/zero`` and ``/proc`` files report 0): the
    read itself stops one byte past the limit. Directories, devices and sockets are refused
    before they are opened; a pipe is read like a file (``<(command)``).
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise LocalFileError("no such file") from None
    except OSError as error:
        raise LocalFileError(f"cannot read: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise LocalFileError("is a directory, not a file")
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        raise LocalFileError("is not a regular file (a device or socket)")
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise LocalFileError(f"cannot read: {error.strerror or error}") from None
    if len(data) > limit:
        raise LocalFileError(f"is larger than the limit of {limit:,} bytes")
    return data


def read_text_bounded(path: Path, limit: int, *, encoding: str = "utf-8") -> str:
    """:func:`read_bytes_bounded` decoded; bytes that are not text are refused with their offset."""
    data = read_bytes_bounded(path, limit)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise LocalFileError(f"is not UTF-8 text (byte {error.start})") from None


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) readable by this user only.

    An existing directory is left as it is, except sageflow's own ``.sageflow`` folder, which is
    tightened to 0700 when this user owns it: it holds run journals and sandbox data.
    """
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            continue
        # mkdir's mode is masked by the umask; 0700 is already the tightest, so only a umask
        # that removes owner bits could change it, and then the chmod restores them.
        os.chmod(directory, 0o700)
    if path.name == ".sageflow" and not missing and path.is_dir():
        _tighten(path, 0o700)


def private_file(path: Path) -> None:
    """Make sure ``path`` exists with mode 0600 before a library (SQLite) opens it.

    SQLite creates its database with the umask's mode (usually 0644) and gives its ``-wal`` and
    ``-shm`` files the database's mode; creating the file first makes all three private. An
    existing file this user owns is tightened, with its ``-wal``/``-shm`` siblings.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        for candidate in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            _tighten(candidate, 0o600)
        return
    except OSError:
        return  # the opener reports why it cannot open the file, with the file's name
    os.close(fd)


def _tighten(path: Path, mode: int) -> None:
    try:
        info = os.lstat(path)
    except OSError:
        return
    owner = os.geteuid() if hasattr(os, "geteuid") else info.st_uid
    if stat.S_ISLNK(info.st_mode) or info.st_uid != owner:
        return
    if info.st_mode & _GROUP_OR_WORLD:
        try:
            os.chmod(path, mode)
        except OSError:
            return


def warn_if_exposed(path: Path, what: str) -> None:
    """One line on stderr, once per file and process, when ``path`` is readable by others.

    Credentials in a group- or world-readable file are a leak waiting for the next user of
    the machine; the warning says how to fix it rather than refusing a working setup.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not mode & (stat.S_IRGRP | stat.S_IWGRP | stat.S_IROTH | stat.S_IWOTH):
        return
    key = str(path)
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    print(
        f"sageflow: warning: {path} ({what}) is readable by other users "
        f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}",
        file=sys.stderr,
    )
