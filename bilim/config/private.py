"""Files only the service account may read: secrets (the development secret key, the audit key) and
backups, which hold every password hash and token digest of the installation.

`open(path, "w")` creates files 0644 under the usual umask, readable by every local account; these
helpers create them 0600 from the start (no window in which the file is readable) and tighten an
existing file that is looser.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

MODE = 0o600


def tighten(path: str | os.PathLike[str]) -> None:
    """Make an existing file 0600 when group or others may read or write it."""
    p = Path(path)
    if p.exists() and p.stat().st_mode & 0o077:
        os.chmod(p, MODE)


def open_private(path: str | os.PathLike[str], mode: str = "wb") -> IO:
    """Open `path` for writing ('w', 'wb'; truncated) or exclusive creation ('x', 'xb'), as a 0600 file."""
    if mode.rstrip("b") not in ("w", "x"):
        raise ValueError(f"open_private writes files; mode {mode!r}")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if "x" in mode else os.O_TRUNC)
    fd = os.open(path, flags, MODE)
    os.fchmod(fd, MODE)  # the umask may not widen it, but a pre-existing file keeps its old mode
    return os.fdopen(fd, mode.replace("x", "w"))


def write_private(path: str | os.PathLike[str], text: str) -> None:
    with open_private(path, "w") as f:
        f.write(text)
