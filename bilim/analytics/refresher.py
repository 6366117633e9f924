"""Coalesced background refresh of the warehouse after values change (web and API writes).

Why: a refresh in the request that changed a value made every writer wait for it, and with many
users entering data the refreshes queued behind each other (the load test with 50 users timed out).
Now a write only *asks* for a refresh; one background thread per process runs it after a short
settling delay, so a burst of a hundred single-value imports costs one or two refreshes, not a
hundred. Readers keep the previous snapshot until the new one is in place (and, in the web process,
warmed: see `service.adopt`), so figures lag entry by the settling delay plus one refresh, and under
a steady stream of writes by at most `BILIM_REFRESH_MIN_INTERVAL` (30 s) more.

The CLI (`bilim import`, `bilim analytics refresh`) still refreshes in the foreground: its user waits
for the result anyway. Concurrent refreshes from several processes are serialised by a file lock in
`refresh.refresh`.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import connection, transaction

log = logging.getLogger(__name__)

# "background" (the default), "inline" (refresh in the calling thread, at once) or "off"; None reads
# the setting BILIM_REFRESH_MODE. Tests run with "off": their data sits in an open transaction a
# background thread could not see, and a refresh would write to the configured warehouse. The live
# server of the browser tests runs "inline", so a page shows a value as soon as its write returned.
MODE: str | None = None


def mode() -> str:
    value = MODE if MODE is not None else getattr(settings, "BILIM_REFRESH_MODE", "background")
    if value not in ("background", "inline", "off"):
        raise ValueError(f"BILIM_REFRESH_MODE must be background, inline or off, not {value!r}")
    return value

_cond = threading.Condition()
_state: dict = {"dirty": False, "thread": None, "running": False, "last": "", "requests": 0, "runs": 0,
                "finished_at": None}


def delay() -> float:
    """Seconds to wait after the first request so that a burst of writes is covered by one refresh."""
    return float(getattr(settings, "BILIM_REFRESH_DELAY", 2.0))


def min_interval() -> float:
    """Seconds from the end of one background refresh to the start of the next. Each refresh makes
    every process open and warm a new snapshot; under a steady stream of writes this bounds that
    work, at the price of figures lagging entry by up to this long."""
    return float(getattr(settings, "BILIM_REFRESH_MIN_INTERVAL", 30.0))


def request() -> str:
    """Ask for a refresh once the current transaction (if any) has committed; returns what happens."""
    how = mode()
    if how == "off":
        return "not scheduled (automatic refresh is off; run `bilim analytics refresh`)"
    if how == "inline":
        return _run_now()
    transaction.on_commit(_schedule)
    return "scheduled"


def _run_now() -> str:
    from .refresh import refresh

    try:
        return refresh().summary()
    except Exception as e:  # noqa: BLE001 - the values are in; the warehouse can be refreshed later
        log.warning("analytics refresh failed: %s", e)
        return f"analytics refresh failed ({type(e).__name__}); run `bilim analytics refresh`"


def _schedule() -> None:
    with _cond:
        _state["dirty"] = True
        _state["requests"] += 1
        thread = _state["thread"]
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=_loop, name="analytics-refresh", daemon=True)
            _state["thread"] = thread
            thread.start()
        _cond.notify_all()


def _loop() -> None:
    from . import service

    try:
        while True:
            with _cond:
                if not _state["dirty"]:
                    _state["thread"] = None
                    _cond.notify_all()
                    return
                _state["running"] = True
            wait = delay()  # let the burst finish: everything asked for until now is covered
            if _state["finished_at"] is not None:
                wait = max(wait, _state["finished_at"] + min_interval() - time.monotonic())
            time.sleep(max(0.0, wait))
            with _cond:
                _state["dirty"] = False
            summary = _run_now()
            try:
                service.adopt()  # open (and warm) the new snapshot here, not in a reader's request
            except Exception as e:  # noqa: BLE001 - readers will open it themselves
                log.warning("could not open the refreshed warehouse: %s", e)
            with _cond:
                _state["running"] = False
                _state["runs"] += 1
                _state["last"] = summary
                _state["finished_at"] = time.monotonic()
                _cond.notify_all()
    finally:
        connection.close()


def wait_idle(timeout: float = 60.0) -> bool:
    """Block until no refresh is pending or running (tests, the load script's final check)."""
    deadline = time.monotonic() + timeout
    with _cond:
        while _state["dirty"] or _state["running"] or (_state["thread"] is not None and _state["thread"].is_alive()):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _cond.wait(min(left, 0.5))
    return True


def status() -> dict:
    """Pending/running flags, counts and the last summary (shown by the status endpoint and tests)."""
    with _cond:
        return {k: v for k, v in _state.items() if k != "thread"}
