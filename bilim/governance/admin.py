from django.contrib import admin

from bilim.audit.admin import AuditedAdmin

from . import selectors
from .models import (
    AgendaItem,
    ExecutionReport,
    Extension,
    Instruction,
    Meeting,
    Participant,
    Proposal,
    Report,
)


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    raw_id_fields = ("body",)


class AgendaInline(admin.TabularInline):
    model = AgendaItem
    extra = 0


class ReportInline(admin.StackedInline):
    model = Report
    extra = 0
    raw_id_fields = ("body",)


class ProposalInline(admin.StackedInline):
    model = Proposal
    extra = 0
    raw_id_fields = ("proposed_by", "report")


@admin.register(Meeting)
class MeetingAdmin(AuditedAdmin):
    list_display = ("code", "date", "kind", "title_en", "organizer")
    list_filter = ("kind",)
    raw_id_fields = ("organizer", "protocol")
    inlines = [ParticipantInline, AgendaInline, ReportInline, ProposalInline]

    def get_queryset(self, request):  # a staff account with a limited scope sees its meetings only
        return selectors.meetings_for(request.user, super().get_queryset(request))


class ExtensionInline(admin.TabularInline):
    model = Extension
    extra = 0
    can_delete = False
    raw_id_fields = ("legal_act",)


class ExecutionReportInline(admin.TabularInline):
    model = ExecutionReport
    extra = 0
    can_delete = False
    raw_id_fields = ("body",)


@admin.register(Instruction)
class InstructionAdmin(AuditedAdmin):
    """Status, deadline and closing date change only through governance.services (workflow + audit)."""

    list_display = ("code", "responsible", "deadline", "status", "control_level")
    list_filter = ("status", "control_level", "source")
    search_fields = ("code", "text_kk", "text_ru", "text_en")
    raw_id_fields = ("meeting", "proposal", "responsible", "co_executors", "org_unit")
    inlines = [ExtensionInline, ExecutionReportInline]

    def get_queryset(self, request):  # a staff account with a limited scope sees its instructions only
        return selectors.instructions_for(request.user, super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return ("status", "deadline", "initial_deadline", "closed_on") if obj is not None else ("status", "closed_on")
