"""Write pages for the collegium and capital projects: forms over the same services as the API
(`bilim.governance.services`, `bilim.projects.services`, given `user=request.user`), so the role and
scope rules, the audit and the one-transaction rule are theirs. A service's ValidationError is shown
next to the field it names; PermissionDenied is the 403 page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bilim.accounts.permissions import BY_METHOD, WRITE, permission_required
from bilim.governance import selectors as gsel
from bilim.governance import services as gov
from bilim.governance.models import AgendaItem, Instruction, Meeting, Participant, Proposal, Report, Status
from bilim.projects import selectors as psel
from bilim.projects import services as prj
from bilim.projects.models import Project, Stage
from bilim.registry.models import Kind

from .forms import DateInput, OrgUnitField, UserForm, apply_errors


class MeetingForm(UserForm):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=40)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Meeting.MeetingKind.choices)
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    organizer = OrgUnitField(label=gettext_lazy("Organizer"), kinds=(Kind.AUTHORITY,), family="governance")
    title_kk = forms.CharField(label=gettext_lazy("Title (Kazakh)"), max_length=500)
    title_ru = forms.CharField(label=gettext_lazy("Title (Russian)"), max_length=500, required=False)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=500, required=False)
    chair_name = forms.CharField(label=gettext_lazy("Chair"), max_length=255, required=False)


class ParticipantForm(UserForm):
    body = OrgUnitField(label=gettext_lazy("Body"), required=False)
    representative = forms.CharField(label=gettext_lazy("Representative"), max_length=255, required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Participant._meta.get_field("role").choices)


class AgendaForm(UserForm):
    order = forms.IntegerField(label=gettext_lazy("No."), min_value=1, max_value=999)
    part = forms.ChoiceField(label=gettext_lazy("Part"), choices=AgendaItem.Part.choices)
    title_kk = forms.CharField(label=gettext_lazy("Item (Kazakh)"), max_length=500)
    title_ru = forms.CharField(label=gettext_lazy("Item (Russian)"), max_length=500, required=False)
    title_en = forms.CharField(label=gettext_lazy("Item (English)"), max_length=500, required=False)


class ReportForm(UserForm):
    agenda_item = forms.ModelChoiceField(label=gettext_lazy("Agenda item"), queryset=AgendaItem.objects.none(),
                                         required=False)
    speaker = forms.CharField(label=gettext_lazy("Speaker"), max_length=255, required=False)
    body = OrgUnitField(label=gettext_lazy("For the body"), required=False)
    topic_kk = forms.CharField(label=gettext_lazy("Topic (Kazakh)"), max_length=500)
    topic_ru = forms.CharField(label=gettext_lazy("Topic (Russian)"), max_length=500, required=False)
    topic_en = forms.CharField(label=gettext_lazy("Topic (English)"), max_length=500, required=False)
    summary_kk = forms.CharField(label=gettext_lazy("Summary (Kazakh)"), widget=forms.Textarea(attrs={"rows": 2}),
                                 required=False)


class ProposalForm(UserForm):
    text_kk = forms.CharField(label=gettext_lazy("Proposal (Kazakh)"), widget=forms.Textarea(attrs={"rows": 2}))
    text_ru = forms.CharField(label=gettext_lazy("Proposal (Russian)"), widget=forms.Textarea(attrs={"rows": 2}),
                              required=False)
    text_en = forms.CharField(label=gettext_lazy("Proposal (English)"), widget=forms.Textarea(attrs={"rows": 2}),
                              required=False)
    proposed_by = OrgUnitField(label=gettext_lazy("Proposed by"), required=False)


class InstructionForm(UserForm):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=40)
    text_kk = forms.CharField(label=gettext_lazy("Text (Kazakh)"), widget=forms.Textarea(attrs={"rows": 3}))
    text_ru = forms.CharField(label=gettext_lazy("Text (Russian)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    text_en = forms.CharField(label=gettext_lazy("Text (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    responsible = OrgUnitField(label=gettext_lazy("Responsible body"), kinds=(Kind.AUTHORITY,), family="governance")
    deadline = forms.DateField(label=gettext_lazy("Deadline"), widget=DateInput())
    org_unit = OrgUnitField(label=gettext_lazy("Where the indicators are measured"), required=False)
    indicator_codes = forms.CharField(label=gettext_lazy("Linked indicators (codes, comma-separated)"), required=False)
    projects = forms.CharField(label=gettext_lazy("Linked projects (codes, comma-separated)"), required=False)


class ExecutionReportForm(UserForm):
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    text = forms.CharField(label=gettext_lazy("What has been done"), widget=forms.Textarea(attrs={"rows": 3}))


class StatusForm(UserForm):
    status = forms.ChoiceField(label=gettext_lazy("New status"), choices=Status.choices)
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    note = forms.CharField(label=gettext_lazy("Reason or note"), required=False)


class ExtensionForm(UserForm):
    new_deadline = forms.DateField(label=gettext_lazy("New deadline"), widget=DateInput())
    date = forms.DateField(label=gettext_lazy("Date of the decision"), widget=DateInput())
    reason = forms.CharField(label=gettext_lazy("Reason"))
    decision = forms.CharField(label=gettext_lazy("Decision (who allowed it)"))


class StageForm(UserForm):
    kind = forms.ChoiceField(label=gettext_lazy("Stage"), choices=Stage.StageKind.choices)
    planned_start = forms.DateField(label=gettext_lazy("Planned start"), widget=DateInput())
    planned_end = forms.DateField(label=gettext_lazy("Planned end"), widget=DateInput())
    actual_start = forms.DateField(label=gettext_lazy("Actual start"), widget=DateInput(), required=False)
    actual_end = forms.DateField(label=gettext_lazy("Actual end"), widget=DateInput(), required=False)


def _meeting(request: HttpRequest, code: str) -> Meeting:
    try:
        return gsel.get_meeting(code, request.user)
    except Meeting.DoesNotExist as e:
        raise Http404(_("No meeting with code %(c)s") % {"c": code}) from e


def _instruction(request: HttpRequest, code: str) -> Instruction:
    try:
        return gsel.get_instruction(code, request.user)
    except Instruction.DoesNotExist as e:
        raise Http404(_("No instruction with code %(c)s") % {"c": code}) from e


def _codes(text: str) -> list[str]:
    return [c.strip() for c in (text or "").replace(";", ",").split(",") if c.strip()]


@permission_required("governance", BY_METHOD)
def meeting_new(request: HttpRequest) -> HttpResponse:
    form = MeetingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            m = gov.create_meeting(d.pop("code"), d.pop("kind"), d.pop("date"), d.pop("organizer"), d.pop("title_kk"),
                                   actor=request.user.username, user=request.user, **d)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Meeting %(code)s recorded.") % {"code": m.code})
            return redirect("web:meeting_edit", code=m.code)
    return render(request, "web/governance/meeting_form.html", {"form": form})


@permission_required("governance", BY_METHOD)
def meeting_edit(request: HttpRequest, code: str) -> HttpResponse:
    """The meeting's record: its fields, then participants, agenda, reports and proposals (add, delete),
    and from a proposal the instructions it becomes."""
    m = _meeting(request, code)
    initial = {f: getattr(m, f) for f in ("code", "kind", "date", "organizer", "title_kk", "title_ru", "title_en",
                                          "chair_name")}
    which = request.POST.get("form", "") if request.method == "POST" else ""
    forms_ = {
        "meeting": MeetingForm(request.POST if which == "meeting" else None, initial=initial, user=request.user),
        "participant": ParticipantForm(request.POST if which == "participant" else None, user=request.user,
                                       auto_id="participant-%s"),
        "agenda": AgendaForm(request.POST if which == "agenda" else None, user=request.user,
                             initial={"order": m.agenda.count() + 1}, auto_id="agenda-%s"),
        "report": ReportForm(request.POST if which == "report" else None, user=request.user, auto_id="report-%s"),
        "proposal": ProposalForm(request.POST if which == "proposal" else None, user=request.user,
                                 auto_id="proposal-%s"),
    }
    forms_["report"].fields["agenda_item"].queryset = m.agenda.all()
    forms_["meeting"].fields["code"].disabled = True
    if which in forms_ and forms_[which].is_valid():
        d = dict(forms_[which].cleaned_data)
        try:
            if which == "meeting":
                d.pop("code")
                gov.update_meeting(m, actor=request.user.username, user=request.user, **d)
            elif which == "participant":
                gov.add_participant(m, d.pop("body"), d.pop("representative"), d.pop("role"),
                                    actor=request.user.username, user=request.user)
            elif which == "agenda":
                gov.add_agenda_item(m, d.pop("order"), d.pop("title_kk"), d.pop("part"),
                                    actor=request.user.username, user=request.user, **d)
            elif which == "report":
                gov.add_report(m, d.pop("topic_kk"), d.pop("speaker"), d.pop("body"), d.pop("agenda_item"),
                               actor=request.user.username, user=request.user, **d)
            else:
                gov.add_proposal(m, d.pop("text_kk"), d.pop("proposed_by"), actor=request.user.username,
                                 user=request.user, **d)
        except ValidationError as e:
            apply_errors(forms_[which], e)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:meeting_edit", code=m.code)
    elif which.startswith("delete_"):
        kind = which.removeprefix("delete_")
        try:
            gov.delete_item(m, kind, int(request.POST.get("id") or 0), actor=request.user.username,
                            user=request.user)
        except (ValidationError, Participant.DoesNotExist, AgendaItem.DoesNotExist, Report.DoesNotExist,
                Proposal.DoesNotExist, ValueError) as e:
            messages.error(request, "; ".join(getattr(e, "messages", [str(e)])))
        else:
            messages.success(request, _("Deleted."))
        return redirect("web:meeting_edit", code=m.code)
    detail = gsel.meeting_detail(m, user=request.user)
    return render(request, "web/governance/meeting_edit.html", {"m": detail, "meeting": m, "forms": forms_,
                                                                "participants": m.participants.select_related("body"),
                                                                "agenda": m.agenda.all(),
                                                                "reports": m.reports.select_related("body"),
                                                                "proposals": m.proposals.all()})


@permission_required("governance", WRITE)
@require_POST
def meeting_delete(request: HttpRequest, code: str) -> HttpResponse:
    m = _meeting(request, code)
    try:
        gov.delete_meeting(m, actor=request.user.username, user=request.user)
    except ValidationError as e:
        messages.error(request, "; ".join(e.messages))
        return redirect("web:meeting_edit", code=m.code)
    messages.success(request, _("Meeting %(code)s deleted.") % {"code": code})
    return redirect("web:meetings")


@permission_required("governance", BY_METHOD)
def instruction_new(request: HttpRequest) -> HttpResponse:
    """An instruction from a meeting's proposal (`?meeting=CODE&proposal=ID`)."""
    m = _meeting(request, request.GET.get("meeting", ""))
    proposal = m.proposals.filter(pk=request.GET.get("proposal") or 0).first() if \
        (request.GET.get("proposal") or "").isdigit() else None
    n = m.instructions.count() + 1
    form = InstructionForm(request.POST or None, user=request.user,
                           initial={"code": f"{m.code}/{n}", "text_kk": proposal.text_kk if proposal else "",
                                    "text_ru": proposal.text_ru if proposal else "",
                                    "text_en": proposal.text_en if proposal else ""})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            codes = gov.check_indicators(_codes(d["indicator_codes"]))
            projects = []
            for pc in _codes(d["projects"]):
                p = Project.objects.filter(code=pc).first()
                if p is None:
                    raise ValidationError({"projects": [_("No project with code %(c)s") % {"c": pc}]})
                projects.append(p)
            ins = gov.issue_instruction(d["code"], d["text_kk"], d["responsible"], d["deadline"], meeting=m,
                                        proposal=proposal, indicator_codes=codes, projects=projects,
                                        org_unit=d["org_unit"], number=str(n), text_ru=d["text_ru"],
                                        text_en=d["text_en"], actor=request.user.username, user=request.user)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Instruction %(code)s issued.") % {"code": ins.code})
            return redirect("web:instruction", code=ins.code)
    return render(request, "web/governance/instruction_form.html", {"form": form, "m": m, "proposal": proposal})


