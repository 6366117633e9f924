"""Which process runs a job: 'host:pid' identities, and whether the process one names is gone.

Used by the upload jobs (`bilim.exchange.jobs`) and the refresh queue (`bilim.analytics.refresher`):
a process killed while running a job leaves it "running" for ever; the next start of that machine's
server or worker recognises the dead process by its id and fails the job.
"""

from __future__ import annotations

import os
import socket


def _host(pid: str, max_length: int | None) -> str:
    host = socket.gethostname()
    return host if max_length is None else host[: max_length - 1 - len(pid)]


def process_id(max_length: int | None = None) -> str:
    """'host:pid' of this process; the host is cut so that the whole fits ``max_length``."""
    pid = str(os.getpid())
    return f"{_host(pid, max_length)}:{pid}"


def gone(ident: str, max_length: int | None = None) -> bool:
    """True when ``ident`` (written by :func:`process_id` with the same ``max_length``) names a process of
    this host that no longer exists. Another machine's process, or an id of another shape, cannot be
    judged here: False."""
    host, _, pid = ident.rpartition(":")
    if not host or not pid.isdigit() or host != _host(pid, max_length):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another account
        return False
    return False
