"""The analytics jobs of the queue (Django's Tasks framework, database backend; run by `bilim worker`).

Why a job and not a thread in each web process: `bilim serve` runs several processes, and a thread's
notion of "a refresh is pending" lived in one process's memory, so each process ran its own. A job is
a row of the operational database that every process (and machine) sees: `refresher.request`
coalesces against it, and one worker runs it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

# Finished refresh jobs are kept this long (for `refresher.status` and an operator's look at the
# admin), then deleted by the next refresh: a busy year would otherwise leave thousands of rows.
KEEP_FINISHED = dt.timedelta(days=7)


@task()
def refresh_warehouse() -> str:
    """Bring the warehouse up to date with the database (`refresh.refresh`); the summary is the job's
    result. It takes the warehouse's cross-process file lock, so several workers, or a worker and a
    `bilim analytics refresh` in a shell, are safe; a refresh after nothing changed writes nothing.
    A failure is left to raise: the queue records the job as failed with its traceback, and the worker
    goes on with the next job."""
    from django_tasks_db.models import DBTaskResult

    from .refresh import refresh

    summary = refresh().summary()
    DBTaskResult.objects.finished().filter(task_path=refresh_warehouse.module_path,
                                           finished_at__lt=timezone.now() - KEEP_FINISHED).delete()
    return summary
