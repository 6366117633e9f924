"""Coalesced refresh of the warehouse after values change (web and API writes), run by a job queue.

Why: a refresh in the request that changed a value made every writer wait for it, and with many
users entering data the refreshes queued behind each other (the load test with 50 users timed out).
So a write only *asks* for a refresh. It used to be run by a thread in each web process, but
`bilim serve` runs several processes and "a refresh is pending" then lived in each one's memory:
every process ran its own. Now a request puts one job (`tasks.refresh_warehouse`) into the queue of
Django's Tasks framework (the django-tasks backport, database backend: the jobs are rows of the
operational database, which every process and machine shares, with no extra server), and one
`bilim worker` process runs it (`bilim serve` starts one next to the web server).

Coalescing: a request adds no job while a refresh job is still waiting to start (a burst of a
hundred single-value imports costs one refresh, not a hundred), and a new job waits
`BILIM_REFRESH_DELAY` seconds (its `run_after`) for the burst to finish, and at least
`BILIM_REFRESH_MIN_INTERVAL` after the previous refresh started or ended (each refresh makes every web
process open and warm a new snapshot; under a steady stream of writes this bounds that work). Readers
keep the previous snapshot until the new one is in place (each web process notices the new file and
warms it: `service.adopt`), so figures lag entry by the delay plus one refresh, and under a steady
stream of writes by at most the interval more.

The CLI (`bilim import`, `bilim analytics refresh`) still refreshes in the foreground: its user waits
for the result anyway. Concurrent refreshes from several processes are serialised by a file lock in
`refresh.refresh`, so several workers are safe.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from bilim import processes

log = logging.getLogger(__name__)
WORKER_ID_LENGTH = 64  # the queue's limit on a worker id

# "queue" (the default), "inline" (refresh in the calling thread, at once) or "off"; None reads the
# setting BILIM_REFRESH_MODE. Tests run with "off": their data sits in an open transaction a worker
# could not see, and a refresh would write to the configured warehouse. The live server of the
# browser tests runs "inline", so a page shows a value as soon as its write returned.
MODE: str | None = None
MODES = ("queue", "inline", "off")
# the old name of "queue" (a thread in each web process), still accepted in settings
ALIASES = {"background": "queue"}

# an arbitrary constant: the PostgreSQL advisory lock that makes "is a refresh waiting? else queue
# one" a single step across processes (SQLite's IMMEDIATE transactions already are one)
_ENQUEUE_LOCK = 0x62696C696D  # "bilim"


def mode() -> str:
    """The refresh mode in force: "queue", "inline" or "off" ("background" reads as "queue")."""
    value = MODE if MODE is not None else getattr(settings, "BILIM_REFRESH_MODE", "queue")
    value = ALIASES.get(value, value)
    if value not in MODES:
        raise ValueError(gettext("BILIM_REFRESH_MODE must be queue, inline or off, not %(value)r")
                         % {"value": value})
    return value


def delay() -> float:
    """Seconds to wait after the first request so that a burst of writes is covered by one refresh."""
    return float(getattr(settings, "BILIM_REFRESH_DELAY", 2.0))


def min_interval() -> float:
    """Seconds from the previous refresh (its start, or its end once it ended) to the next one. Each
    refresh makes every process open and warm a new snapshot; under a steady stream of writes this
    bounds that work, at the price of figures lagging entry by up to this long."""
    return float(getattr(settings, "BILIM_REFRESH_MIN_INTERVAL", 30.0))


def request() -> str:
    """Ask for a refresh once the current transaction (if any) has committed; returns what happens.

    In queue mode the job is added on commit (`transaction.on_commit`): a rolled-back write asks for
    nothing, and the worker never runs before the values it should see are committed."""
    how = mode()
    if how == "off":
        return "not scheduled (automatic refresh is off; run `bilim analytics refresh`)"
    if how == "inline":
        return _run_now()
    # robust: the values are in whatever happens to the queue; a failure is logged, not raised
    transaction.on_commit(enqueue, robust=True)
    return "scheduled"


def _run_now() -> str:
    from .refresh import refresh

    try:
        return refresh().summary()
    except Exception as e:  # noqa: BLE001 - the values are in; the warehouse can be refreshed later
        log.warning("analytics refresh failed: %s", e)
        return _failed(type(e).__name__)


def _failed(exception: str) -> str:
    return f"analytics refresh failed ({exception}); run `bilim analytics refresh`"


def _jobs() -> QuerySet:
    """Every refresh job the queue holds (waiting, running and finished)."""
    from django_tasks_db.models import DBTaskResult

    from .tasks import refresh_warehouse

    return DBTaskResult.objects.filter(task_path=refresh_warehouse.module_path)


def enqueue() -> bool:
    """Queue one refresh job unless one is already waiting to start; True when a job was added.

    A job that is *running* does not count: it may have read the database before this request's
    values were committed, so another one follows it."""
    from django_tasks import TaskResultStatus

    from .tasks import refresh_warehouse

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_ENQUEUE_LOCK])
        jobs = _jobs()
        if jobs.filter(status=TaskResultStatus.READY).exists():
            return False
        refresh_warehouse.using(run_after=_run_after(jobs)).enqueue()
    return True


def _run_after(jobs: QuerySet) -> dt.datetime:
    from django_tasks import TaskResultStatus

    at = timezone.now() + dt.timedelta(seconds=delay())
    last = jobs.aggregate(ended=Max("finished_at"))["ended"]
    running = jobs.filter(status=TaskResultStatus.RUNNING).aggregate(started=Max("started_at"))["started"]
    previous = max((t for t in (last, running) if t is not None), default=None)
    if previous is not None:
        at = max(at, previous + dt.timedelta(seconds=min_interval()))
    return at


def this_worker() -> str:
    """'host:pid' of this process: the worker id `bilim worker` runs under (at most 64 characters, the
    queue's limit), so that a job left running by a worker that died can be recognised."""
    return processes.process_id(WORKER_ID_LENGTH)


def fail_interrupted() -> int:
    """Mark the refresh jobs left running by a worker of this machine that no longer exists as failed,
    and queue a refresh in their place (`bilim worker` calls this when it starts). Why: a worker
    killed during a refresh leaves its job RUNNING for ever, and `wait_idle` would wait for it; the
    refresh itself was cut off (its work file is discarded by the next one), so the writes it was
    for still need one."""
    from django_tasks import TaskResultStatus

    stale = [pk for pk, ids in _jobs().filter(status=TaskResultStatus.RUNNING).values_list("pk", "worker_ids")
             if ids and processes.gone(ids[-1], WORKER_ID_LENGTH)]
    if not stale:
        return 0
    n = _jobs().filter(pk__in=stale, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED, finished_at=timezone.now(),
        exception_class_path=f"{__name__}.WorkerGone", traceback="the worker running this refresh stopped")
    if n:
        enqueue()
    return n


def wait_idle(timeout: float = 60.0, poll: float = 0.2) -> bool:
    """Block until no refresh job is waiting or running (tests, the load script's final check); False
    when that did not happen within `timeout` seconds (no worker runs, or a refresh is slow)."""
    from django_tasks import TaskResultStatus

    deadline = time.monotonic() + timeout
    while _jobs().filter(status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING)).exists():
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)
    return True


def status() -> dict[str, Any]:
    """The mode, the refresh jobs waiting and running, and the last finished one's result and time
    (`bilim analytics status`, tests). `last` is the refresh summary, or what failed."""
    from django_tasks import TaskResultStatus

    jobs = _jobs()
    counts = dict(jobs.filter(status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING))
                  .values_list("status").annotate(n=Count("pk")).order_by())
    last = jobs.filter(finished_at__isnull=False).order_by("-finished_at").first()
    out: dict[str, Any] = {"mode": mode(), "pending": counts.get(TaskResultStatus.READY, 0),
                           "running": counts.get(TaskResultStatus.RUNNING, 0),
                           "runs": jobs.filter(finished_at__isnull=False).count(),
                           "last": "", "last_status": None, "finished_at": None}
    if last is not None:
        out["last_status"] = last.status
        out["finished_at"] = last.finished_at
        if last.status == TaskResultStatus.SUCCESSFUL:
            out["last"] = last.return_value if isinstance(last.return_value, str) else ""
        else:
            out["last"] = _failed(last.exception_class_path.rpartition(".")[2] or "unknown")
    return out

