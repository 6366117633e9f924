"""Background imports for the upload page: a job row, a thread, progress the page polls.

The import itself is `services.import_file` (all-or-nothing, unchanged). Its progress callback
updates the job row, except while the import's own transaction is open (a row written there would
stay invisible to the page, and a dry run rolls it back): then progress goes to memory, which the
poll reads in this process, and reaches the row when the transaction ends.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from django.db import close_old_connections, connection
from django.utils import timezone, translation

from bilim import processes

from .models import ImportJob
from .services import ImportReport, import_file

log = logging.getLogger(__name__)

# Tests set this to run jobs in the calling thread (inside their transaction).
INLINE = False
# Refresh the analytics warehouse (in the background, coalesced) after an import that changed values.
REFRESH_AFTER_IMPORT = True

_live: dict[uuid.UUID, tuple[int, str]] = {}
_live_lock = threading.Lock()


def report_dict(report: ImportReport) -> dict[str, Any]:
    """The JSON form of an import report (the API returns it, the job keeps it)."""
    return {
        "ok": report.ok, "format": report.format, "source": report.source, "dry_run": report.dry_run,
        "rows": report.rows, "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
        "batch": report.batch, "seconds": round(report.seconds, 3), "summary": report.summary(),
        "errors": [{"line": e.line, "field": e.field, "reason": e.reason} for e in report.errors],
    }


def live_progress(job: ImportJob) -> tuple[int, str]:
    with _live_lock:
        return _live.get(job.pk, (job.progress, job.stage))


def start(data: bytes, name: str, *, dry_run: bool, user=None, unit_allowed=None, readable=None) -> ImportJob:
    job = ImportJob.objects.create(user=user if getattr(user, "pk", None) else None, file_name=name[:255],
                                   size=len(data), dry_run=dry_run, runner=this_runner())
    actor = getattr(user, "username", "") or ""
    if INLINE:
        run(job.pk, data, name, dry_run, actor, unit_allowed, readable)
    else:
        # the report's reasons are written in the language of the page that started the import
        lang = translation.get_language()
        threading.Thread(target=_thread, args=(lang, job.pk, data, name, dry_run, actor, unit_allowed, readable),
                         name=f"import-{job.pk}", daemon=True).start()
    return job


def _thread(lang: str | None, *args: Any) -> None:
    close_old_connections()
    try:
        with translation.override(lang):
            run(*args)
    finally:
        connection.close()


def run(job_id: uuid.UUID, data: bytes, name: str, dry_run: bool, actor: str, unit_allowed=None,
        readable=None) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING, stage="reading")
    outer = len(connection.atomic_blocks)  # transactions opened by the caller (tests run inside one)

    def progress(done: int, total: int, stage: str) -> None:
        pct = max(0, min(100, int(100 * done / total) if total else 100))
        with _live_lock:
            _live[job_id] = (pct, stage)
        if len(connection.atomic_blocks) <= outer:
            ImportJob.objects.filter(pk=job_id).update(progress=pct, stage=stage[:32])

    try:
        report = import_file(data, dry_run=dry_run, actor=actor, progress=progress, name=name,
                             unit_allowed=unit_allowed, readable=readable)
        status = ImportJob.Status.DONE if report.ok else ImportJob.Status.REJECTED
        body = report_dict(report)
        if (refresh := refresh_after(report)) is not None:
            body["refresh"] = refresh
    except Exception as e:  # noqa: BLE001 - the page must say the job ended, whatever happened
        log.exception("import job %s failed", job_id)
        status = ImportJob.Status.FAILED
        body = {"ok": False, "summary": f"the import failed unexpectedly ({type(e).__name__}); nothing was written",
                "errors": [{"line": "file", "field": "", "reason": str(e)[:500]}]}
    ImportJob.objects.filter(pk=job_id).update(status=status, progress=100, stage="finished", report=body,
                                               finished_at=timezone.now())
    with _live_lock:
        _live.pop(job_id, None)


def this_runner() -> str:
    """'host:pid' of this process, stored on the jobs its threads run."""
    return processes.process_id()


INTERRUPTED_REPORT = {"ok": False, "interrupted": True,
                      "summary": "the import was interrupted: the process running it stopped; nothing was written",
                      "errors": []}


def fail_interrupted(*, all_unfinished: bool = False) -> int:
    """Mark as failed the jobs that can no longer finish; returns how many.

    Jobs run in threads of the web process that accepted the upload, and their import is one
    transaction, so a job whose process died (a crash, a killed worker, a restart) wrote nothing and
    would otherwise stay "running / writing 50 %" forever. `all_unfinished` (at `bilim serve`
    start, before any worker runs): every queued or running job; otherwise only those whose process
    on this host is gone (a worker starting, or a page polling the job).
    """
    unfinished = ImportJob.objects.filter(status__in=(ImportJob.Status.QUEUED, ImportJob.Status.RUNNING))
    ids = [pk for pk, runner in unfinished.values_list("pk", "runner") if all_unfinished or processes.gone(runner)]
    if not ids:
        return 0
    n = ImportJob.objects.filter(pk__in=ids, status__in=(ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)) \
        .update(status=ImportJob.Status.FAILED, progress=100, stage="interrupted", report=INTERRUPTED_REPORT,
                finished_at=timezone.now())
    if n:
        log.warning("marked %d interrupted import job(s) as failed", n)
    return n


def refresh_after(report: ImportReport) -> str | None:
    """After an import that changed values, ask for an analytics refresh: coalesced and run in the
    background (`bilim.analytics.refresher`), so the writer does not wait for it. What happens, or
    None when nothing was asked (a dry run, a rejected or unchanged import)."""
    if not (REFRESH_AFTER_IMPORT and report.ok and not report.dry_run and report.created + report.updated):
        return None
    from bilim.analytics import refresher

    return refresher.request()


def scope_filter(user):
    """`unit_allowed` for import_file: None for users who may write anywhere and register org units,
    else a check against their subtree (any non-None filter also refuses org unit registration)."""
    from bilim.accounts.permissions import WRITE, has_capability, has_national_scope, scoped_unit_ids
    from bilim.registry.models import OrgUnit

    if user is None:
        return None
    if has_national_scope(user):
        if has_capability(user, "registry", WRITE):
            return None
        return lambda code: True  # values anywhere, but registering units is the registry's business
    ids = scoped_unit_ids(user) or frozenset()
    cache: dict[str, bool] = {}

    def allowed(code: str) -> bool:
        if code not in cache:
            pk = OrgUnit.objects.filter(code=code).values_list("pk", flat=True).first()
            cache[code] = pk is None or pk in ids  # unknown codes: the import names them
        return cache[code]

    return allowed


def read_filter(user):
    """`readable` for import_file: the writer's read permission on each cell (scope and the approval
    rule, `permissions.value_rows_reader`); None when nothing is hidden from the user (the operator,
    an administrator of the whole republic)."""
    from bilim.accounts.permissions import Role, has_national_scope, role_of, value_rows_reader

    if user is None or (role_of(user) == Role.ADMIN and has_national_scope(user)):
        return None
    return value_rows_reader(user)
