"""Upload page: send a file, watch the import run, read its report; download form templates.

Thin: the import is `services.import_file` run by `jobs`, templates come from `templates`.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bilim.accounts.permissions import READ, WRITE, permission_required
from bilim.metadata.models import DataSet

from . import jobs
from .models import ImportJob
from .templates import TemplateError, build_template, template_name


def _context(request, **extra):
    recent = ImportJob.objects.filter(user=request.user).order_by("-created_at")[:10] \
        if request.user.is_authenticated else []
    return {"data_sets": DataSet.objects.order_by("code"), "recent": recent, **extra}


@permission_required("data", WRITE)
@require_http_methods(["GET", "POST"])
def upload(request):
    if request.method == "POST":
        f = request.FILES.get("file")
        if f is None:
            return render(request, "exchange/upload.html", _context(request, error=_("Choose a file to import.")),
                          status=400)
        limit = settings.BILIM_MAX_UPLOAD_BYTES
        if f.size > limit:
            return render(request, "exchange/upload.html",
                          _context(request, error=_("The file is larger than %(limit)s MB; import it with the "
                                                    "command line (bilim import).") % {"limit": limit // 2**20}),
                          status=413)
        job = jobs.start(f.read(), f.name, dry_run=bool(request.POST.get("dry_run")), user=request.user,
                         unit_allowed=jobs.scope_filter(request.user), readable=jobs.read_filter(request.user))
        return redirect("exchange:job", job_id=job.pk)
    return render(request, "exchange/upload.html", _context(request))


def _job_for(request, job_id) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.user_id != request.user.pk and not request.user.is_superuser:
        raise Http404
    if not job.finished and job.runner != jobs.this_runner() and jobs.fail_interrupted():
        job.refresh_from_db()  # its process died: the page says so instead of polling forever
    return job


def _job_context(job: ImportJob) -> dict:
    progress, stage = (100, "finished") if job.finished else jobs.live_progress(job)
    report = job.report or {}
    return {"job": job, "progress": progress, "stage": stage, "report": report,
            "errors": report.get("errors", [])}


@permission_required("data", WRITE)
def job(request, job_id):
    return render(request, "exchange/job.html", _job_context(_job_for(request, job_id)))


@permission_required("data", WRITE)
def job_progress(request, job_id):
    """The progress bar while the job runs (htmx polls it every second), the report once it ended."""
    return render(request, "exchange/_job_progress.html", _job_context(_job_for(request, job_id)))


@permission_required("data", READ)
def template(request):
    ds, ou, pe = (request.GET.get(k, "").strip() for k in ("data_set", "org_unit", "period"))
    if not (ds and ou and pe):
        return render(request, "exchange/upload.html",
                      _context(request, template_error=_("Choose a data set, an org unit and a period."),
                               template_query={"data_set": ds, "org_unit": ou, "period": pe}), status=400)
    from bilim.accounts.permissions import can_read_unit
    from bilim.registry.models import OrgUnit

    unit = OrgUnit.objects.filter(code=ou).first()
    if unit is not None and not can_read_unit(request.user, unit):
        return render(request, "exchange/upload.html",
                      _context(request, template_error=_("%(code)s is outside your scope.") % {"code": ou},
                               template_query={"data_set": ds, "org_unit": ou, "period": pe}), status=403)
    try:
        content = build_template(ds, ou, pe)
    except TemplateError as e:
        return render(request, "exchange/upload.html",
                      _context(request, template_error=str(e),
                               template_query={"data_set": ds, "org_unit": ou, "period": pe}), status=400)
    resp = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="{template_name(ds, ou, pe)}"'
    return resp