INSTRUCTION_ACTIONS = {"report": ExecutionReportForm, "status": StatusForm, "extend": ExtensionForm}


@permission_required("governance", BY_METHOD)
def instruction_do(request: HttpRequest, code: str, what: str) -> HttpResponse:
    """File an execution report, change the status, extend the deadline, or delete (POST)."""
    ins = _instruction(request, code)
    if what == "delete" and request.method == "POST":
        try:
            gov.delete_instruction(ins, actor=request.user.username, user=request.user)
        except ValidationError as e:
            messages.error(request, "; ".join(e.messages))
            return redirect("web:instruction", code=ins.code)
        messages.success(request, _("Deleted."))
        return redirect("web:instructions")
    form_class = INSTRUCTION_ACTIONS.get(what)
    if form_class is None:
        raise Http404(_("Unknown action"))
    form = form_class(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if what == "report":
                gov.add_execution_report(ins, d["date"], d["text"], actor=request.user.username, user=request.user)
            elif what == "status":
                gov.change_status(ins, d["status"], d["date"], d["note"], actor=request.user.username,
                                  user=request.user)
            else:
                gov.extend_deadline(ins, d["new_deadline"], d["reason"], d["date"], decision=d["decision"],
                                    actor=request.user.username, user=request.user)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:instruction", code=ins.code)
    titles = {"report": _("File an execution report"), "status": _("Change the status"),
              "extend": _("Extend the deadline")}
    return render(request, "web/governance/instruction_action.html",
                  {"form": form, "ins": ins, "title": titles[what], "what": what})


@permission_required("projects", BY_METHOD)
def project_stages(request: HttpRequest, code: str) -> HttpResponse:
    """Add a stage, or change one's dates (`?stage=ID`), or delete it (POST form=delete)."""
    try:
        p = psel.get_project(code, request.user)
    except Project.DoesNotExist as e:
        raise Http404(_("No project with code %(c)s") % {"c": code}) from e
    stage = p.stages.filter(pk=request.GET.get("stage") or 0).first() if \
        (request.GET.get("stage") or "").isdigit() else None
    if request.method == "POST" and request.POST.get("form") == "delete" and stage is not None:
        prj.delete_stage(stage, actor=request.user.username, user=request.user)
        messages.success(request, _("Deleted."))
        return redirect("web:project_stages", code=p.code)
    initial = {f: getattr(stage, f) for f in ("kind", "planned_start", "planned_end", "actual_start", "actual_end")} \
        if stage else {}
    form = StageForm(request.POST or None, initial=initial, user=request.user)
    if stage is not None:
        form.fields["kind"].disabled = True
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        try:
            if stage is None:
                prj.add_stage(p, d.pop("kind"), d.pop("planned_start"), d.pop("planned_end"), actor=request.user.username,
                              user=request.user, **d)
            else:
                d.pop("kind")
                prj.update_stage(stage, actor=request.user.username, user=request.user, **d)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:project_stages", code=p.code)
    detail = psel.project_detail(p, user=request.user)
    return render(request, "web/projects/stages.html", {"p": detail, "form": form, "stage": stage})


@permission_required("projects", unit_params=("region",))
def timeline(request: HttpRequest) -> HttpResponse:
    from bilim.projects.models import Schedule

    f = {k: request.GET.get(k, "") for k in ("region", "programme", "schedule")}
    if f["schedule"] not in Schedule.values:
        f["schedule"] = ""
    t = psel.timeline(region=f["region"] or None, programme=f["programme"] or None, schedule=f["schedule"] or None,
                      user=request.user)
    return render(request, "web/projects/timeline.html", {"t": t, "f": f, "schedules": Schedule.choices,
                                                          "programmes": psel.programme_list(request.user)})
